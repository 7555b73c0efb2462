/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a kernel command line asks of the IOMMU, parsed with the kernel's own rules. */
#include <stdio.h>
#include <string.h>

#include "cmdline.h"
#include "kcmdline-iommu.h"

static void add_bogus(struct iommu_switches *s, const char *key, const char *item, size_t len)
{
	size_t i;
	char tok[64];

	(void)snprintf(tok, sizeof(tok), "%s=%.*s", key, (int)len, item);
	for (i = 0; i < s->n_bogus; i++)
		if (strcmp(s->bogus[i], tok) == 0)
			return;
	if (s->n_bogus < IOMMU_MAX_BOGUS)
		strcpy(s->bogus[s->n_bogus++], tok);
}

static bool item_is(const char *item, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(item, word, len) == 0;
}

/* The kernel compares option prefixes (strncmp(p, "off", 3)), so "offx" is off too. */
static bool item_prefix(const char *item, size_t len, const char *word)
{
	size_t wl = strlen(word);

	return len >= wl && memcmp(item, word, wl) == 0;
}

/* intel_iommu_setup() in drivers/iommu/intel/iommu.c */
static void parse_intel_item(struct iommu_switches *s, const char *item, size_t len)
{
	static const char *const known[] = { "igfx_off", "forcedac", "strict", "sp_off",
					     "sm_on", "sm_off", "tboot_noforce" };
	size_t i;

	if (item_prefix(item, len, "on")) {
		s->intel = SWITCH_ON;
		return;
	}
	if (item_prefix(item, len, "off")) {
		s->intel = SWITCH_OFF;
		return;
	}
	for (i = 0; i < sizeof(known) / sizeof(*known); i++)
		if (item_prefix(item, len, known[i]))
			return;
	add_bogus(s, "intel_iommu", item, len);
}

/* parse_amd_iommu_options() in drivers/iommu/amd/init.c: there is no "on". */
static void parse_amd_item(struct iommu_switches *s, const char *item, size_t len)
{
	static const char *const known[] = { "fullflush", "force_enable", "force_isolation",
					     "pgtbl_v1", "pgtbl_v2", "irtcachedis",
					     "nohugepages", "v2_pgsizes_only" };
	size_t i;

	if (item_prefix(item, len, "off")) {
		s->amd_off = true;
		return;
	}
	for (i = 0; i < sizeof(known) / sizeof(*known); i++)
		if (item_prefix(item, len, known[i]))
			return;
	add_bogus(s, "amd_iommu", item, len);
}

/* iommu_setup() in arch/x86/kernel/pci-dma.c; only the items that matter here. */
static void parse_iommu_item(struct iommu_switches *s, const char *item, size_t len)
{
	if (item_prefix(item, len, "off")) {
		s->iommu_off = true;
	} else if (item_prefix(item, len, "pt")) {
		s->passthrough = SWITCH_ON;
		(void)snprintf(s->passthrough_token, sizeof(s->passthrough_token), "iommu=%.*s",
			       (int)len, item);
	} else if (item_prefix(item, len, "nopt")) {
		s->passthrough = SWITCH_OFF;
		(void)snprintf(s->passthrough_token, sizeof(s->passthrough_token), "iommu=%.*s",
			       (int)len, item);
	} else if (item_is(item, len, "on") || item_is(item, len, "1") ||
		   item_is(item, len, "yes") || item_is(item, len, "true")) {
		add_bogus(s, "iommu", item, len);
	}
}

/* kstrtobool(): 1/y/Y/on true, 0/n/N/off false. */
static int parse_bool(const char *v, size_t len)
{
	if (len == 0)
		return -1;
	if (v[0] == '1' || v[0] == 'y' || v[0] == 'Y')
		return 1;
	if (v[0] == '0' || v[0] == 'n' || v[0] == 'N')
		return 0;
	if (len >= 2 && (v[0] == 'o' || v[0] == 'O')) {
		if (v[1] == 'n' || v[1] == 'N')
			return 1;
		if (v[1] == 'f' || v[1] == 'F')
			return 0;
	}
	return -1;
}

static void foreach_item(struct iommu_switches *s, const char *value, size_t len,
			 void (*fn)(struct iommu_switches *, const char *, size_t))
{
	const char *end = value + len;

	while (value < end) {
		const char *comma = memchr(value, ',', end - value);
		size_t n = comma ? (size_t)(comma - value) : (size_t)(end - value);

		if (n)
			fn(s, value, n);
		value += n + 1;
	}
}

static int switches_cb(const char *key, size_t key_len, const char *value, size_t value_len,
		       void *userdata)
{
	struct iommu_switches *s = userdata;

	enum iommu_switch intel = s->intel;
	bool amd_off = s->amd_off, iommu_off = s->iommu_off;
	/* Items that are neither on nor off leave the switch alone; a sentinel shows
	 * whether this parameter had one, so the token names the parameter that decided. */
	const enum iommu_switch untouched = (enum iommu_switch)-2;
	char token[64];

	if (!value)
		return 0;
	(void)snprintf(token, sizeof(token), "%.*s=%.*s", (int)key_len, key, (int)value_len, value);
	if ((cmdline_key_eq(key, key_len, "intel_iommu") || cmdline_key_eq(key, key_len, "amd_iommu") ||
	     cmdline_key_eq(key, key_len, "iommu") || cmdline_key_eq(key, key_len, "intremap")) &&
	    s->n_x86_only < IOMMU_MAX_BOGUS) {
		size_t i;
		bool seen = false;

		for (i = 0; i < s->n_x86_only; i++)
			seen |= strcmp(s->x86_only[i], token) == 0;
		if (!seen)
			strcpy(s->x86_only[s->n_x86_only++], token);
	}
	if (cmdline_key_eq(key, key_len, "intel_iommu")) {
		s->intel = untouched;
		foreach_item(s, value, value_len, parse_intel_item);
		if (s->intel == untouched)
			s->intel = intel;
		else
			strcpy(s->intel_token, token);
	} else if (cmdline_key_eq(key, key_len, "amd_iommu")) {
		foreach_item(s, value, value_len, parse_amd_item);
		if (s->amd_off && !amd_off)
			strcpy(s->amd_off_token, token);
	} else if (cmdline_key_eq(key, key_len, "iommu")) {
		foreach_item(s, value, value_len, parse_iommu_item);
		if (s->iommu_off && !iommu_off)
			strcpy(s->iommu_off_token, token);
	} else if (cmdline_key_eq(key, key_len, "iommu.passthrough")) {
		int b = parse_bool(value, value_len);

		if (b >= 0) {
			s->passthrough = b ? SWITCH_ON : SWITCH_OFF;
			(void)snprintf(s->passthrough_token, sizeof(s->passthrough_token),
				       "iommu.passthrough=%.*s", (int)value_len, value);
			s->generic_passthrough = s->passthrough;
			strcpy(s->generic_passthrough_token, s->passthrough_token);
		}
	} else if (cmdline_key_eq(key, key_len, "intremap")) {
		/* intel_irq_remapping: "off" and "nosid"... only off disables it. */
		if (item_prefix(value, value_len, "off"))
			s->intremap_off = true;
		else if (item_prefix(value, value_len, "on"))
			s->intremap_off = false;
	}
	return 0;
}

void iommu_switches_parse(const char *cmdline, struct iommu_switches *ret)
{
	*ret = (struct iommu_switches){ .intel = SWITCH_UNSET, .passthrough = SWITCH_UNSET,
					.generic_passthrough = SWITCH_UNSET };
	if (cmdline)
		(void)cmdline_foreach(cmdline, switches_cb, ret);
}
