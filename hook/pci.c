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
#include <unistd.h>

#include "pci.h"
#include "policy.h"
#include "rootfs.h"

#define DEVICES_DIR "sys/bus/pci/devices"

static int read_hex(int rootfd, const char *dir, const char *attr, uint32_t *ret)
{
	char path[PATH_MAX], buf[32], *end;
	unsigned long v;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	n = root_read(rootfd, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	errno = 0;
	v = strtoul(buf, &end, 16);
	if (errno || end == buf || *end || v > 0xffffffffUL)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int read_int(int rootfd, const char *dir, const char *attr, int *ret)
{
	char path[PATH_MAX], buf[32], *end;
	long v;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	n = root_read(rootfd, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || *end || v < INT_MIN || v > INT_MAX)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

static int read_header_type(int rootfd, const char *dir, uint8_t *ret)
{
	char path[PATH_MAX];
	unsigned char cfg[16];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/config", dir);
	fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	n = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	if (n < 0x0f)
		return n < 0 ? -errno : -EIO;
	*ret = cfg[0x0e] & 0x7f;
	return 0;
}

/* The mutable part: driver, override, IOMMU group. */
int pci_refresh(int rootfd, struct pci_dev *d)
{
	char dir[64], path[PATH_MAX], buf[64];
	ssize_t n;
	int r;

	snprintf(dir, sizeof(dir), DEVICES_DIR "/%s", d->address);
	if (!root_exists(rootfd, dir))
		return -ENODEV;

	snprintf(path, sizeof(path), "%s/driver", dir);
	if (root_link_name(rootfd, path, d->driver, sizeof(d->driver)) < 0)
		d->driver[0] = '\0';

	snprintf(path, sizeof(path), "%s/driver_override", dir);
	n = root_read(rootfd, path, d->override, sizeof(d->override));
	if (n < 0 || strcmp(d->override, "(null)") == 0)
		d->override[0] = '\0';

	d->iommu_group = -1;
	d->noiommu = false;
	snprintf(path, sizeof(path), "%s/iommu_group", dir);
	r = root_link_name(rootfd, path, buf, sizeof(buf));
	if (r == 0) {
		char *end;
		long g = strtol(buf, &end, 10);

		if (end != buf && !*end && g >= 0 && g <= INT_MAX) {
			d->iommu_group = (int)g;
			snprintf(path, sizeof(path), "sys/kernel/iommu_groups/%ld/name", g);
			if (root_read(rootfd, path, buf, sizeof(buf)) > 0 &&
			    strcmp(buf, "vfio-noiommu") == 0)
				d->noiommu = true;
		}
	}
	return 0;
}

static int scan_one(int rootfd, const char *name, struct pci_dev *d)
{
	char dir[64], path[PATH_MAX];
	uint32_t v;
	int r;

	memset(d, 0, sizeof(*d));
	/* Names come from the directory, but still never let one become a path with ".." in it. */
	if (!pci_address_normalise(name, d->address, sizeof(d->address)))
		return -EINVAL;
	snprintf(dir, sizeof(dir), DEVICES_DIR "/%s", name);

	r = read_hex(rootfd, dir, "vendor", &v);
	if (r < 0)
		return r;
	d->vendor = (uint16_t)v;
	r = read_hex(rootfd, dir, "device", &v);
	if (r < 0)
		return r;
	d->device = (uint16_t)v;
	r = read_hex(rootfd, dir, "class", &v);
	if (r < 0)
		return r;
	d->class = v & 0xffffff;
	if (read_hex(rootfd, dir, "subsystem_vendor", &v) == 0)
		d->subvendor = (uint16_t)v;
	if (read_hex(rootfd, dir, "subsystem_device", &v) == 0)
		d->subdevice = (uint16_t)v;
	if (read_header_type(rootfd, dir, &d->header_type) < 0)
		d->header_type = 0xff;

	d->has_boot_vga = read_int(rootfd, dir, "boot_vga", &r) == 0;
	d->boot_vga = d->has_boot_vga && r == 1;
	if (read_int(rootfd, dir, "numa_node", &d->numa_node) < 0)
		d->numa_node = -1;

	snprintf(path, sizeof(path), "%s/physfn", dir);
	d->is_vf = root_exists(rootfd, path);
	if (read_int(rootfd, dir, "sriov_numvfs", &d->sriov_numvfs) < 0)
		d->sriov_numvfs = -1;

	snprintf(path, sizeof(path), "%s/modalias", dir);
	if (root_read(rootfd, path, d->modalias, sizeof(d->modalias)) < 0)
		d->modalias[0] = '\0';

	return pci_refresh(rootfd, d);
}

int pci_address_cmp(const char *a, const char *b)
{
	size_t la = strcspn(a, ":"), lb = strcspn(b, ":");

	/* Wider domains sort after narrower ones, as numbers do. */
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

static int dev_cmp(const void *a, const void *b)
{
	return pci_address_cmp(((const struct pci_dev *)a)->address,
			       ((const struct pci_dev *)b)->address);
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
		if (scan_one(rootfd, de->d_name, &m.devs[m.n_devs]) == 0)
			m.n_devs++;
	}
	closedir(dir);
	if (m.n_devs)
		qsort(m.devs, m.n_devs, sizeof(*m.devs), dev_cmp);
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

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = pci_address_cmp(m->devs[mid].address, address);

		if (c == 0)
			return &m->devs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool pci_same_slot(const struct pci_dev *a, const struct pci_dev *b)
{
	const char *da = strrchr(a->address, '.'), *db = strrchr(b->address, '.');

	return da - a->address == db - b->address &&
	       memcmp(a->address, b->address, da - a->address) == 0;
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
