/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sorted listing of one directory below the root fd, with a filter (after systemd's
 * conf_files_list_at()). */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirlist.h"
#include "rootfs.h"

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int name_vercmp_desc(const void *a, const void *b)
{
	return strverscmp(*(char *const *)b, *(char *const *)a);
}

/* 1 keep, 0 leave out, -errno. */
static int keep(int dfd, const char *name, const char *suffix, unsigned flags)
{
	size_t len = strlen(name), slen = suffix ? strlen(suffix) : 0;
	struct stat st;

	if (name[0] == '.')
		return 0;
	if (suffix && (len <= slen || strcmp(name + len - slen, suffix) != 0))
		return 0;
	if (!(flags & DIR_LIST_REGULAR))
		return 1;
	if (fstatat(dfd, name, &st, 0) < 0)
		/* A dangling or looping link is not a regular file; a name can vanish. */
		return errno == ENOENT || errno == ELOOP ? 0 : -errno;
	return S_ISREG(st.st_mode);
}

void dir_list_free(char **names)
{
	char **p;

	for (p = names; p && *p; p++)
		free(*p);
	free(names);
}

int dir_list_fd(int dfd, const char *suffix, unsigned flags, char ***ret)
{
	char **names = NULL;
	struct dirent *de;
	size_t n = 0;
	int fd, r = 0;
	DIR *d;

	/* A new open file description, so the caller's fd keeps its offset. */
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	for (;;) {
		char **nn;

		errno = 0;
		de = readdir(d);
		if (!de) {
			r = -errno;
			break;
		}
		r = keep(dfd, de->d_name, suffix, flags);
		if (r < 0)
			break;
		if (r == 0)
			continue;
		nn = realloc(names, (n + 2) * sizeof(*nn));
		if (!nn) {
			r = -ENOMEM;
			break;
		}
		names = nn;
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		names[++n] = NULL;
	}
	closedir(d);
	if (r < 0) {
		dir_list_free(names);
		return r;
	}
	if (!names) {
		names = calloc(1, sizeof(*names));
		if (!names)
			return -ENOMEM;
	}
	qsort(names, n, sizeof(*names),
	      flags & DIR_LIST_VERSION_DESC ? name_vercmp_desc : name_cmp);
	*ret = names;
	return (int)n;
}

int dir_list_at(int rootfd, const char *dir, const char *suffix, unsigned flags, char ***ret)
{
	int fd, r;

	fd = openat(rootfd, root_rel(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = dir_list_fd(fd, suffix, flags, ret);
	close(fd);
	return r;
}
