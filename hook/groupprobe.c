/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IOMMU groups that the kernel gives only when a driver probes the device (groupprobe.h). */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "groupprobe.h"
#include "journal.h"
#include "log.h"
#include "rootfs.h"
#include "state.h"

#define STUB "pci-stub"

/* Is the device on a root bus (its sysfs parent is the host bridge, "pciDDDD:BB")? */
static bool on_root_bus(int rootfd, const char *addr)
{
	char path[64], target[512], *last, *parent;

	snprintf(path, sizeof(path), "sys/bus/pci/devices/%s", addr);
	if (root_readlink(rootfd, path, target, sizeof(target)) < 0)
		return true; /* unknown: the narrower choice, its slot only */
	last = strrchr(target, '/');
	if (!last)
		return true;
	*last = '\0';
	parent = strrchr(target, '/');
	parent = parent ? parent + 1 : target;
	return strncmp(parent, "pci", 3) == 0;
}

/* Could o share d's group? The kernel groups a slot's functions (no ACS between them),
 * and every device of a conventional PCI bus with the bridge above it; devices on a root
 * bus in other slots are apart (root-complex integrated endpoints). */
static bool may_share_group(int rootfd, const struct pci_dev *d, const struct pci_dev *o)
{
	if (pci_same_slot(d, o))
		return true;
	return pci_same_bus(d, o) && !on_root_bus(rootfd, d->address);
}

/* A device the policy wants to claim, blocked for want of a group or not: a neighbour
 * without a group yet may belong in its group (a card whose GPU a host driver probed, and
 * so grouped, while its audio function waits for one). */
static bool wanted(const struct pci_dev *d, const struct plan_entry *e)
{
	return e->action == ACT_CLAIM || (e->action == ACT_BLOCKED && d->iommu_group < 0);
}

/* Probe one device with pci-stub and release it. Returns 1 when it has a group now. */
static int probe_one(int rootfd, struct pci_dev *d, unsigned write_ms, unsigned probe_ms)
{
	char prev[DRIVER_MAX];
	int r, got;

	snprintf(prev, sizeof(prev), "%s", d->override);
	r = bind_set_override(rootfd, d, STUB, write_ms);
	if (r < 0) {
		log_warn("%s: cannot set driver_override to probe its IOMMU group: %s", d->address,
			 r == -ETIMEDOUT ? "abandoned" : strerror(-r));
		return 0;
	}
	r = bind_probe(rootfd, d, probe_ms);
	if (r < 0 && r != -ETIMEDOUT)
		log_warn("%s: drivers_probe: %s", d->address, strerror(-r));
	(void)wait_driver(rootfd, d, STUB, r == -ETIMEDOUT ? 0 : probe_ms);
	got = d->iommu_group >= 0;
	/* Back as it was: the override first, so that nothing binds pci-stub again. */
	r = bind_set_override(rootfd, d, prev[0] ? prev : "\n", write_ms);
	if (r < 0)
		log_warn("%s: restoring driver_override: %s", d->address,
			 r == -ETIMEDOUT ? "abandoned" : strerror(-r));
	if (strcmp(d->driver, STUB) == 0) {
		r = bind_unbind(rootfd, d, STUB, write_ms);
		if (r < 0 || !wait_driver(rootfd, d, "", write_ms))
			log_err("%s: left on %s after probing its IOMMU group: unbind: %s",
				d->address, STUB,
				r == -ETIMEDOUT ? "abandoned" : r < 0 ? strerror(-r) : "still bound");
	}
	(void)pci_refresh(rootfd, d);
	if (d->iommu_group >= 0)
		got = 1;
	if (got)
		log_info("%s: IOMMU group %d, given at its first driver probe (pci-stub probed and released it)",
			 d->address, d->iommu_group);
	else
		log_warn("%s: still no IOMMU group after a probe by %s", d->address, STUB);
	return got;
}

int group_probe(int rootfd, struct pci_machine *m, const struct plan *plan,
		struct modules *mods, bool live, unsigned write_ms, unsigned probe_ms)
{
	struct state intent = { 0 };
	bool *probe, any = false, would;
	size_t i, j;
	int r, n = 0;

	/* Cheap first: is any device without a group at all? */
	for (i = 0; i < m->n_devs && !any; i++)
		any = m->devs[i].iommu_group < 0 && !m->devs[i].driver[0];
	if (!any || !pci_iommu_active(rootfd))
		return 0;
	probe = calloc(m->n_devs ? m->n_devs : 1, sizeof(*probe));
	if (!probe)
		return -ENOMEM;
	any = false;
	for (i = 0; i < m->n_devs; i++) {
		const struct pci_dev *d = &m->devs[i];

		if (!wanted(d, &plan->e[i]))
			continue;
		for (j = 0; j < m->n_devs; j++) {
			const struct pci_dev *o = &m->devs[j];

			if (o->iommu_group < 0 && !o->driver[0] && !pci_is_bridge(o) &&
			    may_share_group(rootfd, d, o))
				any = probe[j] = true;
		}
	}
	if (!any)
		goto out;
	r = modules_ensure(mods, "pci_stub", &would);
	if (r < 0 || (!live && !root_exists(rootfd, "sys/bus/pci/drivers/" STUB))) {
		log_warn("devices without an IOMMU group stay blocked: the kernel gives groups at the first driver probe here, and %s, which would probe them, cannot be had (%s)",
			 STUB, r < 0 ? strerror(-r) : "not registered, and no module is loaded under --root");
		goto out;
	}
	if (would && live)
		log_info("loaded module pci_stub");
	for (i = 0; i < m->n_devs; i++) {
		struct pci_dev *d = &m->devs[i];
		struct state_entry se = { .iommu_group = -1 };

		if (!probe[i])
			continue;
		probe[i] = false;
		if (pci_refresh(rootfd, d) < 0 || d->driver[0] || d->iommu_group >= 0)
			continue; /* gone, or taken, or grouped meanwhile */
		if (d->override[0]) {
			log_notice("%s: no IOMMU group, and its driver_override is %s: not probed",
				   d->address, d->override);
			continue;
		}
		probe[i] = true;
		snprintf(se.address, sizeof(se.address), "%s", d->address);
		snprintf(se.vendor, sizeof(se.vendor), "%04x", d->vendor);
		snprintf(se.device, sizeof(se.device), "%04x", d->device);
		snprintf(se.action, sizeof(se.action), "claiming");
		snprintf(se.driver, sizeof(se.driver), STUB);
		if (state_put(&intent, &se) < 0) {
			n = -ENOMEM;
			goto out;
		}
	}
	/* As a claim does: a run killed between the probe and the release leaves the journal,
	 * and the next claim or release puts the device back (unbound, no override). */
	if (intent.n && (r = journal_begin(rootfd, &intent)) < 0)
		log_warn("cannot record the group probe in %s: %s; an interrupted probe could not be undone",
			 JOURNAL_FILE, strerror(-r));
	for (i = 0; i < m->n_devs; i++)
		if (probe[i])
			n += probe_one(rootfd, &m->devs[i], write_ms, probe_ms);
	if (intent.n) {
		struct state none = { 0 };

		if (journal_settle(rootfd, &none) < 0)
			log_warn("cannot update %s after the group probe", JOURNAL_FILE);
	}
out:
	state_free(&intent);
	free(probe);
	return n;
}
