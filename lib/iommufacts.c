/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IOMMU facts of a root: command lines, CPU vendor, firmware tables, active IOMMUs,
 * interrupt remapping and the boot configuration. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dirlist.h"
#include "iommucfg.h"
#include "rootfs.h"

static enum cpu_vendor read_cpu_vendor(int rootfd)
{
	char buf[8192];
	const char *v;
	ssize_t n;
	int fd;

	/* Only the first processor's block is needed; cpuinfo of a big host is megabytes. */
	fd = openat(rootfd, "proc/cpuinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return CPU_UNKNOWN;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return CPU_UNKNOWN;
	buf[n] = '\0';
	v = strstr(buf, "vendor_id");
	if (!v)
		return strstr(buf, "CPU implementer") ? CPU_ARM : CPU_UNKNOWN;
	v += strcspn(v, ":\n");
	if (*v != ':')
		return CPU_UNKNOWN;
	v += 1 + strspn(v + 1, " \t");
	if (strncmp(v, "GenuineIntel", 12) == 0)
		return CPU_INTEL;
	if (strncmp(v, "AuthenticAMD", 12) == 0 || strncmp(v, "HygonGenuine", 12) == 0)
		return CPU_AMD;
	return CPU_UNKNOWN;
}

/* The active IOMMUs and their groups; a missing directory is none. */
static int gather_iommus(struct iommu_facts *f, int rootfd)
{
	char **names;
	size_t i, off = 0;
	int n;

	n = dir_list_at(rootfd, "/sys/class/iommu", NULL, 0, &names);
	if (n == -ENOMEM)
		return n;
	if (n >= 0) {
		f->n_iommus = n;
		for (i = 0; names[i]; i++)
			f->n_smmus += strncmp(names[i], "smmu3.", 6) == 0 ||
				      strncmp(names[i], "smmu.", 5) == 0;
		for (i = 0; names[i]; i++) {
			int w = snprintf(f->iommu_names + off, sizeof(f->iommu_names) - off,
					 "%s%s", i ? " " : "", names[i]);

			if (w < 0 || (size_t)w >= sizeof(f->iommu_names) - off)
				break;
			off += w;
		}
		dir_list_free(names);
	}
	n = dir_list_at(rootfd, "/sys/kernel/iommu_groups", NULL, 0, &names);
	if (n == -ENOMEM)
		return n;
	if (n >= 0) {
		f->n_groups = n;
		dir_list_free(names);
	}
	return 0;
}

static void gather_irq_remap(struct iommu_facts *f, int rootfd)
{
	char *text;

	f->irq_remap = -1;
	f->gic_its = -1;
	if (root_read_alloc(rootfd, "/proc/interrupts", &text, NULL) < 0)
		return;
	f->irq_remap = strstr(text, "IR-") != NULL;
	f->gic_its = strstr(text, "ITS-") != NULL;
	free(text);
}

int iommu_facts_gather(struct iommu_facts *ret, int rootfd, const char *cmdline_override)
{
	struct iommu_facts f = { 0 };
	int r;

	if (cmdline_override) {
		f.effective = strdup(cmdline_override);
	} else if (root_read_alloc(rootfd, "/proc/cmdline", &f.effective, NULL) == 0) {
		size_t len = strlen(f.effective);

		while (len && (f.effective[len - 1] == '\n' || f.effective[len - 1] == ' '))
			f.effective[--len] = '\0';
	} else {
		f.effective = strdup("");
	}
	if (!f.effective)
		return -ENOMEM;
	if (root_read(rootfd, "/proc/sys/kernel/osrelease", f.kver, sizeof(f.kver)) < 0)
		f.kver[0] = '\0';
	f.cpu = read_cpu_vendor(rootfd);
	f.dmar = root_exists(rootfd, "/sys/firmware/acpi/tables/DMAR");
	f.ivrs = root_exists(rootfd, "/sys/firmware/acpi/tables/IVRS");
	f.iort = root_exists(rootfd, "/sys/firmware/acpi/tables/IORT");
	f.devicetree = root_exists(rootfd, "/sys/firmware/devicetree/base");
	r = gather_iommus(&f, rootfd);
	gather_irq_remap(&f, rootfd);
	if (r == 0)
		r = boot_config_gather(&f.boot, rootfd, f.effective);
	if (r < 0) {
		iommu_facts_free(&f);
		return r;
	}
	*ret = f;
	return 0;
}

void iommu_facts_free(struct iommu_facts *f)
{
	free(f->effective);
	boot_config_free(&f->boot);
	*f = (struct iommu_facts){ 0 };
}
