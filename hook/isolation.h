/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Overrides that make IOMMU isolation weaker than the hardware's: pcie_acs_override=,
 * allow_unsafe_interrupts, enable_unsafe_noiommu_mode, disable_denylist. */
#pragma once

#include <stdbool.h>

enum iso_kind {
	ISO_ACS_OVERRIDE, /* pcie_acs_override=: groups split by decree (out-of-tree patch) */
	ISO_UNSAFE_INTERRUPTS, /* vfio_iommu_type1/iommufd allow_unsafe_interrupts */
	ISO_NOIOMMU, /* vfio enable_unsafe_noiommu_mode */
	ISO_DENYLIST_OFF, /* vfio-pci disable_denylist */
	ISO_KINDS,
};

struct iso_source {
	bool on;
	char where[192]; /* "/proc/cmdline", "/etc/modprobe.d/x.conf:3", "/sys/module/.../P" */
	char setting[96]; /* as written: "pcie_acs_override=downstream,multifunction" */
};

struct isolation {
	struct iso_source kind[ISO_KINDS]; /* the first source that turns each kind on */
	/* The kinds that weaken every IOMMU group ("acs-override,unsafe-interrupts"), or "":
	 * the "isolation" field of plan and status. */
	char group_kinds[64];
};

/* "acs-override", "unsafe-interrupts", "unsafe-noiommu", "denylist-disabled". */
const char *isolation_kind_name(enum iso_kind k);

/* Look at the kernel command line (cmdline, or the root's /proc/cmdline when NULL), the
 * modprobe.d options and the live module parameters below rootfd. */
void isolation_gather(int rootfd, const char *cmdline, struct isolation *ret);
