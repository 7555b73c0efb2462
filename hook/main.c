/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpu-vfio: the global options and command dispatch; each command takes its own options. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "lock.h"
#include "log.h"
#include "rootfs.h"

#ifndef VERSION
#define VERSION "0"
#endif

/* In the order of the usage. */
static const struct command *const commands[] = {
	&command_validate, &command_plan,    &command_claim, &command_status,
	&command_release,  &command_check,   &command_nova,  &command_kubevirt,
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

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

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: gpu-vfio [--root DIR] [--policy FILE] [--json] [--kmsg] COMMAND [ARGS]\n"
		"\n"
		"Bind GPUs to vfio-pci as /etc/gpu-vfio.conf says, safely.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fputs(commands[i]->help, f);
	fprintf(f,
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

/* "--name" or "--name=VALUE" for an option with an argument, else exactly "--name". */
static bool is_option(const char *arg, const char *name, bool has_arg)
{
	size_t len = strlen(name);

	return strncmp(arg, name, len) == 0 && (arg[len] == '\0' || (has_arg && arg[len] == '='));
}

/* The command option arg is, of whichever command; *ret_owner is set to that command's
 * index in commands[]. */
static const struct command_option *command_option(const char *arg, size_t *ret_owner)
{
	const struct command_option *o;
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		for (o = commands[i]->options; o && o->name; o++)
			if (is_option(arg, o->name, o->has_arg)) {
				*ret_owner = i;
				return o;
			}
	return NULL;
}

static const struct command *command_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

/* Options and arguments as given, before or after COMMAND. */
struct cmdline {
	const char *command;
	struct command_arg *opts;
	size_t *owners; /* the command each of opts belongs to, in commands[] */
	size_t n_opts;
	char **args;
	int n_args;
};

/* Take argv apart. Returns -1 to go on, else the exit status (help, version, a usage
 * error: said). */
static int parse_argv(int argc, char **argv, struct ctx *c, struct cmdline *cl)
{
	bool no_more_options = false;
	int a;

	for (a = 1; a < argc; a++) {
		const char *arg = argv[a];
		const struct command_option *opt = NULL;
		const char **value = NULL, *v = NULL;
		size_t owner = 0;

		if (no_more_options || arg[0] != '-' || !arg[1]) {
			if (!cl->command)
				cl->command = arg;
			else
				cl->args[cl->n_args++] = argv[a];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			no_more_options = true;
		} else if (strcmp(arg, "--json") == 0) {
			c->json = true;
		} else if (strcmp(arg, "--kmsg") == 0) {
			c->kmsg = true;
		} else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else if (strcmp(arg, "--version") == 0) {
			printf("gpu-vfio %s\n", VERSION);
			return EXIT_OK;
		} else if (is_option(arg, "--root", true)) {
			value = &c->root;
		} else if (is_option(arg, "--policy", true)) {
			value = &c->policy_file;
		} else if ((opt = command_option(arg, &owner))) {
			if (opt->has_arg)
				value = &v;
		} else {
			fprintf(stderr, "gpu-vfio: unknown option '%s'\n", arg);
			usage(stderr);
			return EXIT_USAGE;
		}
		if (value) {
			const char *eq = strchr(arg, '=');

			if (eq)
				*value = eq + 1;
			else if (a + 1 < argc)
				*value = argv[++a];
			else {
				fprintf(stderr, "gpu-vfio: option '%s' needs an argument\n", arg);
				return EXIT_USAGE;
			}
			if (!**value) {
				fprintf(stderr,
					"gpu-vfio: option '%s' needs a non-empty argument\n", arg);
				return EXIT_USAGE;
			}
		}
		if (opt) {
			cl->opts[cl->n_opts] = (struct command_arg){ .opt = opt, .value = v };
			cl->owners[cl->n_opts++] = owner;
		}
	}
	return -1;
}

/* The usage errors main can tell: no or an unknown command, another command's option,
 * --json where there is none, arguments to a command without any. Returns 0 or
 * EXIT_USAGE (said). */
static int check_command(const struct ctx *c, const struct cmdline *cl,
			 const struct command **ret)
{
	const struct command *cmd;
	size_t i;
	int r;

	if (!cl->command) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = command_lookup(cl->command);
	if (!cmd) {
		fprintf(stderr, "gpu-vfio: unknown command '%s'\n", cl->command);
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < cl->n_opts; i++)
		if (commands[cl->owners[i]] != cmd) {
			fprintf(stderr, "gpu-vfio: %s\n", cl->opts[i].opt->misplaced);
			return EXIT_USAGE;
		}
	if (c->json && !cmd->json) {
		fprintf(stderr, "gpu-vfio: %s has no --json output\n", cmd->name);
		return EXIT_USAGE;
	}
	if (cmd->parse) {
		r = cmd->parse(c, cl->opts, cl->n_opts, cl->args, cl->n_args);
		if (r)
			return r;
	}
	if (!cmd->takes_args && cl->n_args) {
		fprintf(stderr, "gpu-vfio: %s takes no arguments ('%s')\n", cmd->name, cl->args[0]);
		return EXIT_USAGE;
	}
	*ret = cmd;
	return 0;
}

int main(int argc, char **argv)
{
	struct ctx c = { .root = "/" };
	struct cmdline cl = { 0 };
	const struct command *cmd = NULL;
	int r;

	/* A plan of thousands of devices is one large write, not hundreds of small ones. */
	(void)setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	cl.args = calloc(argc, sizeof(*cl.args));
	cl.opts = calloc(argc, sizeof(*cl.opts));
	cl.owners = calloc(argc, sizeof(*cl.owners));
	if (!cl.args || !cl.opts || !cl.owners) {
		r = EXIT_ERROR;
		goto out;
	}
	r = parse_argv(argc, argv, &c, &cl);
	if (r >= 0)
		goto out;
	r = check_command(&c, &cl, &cmd);
	if (r)
		goto out;
	c.rootfd = root_open(c.root);
	if (c.rootfd < 0) {
		fprintf(stderr, "gpu-vfio: cannot open root %s: %s\n", c.root, strerror(-c.rootfd));
		r = EXIT_ERROR;
		goto out;
	}
	c.live = same_as_slash(c.root);
	log_setup(c.rootfd, c.kmsg);
	if (cmd->writes) {
		/* One writer at a time: boot claim, the service, hotplug and release. */
		r = lock_take(c.rootfd, cmd->name, lock_timeout());
		if (r == -EBUSY) {
			r = EXIT_ERROR;
			log_close();
			close(c.rootfd);
			goto out;
		}
		if (r < 0)
			log_warn("cannot take %s: %s; going on without it", LOCK_FILE, strerror(-r));
	}
	r = cmd->run(&c);
	lock_release();
	log_close();
	close(c.rootfd);
out:
	free(cl.args);
	free(cl.opts);
	free(cl.owners);
	return r;
}
