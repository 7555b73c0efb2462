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
 * Without live, nothing is loaded: *ret_would_load says whether it would have been.
 * Returns 0 or -errno. */
int modules_ensure(struct modules *m, const char *name, bool *ret_would_load);

/* The VFIO variant driver modules.alias names for a device's modalias ("vfio_" + modalias),
 * copied to buf; -ENOENT when there is none (use vfio-pci). */
int modules_vfio_variant(struct modules *m, const char *modalias, char *buf, size_t size);
