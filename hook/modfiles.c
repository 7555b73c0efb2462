/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a kernel's module files say without loading them: whether modules.dep or
 * modules.builtin lists a module, and how a module file is compressed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modfiles.h"
#include "rootfs.h"

/* Does modules.dep / modules.builtin list the module file (any compression)? The path
 * is matched after a '/', so "vfio-pci" does not match "nvgrace-gpu-vfio-pci". When path
 * is set, the listed path (the text up to the match's ':' or end of line) is copied there. */
static bool lists_module(const char *text, const char *file, char *path, size_t size)
{
	size_t len = strlen(file);
	const char *p = text;

	while ((p = strstr(p, file))) {
		bool start = p > text && p[-1] == '/';
		char next = p[len];

		if (start && (next == ':' || next == '.' || next == '\n' || next == '\0')) {
			const char *b = p, *e = p + strcspn(p, ":\n");

			while (b > text && b[-1] != '\n')
				b--;
			if (path && (size_t)(e - b) < size) {
				memcpy(path, b, (size_t)(e - b));
				path[e - b] = '\0';
			}
			return true;
		}
		p += len;
	}
	return false;
}

/* 2: built in, 1: a module (its modules.dep path in path), 0: neither, -ENOENT: no
 * modules.dep. */
int module_state(int rootfd, const char *kver, const char *a, const char *b,
			char *path, size_t size)
{
	char file[PATH_MAX], *text;
	bool found;

	*path = '\0';
	(void)snprintf(file, sizeof(file), "/lib/modules/%s/modules.builtin", kver);
	if (root_read_alloc(rootfd, file, &text, NULL) == 0) {
		found = lists_module(text, a, NULL, 0) || lists_module(text, b, NULL, 0);
		free(text);
		if (found)
			return 2;
	}
	(void)snprintf(file, sizeof(file), "/lib/modules/%s/modules.dep", kver);
	if (root_read_alloc(rootfd, file, &text, NULL) == 0) {
		found = lists_module(text, a, path, size) || lists_module(text, b, path, size);
		free(text);
		return found ? 1 : 0;
	}
	return -ENOENT;
}

/* The format of a module file from its magic, as libkmod and the kernel tell it. */
static enum module_compression compression_of(const unsigned char *head, size_t len)
{
	static const unsigned char xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	static const unsigned char zstd[] = { 0x28, 0xb5, 0x2f, 0xfd };
	static const unsigned char gzip[] = { 0x1f, 0x8b };

	if (len >= sizeof(xz) && memcmp(head, xz, sizeof(xz)) == 0)
		return MODULE_COMP_XZ;
	if (len >= sizeof(zstd) && memcmp(head, zstd, sizeof(zstd)) == 0)
		return MODULE_COMP_ZSTD;
	if (len >= sizeof(gzip) && memcmp(head, gzip, sizeof(gzip)) == 0)
		return MODULE_COMP_GZIP;
	return MODULE_COMP_NONE;
}

const char *compression_name(enum module_compression c)
{
	static const char *const names[] = { [MODULE_COMP_NONE] = "none", [MODULE_COMP_XZ] = "xz",
					     [MODULE_COMP_ZSTD] = "zstd",
					     [MODULE_COMP_GZIP] = "gzip" };

	return names[c];
}

/* The kernel's in-kernel module decompression (CONFIG_MODULE_DECOMPRESS), as libkmod reads
 * it: /sys/module/compression names one format; absent, the kernel takes ELF files only. */
enum module_compression kernel_compression(int rootfd)
{
	char buf[32];

	if (root_read(rootfd, "sys/module/compression", buf, sizeof(buf)) <= 0)
		return MODULE_COMP_NONE;
	if (strcmp(buf, "xz") == 0)
		return MODULE_COMP_XZ;
	if (strcmp(buf, "zstd") == 0)
		return MODULE_COMP_ZSTD;
	if (strcmp(buf, "gzip") == 0)
		return MODULE_COMP_GZIP;
	return MODULE_COMP_NONE;
}

/* Reads the first bytes of the module file; -errno when it cannot be opened. */
int module_head(int rootfd, const char *path, enum module_compression *ret)
{
	unsigned char head[8];
	ssize_t n;
	int fd;

	fd = openat(rootfd, root_rel(path), O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n < 0)
		return -EIO;
	*ret = compression_of(head, (size_t)n);
	return 0;
}
