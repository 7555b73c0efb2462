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
	v = json_get(o, "via");
	if (v && !pci_address_normalise(v, e.via, sizeof(e.via)))
		e.via[0] = '\0';
	if ((e.driver[0] && !driver_name_valid(e.driver)) ||
	    (e.previous_driver[0] && !driver_name_valid(e.previous_driver)) ||
	    (e.previous_override[0] && !driver_name_valid(e.previous_override)))
		return 0;
	return state_put(s, &e) < 0 ? -ENOMEM : 0;
}


int state_parse(const char *text, size_t len, struct state *ret)
{
	struct state s = { 0 };
	const char *k;
	int r;

	r = json_foreach_object(text, len, "devices", entry_cb, &s);
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
	char *text;
	size_t len;
	int r;

	r = root_read_alloc(rootfd, STATE_FILE, &text, &len);
	if (r < 0)
		return r;
	r = state_parse(text, len, ret);
	free(text);
	return r;
}

struct state_entry *state_find(const struct state *s, const char *address)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->e[i].address, address) == 0)
			return &s->e[i];
	return NULL;
}

int state_put(struct state *s, const struct state_entry *e)
{
	struct state_entry *old = state_find(s, e->address), *n;

	if (old) {
		*old = *e;
		return 0;
	}
	n = realloc(s->e, (s->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->e = n;
	s->e[s->n++] = *e;
	return 0;
}

void state_free(struct state *s)
{
	free(s->e);
	memset(s, 0, sizeof(*s));
}

int state_write(int rootfd, const struct state *s)
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
		fprintf(f, ", \"action\": ");
		json_string(f, e->action);
		fprintf(f, ", \"driver\": ");
		json_string_or_null(f, e->driver);
		fprintf(f, ", \"previous_driver\": ");
		json_string_or_null(f, e->previous_driver);
		fprintf(f, ", \"previous_override\": ");
		json_string_or_null(f, e->previous_override);
		fprintf(f, ", \"rule\": ");
		json_string_or_null(f, e->rule);
		fprintf(f, ", \"via\": ");
		json_string_or_null(f, e->via);
		fprintf(f, ", \"reason\": ");
		json_string_or_null(f, e->reason);
		fputc('}', f);
	}
	fprintf(f, "\n  ]\n}\n");
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	r = root_write_atomic(rootfd, STATE_FILE, buf, len, 0644);
	free(buf);
	return r;
}
