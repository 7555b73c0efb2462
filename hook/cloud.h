/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The name a cloud knows a claimed device by: nova alias, KubeVirt resource, metrics label. */
#pragma once

#include <stddef.h>

#include "pci.h"
#include "plan.h"
#include "policy.h"

#define CLOUD_NAME_MAX 40

/* The deciding rule's name=, else "nvidia-DDDD" (vendor 10de) or "pci-VVVV-DDDD".
 * "" for a device no claim rule wants (kept, or not decided by a claim rule). */
void cloud_name(const struct policy *p, const struct plan_entry *e, const struct pci_dev *d,
		char *buf, size_t size);

/* "nvidia-DDDD" for vendor 10de, else "pci-VVVV-DDDD". */
void cloud_default_name(unsigned vendor, unsigned device, char *buf, size_t size);
