/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Access to files below one root directory fd, so the same code serves "/" and a test tree. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Open DIR as the root every other call resolves against. Returns an fd or -errno. */
int root_open(const char *dir);

/* Paths are relative to the root fd; a leading '/' is ignored. */

/* Read fd to its end into buf (NUL-terminated), one trailing newline stripped. Returns the
 * length, or -errno (-EFBIG if it does not fit). */
ssize_t fd_read_text(int fd, char *buf, size_t size);

/* Read a whole small file into buf (NUL-terminated), one trailing newline stripped.
 * Returns the length, or -errno (-EFBIG if it does not fit). */
ssize_t root_read(int rootfd, const char *path, char *buf, size_t size);

/* Read a whole file of any size into a malloc'ed, NUL-terminated buffer. */
int root_read_alloc(int rootfd, const char *path, char **ret, size_t *ret_len);

/* Read everything from fd (at most max bytes) into a malloc'ed, NUL-terminated buffer. */
int fd_read_alloc(int fd, size_t max, char **ret, size_t *ret_len);

/* readlinkat() that NUL-terminates; returns the length or -errno. */
ssize_t root_readlink(int rootfd, const char *path, char *buf, size_t size);

/* The last path component of a link's target ("../../bus/pci/drivers/nouveau" -> "nouveau"). */
int root_link_name(int rootfd, const char *path, char *buf, size_t size);

/* Write value (no newline added) to an existing file, truncating it, as `echo > file` does.
 * Never creates and never follows a final symlink. Returns 0 or -errno. */
int root_write(int rootfd, const char *path, const char *value);

/* Write a whole file atomically (tmp + rename), creating parent directories. */
int root_write_atomic(int rootfd, const char *path, const char *data, size_t len, mode_t mode);

/* Does path exist (without following a final link)? */
bool root_exists(int rootfd, const char *path);

/* Strip a leading '/' so the path can be passed to *at() with the root fd. */
static inline const char *root_rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}
