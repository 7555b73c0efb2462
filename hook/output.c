/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Printing a plan or a status: the human table and the JSON of gpu-vfio(8). */
#define _GNU_SOURCE 1
#include <string.h>

#include "claim.h"
#include "json.h"
#include "output.h"

bool group_ready(int rootfd, const struct pci_machine *m, int group)
{
	size_t i;

	if (group < 0)
		return false;
	for (i = 0; i < m->n_devs; i++) {
		const struct pci_dev *d = &m->devs[i];

		if (d->iommu_group == group && !pci_is_bridge(d) &&
		    !pci_driver_is_vfio(rootfd, d->driver))
			return false;
	}
	return true;
}

static void detail(const struct report *r, size_t i, char *buf, size_t size)
{
	const struct plan_entry *e = &r->plan->e[i];
	char rule[300];

	format_rule(r->p, e->rule, rule, sizeof(rule));
	if (e->action == ACT_CLAIM && e->vfio_driver[0] && strcmp(e->vfio_driver, "vfio-pci") != 0) {
		snprintf(buf, size, "%s%s%s (variant driver %s)", rule, rule[0] && e->reason[0] ? ": " : "",
			 e->reason, e->vfio_driver);
		return;
	}
	if (rule[0] && e->reason[0])
		snprintf(buf, size, "%s: %s", rule, e->reason);
	else
		snprintf(buf, size, "%s", rule[0] ? rule : e->reason);
}

void report_json(FILE *f, const struct report *r)
{
	const struct pci_machine *m = r->m;
	bool first = true;
	char rule[300];
	size_t i;

	fprintf(f, "{\"devices\": [");
	for (i = 0; i < m->n_devs; i++) {
		const struct pci_dev *d = &m->devs[i];
		const struct plan_entry *e = &r->plan->e[i];
		const struct state_entry *se = r->st ? state_find(r->st, d->address) : NULL;

		if (!e->listed)
			continue;
		fprintf(f, "%s\n  {\"address\": \"%s\", \"vendor\": \"%04x\", \"device\": \"%04x\", "
			   "\"subvendor\": \"%04x\", \"subdevice\": \"%04x\", \"class\": \"%06x\", \"driver\": ",
			first ? "" : ",", d->address, d->vendor, d->device, d->subvendor, d->subdevice,
			d->class);
		first = false;
		json_string_or_null(f, d->driver);
		if (d->iommu_group >= 0)
			fprintf(f, ", \"iommu_group\": %d", d->iommu_group);
		else
			fprintf(f, ", \"iommu_group\": null");
		fprintf(f, ", \"action\": \"%s\"", action_name(e->action));
		format_rule(r->p, e->rule, rule, sizeof(rule));
		if (rule[0]) {
			fprintf(f, ", \"rule\": ");
			json_string(f, rule);
		}
		if (e->via >= 0)
			fprintf(f, ", \"via\": \"%s\"", m->devs[e->via].address);
		if (e->action == ACT_CLAIM && e->vfio_driver[0])
			fprintf(f, ", \"vfio_driver\": \"%s\"", e->vfio_driver);
		if (e->reason[0]) {
			fprintf(f, ", \"reason\": ");
			json_string(f, e->reason);
		}
		if (e->rule >= 0 && r->p->rules[e->rule].name[0] &&
		    (e->action == ACT_CLAIM || e->action == ACT_CLAIMED)) {
			fprintf(f, ", \"name\": ");
			json_string(f, r->p->rules[e->rule].name);
		}
		if (r->status) {
			fprintf(f, ", \"group_ready\": %s", group_ready(r->rootfd, m, d->iommu_group) ? "true" : "false");
			fprintf(f, ", \"boot\": ");
			json_string_or_null(f, se ? se->action : NULL);
			if (se && se->previous_driver[0]) {
				fprintf(f, ", \"previous_driver\": ");
				json_string(f, se->previous_driver);
			}
		}
		fputc('}', f);
	}
	fprintf(f, "%s]", first ? "" : "\n");
	if (r->status)
		fprintf(f, ", \"state\": %s, \"disabled\": %s", r->st ? "true" : "false",
			r->st && r->st->disabled ? "true" : "false");
	fprintf(f, "}\n");
}

void report_table(FILE *f, const struct report *r)
{
	const struct pci_machine *m = r->m;
	bool any = false;
	size_t i;

	for (i = 0; i < m->n_devs; i++) {
		const struct pci_dev *d = &m->devs[i];
		const struct plan_entry *e = &r->plan->e[i];
		const struct state_entry *se = r->st ? state_find(r->st, d->address) : NULL;
		char group[16], text[720];

		if (!e->listed)
			continue;
		if (!any) {
			if (r->status)
				fprintf(f, "%-13s %-9s %-6s %-14s %5s %-5s %-8s %-8s %s\n", "ADDRESS", "ID",
					"CLASS", "DRIVER", "GROUP", "READY", "BOOT", "POLICY", "DETAIL");
			else
				fprintf(f, "%-13s %-9s %-6s %-14s %5s %-8s %s\n", "ADDRESS", "ID", "CLASS",
					"DRIVER", "GROUP", "ACTION", "DETAIL");
			any = true;
		}
		if (d->iommu_group >= 0)
			snprintf(group, sizeof(group), "%d", d->iommu_group);
		else
			snprintf(group, sizeof(group), "-");
		detail(r, i, text, sizeof(text));
		if (r->status)
			fprintf(f, "%-13s %04x:%04x %06x %-14s %5s %-5s %-8s %-8s %s\n", d->address,
				d->vendor, d->device, d->class, d->driver[0] ? d->driver : "-", group,
				group_ready(r->rootfd, m, d->iommu_group) ? "yes" : "no",
				se ? se->action : "-", action_name(e->action), text);
		else
			fprintf(f, "%-13s %04x:%04x %06x %-14s %5s %-8s %s\n", d->address, d->vendor,
				d->device, d->class, d->driver[0] ? d->driver : "-", group,
				action_name(e->action), text);
	}
	if (!any)
		fprintf(f, "No device matches the policy.\n");
}
