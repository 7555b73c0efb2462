/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The claimer: bind planned devices to their VFIO driver, group by group, and verify. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "claim.h"
#include "deadline.h"
#include "journal.h"
#include "log.h"
#include "restore.h"
#include "rootfs.h"

struct group_dev {
	size_t idx;
	int group; /* the IOMMU group the scan saw */
	bool gone; /* vanished between the scan and the claim */
	char vfio_driver[DRIVER_MAX];
	struct restore_dev r; /* what to return to, and whether it was */
};

struct run {
	int rootfd;
	struct pci_machine *m;
	const struct policy *p;
	struct plan *plan;
	struct modules *mods;
	const struct claim_opts *o;
	const struct group_dev *info; /* per device of m, as the scan saw it */
	const int *scan_group; /* per device of m, the IOMMU group the scan saw */
	unsigned long long claim_end; /* no new claim step after this... */
	unsigned long long deadline; /* ...so that restoring ends by this: the whole run */
	unsigned run_ms; /* the whole run's budget */
};

/* Drivers whose probe is slow (a probe is not an unbind): what DESIGN.md allows them. */
static const struct {
	const char *driver;
	unsigned probe_ms;
} slow_probes[] = {
	/* Polls the C2C link and the GPU memory training for up to 30 s (Linux 6.12
	 * drivers/vfio/pci/nvgrace-gpu/main.c), per device. */
	{ "nvgrace_gpu_vfio_pci", 40000 },
};

unsigned claim_probe_budget_ms(const char *driver, unsigned default_ms)
{
	size_t i;

	for (i = 0; i < sizeof(slow_probes) / sizeof(*slow_probes); i++)
		if (strcmp(slow_probes[i].driver, driver) == 0)
			return slow_probes[i].probe_ms > default_ms ? slow_probes[i].probe_ms
								    : default_ms;
	return default_ms;
}

unsigned claim_run_budget_ms(const struct pci_machine *m, const struct plan *plan,
			     const struct claim_opts *o)
{
	unsigned long long sum = 0, run;
	size_t i;

	for (i = 0; i < m->n_devs && i < plan->n; i++) {
		const struct plan_entry *e = &plan->e[i];

		if (e->action != ACT_CLAIM)
			continue;
		if (m->devs[i].driver[0])
			sum += o->unbind_timeout_ms;
		sum += claim_probe_budget_ms(e->vfio_driver[0] ? e->vfio_driver : "vfio-pci",
					     o->verify_timeout_ms);
	}
	run = sum * 3 / 2;
	if (run < CLAIM_RUN_MIN_MS)
		run = CLAIM_RUN_MIN_MS;
	if (run > CLAIM_RUN_MAX_MS)
		run = CLAIM_RUN_MAX_MS;
	return (unsigned)run;
}

static unsigned budget(const struct run *run, unsigned want)
{
	return budget_until(run->claim_end, want);
}

static int fail(struct run *run, struct group_dev *g, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Mark the group failed and put it back as it was found; say what could not be.
 * Returns -1 for the caller. */
static int fail(struct run *run, struct group_dev *g, size_t n, const char *fmt, ...)
{
	struct restore_dev *rd = calloc(n ? n : 1, sizeof(*rd));
	char reason[200];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	for (i = 0; rd && i < n; i++)
		rd[i] = g[i].r;
	if (rd)
		(void)restore_devices(run->rootfd, rd, n, run->o->unbind_timeout_ms,
				    run->o->verify_timeout_ms, run->deadline);
	for (i = 0; i < n; i++) {
		struct plan_entry *e = &run->plan->e[g[i].idx];
		const char *address = run->m->devs[g[i].idx].address;

		e->action = ACT_FAILED;
		if (!rd) {
			snprintf(e->reason, sizeof(e->reason), "%s; not restored: out of memory",
				 reason);
			log_err("%s: claim failed and NOT restored: out of memory (%s)", address,
				reason);
		} else if (rd[i].restored) {
			snprintf(e->reason, sizeof(e->reason), "%s", reason);
			log_err("%s: claim failed, group restored (%s)", address, reason);
		} else {
			snprintf(e->reason, sizeof(e->reason), "%s; not restored: %s", reason,
				 rd[i].note);
			log_err("%s: claim failed and NOT restored: %s (%s); %s keeps what to undo",
				address, rd[i].note, reason, JOURNAL_FILE);
		}
	}
	free(rd);
	return -1;
}

/* The module of a VFIO driver name. */
static const char *vfio_module(const char *driver)
{
	return strcmp(driver, "vfio-pci") == 0 ? "vfio_pci" : driver;
}

static bool driver_registered(int rootfd, const char *driver)
{
	char path[128];

	snprintf(path, sizeof(path), "sys/bus/pci/drivers/%s", driver);
	return root_exists(rootfd, path);
}

/* Load (or find) a module before anything is written to a device that needs it.
 * driver: the PCI driver it registers ("" for none, as vfio_iommu_type1). Returns 0, or
 * -errno with why in buf. */
static int need_module(struct run *run, const char *mod, const char *driver, char *buf,
		       size_t size)
{
	bool would;
	int r;

	r = modules_ensure(run->mods, mod, &would);
	if (r < 0) {
		snprintf(buf, size, "cannot load module %s: %s; nothing was written", mod,
			 strerror(-r));
		return r;
	}
	if (!would)
		return 0;
	if (run->o->live) {
		log_info("loaded module %s", mod);
		return 0;
	}
	/* Not loading under --root: what the root has registered is what there is. */
	if (driver[0] && !driver_registered(run->rootfd, driver)) {
		snprintf(buf, size, "driver %s is not registered and modules are not loaded under --root; nothing was written",
			 driver);
		return -ENOENT;
	}
	log_notice("would load module %s (not loading modules under --root)", mod);
	return 0;
}

static int claim_group(struct run *run, struct group_dev *g, size_t n)
{
	struct pci_machine *m = run->m;
	char other[64];
	size_t i;
	int r;

	/* 0. the group is still what the plan judged: devices come and go (hotplug, a
	 *    remove/rescan) and a group can change between the scan and now. */
	for (i = 0; i < n; i++) {
		struct pci_dev *d = &m->devs[g[i].idx];

		if (g[i].gone)
			return fail(run, g, n, "%s disappeared since the scan", d->address);
		if (d->iommu_group != g[i].group)
			return fail(run, g, n, "%s moved from IOMMU group %d to %d since the scan",
				    d->address, g[i].group, d->iommu_group);
	}
	if (plan_group_stranger(run->rootfd, run->m, g[0].group, run->scan_group, other,
				sizeof(other)))
		return fail(run, g, n, "IOMMU group %d changed since the scan: it now holds %s",
			    g[0].group, other);

	/* 1. driver_override on every device before anything is unbound or probed, so no
	 *    native driver can take a function back in between. Bounded like every write:
	 *    an attribute can block (a FIFO in tests, a wedged device in life). */
	for (i = 0; i < n; i++) {
		struct pci_dev *d = &m->devs[g[i].idx];
		unsigned t = budget(run, run->o->unbind_timeout_ms);

		if (t == 0)
			return fail(run, g, n, "abandoned: the %u s run deadline passed",
				    run->run_ms / 1000);
		r = bind_set_override(run->rootfd, d, g[i].vfio_driver, t);
		if (r == -ETIMEDOUT)
			return fail(run, g, n, "writing driver_override of %s abandoned after %u ms",
				    d->address, t);
		if (r < 0)
			return fail(run, g, n, "writing driver_override of %s: %s", d->address,
				    strerror(-r));
		g[i].r.override_written = true;
	}
	/* 2. unbind current drivers, each with its deadline. */
	for (i = 0; i < n; i++) {
		struct pci_dev *d = &m->devs[g[i].idx];
		unsigned t;

		if (!d->driver[0])
			continue;
		t = budget(run, run->o->unbind_timeout_ms);
		if (t == 0)
			return fail(run, g, n, "abandoned: the %u s run deadline passed",
				    run->run_ms / 1000);
		r = bind_unbind(run->rootfd, d, d->driver, t);
		if (r == -ETIMEDOUT)
			return fail(run, g, n, "unbind of %s from %s abandoned after %u ms",
				    d->address, d->driver, t);
		if (r < 0)
			return fail(run, g, n, "unbind of %s from %s: %s", d->address, d->driver,
				    strerror(-r));
		if (!wait_driver(run->rootfd, d, "", budget(run, run->o->verify_timeout_ms)))
			return fail(run, g, n, "%s still bound to %s after unbind", d->address,
				    d->driver);
		log_info("%s: unbound from %s", d->address, g[i].r.prev_driver);
	}
	/* 3. probe what is still unbound (the VFIO drivers were loaded before step 1). */
	for (i = 0; i < n; i++) {
		struct pci_dev *d = &m->devs[g[i].idx];
		unsigned t;

		if (pci_refresh(run->rootfd, d) < 0)
			return fail(run, g, n, "%s disappeared", d->address);
		if (d->driver[0])
			continue;
		/* drivers_probe returns when the driver's probe does: its budget, not an
		 * unbind's. */
		t = claim_probe_budget_ms(g[i].vfio_driver, run->o->verify_timeout_ms);
		t = budget(run, t > run->o->unbind_timeout_ms ? t : run->o->unbind_timeout_ms);
		if (t == 0)
			return fail(run, g, n, "abandoned: the %u s run deadline passed",
				    run->run_ms / 1000);
		r = bind_probe(run->rootfd, d, t);
		if (r == -ETIMEDOUT)
			return fail(run, g, n, "probe of %s abandoned after %u ms", d->address, t);
		if (r < 0 && r != -ENODEV)
			log_warn("%s: drivers_probe: %s", d->address, strerror(-r));
	}
	/* 4. verify: every device of the group on its VFIO driver, or none is. */
	for (i = 0; i < n; i++) {
		struct pci_dev *d = &m->devs[g[i].idx];

		if (!wait_driver(run->rootfd, d, g[i].vfio_driver,
				 budget(run, claim_probe_budget_ms(g[i].vfio_driver,
								   run->o->verify_timeout_ms))))
			return fail(run, g, n, "%s did not bind to %s (driver: %s)", d->address,
				    g[i].vfio_driver, d->driver[0] ? d->driver : "none");
	}
	for (i = 0; i < n; i++) {
		struct plan_entry *e = &run->plan->e[g[i].idx];

		e->action = ACT_CLAIMED;
		log_info("%s: bound to %s%s%s", m->devs[g[i].idx].address, g[i].vfio_driver,
			 g[i].r.prev_driver[0] ? ", was " : "", g[i].r.prev_driver);
	}
	return 0;
}

/* Fail every device to claim in IOMMU group `group` (or only dev when it has none) with
 * reason, before anything was written to them. */
static void fail_untouched(struct run *run, int group, size_t dev, const char *reason)
{
	size_t i;

	for (i = 0; i < run->m->n_devs; i++) {
		struct plan_entry *e = &run->plan->e[i];

		if (e->action != ACT_CLAIM || (i != dev && (group < 0 || run->info[i].group != group)))
			continue;
		e->action = ACT_FAILED;
		snprintf(e->reason, sizeof(e->reason), "%s", reason);
		log_err("%s: claim failed (%s)", run->m->devs[i].address, reason);
	}
}

/* Every module a claim needs, loaded once, before the first write to any device: a claim
 * that cannot succeed must not unbind anything. */
static void load_up_front(struct run *run)
{
	char reason[200], done[16][DRIVER_MAX];
	size_t i, j, n_done = 0;
	bool any;

	for (i = 0; i < run->m->n_devs; i++) {
		const char *drv = run->info[i].vfio_driver;

		if (run->plan->e[i].action != ACT_CLAIM)
			continue;
		for (j = 0; j < n_done && strcmp(done[j], drv) != 0; j++)
			;
		if (j < n_done)
			continue;
		if (need_module(run, vfio_module(drv), drv, reason, sizeof(reason)) < 0) {
			/* Every device (and group) that needs this driver fails untouched. */
			for (j = i; j < run->m->n_devs; j++)
				if (run->plan->e[j].action == ACT_CLAIM &&
				    strcmp(run->info[j].vfio_driver, drv) == 0)
					fail_untouched(run, run->info[j].group, j, reason);
			continue;
		}
		if (n_done < sizeof(done) / sizeof(done[0]))
			snprintf(done[n_done++], DRIVER_MAX, "%s", drv);
	}
	for (i = 0, any = false; i < run->m->n_devs; i++)
		any |= run->plan->e[i].action == ACT_CLAIM;
	if (any && need_module(run, "vfio_iommu_type1", "", reason, sizeof(reason)) < 0)
		for (i = 0; i < run->m->n_devs; i++)
			if (run->plan->e[i].action == ACT_CLAIM)
				fail_untouched(run, run->info[i].group, i, reason);
}

int claim_apply(int rootfd, struct pci_machine *m, const struct policy *p, struct plan *plan,
		struct modules *mods, const struct claim_opts *o, struct state *st)
{
	unsigned long long start = now_ms();
	unsigned run_ms = o->run_timeout_ms ? o->run_timeout_ms : claim_run_budget_ms(m, plan, o);
	struct run run = {
		.rootfd = rootfd, .m = m, .p = p, .plan = plan, .mods = mods, .o = o,
		/* A third of the run is kept for putting a failed group back. */
		.claim_end = start + run_ms - run_ms / 3,
		.deadline = start + run_ms,
		.run_ms = run_ms,
	};
	struct group_dev *info, *g;
	struct state intent = { 0 };
	int *scan_group;
	size_t i, j, n;
	int q, r = -ENOMEM;

	info = calloc(m->n_devs ? m->n_devs : 1, sizeof(*info));
	g = calloc(m->n_devs ? m->n_devs : 1, sizeof(*g));
	scan_group = calloc(m->n_devs ? m->n_devs : 1, sizeof(*scan_group));
	if (!info || !g || !scan_group)
		goto out;
	for (i = 0; i < m->n_devs; i++) {
		struct pci_dev *d = &m->devs[i];

		info[i].idx = i;
		info[i].group = d->iommu_group;
		scan_group[i] = d->iommu_group;
		info[i].r.d = d;
		/* The scan skips driver_override; the devices to claim need it to be restored. */
		if (plan->e[i].action == ACT_CLAIM)
			info[i].gone = pci_refresh(rootfd, d) < 0;
		snprintf(info[i].r.prev_driver, DRIVER_MAX, "%s", d->driver);
		snprintf(info[i].r.prev_override, DRIVER_MAX, "%s", d->override);
		if (plan->e[i].action == ACT_CLAIM)
			snprintf(info[i].vfio_driver, DRIVER_MAX, "%s",
				 plan->e[i].vfio_driver[0] ? plan->e[i].vfio_driver : "vfio-pci");
		/* Our own override (left by a run that kept no record) is not what to return
		 * to: returning means to the host. */
		if (info[i].vfio_driver[0] && strcmp(info[i].r.prev_override, info[i].vfio_driver) == 0)
			info[i].r.prev_override[0] = '\0';
	}
	run.info = info;
	run.scan_group = scan_group;

	load_up_front(&run);
	/* The deadlines are for the writes a run can abandon. A module's init cannot be, and
	 * a slow load (a variant driver and its dependencies) must not use up the binds' time:
	 * the clock starts once the drivers are there. */
	start = now_ms();
	run.claim_end = start + run_ms - run_ms / 3;
	run.deadline = start + run_ms;

	/* Record what is about to be done before the first write, so that a run killed in
	 * the middle can be undone by the next one. */
	for (i = 0; i < m->n_devs; i++) {
		const struct pci_dev *d = &m->devs[i];
		struct state_entry se = { .iommu_group = d->iommu_group };

		if (plan->e[i].action != ACT_CLAIM || info[i].gone)
			continue;
		snprintf(se.address, sizeof(se.address), "%s", d->address);
		snprintf(se.vendor, sizeof(se.vendor), "%04x", d->vendor);
		snprintf(se.device, sizeof(se.device), "%04x", d->device);
		snprintf(se.action, sizeof(se.action), "claiming");
		snprintf(se.driver, sizeof(se.driver), "%s", info[i].vfio_driver);
		snprintf(se.previous_driver, DRIVER_MAX, "%s", info[i].r.prev_driver);
		snprintf(se.previous_override, DRIVER_MAX, "%s", info[i].r.prev_override);
		if (state_put(&intent, &se) < 0) {
			state_free(&intent);
			goto out;
		}
	}
	if (intent.n && (q = journal_begin(rootfd, &intent)) < 0)
		log_warn("cannot record the claim in %s: %s; an interrupted claim could not be undone",
			 JOURNAL_FILE, strerror(-q));
	state_free(&intent);

	for (i = 0; i < m->n_devs; i++) {
		int group = info[i].group;

		if (plan->e[i].action != ACT_CLAIM)
			continue;
		/* Collect the group's devices to bind; they are processed together. */
		for (n = 0, j = i; j < m->n_devs; j++)
			if (info[j].group == group && plan->e[j].action == ACT_CLAIM)
				g[n++] = info[j];
		if (budget(&run, 1) == 0) {
			for (j = 0; j < n; j++) {
				plan->e[g[j].idx].action = ACT_FAILED;
				snprintf(plan->e[g[j].idx].reason, sizeof(plan->e[0].reason),
					 "abandoned: the %u s run deadline passed", run_ms / 1000);
				log_err("%s: claim abandoned (the %u s run deadline passed)",
					m->devs[g[j].idx].address, run_ms / 1000);
			}
			continue;
		}
		(void)claim_group(&run, g, n);
	}

	for (i = 0; i < m->n_devs; i++) {
		struct pci_dev *d = &m->devs[i];
		const struct plan_entry *e = &plan->e[i];
		struct state_entry se = { .iommu_group = d->iommu_group };
		const struct state_entry *old;

		if (!e->listed)
			continue;
		snprintf(se.address, sizeof(se.address), "%s", d->address);
		snprintf(se.vendor, sizeof(se.vendor), "%04x", d->vendor);
		snprintf(se.device, sizeof(se.device), "%04x", d->device);
		snprintf(se.action, sizeof(se.action), "%s", action_name(e->action));
		format_rule(p, e->rule, se.rule, sizeof(se.rule));
		if (e->via >= 0)
			snprintf(se.via, sizeof(se.via), "%s", m->devs[e->via].address);
		snprintf(se.reason, sizeof(se.reason), "%s", e->reason);
		old = state_find(st, d->address);
		if (e->action == ACT_CLAIMED) {
			(void)pci_refresh(rootfd, d);
			snprintf(se.driver, sizeof(se.driver), "%s", d->driver);
			if (strcmp(info[i].r.prev_driver, d->driver) != 0) {
				snprintf(se.previous_driver, DRIVER_MAX, "%s", info[i].r.prev_driver);
				snprintf(se.previous_override, DRIVER_MAX, "%s", info[i].r.prev_override);
				se.taken = true;
			} else if (old) {
				/* Claimed by an earlier run: keep what that run found. */
				snprintf(se.previous_driver, DRIVER_MAX, "%s", old->previous_driver);
				snprintf(se.previous_override, DRIVER_MAX, "%s", old->previous_override);
				se.taken = old->taken;
			}
		}
		if (state_put(st, &se) < 0)
			goto out;
	}
	r = 0;
out:
	free(scan_group);
	free(info);
	free(g);
	return r;
}
