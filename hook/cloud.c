/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The devices a cloud is given and the names it knows them by: nova alias, KubeVirt
 * resource, metrics label. */
#define _GNU_SOURCE 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "commands.h"
#include "pci.h"
#include "plan.h"
#include "policy.h"

void cloud_name(const struct policy *p, const struct plan_entry *e, const struct pci_dev *d,
		char *buf, size_t size)
{
	if (e->rule < 0 || p->rules[e->rule].action != RULE_CLAIM || e->action == ACT_KEEP ||
	    e->action == ACT_NONE)
		snprintf(buf, size, "%s", "");
	else if (p->rules[e->rule].name[0])
		snprintf(buf, size, "%s", p->rules[e->rule].name);
	else
		cloud_default_name(d->vendor, d->device, buf, size);
}

void cloud_default_name(unsigned vendor, unsigned device, char *buf, size_t size)
{
	if (vendor == 0x10de)
		snprintf(buf, size, "nvidia-%04x", device);
	else
		snprintf(buf, size, "pci-%04x-%04x", vendor, device);
}

int cloud_collect(struct ctx *c, struct policy *p, struct pci_machine *m, struct plan *plan,
		  struct cloud_device **ret, size_t *ret_n)
{
	struct cloud_device *w;
	size_t i, n = 0;
	int r;

	r = load_policy(c, p, false);
	if (r)
		return r;
	if (pci_scan(c->rootfd, m) < 0 || plan_build(c->rootfd, m, p, plan) < 0) {
		fprintf(stderr, "gpu-vfio: cannot read the PCI devices below %s\n", c->root);
		return EXIT_ERROR;
	}
	w = calloc(m->n_devs + 1, sizeof(*w));
	if (!w)
		return EXIT_ERROR;
	for (i = 0; i < m->n_devs; i++) {
		const struct plan_entry *e = &plan->e[i];
		const struct pci_dev *d = &m->devs[i];

		if ((e->action != ACT_CLAIM && e->action != ACT_CLAIMED) || e->via >= 0 || e->rule < 0)
			continue;
		w[n].d = d;
		w[n].nova = &p->rules[e->rule].nova;
		w[n].sriov = d->sriov_numvfs >= 0;
		cloud_name(p, e, d, w[n].name, sizeof(w[n].name));
		n++;
	}
	*ret = w;
	*ret_n = n;
	return 0;
}
