/* SPDX-License-Identifier: GPL-2.0-or-later */
/* validate, plan, claim and status: load the policy, scan, plan, act, report. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claim.h"
#include "cmdline.h"
#include "commands.h"
#include "groupprobe.h"
#include "hotplug.h"
#include "isolation.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"
#include "modules.h"
#include "output.h"
#include "pci.h"
#include "plan.h"
#include "policy.h"
#include "rootfs.h"
#include "state.h"
#include "variants.h"

/* At most this many policy errors go to the log (one kernel log record each). */
#define POLICY_LOG_ERRORS 20

int load_policy(struct ctx *c, struct policy *p, bool to_log)
{
	size_t i;
	int r;

	r = policy_load(p, c->rootfd, c->policy_file);
	if (r == 0)
		return 0;
	for (i = 0; i < p->n_errors; i++) {
		if (!to_log) {
			fprintf(stderr, "%s\n", p->errors[i]);
		} else if (i < POLICY_LOG_ERRORS) {
			log_err("%s", p->errors[i]);
		} else {
			/* The kernel log takes one record per message: summarise the rest. */
			log_err("... and %zu more policy errors (gpu-vfio validate lists them all)",
				p->n_errors - i);
			break;
		}
	}
	if (!p->n_errors)
		fprintf(stderr, "gpu-vfio: cannot load the policy: %s\n", strerror(-r));
	return EXIT_ERROR;
}

int cmd_validate(struct ctx *c)
{
	struct policy p;
	size_t i, n_claim = 0;
	int r;

	r = load_policy(c, &p, false);
	if (r == 0 && c->image_modules) {
		int e = variants_for_image(c->image_modules, &p, stdout);

		if (e < 0) {
			log_err("%s/modules.alias: cannot read: %s", c->image_modules, strerror(-e));
			r = EXIT_ERROR;
		}
	} else if (r == 0) {
		for (i = 0; i < p.n_rules; i++)
			n_claim += p.rules[i].action == RULE_CLAIM;
		if (c->json)
			printf("{\"valid\": true, \"files\": %zu, \"rules\": %zu, \"claim_rules\": %zu}\n",
			       p.n_files, p.n_rules, n_claim);
		else
			printf("policy is valid: %zu rule%s (%zu claim) in %zu file%s\n", p.n_rules,
			       p.n_rules == 1 ? "" : "s", n_claim, p.n_files, p.n_files == 1 ? "" : "s");
	} else if (c->json) {
		printf("{\"valid\": false, \"errors\": %zu}\n", p.n_errors);
	}
	policy_free(&p);
	return r;
}

/* Name every device and attribute the scan could not read: such a device is never claimed
 * and blocks its group, and nothing else would say why. */
static void pci_warn_unreadable(const struct pci_machine *m)
{
	size_t i;

	for (i = 0; i < m->n_devs; i++)
		if (m->devs[i].bad[0])
			log_warn("%s: cannot read %s", m->devs[i].address, m->devs[i].bad);
}

/* Scan and plan; on failure print why. Returns 0 or EXIT_ERROR. */
static int scan_and_plan(struct ctx *c, const struct policy *p, struct pci_machine *m,
			 struct plan *plan)
{
	int r;

	r = pci_scan(c->rootfd, m);
	if (r < 0) {
		log_err("cannot read the PCI devices below %s: %s", c->root, strerror(-r));
		return EXIT_ERROR;
	}
	r = plan_build(c->rootfd, m, p, plan);
	if (r < 0) {
		log_err("cannot plan: %s", strerror(-r));
		pci_machine_free(m);
		return EXIT_ERROR;
	}
	pci_warn_unreadable(m);
	return 0;
}

int cmd_plan(struct ctx *c)
{
	struct isolation iso;
	struct modules *mods;
	struct pci_machine m;
	struct plan plan;
	struct policy p;
	struct report rep;
	int r;

	r = load_policy(c, &p, false);
	if (r)
		goto out_policy;
	r = scan_and_plan(c, &p, &m, &plan);
	if (r)
		goto out_policy;
	if (modules_new(c->rootfd, false, &mods) == 0) {
		plan_pick_drivers(c->rootfd, &plan, &m, mods);
		modules_free(mods);
	}
	isolation_gather(c->rootfd, NULL, &iso);
	rep = (struct report){ .rootfd = c->rootfd, .m = &m, .plan = &plan, .p = &p, .iso = &iso };
	if (c->json)
		report_json(stdout, &rep);
	else
		report_table(stdout, &rep);
	r = plan_has_problems(&plan) ? EXIT_PROBLEMS : EXIT_OK;
	plan_free(&plan);
	pci_machine_free(&m);
out_policy:
	policy_free(&p);
	return r;
}

static bool claim_disabled(struct ctx *c)
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
		if (c->device && hotplug_restrict(m, plan, device, &wanted) < 0) {
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

int cmd_claim(struct ctx *c)
{
	struct claim_opts o = {
		/* The run's budget is sized to the plan: claim_run_budget_ms(). */
		.live = c->live, .unbind_timeout_ms = 5000, .run_timeout_ms = 0,
		.verify_timeout_ms = 2000,
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

	if (c->device && !pci_address_normalise(c->device, device, sizeof(device))) {
		log_err("--device %s: not a PCI address (DDDD:BB:DD.F or BB:DD.F)", c->device);
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
		if ((c->device || strcmp(old.e[i].action, "claimed") == 0 ||
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

int cmd_status(struct ctx *c)
{
	struct modules *mods = NULL;
	struct isolation iso;
	struct state st = { 0 };
	struct pci_machine m;
	struct plan plan;
	struct policy p;
	struct report rep;
	bool have_state, bad_state, policy_ok;
	size_t i;
	int r;

	policy_ok = policy_load(&p, c->rootfd, c->policy_file) == 0;
	for (i = 0; i < p.n_errors; i++)
		fprintf(stderr, "%s\n", p.errors[i]);
	if (!policy_ok) {
		/* Still show the devices: an invalid policy wants nothing. */
		policy_free(&p);
		memset(&p, 0, sizeof(p));
		fprintf(stderr, "gpu-vfio: the policy is invalid; showing devices without it\n");
	}
	r = state_read(c->rootfd, &st);
	have_state = r == 0;
	if (r < 0 && r != -ENOENT)
		fprintf(stderr, "gpu-vfio: cannot read %s: %s; BOOT is unknown\n", STATE_FILE,
			r == -EBADMSG ? "not a whole record (truncated?)" : strerror(-r));
	bad_state = r < 0 && r != -ENOENT;
	r = scan_and_plan(c, &p, &m, &plan);
	if (r)
		goto out;
	for (i = 0; i < m.n_devs; i++) {
		if (m.devs[i].vendor == 0x10de || (have_state && state_find(&st, m.devs[i].address))) {
			plan.e[i].listed = true;
			pci_read_subsys(c->rootfd, &m.devs[i]);
		}
	}
	/* The VFIO driver a device to claim gets, as plan shows it. */
	if (modules_new(c->rootfd, false, &mods) == 0) {
		plan_pick_drivers(c->rootfd, &plan, &m, mods);
		modules_free(mods);
	}
	isolation_gather(c->rootfd, NULL, &iso);
	rep = (struct report){ .rootfd = c->rootfd, .m = &m, .plan = &plan, .p = &p,
			       .st = have_state ? &st : NULL, .status = true, .iso = &iso };
	if (c->prometheus && c->textfile)
		r = metrics_write_textfile(c->textfile, c, &rep, policy_ok);
	else if (c->prometheus)
		r = metrics_write(stdout, c, &rep, policy_ok);
	else if (c->json)
		report_json(stdout, &rep);
	else
		report_table(stdout, &rep);
	if (bad_state && r == EXIT_OK)
		r = EXIT_ERROR;
	plan_free(&plan);
	pci_machine_free(&m);
out:
	state_free(&st);
	policy_free(&p);
	return r;
}
