/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The gpu-vfio.conf(5) parser: one file's text into rules, every error with its file and line. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-parse.h"
#include "policy.h"

void policy_error(struct policy *p, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[512], *s, **n;
	va_list ap;
	int len;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		len = asprintf(&s, "%s:%u: %s", file, line, msg);
	else
		len = asprintf(&s, "%s: %s", file, msg);
	if (len < 0)
		return;
	n = realloc(p->errors, (p->n_errors + 1) * sizeof(*n));
	if (!n) {
		free(s);
		return;
	}
	p->errors = n;
	p->errors[p->n_errors++] = s;
}

static const char *const key_names[_KEY_MAX] = {
	[KEY_VENDOR] = "vendor",	[KEY_DEVICE] = "device",     [KEY_SUBVENDOR] = "subvendor",
	[KEY_SUBDEVICE] = "subdevice", [KEY_CLASS] = "class",	     [KEY_ADDRESS] = "address",
	[KEY_BOOT_VGA] = "boot-vga",	[KEY_NUMA_NODE] = "numa-node", [KEY_NAME] = "name",
	[KEY_NOVA_RESOURCE_CLASS] = "nova-resource-class", [KEY_NOVA_TRAITS] = "nova-traits",
	[KEY_NOVA_NUMA_POLICY] = "nova-numa-policy", [KEY_NOVA_LIVE_MIGRATABLE] = "nova-live-migratable",
	[KEY_NOVA_ONE_TIME_USE] = "nova-one-time-use",
};

#define NOVA_KEYS                                                                     \
	((1u << KEY_NOVA_RESOURCE_CLASS) | (1u << KEY_NOVA_TRAITS) | (1u << KEY_NOVA_NUMA_POLICY) | \
	 (1u << KEY_NOVA_LIVE_MIGRATABLE) | (1u << KEY_NOVA_ONE_TIME_USE))
#define MATCH_KEYS (~(1u << KEY_NAME) & ~NOVA_KEYS & ((1u << _KEY_MAX) - 1))
#define WEAK_KEYS ((1u << KEY_BOOT_VGA) | (1u << KEY_NUMA_NODE))

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse exactly-digits hex (an optional 0x not counted). Returns the number of digits, or -1. */
static int parse_hex(const char *s, size_t len, uint32_t *ret)
{
	uint32_t v = 0;
	size_t i;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (len == 0 || len > 8)
		return -1;
	for (i = 0; i < len; i++) {
		int h = hexval(s[i]);

		if (h < 0)
			return -1;
		v = v << 4 | (uint32_t)h;
	}
	*ret = v;
	return (int)len;
}

/* One field of an address: min_w..max_w hex digits, or a pattern of hex digits, '?' and '*'
 * ('*' patterns at most twice as long as the field). out must hold 2 * max_w + 1 bytes. */
static bool parse_field(const char *s, size_t len, size_t min_w, size_t max_w, uint32_t max,
			char *out, bool *wild)
{
	bool star = memchr(s, '*', len) != NULL, question = memchr(s, '?', len) != NULL;
	uint32_t v;
	size_t i;

	if (len == 0 || len > (star ? 2 * max_w : max_w) || (!star && len < min_w))
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c != '*' && c != '?' && hexval(c) < 0)
			return false;
		out[i] = c >= 'A' && c <= 'F' ? c + ('a' - 'A') : c;
	}
	out[i] = '\0';
	if (star || question) {
		*wild = true;
		return true;
	}
	if (parse_hex(s, len, &v) < 0 || v > max)
		return false;
	/* A domain is printed as the kernel does: at least 4 digits, no other leading zeros. */
	if (max_w > min_w)
		snprintf(out, 2 * max_w + 1, "%04x", v);
	return true;
}

/* "[DDDD:]BB:SS.F" with * and ? inside fields. */
static bool parse_address(const char *s, size_t len, struct addr_item *a)
{
	const char *c1, *c2, *dot, *end = s + len;
	const char *dom = "0000", *bus, *slot, *fn;
	size_t dom_len = 4;
	bool wild = false;

	memset(a, 0, sizeof(*a));
	c1 = memchr(s, ':', len);
	if (!c1)
		return false;
	c2 = memchr(c1 + 1, ':', end - c1 - 1);
	if (c2) {
		dom = s;
		dom_len = c1 - s;
		bus = c1 + 1;
	} else {
		c2 = c1;
		bus = s;
	}
	if (memchr(c2 + 1, ':', end - c2 - 1))
		return false;
	slot = c2 + 1;
	dot = memchr(slot, '.', end - slot);
	if (!dot)
		return false;
	fn = dot + 1;
	if (memchr(fn, '.', end - fn))
		return false;
	if (!parse_field(dom, dom_len, 4, 8, 0xffffffffu, a->domain, &wild) ||
	    !parse_field(bus, c2 - bus, 2, 2, 0xff, a->bus, &wild) ||
	    !parse_field(slot, dot - slot, 2, 2, 0x1f, a->slot, &wild) ||
	    !parse_field(fn, end - fn, 1, 1, 7, a->func, &wild))
		return false;
	a->wildcard = wild;
	snprintf(a->text, sizeof(a->text), "%s:%s:%s.%s", a->domain, a->bus, a->slot, a->func);
	return true;
}

bool pci_address_normalise(const char *in, char *out, size_t size)
{
	struct addr_item a;

	if (!parse_address(in, strlen(in), &a) || a.wildcard || strlen(a.text) >= size)
		return false;
	strcpy(out, a.text);
	return true;
}

static bool push(void **arr, size_t *n, size_t elem, const void *item)
{
	void *na = realloc(*arr, (*n + 1) * elem);

	if (!na)
		return false;
	memcpy((char *)na + *n * elem, item, elem);
	*arr = na;
	(*n)++;
	return true;
}

void rule_free(struct rule *r)
{
	free(r->vendor);
	free(r->device);
	free(r->subvendor);
	free(r->subdevice);
	free(r->class);
	free(r->address);
}

static int key_lookup(const char *s, size_t len)
{
	int k;

	for (k = 0; k < _KEY_MAX; k++)
		if (strlen(key_names[k]) == len && memcmp(key_names[k], s, len) == 0)
			return k;
	return -1;
}

/* A placement name as os-resource-classes and os-traits write them: A-Z, 0-9, '_'. */
static bool placement_name(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* The nova-* keys of a claim rule: values copied for `gpu-vfio nova`, checked here so that
 * an error names the file and line. */
static bool parse_nova_key(struct policy *p, struct rule *r, const char *file, unsigned line,
			   int key, const char *val, size_t len)
{
	struct rule_nova *n = &r->nova;
	const char *item, *end = val + len;

	if (r->action != RULE_CLAIM) {
		policy_error(p, file, line, "'%s' is only allowed on a claim rule", key_names[key]);
		return false;
	}
	switch (key) {
	case KEY_NOVA_RESOURCE_CLASS:
		if (len >= sizeof(n->resource_class) || !placement_name(val, len) ||
		    (len > 7 && memcmp(val, "CUSTOM_", 7) != 0) || len <= 7) {
			policy_error(p, file, line,
				  "nova-resource-class must be CUSTOM_ and 1-%zu characters of A-Z, 0-9, '_', got '%.*s'",
				  sizeof(n->resource_class) - 8, (int)len, val);
			return false;
		}
		memcpy(n->resource_class, val, len);
		return true;
	case KEY_NOVA_TRAITS:
		if (len >= sizeof(n->traits)) {
			policy_error(p, file, line, "nova-traits is longer than %zu characters",
				  sizeof(n->traits) - 1);
			return false;
		}
		for (item = val; item <= end;) {
			const char *comma = memchr(item, ',', end - item), *iend = comma ? comma : end;

			if (!placement_name(item, iend - item)) {
				policy_error(p, file, line,
					  "invalid trait '%.*s' in nova-traits (A-Z, 0-9, '_'; a list with ',')",
					  (int)(iend - item), item);
				return false;
			}
			item = iend + 1;
		}
		memcpy(n->traits, val, len);
		return true;
	case KEY_NOVA_NUMA_POLICY:
		if ((len == 8 && memcmp(val, "required", 8) == 0) ||
		    (len == 6 && memcmp(val, "legacy", 6) == 0) ||
		    (len == 9 && memcmp(val, "preferred", 9) == 0) ||
		    (len == 6 && memcmp(val, "socket", 6) == 0)) {
			memcpy(n->numa_policy, val, len);
			return true;
		}
		policy_error(p, file, line,
			  "nova-numa-policy must be required, legacy, preferred or socket, got '%.*s'",
			  (int)len, val);
		return false;
	default: { /* KEY_NOVA_LIVE_MIGRATABLE, KEY_NOVA_ONE_TIME_USE */
		char *dst = key == KEY_NOVA_LIVE_MIGRATABLE ? n->live_migratable : n->one_time_use;

		if ((len == 3 && memcmp(val, "yes", 3) == 0) || (len == 2 && memcmp(val, "no", 2) == 0)) {
			memcpy(dst, val, len);
			return true;
		}
		policy_error(p, file, line, "%s must be 'yes' or 'no', got '%.*s'", key_names[key],
			  (int)len, val);
		return false;
	}
	}
}

/* Parse "KEY=VALUE" into r. Returns false (after recording an error) on a bad token. */
/* The name part of a Kubernetes resource name starts and ends with one of these. */
static bool is_name_end(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool parse_key(struct policy *p, struct rule *r, const char *file, unsigned line,
		      const char *tok, size_t len)
{
	const char *eq = memchr(tok, '=', len), *val, *item, *end = tok + len;
	int key;
	bool ok = true;

	if (!eq) {
		policy_error(p, file, line, "expected KEY=VALUE, got '%.*s'", (int)len, tok);
		return false;
	}
	key = key_lookup(tok, eq - tok);
	if (key < 0) {
		policy_error(p, file, line, "unknown key '%.*s'", (int)(eq - tok), tok);
		return false;
	}
	if (r->keys & (1u << key)) {
		policy_error(p, file, line, "key '%s' given twice in one rule", key_names[key]);
		return false;
	}
	r->keys |= 1u << key;
	val = eq + 1;
	if (val == end) {
		policy_error(p, file, line, "empty value for '%s'", key_names[key]);
		return false;
	}

	if (NOVA_KEYS & (1u << key))
		return parse_nova_key(p, r, file, line, key, val, end - val);
	switch (key) {
	case KEY_BOOT_VGA:
		if (end - val == 3 && memcmp(val, "yes", 3) == 0)
			r->boot_vga = true;
		else if (end - val == 2 && memcmp(val, "no", 2) == 0)
			r->boot_vga = false;
		else {
			policy_error(p, file, line, "boot-vga must be 'yes' or 'no', got '%.*s'",
				  (int)(end - val), val);
			return false;
		}
		return true;
	case KEY_NUMA_NODE: {
		char buf[16], *e;
		long n;

		if ((size_t)(end - val) >= sizeof(buf))
			goto bad_numa;
		memcpy(buf, val, end - val);
		buf[end - val] = '\0';
		errno = 0;
		n = strtol(buf, &e, 10);
		if (errno || *e || n < -1 || n > 65535 || !(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')))
			goto bad_numa;
		r->numa_node = (int)n;
		return true;
bad_numa:
		policy_error(p, file, line, "numa-node must be a node number or -1, got '%.*s'",
			  (int)(end - val), val);
		return false;
	}
	case KEY_NAME: {
		const char *c;

		if (r->action != RULE_CLAIM) {
			policy_error(p, file, line, "'name' is only allowed on a claim rule");
			return false;
		}
		if (end - val > 32 || !is_name_end(val[0]) || !is_name_end(end[-1]))
			goto bad_name;
		for (c = val; c < end; c++)
			if (!(is_name_end(*c) || *c == '_' || *c == '-'))
				goto bad_name;
		memcpy(r->name, val, end - val);
		r->name[end - val] = '\0';
		return true;
bad_name:
		policy_error(p, file, line, "invalid name '%.*s' (1-32 characters of a-z, 0-9, '_', '-', starting and ending with a letter or digit)",
			  (int)(end - val), val);
		return false;
	}
	default:
		break;
	}

	/* Comma lists: vendor, device, subvendor, subdevice, class, address. */
	for (item = val; item <= end; ) {
		const char *comma = memchr(item, ',', end - item);
		const char *iend = comma ? comma : end;
		size_t ilen = iend - item;
		uint32_t v;
		int digits;

		if (ilen == 0) {
			policy_error(p, file, line, "empty item in '%s'", key_names[key]);
			ok = false;
			goto next;
		}
		switch (key) {
		case KEY_VENDOR:
		case KEY_DEVICE:
		case KEY_SUBVENDOR:
		case KEY_SUBDEVICE: {
			uint16_t v16;
			uint16_t **arr = key == KEY_VENDOR ? &r->vendor : key == KEY_DEVICE ? &r->device :
					 key == KEY_SUBVENDOR ? &r->subvendor : &r->subdevice;
			size_t *n = key == KEY_VENDOR ? &r->n_vendor : key == KEY_DEVICE ? &r->n_device :
				    key == KEY_SUBVENDOR ? &r->n_subvendor : &r->n_subdevice;

			if (parse_hex(item, ilen, &v) != 4) {
				policy_error(p, file, line, "invalid %s '%.*s' (expected 4 hex digits)",
					  key_names[key], (int)ilen, item);
				ok = false;
				break;
			}
			v16 = (uint16_t)v;
			if (!push((void **)arr, n, sizeof(v16), &v16))
				ok = false;
			break;
		}
		case KEY_CLASS: {
			struct class_item c;

			digits = parse_hex(item, ilen, &v);
			if (digits != 2 && digits != 4 && digits != 6) {
				policy_error(p, file, line,
					  "invalid class '%.*s' (expected 2, 4 or 6 hex digits)",
					  (int)ilen, item);
				ok = false;
				break;
			}
			c.value = v;
			c.digits = (unsigned)digits;
			if (!push((void **)&r->class, &r->n_class, sizeof(c), &c))
				ok = false;
			break;
		}
		case KEY_ADDRESS: {
			struct addr_item a;

			if (!parse_address(item, ilen, &a)) {
				policy_error(p, file, line,
					  "invalid address '%.*s' (expected [DDDD:]BB:DD.F, '*' and '?' within a field)",
					  (int)ilen, item);
				ok = false;
				break;
			}
			if (!push((void **)&r->address, &r->n_address, sizeof(a), &a))
				ok = false;
			break;
		}
		}
next:
		if (!comma)
			break;
		item = comma + 1;
	}
	return ok;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void parse_line(struct policy *p, const char *file, unsigned line, const char *s,
		       size_t len)
{
	struct rule r = { .file = file, .line = line, .numa_node = -1 };
	const char *end = s + len, *tok;
	bool ok = true, first = true;

	for (tok = s; tok < end;) {
		const char *t_end;

		while (tok < end && is_blank(*tok))
			tok++;
		if (tok == end || *tok == '#')
			break;
		for (t_end = tok; t_end < end && !is_blank(*t_end); t_end++)
			;
		if (first) {
			if (t_end - tok == 5 && memcmp(tok, "claim", 5) == 0)
				r.action = RULE_CLAIM;
			else if (t_end - tok == 4 && memcmp(tok, "keep", 4) == 0)
				r.action = RULE_KEEP;
			else {
				policy_error(p, file, line, "unknown action '%.*s' (expected 'claim' or 'keep')",
					  (int)(t_end - tok), tok);
				return;
			}
			first = false;
		} else if (!parse_key(p, &r, file, line, tok, t_end - tok)) {
			ok = false;
		}
		tok = t_end;
	}
	if (first)
		return; /* blank or comment */
	if (ok && !(r.keys & MATCH_KEYS)) {
		policy_error(p, file, line, "rule has no match key");
		ok = false;
	} else if (ok && r.action == RULE_CLAIM && !(r.keys & MATCH_KEYS & ~WEAK_KEYS)) {
		policy_error(p, file, line,
			  "a claim rule needs a match key besides boot-vga and numa-node");
		ok = false;
	}
	if (!ok || !push((void **)&p->rules, &p->n_rules, sizeof(r), &r))
		rule_free(&r);
}

void policy_parse_text(struct policy *p, const char *file, const char *text, size_t len)
{
	const char *s = text, *end = text + len;
	unsigned line = 0;

	while (s < end) {
		const char *nl = memchr(s, '\n', end - s);
		const char *e = nl ? nl : end;

		line++;
		if (memchr(s, '\0', e - s)) {
			policy_error(p, file, line, "contains a NUL byte");
		} else {
			size_t l = e - s;

			if (l > 0 && s[l - 1] == '\r')
				l--;
			parse_line(p, file, line, s, l);
		}
		if (!nl)
			break;
		s = nl + 1;
	}
}
