/* SPDX-License-Identifier: GPL-2.0-or-later */
/* claim: apply the policy, from the initramfs or for one hot-added device (--device). */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "claim.h"
#include "cmdline.h"
#include "commands.h"
#include "groupprobe.h"
#include "hotplug.h"
#include "isolation.h"
#include "journal.h"
#include "log.h"
#include "modules.h"
#include "output.h"
#include "pci.h"
#include "plan.h"
#include "policy.h"
#include "rootfs.h"
#include "state.h"

static const struct command_option options[] = {
	{ "--device", true, "--device is an option of claim only" },
	{ NULL },
};

static const char *device_arg; /* --device: that device and its IOMMU group only */

static int claim_parse(const struct ctx *c, const struct command_arg *opts, size_t n_opts,
		       char **args, int n_args)
{
	size_t i;

	for (i = 0; i < n_opts; i++)
		device_arg = opts[i].value;
	return 0;
}

static bool claim_disabled(const struct ctx *c)
{
	char *cmdline, value[16];
	bool off;
	int fd, r;

	/* Whole: the kernel's cmdline can be longer than a page (COMMAND_LINE_SIZE is up to
	 * 4096 on x86 and more elsewhere, bootconfig adds to it); 1 MiB bounds a crafted one. */
	fd = openat(c->rootfd, "proc/cmdline", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return false;
	r = fd_read_alloc(fd, 1u << 20, &cmdline, NULL);
	close(fd);
	if (r < 0)
		return false;
	off = cmdline_get_last(cmdline, "gpu-vfio", value, sizeof(value)) &&
	      strcmp(value, "off") == 0;
	free(cmdline);
	return off;
}

static void log_decisions(const struct pci_machine *m, const struct plan *plan,
			  const struct policy *p)
{
	size_t i;

	for (i = 0; i < m->n_devs; i++) {
		const struct plan_entry *e = &plan->e[i];
		char rule[300];

		if (!e->listed || e->action == ACT_CLAIM || e->action == ACT_FAILED)
			continue;
		format_rule(p, e->rule, rule, sizeof(rule));
		log_msg(e->action == ACT_BLOCKED ? LOG_WARNING : LOG_INFO, "%s: %s%s%s%s%s%s",
			m->devs[i].address, action_name(e->action), rule[0] || e->reason[0] ? " (" : "",
			rule, rule[0] && e->reason[0] ? ": " : "", e->reason,
			rule[0] || e->reason[0] ? ")" : "");
	}
}

/* Scan and plan for claim; --device restricts the plan to the device's group. Where the
 * kernel gives IOMMU groups only at a device's first driver probe (arm64), the devices
 * that need one are probed (group_probe) and the plan made again from what the kernel says
 * then. Returns 0, or EXIT_ERROR with m and plan freed. */
static int claim_plan(struct ctx *c, const struct policy *p, const char *device,
		      struct modules *mods, const struct claim_opts *o, struct pci_machine *m,
		      struct plan *plan)
{
	bool wanted = true;
	int pass, r;

	for (pass = 0;; pass++) {
		r = scan_and_plan(c, p, m, plan);
		if (r)
			return r;
		if (device_arg && hotplug_restrict(m, plan, device, &wanted) < 0) {
			log_err("%s: no such PCI device below %s", device, c->root);
			plan_free(plan);
			pci_machine_free(m);
			return EXIT_ERROR;
		}
		if (pass > 0 || group_probe(c->rootfd, m, plan, mods, c->live, o->unbind_timeout_ms,
					    o->verify_timeout_ms) <= 0)
			break;
		plan_free(plan);
		pci_machine_free(m);
	}
	if (!wanted)
		log_info("%s: not wanted by the policy, nothing to do", device);
	return 0;
}

static int claim_run(struct ctx *c)
{
	struct claim_opts o = {
		/* The run's budget is sized to the plan: claim_run_budget_ms(). */
		.live = c->live, .unbind_timeout_ms = UNBIND_TIMEOUT_MS, .run_timeout_ms = 0,
		.verify_timeout_ms = VERIFY_TIMEOUT_MS,
	};
	struct state st = { 0 }, old = { 0 };
	struct modules *mods = NULL;
	struct pci_machine m;
	struct plan plan;
	struct policy p;
	char device[PCI_ADDR_MAX];
	bool undo_failed;
	size_t i;
	int r, q;

	if (device_arg && !pci_address_normalise(device_arg, device, sizeof(device))) {
		log_err("--device %s: not a PCI address (DDDD:BB:DD.F or BB:DD.F)", device_arg);
		return EXIT_USAGE;
	}
	q = state_read(c->rootfd, &old);
	if (q < 0 && q != -ENOENT)
		log_err("cannot read %s: %s; what earlier runs claimed is forgotten", STATE_FILE,
			q == -EBADMSG ? "not a whole record (truncated?)" : strerror(-q));
	/* A claim killed half-way left a journal: undo it before planning from sysfs. */
	q = journal_recover(c->rootfd, &old);
	undo_failed = q != 0;
	(void)root_read(c->rootfd, "proc/sys/kernel/osrelease", st.kernel, sizeof(st.kernel));
	if (claim_disabled(c)) {
		log_notice("gpu-vfio=off on the kernel command line: claiming nothing");
		st.disabled = true;
		q = state_write(c->rootfd, &st);
		if (q < 0)
			log_warn("cannot record state in %s: %s", STATE_FILE, strerror(-q));
		state_free(&old);
		return EXIT_OK;
	}
	r = load_policy(c, &p, true);
	if (r) {
		log_err("invalid policy: claiming nothing");
		goto out_policy;
	}
	r = modules_new(c->rootfd, c->live, &mods);
	if (r < 0) {
		log_err("cannot set up module loading: %s", strerror(-r));
		r = EXIT_ERROR;
		goto out_policy;
	}
	r = claim_plan(c, &p, device, mods, &o, &m, &plan);
	if (r) {
		modules_free(mods);
		goto out_policy;
	}
	log_decisions(&m, &plan, &p);
	plan_pick_drivers(c->rootfd, &plan, &m, mods);
	/* Keep what an earlier run recorded about devices it claimed; --device keeps the
	 * whole record, since it looks at one group only. Only devices that exist: the
	 * record stays as large as the machine. */
	for (i = 0; i < old.n; i++)
		if ((device_arg || strcmp(old.e[i].action, "claimed") == 0 ||
		     strcmp(old.e[i].action, "released") == 0) &&
		    pci_find(&m, old.e[i].address) && state_put(&st, &old.e[i]) < 0)
			break;
	q = claim_apply(c->rootfd, &m, &p, &plan, mods, &o, &st);
	if (q < 0) {
		log_err("claim: %s", strerror(-q));
		r = EXIT_ERROR;
	}
	q = state_write(c->rootfd, &st);
	if (q < 0) {
		struct state none = { 0 };

		log_err("cannot record state in %s: %s", STATE_FILE, strerror(-q));
		r = EXIT_ERROR;
		/* Unrecorded claims stay in the journal, for the next run to undo. */
		(void)journal_settle(c->rootfd, &none);
	} else if ((q = journal_settle(c->rootfd, &st)) != 0) {
		log_err("%s: %s", JOURNAL_FILE, q < 0 ? strerror(-q) :
			"devices are left half-claimed; the next claim or release undoes them");
		r = EXIT_ERROR;
	}
	if (undo_failed)
		r = EXIT_ERROR;
	if (c->json) {
		struct report rep = { .rootfd = c->rootfd, .m = &m, .plan = &plan, .p = &p };
		struct isolation iso;

		isolation_gather(c->rootfd, NULL, &iso);
		rep.iso = &iso;
		report_json(stdout, &rep);
	}
	if (!r && plan_has_problems(&plan))
		r = EXIT_PROBLEMS;
	modules_free(mods);
	plan_free(&plan);
	pci_machine_free(&m);
out_policy:
	policy_free(&p);
	state_free(&st);
	state_free(&old);
	return r;
}

const struct command command_claim = {
	.name = "claim",
	.help = "  claim [--device A]  apply the policy (run from the initramfs); with --device,\n"
		"                      to device A and its IOMMU group only (hotplug)\n",
	.options = options,
	.writes = true,
	.json = true,
	.parse = claim_parse,
	.run = claim_run,
};
