/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The claimer: bind planned devices to their VFIO driver, group by group, and verify. */
#pragma once

#include <stdbool.h>

#include "modules.h"
#include "pci.h"
#include "plan.h"
#include "policy.h"
#include "state.h"

struct claim_opts {
	bool live; /* root is the running system: load modules */
	unsigned unbind_timeout_ms; /* each unbind and other blocking sysfs write: 5000 */
	unsigned run_timeout_ms; /* the whole run; 0: claim_run_budget_ms() of the plan */
	unsigned verify_timeout_ms; /* a driver link to settle, and the probe budget of a
				       * driver without its own (claim_probe_budget_ms): 2000 */
};

/* How long a probe by driver may take before it is abandoned: its entry in the table of
 * slow drivers (nvgrace_gpu_vfio_pci: 40000, as it polls the C2C link and memory training
 * for up to 30 s), else default_ms. */
unsigned claim_probe_budget_ms(const char *driver, unsigned default_ms);

/* The whole run's budget for plan, sized to the node: the devices to claim are done one
 * after another, each with an unbind (when bound) and its driver's probe budget; that sum
 * is two thirds of the run (the rest is for restoring a failed group), at least
 * CLAIM_RUN_MIN_MS and at most CLAIM_RUN_MAX_MS. */
#define CLAIM_RUN_MIN_MS 30000u
#define CLAIM_RUN_MAX_MS 300000u
unsigned claim_run_budget_ms(const struct pci_machine *m, const struct plan *plan,
			     const struct claim_opts *o);

/* Claim every ACT_CLAIM device of plan. Entries end as ACT_CLAIMED or ACT_FAILED (with a
 * reason); failed groups are restored as found. Records the outcome in st (entries are put
 * for every listed device). Returns 0 (the plan tells what happened) or -errno. */
int claim_apply(int rootfd, struct pci_machine *m, const struct policy *p, struct plan *plan,
		struct modules *mods, const struct claim_opts *o, struct state *st);
