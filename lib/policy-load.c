/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The gpu-vfio.conf(5) policy: its sources (the main file, then the drop-ins), their owner and
 * mode, and the policy as loaded. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirlist.h"
#include "policy-parse.h"
#include "policy.h"
#include "rootfs.h"

static const char *intern_file(struct policy *p, const char *name)
{
	char *s = strdup(name), **n;

	if (!s)
		return NULL;
	n = realloc(p->files, (p->n_files + 1) * sizeof(*n));
	if (!n) {
		free(s);
		return NULL;
	}
	p->files = n;
	p->files[p->n_files++] = s;
	return s;
}

static bool owner_ok(struct policy *p, const char *shown, const struct stat *st, int rootfd_is_slash)
{
	uid_t want = rootfd_is_slash ? 0 : geteuid();

	if (st->st_uid != want) {
		policy_error(p, shown, 0, "refusing policy: owned by uid %u, not %u", (unsigned)st->st_uid,
			  (unsigned)want);
		return false;
	}
	if (st->st_mode & 022) {
		policy_error(p, shown, 0, "refusing policy: writable by group or others (mode %04o)",
			  (unsigned)(st->st_mode & 07777));
		return false;
	}
	return true;
}

/* Read one file (dirfd-relative path) and parse it. missing_ok: ENOENT is not an error. */
static int load_file(struct policy *p, int dirfd, const char *path, const char *shown,
		     bool missing_ok, bool is_slash)
{
	const char *file;
	struct stat st;
	char *text;
	size_t len;
	int fd, r, refused = 0;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT && missing_ok)
			return 0;
		policy_error(p, shown, 0, "cannot read policy: %s", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		policy_error(p, shown, 0, "cannot read policy: not a regular file");
		return -EINVAL;
	}
	/* A refused file is still parsed, so that its other errors are reported too. */
	if (!owner_ok(p, shown, &st, is_slash))
		refused = -EPERM;
	r = fd_read_alloc(fd, 16u << 20, &text, &len);
	if (r < 0) {
		close(fd);
		policy_error(p, shown, 0, "cannot read policy: %s", strerror(-r));
		return r;
	}
	close(fd);
	file = intern_file(p, shown);
	if (!file) {
		free(text);
		return -ENOMEM;
	}
	policy_parse_text(p, file, text, len);
	free(text);
	return refused;
}

static int load_dropins(struct policy *p, int rootfd, bool is_slash)
{
	const char *rel = root_rel(POLICY_DROPIN_DIR);
	char **names;
	struct stat st;
	int dfd, n, i, r = 0;

	dfd = openat(rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		r = -errno;
		policy_error(p, POLICY_DROPIN_DIR, 0, "cannot read directory: %s", strerror(-r));
		return r;
	}
	/* A refused directory still has its files read, for their errors. */
	if (fstat(dfd, &st) < 0) {
		r = -errno;
		policy_error(p, POLICY_DROPIN_DIR, 0, "cannot read directory: %s", strerror(-r));
	} else if (!owner_ok(p, POLICY_DROPIN_DIR, &st, is_slash)) {
		r = -EPERM;
	}
	n = dir_list_fd(dfd, ".conf", DIR_LIST_REGULAR, &names);
	if (n < 0) {
		if (n != -ENOMEM)
			policy_error(p, POLICY_DROPIN_DIR, 0, "cannot read directory: %s",
				     strerror(-n));
		close(dfd);
		return n;
	}
	for (i = 0; i < n; i++) {
		char shown[512];
		int q;

		snprintf(shown, sizeof(shown), "%s/%s", POLICY_DROPIN_DIR, names[i]);
		/* Every file, whatever an earlier one did: validate reports every error. */
		q = load_file(p, dfd, names[i], shown, true, is_slash);
		if (q == -ENOMEM) {
			r = q;
			break;
		}
		if (q < 0 && r == 0)
			r = q;
	}
	dir_list_free(names);
	close(dfd);
	return r;
}

static bool root_is_slash(int rootfd)
{
	struct stat a, b;

	return fstat(rootfd, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int policy_load(struct policy *p, int rootfd, const char *policy_file)
{
	bool is_slash = root_is_slash(rootfd);
	int r, q;

	memset(p, 0, sizeof(*p));
	if (policy_file) {
		/* A host path, not below the root. */
		r = load_file(p, AT_FDCWD, policy_file, policy_file, false, true);
	} else {
		r = load_file(p, rootfd, root_rel(POLICY_MAIN), POLICY_MAIN, true, is_slash);
		q = load_dropins(p, rootfd, is_slash);
		if (r == 0)
			r = q;
	}
	if (r < 0)
		return r;
	return p->n_errors ? -EINVAL : 0;
}

void policy_free(struct policy *p)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	for (i = 0; i < p->n_files; i++)
		free(p->files[i]);
	free(p->files);
	for (i = 0; i < p->n_errors; i++)
		free(p->errors[i]);
	free(p->errors);
	memset(p, 0, sizeof(*p));
}

bool policy_has_claim(const struct policy *p)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++)
		if (p->rules[i].action == RULE_CLAIM)
			return true;
	return false;
}

