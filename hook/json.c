/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Minimal JSON: escaped output, and a reader for the flat objects of the state record. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <string.h>

#include "json.h"

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_string_or_null(FILE *f, const char *s)
{
	if (s && *s)
		json_string(f, s);
	else
		fputs("null", f);
}

struct reader {
	const char *p, *end;
	int depth;
};

static void skip_ws(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

/* Read a string into buf (truncated to size-1; \u escapes above 0x7f become '?'). */
static int read_string(struct reader *r, char *buf, size_t size)
{
	size_t n = 0;

	if (r->p >= r->end || *r->p != '"')
		return -EINVAL;
	r->p++;
	while (r->p < r->end && *r->p != '"') {
		char c = *r->p++;

		if ((unsigned char)c < 0x20)
			return -EINVAL;
		if (c == '\\') {
			if (r->p >= r->end)
				return -EINVAL;
			c = *r->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case '"': case '\\': case '/': break;
			case 'u': {
				unsigned v = 0;
				int i;

				if (r->end - r->p < 4)
					return -EINVAL;
				for (i = 0; i < 4; i++) {
					char h = *r->p++;

					v <<= 4;
					if (h >= '0' && h <= '9')
						v |= h - '0';
					else if (h >= 'a' && h <= 'f')
						v |= h - 'a' + 10;
					else if (h >= 'A' && h <= 'F')
						v |= h - 'A' + 10;
					else
						return -EINVAL;
				}
				c = v > 0 && v < 0x80 ? (char)v : '?';
				break;
			}
			default:
				return -EINVAL;
			}
		}
		if (buf && n + 1 < size)
			buf[n++] = c;
	}
	if (r->p >= r->end)
		return -EINVAL;
	r->p++;
	if (buf && size)
		buf[n] = '\0';
	return 0;
}

static int skip_value(struct reader *r);

/* After a member or element: 1 at a ',' (another follows), 0 at close, -EINVAL else. */
static int next_member(struct reader *r, char close)
{
	skip_ws(r);
	if (r->p >= r->end)
		return -EINVAL;
	if (*r->p == ',') {
		r->p++;
		return 1;
	}
	return *r->p++ == close ? 0 : -EINVAL;
}

static int skip_container(struct reader *r, char open, char close)
{
	int q;

	if (++r->depth > 64)
		return -EINVAL;
	r->p++; /* open */
	skip_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		r->depth--;
		return 0;
	}
	for (;;) {
		skip_ws(r);
		if (open == '{') {
			q = read_string(r, NULL, 0);
			if (q < 0)
				return q;
			skip_ws(r);
			if (r->p >= r->end || *r->p++ != ':')
				return -EINVAL;
		}
		q = skip_value(r);
		if (q < 0)
			return q;
		q = next_member(r, close);
		if (q < 0)
			return q;
		if (q)
			continue;
		r->depth--;
		return 0;
	}
}

/* JSON's literals and numbers: true, false, null, -?digits[.digits][e[+-]digits]. */
static bool literal_valid(const char *s, size_t n)
{
	size_t i = 0;

	if ((n == 4 && !memcmp(s, "true", 4)) || (n == 5 && !memcmp(s, "false", 5)) ||
	    (n == 4 && !memcmp(s, "null", 4)))
		return true;
	if (i < n && s[i] == '-')
		i++;
	if (i == n || s[i] < '0' || s[i] > '9')
		return false;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i < n && s[i] == '.') {
		if (++i == n || s[i] < '0' || s[i] > '9')
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i == n || s[i] < '0' || s[i] > '9')
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == n;
}

/* A scalar into buf; returns 1 for a string, 0 for a literal/number, <0 on error. */
static int read_scalar(struct reader *r, char *buf, size_t size)
{
	const char *start;
	size_t n = 0;

	skip_ws(r);
	if (r->p >= r->end)
		return -EINVAL;
	if (*r->p == '"')
		return read_string(r, buf, size) < 0 ? -EINVAL : 1;
	start = r->p;
	while (r->p < r->end && (*r->p == '-' || *r->p == '+' || *r->p == '.' ||
				 (*r->p >= '0' && *r->p <= '9') || (*r->p >= 'a' && *r->p <= 'z') ||
				 (*r->p >= 'A' && *r->p <= 'Z'))) {
		if (buf && n + 1 < size)
			buf[n] = *r->p;
		n++;
		r->p++;
	}
	if (n == 0 || !literal_valid(start, n))
		return -EINVAL;
	if (buf)
		buf[n < size ? n : size - 1] = '\0';
	return 0;
}

static int skip_value(struct reader *r)
{
	skip_ws(r);
	if (r->p >= r->end)
		return -EINVAL;
	if (*r->p == '{')
		return skip_container(r, '{', '}');
	if (*r->p == '[')
		return skip_container(r, '[', ']');
	return read_scalar(r, NULL, 0) < 0 ? -EINVAL : 0;
}

static int read_object(struct reader *r, struct json_object *o)
{
	memset(o, 0, sizeof(*o));
	if (r->p >= r->end || *r->p != '{')
		return -EINVAL;
	r->p++;
	skip_ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return 0;
	}
	for (;;) {
		struct json_field tmp = { 0 }, *f = o->n < JSON_MAX_FIELDS ? &o->f[o->n] : &tmp;
		int q;

		skip_ws(r);
		if (read_string(r, f->key, sizeof(f->key)) < 0)
			return -EINVAL;
		skip_ws(r);
		if (r->p >= r->end || *r->p++ != ':')
			return -EINVAL;
		skip_ws(r);
		if (r->p < r->end && (*r->p == '{' || *r->p == '[')) {
			if (skip_value(r) < 0)
				return -EINVAL;
		} else {
			q = read_scalar(r, f->value, sizeof(f->value));
			if (q < 0)
				return -EINVAL;
			f->is_string = q == 1;
			f->is_null = !f->is_string && strcmp(f->value, "null") == 0;
			if (f->is_null)
				f->value[0] = '\0';
			if (f == &o->f[o->n])
				o->n++;
		}
		q = next_member(r, '}');
		if (q <= 0)
			return q;
	}
}

int json_foreach_object(const char *text, size_t len, const char *array,
			int (*cb)(const struct json_object *o, void *userdata), void *userdata)
{
	struct reader r = { .p = text, .end = text + len };

	skip_ws(&r);
	if (r.p >= r.end || *r.p++ != '{')
		return -EINVAL;
	for (;;) {
		char key[64];

		skip_ws(&r);
		if (r.p < r.end && *r.p == '}')
			return 0;
		if (read_string(&r, key, sizeof(key)) < 0)
			return -EINVAL;
		skip_ws(&r);
		if (r.p >= r.end || *r.p++ != ':')
			return -EINVAL;
		skip_ws(&r);
		if (strcmp(key, array) == 0 && r.p < r.end && *r.p == '[') {
			r.p++;
			skip_ws(&r);
			if (r.p < r.end && *r.p == ']') {
				r.p++;
			} else {
				for (;;) {
					struct json_object o;
					int q;

					skip_ws(&r);
					if (read_object(&r, &o) < 0)
						return -EINVAL;
					q = cb(&o, userdata);
					if (q)
						return q;
					skip_ws(&r);
					if (r.p >= r.end)
						return -EINVAL;
					if (*r.p == ',') {
						r.p++;
						continue;
					}
					if (*r.p++ != ']')
						return -EINVAL;
					break;
				}
			}
		} else if (skip_value(&r) < 0) {
			return -EINVAL;
		}
		skip_ws(&r);
		if (r.p >= r.end)
			return -EINVAL;
		if (*r.p == ',') {
			r.p++;
			continue;
		}
		return *r.p == '}' ? 0 : -EINVAL;
	}
}

const char *json_get(const struct json_object *o, const char *key)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->f[i].key, key) == 0)
			return o->f[i].is_null ? NULL : o->f[i].value;
	return NULL;
}
