/* SPDX-License-Identifier: GPL-2.0-or-later */
/* status: every device of interest, its driver and group, what boot did; or metrics. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "isolation.h"
#include "metrics.h"
#include "modules.h"
#include "output.h"
#include "pci.h"
#include "plan.h"
#include "policy.h"
#include "state.h"

static const struct command_option options[] = {
	{ "--prometheus", false, "--prometheus is an option of status only, without --json" },
	{ "--textfile", true, "--textfile is an option of status --prometheus only" },
	{ NULL },
};

static bool prometheus; /* --prometheus: node_exporter textfile metrics */
static const char *textfile; /* --prometheus --textfile PATH: written atomically */

static int status_parse(const struct ctx *c, const struct command_arg *opts, size_t n_opts,
			char **args, int n_args)
{
	size_t i;

	for (i = 0; i < n_opts; i++) {
		if (opts[i].opt == &options[0])
			prometheus = true;
		else
			textfile = opts[i].value;
	}
	if (prometheus && c->json) {
		fprintf(stderr, "gpu-vfio: %s\n", options[0].misplaced);
		return EXIT_USAGE;
	}
	if (textfile && !prometheus) {
		fprintf(stderr, "gpu-vfio: %s\n", options[1].misplaced);
		return EXIT_USAGE;
	}
	return 0;
}

static int status_run(struct ctx *c)
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
	if (prometheus && textfile)
		r = metrics_write_textfile(textfile, c, &rep, policy_ok);
	else if (prometheus)
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

const struct command command_status = {
	.name = "status",
	.help = "  status [--prometheus [--textfile PATH]]\n"
		"                      devices, drivers, groups, what boot did; or node_exporter\n"
		"                      textfile metrics (to PATH atomically)\n",
	.options = options,
	.json = true,
	.parse = status_parse,
	.run = status_run,
};
