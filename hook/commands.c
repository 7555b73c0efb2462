/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the commands share: loading the policy, and the scan and plan they start from. */
#define _GNU_SOURCE 1
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "pci.h"
#include "plan.h"
#include "policy.h"

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

/* Name every device and attribute the scan could not read: such a device is never claimed
 * and blocks its group, and nothing else would say why. */
static void pci_warn_unreadable(const struct pci_machine *m)
{
	size_t i;

	for (i = 0; i < m->n_devs; i++)
		if (m->devs[i].bad[0])
			log_warn("%s: cannot read %s", m->devs[i].address, m->devs[i].bad);
}

int scan_and_plan(struct ctx *c, const struct policy *p, struct pci_machine *m,
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
