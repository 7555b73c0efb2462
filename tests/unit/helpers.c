/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the unit tests: fake machine roots, small files, and planning a machine. */
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

#include "helpers.h"
#include "rootfs.h"

void mk_tempdir(char *dir, size_t size)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, size, "%s/gpu-vfio-unit.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
}

void mkroot_machine(const char *name, char *dir, size_t size)
{
	char cmd[1024];

	mk_tempdir(dir, size);
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/fixtures/mkroot.sh' '%s/tests/fixtures/machines/%s.machine' '%s'",
		 SRCDIR, SRCDIR, name, dir);
	assert_int_equal(system(cmd), 0);
}

void mkroot_text(const char *machine_text, char *dir, size_t size)
{
	char cmd[1024], file[300];

	mk_tempdir(dir, size);
	write_file(dir, "input.machine", machine_text, 0644);
	snprintf(file, sizeof(file), "%s/input.machine", dir);
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/fixtures/mkroot.sh' '%s' '%s/root'", SRCDIR, file,
		 dir);
	assert_int_equal(system(cmd), 0);
	/* The root is dir/root; callers use dir as the tree to remove. */
}

void rm_tree(const char *dir)
{
	char cmd[512];

	if (!dir[0] || strncmp(dir, "/tmp/", 5) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

void write_file(const char *dir, const char *rel, const char *text, unsigned mode)
{
	char path[1024], cmd[1200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

const char *read_file_text(const char *dir, const char *rel)
{
	static char buf[4096];
	char path[1024];
	size_t n;
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "r");
	if (!f)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return buf;
}

void policy_from_text(struct policy *p, const char *text)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	policy_parse_text(p, "test.conf", text, strlen(text));
	for (i = 0; i < p->n_errors; i++)
		print_error("unexpected policy error: %s\n", p->errors[i]);
	assert_int_equal(p->n_errors, 0);
}

void plan_machine(struct planned *pl, const char *root, const char *policy_text)
{
	memset(pl, 0, sizeof(*pl));
	pl->rootfd = root_open(root);
	assert_true(pl->rootfd >= 0);
	policy_from_text(&pl->p, policy_text);
	assert_int_equal(pci_scan(pl->rootfd, &pl->m), 0);
	assert_int_equal(plan_build(pl->rootfd, &pl->m, &pl->p, &pl->plan), 0);
}

void planned_free(struct planned *pl)
{
	plan_free(&pl->plan);
	pci_machine_free(&pl->m);
	policy_free(&pl->p);
	if (pl->rootfd >= 0)
		close(pl->rootfd);
	pl->rootfd = -1;
}

struct plan_entry *entry_of(struct planned *pl, const char *address)
{
	struct pci_dev *d = pci_find(&pl->m, address);

	if (!d)
		fail_msg("device %s is not in the machine", address);
	return &pl->plan.e[d - pl->m.devs];
}
