/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The commands of gpu-vfio(8): what main hands each one, and the helpers they share. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_PROBLEMS = 3,
};

/* The global options, and what main made of them. */
struct ctx {
	const char *root; /* as given */
	int rootfd;
	bool live; /* the root is "/" of the running system */
	const char *policy_file; /* NULL: the root's /etc */
	bool json;
	bool kmsg;
};

/* An option of one command. main takes it before or after COMMAND, as the global ones. */
struct command_option {
	const char *name; /* "--device" */
	bool has_arg; /* --name VALUE or --name=VALUE, VALUE not empty */
	const char *misplaced; /* the usage error when another command is given it */
};

/* One option as given: value is NULL for an option without an argument. */
struct command_arg {
	const struct command_option *opt;
	const char *value;
};

struct command {
	const char *name;
	const char *help; /* its lines of the usage */
	const struct command_option *options; /* ends with { NULL }; NULL: none */
	bool takes_args;
	bool writes; /* binds or unbinds devices: runs under the lock */
	bool json; /* honours --json (the others refuse it) */
	/* Take the command's own options (every one of them its own) and arguments, before
	 * the root is opened; say what is wrong and return EXIT_USAGE, or 0. NULL: nothing to
	 * take. */
	int (*parse)(const struct ctx *c, const struct command_arg *opts, size_t n_opts,
		     char **args, int n_args);
	int (*run)(struct ctx *c);
};

extern const struct command command_validate, command_plan, command_claim, command_status,
	command_release, command_check, command_nova, command_kubevirt;

struct pci_machine;
struct plan;
struct policy;

/* Load the policy of the context (policy_load); on errors print every one of them, to
 * the log with to_log, else to stderr. Returns 0 or EXIT_ERROR. */
int load_policy(struct ctx *c, struct policy *p, bool to_log);

/* Scan and plan, naming every device the scan could not read; on failure print why.
 * Returns 0, or EXIT_ERROR with nothing left to free. */
int scan_and_plan(struct ctx *c, const struct policy *p, struct pci_machine *m,
		  struct plan *plan);
