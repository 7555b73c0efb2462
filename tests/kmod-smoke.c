// SPDX-License-Identifier: GPL-2.0-or-later
/* Smoke test for the static libkmod: resolve modaliases and dry-run a probe of each module. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libkmod.h>

static void print_action(struct kmod_module *mod, bool install, const char *options)
{
	printf("    would %s %s%s%s\n", install ? "run install command for" : "insert",
	       kmod_module_get_name(mod), options && *options ? " " : "",
	       options ? options : "");
}

static int lookup(struct kmod_ctx *ctx, const char *alias)
{
	struct kmod_list *list = NULL, *l;
	int r;

	r = kmod_module_new_from_lookup(ctx, alias, &list);
	if (r < 0) {
		fprintf(stderr, "kmod-smoke: %s: lookup failed: %s\n", alias, strerror(-r));
		return r;
	}
	printf("%s:%s\n", alias, list ? "" : " no module");
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);

		printf("  %s (%s)\n", kmod_module_get_name(mod),
		       kmod_module_get_path(mod) ? kmod_module_get_path(mod) : "built in");
		/* A dry run resolves dependencies and softdeps but inserts nothing. */
		r = kmod_module_probe_insert_module(mod,
						    KMOD_PROBE_APPLY_BLACKLIST | KMOD_PROBE_DRY_RUN,
						    NULL, NULL, NULL, print_action);
		if (r < 0 && r != -EEXIST)
			printf("    probe: %s\n", strerror(-r));
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return 0;
}

int main(int argc, char *argv[])
{
	struct kmod_ctx *ctx;
	int r, ret = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s MODULES_DIR ALIAS...\n", argv[0]);
		return 2;
	}
	ctx = kmod_new(argv[1], NULL);
	if (!ctx) {
		fprintf(stderr, "kmod-smoke: kmod_new(%s) failed\n", argv[1]);
		return 1;
	}
	r = kmod_load_resources(ctx);
	if (r < 0) {
		fprintf(stderr, "kmod-smoke: kmod_load_resources: %s\n", strerror(-r));
		ret = 1;
	}
	for (int i = 2; i < argc; i++)
		if (lookup(ctx, argv[i]) < 0)
			ret = 1;
	kmod_unref(ctx);
	return ret;
}
