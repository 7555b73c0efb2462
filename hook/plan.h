/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The planner: which devices the policy wants, and which of them it is safe to claim. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "pci.h"
#include "policy.h"

enum action {
	ACT_NONE, /* not considered: no rule matched, not in a target's group */
	ACT_CLAIM,
	ACT_CLAIMED,
	ACT_KEEP,
	ACT_BLOCKED,
	ACT_FAILED,
};

struct plan_entry {
	enum action action;
	ssize_t rule; /* the deciding rule, or -1 */
	ssize_t via; /* for a companion: the device it is claimed with, or -1 */
	bool listed;
	bool on_vfio; /* currently bound to a VFIO driver */
	char reason[320];
	char vfio_driver[DRIVER_MAX]; /* for claim: vfio-pci or the variant driver modules.alias names */
};

struct plan {
	struct plan_entry *e; /* parallel to machine->devs */
	size_t n;
};

/* Decide every device of m against p, applying the safety rules of gpu-vfio.conf(5). The
 * attributes the scan leaves unread (numa_node, subsystem ids, details) are read into m for
 * the devices that need them. */
int plan_build(int rootfd, struct pci_machine *m, const struct policy *p, struct plan *ret);

void plan_free(struct plan *plan);

struct modules;
/* Pick the VFIO driver of every device to claim (a variant driver when modules.alias has a
 * vfio_pci: alias for its modalias, else vfio-pci); reads the modalias into m if needed. */
void plan_pick_drivers(int rootfd, struct plan *plan, struct pci_machine *m,
		       struct modules *mods);

const char *action_name(enum action a);

/* "FILE:LINE" of a rule, or "" for -1. */
void format_rule(const struct policy *p, ssize_t rule, char *buf, size_t size);

/* The first device the kernel lists in IOMMU group `group` that is not a device of m in
 * that group: not in m (not scanned, or unreadable), or, with scan_group (the group of each
 * device of m as an earlier scan saw it), seen in another group. Its name goes to buf.
 * Returns 1, or 0 when there is none or the group's directory cannot be read. */
int plan_group_stranger(int rootfd, const struct pci_machine *m, int group,
			const int *scan_group, char *buf, size_t size);

/* Any wanted device blocked or failed (exit status 3)? */
bool plan_has_problems(const struct plan *plan);
