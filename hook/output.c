/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Printing a plan or a status: the human table and the JSON of gpu-vfio(8). */
#define _GNU_SOURCE 1
#include <stdint.h>
#include <string.h>

#include "plan.h"
#include "iommufd.h"
#include "isolation.h"
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

/* One table row, built by hand: printf's formatting cost more than the scan on a machine
 * with thousands of devices. Text is cut at the end of the buffer, never overrun. */
struct row {
	char buf[1024];
	size_t n;
};

static void put(struct row *w, const char *s)
{
	size_t len = strnlen(s, sizeof(w->buf) - 1 - w->n);

	memcpy(w->buf + w->n, s, len);
	w->n += len;
}

/* s left-aligned in width columns, then one space (like "%-*s "). */
static void put_left(struct row *w, const char *s, size_t width)
{
	size_t start = w->n;

	put(w, s);
	while (w->n - start < width && w->n < sizeof(w->buf) - 2)
		w->buf[w->n++] = ' ';
	if (w->n < sizeof(w->buf) - 2)
		w->buf[w->n++] = ' ';
}

/* s right-aligned in width columns, then one space (like "%*s "). */
static void put_right(struct row *w, const char *s, size_t width)
{
	size_t len = strlen(s);

	while (len < width && w->n < sizeof(w->buf) - 2) {
		w->buf[w->n++] = ' ';
		len++;
	}
	put_left(w, s, 0);
}

static void put_hex(struct row *w, uint32_t v, int digits)
{
	static const char hex[] = "0123456789abcdef";

	while (digits-- && w->n < sizeof(w->buf) - 1)
		w->buf[w->n++] = hex[(v >> (4 * digits)) & 0xf];
}

static void put_uint(struct row *w, unsigned long v)
{
	char tmp[24];
	size_t i = sizeof(tmp) - 1;

	tmp[i] = '\0';
	do
		tmp[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i > 0);
	put(w, tmp + i);
}

/* The DETAIL column: "FILE:LINE: reason", or either alone, and the variant driver. */
static void put_detail(struct row *w, const struct report *r, size_t i)
{
	const struct plan_entry *e = &r->plan->e[i];
	bool variant = e->action == ACT_CLAIM && e->vfio_driver[0] &&
		       strcmp(e->vfio_driver, "vfio-pci") != 0;

	if (e->rule >= 0) {
		put(w, r->p->rules[e->rule].file);
		put(w, ":");
		put_uint(w, r->p->rules[e->rule].line);
		if (e->reason[0])
			put(w, ": ");
	}
	put(w, e->reason);
	if (variant) {
		put(w, " (variant driver ");
		put(w, e->vfio_driver);
		put(w, ")");
	}
}

void report_json(FILE *f, const struct report *r)
{
	const struct pci_machine *m = r->m;
	char rule[300], cdev[VFIO_CDEV_MAX];
	bool first = true;
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
		/* Groups whose isolation rests on an override, not on the hardware. */
		if (d->iommu_group >= 0 && r->iso && r->iso->group_kinds[0])
			fprintf(f, ", \"isolation\": \"%s\"", r->iso->group_kinds);
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
			/* The device's VFIO cdev (/dev/vfio/devices/vfioN), when it has one. */
			fprintf(f, ", \"vfio_cdev\": ");
			json_string_or_null(f, vfio_cdev_of(r->rootfd, d->address, cdev,
							    sizeof(cdev)) == 1 ? cdev : NULL);
		}
		fputc('}', f);
	}
	fprintf(f, "%s]", first ? "" : "\n");
	if (r->status) {
		fprintf(f, ", \"state\": %s, \"disabled\": %s", r->st ? "true" : "false",
			r->st && r->st->disabled ? "true" : "false");
		fprintf(f, ", \"iommufd\": %s", iommufd_present(r->rootfd) ? "true" : "false");
	}
	fprintf(f, "}\n");
}

void report_table(FILE *f, const struct report *r)
{
	const struct pci_machine *m = r->m;
	bool any = false, grouped = false;
	char cdev[VFIO_CDEV_MAX];
	size_t i;

	for (i = 0; i < m->n_devs; i++) {
		const struct pci_dev *d = &m->devs[i];
		const struct plan_entry *e = &r->plan->e[i];
		const struct state_entry *se = r->st ? state_find(r->st, d->address) : NULL;
		struct row w;

		if (!e->listed)
			continue;
		grouped |= d->iommu_group >= 0;
		if (!any) {
			if (r->status)
				fprintf(f, "%-13s %-9s %-6s %-14s %5s %-5s %-8s %-8s %s\n", "ADDRESS", "ID",
					"CLASS", "DRIVER", "GROUP", "READY", "BOOT", "POLICY", "DETAIL");
			else
				fprintf(f, "%-13s %-9s %-6s %-14s %5s %-8s %s\n", "ADDRESS", "ID", "CLASS",
					"DRIVER", "GROUP", "ACTION", "DETAIL");
			any = true;
		}
		w.n = 0;
		put_left(&w, d->address, 13);
		put_hex(&w, d->vendor, 4);
		put(&w, ":");
		put_hex(&w, d->device, 4);
		put(&w, " ");
		put_hex(&w, d->class, 6);
		put(&w, " ");
		put_left(&w, d->driver[0] ? d->driver : "-", 14);
		if (d->iommu_group >= 0) {
			struct row g = { .n = 0 };

			put_uint(&g, (unsigned long)d->iommu_group);
			g.buf[g.n] = '\0';
			put_right(&w, g.buf, 5);
		} else {
			put_right(&w, "-", 5);
		}
		if (r->status) {
			put_left(&w, group_ready(r->rootfd, m, d->iommu_group) ? "yes" : "no", 5);
			put_left(&w, se ? se->action : "-", 8);
		}
		put_left(&w, action_name(e->action), 8);
		put_detail(&w, r, i);
		if (r->status && vfio_cdev_of(r->rootfd, d->address, cdev, sizeof(cdev)) == 1) {
			put(&w, " (cdev /dev/vfio/devices/");
			put(&w, cdev);
			put(&w, ")");
		}
		/* Room for the newline is kept by put(). */
		w.buf[w.n++] = '\n';
		fwrite(w.buf, 1, w.n, f);
	}
	if (!any)
		fprintf(f, "No device matches the policy.\n");
	if (grouped && r->iso && r->iso->group_kinds[0])
		fprintf(f, "note: the isolation of these IOMMU groups rests on an override (%s), not on the hardware: see gpu-vfio check\n",
			r->iso->group_kinds);
	if (!r->status)
		return;
	if (iommufd_present(r->rootfd))
		fprintf(f, "iommufd: available (/dev/iommu): a VM can open a claimed device through its cdev (/dev/vfio/devices/vfioN) or its group (/dev/vfio/GROUP)\n");
	else
		fprintf(f, "iommufd: not available (/dev/iommu missing: kernel without CONFIG_IOMMUFD, or the iommufd module not loaded): VMs use the group interface (/dev/vfio/GROUP)\n");
}
