/* SPDX-License-Identifier: GPL-2.0-or-later */
/* plan: what claim would do; changes nothing. */
#define _GNU_SOURCE 1
#include <stdio.h>

#include "commands.h"
#include "isolation.h"
#include "modules.h"
#include "output.h"
#include "pci.h"
#include "plan.h"
#include "policy.h"

static int plan_run(struct ctx *c)
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

const struct command command_plan = {
	.name = "plan",
	.help = "  plan                show what claim would do; change nothing\n",
	.json = true,
	.run = plan_run,
};
