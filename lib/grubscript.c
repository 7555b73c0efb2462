/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GRUB's own files: the grubenv block, the linux line of grub.cfg, words of GRUB script. */
#define _GNU_SOURCE 1
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "grubscript.h"

/* A value from a GRUB environment block ("key=value" lines, '#' padding). */
static char *grubenv_get(const char *env, const char *key)
{
	size_t klen = strlen(key);
	const char *p = env;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=')
			return strndup(p + klen + 1, len - klen - 1);
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/* Expand $name / ${name} in a BLS options line from grubenv; unknown names are empty,
 * as GRUB's blscfg does. */
char *grubenv_expand(const char *in, const char *env)
{
	size_t cap = strlen(in) + 1, len = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	while (*in) {
		char name[64], *val;
		size_t n = 0;
		bool brace;

		if (*in != '$') {
			out[len++] = *in++;
			continue;
		}
		in++;
		brace = *in == '{';
		in += brace;
		while ((*in == '_' || (*in >= 'a' && *in <= 'z') || (*in >= 'A' && *in <= 'Z') ||
			(*in >= '0' && *in <= '9')) &&
		       n + 1 < sizeof(name))
			name[n++] = *in++;
		name[n] = '\0';
		if (brace && *in == '}')
			in++;
		val = env ? grubenv_get(env, name) : NULL;
		if (val) {
			char *nout;

			cap += strlen(val);
			nout = realloc(out, cap);
			if (!nout) {
				free(val);
				free(out);
				return NULL;
			}
			out = nout;
			memcpy(out + len, val, strlen(val));
			len += strlen(val);
			free(val);
		}
	}
	out[len] = '\0';
	return out;
}

/* The parameters of the first "linux" line of grub.cfg: what the default entry boots. */
char *grub_cfg_first_linux(const char *text)
{
	const char *p = text;

	while (*p) {
		const char *eol = strchr(p, '\n'), *q = p;
		size_t n = eol ? (size_t)(eol - p) : strlen(p);

		while (*q == ' ' || *q == '\t')
			q++;
		if ((strncmp(q, "linux", 5) == 0 && (q[5] == ' ' || q[5] == '\t')) ||
		    (strncmp(q, "linuxefi", 8) == 0 && (q[8] == ' ' || q[8] == '\t')) ||
		    (strncmp(q, "linux16", 7) == 0 && (q[7] == ' ' || q[7] == '\t'))) {
			q += strcspn(q, " \t");
			q += strspn(q, " \t");
			/* skip the kernel image path */
			q += strcspn(q, " \t\n");
			return strndup(q, p + n - q);
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	return NULL;
}

/* Split one line of GRUB script into words, in place: blanks separate words, quotes group
 * and are removed, a backslash escapes the next character, and '#' at the start of a word
 * or a ';' ends what is read of the line. */
size_t grub_script_words(char *line, char **words, size_t max)
{
	char *in = line, *out = line;
	size_t n = 0;

	for (;;) {
		char c;

		while (*in == ' ' || *in == '\t' || *in == '\r')
			in++;
		if (!*in || *in == '#' || *in == ';' || n == max)
			return n;
		words[n++] = out;
		while (*in && *in != ' ' && *in != '\t' && *in != '\r' && *in != ';') {
			char q = *in;

			if (q == '\'' || q == '"') {
				for (in++; *in && *in != q; in++) {
					if (q == '"' && *in == '\\' && in[1])
						in++;
					*out++ = *in;
				}
				if (*in)
					in++;
			} else {
				if (q == '\\' && in[1])
					in++;
				*out++ = *in++;
			}
		}
		c = *in;
		if (c)
			in++;
		*out++ = '\0';
		if (!c || c == ';')
			return n;
	}
}
