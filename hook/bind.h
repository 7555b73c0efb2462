/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Binding and unbinding a PCI device through sysfs, every write and wait with its deadline:
 * the mechanism claim, release, the group probe and the undo of a journal share. */
#pragma once

#include <stdbool.h>

#include "pci.h"

#define UNBIND_TIMEOUT_MS 5000u /* each unbind and other blocking sysfs write */
#define VERIFY_TIMEOUT_MS 2000u /* a driver link to settle */

/* Write value to path below rootfd in a child, so that a driver that hangs in remove()
 * cannot hang the boot: after timeout_ms the child is abandoned (-ETIMEDOUT). Returns 0 or
 * -errno. */
int sysfs_write_deadline(int rootfd, const char *path, const char *value, unsigned timeout_ms);

/* Wait until dev's driver link names driver ("" = unbound), up to timeout_ms. */
bool wait_driver(int rootfd, struct pci_dev *d, const char *driver, unsigned timeout_ms);

/* Write d's driver_override ("\n" clears it). */
int bind_set_override(int rootfd, const struct pci_dev *d, const char *driver,
		      unsigned timeout_ms);

/* Unbind d from driver (sys/bus/pci/drivers/DRIVER/unbind). */
int bind_unbind(int rootfd, const struct pci_dev *d, const char *driver, unsigned timeout_ms);

/* Ask the kernel to probe d (sys/bus/pci/drivers_probe). */
int bind_probe(int rootfd, const struct pci_dev *d, unsigned timeout_ms);
