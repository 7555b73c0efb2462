/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Overrides that make IOMMU isolation weaker than the hardware's: pcie_acs_override=,
 * allow_unsafe_interrupts, enable_unsafe_noiommu_mode, disable_denylist. */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "isolation.h"
#include "rootfs.h"

/* The module parameters, each as MODULE.PARAM on the command line, "options MODULE PARAM"
 * in modprobe.d and /sys/module/MODULE/parameters/PARAM. */
static const struct {
	enum iso_kind kind;
	const char *module, *param;
} params[] = {
	{ ISO_UNSAFE_INTERRUPTS, "vfio_iommu_type1", "allow_unsafe_interrupts" },
	{ ISO_UNSAFE_INTERRUPTS, "iommufd", "allow_unsafe_interrupts" },
	{ ISO_NOIOMMU, "vfio", "enable_unsafe_noiommu_mode" },
	{ ISO_DENYLIST_OFF, "vfio_pci", "disable_denylist" },
};

#define N_PARAMS (sizeof(params) / sizeof(params[0]))

const char *isolation_kind_name(enum iso_kind k)
{
	static const char *const names[ISO_KINDS] = {
		[ISO_ACS_OVERRIDE] = "acs-override",
		[ISO_UNSAFE_INTERRUPTS] = "unsafe-interrupts",
		[ISO_NOIOMMU] = "unsafe-noiommu",
		[ISO_DENYLIST_OFF] = "denylist-disabled",
	};

	return k < ISO_KINDS ? names[k] : "unknown";
}

/* A bool module parameter as the kernel reads it (kstrtobool; no value means true). */
static bool param_true(const char *value, size_t len)
{
	if (!value)
		return true;
	if (len == 0)
		return false;
	if (value[0] == 'y' || value[0] == 'Y' || value[0] == '1')
		return true;
	return len >= 2 && (value[0] == 'o' || value[0] == 'O') && (value[1] == 'n' || value[1] == 'N');
}

static void __attribute__((format(printf, 4, 5)))
set_on(struct isolation *iso, enum iso_kind k, const char *where, const char *fmt, ...)
{
	struct iso_source *s = &iso->kind[k];
	va_list ap;

	if (s->on)
		return;
	s->on = true;
	snprintf(s->where, sizeof(s->where), "%s", where);
	va_start(ap, fmt);
	vsnprintf(s->setting, sizeof(s->setting), fmt, ap);
	va_end(ap);
}

/* MODULE.PARAM, '-' and '_' alike. */
static bool key_is_param(const char *key, size_t key_len, size_t i)
{
	char want[96];

	snprintf(want, sizeof(want), "%s.%s", params[i].module, params[i].param);
	return cmdline_key_eq(key, key_len, want);
}

/* The last occurrence of a parameter wins, as the kernel parses them in order: slot 0 is
 * pcie_acs_override, slot 1 + i is params[i]. */
struct cmdline_scan {
	bool on[1 + N_PARAMS];
	char setting[1 + N_PARAMS][96];
};

static void remember(struct cmdline_scan *cs, size_t slot, bool on, const char *key,
		     size_t key_len, const char *value, size_t value_len)
{
	cs->on[slot] = on;
	if (value)
		snprintf(cs->setting[slot], sizeof(cs->setting[slot]), "%.*s=%.*s", (int)key_len,
			 key, (int)value_len, value);
	else
		snprintf(cs->setting[slot], sizeof(cs->setting[slot]), "%.*s", (int)key_len, key);
}

static int cmdline_cb(const char *key, size_t key_len, const char *value, size_t value_len,
		      void *userdata)
{
	struct cmdline_scan *cs = userdata;
	size_t i;

	/* Any value is an override (downstream, multifunction, id:VVVV:DDDD). */
	if (cmdline_key_eq(key, key_len, "pcie_acs_override"))
		remember(cs, 0, value && value_len, key, key_len, value, value_len);
	for (i = 0; i < N_PARAMS; i++)
		if (key_is_param(key, key_len, i))
			remember(cs, 1 + i, param_true(value, value_len), key, key_len, value,
				 value_len);
	return 0;
}

static void set_from_cmdline(struct isolation *iso, const struct cmdline_scan *cs)
{
	size_t i;

	for (i = 0; i < 1 + N_PARAMS; i++) {
		struct iso_source *s = &iso->kind[i ? params[i - 1].kind : ISO_ACS_OVERRIDE];

		if (!cs->on[i] || s->on)
			continue;
		s->on = true;
		snprintf(s->where, sizeof(s->where), "/proc/cmdline");
		snprintf(s->setting, sizeof(s->setting), "%s", cs->setting[i]);
	}
}

static bool module_eq(const char *a, size_t len, const char *want)
{
	return cmdline_key_eq(a, len, want);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* "options MODULE PARAM[=VALUE]..." lines of one modprobe.d file. */
static void scan_modprobe_text(struct isolation *iso, const char *shown, const char *text)
{
	const char *line = text;
	unsigned lineno = 0;

	while (*line) {
		const char *end = strchr(line, '\n'), *p = line, *mod;
		size_t mod_len;

		if (!end)
			end = line + strlen(line);
		lineno++;
		while (p < end && is_blank(*p))
			p++;
		if (end - p > 8 && strncmp(p, "options", 7) == 0 && is_blank(p[7])) {
			p += 8;
			while (p < end && is_blank(*p))
				p++;
			mod = p;
			while (p < end && !is_blank(*p))
				p++;
			mod_len = (size_t)(p - mod);
			for (;;) {
				const char *tok, *eq;
				size_t i, tok_len;

				while (p < end && is_blank(*p))
					p++;
				if (p >= end || *p == '#')
					break;
				tok = p;
				while (p < end && !is_blank(*p))
					p++;
				tok_len = (size_t)(p - tok);
				eq = memchr(tok, '=', tok_len);
				for (i = 0; i < N_PARAMS; i++) {
					size_t klen = eq ? (size_t)(eq - tok) : tok_len;
					char where[192];

					if (!module_eq(mod, mod_len, params[i].module) ||
					    !cmdline_key_eq(tok, klen, params[i].param))
						continue;
					if (!param_true(eq ? eq + 1 : NULL, eq ? tok_len - klen - 1 : 0))
						continue;
					snprintf(where, sizeof(where), "%.170s:%u", shown, lineno);
					set_on(iso, params[i].kind, where, "options %.*s %.*s", (int)mod_len,
					       mod, (int)tok_len, tok);
				}
			}
		}
		line = *end ? end + 1 : end;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* modprobe.d in kmod's order: a file in an earlier directory hides one of the same name. */
static void scan_modprobe(int rootfd, struct isolation *iso)
{
	static const char *const dirs[] = { "/etc/modprobe.d", "/run/modprobe.d",
					    "/usr/lib/modprobe.d", "/lib/modprobe.d" };
	size_t d, i, k;

	for (d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		char *names[256];
		size_t n = 0;
		struct dirent *de;
		DIR *dir;
		int dfd;

		dfd = openat(rootfd, root_rel(dirs[d]), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			continue;
		dir = fdopendir(dfd);
		if (!dir) {
			close(dfd);
			continue;
		}
		while ((de = readdir(dir)) && n < sizeof(names) / sizeof(names[0])) {
			size_t l = strlen(de->d_name);

			if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".conf") != 0)
				continue;
			names[n] = strdup(de->d_name);
			if (names[n])
				n++;
		}
		closedir(dir);
		if (n)
			qsort(names, n, sizeof(*names), cmp_str);
		for (i = 0; i < n; i++) {
			char path[512], *text;
			bool hidden = false;

			for (k = 0; k < d && !hidden; k++) {
				snprintf(path, sizeof(path), "%s/%s", dirs[k], names[i]);
				hidden = root_exists(rootfd, path);
			}
			snprintf(path, sizeof(path), "%s/%s", dirs[d], names[i]);
			/* A /usr/lib/modprobe.d next to a merged /lib is the same file: first wins. */
			if (!hidden && root_read_alloc(rootfd, path, &text, NULL) == 0) {
				scan_modprobe_text(iso, path, text);
				free(text);
			}
			free(names[i]);
		}
	}
}

static void scan_live(int rootfd, struct isolation *iso)
{
	size_t i;

	for (i = 0; i < N_PARAMS; i++) {
		char path[128], buf[16];

		snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", params[i].module,
			 params[i].param);
		if (root_read(rootfd, path, buf, sizeof(buf)) > 0 && param_true(buf, strlen(buf)))
			set_on(iso, params[i].kind, path, "%s parameter %s is %s", params[i].module,
			       params[i].param, buf);
	}
}

void isolation_gather(int rootfd, const char *cmdline, struct isolation *ret)
{
	struct cmdline_scan cs;
	char *own = NULL;
	size_t n = 0;
	int k;

	memset(&cs, 0, sizeof(cs));
	memset(ret, 0, sizeof(*ret));
	if (!cmdline && root_read_alloc(rootfd, "/proc/cmdline", &own, NULL) == 0)
		cmdline = own;
	if (cmdline)
		(void)cmdline_foreach(cmdline, cmdline_cb, &cs);
	free(own);
	/* Each kind names its first source: the command line, then the live value of the
	 * loaded module, then modprobe.d (what the module gets when it is loaded). */
	set_from_cmdline(ret, &cs);
	scan_live(rootfd, ret);
	scan_modprobe(rootfd, ret);
	for (k = 0; k < ISO_KINDS; k++) {
		if (!ret->kind[k].on || (k != ISO_ACS_OVERRIDE && k != ISO_UNSAFE_INTERRUPTS))
			continue;
		n += (size_t)snprintf(ret->group_kinds + n, sizeof(ret->group_kinds) - n, "%s%s",
				      n ? "," : "", isolation_kind_name((enum iso_kind)k));
	}
}
