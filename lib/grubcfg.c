/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reader for the shell subset of /etc/default/grub and /etc/default/grub.d/ *.cfg. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dirlist.h"
#include "grubcfg.h"
#include "rootfs.h"

static const char *const var_names[_GRUB_VAR_MAX] = {
	[GRUB_LINUX] = "GRUB_CMDLINE_LINUX",
	[GRUB_LINUX_DEFAULT] = "GRUB_CMDLINE_LINUX_DEFAULT",
};

const char *grub_var_name(enum grub_cmdline_var var)
{
	return var_names[var];
}

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_putn(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *ns;

		while (cap < b->len + n + 1)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_putc(struct sbuf *b, char c)
{
	sb_putn(b, &c, 1);
}

/* The parser's position in one file's text. */
struct cursor {
	const char *p;
	unsigned line;
};

static bool is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Characters that end an unquoted word or make a line more than an assignment. */
static bool is_word_end(char c)
{
	return !c || is_blank(c) || c == '\n' || c == ';';
}

static bool is_operator(char c)
{
	return c == '|' || c == '&' || c == '<' || c == '>' || c == '(' || c == ')';
}

static const char *var_lookup(const struct grub_defaults *g, const char *name, size_t len)
{
	size_t i;

	for (i = g->n_vars; i > 0; i--) {
		const struct grub_var *v = &g->vars[i - 1];

		if (strlen(v->name) == len && memcmp(v->name, name, len) == 0)
			return v->value;
	}
	return NULL;
}

static int var_set(struct grub_defaults *g, const char *name, size_t len, const char *value)
{
	struct grub_var *v;
	size_t i;
	char *nv;

	nv = strdup(value);
	if (!nv)
		return -ENOMEM;
	for (i = 0; i < g->n_vars; i++) {
		v = &g->vars[i];
		if (strlen(v->name) == len && memcmp(v->name, name, len) == 0) {
			free(v->value);
			v->value = nv;
			return 0;
		}
	}
	v = realloc(g->vars, (g->n_vars + 1) * sizeof(*v));
	if (!v) {
		free(nv);
		return -ENOMEM;
	}
	g->vars = v;
	v = &g->vars[g->n_vars];
	v->name = strndup(name, len);
	if (!v->name) {
		free(nv);
		return -ENOMEM;
	}
	v->value = nv;
	g->n_vars++;
	return 0;
}

/* Expand $NAME or ${NAME} at c->p (which points at '$'). Returns false for forms the
 * subset does not evaluate (command substitution, ${X:-y}, arithmetic). */
static bool expand_dollar(const struct grub_defaults *g, struct cursor *c, struct sbuf *out)
{
	const char *p = c->p + 1, *name, *val;
	size_t len;

	if (*p == '(' || *p == '[')
		return false;
	if (*p == '{') {
		name = ++p;
		while (is_name_char(*p))
			p++;
		if (*p != '}' || p == name || !is_name_start(*name))
			return false;
		len = p - name;
		p++;
	} else if (is_name_start(*p)) {
		name = p;
		while (is_name_char(*p))
			p++;
		len = p - name;
	} else {
		/* "$" before anything else is a literal dollar sign. */
		sb_putc(out, '$');
		c->p = p;
		return true;
	}
	val = var_lookup(g, name, len);
	if (val)
		sb_putn(out, val, strlen(val));
	c->p = p;
	return true;
}

/* Parse one shell word at c->p into out with quote removal and expansion. Returns false
 * when the word uses something the subset does not evaluate; c->p is then undefined
 * and the caller skips the rest of the command. */
static bool parse_word(const struct grub_defaults *g, struct cursor *c, struct sbuf *out)
{
	while (!is_word_end(*c->p)) {
		char ch = *c->p;

		if (is_operator(ch) || ch == '`')
			return false;
		if (ch == '\\') {
			c->p++;
			if (*c->p == '\n') {
				c->line++;
				c->p++;
			} else if (*c->p) {
				sb_putc(out, *c->p++);
			}
			continue;
		}
		if (ch == '\'') {
			const char *end = strchr(c->p + 1, '\'');

			if (!end)
				return false;
			for (const char *q = c->p + 1; q < end; q++)
				c->line += *q == '\n';
			sb_putn(out, c->p + 1, end - c->p - 1);
			c->p = end + 1;
			continue;
		}
		if (ch == '"') {
			c->p++;
			for (;;) {
				ch = *c->p;
				if (!ch || ch == '`')
					return false;
				if (ch == '"') {
					c->p++;
					break;
				}
				if (ch == '$') {
					if (!expand_dollar(g, c, out))
						return false;
					continue;
				}
				if (ch == '\\' && c->p[1] == '\n') {
					c->line++;
					c->p += 2;
					continue;
				}
				if (ch == '\\' && c->p[1] && strchr("$`\"\\", c->p[1])) {
					sb_putc(out, c->p[1]);
					c->p += 2;
					continue;
				}
				c->line += ch == '\n';
				sb_putc(out, ch);
				c->p++;
			}
			continue;
		}
		if (ch == '$') {
			if (!expand_dollar(g, c, out))
				return false;
			continue;
		}
		sb_putc(out, ch);
		c->p++;
	}
	return true;
}

/* Skip to the end of the current command, honouring quotes and continuation lines so a
 * quoted newline does not start a new command. */
static void skip_command(struct cursor *c)
{
	char quote = 0;

	for (; *c->p; c->p++) {
		char ch = *c->p;

		if (ch == '\n') {
			c->line++;
			if (!quote) {
				c->p++;
				return;
			}
			continue;
		}
		if (quote) {
			if (ch == quote)
				quote = 0;
			else if (quote == '"' && ch == '\\' && c->p[1])
				c->line += *++c->p == '\n';
			continue;
		}
		if (ch == '\'' || ch == '"') {
			quote = ch;
		} else if (ch == '\\' && c->p[1]) {
			c->line += *++c->p == '\n';
		} else if (ch == '#' && (c->p[-1] == ' ' || c->p[-1] == '\t')) {
			while (c->p[1] && c->p[1] != '\n')
				c->p++;
		}
	}
}

static int add_file(struct grub_defaults *g, const char *file, const char **ret)
{
	char **files, *copy;

	copy = strdup(file);
	if (!copy)
		return -ENOMEM;
	files = realloc(g->files, (g->n_files + 1) * sizeof(*files));
	if (!files) {
		free(copy);
		return -ENOMEM;
	}
	g->files = files;
	g->files[g->n_files++] = copy;
	*ret = copy;
	return 0;
}

static int record(struct grub_defaults *g, const char *name, size_t len, const char *value,
		  const char *file, unsigned line)
{
	struct grub_assignment *a;
	int var, r;

	r = var_set(g, name, len, value);
	if (r < 0)
		return r;
	for (var = 0; var < _GRUB_VAR_MAX; var++)
		if (strlen(var_names[var]) == len && memcmp(var_names[var], name, len) == 0)
			break;
	if (var == _GRUB_VAR_MAX)
		return 0;
	a = realloc(g->assignments, (g->n_assignments + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	g->assignments = a;
	a = &g->assignments[g->n_assignments];
	a->value = strdup(value);
	if (!a->value)
		return -ENOMEM;
	a->var = var;
	a->file = file;
	a->line = line;
	g->n_assignments++;
	return 0;
}

/* A simple command made only of assignments ("A=1 B=2", "export A=1") is evaluated;
 * anything else is a command the subset skips. */
static int parse_command(struct grub_defaults *g, struct cursor *c, const char *file)
{
	struct {
		const char *name;
		size_t len;
		char *value;
	} pending[8];
	const char *start = c->p;
	size_t n = 0, i;
	unsigned line = c->line;
	bool evaluate = true;
	int r = 0;

	if (strncmp(c->p, "export", 6) == 0 && is_blank(c->p[6])) {
		c->p += 6;
		while (is_blank(*c->p))
			c->p++;
	}
	for (;;) {
		struct sbuf value = { 0 };
		const char *name = c->p;

		while (is_name_char(*c->p))
			c->p++;
		if (!is_name_start(*name) || *c->p != '=' || n == sizeof(pending) / sizeof(*pending)) {
			c->p = name;
			evaluate = false;
			break;
		}
		pending[n].name = name;
		pending[n].len = c->p - name;
		c->p++;
		sb_putn(&value, "", 0);
		if (!parse_word(g, c, &value) || value.oom) {
			free(value.s);
			if (value.oom)
				r = -ENOMEM;
			evaluate = false;
			break;
		}
		pending[n++].value = value.s;
		while (is_blank(*c->p))
			c->p++;
		if (!*c->p || *c->p == '\n' || *c->p == ';' || *c->p == '#')
			break;
	}
	/* Every word was expanded before this command's assignments are recorded, so
	 * "A=x B=$A" on one line sees the old A; GRUB defaults files do not chain that way. */
	for (i = 0; i < n; i++) {
		if (evaluate && r == 0)
			r = record(g, pending[i].name, pending[i].len, pending[i].value, file, line);
		free(pending[i].value);
	}
	if (!evaluate) {
		/* Rescan from the start: the word that stopped evaluation may have ended
		 * inside a quote. */
		c->p = start;
		c->line = line;
		skip_command(c);
	} else if (*c->p == '#') {
		skip_command(c);
	} else if (*c->p == ';') {
		c->p++;
	} else if (*c->p == '\n') {
		c->line++;
		c->p++;
	}
	return r;
}

int grub_defaults_parse_text(struct grub_defaults *g, const char *file, const char *text)
{
	struct cursor c = { .p = text, .line = 1 };
	const char *name;
	int r;

	r = add_file(g, file, &name);
	if (r < 0)
		return r;
	while (*c.p) {
		if (is_blank(*c.p) || *c.p == ';' || *c.p == '\r') {
			c.p++;
			continue;
		}
		if (*c.p == '\n') {
			c.line++;
			c.p++;
			continue;
		}
		if (*c.p == '#') {
			while (*c.p && *c.p != '\n')
				c.p++;
			continue;
		}
		r = parse_command(g, &c, name);
		if (r < 0)
			return r;
	}
	return 0;
}

static int load_file(struct grub_defaults *g, int rootfd, const char *path)
{
	char *text;
	int r;

	r = root_read_alloc(rootfd, path, &text, NULL);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	r = grub_defaults_parse_text(g, path, text);
	free(text);
	return r < 0 ? r : 1;
}

int grub_defaults_load(struct grub_defaults *g, int rootfd)
{
	char **names;
	int r, n, i, count = 0;

	r = load_file(g, rootfd, GRUB_DEFAULTS_FILE);
	if (r == -ENOMEM)
		return r;
	count += r > 0;

	/* grub-mkconfig sources /etc/default/grub.d/ *.cfg in glob order after the main file;
	 * a directory that cannot be read is skipped as an unreadable main file is. */
	n = dir_list_at(rootfd, GRUB_DEFAULTS_DIR, ".cfg", DIR_LIST_REGULAR, &names);
	if (n == -ENOMEM)
		return n;
	for (i = 0; i < n; i++) {
		char path[512];

		(void)snprintf(path, sizeof(path), "%s/%s", GRUB_DEFAULTS_DIR, names[i]);
		r = load_file(g, rootfd, path);
		if (r == -ENOMEM)
			break;
		count += r > 0;
	}
	if (n >= 0)
		dir_list_free(names);
	return r == -ENOMEM ? r : count;
}

const struct grub_assignment *grub_defaults_final(const struct grub_defaults *g,
						  enum grub_cmdline_var var)
{
	size_t i;

	for (i = g->n_assignments; i > 0; i--)
		if (g->assignments[i - 1].var == var)
			return &g->assignments[i - 1];
	return NULL;
}

char *grub_defaults_cmdline(const struct grub_defaults *g)
{
	const struct grub_assignment *l = grub_defaults_final(g, GRUB_LINUX);
	const struct grub_assignment *d = grub_defaults_final(g, GRUB_LINUX_DEFAULT);
	struct sbuf b = { 0 };

	sb_putn(&b, "", 0);
	if (l)
		sb_putn(&b, l->value, strlen(l->value));
	if (l && d && *l->value && *d->value)
		sb_putc(&b, ' ');
	if (d)
		sb_putn(&b, d->value, strlen(d->value));
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

void grub_defaults_free(struct grub_defaults *g)
{
	size_t i;

	for (i = 0; i < g->n_assignments; i++)
		free(g->assignments[i].value);
	free(g->assignments);
	for (i = 0; i < g->n_vars; i++) {
		free(g->vars[i].name);
		free(g->vars[i].value);
	}
	free(g->vars);
	for (i = 0; i < g->n_files; i++)
		free(g->files[i]);
	free(g->files);
	*g = (struct grub_defaults){ 0 };
}
