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

static void bridge_reason(const struct pci_dev *d, char *buf, size_t size)
{
	if (d->header_type == 0xff)
		snprintf(buf, size, "PCI bridge (class %06x; config space unreadable)", d->class);
	else
		snprintf(buf, size, "PCI bridge (header type %u)", d->header_type);
}

/* The rule keys a device cannot be matched on, as 1u << KEY_*. */
static unsigned unknown_keys(const struct pci_dev *d)
{
	return (d->unknown & PCI_UNKNOWN_VENDOR ? 1u << KEY_VENDOR : 0) |
	       (d->unknown & PCI_UNKNOWN_DEVICE ? 1u << KEY_DEVICE : 0) |
	       (d->unknown & PCI_UNKNOWN_CLASS ? 1u << KEY_CLASS : 0);
}

/* A device the scan could not read whole: which rule could decide it, ignoring the keys it
 * cannot be matched on (a rule with nothing else left could match it). */
static ssize_t decide_unknown(const struct policy *p, const struct match_target *t,
			      unsigned unknown)
{
	size_t i = p->n_rules;

	while (i-- > 0) {
		struct rule r = p->rules[i];

		r.keys &= ~unknown;
		if (rule_matches(&r, t))
			return (ssize_t)i;
	}
	return -1;
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
		if (d->boot_vga_unknown)
			snprintf(e->reason, sizeof(e->reason),
				 "boot_vga cannot be read, so this may be the boot VGA device (the host console); claim it with boot-vga=yes or its address");
		else
			snprintf(e->reason, sizeof(e->reason),
				 "boot VGA device (the host console); claim it with boot-vga=yes or its address");
	} else if (pci_is_bridge(d)) {
		e->action = ACT_KEEP;
		bridge_reason(d, e->reason, sizeof(e->reason));
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

int plan_group_stranger(int rootfd, const struct pci_machine *m, int group,
			const int *scan_group, char *buf, size_t size)
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
		const struct pci_dev *d;
		char addr[PCI_ADDR_MAX];

		if (de->d_name[0] == '.')
			continue;
		d = pci_find(m, de->d_name);
		if (!d && pci_address_normalise(de->d_name, addr, sizeof(addr)))
			d = pci_find(m, addr);
		if (!d || (scan_group && scan_group[d - m->devs] != group)) {
			snprintf(buf, size, "%.63s", de->d_name);
			found = 1;
		}
	}
	closedir(dir);
	return found;
}

/* Rule 7 for one group; mem lists its members' indices in address order. */
static void close_group(int rootfd, const struct pci_machine *m, const struct policy *p,
			struct plan *plan, int group, const size_t *mem, size_t n_mem)
{
	char way[160] = "";
	size_t i, j, k, l, n_way = 0;
	bool way_is_host_io = false;

	/* Companions first: functions of a target's slot. */
	for (k = 0; k < n_mem; k++) {
		const struct pci_dev *d = &m->devs[i = mem[k]];
		struct plan_entry *e = &plan->e[i];
		ssize_t via = -1;

		if (e->action == ACT_CLAIM || e->action == ACT_CLAIMED || pci_is_bridge(d))
			continue;
		if (e->rule >= 0 && p->rules[e->rule].action == RULE_KEEP)
			continue;
		if (e->rule >= 0)
			continue; /* a claim rule decided it and a safety rule kept it */
		if (!is_companion_class(d->class) || d->boot_vga || !strcmp(d->driver, "pci-stub"))
			continue;
		for (l = 0; l < n_mem && via < 0; l++) {
			j = mem[l];
			if (pci_same_slot(d, &m->devs[j]) &&
			    (plan->e[j].action == ACT_CLAIM || plan->e[j].action == ACT_CLAIMED) &&
			    plan->e[j].via < 0)
				via = (ssize_t)j;
		}
		if (via < 0)
			continue;
		e->via = via;
		e->listed = true;
		e->action = e->on_vfio ? ACT_CLAIMED : ACT_CLAIM;
		snprintf(e->reason, sizeof(e->reason), "companion of %s (same slot, IOMMU group %d)",
			 m->devs[via].address, group);
	}

	/* Anything else in the group that is not on a VFIO driver is in the way. */
	for (k = 0; k < n_mem; k++) {
		const struct pci_dev *d = &m->devs[i = mem[k]];
		struct plan_entry *e = &plan->e[i];

		e->listed = true;
		if (e->action == ACT_CLAIM || e->action == ACT_CLAIMED)
			continue;
		if (pci_is_bridge(d)) {
			if (e->action == ACT_NONE) {
				e->action = ACT_KEEP;
				bridge_reason(d, e->reason, sizeof(e->reason));
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
	/* Devices the kernel lists in the group that the scan could not read block it too. */
	if (!way[0]) {
		char name[64];

		if (!plan_group_stranger(rootfd, m, group, NULL, name, sizeof(name)))
			return;
		snprintf(way, sizeof(way), "%.40s (unreadable device)", name);
	}

	for (k = 0; k < n_mem; k++) {
		struct plan_entry *e = &plan->e[mem[k]];

		if (e->action != ACT_CLAIM)
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

/* Is a driver a VFIO driver? Asked once per distinct driver name, not once per device. */
struct vfio_cache {
	char name[16][DRIVER_MAX];
	bool vfio[16];
	size_t n;
};

static bool driver_is_vfio(int rootfd, struct vfio_cache *vc, const char *driver)
{
	size_t i;
	bool r;

	if (!driver[0])
		return false;
	for (i = 0; i < vc->n; i++)
		if (strcmp(vc->name[i], driver) == 0)
			return vc->vfio[i];
	r = pci_driver_is_vfio(rootfd, driver);
	if (vc->n < 16) {
		snprintf(vc->name[vc->n], DRIVER_MAX, "%s", driver);
		vc->vfio[vc->n++] = r;
	}
	return r;
}

int plan_build(int rootfd, struct pci_machine *m, const struct policy *p, struct plan *ret)
{
	struct plan plan = { .n = m->n_devs };
	struct vfio_cache vc = { .n = 0 };
	bool need_numa = false, need_subsys = false, last_noiommu = false;
	int last_group = -1, iommu_active = -1;
	struct pci_key_idx *mem;
	size_t *idx, i, j, k, n_mem = 0;

	plan.e = calloc(m->n_devs ? m->n_devs : 1, sizeof(*plan.e));
	if (!plan.e)
		return -ENOMEM;

	for (i = 0; i < p->n_rules; i++) {
		need_numa |= (p->rules[i].keys & (1u << KEY_NUMA_NODE)) != 0;
		need_subsys |= (p->rules[i].keys & (1u << KEY_SUBVENDOR | 1u << KEY_SUBDEVICE)) != 0;
	}
	for (i = 0; i < m->n_devs; i++) {
		struct pci_dev *d = &m->devs[i];
		struct match_target t;
		struct plan_entry *e = &plan.e[i];

		if (need_numa)
			pci_read_numa(rootfd, d);
		if (need_subsys)
			pci_read_subsys(rootfd, d);
		t = target_of(d);
		e->via = -1;
		e->on_vfio = driver_is_vfio(rootfd, &vc, d->driver);
		if (d->unknown) {
			/* Its ids or class cannot be read: never a target, and it blocks any
			 * group it is in. Reported whenever a rule could want it. */
			ssize_t rule = decide_unknown(p, &t, unknown_keys(d));

			e->rule = rule;
			snprintf(e->reason, sizeof(e->reason), "cannot read %s", d->bad);
			if (rule < 0)
				continue;
			e->listed = true;
			e->action = p->rules[rule].action == RULE_KEEP ? ACT_KEEP : ACT_BLOCKED;
			continue;
		}
		e->rule = policy_decide(p, &t);
		if (e->rule < 0)
			continue;
		e->listed = true;
		if (p->rules[e->rule].action == RULE_KEEP) {
			e->action = ACT_KEEP;
			snprintf(e->reason, sizeof(e->reason), "keep rule");
			continue;
		}
		pci_read_details(rootfd, d);
		/* The functions of a card are neighbours in address order and share a group. */
		if (d->iommu_group >= 0 && d->iommu_group != last_group) {
			last_group = d->iommu_group;
			last_noiommu = pci_group_is_noiommu(rootfd, last_group);
		}
		d->noiommu = d->iommu_group >= 0 && last_noiommu;
		apply_device_rules(d, &p->rules[e->rule], e);
		if (e->action == ACT_BLOCKED && d->iommu_group < 0) {
			if (iommu_active < 0)
				iommu_active = pci_iommu_active(rootfd);
			if (iommu_active)
				snprintf(e->reason, sizeof(e->reason),
					 "no IOMMU group yet: an IOMMU is active, so the kernel gives it at the first driver probe (arm64 SMMU); claim probes it with pci-stub");
		}
	}

	/* Rule 7, once for each group that holds a target: index the devices by group. */
	mem = malloc((m->n_devs ? m->n_devs : 1) * sizeof(*mem));
	idx = malloc((m->n_devs ? m->n_devs : 1) * sizeof(*idx));
	if (!mem || !idx) {
		free(mem);
		free(idx);
		free(plan.e);
		return -ENOMEM;
	}
	for (i = 0; i < m->n_devs; i++)
		if (m->devs[i].iommu_group >= 0)
			mem[n_mem++] = (struct pci_key_idx){ .key = (uint64_t)m->devs[i].iommu_group,
							     .idx = i };
	if (pci_sort_keys(mem, n_mem) < 0) {
		free(mem);
		free(idx);
		free(plan.e);
		return -ENOMEM;
	}
	for (i = 0; i < n_mem; i = j) {
		bool target = false;

		for (j = i; j < n_mem && mem[j].key == mem[i].key; j++) {
			enum action a = plan.e[mem[j].idx].action;

			idx[j - i] = mem[j].idx;
			target |= a == ACT_CLAIM || a == ACT_CLAIMED;
		}
		k = j - i;
		if (target)
			close_group(rootfd, m, p, &plan, (int)mem[i].key, idx, k);
	}
	free(mem);
	free(idx);
	/* Reports show the subsystem ids of every listed device. */
	for (i = 0; i < m->n_devs; i++)
		if (plan.e[i].listed)
			pci_read_subsys(rootfd, &m->devs[i]);
	*ret = plan;
	return 0;
}

void plan_pick_drivers(int rootfd, struct plan *plan, struct pci_machine *m,
		       struct modules *mods)
{
	/* Identical cards share a modalias: look each one up once. */
	struct {
		char modalias[128];
		char driver[DRIVER_MAX];
	} cache[8] = { 0 };
	size_t i, j, n_cache = 0;

	for (i = 0; i < m->n_devs; i++) {
		struct plan_entry *e = &plan->e[i];
		struct pci_dev *d = &m->devs[i];

		if (e->action != ACT_CLAIM)
			continue;
		if (!d->modalias[0])
			pci_read_details(rootfd, d);
		for (j = 0; j < n_cache && strcmp(cache[j].modalias, d->modalias) != 0; j++)
			;
		if (j < n_cache) {
			snprintf(e->vfio_driver, sizeof(e->vfio_driver), "%s", cache[j].driver);
			continue;
		}
		if (modules_vfio_variant(mods, d->modalias, e->vfio_driver, sizeof(e->vfio_driver)) < 0)
			snprintf(e->vfio_driver, sizeof(e->vfio_driver), "vfio-pci");
		j = n_cache < 8 ? n_cache++ : i % 8;
		snprintf(cache[j].modalias, sizeof(cache[j].modalias), "%s", d->modalias);
		snprintf(cache[j].driver, sizeof(cache[j].driver), "%s", e->vfio_driver);
	}
}

void format_rule(const struct policy *p, ssize_t rule, char *buf, size_t size)
{
	if (rule < 0)
		buf[0] = '\0';
	else
		snprintf(buf, size, "%s:%u", p->rules[rule].file, p->rules[rule].line);
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
