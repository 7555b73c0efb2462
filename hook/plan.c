/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The planner: which devices the policy wants, and which of them it is safe to claim. */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules.h"
#include "plan.h"
#include "rootfs.h"

const char *action_name(enum action a)
{
	switch (a) {
	case ACT_CLAIM:
		return "claim";
	case ACT_CLAIMED:
		return "claimed";
	case ACT_KEEP:
		return "keep";
	case ACT_BLOCKED:
		return "blocked";
	case ACT_FAILED:
		return "failed";
	default:
		return "none";
	}
}

static struct match_target target_of(const struct pci_dev *d)
{
	return (struct match_target){
		.address = d->address,
		.vendor = d->vendor,
		.device = d->device,
		.subvendor = d->subvendor,
		.subdevice = d->subdevice,
		.class = d->class,
		.boot_vga = d->boot_vga,
		.numa_node = d->numa_node,
	};
}

/* Rules 3 and 4: a class the broad rules must not take, unless the rule names the device. */
static bool rule_names(const struct rule *r, const struct pci_dev *d)
{
	/* All keys of a deciding rule matched, so a device= or class= key present means the
	 * device's id or class is listed in it. */
	return rule_names_address(r, d->address) || (r->keys & (1u << KEY_DEVICE)) ||
	       (r->keys & (1u << KEY_CLASS));
}

static void describe(const struct pci_dev *d, char *buf, size_t size)
{
	snprintf(buf, size, "%s (%04x:%04x, class %06x, driver %s)", d->address, d->vendor,
		 d->device, d->class, d->driver[0] ? d->driver : "none");
}

/* Rules 1-6 for one device a claim rule decided. */
static void apply_device_rules(const struct pci_dev *d, const struct rule *r, struct plan_entry *e)
{
	unsigned base = d->class >> 16;

	e->action = ACT_CLAIM;
	if (d->boot_vga && !((r->keys & (1u << KEY_BOOT_VGA)) && r->boot_vga) &&
	    !rule_names_address(r, d->address)) {
		e->action = ACT_KEEP;
		snprintf(e->reason, sizeof(e->reason),
			 "boot VGA device (the host console); claim it with boot-vga=yes or its address");
	} else if (pci_is_bridge(d)) {
		e->action = ACT_KEEP;
		snprintf(e->reason, sizeof(e->reason), "PCI bridge (header type %u)", d->header_type);
	} else if (d->vendor == 0x10de && (d->class >> 8) == 0x0680 && !rule_names(r, d)) {
		e->action = ACT_KEEP;
		snprintf(e->reason, sizeof(e->reason),
			 "NVSwitch stays with the host for the fabric manager; name it by address, device= or class= to claim it");
	} else if ((base == 0x01 || base == 0x02) && !rule_names(r, d)) {
		e->action = ACT_KEEP;
		snprintf(e->reason, sizeof(e->reason),
			 "%s controller is never taken by a broad rule; name it by address, device= or class= to claim it",
			 base == 0x01 ? "storage" : "network");
	} else if (e->on_vfio) {
		e->action = ACT_CLAIMED;
	} else if (d->iommu_group < 0) {
		e->action = ACT_BLOCKED;
		snprintf(e->reason, sizeof(e->reason),
			 "no IOMMU group: the IOMMU is off or absent (see gpu-vfio check)");
	} else if (d->noiommu) {
		e->action = ACT_BLOCKED;
		snprintf(e->reason, sizeof(e->reason),
			 "IOMMU group %d is a vfio-noiommu group (no DMA isolation)", d->iommu_group);
	} else if (d->is_vf && !rule_names_address(r, d->address)) {
		e->action = ACT_BLOCKED;
		snprintf(e->reason, sizeof(e->reason),
			 "SR-IOV virtual function; name its address to claim it");
	} else if (d->sriov_numvfs > 0 && !rule_names_address(r, d->address)) {
		e->action = ACT_BLOCKED;
		snprintf(e->reason, sizeof(e->reason),
			 "SR-IOV physical function with %d VFs enabled; name its address to claim it",
			 d->sriov_numvfs);
	}
}

static bool is_companion_class(uint32_t class)
{
	return (class >> 16) == 0x03 || (class >> 8) == 0x0403 || (class >> 8) == 0x0c03 ||
	       (class >> 8) == 0x0c80;
}

/* Devices the kernel lists in a group that the scan could not read block the group too. */
static int group_unknown_member(int rootfd, const struct pci_machine *m, int group, char *buf,
				size_t size)
{
	char path[64];
	struct dirent *de;
	int dfd, found = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "sys/kernel/iommu_groups/%d/devices", group);
	dfd = openat(rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return 0;
	}
	while (!found && (de = readdir(dir))) {
		char addr[PCI_ADDR_MAX];

		if (de->d_name[0] == '.')
			continue;
		if (!pci_address_normalise(de->d_name, addr, sizeof(addr)) || !pci_find(m, addr)) {
			snprintf(buf, size, "%.40s (unreadable device)", de->d_name);
			found = 1;
		}
	}
	closedir(dir);
	return found;
}

static void close_group(int rootfd, const struct pci_machine *m, const struct policy *p,
			struct plan *plan, int group)
{
	char way[160] = "";
	size_t i, j, n_way = 0;
	bool way_is_host_io = false;

	/* Companions first: functions of a target's slot. */
	for (i = 0; i < m->n_devs; i++) {
		const struct pci_dev *d = &m->devs[i];
		struct plan_entry *e = &plan->e[i];
		ssize_t via = -1;

		if (d->iommu_group != group || e->action == ACT_CLAIM || e->action == ACT_CLAIMED ||
		    pci_is_bridge(d))
			continue;
		if (e->rule >= 0 && p->rules[e->rule].action == RULE_KEEP)
			continue;
		if (e->rule >= 0)
			continue; /* a claim rule decided it and a safety rule kept it */
		if (!is_companion_class(d->class) || d->boot_vga || !strcmp(d->driver, "pci-stub"))
			continue;
		for (j = 0; j < m->n_devs && via < 0; j++)
			if (m->devs[j].iommu_group == group && pci_same_slot(d, &m->devs[j]) &&
			    (plan->e[j].action == ACT_CLAIM || plan->e[j].action == ACT_CLAIMED) &&
			    plan->e[j].via < 0)
				via = (ssize_t)j;
		if (via < 0)
			continue;
		e->via = via;
		e->listed = true;
		e->action = e->on_vfio ? ACT_CLAIMED : ACT_CLAIM;
		snprintf(e->reason, sizeof(e->reason), "companion of %s (same slot, IOMMU group %d)",
			 m->devs[via].address, group);
	}

	/* Anything else in the group that is not on a VFIO driver is in the way. */
	for (i = 0; i < m->n_devs; i++) {
		const struct pci_dev *d = &m->devs[i];
		struct plan_entry *e = &plan->e[i];

		if (d->iommu_group != group)
			continue;
		e->listed = true;
		if (e->action == ACT_CLAIM || e->action == ACT_CLAIMED)
			continue;
		if (pci_is_bridge(d)) {
			if (e->action == ACT_NONE) {
				e->action = ACT_KEEP;
				snprintf(e->reason, sizeof(e->reason), "PCI bridge (header type %u)",
					 d->header_type);
			}
			continue;
		}
		if (e->on_vfio && e->action != ACT_KEEP) {
			e->action = ACT_CLAIMED;
			if (!e->reason[0])
				snprintf(e->reason, sizeof(e->reason),
					 "already on %s, shares IOMMU group %d", d->driver, group);
			continue;
		}
		/* Name the device that matters most: a disk or NIC the host would lose. */
		if (!n_way++ || (!way_is_host_io && ((d->class >> 16) == 0x01 || (d->class >> 16) == 0x02))) {
			describe(d, way, sizeof(way));
			way_is_host_io = (d->class >> 16) == 0x01 || (d->class >> 16) == 0x02;
		}
		if (e->action == ACT_NONE) {
			e->action = ACT_KEEP;
			snprintf(e->reason, sizeof(e->reason),
				 "not wanted by the policy; shares IOMMU group %d", group);
		}
	}
	if (!way[0] && !group_unknown_member(rootfd, m, group, way, sizeof(way)))
		return;

	for (i = 0; i < m->n_devs; i++) {
		struct plan_entry *e = &plan->e[i];

		if (m->devs[i].iommu_group != group || e->action != ACT_CLAIM)
			continue;
		e->action = ACT_BLOCKED;
		if (n_way > 1)
			snprintf(e->reason, sizeof(e->reason),
				 "IOMMU group %d is not viable: it also holds %s and %zu other device%s, which stay with the host",
				 group, way, n_way - 1, n_way > 2 ? "s" : "");
		else
			snprintf(e->reason, sizeof(e->reason),
				 "IOMMU group %d is not viable: it also holds %s, which stays with the host",
				 group, way);
	}
}

int plan_build(int rootfd, const struct pci_machine *m, const struct policy *p, struct plan *ret)
{
	struct plan plan = { .n = m->n_devs };
	size_t i, j, n_groups = 0;
	int *groups;

	plan.e = calloc(m->n_devs ? m->n_devs : 1, sizeof(*plan.e));
	if (!plan.e)
		return -ENOMEM;

	for (i = 0; i < m->n_devs; i++) {
		const struct pci_dev *d = &m->devs[i];
		struct match_target t = target_of(d);
		struct plan_entry *e = &plan.e[i];

		e->via = -1;
		e->on_vfio = pci_driver_is_vfio(rootfd, d->driver);
		e->rule = policy_decide(p, &t);
		if (e->rule < 0)
			continue;
		e->listed = true;
		if (p->rules[e->rule].action == RULE_KEEP) {
			e->action = ACT_KEEP;
			snprintf(e->reason, sizeof(e->reason), "keep rule");
			continue;
		}
		apply_device_rules(d, &p->rules[e->rule], e);
	}

	/* Rule 7, once for each group that holds a target. */
	groups = malloc((m->n_devs ? m->n_devs : 1) * sizeof(*groups));
	if (!groups) {
		free(plan.e);
		return -ENOMEM;
	}
	for (i = 0; i < m->n_devs; i++) {
		int g = m->devs[i].iommu_group;

		if (g < 0 || (plan.e[i].action != ACT_CLAIM && plan.e[i].action != ACT_CLAIMED))
			continue;
		for (j = 0; j < n_groups && groups[j] != g; j++)
			;
		if (j == n_groups)
			groups[n_groups++] = g;
	}
	for (j = 0; j < n_groups; j++)
		close_group(rootfd, m, p, &plan, groups[j]);
	free(groups);
	*ret = plan;
	return 0;
}

void plan_pick_drivers(struct plan *plan, const struct pci_machine *m, struct modules *mods)
{
	size_t i;

	for (i = 0; i < m->n_devs; i++) {
		struct plan_entry *e = &plan->e[i];

		if (e->action != ACT_CLAIM)
			continue;
		if (modules_vfio_variant(mods, m->devs[i].modalias, e->vfio_driver,
					 sizeof(e->vfio_driver)) < 0)
			snprintf(e->vfio_driver, sizeof(e->vfio_driver), "vfio-pci");
	}
}

void plan_free(struct plan *plan)
{
	free(plan->e);
	plan->e = NULL;
	plan->n = 0;
}

bool plan_has_problems(const struct plan *plan)
{
	size_t i;

	for (i = 0; i < plan->n; i++)
		if (plan->e[i].action == ACT_BLOCKED || plan->e[i].action == ACT_FAILED)
			return true;
	return false;
}
