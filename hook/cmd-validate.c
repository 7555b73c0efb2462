/* SPDX-License-Identifier: GPL-2.0-or-later */
/* validate: parse the policy and report every error; or the variant drivers an image needs. */
#define _GNU_SOURCE 1
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "policy.h"
#include "variants.h"

static const struct command_option options[] = {
	{ "--image-modules", true,
	  "--image-modules is an option of validate only, without --json" },
	{ NULL },
};

static const char *image_modules; /* --image-modules DIR: the variants an image needs */

static int validate_parse(const struct ctx *c, const struct command_arg *opts, size_t n_opts,
			  char **args, int n_args)
{
	size_t i;

	for (i = 0; i < n_opts; i++)
		image_modules = opts[i].value;
	if (image_modules && c->json) {
		fprintf(stderr, "gpu-vfio: %s\n", options[0].misplaced);
		return EXIT_USAGE;
	}
	return 0;
}

static int validate_run(struct ctx *c)
{
	struct policy p;
	size_t i, n_claim = 0;
	int r;

	r = load_policy(c, &p, false);
	if (r == 0 && image_modules) {
		int e = variants_for_image(image_modules, &p, stdout);

		if (e < 0) {
			log_err("%s/modules.alias: cannot read: %s", image_modules, strerror(-e));
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

const struct command command_validate = {
	.name = "validate",
	.help = "  validate [--image-modules DIR]\n"
		"                      parse the policy and report every error; or list the VFIO\n"
		"                      variant drivers of module directory DIR it may need\n",
	.options = options,
	.json = true,
	.parse = validate_parse,
	.run = validate_run,
};
