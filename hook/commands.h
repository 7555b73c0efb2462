/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The commands of gpu-vfio(8) and what they share: the context built from the options. */
#pragma once

#include <stdbool.h>

enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_PROBLEMS = 3,
};

struct ctx {
	const char *root; /* as given */
	int rootfd;
	bool live; /* the root is "/" of the running system */
	const char *policy_file; /* NULL: the root's /etc */
	const char *release; /* nova --release */
	bool placement; /* nova --placement: PCI in Placement (2023.1 and later) */
	const char *part; /* nova --part compute|api: kolla-ansible's per-host or global file */
	const char *host; /* nova --host: the node's inventory name, for kolla-ansible's path */
	bool merge; /* kubevirt --merge FILE...: several nodes' status --json */
	const char *device; /* claim --device: that device and its IOMMU group only */
	bool prometheus; /* status --prometheus: node_exporter textfile metrics */
	const char *textfile; /* status --prometheus --textfile PATH: written atomically */
	const char *image_modules; /* validate --image-modules DIR: the variants an image needs */
	bool json;
	bool kmsg;
	char **args; /* command arguments */
	int n_args;
};

struct policy;

/* Load the policy of the context (policy_load); on errors print every one of them, to
 * the log with to_log, else to stderr. Returns 0 or EXIT_ERROR. */
int load_policy(struct ctx *c, struct policy *p, bool to_log);

int cmd_validate(struct ctx *c);
int cmd_plan(struct ctx *c);
int cmd_claim(struct ctx *c);
int cmd_status(struct ctx *c);
int cmd_release(struct ctx *c);
int cmd_doctor(struct ctx *c);
int cmd_nova(struct ctx *c);
int cmd_kubevirt(struct ctx *c);
