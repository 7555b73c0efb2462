/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which findings make gpu-vfio-generator write its unit. */
#include <string.h>

#include "needs-unit.h"

bool generator_finding_minor(const struct finding *f)
{
	static const char *const minor[] = { "next-boot", "cmdline-values" };
	size_t i;

	for (i = 0; i < sizeof(minor) / sizeof(*minor); i++)
		if (strcmp(f->name, minor[i]) == 0)
			return true;
	return false;
}

bool generator_needs_unit(const struct findings *fs)
{
	size_t i;

	for (i = 0; i < fs->n_findings; i++) {
		const struct finding *f = &fs->findings[i];

		if (f->severity != SEV_OK && !generator_finding_minor(f))
			return true;
	}
	return false;
}
