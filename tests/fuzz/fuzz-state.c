/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the /run/gpu-vfio/state.json reader on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *s, size_t size)
{
	if (!memchr(s, '\0', size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state st = { 0 };
	char norm[PCI_ADDR_MAX];
	size_t i;

	if (state_parse((const char *)data, size, &st) < 0) {
		state_free(&st);
		return 0;
	}
	check_string(st.kernel, sizeof(st.kernel));
	for (i = 0; i < st.n; i++) {
		const struct state_entry *e = &st.e[i];

		check_string(e->address, sizeof(e->address));
		check_string(e->driver, sizeof(e->driver));
		check_string(e->previous_driver, sizeof(e->previous_driver));
		check_string(e->previous_override, sizeof(e->previous_override));
		check_string(e->rule, sizeof(e->rule));
		check_string(e->via, sizeof(e->via));
		check_string(e->reason, sizeof(e->reason));
		/* state.h: entries with an invalid address or driver name are dropped, since
		 * release turns them into sysfs paths. */
		if (!pci_address_normalise(e->address, norm, sizeof(norm)) ||
		    strcmp(norm, e->address) != 0)
			abort();
		if ((e->driver[0] && !driver_name_valid(e->driver)) ||
		    (e->previous_driver[0] && !driver_name_valid(e->previous_driver)))
			abort();
		if (state_find(&st, e->address) == NULL)
			abort();
	}
	state_free(&st);
	return 0;
}
