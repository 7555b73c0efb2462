/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Printing a plan or a status: the human table and the JSON of gpu-vfio(8). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "pci.h"
#include "plan.h"
#include "policy.h"
#include "state.h"

struct isolation;

struct report {
	int rootfd;
	const struct pci_machine *m;
	const struct plan *plan;
	const struct policy *p;
	const struct state *st; /* NULL: no state record; only status shows it */
	bool status; /* add group readiness and what boot did */
	const struct isolation *iso; /* overrides of IOMMU isolation, or NULL */
};

void report_json(FILE *f, const struct report *r);
void report_table(FILE *f, const struct report *r);

/* Is every non-bridge device of the group on a VFIO driver? */
bool group_ready(int rootfd, const struct pci_machine *m, int group);
