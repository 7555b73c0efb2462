/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel command line tokenizer with the kernel's rules: quotes, and '-' equal to '_' in keys. */
#define _GNU_SOURCE 1
#include <string.h>

#include "cmdline.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Like the kernel's next_arg(): a double quote toggles quoting anywhere in the word. */
int cmdline_foreach(const char *cmdline, cmdline_cb_t cb, void *userdata)
{
	const char *p = cmdline;

	for (;;) {
		char word[4096];
		size_t len = 0, eq = (size_t)-1;
		bool quoted = false, truncated = false;
		int r;

		while (is_space(*p))
			p++;
		if (!*p)
			return 0;
		for (; *p && (quoted || !is_space(*p)); p++) {
			if (*p == '"') {
				quoted = !quoted;
				continue;
			}
			if (len + 1 >= sizeof(word)) {
				truncated = true;
				continue;
			}
			if (*p == '=' && eq == (size_t)-1)
				eq = len;
			word[len++] = *p;
		}
		word[len] = '\0';
		/* No real parameter is this long (the kernel's limit is 2048): skip it whole
		 * rather than hand out a cut value. */
		if (truncated)
			continue;
		if (eq == (size_t)-1)
			r = cb(word, len, NULL, 0, userdata);
		else
			r = cb(word, eq, word + eq + 1, len - eq - 1, userdata);
		if (r)
			return r;
	}
}

bool cmdline_key_eq(const char *key, size_t key_len, const char *want)
{
	size_t i;

	if (strlen(want) != key_len)
		return false;
	for (i = 0; i < key_len; i++) {
		char a = key[i] == '-' ? '_' : key[i];
		char b = want[i] == '-' ? '_' : want[i];

		if (a != b)
			return false;
	}
	return true;
}

struct get_last {
	const char *key;
	char *buf;
	size_t size;
	bool found;
	bool fits;
};

static int get_last_cb(const char *key, size_t key_len, const char *value, size_t value_len,
		       void *userdata)
{
	struct get_last *g = userdata;

	if (!cmdline_key_eq(key, key_len, g->key))
		return 0;
	g->found = true;
	g->fits = value_len < g->size;
	if (g->fits) {
		if (value_len)
			memcpy(g->buf, value, value_len);
		g->buf[value_len] = '\0';
	}
	return 0;
}

bool cmdline_get_last(const char *cmdline, const char *key, char *buf, size_t size)
{
	struct get_last g = { .key = key, .buf = buf, .size = size };

	if (size == 0)
		return false;
	(void)cmdline_foreach(cmdline, get_last_cb, &g);
	return g.found && g.fits;
}
