/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IOMMU groups that the kernel gives only when a driver probes the device. */
#pragma once

#include "modules.h"
#include "pci.h"
#include "plan.h"

/*
 * On arm64 (SMMUv3 described by a device tree or the ACPI IORT; Linux 6.12 as Debian 13
 * ships it) the kernel attaches a PCI device to its IOMMU, and so gives it an IOMMU group,
 * in the device's first driver probe (dma_configure), not when it is added. In an
 * initramfs nothing has probed the GPU yet, so it has no group, and neither has any other
 * function of its slot: the plan blocks it ("no IOMMU group").
 *
 * When an IOMMU is active (sys/class/iommu is not empty), for every device the plan claims
 * or blocks only for its missing group, every unbound device without a group that can
 * share its group (its slot's functions; on a bus below a bridge, every device of that
 * bus) is probed once by pci-stub, which binds
 * without touching the device, and released again at once: driver_override back to what
 * it was, unbound. The kernel keeps the group. Devices with a driver_override of someone
 * else's are left alone.
 *
 * live: load pci_stub if needed (under --root only a registered pci-stub is used).
 * Returns how many devices have a group now that had none (the caller scans and plans
 * again), 0 when there was nothing to do, or -errno.
 */
int group_probe(int rootfd, struct pci_machine *m, const struct plan *plan,
		struct modules *mods, bool live, unsigned write_ms, unsigned probe_ms);
