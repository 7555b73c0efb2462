/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IOMMU facts of a root (cmdline, firmware, sysfs, boot loader) and their analysis. */
#pragma once

#include <limits.h>
#include <stdbool.h>

#include "bootcfg.h"
#include "findings.h"
#include "kcmdline-iommu.h"

enum cpu_vendor {
	CPU_UNKNOWN,
	CPU_INTEL,
	CPU_AMD,
	CPU_ARM, /* /proc/cpuinfo has "CPU implementer" and no vendor_id: arm64 */
};

struct iommu_facts {
	char *effective; /* the running kernel's command line */
	char kver[128]; /* proc/sys/kernel/osrelease, "" if unknown */
	enum cpu_vendor cpu;
	bool dmar, ivrs; /* ACPI tables */
	bool iort; /* ACPI IORT table (arm64: describes the SMMUs and the GIC ITS) */
	bool devicetree; /* /sys/firmware/devicetree/base: no ACPI tables to expect */
	unsigned n_smmus; /* /sys/class/iommu entries named smmu3.* (SMMUv3) or smmu.* */
	unsigned n_iommus; /* /sys/class/iommu entries */
	char iommu_names[128]; /* "dmar0 dmar1" */
	unsigned n_groups; /* /sys/kernel/iommu_groups entries */
	int irq_remap; /* 1 IR- chips in /proc/interrupts, 0 none, -1 unknown */
	int gic_its; /* 1 ITS- MSI chips in /proc/interrupts (arm64), 0 none, -1 unknown */
	struct boot_config boot;
};

/* Read everything below rootfd. cmdline_override, when not NULL, replaces
 * /proc/cmdline. Missing files are facts, not errors; returns 0 or -ENOMEM. */
int iommu_facts_gather(struct iommu_facts *ret, int rootfd, const char *cmdline_override);

void iommu_facts_free(struct iommu_facts *f);

/* What the analysis concludes about the IOMMU as a whole. */
struct iommu_verdict {
	bool inactive_now; /* no IOMMU is active on the running kernel */
	bool inactive_next; /* the configured cmdline will leave it inactive */
	char source_path[PATH_MAX]; /* the file that sets the next boot's cmdline */
};

/* Analyse the facts: findings are appended to fs in a fixed order, the verdict is *ret. */
void iommu_analyse(const struct iommu_facts *f, struct findings *fs, struct iommu_verdict *ret);
