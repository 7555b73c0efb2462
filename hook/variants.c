/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VFIO variant drivers an initramfs needs for a policy (gpu-vfio validate
 * --image-modules KVER): the initramfs-tools hook and the dracut module add them beside
 * vfio_pci, so that claim finds in the image the driver modules.alias names for a device
 * (nvgrace_gpu_vfio_pci on a Grace node). A variant is needed when one of its vfio_pci:
 * aliases can match a device a claim rule matches: compared by vendor, device, subsystem
 * ids and class, the fields a modalias and a rule share. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "variants.h"

/* The fields of "vfio_pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X" (file2alias's pci
 * format, '*' for any), in order, each introduced by its letters. */
enum { F_VENDOR, F_DEVICE, F_SUBVENDOR, F_SUBDEVICE, F_BASECLASS, F_SUBCLASS, F_PROGIF, F_MAX };

static const char *const field_tags[F_MAX] = { "v", "d", "sv", "sd", "bc", "sc", "i" };

/* Split pattern into its fields; false if it is not a vfio_pci: pci pattern. */
static bool split_alias(const char *pattern, char fields[F_MAX][24])
{
	const char *p;
	int f;

	if (strncmp(pattern, "vfio_pci:", 9) != 0)
		return false;
	p = pattern + 9;
	for (f = 0; f < F_MAX; f++) {
		size_t tag = strlen(field_tags[f]), len;
		const char *end;

		if (strncmp(p, field_tags[f], tag) != 0)
			return false;
		p += tag;
		end = f + 1 < F_MAX ? strstr(p, field_tags[f + 1]) : p + strlen(p);
		/* The hex digits are upper case: the next tag's letters cannot occur in them. */
		if (!end || (size_t)(end - p) >= sizeof(fields[f]))
			return false;
		len = (size_t)(end - p);
		memcpy(fields[f], p, len);
		fields[f][len] = '\0';
		p = end;
	}
	return true;
}

/* Does the pattern field accept one of the ids (as a modalias writes it: %08X)? True when
 * the rule has no such key (n == 0). */
static bool any_id(const char *field, const uint16_t *ids, size_t n)
{
	char v[9];
	size_t i;

	if (n == 0)
		return true;
	for (i = 0; i < n; i++) {
		snprintf(v, sizeof(v), "%08X", ids[i]);
		if (fnmatch(field, v, 0) == 0)
			return true;
	}
	return false;
}

/* A class prefix of 2, 4 or 6 digits: each byte it has must fit its field. */
static bool class_fits(char fields[F_MAX][24], const struct class_item *c)
{
	uint32_t full = c->value << (4 * (6 - c->digits));
	unsigned bytes = c->digits / 2, b;
	char v[3];

	for (b = 0; b < bytes; b++) {
		snprintf(v, sizeof(v), "%02X", (full >> (16 - 8 * b)) & 0xff);
		if (fnmatch(fields[F_BASECLASS + b], v, 0) != 0)
			return false;
	}
	return true;
}

bool rule_may_match_vfio_alias(const struct rule *r, const char *pattern)
{
	char fields[F_MAX][24];
	size_t i;

	if (!split_alias(pattern, fields))
		return false;
	if (!any_id(fields[F_VENDOR], r->vendor, r->n_vendor) ||
	    !any_id(fields[F_DEVICE], r->device, r->n_device) ||
	    !any_id(fields[F_SUBVENDOR], r->subvendor, r->n_subvendor) ||
	    !any_id(fields[F_SUBDEVICE], r->subdevice, r->n_subdevice))
		return false;
	if (r->n_class == 0)
		return true;
	for (i = 0; i < r->n_class; i++)
		if (class_fits(fields, &r->class[i]))
			return true;
	return false;
}

static bool policy_may_need(const struct policy *p, const char *pattern)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++)
		if (p->rules[i].action == RULE_CLAIM && rule_may_match_vfio_alias(&p->rules[i], pattern))
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int variants_for_image(const char *moddir, const struct policy *p, FILE *out)
{
	char path[PATH_MAX], line[512], **names = NULL;
	size_t n = 0, cap = 0, i;
	FILE *f;
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/modules.alias", moddir) >= sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char pattern[384], module[128];

		if (strncmp(line, "alias vfio_pci:", 15) != 0 ||
		    sscanf(line, "alias %383s %127s", pattern, module) != 2 ||
		    strcmp(module, "vfio_pci") == 0 || !policy_may_need(p, pattern))
			continue;
		if (n == cap) {
			char **grown = realloc(names, (cap = cap ? 2 * cap : 8) * sizeof(*names));

			if (!grown) {
				r = -ENOMEM;
				goto out;
			}
			names = grown;
		}
		names[n] = strdup(module);
		if (!names[n]) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	/* qsort wants a valid array even when it is empty. */
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
			fprintf(out, "%s\n", names[i]);
	r = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	fclose(f);
	return r;
}
