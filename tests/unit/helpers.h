/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the unit tests: fake machine roots, small files, and the modules mock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pci.h"
#include "plan.h"
#include "policy.h"

/* Build ROOT from tests/fixtures/machines/NAME.machine with mkroot.sh into a new temporary
 * directory, stored in dir (at least 64 bytes). Fails the test on error. */
void mkroot_machine(const char *name, char *dir, size_t size);

/* Build DIR/root from the .machine text given (DIR is a new temporary directory). */
void mkroot_text(const char *machine_text, char *dir, size_t size);

/* Create an empty temporary directory (for hand-made trees). */
void mk_tempdir(char *dir, size_t size);

/* rm -rf dir. */
void rm_tree(const char *dir);

/* Write text to DIR/REL, creating parent directories, with the given mode. */
void write_file(const char *dir, const char *rel, const char *text, unsigned mode);

/* Read DIR/REL into a static buffer ("" if missing); one trailing newline stripped. */
const char *read_file_text(const char *dir, const char *rel);

/* Parse text as the single policy file "test.conf"; the policy must be valid. */
void policy_from_text(struct policy *p, const char *text);

/* Scan root, parse policy text and build the plan. */
struct planned {
	int rootfd;
	struct policy p;
	struct pci_machine m;
	struct plan plan;
};
void plan_machine(struct planned *pl, const char *root, const char *policy_text);
void planned_free(struct planned *pl);

/* The plan entry of an address; fails the test if the device is not in the machine. */
struct plan_entry *entry_of(struct planned *pl, const char *address);

/* Controls of tests/unit/mock-modules.c. */
extern char mock_modules_calls[1024]; /* "name name ..." of every modules_ensure() */
extern int mock_modules_ensure_error; /* negative errno modules_ensure() returns, or 0 */
extern const char *mock_modules_fail_only; /* NULL: every module fails; else only this one */
extern const char *mock_variant_modalias; /* modalias prefix that has a variant driver */
extern const char *mock_variant_driver; /* that driver's name */
extern unsigned mock_modules_delay_ms; /* how long each modules_ensure() takes */
void mock_modules_reset(void);
