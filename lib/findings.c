/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A list of findings: what a check found, how bad it is, and how to fix it. */
#define _GNU_SOURCE 1
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"

static const struct {
	const char *name, *label;
} severities[_SEV_MAX] = {
	[SEV_OK] = { "ok", "ok" },
	[SEV_WARN] = { "warn", "warn" },
	[SEV_FAIL] = { "fail", "FAIL" },
};

const char *severity_name(enum severity sev)
{
	return severities[sev < _SEV_MAX ? sev : SEV_FAIL].name;
}

const char *severity_label(enum severity sev)
{
	return severities[sev < _SEV_MAX ? sev : SEV_FAIL].label;
}

void findings_add(struct findings *fs, const char *name, enum severity sev, const char *fix,
		  const char *fmt, ...)
{
	struct finding *f;
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fs->oom = true;
		return;
	}
	f = realloc(fs->findings, (fs->n_findings + 1) * sizeof(*f));
	if (!f) {
		free(msg);
		fs->oom = true;
		return;
	}
	fs->findings = f;
	f = &fs->findings[fs->n_findings];
	*f = (struct finding){ .severity = sev, .message = msg };
	(void)snprintf(f->name, sizeof(f->name), "%s", name);
	if (fix) {
		f->fix = strdup(fix);
		if (!f->fix)
			fs->oom = true;
	}
	fs->n_findings++;
}

enum severity findings_worst(const struct findings *fs)
{
	enum severity worst = SEV_OK;
	size_t i;

	for (i = 0; i < fs->n_findings; i++)
		if (fs->findings[i].severity > worst)
			worst = fs->findings[i].severity;
	return worst;
}

void findings_free(struct findings *fs)
{
	size_t i;

	for (i = 0; i < fs->n_findings; i++) {
		free(fs->findings[i].message);
		free(fs->findings[i].fix);
	}
	free(fs->findings);
	*fs = (struct findings){ 0 };
}
