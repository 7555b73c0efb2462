/* SPDX-License-Identifier: GPL-2.0-or-later */
/* status --prometheus: node_exporter textfile metrics for fleet monitoring. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "commands.h"
#include "output.h"

/* Print the metrics of a status report: one series per listed device, and the node's
 * IOMMU, policy and initramfs health. policy_valid: whether the policy loaded.
 * Returns 0, or EXIT_ERROR when the output could not be written. */
int metrics_write(FILE *f, const struct ctx *c, const struct report *rep, bool policy_valid);

/* The same, written atomically to PATH (temporary file in its directory, fsync, rename).
 * Returns 0, EXIT_USAGE for a PATH ending in '/', or EXIT_ERROR (named on stderr, PATH
 * unchanged, no temporary file left). */
int metrics_write_textfile(const char *path, const struct ctx *c, const struct report *rep,
			   bool policy_valid);
