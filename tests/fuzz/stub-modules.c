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

/* No libkmod here: module files are not read, so `check` leaves them unchecked. */
bool modules_can_decompress(enum module_compression c)
{
	(void)c;
	return false;
}

int modules_modinfo(struct modules *m, const char *path, struct module_info *ret)
{
	(void)m;
	(void)path;
	(void)ret;
	return -EOPNOTSUPP;
}
