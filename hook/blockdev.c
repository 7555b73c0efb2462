/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Block devices as udev and the kernel publish them: which device holds a path (mountinfo),
 * which one a filesystem UUID names (/dev/disk/by-uuid), and their device numbers. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "blockdev.h"
#include "dirlist.h"
#include "rootfs.h"

/* Only what a filesystem UUID looks like: it becomes a file name below /dev/disk/by-uuid. */
bool valid_uuid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= BLOCKDEV_UUID_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || *s == '-'))
			return false;
	return true;
}

/* A block device's kernel name taken from the last component of a link's target, never
 * followed: "../../sda2" -> "sda2"; "", "." and ".." are refused. */
static int link_block_name(int rootfd, const char *path, char *buf, size_t size)
{
	int r = root_link_name(rootfd, path, buf, size);

	if (r < 0)
		return r;
	if (!buf[0] || strcmp(buf, ".") == 0 || strcmp(buf, "..") == 0)
		return -EINVAL;
	return 0;
}

static int parse_devnum(const char *s, dev_t *ret)
{
	unsigned long maj, min;
	char *end;

	errno = 0;
	maj = strtoul(s, &end, 10);
	if (end == s || *end != ':' || errno)
		return -EINVAL;
	s = end + 1;
	min = strtoul(s, &end, 10);
	if (end == s || *end || errno || maj > 0xfff || min > 0xfffff)
		return -EINVAL;
	*ret = makedev(maj, min);
	return 0;
}

/* The device number of a block device, from /sys/class/block/NAME/dev ("8:2"). */
int block_devnum(int rootfd, const char *name, dev_t *ret)
{
	char path[PATH_MAX], buf[32];
	ssize_t n;

	if (snprintf(path, sizeof(path), "/sys/class/block/%s/dev", name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	n = root_read(rootfd, path, buf, sizeof(buf));
	if (n < 0)
		return n;
	return parse_devnum(buf, ret);
}

/* Resolve a UUID the way udev published it. -ENOENT: no filesystem with that UUID. GRUB
 * compares UUIDs without case; blkid prints them as the filesystem stores them, so the
 * stub's spelling is tried first, then all lower and all upper case. */
int uuid_block_name(int rootfd, const char *uuid, char *buf, size_t size)
{
	static const char dir[] = "/dev/disk/by-uuid/";
	char path[sizeof(dir) + BLOCKDEV_UUID_MAX];
	int r = -ENOENT, pass;

	for (pass = 0; pass < 3 && r == -ENOENT; pass++) {
		char *p = path + strlen(dir);

		(void)snprintf(path, sizeof(path), "%s%s", dir, uuid);
		for (; pass > 0 && *p; p++)
			if (pass == 1 && *p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
			else if (pass == 2 && *p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		r = link_block_name(rootfd, path, buf, size);
	}
	return r;
}

/* Copy one space-separated field, undoing mountinfo's octal escapes (\040). */
static const char *mountinfo_field(const char *p, char *buf, size_t size)
{
	size_t len = 0;

	while (*p == ' ')
		p++;
	while (*p && *p != ' ') {
		char c = *p++;

		if (c == '\\' && p[0] >= '0' && p[0] <= '3' && p[1] >= '0' && p[1] <= '7' &&
		    p[2] >= '0' && p[2] <= '7') {
			c = (char)((p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0'));
			p += 3;
		}
		if (len + 1 < size)
			buf[len++] = c;
	}
	buf[len] = '\0';
	return p;
}

static bool path_under(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

/* Parse one mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - TYPE SOURCE". */
static int parse_mountinfo_line(const char *line, struct mount_info *ret)
{
	char field[PATH_MAX];
	const char *p = line;
	int i;

	for (i = 0; i < 2; i++)
		p = mountinfo_field(p, field, sizeof(field));
	p = mountinfo_field(p, field, sizeof(field));
	if (parse_devnum(field, &ret->devnum) < 0)
		return -EINVAL;
	p = mountinfo_field(p, ret->fsroot, sizeof(ret->fsroot));
	p = mountinfo_field(p, ret->mountpoint, sizeof(ret->mountpoint));
	if (ret->fsroot[0] != '/' || ret->mountpoint[0] != '/')
		return -EINVAL;
	do
		p = mountinfo_field(p, field, sizeof(field));
	while (field[0] && strcmp(field, "-") != 0);
	p = mountinfo_field(p, field, sizeof(field)); /* filesystem type */
	(void)mountinfo_field(p, ret->source, sizeof(ret->source));
	return 0;
}

/* The mount with the longest mount point above path; of equal ones the last, which covers
 * the others. */
int find_mount(int rootfd, const char *path, struct mount_info *ret)
{
	struct mount_info *m = malloc(sizeof(*m));
	size_t best = 0;
	bool found = false;
	char *text, *line, *next;
	int r;

	if (!m)
		return -ENOMEM;
	r = root_read_alloc(rootfd, "/proc/self/mountinfo", &text, NULL);
	if (r < 0) {
		free(m);
		return r;
	}
	for (line = text; line && *line; line = next) {
		size_t len;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (parse_mountinfo_line(line, m) < 0 || !path_under(path, m->mountpoint))
			continue;
		len = strlen(m->mountpoint);
		if (!found || len >= best) {
			*ret = *m;
			best = len;
			found = true;
		}
	}
	free(text);
	free(m);
	return found ? 0 : -ENOENT;
}

/* The kernel name of a mount's source: /dev/mapper/NAME is a link to ../dm-N, /dev/sda2 is
 * the node itself. */
static int source_block_name(int rootfd, const char *source, char *name, size_t size)
{
	const char *base;

	if (strncmp(source, "/dev/", 5) != 0)
		return -ENODEV;
	if (link_block_name(rootfd, source, name, size) == 0)
		return 0;
	base = strrchr(source, '/') + 1;
	if (!*base || strcmp(base, "..") == 0 || strlen(base) >= size)
		return -EINVAL;
	strcpy(name, base);
	return 0;
}

/* The block device of a mount. Filesystems such as btrfs report an anonymous device number
 * (major 0) in mountinfo, so then the source device is looked up instead. */
int mount_block(int rootfd, const struct mount_info *m, char *name, size_t size,
		       dev_t *ret)
{
	char path[PATH_MAX];
	int r;

	if (major(m->devnum) != 0) {
		*ret = m->devnum;
		(void)snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(m->devnum),
			       minor(m->devnum));
		if (link_block_name(rootfd, path, name, size) < 0 &&
		    source_block_name(rootfd, m->source, name, size) < 0)
			(void)snprintf(name, size, "%u:%u", major(m->devnum), minor(m->devnum));
		return 0;
	}
	r = source_block_name(rootfd, m->source, name, size);
	if (r < 0)
		return r;
	return block_devnum(rootfd, name, ret);
}

int find_uuid_of(int rootfd, dev_t devnum, char *buf, size_t size)
{
	char name[NAME_MAX + 1], path[PATH_MAX], **uuids;
	dev_t d;
	int n, i;

	buf[0] = '\0';
	n = dir_list_at(rootfd, "/dev/disk/by-uuid", NULL, 0, &uuids);
	if (n < 0)
		return n == -ENOMEM ? n : 0;
	for (i = 0; i < n; i++) {
		if (!valid_uuid(uuids[i]))
			continue;
		(void)snprintf(path, sizeof(path), "/dev/disk/by-uuid/%s", uuids[i]);
		if (link_block_name(rootfd, path, name, sizeof(name)) == 0 &&
		    block_devnum(rootfd, name, &d) == 0 && d == devnum && strlen(uuids[i]) < size) {
			strcpy(buf, uuids[i]);
			break;
		}
	}
	dir_list_free(uuids);
	return 0;
}
