/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Block devices as udev and the kernel publish them: which device holds a path (mountinfo),
 * which one a filesystem UUID names (/dev/disk/by-uuid), and their device numbers. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define BLOCKDEV_UUID_MAX 128

/* Only what a filesystem UUID looks like: it becomes a file name below /dev/disk/by-uuid. */
bool valid_uuid(const char *s);

/* The device number of a block device, from /sys/class/block/NAME/dev ("8:2"). */
int block_devnum(int rootfd, const char *name, dev_t *ret);

/* The kernel name of the block device a UUID names, the way udev published it: -ENOENT when
 * no filesystem has that UUID. The spelling given is tried first, then all lower and all
 * upper case (GRUB compares UUIDs without case). */
int uuid_block_name(int rootfd, const char *uuid, char *buf, size_t size);

/* The mount that holds a path, from /proc/self/mountinfo. */
struct mount_info {
	dev_t devnum;
	char mountpoint[PATH_MAX];
	char fsroot[PATH_MAX]; /* the directory of the filesystem mounted there ("/", "/@") */
	char source[PATH_MAX]; /* "/dev/sda2", "rpool/ROOT/debian" */
};

/* The mount with the longest mount point above path; of equal ones the last, which covers
 * the others. -ENOENT when none. */
int find_mount(int rootfd, const char *path, struct mount_info *ret);

/* The block device of a mount: its kernel name in name and its device number. */
int mount_block(int rootfd, const struct mount_info *m, char *name, size_t size, dev_t *ret);

/* The by-uuid name of a block device in buf, "" when udev lists none (or no by-uuid
 * directory). Returns 0 or -ENOMEM. */
int find_uuid_of(int rootfd, dev_t devnum, char *buf, size_t size);
