/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PCI devices and IOMMU groups of a machine, as sysfs shows them below the root fd. */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pci.h"
#include "rootfs.h"

#define DEVICES_DIR "sys/bus/pci/devices"

/* Open a sysfs attribute: never blocking (a FIFO in a crafted root), and only a regular
 * file, as every PCI attribute of sysfs is (-EBADFD otherwise). */
static int open_attr(int dirfd, const char *name)
{
	struct stat st;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EBADFD;
	}
	return fd;
}

const char *pci_attr_strerror(int err)
{
	if (err == -EBADFD)
		return "not a regular file";
	if (err == -EINVAL)
		return "not a valid value";
	return strerror(-err);
}

/* Attributes are read relative to the device directory's fd: one path component each,
 * no path building, which is most of what a scan of thousands of devices costs. */
static ssize_t read_at(int dirfd, const char *name, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open_attr(dirfd, name);
	if (fd < 0)
		return fd;
	n = fd_read_text(fd, buf, size);
	close(fd);
	return n;
}

static int read_hex_at(int dirfd, const char *name, uint32_t *ret)
{
	char buf[32], *end;
	unsigned long v;
	ssize_t n;

	n = read_at(dirfd, name, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	errno = 0;
	v = strtoul(buf, &end, 16);
	if (errno || end == buf || *end || v > 0xffffffffUL)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int read_int_at(int dirfd, const char *name, int *ret)
{
	char buf[32], *end;
	long v;
	ssize_t n;

	n = read_at(dirfd, name, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || *end || v < INT_MIN || v > INT_MAX)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/* A vfio-noiommu group is named so; IOMMU groups have no name file otherwise. */
bool pci_group_is_noiommu(int rootfd, int g)
{
	char path[64], buf[32];

	snprintf(path, sizeof(path), "sys/kernel/iommu_groups/%d/name", g);
	return root_read(rootfd, path, buf, sizeof(buf)) > 0 && strcmp(buf, "vfio-noiommu") == 0;
}

/* The mutable part, read from an open device directory: driver, override, IOMMU group. */
static void refresh_at(int devfd, struct pci_dev *d, bool override)
{
	char buf[32];

	if (root_link_name(devfd, "driver", d->driver, sizeof(d->driver)) < 0)
		d->driver[0] = '\0';
	d->override[0] = '\0';
	if (override && (read_at(devfd, "driver_override", d->override, sizeof(d->override)) < 0 ||
			 strcmp(d->override, "(null)") == 0))
		d->override[0] = '\0';
	d->iommu_group = -1;
	if (root_link_name(devfd, "iommu_group", buf, sizeof(buf)) == 0) {
		char *end;
		long g = strtol(buf, &end, 10);

		if (end != buf && !*end && g >= 0 && g <= INT_MAX) {
			d->iommu_group = (int)g;
		}
	}
}

static int open_dev(int rootfd, const char *address)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), DEVICES_DIR "/%s", address);
	fd = openat(rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int pci_refresh(int rootfd, struct pci_dev *d)
{
	int devfd = open_dev(rootfd, d->address);

	if (devfd < 0)
		return -ENODEV;
	refresh_at(devfd, d, true);
	close(devfd);
	return 0;
}

/* The start of config space: ids and header type in one read. */
static ssize_t read_config(int devfd, unsigned char *cfg, size_t size)
{
	ssize_t n;
	int fd;

	fd = open_attr(devfd, "config");
	if (fd < 0)
		return fd;
	n = pread(fd, cfg, size, 0);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

static uint16_t le16(const unsigned char *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

static char *put_hex(char *p, const char *prefix, uint32_t v, int digits)
{
	static const char hex[] = "0123456789ABCDEF";

	while (*prefix)
		*p++ = *prefix++;
	while (digits--)
		*p++ = hex[(v >> (4 * digits)) & 0xf];
	return p;
}

/* "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", without printf's cost per device. */
static void format_modalias(struct pci_dev *d)
{
	char *p = d->modalias;

	p = put_hex(p, "pci:v", d->vendor, 8);
	p = put_hex(p, "d", d->device, 8);
	p = put_hex(p, "sv", d->subvendor, 8);
	p = put_hex(p, "sd", d->subdevice, 8);
	p = put_hex(p, "bc", d->class >> 16, 2);
	p = put_hex(p, "sc", d->class >> 8, 2);
	p = put_hex(p, "i", d->class, 2);
	*p = '\0';
}

/* "sys/bus/pci/devices/ADDRESS/NAME", relative to the root fd. Reading attributes by path
 * costs fewer syscalls than opening the device's directory for one or two of them. */
static const char *dev_attr(char *buf, size_t size, const struct pci_dev *d, const char *name)
{
	int n = snprintf(buf, size, DEVICES_DIR "/%s/%s", d->address, name);

	return n > 0 && (size_t)n < size ? buf : "";
}

void pci_read_subsys(int rootfd, struct pci_dev *d)
{
	char path[96];
	uint32_t v;

	if (!d->subsys_pending)
		return;
	d->subsys_pending = false;
	if (read_hex_at(rootfd, dev_attr(path, sizeof(path), d, "subsystem_vendor"), &v) == 0)
		d->subvendor = (uint16_t)v;
	if (read_hex_at(rootfd, dev_attr(path, sizeof(path), d, "subsystem_device"), &v) == 0)
		d->subdevice = (uint16_t)v;
}

void pci_read_details(int rootfd, struct pci_dev *d)
{
	char path[96];

	/* Only a function whose config space reads vendor 0xffff can be a VF. */
	d->is_vf = d->maybe_vf && faccessat(rootfd, dev_attr(path, sizeof(path), d, "physfn"), F_OK,
					    AT_SYMLINK_NOFOLLOW) == 0;
	if (read_int_at(rootfd, dev_attr(path, sizeof(path), d, "sriov_numvfs"),
			&d->sriov_numvfs) < 0)
		d->sriov_numvfs = -1;
	pci_read_subsys(rootfd, d);
	/* The kernel's modalias attribute is made of these fields (pci-sysfs.c), in this
	 * format since 2.6: no need to read it. */
	format_modalias(d);
}

void pci_read_numa(int rootfd, struct pci_dev *d)
{
	char path[96];

	if (read_int_at(rootfd, dev_attr(path, sizeof(path), d, "numa_node"), &d->numa_node) < 0)
		d->numa_node = -1;
}

static int hexdigits(const char *s, size_t n, uint32_t *ret)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint32_t)(c - 'a' + 10);
		else
			return -1;
	}
	*ret = v;
	return 0;
}

bool pci_address_key(const char *a, uint64_t *ret)
{
	size_t dl = strcspn(a, ":");
	uint32_t dom, bus, slot, fn;

	/* "dddd:bb:ss.f", domain 4 to 8 digits, lower case, as the kernel names devices. */
	if (dl < 4 || dl > 8 || strlen(a) != dl + 8 || a[dl + 3] != ':' || a[dl + 6] != '.' ||
	    hexdigits(a, dl, &dom) < 0 || hexdigits(a + dl + 1, 2, &bus) < 0 ||
	    hexdigits(a + dl + 4, 2, &slot) < 0 || hexdigits(a + dl + 7, 1, &fn) < 0 ||
	    slot > 0x1f || fn > 7)
		return false;
	*ret = (uint64_t)dom << 16 | bus << 8 | slot << 3 | fn;
	return true;
}

/* Record an attribute that could not be read ("class: not a valid value; boot_vga: ...");
 * the device stays in the machine. */
static void set_bad(struct pci_dev *d, const char *attr, int err)
{
	size_t n = strlen(d->bad);

	snprintf(d->bad + n, sizeof(d->bad) - n, "%s%s: %s", n ? "; " : "", attr,
		 pci_attr_strerror(err));
}

static int scan_one(int devsfd, const char *name, struct pci_dev *d)
{
	unsigned char cfg[0x30] = { 0 };
	uint32_t v;
	ssize_t n;
	int devfd, r;

	memset(d, 0, sizeof(*d));
	/* Only the kernel's own names are devices: "dddd:bb:ss.f", lower case. Anything else
	 * ("01:00.0", "0000:0A:00.0") would list a device twice or invent one. Names come from
	 * the directory, but never let one become a path with ".." in it. */
	if (!pci_address_key(name, &d->key))
		return -EINVAL;
	strcpy(d->address, name);
	devfd = openat(devsfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (devfd < 0)
		return -errno;

	/* Config space has the ids and header type in one read; a VF's reads 0xffff (the
	 * kernel's attribute files have its real ids) and a bridge keeps its subsystem ids
	 * in a capability: those two read the files. */
	n = read_config(devfd, cfg, sizeof(cfg));
	d->header_type = n >= 0x0f ? cfg[0x0e] & 0x7f : 0xff;
	/* SR-IOV: a VF's vendor and device registers read 0xffff. */
	d->maybe_vf = n < 2 || le16(cfg) == 0xffff;
	if (n >= 0x30 && le16(cfg) != 0xffff) {
		d->vendor = le16(cfg);
		d->device = le16(cfg + 2);
		if (d->header_type == 0) {
			d->subvendor = le16(cfg + 0x2c);
			d->subdevice = le16(cfg + 0x2e);
		} else {
			d->subsys_pending = true; /* pci_read_subsys(), when wanted */
		}
	} else {
		if (n < 0)
			set_bad(d, "config", (int)n);
		/* Without its ids no rule can tell what the device is: it stays in the machine
		 * (it can be in a group's way) and the planner reports it. */
		r = read_hex_at(devfd, "vendor", &v);
		if (r < 0) {
			set_bad(d, "vendor", r);
			d->unknown |= PCI_UNKNOWN_VENDOR;
		}
		d->vendor = r < 0 ? 0xffff : (uint16_t)v;
		r = read_hex_at(devfd, "device", &v);
		if (r < 0) {
			set_bad(d, "device", r);
			d->unknown |= PCI_UNKNOWN_DEVICE;
		}
		d->device = r < 0 ? 0xffff : (uint16_t)v;
		if (read_hex_at(devfd, "subsystem_vendor", &v) == 0)
			d->subvendor = (uint16_t)v;
		if (read_hex_at(devfd, "subsystem_device", &v) == 0)
			d->subdevice = (uint16_t)v;
	}
	/* The class as the kernel sees it, quirks included. */
	r = read_hex_at(devfd, "class", &v);
	if (r < 0) {
		set_bad(d, "class", r);
		d->unknown |= PCI_UNKNOWN_CLASS;
		v = 0;
	}
	d->class = v & 0xffffff;

	/* The kernel has boot_vga only for display controllers. One that is there but cannot
	 * be read makes the device the boot VGA device: losing the console is worse than
	 * keeping a GPU. */
	if ((d->class >> 16) == 0x03 || (d->unknown & PCI_UNKNOWN_CLASS)) {
		int bv = 0;

		r = read_int_at(devfd, "boot_vga", &bv);
		if (r == 0) {
			d->has_boot_vga = true;
			d->boot_vga = bv == 1;
		} else if (r != -ENOENT) {
			set_bad(d, "boot_vga", r);
			d->has_boot_vga = true;
			d->boot_vga = true;
			d->boot_vga_unknown = true;
		}
	}
	/* NUMA and SR-IOV are read on demand (pci_read_numa, pci_read_sriov). */
	d->numa_node = -1;
	d->sriov_numvfs = -1;
	refresh_at(devfd, d, false);
	close(devfd);
	return 0;
}

/* A stable merge sort of (key, index) pairs: musl's qsort (smoothsort) costs several times
 * more on the thousands of entries of a large machine. */
static void sort_run(struct pci_key_idx *a, struct pci_key_idx *tmp, size_t n)
{
	size_t h = n / 2, i = 0, j = h, k = 0;

	if (n < 2)
		return;
	sort_run(a, tmp, h);
	sort_run(a + h, tmp, n - h);
	if (a[h - 1].key <= a[h].key)
		return; /* already in order: sorted input costs n comparisons */
	while (i < h && j < n)
		tmp[k++] = a[j].key < a[i].key ? a[j++] : a[i++];
	while (i < h)
		tmp[k++] = a[i++];
	memcpy(a, tmp, k * sizeof(*a)); /* a[j..n) is already in place */
}

int pci_sort_keys(struct pci_key_idx *a, size_t n)
{
	struct pci_key_idx *tmp;

	if (n < 2)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	sort_run(a, tmp, n);
	free(tmp);
	return 0;
}

/* Sort by address: small keys are sorted, each device is moved once. */
static int sort_devs(struct pci_machine *m)
{
	struct pci_key_idx *o = malloc(m->n_devs * sizeof(*o));
	struct pci_dev *sorted = malloc(m->n_devs * sizeof(*sorted));
	size_t i;

	if (!o || !sorted) {
		free(o);
		free(sorted);
		return -ENOMEM;
	}
	for (i = 0; i < m->n_devs; i++)
		o[i] = (struct pci_key_idx){ .key = m->devs[i].key, .idx = i };
	if (pci_sort_keys(o, m->n_devs) < 0) {
		free(o);
		free(sorted);
		return -ENOMEM;
	}
	for (i = 0; i < m->n_devs; i++)
		sorted[i] = m->devs[o[i].idx];
	free(o);
	free(m->devs);
	m->devs = sorted;
	return 0;
}

int pci_scan(int rootfd, struct pci_machine *ret)
{
	struct pci_machine m = { 0 };
	size_t cap = 0;
	struct dirent *de;
	int dfd;
	DIR *dir;

	dfd = openat(rootfd, DEVICES_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT) {
			*ret = m;
			return 0;
		}
		return -errno;
	}
	dir = fdopendir(dfd);
	if (!dir) {
		int r = -errno;

		close(dfd);
		return r;
	}
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (m.n_devs == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct pci_dev *n = realloc(m.devs, ncap * sizeof(*n));

			if (!n) {
				closedir(dir);
				free(m.devs);
				return -ENOMEM;
			}
			m.devs = n;
			cap = ncap;
		}
		if (scan_one(dirfd(dir), de->d_name, &m.devs[m.n_devs]) == 0)
			m.n_devs++;
	}
	closedir(dir);
	if (m.n_devs && sort_devs(&m) < 0) {
		free(m.devs);
		return -ENOMEM;
	}
	*ret = m;
	return 0;
}

void pci_machine_free(struct pci_machine *m)
{
	free(m->devs);
	m->devs = NULL;
	m->n_devs = 0;
}

struct pci_dev *pci_find(const struct pci_machine *m, const char *address)
{
	size_t lo = 0, hi = m->n_devs;
	uint64_t key;

	if (!pci_address_key(address, &key))
		return NULL;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->devs[mid].key == key)
			return &m->devs[mid];
		if (m->devs[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool pci_same_slot(const struct pci_dev *a, const struct pci_dev *b)
{
	return a->key >> 3 == b->key >> 3;
}

bool pci_same_bus(const struct pci_dev *a, const struct pci_dev *b)
{
	return a->key >> 8 == b->key >> 8;
}

bool pci_driver_is_vfio(int rootfd, const char *driver)
{
	char path[PATH_MAX], mod[DRIVER_MAX];

	if (!driver[0])
		return false;
	if (strcmp(driver, "vfio-pci") == 0)
		return true;
	/* A variant driver's module is a holder of vfio_pci_core. */
	snprintf(path, sizeof(path), "sys/bus/pci/drivers/%s/module", driver);
	if (root_link_name(rootfd, path, mod, sizeof(mod)) < 0)
		return false;
	snprintf(path, sizeof(path), "sys/module/vfio_pci_core/holders/%s", mod);
	return root_exists(rootfd, path);
}

/* Is an IOMMU registered (sys/class/iommu has an entry)? */
bool pci_iommu_active(int rootfd)
{
	struct dirent *de;
	bool any = false;
	DIR *dir;
	int fd;

	fd = openat(rootfd, "sys/class/iommu", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return false;
	}
	while (!any && (de = readdir(dir)))
		any = de->d_name[0] != '.';
	closedir(dir);
	return any;
}
