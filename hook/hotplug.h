/* SPDX-License-Identifier: GPL-2.0-or-later */
/* claim --device: apply the policy to one (hot-added) device and its IOMMU group only. */
#pragma once

#include <stdbool.h>

#include "pci.h"
#include "plan.h"

/* Narrow plan to the device at address and every device of its IOMMU group: the others
 * become ACT_NONE and unlisted, so claim neither touches nor records them. Sets *ret_wanted
 * to whether the policy wants anything in that group. Returns 0 or -ENODEV. */
int hotplug_restrict(const struct pci_machine *m, struct plan *plan, const char *address,
		     bool *ret_wanted);
