/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the kernel command line tokenizer on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walk {
	size_t len; /* of the whole command line */
	unsigned n;
};

/* The callback gets a NUL-terminated copy of the parameter, "key" or "key=value", with
 * value_len the length of what follows the '='. */
static int each(const char *key, size_t key_len, const char *value, size_t value_len,
		void *userdata)
{
	struct walk *w = userdata;

	if (key_len > w->len || strnlen(key, key_len) != key_len)
		abort();
	if (value && (value != key + key_len + 1 || value_len > w->len ||
		      strlen(value) != value_len))
		abort();
	(void)cmdline_key_eq(key, key_len, "gpu-vfio");
	(void)cmdline_key_eq(key, key_len, "intel_iommu");
	w->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "gpu-vfio", "gpu_vfio", "iommu", "intel_iommu",
					    "amd_iommu", "iommu.passthrough", "" };
	char buf[64], tiny[2];
	struct walk w = { .len = size };
	char *text;
	size_t i;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)cmdline_foreach(text, each, &w);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (cmdline_get_last(text, keys[i], buf, sizeof(buf)) && strlen(buf) >= sizeof(buf))
			abort();
		(void)cmdline_get_last(text, keys[i], tiny, sizeof(tiny));
	}
	free(text);
	return 0;
}
