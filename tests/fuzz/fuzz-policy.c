/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the gpu-vfio.conf(5) parser and rule matching on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct match_target devices[] = {
	{ "0000:01:00.0", 0x10de, 0x1e87, 0x1462, 0x3727, 0x030000, false, 0 },
	{ "0000:01:00.1", 0x10de, 0x10f8, 0x1462, 0x3727, 0x040300, false, 0 },
	{ "0000:00:02.0", 0x8086, 0x3e92, 0x1462, 0x7b17, 0x030000, true, -1 },
	{ "0000:0b:00.0", 0x10de, 0x22a3, 0x10de, 0x1796, 0x068000, false, 1 },
	{ "0000:05:00.0", 0x15b3, 0x1021, 0x15b3, 0x0041, 0x020000, false, 1 },
	{ "0001:00:00.0", 0x10de, 0x13f2, 0x10de, 0x115e, 0x030200, false, -1 },
	{ "ffffffff:ff:1f.7", 0xffff, 0xffff, 0xffff, 0xffff, 0xffffff, true, 7 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy p = { 0 };
	char norm[32], again[32], *text;
	size_t i, k;

	/* The parser takes a length: hand it the exact buffer so an over-read is caught. */
	policy_parse_text(&p, "/etc/gpu-vfio.conf", (const char *)data, size);
	(void)policy_has_claim(&p);
	for (i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		ssize_t r = policy_decide(&p, &devices[i]);

		if (r < -1 || r >= (ssize_t)p.n_rules)
			abort();
		for (k = 0; k < p.n_rules; k++) {
			(void)rule_matches(&p.rules[k], &devices[i]);
			(void)rule_names_address(&p.rules[k], devices[i].address);
		}
	}
	/* An address item with a glob character is a pattern (a parser that lost the flag
	 * would compare the pattern as a literal address). */
	for (k = 0; k < p.n_rules; k++)
		for (i = 0; i < p.rules[k].n_address; i++) {
			const struct addr_item *a = &p.rules[k].address[i];

			if (!memchr(a->text, '\0', sizeof(a->text)) ||
			    ((strchr(a->text, '*') || strchr(a->text, '?')) && !a->wildcard))
				abort();
		}
	/* A second file appended to the same policy, as policy_load does for drop-ins. */
	policy_parse_text(&p, "/etc/gpu-vfio.d/50-fuzz.conf", (const char *)data, size);
	policy_free(&p);

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* A normalised address must normalise again, to itself. */
	if (pci_address_normalise(text, norm, sizeof(norm)) &&
	    (!pci_address_normalise(norm, again, sizeof(again)) || strcmp(norm, again) != 0))
		abort();
	free(text);
	return 0;
}
