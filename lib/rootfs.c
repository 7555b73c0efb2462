/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Access to files below one root directory fd, so the same code serves "/" and a test tree. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootfs.h"

int root_open(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

ssize_t fd_read_text(int fd, char *buf, size_t size)
{
	size_t len = 0;

	for (;;) {
		ssize_t n;

		if (len + 1 >= size)
			return -EFBIG;
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return len;
}

ssize_t root_read(int rootfd, const char *path, char *buf, size_t size)
{
	ssize_t r;
	int fd;

	fd = openat(rootfd, root_rel(path), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = fd_read_text(fd, buf, size);
	close(fd);
	return r;
}

int fd_read_alloc(int fd, size_t max, char **ret, size_t *ret_len)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nbuf;

			if (cap >= max) {
				free(buf);
				return -EFBIG;
			}
			nbuf = realloc(buf, cap * 2);
			if (!nbuf) {
				free(buf);
				return -ENOMEM;
			}
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			free(buf);
			return -e;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	*ret = buf;
	if (ret_len)
		*ret_len = len;
	return 0;
}

int root_read_alloc(int rootfd, const char *path, char **ret, size_t *ret_len)
{
	int fd, r;

	fd = openat(rootfd, root_rel(path), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = fd_read_alloc(fd, 64u << 20, ret, ret_len);
	close(fd);
	return r;
}

ssize_t root_readlink(int rootfd, const char *path, char *buf, size_t size)
{
	ssize_t n = readlinkat(rootfd, root_rel(path), buf, size);

	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return n;
}

int root_link_name(int rootfd, const char *path, char *buf, size_t size)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;

	n = root_readlink(rootfd, path, target, sizeof(target));
	if (n < 0)
		return n;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= size)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

int root_write(int rootfd, const char *path, const char *value)
{
	size_t len = strlen(value), off = 0;
	int fd, r = 0;

	fd = openat(rootfd, root_rel(path), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, value + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		off += n;
	}
	/* sysfs reports some failures only on close of a buffered write. */
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = -errno;
	return r;
}

static int mkdir_parents(int rootfd, const char *path)
{
	char buf[PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdirat(rootfd, buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

int root_write_atomic(int rootfd, const char *path, const char *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t off = 0;
	int fd, r;

	path = root_rel(path);
	r = mkdir_parents(rootfd, path);
	if (r < 0)
		return r;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(rootfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			close(fd);
			(void)unlinkat(rootfd, tmp, 0);
			return r;
		}
		off += n;
	}
	if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS) {
		r = -errno;
		close(fd);
		(void)unlinkat(rootfd, tmp, 0);
		return r;
	}
	close(fd);
	if (renameat(rootfd, tmp, rootfd, path) < 0) {
		r = -errno;
		(void)unlinkat(rootfd, tmp, 0);
		return r;
	}
	return 0;
}

bool root_exists(int rootfd, const char *path)
{
	struct stat st;

	return fstatat(rootfd, root_rel(path), &st, AT_SYMLINK_NOFOLLOW) == 0;
}
