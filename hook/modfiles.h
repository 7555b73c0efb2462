/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a kernel's module files say without loading them: whether modules.dep or
 * modules.builtin lists a module, and how a module file is compressed. */
#pragma once

#include <stddef.h>

#include "modules.h"

/* Is the module file a or b (any compression) in kver's modules.builtin or modules.dep?
 * 2: built in, 1: a module (its modules.dep path in path), 0: neither, -ENOENT: no
 * modules.dep. */
int module_state(int rootfd, const char *kver, const char *a, const char *b, char *path,
		 size_t size);

/* "none", "xz", "zstd", "gzip". */
const char *compression_name(enum module_compression c);

/* The kernel's in-kernel module decompression (CONFIG_MODULE_DECOMPRESS), as libkmod reads
 * it: /sys/module/compression names one format; absent, the kernel takes ELF files only. */
enum module_compression kernel_compression(int rootfd);

/* The compression of the module file at path, from its first bytes; -errno when it cannot
 * be opened or read. */
int module_head(int rootfd, const char *path, enum module_compression *ret);
