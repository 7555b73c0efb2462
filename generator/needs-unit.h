/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which findings make gpu-vfio-generator write its unit. */
#pragma once

#include <stdbool.h>

#include "findings.h"

/* A finding worth naming only in a unit written for another reason: a value the kernel
 * ignores, a boot loader configuration that cannot be found. */
bool generator_finding_minor(const struct finding *f);

/* Does anything among the findings call for the unit? */
bool generator_needs_unit(const struct findings *fs);
