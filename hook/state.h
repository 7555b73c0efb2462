/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state record /run/gpu-vfio/state.json: what claim did, so status and release can tell. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pci.h"

#define STATE_FILE "/run/gpu-vfio/state.json"
/* What a claim is about to do, written before its first write to a device and removed
 * once the state record holds the outcome: a claim killed in between leaves it behind,
 * so the next claim or release can undo what it did (journal.c). Same format. */
#define JOURNAL_FILE "/run/gpu-vfio/journal.json"

struct state_entry {
	char address[PCI_ADDR_MAX];
	char vendor[5], device[5];
	int iommu_group;
	char action[16]; /* claimed, failed, blocked, keep, released */
	char driver[DRIVER_MAX]; /* the VFIO driver it was given */
	char previous_driver[DRIVER_MAX];
	char previous_override[DRIVER_MAX];
	char rule[256];
	char via[PCI_ADDR_MAX];
	char reason[320];
	bool taken; /* gpu-vfio itself moved it to driver (not vfio-pci.ids=, not by hand) */
};

struct state {
	char kernel[128];
	bool disabled; /* gpu-vfio=off was on the command line */
	struct state_entry *e; /* sorted by address */
	size_t n, cap;
};

/* Read the record. -ENOENT when there is none, -EBADMSG when it is not a whole record
 * (truncated, garbage); entries with an invalid address or driver name are dropped (they
 * never become paths). */
int state_read(int rootfd, struct state *ret);
int state_read_file(int rootfd, const char *path, struct state *ret);

/* Parse a record's text (exposed for tests and fuzzing). */
int state_parse(const char *text, size_t len, struct state *ret);

int state_write(int rootfd, const struct state *s);
int state_write_file(int rootfd, const char *path, const struct state *s);

struct state_entry *state_find(const struct state *s, const char *address);

/* Insert (or replace) the entry for e->address, keeping the entries sorted. */
int state_put(struct state *s, const struct state_entry *e);

/* Drop the entry of address; -ENOENT if there is none. */
int state_remove(struct state *s, const char *address);

void state_free(struct state *s);

/* Is name safe to use as a driver directory name? */
bool driver_name_valid(const char *name);
