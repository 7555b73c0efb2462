/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stand-in for hook/modules.c in the fuzz harnesses: no libkmod, no variant drivers. */
#include <errno.h>
#include <stdlib.h>

#include "modules.h"

int modules_new(int rootfd, bool live, struct modules **ret)
{
	return -EOPNOTSUPP;
}

void modules_free(struct modules *m)
{
}

int modules_ensure(struct modules *m, const char *name, bool *ret_would_load)
{
	return -EOPNOTSUPP;
}

int modules_vfio_variant(struct modules *m, const char *modalias, char *buf, size_t size)
{
	return -ENOENT;
}
