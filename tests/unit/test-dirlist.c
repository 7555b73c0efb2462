/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the one directory listing of lib/ (lib/dirlist.c). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dirlist.h"
#include "rootfs.h"

static char dir[] = "/tmp/test-dirlist.XXXXXX";

static void touch(const char *rel)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	close(fd);
}

static int setup(void **state)
{
	char path[512];

	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/d", dir);
	if (mkdir(path, 0755) < 0)
		return -1;
	touch("d/b.conf");
	touch("d/a.conf");
	touch("d/.hidden.conf");
	touch("d/c.conf.dpkg-old");
	touch("d/.conf");
	snprintf(path, sizeof(path), "%s/d/sub.conf", dir);
	if (mkdir(path, 0755) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/d/dangling.conf", dir);
	if (symlink("nowhere", path) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/d/link.conf", dir);
	return symlink("a.conf", path) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void assert_names(char **names, const char *const *want, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		assert_string_equal(names[i], want[i]);
	assert_null(names[n]);
}

/* Hidden names and other suffixes are left out; strcmp order; ".conf" alone is hidden. */
static void test_suffix_and_order(void **state)
{
	static const char *const want[] = { "a.conf", "b.conf", "dangling.conf", "link.conf",
					    "sub.conf" };
	char **names;
	int rootfd = root_open(dir);

	assert_true(rootfd >= 0);
	assert_int_equal(dir_list_at(rootfd, "/d", ".conf", 0, &names), 5);
	assert_names(names, want, 5);
	dir_list_free(names);
	close(rootfd);
}

/* DIR_LIST_REGULAR: a link to a regular file counts, a directory and a dangling link not. */
static void test_regular_only(void **state)
{
	static const char *const want[] = { "a.conf", "b.conf", "link.conf" };
	char **names;
	int rootfd = root_open(dir);

	assert_int_equal(dir_list_at(rootfd, "d", ".conf", DIR_LIST_REGULAR, &names), 3);
	assert_names(names, want, 3);
	dir_list_free(names);
	close(rootfd);
}

/* Newest first, as BLS entries are taken; any suffix with NULL. */
static void test_version_desc(void **state)
{
	char **names, path[512];
	int rootfd = root_open(dir);

	snprintf(path, sizeof(path), "%s/v", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	touch("v/linux-6.9.conf");
	touch("v/linux-6.10.conf");
	touch("v/linux-6.10-rescue.conf");
	touch("v/README");
	assert_int_equal(dir_list_at(rootfd, "v", ".conf", DIR_LIST_VERSION_DESC, &names), 3);
	assert_string_equal(names[0], "linux-6.10.conf");
	assert_string_equal(names[1], "linux-6.10-rescue.conf");
	assert_string_equal(names[2], "linux-6.9.conf");
	dir_list_free(names);
	assert_int_equal(dir_list_at(rootfd, "v", NULL, 0, &names), 4);
	assert_string_equal(names[0], "README");
	dir_list_free(names);
	close(rootfd);
}

/* Errors are returned, *ret left alone; an empty directory is an empty list. */
static void test_errors_and_empty(void **state)
{
	char **names = (char **)&names, path[512];
	int rootfd = root_open(dir), fd;

	assert_int_equal(dir_list_at(rootfd, "missing", NULL, 0, &names), -ENOENT);
	assert_int_equal(dir_list_at(rootfd, "d/a.conf", NULL, 0, &names), -ENOTDIR);
	assert_ptr_equal(names, (char **)&names);
	snprintf(path, sizeof(path), "%s/empty", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(dir_list_at(rootfd, "empty", NULL, 0, &names), 0);
	assert_non_null(names);
	assert_null(names[0]);
	dir_list_free(names);

	/* dir_list_fd neither closes the caller's fd nor needs it at the start. */
	fd = openat(rootfd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(dir_list_fd(fd, ".conf", DIR_LIST_REGULAR, &names), 3);
	dir_list_free(names);
	assert_int_equal(dir_list_fd(fd, ".conf", DIR_LIST_REGULAR, &names), 3);
	dir_list_free(names);
	close(fd);
	close(rootfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suffix_and_order),
		cmocka_unit_test(test_regular_only),
		cmocka_unit_test(test_version_desc),
		cmocka_unit_test(test_errors_and_empty),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
