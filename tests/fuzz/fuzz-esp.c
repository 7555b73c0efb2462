/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the ESP GRUB stub parser of `gpu-vfio check` on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The UUID becomes a file name below /dev/disk/by-uuid and the prefix is compared with a
 * normalised path, so both must keep their shape whatever the input. */
static void check_stub(const struct esp_stub *s)
{
	size_t len = strlen(s->uuid), plen = strlen(s->prefix);

	if (len == 0 || len >= sizeof(s->uuid) || strspn(s->uuid,
		"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") != len)
		abort();
	if (plen && (s->prefix[0] != '/' || strstr(s->prefix, "//") ||
		     (plen > 1 && s->prefix[plen - 1] == '/')))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esp_stub *s = malloc(sizeof(*s));
	char *text = malloc(size + 1);

	if (s && text) {
		memcpy(text, data, size);
		text[size] = '\0';
		if (esp_stub_parse(text, s) == 1)
			check_stub(s);
	}
	free(text);
	free(s);
	return 0;
}
