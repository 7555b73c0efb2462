/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the /etc/default/grub shell-subset reader on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grubcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input is /etc/default/grub, and after the first NUL byte a grub.d drop-in that can
 * expand the variables the first file set. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grub_defaults g = { 0 };
	const struct grub_assignment *a;
	char *text, *second, *cmdline;
	size_t first_len;
	int var;

	text = malloc(size + 2);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	text[size + 1] = '\0';
	first_len = strlen(text);
	second = first_len < size ? text + first_len + 1 : NULL;

	if (grub_defaults_parse_text(&g, GRUB_DEFAULTS_FILE, text) >= 0 && second)
		(void)grub_defaults_parse_text(&g, GRUB_DEFAULTS_DIR "/50-fuzz.cfg", second);
	for (var = 0; var < _GRUB_VAR_MAX; var++) {
		a = grub_defaults_final(&g, var);
		if (a && (!a->value || a->var != (enum grub_cmdline_var)var))
			abort();
		(void)grub_var_name(var);
	}
	cmdline = grub_defaults_cmdline(&g);
	free(cmdline);
	grub_defaults_free(&g);
	free(text);
	return 0;
}
