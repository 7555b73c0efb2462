/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stand-in for hook/modules.c in unit tests: records module requests instead of using libkmod. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers.h"
#include "modules.h"
#include "rootfs.h"

char mock_modules_calls[1024];
int mock_modules_ensure_error;
const char *mock_modules_fail_only;
const char *mock_variant_modalias;
const char *mock_variant_driver;
unsigned mock_modules_delay_ms;

struct modules {
	int rootfd;
	bool live;
};

void mock_modules_reset(void)
{
	mock_modules_calls[0] = '\0';
	mock_modules_ensure_error = 0;
	mock_modules_fail_only = NULL;
	mock_variant_modalias = NULL;
	mock_variant_driver = NULL;
	mock_modules_delay_ms = 0;
}

int modules_new(int rootfd, bool live, struct modules **ret)
{
	struct modules *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->rootfd = rootfd;
	m->live = live;
	*ret = m;
	return 0;
}

void modules_free(struct modules *m)
{
	free(m);
}

/* Like the real one, a module with a sys/module directory is loaded or built in; the mock
 * never loads anything, so any other module is only reported as "would load". */
int modules_ensure(struct modules *m, const char *name, bool *ret_would_load)
{
	char path[128], norm[64];
	size_t i;

	for (i = 0; name[i] && i + 1 < sizeof(norm); i++)
		norm[i] = name[i] == '-' ? '_' : name[i];
	norm[i] = '\0';
	i = strlen(mock_modules_calls);
	snprintf(mock_modules_calls + i, sizeof(mock_modules_calls) - i, "%s%s", i ? " " : "",
		 name);
	if (mock_modules_delay_ms) {
		struct timespec ts = { mock_modules_delay_ms / 1000,
				       (long)(mock_modules_delay_ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
	if (mock_modules_ensure_error &&
	    (!mock_modules_fail_only || strcmp(mock_modules_fail_only, name) == 0))
		return mock_modules_ensure_error;
	snprintf(path, sizeof(path), "sys/module/%s", norm);
	*ret_would_load = !root_exists(m->rootfd, path);
	return 0;
}

int modules_vfio_variant(struct modules *m, const char *modalias, char *buf, size_t size)
{
	(void)m;
	if (!mock_variant_modalias || !mock_variant_driver ||
	    strncmp(modalias, mock_variant_modalias, strlen(mock_variant_modalias)) != 0)
		return -ENOENT;
	snprintf(buf, size, "%s", mock_variant_driver);
	return 0;
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
