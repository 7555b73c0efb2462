/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel command line tokenizer with the kernel's rules: quotes, and '-' equal to '_' in keys. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Called for each parameter in order; value is NULL when the parameter has no '='.
 * Quotes around the value (or the whole parameter) are removed. Return non-zero to stop. */
typedef int (*cmdline_cb_t)(const char *key, size_t key_len, const char *value, size_t value_len,
			    void *userdata);

/* Walk a command line; returns the callback's non-zero value, or 0. */
int cmdline_foreach(const char *cmdline, cmdline_cb_t cb, void *userdata);

/* Compare a key with want, treating '-' and '_' as the same character. */
bool cmdline_key_eq(const char *key, size_t key_len, const char *want);

/* The value of the last occurrence of key, copied into buf ("" when it has no '=').
 * Returns false when key does not occur or the value does not fit. */
bool cmdline_get_last(const char *cmdline, const char *key, char *buf, size_t size);
