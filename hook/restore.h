/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Putting devices of a group back as they were found: after a failed claim, or to undo an
 * interrupted one recorded in the journal. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pci.h"

/* One device to put back as it was found. */
struct restore_dev {
	struct pci_dev *d;
	char prev_driver[DRIVER_MAX]; /* "" when it was unbound */
	char prev_override[DRIVER_MAX]; /* "" when it had none */
	bool override_written; /* we wrote its driver_override: write prev_override back */
	bool gone; /* set: the device went away (nothing to restore) */
	bool restored; /* set: back on prev_driver with prev_override */
	char note[160]; /* set: the first thing that went wrong */
};

/* Put devices of one group back: unbind what is on another driver, restore the overrides,
 * then reprobe; every write bounded by write_ms and by end (monotonic ms); then check.
 * Returns how many were not restored (their note says why). */
size_t restore_devices(int rootfd, struct restore_dev *g, size_t n, unsigned write_ms,
		       unsigned verify_ms, unsigned long long end);
