/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel modules: the one seam where gpu-vfio talks to libkmod (tests replace this file). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct modules;

/* Prepare for the kernel the root runs (proc/sys/kernel/osrelease, lib/modules/KVER).
 * live: the root is the running system, so modules may really be loaded. */
int modules_new(int rootfd, bool live, struct modules **ret);
void modules_free(struct modules *m);

/* Load a module (with its dependencies) unless it is loaded or built in.
 * Without live, nothing is loaded: *ret_would_load says whether it would have been, and
 * -ENOENT when modules.dep names a file that is not there.
 * Returns 0 or -errno. */
int modules_ensure(struct modules *m, const char *name, bool *ret_would_load);

/* The VFIO variant driver modules.alias names for a device's modalias ("vfio_" + modalias),
 * copied to buf; -ENOENT when there is none (use vfio-pci). Of several, libvirt's rule: the
 * one whose matching vfio_pci: pattern has the fewest wildcards ('*', '?'); a tie goes to
 * the module name first in byte order. */
int modules_vfio_variant(struct modules *m, const char *modalias, char *buf, size_t size);

/* The compressed formats of module files (.ko.xz, .ko.zst, .ko.gz). */
enum module_compression {
	MODULE_COMP_NONE,
	MODULE_COMP_XZ,
	MODULE_COMP_ZSTD,
	MODULE_COMP_GZIP,
};

/* Does this binary decompress c itself (libkmod with the decoder linked in)? For
 * MODULE_COMP_NONE: does it read module files at all (false in the test stand-ins)? */
bool modules_can_decompress(enum module_compression c);

/* What a load would read of a module file: the file PATH (relative to the module directory,
 * lib/modules/KVER, as modules.dep names it) opened and parsed by libkmod, which
 * decompresses it in userspace as a load without the kernel's help does. */
struct module_info {
	char name[64];      /* modinfo name=, else the file's module name */
	char vermagic[160]; /* modinfo vermagic= ("" if the module has none) */
};

/* Returns 0, -ENOENT (no module directory, no such file), or libkmod's -errno for a file
 * it cannot read (-EINVAL/-ENOEXEC: corrupt, or a format it cannot decompress). */
int modules_modinfo(struct modules *m, const char *path, struct module_info *ret);
