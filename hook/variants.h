/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VFIO variant drivers an initramfs needs for a policy: the build hooks ask for them. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct policy;
struct rule;

/* Could a device that rule matches have a modalias that PATTERN (a modules.alias pattern
 * "vfio_pci:v...d...sv...sd...bc..sc..i..", with '*' and '?') matches? Only the ids and the
 * class are known from a pattern: a rule's other keys do not narrow it. False for a pattern
 * that is not of that form. */
bool rule_may_match_vfio_alias(const struct rule *r, const char *pattern);

/* Print, one per line and once each in byte order, the modules other than vfio_pci that
 * MODDIR/modules.alias (a host path: the kernel's module directory the image is built from)
 * gives a vfio_pci: alias a claim rule of the policy may match. Returns 0, or -errno when
 * modules.alias cannot be read. */
int variants_for_image(const char *moddir, const struct policy *p, FILE *out);
