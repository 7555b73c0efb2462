/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: pci_scan and plan_build over a fake sysfs whose GPU attributes are fuzzed. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "pci.h"
#include "plan.h"
#include "policy.h"
#include "rootfs.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The tree, made once in a temporary directory: a root port 0000:00:01.0 (pcieport, group 1)
 * with a GPU 0000:01:00.0 and its audio function 0000:01:00.1 (snd_hda_intel) behind it,
 * all in IOMMU group 1; vfio-pci is loaded.
 *
 * The input sets the GPU's attributes, in the order of the table below: for each, one
 * length byte L, then L bytes of content. L = 255 removes the file (or link); an attribute
 * the input does not reach keeps its default. Links get the content as their target; an
 * empty target removes the link.
 */
#define GPU "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0"
#define AUDIO "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.1"
#define PORT "sys/devices/pci0000:00/0000:00:01.0"

enum kind { FILE_ATTR, LINK_ATTR };

static const struct attr {
	const char *name;
	enum kind kind;
	const char *def; /* default content (NULL: absent) */
	size_t def_len; /* for binary defaults; 0: strlen(def) */
} attrs[] = {
	{ "config", FILE_ATTR,
	  "\xde\x10\x87\x1e\x07\x04\x10\x00\xa1\x00\x00\x03\x00\x00\x80\x00", 16 },
	{ "vendor", FILE_ATTR, "0x10de\n", 0 },
	{ "device", FILE_ATTR, "0x1e87\n", 0 },
	{ "class", FILE_ATTR, "0x030000\n", 0 },
	{ "modalias", FILE_ATTR, "pci:v000010DEd00001E87sv00001462sd00003727bc03sc00i00\n", 0 },
	{ "driver_override", FILE_ATTR, "(null)\n", 0 },
	{ "numa_node", FILE_ATTR, "-1\n", 0 },
	{ "sriov_numvfs", FILE_ATTR, NULL, 0 },
	{ "boot_vga", FILE_ATTR, "0\n", 0 },
	{ "subsystem_vendor", FILE_ATTR, "0x1462\n", 0 },
	{ "subsystem_device", FILE_ATTR, "0x3727\n", 0 },
	{ "driver", LINK_ATTR, "../../../../bus/pci/drivers/nouveau", 0 },
	{ "iommu_group", LINK_ATTR, "../../../../kernel/iommu_groups/1", 0 },
	{ "physfn", LINK_ATTR, NULL, 0 },
};
#define N_ATTRS (sizeof(attrs) / sizeof(attrs[0]))

static const char *const policies[] = {
	"claim vendor=10de\n",
	"claim address=0000:01:00.0 boot-vga=yes name=gpu\nkeep class=0403\n",
	"claim class=03,0403,0c03,0c80 numa-node=-1\nclaim device=1e87,22a3 class=0680\n",
};

static char root[64];
static int rootfd = -1;
static struct policy pol[sizeof(policies) / sizeof(policies[0])];
static FILE *devnull;

static void die(const char *what)
{
	fprintf(stderr, "fuzz-sysfs: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void mkdirs(const char *path)
{
	char buf[256], *s;

	snprintf(buf, sizeof(buf), "%s", path);
	for (s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdirat(rootfd, buf, 0755) < 0 && errno != EEXIST)
			die(buf);
		*s = '/';
	}
	if (mkdirat(rootfd, buf, 0755) < 0 && errno != EEXIST)
		die(buf);
}

static void put(const char *path, const char *content, size_t len)
{
	int fd = openat(rootfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		die(path);
	if (len && write(fd, content, len) != (ssize_t)len)
		die(path);
	close(fd);
}

static void link_to(const char *target, const char *path)
{
	(void)unlinkat(rootfd, path, 0);
	if (symlinkat(target, rootfd, path) < 0)
		die(path);
}

/* A device with the attributes gpu-vfio reads, as mkroot.sh makes them; up leads from its
 * directory back to sys/. */
static void make_device(const char *dir, const char *up, const char *vendor, const char *device,
			const char *class, const char *config, const char *driver)
{
	static const char *const names[] = { "vendor", "device", "class", "subsystem_vendor",
					     "subsystem_device", "numa_node", "driver_override",
					     "modalias" };
	const char *values[] = { vendor, device, class, "0x1462\n", "0x3727\n", "-1\n", "(null)\n",
				 "pci:v000010DEd000010F8sv00001462sd00003727bc04sc03i00\n" };
	char path[256], target[256];
	size_t i;

	mkdirs(dir);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		put(path, values[i], strlen(values[i]));
	}
	snprintf(path, sizeof(path), "%s/config", dir);
	put(path, config, 16);
	snprintf(path, sizeof(path), "%s/driver", dir);
	snprintf(target, sizeof(target), "%sbus/pci/drivers/%s", up, driver);
	link_to(target, path);
	snprintf(path, sizeof(path), "%s/iommu_group", dir);
	snprintf(target, sizeof(target), "%skernel/iommu_groups/1", up);
	link_to(target, path);
}

static void make_tree(void)
{
	static const char *const drivers[] = { "nouveau", "snd_hda_intel", "pcieport", "vfio-pci" };
	char path[256];
	size_t i;

	snprintf(root, sizeof(root), "%s/gpu-vfio-fuzz-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		die("mkdtemp");
	rootfd = root_open(root);
	if (rootfd < 0)
		die(root);
	make_device(PORT, "../../../", "0x8086\n", "0x1901\n", "0x060400\n",
		    "\x86\x80\x01\x19\x07\x04\x10\x00\x0d\x00\x04\x06\x00\x00\x01\x00", "pcieport");
	make_device(GPU, "../../../../", "0x10de\n", "0x1e87\n", "0x030000\n",
		    "\xde\x10\x87\x1e\x07\x04\x10\x00\xa1\x00\x00\x03\x00\x00\x80\x00", "nouveau");
	make_device(AUDIO, "../../../../", "0x10de\n", "0x10f8\n", "0x040300\n",
		    "\xde\x10\xf8\x10\x07\x04\x10\x00\xa1\x00\x03\x04\x00\x00\x00\x00",
		    "snd_hda_intel");
	mkdirs("sys/bus/pci/devices");
	mkdirs("sys/kernel/iommu_groups/1/devices");
	put("sys/kernel/iommu_groups/1/type", "DMA\n", 4);
	for (i = 0; i < 3; i++) {
		static const char *const dirs[] = { PORT, GPU, AUDIO };
		const char *addr = strrchr(dirs[i], '/') + 1;

		snprintf(path, sizeof(path), "sys/bus/pci/devices/%s", addr);
		snprintf(path + 128, 128, "../../../%s", dirs[i] + 4);
		link_to(path + 128, path);
		snprintf(path, sizeof(path), "sys/kernel/iommu_groups/1/devices/%s", addr);
		snprintf(path + 128, 128, "../../../../%s", dirs[i] + 4);
		link_to(path + 128, path);
	}
	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		snprintf(path, sizeof(path), "sys/bus/pci/drivers/%s", drivers[i]);
		mkdirs(path);
	}
	mkdirs("sys/module/vfio_pci_core/holders");
	mkdirs("sys/module/nouveau");
	link_to("../../../../module/nouveau", "sys/bus/pci/drivers/nouveau/module");
}

static void remove_tree(void)
{
	char cmd[128];

	if (!root[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz-sysfs: could not remove %s\n", root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	make_tree();
	atexit(remove_tree);
	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		policy_parse_text(&pol[i], "/etc/gpu-vfio.conf", policies[i], strlen(policies[i]));
		if (pol[i].n_errors) {
			fprintf(stderr, "fuzz-sysfs: policy %zu: %s\n", i, pol[i].errors[0]);
			exit(1);
		}
	}
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		die("/dev/null");
	return 0;
}

static void set_attr(const struct attr *a, const uint8_t *content, size_t len, bool absent)
{
	char path[128], target[256];

	snprintf(path, sizeof(path), GPU "/%s", a->name);
	if (absent) {
		(void)unlinkat(rootfd, path, 0);
		return;
	}
	if (a->kind == LINK_ATTR) {
		/* A link target cannot hold a NUL byte: it ends the target. */
		len = strnlen((const char *)content, len);
		if (!len) {
			(void)unlinkat(rootfd, path, 0);
			return;
		}
		memcpy(target, content, len);
		target[len] = '\0';
		link_to(target, path);
		return;
	}
	put(path, (const char *)content, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pci_machine m;
	size_t i, k, off = 0;

	for (i = 0; i < N_ATTRS; i++) {
		const struct attr *a = &attrs[i];

		if (off < size) {
			size_t len = data[off++];
			bool absent = len == 255;

			if (absent)
				len = 0;
			if (len > size - off)
				len = size - off;
			set_attr(a, data + off, len, absent);
			off += len;
		} else {
			set_attr(a, (const uint8_t *)a->def, a->def ? (a->def_len ? a->def_len :
							strlen(a->def)) : 0, !a->def);
		}
	}

	if (pci_scan(rootfd, &m) < 0)
		return 0;
	for (i = 0; i < m.n_devs; i++) {
		const struct pci_dev *d = &m.devs[i];
		char norm[PCI_ADDR_MAX];

		if (!memchr(d->driver, '\0', sizeof(d->driver)) ||
		    !memchr(d->override, '\0', sizeof(d->override)) ||
		    !memchr(d->modalias, '\0', sizeof(d->modalias)) ||
		    !pci_address_normalise(d->address, norm, sizeof(norm)))
			abort();
		json_string(devnull, d->driver);
		json_string(devnull, d->override);
		json_string(devnull, d->modalias);
		(void)pci_find(&m, d->address);
	}
	for (k = 0; k < sizeof(pol) / sizeof(pol[0]); k++) {
		struct plan plan;

		if (plan_build(rootfd, &m, &pol[k], &plan) < 0)
			continue;
		if (plan.n != m.n_devs)
			abort();
		for (i = 0; i < plan.n; i++) {
			const struct plan_entry *e = &plan.e[i];

			if (e->via >= (ssize_t)plan.n || e->rule >= (ssize_t)pol[k].n_rules ||
			    !memchr(e->reason, '\0', sizeof(e->reason)))
				abort();
			json_string(devnull, e->reason);
			(void)action_name(e->action);
		}
		(void)plan_has_problems(&plan);
		plan_free(&plan);
	}
	pci_machine_free(&m);
	return 0;
}
