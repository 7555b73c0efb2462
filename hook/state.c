/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state record /run/gpu-vfio/state.json: what claim did, so status and release can tell. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "policy.h"
#include "rootfs.h"
#include "state.h"

bool driver_name_valid(const char *name)
{
	const char *c;

	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.'))
			return false;
	return true;
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* Add at the end, unsorted: the parser sorts once at the end (n log n, not n^2). */
static int state_append(struct state *s, const struct state_entry *e)
{
	struct state_entry *n;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;

		n = realloc(s->e, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->e = n;
		s->cap = cap;
	}
	s->e[s->n++] = *e;
	return 0;
}

/* Stable merge sort of entry indices by address (qsort is not stable; of equal addresses
 * the last one read wins). Indices, not the large entries, are moved. */
static void merge_sort(const struct state_entry *e, size_t *a, size_t *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	merge_sort(e, a, tmp, mid);
	merge_sort(e, a + mid, tmp, n - mid);
	while (i < mid && j < n)
		tmp[k++] = strcmp(e[a[j]].address, e[a[i]].address) < 0 ? a[j++] : a[i++];
	while (i < mid)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	memcpy(a, tmp, n * sizeof(*a));
}

/* Sort by address and keep the last entry of each address. */
static int sort_dedup(struct state *s)
{
	struct state_entry *sorted;
	size_t *idx, *tmp, i, out = 0;
	bool in_order = true;

	for (i = 1; i < s->n && in_order; i++)
		in_order = strcmp(s->e[i - 1].address, s->e[i].address) < 0;
	if (in_order)
		return 0; /* what our own writer wrote */
	idx = malloc(s->n * sizeof(*idx));
	tmp = malloc(s->n * sizeof(*tmp));
	sorted = malloc(s->n * sizeof(*sorted));
	if (!idx || !tmp || !sorted) {
		free(idx);
		free(tmp);
		free(sorted);
		return -ENOMEM;
	}
	for (i = 0; i < s->n; i++)
		idx[i] = i;
	merge_sort(s->e, idx, tmp, s->n);
	for (i = 0; i < s->n; i++) {
		if (i + 1 < s->n && strcmp(s->e[idx[i]].address, s->e[idx[i + 1]].address) == 0)
			continue;
		sorted[out++] = s->e[idx[i]];
	}
	free(idx);
	free(tmp);
	free(s->e);
	s->e = sorted;
	s->n = out;
	s->cap = s->n;
	return 0;
}

static int entry_cb(const struct json_object *o, void *userdata)
{
	struct state *s = userdata;
	struct state_entry e = { .iommu_group = -1 };
	const char *v;

	v = json_get(o, "address");
	if (!v || !pci_address_normalise(v, e.address, sizeof(e.address)))
		return 0;
	copy(e.vendor, sizeof(e.vendor), json_get(o, "vendor"));
	copy(e.device, sizeof(e.device), json_get(o, "device"));
	v = json_get(o, "iommu_group");
	if (v) {
		char *end;
		long g = strtol(v, &end, 10);

		if (!*end && g >= 0 && g < 1000000)
			e.iommu_group = (int)g;
	}
	copy(e.action, sizeof(e.action), json_get(o, "action"));
	copy(e.driver, sizeof(e.driver), json_get(o, "driver"));
	copy(e.previous_driver, sizeof(e.previous_driver), json_get(o, "previous_driver"));
	copy(e.previous_override, sizeof(e.previous_override), json_get(o, "previous_override"));
	copy(e.rule, sizeof(e.rule), json_get(o, "rule"));
	copy(e.reason, sizeof(e.reason), json_get(o, "reason"));
	v = json_get(o, "taken");
	e.taken = v && strcmp(v, "true") == 0;
	v = json_get(o, "via");
	if (v && !pci_address_normalise(v, e.via, sizeof(e.via)))
		e.via[0] = '\0';
	if ((e.driver[0] && !driver_name_valid(e.driver)) ||
	    (e.previous_driver[0] && !driver_name_valid(e.previous_driver)) ||
	    (e.previous_override[0] && !driver_name_valid(e.previous_override)))
		return 0;
	return state_append(s, &e);
}

int state_parse(const char *text, size_t len, struct state *ret)
{
	struct state s = { 0 };
	const char *k;
	int r;

	r = json_foreach_object(text, len, "devices", entry_cb, &s);
	if (r < 0) {
		state_free(&s);
		return r == -EINVAL ? -EBADMSG : r;
	}
	r = sort_dedup(&s);
	if (r < 0) {
		state_free(&s);
		return r;
	}
	/* Top-level scalars: a small scan is enough for our own writer's output. */
	s.disabled = memmem(text, len, "\"disabled\": true", 16) != NULL;
	k = memmem(text, len, "\"kernel\": \"", 11);
	if (k) {
		const char *v = k + 11, *end = text + len;
		size_t n = 0;

		while (v + n < end && v[n] != '"' && v[n] != '\\' && v[n] != '\n')
			n++;
		if (n < sizeof(s.kernel)) {
			memcpy(s.kernel, v, n);
			s.kernel[n] = '\0';
		}
	}
	*ret = s;
	return 0;
}

int state_read(int rootfd, struct state *ret)
{
	return state_read_file(rootfd, STATE_FILE, ret);
}

int state_read_file(int rootfd, const char *path, struct state *ret)
{
	char *text;
	size_t len;
	int r;

	r = root_read_alloc(rootfd, path, &text, &len);
	if (r == -ENOTDIR)
		return -ENOENT; /* no directory, no record (a /run that cannot hold one) */
	if (r < 0)
		return r;
	r = state_parse(text, len, ret);
	free(text);
	return r;
}

/* The index of the first entry whose address is not below address (binary search). */
static size_t lower_bound(const struct state *s, const char *address)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(s->e[mid].address, address) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct state_entry *state_find(const struct state *s, const char *address)
{
	size_t i = lower_bound(s, address);

	return i < s->n && strcmp(s->e[i].address, address) == 0 ? &s->e[i] : NULL;
}

int state_put(struct state *s, const struct state_entry *e)
{
	size_t i = lower_bound(s, e->address);
	int r;

	if (i < s->n && strcmp(s->e[i].address, e->address) == 0) {
		s->e[i] = *e;
		return 0;
	}
	r = state_append(s, e);
	if (r < 0)
		return r;
	memmove(&s->e[i + 1], &s->e[i], (s->n - 1 - i) * sizeof(*s->e));
	s->e[i] = *e;
	return 0;
}

int state_remove(struct state *s, const char *address)
{
	struct state_entry *e = state_find(s, address);

	if (!e)
		return -ENOENT;
	memmove(e, e + 1, (size_t)(&s->e[s->n] - (e + 1)) * sizeof(*e));
	s->n--;
	return 0;
}

void state_free(struct state *s)
{
	free(s->e);
	memset(s, 0, sizeof(*s));
}

/* One member after the first: `, "key": "value"`, or null for an empty value. */
static void member(FILE *f, const char *key, const char *value)
{
	fprintf(f, ", \"%s\": ", key);
	json_string_or_null(f, value);
}

int state_write(int rootfd, const struct state *s)
{
	return state_write_file(rootfd, STATE_FILE, s);
}

int state_write_file(int rootfd, const char *path, const struct state *s)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;
	int r;

	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "{\n  \"version\": 1,\n  \"kernel\": ");
	json_string(f, s->kernel);
	fprintf(f, ",\n  \"disabled\": %s,\n  \"devices\": [", s->disabled ? "true" : "false");
	for (i = 0; i < s->n; i++) {
		const struct state_entry *e = &s->e[i];

		fprintf(f, "%s\n    {\"address\": ", i ? "," : "");
		json_string(f, e->address);
		fprintf(f, ", \"vendor\": ");
		json_string(f, e->vendor);
		fprintf(f, ", \"device\": ");
		json_string(f, e->device);
		if (e->iommu_group >= 0)
			fprintf(f, ", \"iommu_group\": %d", e->iommu_group);
		else
			fprintf(f, ", \"iommu_group\": null");
		member(f, "action", e->action);
		member(f, "driver", e->driver);
		member(f, "previous_driver", e->previous_driver);
		member(f, "previous_override", e->previous_override);
		member(f, "rule", e->rule);
		member(f, "via", e->via);
		member(f, "reason", e->reason);
		fprintf(f, ", \"taken\": %s}", e->taken ? "true" : "false");
	}
	fprintf(f, "\n  ]\n}\n");
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	r = root_write_atomic(rootfd, path, buf, len, 0644);
	free(buf);
	return r;
}
