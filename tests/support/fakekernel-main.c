/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command-line front end of the fake kernel, for shell tests: serves a root until SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakekernel.h"

#define MAX_ARGS 64

static void usage(FILE *f)
{
	fputs("usage: fakekernel ROOT [--hang-unbind ADDR] [--fail-probe ADDR]\n"
	      "                       [--fail-write ADDR:ATTR:EISDIR|ENOENT|ENXIO|EACCES]\n"
	      "                       [--load-driver NAME[:MODULE]] [--log FILE]\n"
	      "                       [--kill-at N[:TERM|KILL]]\n"
	      "Serves ROOT (built by tests/fixtures/mkroot.sh) like the kernel's PCI core\n"
	      "until SIGTERM; ROOT/.fake/ready exists while it is serving.\n", f);
}

static int add(const char **list, size_t *n, const char *value)
{
	if (*n + 1 >= MAX_ARGS) {
		fprintf(stderr, "fakekernel: too many options\n");
		return -1;
	}
	list[(*n)++] = value;
	list[*n] = NULL;
	return 0;
}

int main(int argc, char **argv)
{
	static const char *hang[MAX_ARGS], *fail_probe[MAX_ARGS], *fail_write[MAX_ARGS],
		*load[MAX_ARGS];
	size_t n_hang = 0, n_fail_probe = 0, n_fail_write = 0, n_load = 0;
	struct fk_opts opts = {
		.hang_unbind = hang,
		.fail_probe = fail_probe,
		.fail_write = fail_write,
		.load_drivers = load,
	};
	const char *root = NULL;
	int r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (a[0] != '-') {
			if (root) {
				usage(stderr);
				return 2;
			}
			root = a;
			continue;
		}
		if (!v) {
			fprintf(stderr, "fakekernel: %s needs an argument\n", a);
			return 2;
		}
		i++;
		if (strcmp(a, "--hang-unbind") == 0)
			r = add(hang, &n_hang, v);
		else if (strcmp(a, "--fail-probe") == 0)
			r = add(fail_probe, &n_fail_probe, v);
		else if (strcmp(a, "--fail-write") == 0)
			r = add(fail_write, &n_fail_write, v);
		else if (strcmp(a, "--load-driver") == 0)
			r = add(load, &n_load, v);
		else if (strcmp(a, "--kill-at") == 0) {
			char *end;

			opts.kill_at = (unsigned)strtoul(v, &end, 10);
			opts.kill_sig = strcmp(end, ":TERM") == 0 ? SIGTERM : SIGKILL;
			r = opts.kill_at && (!*end || strcmp(end, ":TERM") == 0 ||
					     strcmp(end, ":KILL") == 0) ? 0 : -1;
			if (r < 0)
				fprintf(stderr, "fakekernel: --kill-at N[:TERM|KILL], not %s\n", v);
		} else if (strcmp(a, "--log") == 0)
			r = (opts.log_path = v) ? 0 : -1;
		else {
			fprintf(stderr, "fakekernel: unknown option %s\n", a);
			usage(stderr);
			return 2;
		}
		if (r < 0)
			return 2;
	}
	if (!root) {
		usage(stderr);
		return 2;
	}
	r = fakekernel_run(root, &opts, -1);
	if (r < 0) {
		fprintf(stderr, "fakekernel: %s: %s\n", root, strerror(-r));
		return 1;
	}
	return 0;
}
