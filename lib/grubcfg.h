/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reader for the shell subset of /etc/default/grub and /etc/default/grub.d/ *.cfg. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define GRUB_DEFAULTS_FILE "/etc/default/grub"
#define GRUB_DEFAULTS_DIR "/etc/default/grub.d"

enum grub_cmdline_var {
	GRUB_LINUX, /* GRUB_CMDLINE_LINUX: every entry, recovery too */
	GRUB_LINUX_DEFAULT, /* GRUB_CMDLINE_LINUX_DEFAULT: the normal entries */
	_GRUB_VAR_MAX,
};

/* One assignment of GRUB_CMDLINE_LINUX or GRUB_CMDLINE_LINUX_DEFAULT, value expanded. */
struct grub_assignment {
	enum grub_cmdline_var var;
	char *value;
	const char *file; /* owned by struct grub_defaults */
	unsigned line;
};

struct grub_var {
	char *name;
	char *value;
};

struct grub_defaults {
	/* Every assignment of the two cmdline variables, in the order the shell runs them. */
	struct grub_assignment *assignments;
	size_t n_assignments;
	/* Every shell variable assigned so far (for $VAR expansion). */
	struct grub_var *vars;
	size_t n_vars;
	char **files; /* files read, in order */
	size_t n_files;
};

/* Read /etc/default/grub, then every *.cfg in /etc/default/grub.d in strcmp order, below
 * rootfd. Missing files are skipped. Returns the number of files read, or -errno
 * (-ENOMEM). */
int grub_defaults_load(struct grub_defaults *g, int rootfd);

/* Run one file's text through the shell subset; used by grub_defaults_load and tests. */
int grub_defaults_parse_text(struct grub_defaults *g, const char *file, const char *text);

/* The assignment that decides var (the last one), or NULL if var was never assigned. */
const struct grub_assignment *grub_defaults_final(const struct grub_defaults *g,
						  enum grub_cmdline_var var);

/* The command line grub-mkconfig writes for a normal entry:
 * "$GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT". Malloc'ed, or NULL on ENOMEM. */
char *grub_defaults_cmdline(const struct grub_defaults *g);

const char *grub_var_name(enum grub_cmdline_var var);

void grub_defaults_free(struct grub_defaults *g);
