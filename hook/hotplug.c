/* SPDX-License-Identifier: GPL-2.0-or-later */
/* claim --device: apply the policy to one (hot-added) device and its IOMMU group only. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <string.h>

#include "hotplug.h"

int hotplug_restrict(const struct pci_machine *m, struct plan *plan, const char *address,
		     bool *ret_wanted)
{
	const struct pci_dev *dev = pci_find(m, address);
	bool wanted = false;
	size_t i;

	if (!dev)
		return -ENODEV;
	for (i = 0; i < m->n_devs; i++) {
		const struct pci_dev *d = &m->devs[i];
		struct plan_entry *e = &plan->e[i];

		/* The plan was built for the whole machine, so group closure (rule 7) already
		 * judged this group with every device in it; only the scope shrinks here. */
		if (d == dev || (dev->iommu_group >= 0 && d->iommu_group == dev->iommu_group)) {
			wanted |= e->action == ACT_CLAIM || e->action == ACT_CLAIMED ||
				  e->action == ACT_BLOCKED;
			continue;
		}
		e->action = ACT_NONE;
		e->listed = false;
	}
	*ret_wanted = wanted;
	return 0;
}
