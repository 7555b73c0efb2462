/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The parser's helpers that the loader (policy-load.c) uses too, and nothing else. */
#pragma once

#include "policy.h"

/* Record "FILE:LINE: message" ("FILE: message" when line is 0) in p->errors. */
void policy_error(struct policy *p, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Free what the parser allocated for one rule. */
void rule_free(struct rule *r);
