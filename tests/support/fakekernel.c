/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A user-space stand-in for the kernel's PCI driver core, serving a fake sysfs root. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fakekernel.h"

#define MAX_DRIVERS	128
#define MAX_DEVICES	1024
#define MAX_DYNIDS	256
#define MAX_LIST	64
#define NAME_LEN	64
#define ADDR_LEN	32
#define ANY_ID		0xffffffffu

enum ctl {
	CTL_BIND,
	CTL_UNBIND,
	CTL_NEW_ID,
	CTL_REMOVE_ID,
	CTL_MAX,
};

static const char *const ctl_names[CTL_MAX] = { "bind", "unbind", "new_id", "remove_id" };

struct driver {
	char name[NAME_LEN];
	int fd[CTL_MAX];
	bool hang_unbind;
};

struct dynid {
	char driver[NAME_LEN];
	unsigned int vendor, device, subvendor, subdevice, class, class_mask;
};

struct watch {
	int wd;
	char addr[ADDR_LEN];
};

struct fk {
	int rootfd;
	int inotify_fd;
	int probe_fd;
	FILE *log;
	struct driver drivers[MAX_DRIVERS];
	size_t n_drivers;
	struct dynid dynids[MAX_DYNIDS];
	size_t n_dynids;
	struct watch watches[MAX_DEVICES];
	size_t n_watches;
	char hang[MAX_LIST][ADDR_LEN];
	size_t n_hang;
	char hang_drivers[MAX_LIST][NAME_LEN];
	size_t n_hang_drivers;
	char fail_probe[MAX_LIST][ADDR_LEN];
	size_t n_fail_probe;
	unsigned kill_at, n_writes;
	int kill_sig;
};

/* -1 is drivers_probe: the last thing a client writes. */
static const int serve_order[] = { CTL_UNBIND, CTL_REMOVE_ID, CTL_NEW_ID, CTL_BIND, -1 };

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

__attribute__((format(printf, 3, 4)))
static int pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

__attribute__((format(printf, 2, 3)))
static void logf_event(struct fk *k, const char *fmt, ...)
{
	va_list ap;

	if (!k->log)
		return;
	va_start(ap, fmt);
	vfprintf(k->log, fmt, ap);
	va_end(ap);
	fputc('\n', k->log);
	fflush(k->log);
}

static int read_attr(struct fk *k, const char *path, char *buf, size_t size);

/* One more write to a device served; at the --kill-at one, kill the writer. */
static void count_write(struct fk *k)
{
	char buf[32];
	long pid;

	k->n_writes++;
	if (!k->kill_at || k->n_writes != k->kill_at)
		return;
	if (read_attr(k, ".fake/kill-pid", buf, sizeof(buf)) < 0 || (pid = strtol(buf, NULL, 10)) <= 1) {
		logf_event(k, "kill at write %u: no pid in .fake/kill-pid", k->n_writes);
		return;
	}
	if (kill((pid_t)pid, k->kill_sig) < 0)
		logf_event(k, "kill %ld at write %u: %s", pid, k->n_writes, strerror(errno));
	else
		logf_event(k, "killed %ld (signal %d) after write %u", pid, k->kill_sig, k->n_writes);
}

/* Copy a name into a fixed buffer; false (and nothing copied) when it does not fit. */
static bool copy_name(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size)
		return false;
	memcpy(dst, src, len + 1);
	return true;
}

static void make_link(struct fk *k, const char *target, const char *path)
{
	if (symlinkat(target, k->rootfd, path) < 0 && errno != EEXIST)
		logf_event(k, "error: symlink %s: %s", path, strerror(errno));
}

/* Read a small attribute relative to the root; strips one trailing newline. */
static int read_attr(struct fk *k, const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = openat(k->rootfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* Write a file of the tree; sysfs attributes are never created (--fail-write ENOENT). */
static int write_file(struct fk *k, const char *path, const char *value, bool create)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd;

	fd = openat(k->rootfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NONBLOCK |
		    (create ? O_CREAT : 0), 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	close(fd);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int write_attr(struct fk *k, const char *path, const char *value)
{
	return write_file(k, path, value, false);
}

static bool exists(struct fk *k, const char *path)
{
	return faccessat(k->rootfd, path, F_OK, 0) == 0;
}

static bool in_list(char list[][ADDR_LEN], size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], addr) == 0)
			return true;
	return false;
}

/* The device directory relative to sys/, e.g. "devices/pci0000:00/0000:00:01.0/0000:01:00.0". */
static int device_path(struct fk *k, const char *addr, char *buf, size_t size)
{
	char link[PATH_MAX], target[PATH_MAX];
	const char *p;
	ssize_t n;
	int r;

	r = pathf(link, sizeof(link), "sys/bus/pci/devices/%s", addr);
	if (r < 0)
		return r;
	n = readlinkat(k->rootfd, link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	p = target;
	while (strncmp(p, "../", 3) == 0)
		p += 3;
	return pathf(buf, size, "%s", p);
}

static int depth_of(const char *relpath)
{
	int d = 1;

	for (const char *p = relpath; *p; p++)
		if (*p == '/')
			d++;
	return d;
}

static void dotdots(char *buf, size_t size, int n)
{
	size_t len = 0;

	buf[0] = '\0';
	while (n-- > 0 && len + 3 < size) {
		memcpy(buf + len, "../", 4);
		len += 3;
	}
}

/* Name of the driver the device is bound to; "" when unbound. */
static void device_driver(struct fk *k, const char *addr, char *buf, size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	buf[0] = '\0';
	if (pathf(path, sizeof(path), "sys/bus/pci/devices/%s/driver", addr) < 0)
		return;
	n = readlinkat(k->rootfd, path, target, sizeof(target) - 1);
	if (n < 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	if (!copy_name(buf, size, base ? base + 1 : target))
		buf[0] = '\0';
}

/* driver_override of the device; "" when unset. */
static void device_override(struct fk *k, const char *addr, char *buf, size_t size)
{
	char path[PATH_MAX];

	buf[0] = '\0';
	if (pathf(path, sizeof(path), "sys/bus/pci/devices/%s/driver_override", addr) < 0)
		return;
	if (read_attr(k, path, buf, size) < 0 || strcmp(buf, "(null)") == 0)
		buf[0] = '\0';
}

static unsigned int device_id(struct fk *k, const char *addr, const char *attr)
{
	char path[PATH_MAX], buf[64];

	if (pathf(path, sizeof(path), "sys/bus/pci/devices/%s/%s", addr, attr) < 0)
		return 0;
	if (read_attr(k, path, buf, sizeof(buf)) < 0)
		return 0;
	return (unsigned int)strtoul(buf, NULL, 16);
}

static bool driver_loaded(struct fk *k, const char *drv)
{
	char path[PATH_MAX];

	if (pathf(path, sizeof(path), "sys/bus/pci/drivers/%s", drv) < 0)
		return false;
	return exists(k, path);
}

/* vfio-pci, or a variant driver: its module is a holder of vfio_pci_core. */
static bool is_vfio_driver(struct fk *k, const char *drv)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	if (strcmp(drv, "vfio-pci") == 0)
		return true;
	if (pathf(path, sizeof(path), "sys/bus/pci/drivers/%s/module", drv) < 0)
		return false;
	n = readlinkat(k->rootfd, path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	base = strrchr(target, '/');
	if (pathf(path, sizeof(path), "sys/module/vfio_pci_core/holders/%s",
		  base ? base + 1 : target) < 0)
		return false;
	return exists(k, path);
}

/* The /dev/vfio node of the device's group, relative to the root; -ENOENT without group. */
static int vfio_node(struct fk *k, const char *addr, char *buf, size_t size)
{
	char path[PATH_MAX], target[PATH_MAX], name[64];
	const char *group;
	ssize_t n;

	if (pathf(path, sizeof(path), "sys/bus/pci/devices/%s/iommu_group", addr) < 0)
		return -ENAMETOOLONG;
	n = readlinkat(k->rootfd, path, target, sizeof(target) - 1);
	if (n < 0)
		return -ENOENT;
	target[n] = '\0';
	group = strrchr(target, '/');
	group = group ? group + 1 : target;
	if (pathf(path, sizeof(path), "sys/kernel/iommu_groups/%s/name", group) == 0 &&
	    read_attr(k, path, name, sizeof(name)) == 0 && strcmp(name, "vfio-noiommu") == 0)
		return pathf(buf, size, "dev/vfio/noiommu-%s", group);
	return pathf(buf, size, "dev/vfio/%s", group);
}

/* True when another device of addr's IOMMU group is still on a VFIO driver. */
static bool group_has_other_vfio(struct fk *k, const char *addr)
{
	char path[PATH_MAX], drv[NAME_LEN];
	struct dirent *de;
	bool found = false;
	DIR *d;
	int fd;

	if (pathf(path, sizeof(path), "sys/bus/pci/devices/%s/iommu_group/devices", addr) < 0)
		return false;
	fd = openat(k->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, addr) == 0)
			continue;
		device_driver(k, de->d_name, drv, sizeof(drv));
		found = drv[0] && is_vfio_driver(k, drv);
	}
	closedir(d);
	return found;
}

static int mkdirs(struct fk *k, const char *path);

/* A device of ROOT/.fake/probegroup/ADDR (mkroot's probegroup=N) gets its IOMMU group at
 * its first probe, as arm64's dma_configure gives it: the group link, the group's devices
 * entry, and the group directory if it is the first member. */
static void probe_group(struct fk *k, const char *addr, const char *dev, const char *up)
{
	char path[PATH_MAX], target[PATH_MAX], grp[16];

	if (pathf(path, sizeof(path), "sys/%s/iommu_group", dev) < 0 || exists(k, path))
		return;
	if (pathf(target, sizeof(target), ".fake/probegroup/%s", addr) < 0 ||
	    read_attr(k, target, grp, sizeof(grp)) < 0 || !grp[0])
		return;
	if (pathf(target, sizeof(target), "sys/kernel/iommu_groups/%s/devices", grp) < 0 ||
	    mkdirs(k, target) < 0)
		return;
	if (pathf(target, sizeof(target), "sys/kernel/iommu_groups/%s/type", grp) == 0 &&
	    !exists(k, target))
		(void)write_file(k, target, "DMA\n", true);
	if (pathf(target, sizeof(target), "%skernel/iommu_groups/%s", up, grp) < 0)
		return;
	make_link(k, target, path);
	if (pathf(path, sizeof(path), "sys/kernel/iommu_groups/%s/devices/%s", grp, addr) == 0 &&
	    pathf(target, sizeof(target), "../../../../%s", dev) == 0)
		make_link(k, target, path);
	logf_event(k, "group %s %s (at probe)", addr, grp);
}

static void do_bind(struct fk *k, const char *addr, const char *drv)
{
	char dev[PATH_MAX], path[PATH_MAX], target[PATH_MAX], up[PATH_MAX];

	if (device_path(k, addr, dev, sizeof(dev)) < 0)
		return;
	dotdots(up, sizeof(up), depth_of(dev));
	probe_group(k, addr, dev, up);
	if (pathf(path, sizeof(path), "sys/%s/driver", dev) < 0 ||
	    pathf(target, sizeof(target), "%sbus/pci/drivers/%s", up, drv) < 0)
		return;
	(void)unlinkat(k->rootfd, path, 0);
	if (symlinkat(target, k->rootfd, path) < 0) {
		logf_event(k, "error %s: driver link: %s", addr, strerror(errno));
		return;
	}
	if (pathf(path, sizeof(path), "sys/bus/pci/drivers/%s/%s", drv, addr) == 0 &&
	    pathf(target, sizeof(target), "../../../../%s", dev) == 0) {
		(void)unlinkat(k->rootfd, path, 0);
		make_link(k, target, path);
	}
	if (pathf(path, sizeof(path), "sys/%s/enable", dev) == 0)
		(void)write_attr(k, path, "1\n");
	if (is_vfio_driver(k, drv) && vfio_node(k, addr, path, sizeof(path)) == 0) {
		int fd = openat(k->rootfd, path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		if (fd >= 0)
			close(fd);
	}
	logf_event(k, "bind %s %s", addr, drv);
}

/* A device leaving its VFIO driver loses its vfio_device: DEV/vfio-dev/vfioN (its dev and
 * uevent attributes) and the cdev node dev/vfio/devices/vfioN go. */
static void remove_vfio_dev(struct fk *k, const char *dev)
{
	char path[PATH_MAX], node[PATH_MAX], attr[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int fd;

	if (pathf(path, sizeof(path), "sys/%s/vfio-dev", dev) < 0)
		return;
	fd = openat(k->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "vfio", 4) != 0 ||
		    pathf(node, sizeof(node), "%s/%s", path, de->d_name) < 0)
			continue;
		if (pathf(attr, sizeof(attr), "%s/dev", node) == 0)
			(void)unlinkat(k->rootfd, attr, 0);
		if (pathf(attr, sizeof(attr), "%s/uevent", node) == 0)
			(void)unlinkat(k->rootfd, attr, 0);
		(void)unlinkat(k->rootfd, node, AT_REMOVEDIR);
		if (pathf(node, sizeof(node), "dev/vfio/devices/%s", de->d_name) == 0)
			(void)unlinkat(k->rootfd, node, 0);
	}
	closedir(d);
	(void)unlinkat(k->rootfd, path, AT_REMOVEDIR);
}

static void do_unbind(struct fk *k, const char *addr, const char *drv)
{
	char dev[PATH_MAX], path[PATH_MAX];

	if (device_path(k, addr, dev, sizeof(dev)) < 0)
		return;
	if (is_vfio_driver(k, drv) && !group_has_other_vfio(k, addr) &&
	    vfio_node(k, addr, path, sizeof(path)) == 0)
		(void)unlinkat(k->rootfd, path, 0);
	if (is_vfio_driver(k, drv))
		remove_vfio_dev(k, dev);
	if (pathf(path, sizeof(path), "sys/%s/driver", dev) == 0)
		(void)unlinkat(k->rootfd, path, 0);
	if (pathf(path, sizeof(path), "sys/bus/pci/drivers/%s/%s", drv, addr) == 0)
		(void)unlinkat(k->rootfd, path, 0);
	if (pathf(path, sizeof(path), "sys/%s/enable", dev) == 0)
		(void)write_attr(k, path, "0\n");
	logf_event(k, "unbind %s %s", addr, drv);
}

static bool dynid_matches(struct fk *k, const struct dynid *id, const char *addr)
{
	unsigned int class = device_id(k, addr, "class");

	return (id->vendor == ANY_ID || id->vendor == device_id(k, addr, "vendor")) &&
	       (id->device == ANY_ID || id->device == device_id(k, addr, "device")) &&
	       (id->subvendor == ANY_ID ||
		id->subvendor == device_id(k, addr, "subsystem_vendor")) &&
	       (id->subdevice == ANY_ID ||
		id->subdevice == device_id(k, addr, "subsystem_device")) &&
	       ((class ^ id->class) & id->class_mask) == 0;
}

static bool driver_matches(struct fk *k, const char *addr, const char *drv)
{
	char path[PATH_MAX], native[NAME_LEN];

	for (size_t i = 0; i < k->n_dynids; i++)
		if (strcmp(k->dynids[i].driver, drv) == 0 && dynid_matches(k, &k->dynids[i], addr))
			return true;
	if (pathf(path, sizeof(path), ".fake/native/%s", addr) < 0)
		return false;
	return read_attr(k, path, native, sizeof(native)) == 0 && strcmp(native, drv) == 0;
}

/* What the kernel's device_attach() would pick for an unbound device; "" for none. */
static void choose_driver(struct fk *k, const char *addr, char *buf, size_t size)
{
	char override[NAME_LEN], path[PATH_MAX], native[NAME_LEN];

	buf[0] = '\0';
	device_override(k, addr, override, sizeof(override));
	if (override[0]) {
		if (in_list(k->fail_probe, k->n_fail_probe, addr)) {
			logf_event(k, "probe %s %s failed (--fail-probe)", addr, override);
			return;
		}
		if (driver_loaded(k, override))
			snprintf(buf, size, "%s", override);
		return;
	}
	/* Dynamic ids (new_id) are tried before the native driver. */
	for (size_t i = 0; i < k->n_dynids; i++) {
		if (driver_loaded(k, k->dynids[i].driver) &&
		    dynid_matches(k, &k->dynids[i], addr)) {
			snprintf(buf, size, "%s", k->dynids[i].driver);
			return;
		}
	}
	if (pathf(path, sizeof(path), ".fake/native/%s", addr) < 0)
		return;
	if (read_attr(k, path, native, sizeof(native)) == 0 && native[0] &&
	    driver_loaded(k, native))
		snprintf(buf, size, "%s", native);
}

static bool device_exists(struct fk *k, const char *addr)
{
	char path[PATH_MAX];

	return pathf(path, sizeof(path), "sys/bus/pci/devices/%s", addr) == 0 && exists(k, path);
}

static void handle_probe(struct fk *k, const char *addr)
{
	char cur[NAME_LEN], drv[NAME_LEN];

	if (!device_exists(k, addr))
		return;
	device_driver(k, addr, cur, sizeof(cur));
	if (cur[0])
		return;
	choose_driver(k, addr, drv, sizeof(drv));
	if (drv[0])
		do_bind(k, addr, drv);
	else
		logf_event(k, "probe %s: no driver", addr);
}

static void handle_bind(struct fk *k, const char *addr, const char *drv)
{
	char cur[NAME_LEN], override[NAME_LEN];

	if (!device_exists(k, addr))
		return;
	device_driver(k, addr, cur, sizeof(cur));
	if (cur[0])
		return;
	device_override(k, addr, override, sizeof(override));
	if (override[0]) {
		if (strcmp(override, drv) != 0)
			return;
		if (in_list(k->fail_probe, k->n_fail_probe, addr)) {
			logf_event(k, "bind %s %s failed (--fail-probe)", addr, drv);
			return;
		}
	} else if (!driver_matches(k, addr, drv)) {
		logf_event(k, "bind %s %s: no match", addr, drv);
		return;
	}
	do_bind(k, addr, drv);
}

static void handle_unbind(struct fk *k, const char *addr, const char *drv)
{
	char cur[NAME_LEN];

	device_driver(k, addr, cur, sizeof(cur));
	if (strcmp(cur, drv) == 0)
		do_unbind(k, addr, drv);
}

/* Attach every unbound device a new dynamic id matches, as driver_attach() does. */
static void attach_dynid(struct fk *k, const struct dynid *id)
{
	char cur[NAME_LEN], override[NAME_LEN];
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(k->rootfd, "sys/bus/pci/devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		device_driver(k, de->d_name, cur, sizeof(cur));
		device_override(k, de->d_name, override, sizeof(override));
		if (cur[0] || (override[0] && strcmp(override, id->driver) != 0))
			continue;
		if (dynid_matches(k, id, de->d_name))
			do_bind(k, de->d_name, id->driver);
	}
	closedir(d);
}

static void handle_new_id(struct fk *k, const char *drv, const char *line, bool add)
{
	unsigned int v[7] = { 0, 0, ANY_ID, ANY_ID, 0, 0, 0 };
	struct dynid id;
	int n;

	n = sscanf(line, "%x %x %x %x %x %x %x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &v[6]);
	if (n < 2)
		return;
	memset(&id, 0, sizeof(id));
	snprintf(id.driver, sizeof(id.driver), "%s", drv);
	id.vendor = v[0];
	id.device = v[1];
	id.subvendor = v[2];
	id.subdevice = v[3];
	id.class = v[4];
	id.class_mask = v[5];
	if (!add) {
		for (size_t i = 0; i < k->n_dynids; i++) {
			struct dynid *o = &k->dynids[i];

			if (strcmp(o->driver, drv) == 0 && o->vendor == id.vendor &&
			    o->device == id.device && o->subvendor == id.subvendor &&
			    o->subdevice == id.subdevice) {
				k->dynids[i] = k->dynids[--k->n_dynids];
				logf_event(k, "remove_id %s %04x:%04x", drv, id.vendor, id.device);
				return;
			}
		}
		return;
	}
	if (k->n_dynids >= MAX_DYNIDS)
		return;
	k->dynids[k->n_dynids++] = id;
	logf_event(k, "new_id %s %04x:%04x", drv, id.vendor, id.device);
	attach_dynid(k, &id);
}

/*
 * Pull PCI addresses (hex:hh:hh.h) out of what was written. Writers may or may not end
 * with a newline, and several writes can arrive in one read, so parse by shape.
 */
static size_t parse_addrs(const char *buf, char out[][ADDR_LEN], size_t max)
{
	size_t n = 0;
	const char *p = buf;

	while (*p && n < max) {
		const char *s = p;
		size_t dom = 0;
		char addr[ADDR_LEN];

		while (isxdigit((unsigned char)*p))
			p++, dom++;
		if (dom >= 1 && dom <= 8 && p[0] == ':' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2]) && p[3] == ':' &&
		    isxdigit((unsigned char)p[4]) && isxdigit((unsigned char)p[5]) &&
		    p[6] == '.' && p[7] >= '0' && p[7] <= '7') {
			size_t len = (size_t)(p + 8 - s);
			size_t i;

			memcpy(addr, s, len);
			addr[len] = '\0';
			for (i = 0; i < len; i++)
				addr[i] = (char)tolower((unsigned char)addr[i]);
			snprintf(out[n++], ADDR_LEN, "%s", addr);
			p += 8;
			continue;
		}
		p = (s == p) ? p + 1 : p;
	}
	return n;
}

/* Log a driver_override write the way the kernel would then show it. */
static void log_override(struct fk *k, const char *addr)
{
	char path[PATH_MAX], buf[NAME_LEN + 8], want[NAME_LEN + 8];
	size_t len;
	ssize_t n;
	int fd;

	if (pathf(path, sizeof(path), "sys/bus/pci/devices/%s/driver_override", addr) < 0)
		return;
	fd = openat(k->rootfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return;
	buf[n] = '\0';
	/* The kernel keeps the text up to the first newline; empty clears it. */
	len = strcspn(buf, "\n");
	if (len == 0)
		snprintf(want, sizeof(want), "(null)\n");
	else
		snprintf(want, sizeof(want), "%.*s\n", (int)len, buf);
	if (strcmp(buf, want) == 0)
		return;
	/* Only logged, not rewritten as the kernel would show it: a rewrite races with a
	 * writer that truncates and writes again (a clear right after a set came back as the
	 * old value). Readers here and in the tests take "" as "(null)". */
	logf_event(k, "driver_override %s %.*s", addr, (int)strcspn(want, "\n"), want);
	count_write(k);
}

static void watch_devices(struct fk *k)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(k->rootfd, "sys/bus/pci/devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) && k->n_watches < MAX_DEVICES) {
		int wd;

		if (de->d_name[0] == '.')
			continue;
		if (pathf(path, sizeof(path), "/proc/self/fd/%d/sys/bus/pci/devices/%s",
			  k->rootfd, de->d_name) < 0)
			continue;
		if (!copy_name(k->watches[k->n_watches].addr, ADDR_LEN, de->d_name))
			continue;
		wd = inotify_add_watch(k->inotify_fd, path, IN_CLOSE_WRITE);
		if (wd < 0)
			continue;
		k->watches[k->n_watches].wd = wd;
		k->n_watches++;
		log_override(k, de->d_name);
	}
	closedir(d);
}

static void handle_inotify(struct fk *k)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(k->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			p += sizeof(*ev) + ev->len;
			if (ev->len == 0 || strcmp(ev->name, "driver_override") != 0)
				continue;
			for (size_t i = 0; i < k->n_watches; i++)
				if (k->watches[i].wd == ev->wd)
					log_override(k, k->watches[i].addr);
		}
	}
}

/* Make path a FIFO (it may be a regular file left by mkroot.sh, or missing). */
static int ensure_fifo(struct fk *k, const char *path)
{
	struct stat st;

	if (fstatat(k->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISFIFO(st.st_mode))
			return 0;
		if (unlinkat(k->rootfd, path, 0) < 0)
			return -errno;
	}
	if (mkfifoat(k->rootfd, path, 0200) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int open_fifo(struct fk *k, const char *path)
{
	int r = ensure_fifo(k, path);

	if (r < 0)
		return r;
	r = openat(k->rootfd, path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

static bool hangs(struct fk *k, const char *drv)
{
	for (size_t i = 0; i < k->n_hang_drivers; i++)
		if (strcmp(k->hang_drivers[i], drv) == 0)
			return true;
	return false;
}

static void add_driver(struct fk *k, const char *name)
{
	struct driver *d;
	char path[PATH_MAX];

	if (k->n_drivers >= MAX_DRIVERS)
		return;
	d = &k->drivers[k->n_drivers];
	memset(d, 0, sizeof(*d));
	if (!copy_name(d->name, sizeof(d->name), name))
		return;
	d->hang_unbind = hangs(k, name);
	for (int c = 0; c < CTL_MAX; c++) {
		d->fd[c] = -1;
		if (pathf(path, sizeof(path), "sys/bus/pci/drivers/%s/%s", name, ctl_names[c]) < 0)
			continue;
		if (c == CTL_UNBIND && d->hang_unbind) {
			(void)ensure_fifo(k, path);
			continue;
		}
		d->fd[c] = open_fifo(k, path);
	}
	k->n_drivers++;
	logf_event(k, "driver %s%s", name, d->hang_unbind ? " (unbind hangs)" : "");
}

static void drop_driver(struct fk *k, size_t i)
{
	for (int c = 0; c < CTL_MAX; c++)
		if (k->drivers[i].fd[c] >= 0)
			close(k->drivers[i].fd[c]);
	logf_event(k, "driver %s gone", k->drivers[i].name);
	k->drivers[i] = k->drivers[--k->n_drivers];
}

/* Pick up driver directories that appeared (module loaded) or went away (unloaded). */
static void scan_drivers(struct fk *k)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int fd;

	for (size_t i = 0; i < k->n_drivers;) {
		if (!driver_loaded(k, k->drivers[i].name)) {
			drop_driver(k, i);
			continue;
		}
		i++;
	}
	fd = openat(k->rootfd, "sys/bus/pci/drivers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		bool known = false;

		if (de->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < k->n_drivers && !known; i++)
			known = strcmp(k->drivers[i].name, de->d_name) == 0;
		if (known)
			continue;
		if (pathf(path, sizeof(path), "sys/bus/pci/drivers/%s", de->d_name) < 0)
			continue;
		add_driver(k, de->d_name);
	}
	closedir(d);
}

static int mkdirs(struct fk *k, const char *path)
{
	char buf[PATH_MAX];

	if (pathf(buf, sizeof(buf), "%s", path) < 0)
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdirat(k->rootfd, buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdirat(k->rootfd, buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Register a driver as its module's init would: NAME[:MODULE]. */
static int load_driver(struct fk *k, const char *spec)
{
	char name[NAME_LEN], mod[NAME_LEN], path[PATH_MAX], target[PATH_MAX];
	const char *colon = strchr(spec, ':');

	if (colon) {
		snprintf(name, sizeof(name), "%.*s", (int)(colon - spec), spec);
		snprintf(mod, sizeof(mod), "%s", colon + 1);
	} else {
		snprintf(name, sizeof(name), "%s", spec);
		snprintf(mod, sizeof(mod), "%s", spec);
		for (char *p = mod; *p; p++)
			if (*p == '-')
				*p = '_';
	}
	if (!name[0] || !mod[0] || strchr(name, '/') || strchr(mod, '/'))
		return -EINVAL;
	if (pathf(path, sizeof(path), "sys/bus/pci/drivers/%s", name) < 0 || mkdirs(k, path) < 0)
		return -EIO;
	if (pathf(path, sizeof(path), "sys/module/%s/holders", mod) < 0 || mkdirs(k, path) < 0)
		return -EIO;
	if (pathf(path, sizeof(path), "sys/module/%s/drivers", mod) < 0 || mkdirs(k, path) < 0)
		return -EIO;
	if (pathf(path, sizeof(path), "sys/module/%s/initstate", mod) == 0)
		(void)write_file(k, path, "live\n", true);
	if (pathf(path, sizeof(path), "sys/bus/pci/drivers/%s/module", name) == 0 &&
	    pathf(target, sizeof(target), "../../../../module/%s", mod) == 0)
		make_link(k, target, path);
	if (pathf(path, sizeof(path), "sys/module/%s/drivers/pci:%s", mod, name) == 0 &&
	    pathf(target, sizeof(target), "../../../bus/pci/drivers/%s", name) == 0)
		make_link(k, target, path);
	if (strcmp(name, "vfio-pci") == 0) {
		(void)mkdirs(k, "sys/module/vfio_pci_core/holders");
		(void)write_file(k, "sys/module/vfio_pci_core/initstate", "live\n", true);
		make_link(k, "../../vfio_pci", "sys/module/vfio_pci_core/holders/vfio_pci");
		(void)mkdirs(k, "dev/vfio");
		(void)write_file(k, "dev/vfio/vfio", "", true);
	}
	logf_event(k, "load %s (module %s)", name, mod);
	return 0;
}

static int apply_fail_write(struct fk *k, const char *spec)
{
	char addr[ADDR_LEN], attr[NAME_LEN], err[NAME_LEN], path[PATH_MAX];
	const char *a, *b;

	/* The address itself contains colons: ATTR and ERRNO are the last two fields. */
	b = strrchr(spec, ':');
	if (!b || b == spec)
		return -EINVAL;
	for (a = b - 1; a > spec && *a != ':'; a--)
		;
	if (a == spec || (size_t)(a - spec) >= sizeof(addr))
		return -EINVAL;
	snprintf(addr, sizeof(addr), "%.*s", (int)(a - spec), spec);
	snprintf(attr, sizeof(attr), "%.*s", (int)(b - a - 1), a + 1);
	snprintf(err, sizeof(err), "%s", b + 1);
	if (!attr[0] || strchr(attr, '/'))
		return -EINVAL;
	if (pathf(path, sizeof(path), "sys/bus/pci/devices/%s/%s", addr, attr) < 0)
		return -EINVAL;
	if (strcmp(err, "EISDIR") == 0) {
		(void)unlinkat(k->rootfd, path, 0);
		if (mkdirat(k->rootfd, path, 0755) < 0 && errno != EEXIST)
			return -errno;
	} else if (strcmp(err, "ENOENT") == 0) {
		if (unlinkat(k->rootfd, path, 0) < 0 && errno != ENOENT)
			return -errno;
	} else if (strcmp(err, "EACCES") == 0) {
		/* Read-only for its owner: a writer without CAP_DAC_OVERRIDE gets EACCES, as
		 * from a sysfs attribute a security module refuses. */
		if (fchmodat(k->rootfd, path, 0444, 0) < 0)
			return -errno;
	} else if (strcmp(err, "ENXIO") == 0) {
		int r = ensure_fifo(k, path);

		if (r < 0)
			return r;
	} else {
		return -EINVAL;
	}
	logf_event(k, "fail-write %s %s %s", addr, attr, err);
	return 0;
}

static void add_hang(struct fk *k, const char *addr)
{
	char drv[NAME_LEN];

	if (k->n_hang >= MAX_LIST || in_list(k->hang, k->n_hang, addr))
		return;
	snprintf(k->hang[k->n_hang++], ADDR_LEN, "%s", addr);
	device_driver(k, addr, drv, sizeof(drv));
	if (drv[0] && !hangs(k, drv) && k->n_hang_drivers < MAX_LIST)
		snprintf(k->hang_drivers[k->n_hang_drivers++], NAME_LEN, "%s", drv);
}

static void read_hang_file(struct fk *k)
{
	char buf[4096], addrs[MAX_LIST][ADDR_LEN];
	size_t n;

	if (read_attr(k, ".fake/hang-unbind", buf, sizeof(buf)) < 0)
		return;
	n = parse_addrs(buf, addrs, MAX_LIST);
	for (size_t i = 0; i < n; i++)
		add_hang(k, addrs[i]);
}

static void serve_fifo(struct fk *k, int fd, const struct driver *d, int ctl);

/*
 * A writer's unbind happens before its drivers_probe (the real files are synchronous),
 * but our FIFOs return at once: by the time a probe of X is read, the unbind of X may
 * still sit unread in its FIFO, even when poll() did not report it. Serve every pending
 * unbind before acting on a probe.
 */
static void drain_unbinds(struct fk *k)
{
	for (size_t i = 0; i < k->n_drivers; i++)
		if (k->drivers[i].fd[CTL_UNBIND] >= 0)
			serve_fifo(k, k->drivers[i].fd[CTL_UNBIND], &k->drivers[i], CTL_UNBIND);
}

static void serve_fifo(struct fk *k, int fd, const struct driver *d, int ctl)
{
	char buf[4097], addrs[MAX_LIST][ADDR_LEN];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		size_t count;

		buf[n] = '\0';
		if (ctl == CTL_NEW_ID || ctl == CTL_REMOVE_ID) {
			for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
				handle_new_id(k, d->name, line, ctl == CTL_NEW_ID);
			continue;
		}
		count = parse_addrs(buf, addrs, MAX_LIST);
		for (size_t i = 0; i < count; i++) {
			if (!d) {
				drain_unbinds(k);
				handle_probe(k, addrs[i]);
			} else if (ctl == CTL_BIND) {
				handle_bind(k, addrs[i], d->name);
			} else {
				handle_unbind(k, addrs[i], d->name);
			}
			count_write(k);
		}
	}
}

static void fk_close(struct fk *k)
{
	while (k->n_drivers > 0) {
		for (int c = 0; c < CTL_MAX; c++)
			if (k->drivers[k->n_drivers - 1].fd[c] >= 0)
				close(k->drivers[k->n_drivers - 1].fd[c]);
		k->n_drivers--;
	}
	if (k->probe_fd >= 0)
		close(k->probe_fd);
	if (k->inotify_fd >= 0)
		close(k->inotify_fd);
	if (k->log)
		fclose(k->log);
	if (k->rootfd >= 0)
		close(k->rootfd);
}

static int fk_setup(struct fk *k, const char *root, const struct fk_opts *opts)
{
	char path[PATH_MAX];
	int r;

	k->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (k->rootfd < 0)
		return -errno;
	if (!exists(k, "sys/bus/pci/devices"))
		return -ENOENT;
	(void)mkdirs(k, ".fake");
	if (opts && opts->log_path)
		snprintf(path, sizeof(path), "%s", opts->log_path);
	else if (pathf(path, sizeof(path), "%s/.fake/log", root) < 0)
		return -ENAMETOOLONG;
	k->log = fopen(path, "ae");
	k->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (k->inotify_fd < 0)
		return -errno;

	for (const char *const *p = opts ? opts->load_drivers : NULL; p && *p; p++) {
		r = load_driver(k, *p);
		if (r < 0)
			return r;
	}
	for (const char *const *p = opts ? opts->fail_write : NULL; p && *p; p++) {
		r = apply_fail_write(k, *p);
		if (r < 0)
			return r;
	}
	for (const char *const *p = opts ? opts->fail_probe : NULL; p && *p; p++) {
		if (k->n_fail_probe < MAX_LIST)
			snprintf(k->fail_probe[k->n_fail_probe++], ADDR_LEN, "%s", *p);
	}
	for (const char *const *p = opts ? opts->hang_unbind : NULL; p && *p; p++)
		add_hang(k, *p);
	if (opts && opts->kill_at) {
		k->kill_at = opts->kill_at;
		k->kill_sig = opts->kill_sig ? opts->kill_sig : SIGKILL;
	}
	read_hang_file(k);

	k->probe_fd = open_fifo(k, "sys/bus/pci/drivers_probe");
	if (k->probe_fd < 0)
		return k->probe_fd;
	scan_drivers(k);
	watch_devices(k);
	return 0;
}

int fakekernel_run(const char *root, const struct fk_opts *opts, int ready_fd)
{
	struct pollfd pfds[2 + MAX_DRIVERS * CTL_MAX];
	struct fk *k;
	struct sigaction sa;
	sigset_t block, orig;
	char ready[PATH_MAX];
	int r;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->rootfd = k->inotify_fd = k->probe_fd = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);

	r = fk_setup(k, root, opts);
	if (r < 0)
		goto out;

	if (pathf(ready, sizeof(ready), "%s/.fake/ready", root) == 0) {
		char pid[32];

		snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		(void)write_file(k, ".fake/ready", pid, true);
	}
	logf_event(k, "ready");
	if (ready_fd >= 0) {
		(void)!write(ready_fd, "R", 1);
		close(ready_fd);
	}

	while (!stop_requested) {
		struct { const struct driver *d; int ctl; } who[2 + MAX_DRIVERS * CTL_MAX];
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nfds_t n = 0;
		int ready_count;

		pfds[n].fd = k->probe_fd;
		pfds[n].events = POLLIN;
		who[n].d = NULL;
		who[n++].ctl = -1;
		pfds[n].fd = k->inotify_fd;
		pfds[n].events = POLLIN;
		who[n].d = NULL;
		who[n++].ctl = -2;
		for (size_t i = 0; i < k->n_drivers; i++) {
			for (int c = 0; c < CTL_MAX; c++) {
				if (k->drivers[i].fd[c] < 0)
					continue;
				pfds[n].fd = k->drivers[i].fd[c];
				pfds[n].events = POLLIN;
				who[n].d = &k->drivers[i];
				who[n++].ctl = c;
			}
		}
		ready_count = ppoll(pfds, n, &ts, &orig);
		if (ready_count < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		/* Override writes first: a writer sets driver_override, then probes. */
		if (pfds[1].revents & POLLIN)
			handle_inotify(k);
		/*
		 * The real files are synchronous: a write to unbind returns after the unbind.
		 * Ours return at once, so a writer's "unbind, then drivers_probe" can arrive
		 * in one batch. Serve in the order a driver-core client depends on.
		 */
		for (size_t o = 0; o < sizeof(serve_order) / sizeof(serve_order[0]); o++) {
			for (nfds_t i = 0; i < n; i++) {
				if (who[i].ctl != serve_order[o] || !(pfds[i].revents & POLLIN))
					continue;
				serve_fifo(k, pfds[i].fd, who[i].d, who[i].ctl);
			}
		}
		/* Serving may have dropped or added drivers: rescan before the next poll. */
		scan_drivers(k);
	}
	(void)unlinkat(k->rootfd, ".fake/ready", 0);
	logf_event(k, "stop");
out:
	if (r < 0 && ready_fd >= 0)
		close(ready_fd);
	fk_close(k);
	free(k);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return r;
}

int fakekernel_start(const char *root, const struct fk_opts *opts, pid_t *ret_pid)
{
	int pipefd[2];
	pid_t pid;
	char c;
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(pipefd[0]);
		close(pipefd[1]);
		return -e;
	}
	if (pid == 0) {
		close(pipefd[0]);
		_exit(fakekernel_run(root, opts, pipefd[1]) < 0 ? 1 : 0);
	}
	close(pipefd[1]);
	do
		n = read(pipefd[0], &c, 1);
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n != 1) {
		(void)waitpid(pid, NULL, 0);
		return -EIO;
	}
	*ret_pid = pid;
	return 0;
}

int fakekernel_stop(pid_t pid)
{
	int status;

	if (kill(pid, SIGTERM) < 0)
		return -errno;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}
