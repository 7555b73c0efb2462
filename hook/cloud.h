/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The devices a cloud is given and the names it knows them by: nova alias, KubeVirt
 * resource, metrics label. */
#pragma once

#include <stdbool.h>
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

/* A device this node gives to VMs. */
struct cloud_device {
	const struct pci_dev *d;
	const struct rule_nova *nova; /* the deciding rule's nova-* keys */
	char name[CLOUD_NAME_MAX];
	char rc[64]; /* placement resource class */
	bool sriov; /* SR-IOV capable: nova calls it type-PF */
};

struct ctx;

/* Load the policy, scan and plan; the targets the policy gives to VMs (claimed now, or to be
 * claimed at boot: not companions) into *ret (free it), *ret_n of them. Returns 0 or the
 * exit status (said on stderr); p, m and plan are for the caller to free either way. */
int cloud_collect(struct ctx *c, struct policy *p, struct pci_machine *m, struct plan *plan,
		  struct cloud_device **ret, size_t *ret_n);
