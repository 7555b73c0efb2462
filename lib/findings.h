/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A list of findings: what a check found, how bad it is, and how to fix it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum severity {
	SEV_OK,
	SEV_WARN,
	SEV_FAIL,
	_SEV_MAX,
};

struct finding {
	char name[32];
	enum severity severity;
	char *message;
	char *fix; /* NULL when nothing is to be done */
};

struct findings {
	struct finding *findings;
	size_t n_findings;
	bool oom; /* a finding was lost */
};

/* Append a finding; message is printf-formatted, fix is copied (may be NULL). Out of memory
 * sets fs->oom. */
void findings_add(struct findings *fs, const char *name, enum severity sev, const char *fix,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The worst severity among the findings. */
enum severity findings_worst(const struct findings *fs);

void findings_free(struct findings *fs);

/* "ok", "warn", "fail": the status in JSON. */
const char *severity_name(enum severity sev);

/* "ok", "warn", "FAIL": the label of a line of text. */
const char *severity_label(enum severity sev);
