/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpu-vfio: option parsing and command dispatch. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd-check.h"
#include "commands.h"
#include "lock.h"
#include "log.h"
#include "rootfs.h"

#ifndef VERSION
#define VERSION "0"
#endif

static const struct {
	const char *name;
	int (*run)(struct ctx *c);
	bool takes_args;
	bool writes; /* binds or unbinds devices: runs under the lock */
	bool json; /* honours --json (the others refuse it) */
} commands[] = {
	{ "validate", cmd_validate, false, false, true },
	{ "plan", cmd_plan, false, false, true },
	{ "claim", cmd_claim, false, true, true },
	{ "status", cmd_status, false, false, true },
	{ "release", cmd_release, true, true, false },
	{ "check", cmd_doctor, false, false, true },
	{ "nova", cmd_nova, false, false, false },
	{ "kubevirt", cmd_kubevirt, true, false, true },
};

/* How long a writing command waits for the lock; GPU_VFIO_LOCK_TIMEOUT_MS shortens it for
 * tests. */
static unsigned lock_timeout(void)
{
	const char *v = getenv("GPU_VFIO_LOCK_TIMEOUT_MS");
	char *end;
	unsigned long t;

	if (!v || !*v)
		return LOCK_TIMEOUT_MS;
	t = strtoul(v, &end, 10);
	return *end || t > LOCK_TIMEOUT_MS ? LOCK_TIMEOUT_MS : (unsigned)t;
}

int cmd_doctor(struct ctx *c)
{
	return cmd_check(c->rootfd, c->policy_file, c->json);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: gpu-vfio [--root DIR] [--policy FILE] [--json] [--kmsg] COMMAND [ARGS]\n"
		"\n"
		"Bind GPUs to vfio-pci as /etc/gpu-vfio.conf says, safely.\n"
		"\n"
		"Commands:\n"
		"  validate [--image-modules DIR]\n"
		"                      parse the policy and report every error; or list the VFIO\n"
		"                      variant drivers of module directory DIR it may need\n"
		"  plan                show what claim would do; change nothing\n"
		"  claim [--device A]  apply the policy (run from the initramfs); with --device,\n"
		"                      to device A and its IOMMU group only (hotplug)\n"
		"  status [--prometheus [--textfile PATH]]\n"
		"                      devices, drivers, groups, what boot did; or node_exporter\n"
		"                      textfile metrics (to PATH atomically)\n"
		"  release [ADDR...]   give claimed groups back to the host\n"
		"  check               diagnose the IOMMU, kernel command line, modules, policy\n"
		"                      and initramfs; say how to fix each problem\n"
		"  nova [--release R] [--placement] [--part compute|api] [--host NAME]\n"
		"                      OpenStack nova [pci] device_spec and alias for this node;\n"
		"                      kolla-ansible's per-host (compute) or global (api) part\n"
		"  kubevirt [--merge FILE...]\n"
		"                      KubeVirt permittedHostDevices for this node, or the union\n"
		"                      of several nodes' status --json\n"
		"\n"
		"Options:\n"
		"  --root DIR          read and write DIR/sys, DIR/proc, DIR/etc, DIR/run\n"
		"  --policy FILE       read only FILE instead of /etc/gpu-vfio.conf and gpu-vfio.d\n"
		"  --json              machine-readable output\n"
		"  --kmsg              log to /dev/kmsg instead of stderr\n"
		"  -h, --help          this help\n"
		"  --version           the version\n"
		"\n"
		"Exit status: 0 success, 1 error or invalid policy, 2 usage, 3 a wanted device\n"
		"was blocked or failed. See gpu-vfio(8) and gpu-vfio.conf(5).\n");
}

static bool same_as_slash(const char *root)
{
	struct stat a, b;

	return stat(root, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int main(int argc, char **argv)
{
	struct ctx c = { .root = "/" };
	const char *command = NULL;
	bool no_more_options = false;
	size_t i;
	int a, r;

	/* A plan of thousands of devices is one large write, not hundreds of small ones. */
	(void)setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	c.args = calloc(argc, sizeof(*c.args));
	if (!c.args)
		return EXIT_ERROR;
	for (a = 1; a < argc; a++) {
		const char *arg = argv[a];
		const char **value = NULL;

		if (no_more_options || arg[0] != '-' || !arg[1]) {
			if (!command)
				command = arg;
			else
				c.args[c.n_args++] = argv[a];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			no_more_options = true;
		} else if (strcmp(arg, "--json") == 0) {
			c.json = true;
		} else if (strcmp(arg, "--kmsg") == 0) {
			c.kmsg = true;
		} else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			usage(stdout);
			r = EXIT_OK;
			goto out;
		} else if (strcmp(arg, "--version") == 0) {
			printf("gpu-vfio %s\n", VERSION);
			r = EXIT_OK;
			goto out;
		} else if (strncmp(arg, "--root", 6) == 0 && (arg[6] == '=' || !arg[6])) {
			value = &c.root;
		} else if (strncmp(arg, "--policy", 8) == 0 && (arg[8] == '=' || !arg[8])) {
			value = &c.policy_file;
		} else if (strncmp(arg, "--release", 9) == 0 && (arg[9] == '=' || !arg[9])) {
			value = &c.release;
		} else if (strncmp(arg, "--device", 8) == 0 && (arg[8] == '=' || !arg[8])) {
			value = &c.device;
		} else if (strcmp(arg, "--prometheus") == 0) {
			c.prometheus = true;
		} else if (strncmp(arg, "--textfile", 10) == 0 && (arg[10] == '=' || !arg[10])) {
			value = &c.textfile;
		} else if (strncmp(arg, "--image-modules", 15) == 0 && (arg[15] == '=' || !arg[15])) {
			value = &c.image_modules;
		} else if (strcmp(arg, "--placement") == 0) {
			c.placement = true;
		} else if (strncmp(arg, "--part", 6) == 0 && (arg[6] == '=' || !arg[6])) {
			value = &c.part;
		} else if (strncmp(arg, "--host", 6) == 0 && (arg[6] == '=' || !arg[6])) {
			value = &c.host;
		} else if (strcmp(arg, "--merge") == 0) {
			c.merge = true;
		} else {
			fprintf(stderr, "gpu-vfio: unknown option '%s'\n", arg);
			usage(stderr);
			r = EXIT_USAGE;
			goto out;
		}
		if (value) {
			const char *eq = strchr(arg, '=');

			if (eq)
				*value = eq + 1;
			else if (a + 1 < argc)
				*value = argv[++a];
			else {
				fprintf(stderr, "gpu-vfio: option '%s' needs an argument\n", arg);
				r = EXIT_USAGE;
				goto out;
			}
			if (!**value) {
				fprintf(stderr, "gpu-vfio: option '%s' needs a non-empty argument\n", arg);
				r = EXIT_USAGE;
				goto out;
			}
		}
	}
	if (!command) {
		usage(stderr);
		r = EXIT_USAGE;
		goto out;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, command) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		fprintf(stderr, "gpu-vfio: unknown command '%s'\n", command);
		usage(stderr);
		r = EXIT_USAGE;
		goto out;
	}
	if ((c.release || c.placement || c.part || c.host) && strcmp(command, "nova") != 0) {
		fprintf(stderr, "gpu-vfio: --release, --placement, --part and --host are options of nova only\n");
		r = EXIT_USAGE;
		goto out;
	}
	if (c.merge && strcmp(command, "kubevirt") != 0) {
		fprintf(stderr, "gpu-vfio: --merge is an option of kubevirt only\n");
		r = EXIT_USAGE;
		goto out;
	}
	if (c.json && !commands[i].json) {
		fprintf(stderr, "gpu-vfio: %s has no --json output\n", command);
		r = EXIT_USAGE;
		goto out;
	}
	if (c.device && strcmp(command, "claim") != 0) {
		fprintf(stderr, "gpu-vfio: --device is an option of claim only\n");
		r = EXIT_USAGE;
		goto out;
	}
	if (c.prometheus && (strcmp(command, "status") != 0 || c.json)) {
		fprintf(stderr, "gpu-vfio: --prometheus is an option of status only, without --json\n");
		r = EXIT_USAGE;
		goto out;
	}
	if (c.image_modules && (strcmp(command, "validate") != 0 || c.json)) {
		fprintf(stderr, "gpu-vfio: --image-modules is an option of validate only, without --json\n");
		r = EXIT_USAGE;
		goto out;
	}
	if (c.textfile && !c.prometheus) {
		fprintf(stderr, "gpu-vfio: --textfile is an option of status --prometheus only\n");
		r = EXIT_USAGE;
		goto out;
	}
	if (!commands[i].takes_args && c.n_args) {
		fprintf(stderr, "gpu-vfio: %s takes no arguments ('%s')\n", command, c.args[0]);
		r = EXIT_USAGE;
		goto out;
	}
	c.rootfd = root_open(c.root);
	if (c.rootfd < 0) {
		fprintf(stderr, "gpu-vfio: cannot open root %s: %s\n", c.root, strerror(-c.rootfd));
		r = EXIT_ERROR;
		goto out;
	}
	c.live = same_as_slash(c.root);
	log_setup(c.rootfd, c.kmsg);
	if (commands[i].writes) {
		/* One writer at a time: boot claim, the service, hotplug and release. */
		r = lock_take(c.rootfd, command, lock_timeout());
		if (r == -EBUSY) {
			r = EXIT_ERROR;
			log_close();
			close(c.rootfd);
			goto out;
		}
		if (r < 0)
			log_warn("cannot take %s: %s; going on without it", LOCK_FILE, strerror(-r));
	}
	r = commands[i].run(&c);
	lock_release();
	log_close();
	close(c.rootfd);
out:
	free(c.args);
	return r;
}
