/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Minimal JSON: escaped output, and a reader for the flat objects of the state record. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Print s as a JSON string (or null when s is NULL or empty and null_if_empty). */
void json_string(FILE *f, const char *s);
void json_string_or_null(FILE *f, const char *s);

/* A flat object: string, integer, true/false and null values; nested values are skipped. */
#define JSON_MAX_FIELDS 24
struct json_field {
	char key[32];
	char value[256]; /* strings unescaped; numbers and literals as written; "" for null */
	bool is_null;
	bool is_string;
};
struct json_object {
	struct json_field f[JSON_MAX_FIELDS];
	size_t n;
};

/* Call cb for every object in the array stored under key `array` at the top level of text.
 * Returns 0, or -EINVAL on malformed input (objects before the error were delivered). */
int json_foreach_object(const char *text, size_t len, const char *array,
			int (*cb)(const struct json_object *o, void *userdata), void *userdata);

const char *json_get(const struct json_object *o, const char *key);
