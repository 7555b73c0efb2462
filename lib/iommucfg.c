/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IOMMU configuration facts (cmdline, firmware, sysfs, boot loader) and their analysis. */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "iommucfg.h"
#include "rootfs.h"

/* ---- kernel command line semantics ---- */

static void add_bogus(struct iommu_switches *s, const char *key, const char *item, size_t len)
{
	size_t i;
	char tok[64];

	(void)snprintf(tok, sizeof(tok), "%s=%.*s", key, (int)len, item);
	for (i = 0; i < s->n_bogus; i++)
		if (strcmp(s->bogus[i], tok) == 0)
			return;
	if (s->n_bogus < IOMMU_MAX_BOGUS)
		strcpy(s->bogus[s->n_bogus++], tok);
}

static bool item_is(const char *item, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(item, word, len) == 0;
}

/* The kernel compares option prefixes (strncmp(p, "off", 3)), so "offx" is off too. */
static bool item_prefix(const char *item, size_t len, const char *word)
{
	size_t wl = strlen(word);

	return len >= wl && memcmp(item, word, wl) == 0;
}

/* intel_iommu_setup() in drivers/iommu/intel/iommu.c */
static void parse_intel_item(struct iommu_switches *s, const char *item, size_t len)
{
	static const char *const known[] = { "igfx_off", "forcedac", "strict", "sp_off",
					     "sm_on", "sm_off", "tboot_noforce" };
	size_t i;

	if (item_prefix(item, len, "on")) {
		s->intel = SWITCH_ON;
		return;
	}
	if (item_prefix(item, len, "off")) {
		s->intel = SWITCH_OFF;
		return;
	}
	for (i = 0; i < sizeof(known) / sizeof(*known); i++)
		if (item_prefix(item, len, known[i]))
			return;
	add_bogus(s, "intel_iommu", item, len);
}

/* parse_amd_iommu_options() in drivers/iommu/amd/init.c: there is no "on". */
static void parse_amd_item(struct iommu_switches *s, const char *item, size_t len)
{
	static const char *const known[] = { "fullflush", "force_enable", "force_isolation",
					     "pgtbl_v1", "pgtbl_v2", "irtcachedis",
					     "nohugepages", "v2_pgsizes_only" };
	size_t i;

	if (item_prefix(item, len, "off")) {
		s->amd_off = true;
		return;
	}
	for (i = 0; i < sizeof(known) / sizeof(*known); i++)
		if (item_prefix(item, len, known[i]))
			return;
	add_bogus(s, "amd_iommu", item, len);
}

/* iommu_setup() in arch/x86/kernel/pci-dma.c; only the items that matter here. */
static void parse_iommu_item(struct iommu_switches *s, const char *item, size_t len)
{
	if (item_prefix(item, len, "off")) {
		s->iommu_off = true;
	} else if (item_prefix(item, len, "pt")) {
		s->passthrough = SWITCH_ON;
		(void)snprintf(s->passthrough_token, sizeof(s->passthrough_token), "iommu=%.*s",
			       (int)len, item);
	} else if (item_prefix(item, len, "nopt")) {
		s->passthrough = SWITCH_OFF;
		(void)snprintf(s->passthrough_token, sizeof(s->passthrough_token), "iommu=%.*s",
			       (int)len, item);
	} else if (item_is(item, len, "on") || item_is(item, len, "1") ||
		   item_is(item, len, "yes") || item_is(item, len, "true")) {
		add_bogus(s, "iommu", item, len);
	}
}

/* kstrtobool(): 1/y/Y/on true, 0/n/N/off false. */
static int parse_bool(const char *v, size_t len)
{
	if (len == 0)
		return -1;
	if (v[0] == '1' || v[0] == 'y' || v[0] == 'Y')
		return 1;
	if (v[0] == '0' || v[0] == 'n' || v[0] == 'N')
		return 0;
	if (len >= 2 && (v[0] == 'o' || v[0] == 'O')) {
		if (v[1] == 'n' || v[1] == 'N')
			return 1;
		if (v[1] == 'f' || v[1] == 'F')
			return 0;
	}
	return -1;
}

static void foreach_item(struct iommu_switches *s, const char *value, size_t len,
			 void (*fn)(struct iommu_switches *, const char *, size_t))
{
	const char *end = value + len;

	while (value < end) {
		const char *comma = memchr(value, ',', end - value);
		size_t n = comma ? (size_t)(comma - value) : (size_t)(end - value);

		if (n)
			fn(s, value, n);
		value += n + 1;
	}
}

static int switches_cb(const char *key, size_t key_len, const char *value, size_t value_len,
		       void *userdata)
{
	struct iommu_switches *s = userdata;

	enum iommu_switch intel = s->intel;
	bool amd_off = s->amd_off, iommu_off = s->iommu_off;
	/* Items that are neither on nor off leave the switch alone; a sentinel shows
	 * whether this parameter had one, so the token names the parameter that decided. */
	const enum iommu_switch untouched = (enum iommu_switch)-2;
	char token[64];

	if (!value)
		return 0;
	(void)snprintf(token, sizeof(token), "%.*s=%.*s", (int)key_len, key, (int)value_len, value);
	if ((cmdline_key_eq(key, key_len, "intel_iommu") || cmdline_key_eq(key, key_len, "amd_iommu") ||
	     cmdline_key_eq(key, key_len, "iommu") || cmdline_key_eq(key, key_len, "intremap")) &&
	    s->n_x86_only < IOMMU_MAX_BOGUS) {
		size_t i;
		bool seen = false;

		for (i = 0; i < s->n_x86_only; i++)
			seen |= strcmp(s->x86_only[i], token) == 0;
		if (!seen)
			strcpy(s->x86_only[s->n_x86_only++], token);
	}
	if (cmdline_key_eq(key, key_len, "intel_iommu")) {
		s->intel = untouched;
		foreach_item(s, value, value_len, parse_intel_item);
		if (s->intel == untouched)
			s->intel = intel;
		else
			strcpy(s->intel_token, token);
	} else if (cmdline_key_eq(key, key_len, "amd_iommu")) {
		foreach_item(s, value, value_len, parse_amd_item);
		if (s->amd_off && !amd_off)
			strcpy(s->amd_off_token, token);
	} else if (cmdline_key_eq(key, key_len, "iommu")) {
		foreach_item(s, value, value_len, parse_iommu_item);
		if (s->iommu_off && !iommu_off)
			strcpy(s->iommu_off_token, token);
	} else if (cmdline_key_eq(key, key_len, "iommu.passthrough")) {
		int b = parse_bool(value, value_len);

		if (b >= 0) {
			s->passthrough = b ? SWITCH_ON : SWITCH_OFF;
			(void)snprintf(s->passthrough_token, sizeof(s->passthrough_token),
				       "iommu.passthrough=%.*s", (int)value_len, value);
			s->generic_passthrough = s->passthrough;
			strcpy(s->generic_passthrough_token, s->passthrough_token);
		}
	} else if (cmdline_key_eq(key, key_len, "intremap")) {
		/* intel_irq_remapping: "off" and "nosid"... only off disables it. */
		if (item_prefix(value, value_len, "off"))
			s->intremap_off = true;
		else if (item_prefix(value, value_len, "on"))
			s->intremap_off = false;
	}
	return 0;
}

void iommu_switches_parse(const char *cmdline, struct iommu_switches *ret)
{
	*ret = (struct iommu_switches){ .intel = SWITCH_UNSET, .passthrough = SWITCH_UNSET,
					.generic_passthrough = SWITCH_UNSET };
	if (cmdline)
		(void)cmdline_foreach(cmdline, switches_cb, ret);
}

/* ---- gathering facts ---- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int name_vercmp_desc(const void *a, const void *b)
{
	return strverscmp(*(char *const *)b, *(char *const *)a);
}

/* Non-hidden names in dir, sorted with cmp; suffix filters when not NULL. */
static int list_dir(int rootfd, const char *dir, const char *suffix,
		    int (*cmp)(const void *, const void *), char ***ret, size_t *ret_n)
{
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	int fd, r = 0;
	DIR *d;

	*ret = NULL;
	*ret_n = 0;
	fd = openat(rootfd, root_rel(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char **nn;

		if (de->d_name[0] == '.')
			continue;
		if (suffix && (len <= strlen(suffix) ||
			       strcmp(de->d_name + len - strlen(suffix), suffix) != 0))
			continue;
		nn = realloc(names, (n + 1) * sizeof(*nn));
		if (!nn) {
			r = -ENOMEM;
			break;
		}
		names = nn;
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (r < 0) {
		while (n)
			free(names[--n]);
		free(names);
		return r;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp);
	*ret = names;
	*ret_n = n;
	return 0;
}

static void free_names(char **names, size_t n)
{
	while (n)
		free(names[--n]);
	free(names);
}

static enum cpu_vendor read_cpu_vendor(int rootfd)
{
	char buf[8192];
	const char *v;
	ssize_t n;
	int fd;

	/* Only the first processor's block is needed; cpuinfo of a big host is megabytes. */
	fd = openat(rootfd, "proc/cpuinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return CPU_UNKNOWN;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return CPU_UNKNOWN;
	buf[n] = '\0';
	v = strstr(buf, "vendor_id");
	if (!v)
		return strstr(buf, "CPU implementer") ? CPU_ARM : CPU_UNKNOWN;
	v += strcspn(v, ":\n");
	if (*v != ':')
		return CPU_UNKNOWN;
	v += 1 + strspn(v + 1, " \t");
	if (strncmp(v, "GenuineIntel", 12) == 0)
		return CPU_INTEL;
	if (strncmp(v, "AuthenticAMD", 12) == 0 || strncmp(v, "HygonGenuine", 12) == 0)
		return CPU_AMD;
	return CPU_UNKNOWN;
}

static void gather_iommus(struct iommu_facts *f, int rootfd)
{
	char **names;
	size_t n, i, off = 0;

	if (list_dir(rootfd, "/sys/class/iommu", NULL, name_cmp, &names, &n) == 0) {
		f->n_iommus = n;
		for (i = 0; i < n; i++)
			f->n_smmus += strncmp(names[i], "smmu3.", 6) == 0 ||
				      strncmp(names[i], "smmu.", 5) == 0;
		for (i = 0; i < n; i++) {
			int w = snprintf(f->iommu_names + off, sizeof(f->iommu_names) - off,
					 "%s%s", i ? " " : "", names[i]);

			if (w < 0 || (size_t)w >= sizeof(f->iommu_names) - off)
				break;
			off += w;
		}
		free_names(names, n);
	}
	if (list_dir(rootfd, "/sys/kernel/iommu_groups", NULL, name_cmp, &names, &n) == 0) {
		f->n_groups = n;
		free_names(names, n);
	}
}

static void gather_irq_remap(struct iommu_facts *f, int rootfd)
{
	char *text;

	f->irq_remap = -1;
	f->gic_its = -1;
	if (root_read_alloc(rootfd, "/proc/interrupts", &text, NULL) < 0)
		return;
	f->irq_remap = strstr(text, "IR-") != NULL;
	f->gic_its = strstr(text, "ITS-") != NULL;
	free(text);
}

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
static char *expand_grubenv(const char *in, const char *env)
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

/* All "options" lines of a BLS entry, joined, with grubenv variables expanded. */
static char *bls_options(const char *text, const char *env)
{
	size_t cap = strlen(text) + 2, len = 0;
	char *joined = malloc(cap), *out;
	const char *p = text;

	if (!joined)
		return NULL;
	joined[0] = '\0';
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);

		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		if (n > 7 && strncmp(p, "options", 7) == 0 && (p[7] == ' ' || p[7] == '\t')) {
			if (len)
				joined[len++] = ' ';
			memcpy(joined + len, p + 8, n - 8);
			len += n - 8;
			while (len && (joined[len - 1] == '\r' || joined[len - 1] == ' '))
				len--;
			joined[len] = '\0';
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	out = expand_grubenv(joined, env);
	free(joined);
	return out;
}

static bool any_exists(int rootfd, const char *const *paths)
{
	for (; *paths; paths++)
		if (root_exists(rootfd, *paths))
			return true;
	return false;
}

static int gather_bls(struct boot_config *b, int rootfd)
{
	static const char *const dirs[] = { "/boot/loader/entries", "/boot/efi/loader/entries",
					    "/efi/loader/entries" };
	static const char *const grubby[] = { "/usr/sbin/grubby", "/sbin/grubby",
					      "/boot/grub2/grubenv", NULL };
	char *env = NULL, **names = NULL;
	size_t n = 0, i, d;
	int r = 0;

	for (d = 0; d < sizeof(dirs) / sizeof(*dirs); d++) {
		size_t k = 0;

		if (list_dir(rootfd, dirs[d], ".conf", name_vercmp_desc, &names, &n) < 0)
			continue;
		/* Rescue entries carry their own cmdline and are not the next boot. */
		for (i = 0; i < n; i++) {
			if (strstr(names[i], "rescue")) {
				free(names[i]);
				continue;
			}
			names[k++] = names[i];
		}
		n = k;
		if (n)
			break;
		free(names);
		names = NULL;
	}
	if (!n) {
		free(names);
		return 0;
	}
	if (root_read_alloc(rootfd, "/boot/grub2/grubenv", &env, NULL) < 0)
		(void)root_read_alloc(rootfd, "/boot/grub/grubenv", &env, NULL);

	b->kind = BOOT_BLS;
	if (root_exists(rootfd, "/etc/kernelstub/configuration"))
		b->tool = TOOL_KERNELSTUB;
	else if (any_exists(rootfd, grubby))
		b->tool = TOOL_GRUBBY;
	else
		b->tool = TOOL_KERNEL_INSTALL;
	for (i = 0; i < n && b->n_entries < BOOT_MAX_ENTRIES; i++) {
		struct boot_entry *e = &b->entries[b->n_entries];
		char *text;

		(void)snprintf(e->file, sizeof(e->file), "%s/%s", dirs[d], names[i]);
		if (root_read_alloc(rootfd, e->file, &text, NULL) < 0)
			continue;
		e->cmdline = bls_options(text, env);
		free(text);
		if (!e->cmdline) {
			r = -ENOMEM;
			break;
		}
		b->n_entries++;
	}
	free(env);
	free_names(names, n);
	return r < 0 ? r : 1;
}

static int gather_kernel_cmdline(struct boot_config *b, int rootfd, bool has_grub_cfg)
{
	bool proxmox = root_exists(rootfd, "/etc/kernel/proxmox-boot-uuids");
	struct boot_entry *e = &b->entries[0];
	char *text;
	int r;

	if (!proxmox && has_grub_cfg)
		return 0;
	r = root_read_alloc(rootfd, "/etc/kernel/cmdline", &text, NULL);
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	b->kind = BOOT_KERNEL_CMDLINE;
	b->tool = proxmox ? TOOL_PROXMOX_BOOT_TOOL : TOOL_KERNEL_INSTALL;
	strcpy(e->file, "/etc/kernel/cmdline");
	e->cmdline = text;
	b->n_entries = 1;
	return 1;
}

/* The parameters of the first "linux" line of grub.cfg: what the default entry boots. */
static char *grub_cfg_first_linux(const char *text)
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

static int gather_grub(struct boot_config *b, int rootfd)
{
	const struct grub_assignment *l, *d, *last;
	struct boot_entry *e = &b->entries[0];
	char *text;
	int r;

	r = grub_defaults_load(&b->grub, rootfd);
	if (r <= 0)
		return r;
	b->kind = BOOT_GRUB;
	if (root_exists(rootfd, "/etc/kernel/proxmox-boot-uuids"))
		b->tool = TOOL_PROXMOX_BOOT_TOOL;
	else if (root_exists(rootfd, "/boot/grub2") && !root_exists(rootfd, "/boot/grub"))
		b->tool = TOOL_GRUB2_MKCONFIG;
	else
		b->tool = TOOL_UPDATE_GRUB;

	/* The file that sets the next boot's cmdline is the last one that assigned it. */
	l = grub_defaults_final(&b->grub, GRUB_LINUX);
	d = grub_defaults_final(&b->grub, GRUB_LINUX_DEFAULT);
	last = !l ? d : !d ? l : (l > d ? l : d);
	strcpy(e->file, last ? last->file : GRUB_DEFAULTS_FILE);
	e->cmdline = grub_defaults_cmdline(&b->grub);
	if (!e->cmdline)
		return -ENOMEM;
	b->n_entries = 1;

	strcpy(b->grub_cfg, "/boot/grub/grub.cfg");
	r = root_read_alloc(rootfd, b->grub_cfg, &text, NULL);
	if (r == -ENOENT) {
		strcpy(b->grub_cfg, "/boot/grub2/grub.cfg");
		r = root_read_alloc(rootfd, b->grub_cfg, &text, NULL);
	}
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		b->grub_cfg[0] = '\0';
		return 1;
	}
	b->grub_cfg_cmdline = grub_cfg_first_linux(text);
	free(text);
	return 1;
}

static int gather_boot(struct iommu_facts *f, int rootfd)
{
	static const char *const grub_cfgs[] = { "/boot/grub/grub.cfg", "/boot/grub2/grub.cfg",
						 NULL };
	struct boot_config *b = &f->boot;
	int r;

	/* Precedence of gpu-vfio-generator(8): BLS entries, then /etc/kernel/cmdline, then
	 * the GRUB defaults files. Each returns 1 when it found the config, 0 when not. */
	r = gather_bls(b, rootfd);
	if (r == 0)
		r = gather_kernel_cmdline(b, rootfd, any_exists(rootfd, grub_cfgs));
	if (r == 0)
		r = gather_grub(b, rootfd);
	if (r != 0)
		return r < 0 ? r : 0;
	strcpy(b->entries[0].file, "/proc/cmdline");
	b->entries[0].cmdline = strdup(f->effective);
	if (!b->entries[0].cmdline)
		return -ENOMEM;
	b->n_entries = 1;
	return 0;
}

int iommu_facts_gather(struct iommu_facts *ret, int rootfd, const char *cmdline_override)
{
	struct iommu_facts f = { 0 };
	int r;

	if (cmdline_override) {
		f.effective = strdup(cmdline_override);
	} else if (root_read_alloc(rootfd, "/proc/cmdline", &f.effective, NULL) == 0) {
		size_t len = strlen(f.effective);

		while (len && (f.effective[len - 1] == '\n' || f.effective[len - 1] == ' '))
			f.effective[--len] = '\0';
	} else {
		f.effective = strdup("");
	}
	if (!f.effective)
		return -ENOMEM;
	if (root_read(rootfd, "/proc/sys/kernel/osrelease", f.kver, sizeof(f.kver)) < 0)
		f.kver[0] = '\0';
	f.cpu = read_cpu_vendor(rootfd);
	f.dmar = root_exists(rootfd, "/sys/firmware/acpi/tables/DMAR");
	f.ivrs = root_exists(rootfd, "/sys/firmware/acpi/tables/IVRS");
	f.iort = root_exists(rootfd, "/sys/firmware/acpi/tables/IORT");
	f.devicetree = root_exists(rootfd, "/sys/firmware/devicetree/base");
	gather_iommus(&f, rootfd);
	gather_irq_remap(&f, rootfd);
	r = gather_boot(&f, rootfd);
	if (r < 0) {
		iommu_facts_free(&f);
		return r;
	}
	*ret = f;
	return 0;
}

void iommu_facts_free(struct iommu_facts *f)
{
	size_t i;

	free(f->effective);
	for (i = 0; i < f->boot.n_entries; i++)
		free(f->boot.entries[i].cmdline);
	grub_defaults_free(&f->boot.grub);
	free(f->boot.grub_cfg_cmdline);
	*f = (struct iommu_facts){ 0 };
}

/* ---- findings ---- */

const char *severity_name(enum severity sev)
{
	switch (sev) {
	case SEV_OK:
		return "ok";
	case SEV_WARN:
		return "warn";
	default:
		return "fail";
	}
}

void iommu_report_add(struct iommu_report *r, const char *name, enum severity sev, bool minor,
		const char *fix, const char *fmt, ...)
{
	struct finding *f;
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		r->oom = true;
		return;
	}
	f = realloc(r->findings, (r->n_findings + 1) * sizeof(*f));
	if (!f) {
		free(msg);
		r->oom = true;
		return;
	}
	r->findings = f;
	f = &r->findings[r->n_findings];
	*f = (struct finding){ .severity = sev, .minor = minor, .message = msg };
	(void)snprintf(f->name, sizeof(f->name), "%s", name);
	if (fix) {
		f->fix = strdup(fix);
		if (!f->fix)
			r->oom = true;
	}
	r->n_findings++;
}

bool iommu_report_needs_unit(const struct iommu_report *r)
{
	size_t i;

	for (i = 0; i < r->n_findings; i++)
		if (r->findings[i].severity != SEV_OK && !r->findings[i].minor)
			return true;
	return false;
}

enum severity iommu_report_worst(const struct iommu_report *r)
{
	enum severity worst = SEV_OK;
	size_t i;

	for (i = 0; i < r->n_findings; i++)
		if (r->findings[i].severity > worst)
			worst = r->findings[i].severity;
	return worst;
}

void iommu_report_free(struct iommu_report *r)
{
	size_t i;

	for (i = 0; i < r->n_findings; i++) {
		free(r->findings[i].message);
		free(r->findings[i].fix);
	}
	free(r->findings);
	*r = (struct iommu_report){ 0 };
}

const char *boot_tool_command(const struct boot_config *b, const char *kver, char *buf,
			      size_t size)
{
	switch (b->tool) {
	case TOOL_UPDATE_GRUB:
		return "update-grub";
	case TOOL_GRUB2_MKCONFIG:
		return "grub2-mkconfig -o /boot/grub2/grub.cfg";
	case TOOL_PROXMOX_BOOT_TOOL:
		return "proxmox-boot-tool refresh";
	case TOOL_KERNEL_INSTALL:
		if (!kver || !*kver)
			kver = "$(uname -r)";
		(void)snprintf(buf, size, "kernel-install add %s /lib/modules/%s/vmlinuz", kver,
			       kver);
		return buf;
	case TOOL_GRUBBY:
		return "grubby --update-kernel=ALL";
	case TOOL_KERNELSTUB:
		return "kernelstub";
	default:
		return NULL;
	}
}

/* Analysis state shared by the steps below. */
struct analysis {
	const struct iommu_facts *f;
	struct iommu_report *r;
	struct iommu_switches eff;
	struct iommu_switches cfg[BOOT_MAX_ENTRIES];
	bool active;
	bool arm; /* arm64: SMMU, IORT, iommu.passthrough=; no x86 switch applies */
	bool default_on; /* VT-d is on without intel_iommu=on: CONFIG_INTEL_IOMMU_DEFAULT_ON */
	char tool_buf[PATH_MAX + 64];
};

/* The file whose GRUB_CMDLINE_LINUX_DEFAULT the next boot takes: the one to edit. */
static const char *grub_edit_file(const struct boot_config *b)
{
	const struct grub_assignment *d = grub_defaults_final(&b->grub, GRUB_LINUX_DEFAULT);

	return d ? d->file : GRUB_DEFAULTS_FILE;
}

static char *fix_add(struct analysis *a, const char *tokens)
{
	const struct boot_config *b = &a->f->boot;
	const char *cmd = boot_tool_command(b, a->f->kver, a->tool_buf, sizeof(a->tool_buf));
	char *s = NULL;
	int n = -1;

	switch (b->kind) {
	case BOOT_GRUB:
		n = asprintf(&s, "add \"%s\" to GRUB_CMDLINE_LINUX_DEFAULT in %s, then run %s and reboot",
			     tokens, grub_edit_file(b), cmd);
		break;
	case BOOT_KERNEL_CMDLINE:
		n = asprintf(&s, "add \"%s\" to /etc/kernel/cmdline, then run %s and reboot", tokens,
			     cmd);
		break;
	case BOOT_BLS:
		if (b->tool == TOOL_GRUBBY)
			n = asprintf(&s, "run grubby --update-kernel=ALL --args=\"%s\" and reboot",
				     tokens);
		else if (b->tool == TOOL_KERNELSTUB)
			n = asprintf(&s, "run kernelstub -a \"%s\" and reboot", tokens);
		else
			n = asprintf(&s, "add \"%s\" to /etc/kernel/cmdline, then run %s and reboot",
				     tokens, cmd);
		break;
	case BOOT_UNKNOWN:
		n = asprintf(&s, "add \"%s\" to the kernel command line of the boot loader and reboot",
			     tokens);
		break;
	}
	if (n < 0) {
		a->r->oom = true;
		return NULL;
	}
	return s;
}

static char *fix_remove(struct analysis *a, const char *token, const char *file)
{
	const struct boot_config *b = &a->f->boot;
	const char *cmd = boot_tool_command(b, a->f->kver, a->tool_buf, sizeof(a->tool_buf));
	char *s = NULL;
	int n = -1;

	switch (b->kind) {
	case BOOT_GRUB:
	case BOOT_KERNEL_CMDLINE:
		n = asprintf(&s, "remove \"%s\" from %s, then run %s and reboot", token, file, cmd);
		break;
	case BOOT_BLS:
		if (b->tool == TOOL_GRUBBY)
			n = asprintf(&s, "run grubby --update-kernel=ALL --remove-args=\"%s\" and reboot",
				     token);
		else if (b->tool == TOOL_KERNELSTUB)
			n = asprintf(&s, "run kernelstub -d \"%s\" and reboot", token);
		else
			n = asprintf(&s, "remove \"%s\" from /etc/kernel/cmdline and %s, then run %s and reboot",
				     token, file, cmd);
		break;
	case BOOT_UNKNOWN:
		n = asprintf(&s, "remove \"%s\" from the kernel command line of the boot loader and reboot",
			     token);
		break;
	}
	if (n < 0) {
		a->r->oom = true;
		return NULL;
	}
	return s;
}

/* What turns the IOMMU off on this command line, or NULL. */
static const char *off_token(const struct analysis *a, const struct iommu_switches *s)
{
	if (a->arm)
		return NULL; /* iommu=, intel_iommu=, amd_iommu= are x86's: arm64 ignores them */
	if (s->iommu_off)
		return s->iommu_off_token;
	if (a->f->dmar && s->intel == SWITCH_OFF)
		return s->intel_token;
	if (a->f->ivrs && s->amd_off)
		return s->amd_off_token;
	return NULL;
}

/* In GRUB, the file among the final assignments whose value holds the token. */
static const char *grub_file_with(const struct boot_config *b, const char *token)
{
	int v;

	for (v = _GRUB_VAR_MAX - 1; v >= 0; v--) {
		const struct grub_assignment *as = grub_defaults_final(&b->grub, v);

		if (as && strstr(as->value, token))
			return as->file;
	}
	return b->entries[0].file;
}

static const char *firmware_fix(const struct iommu_facts *f)
{
	if (f->cpu == CPU_INTEL)
		return "enable VT-d (Intel Virtualization Technology for Directed I/O) in the firmware setup";
	if (f->cpu == CPU_AMD)
		return "enable IOMMU (AMD-Vi) in the firmware setup";
	if (f->cpu == CPU_ARM)
		return "enable the SMMU (SMMUv3) in the firmware setup (UEFI setup or the BMC), so that the ACPI IORT table describes it";
	return "enable VT-d (Intel) or IOMMU/AMD-Vi (AMD) in the firmware setup";
}

/* The file named in messages about the whole configuration. */
static const char *config_file(const struct boot_config *b)
{
	if (b->tool == TOOL_KERNELSTUB)
		return "/etc/kernelstub/configuration";
	return b->entries[0].file;
}

static void step_firmware(struct analysis *a)
{
	const struct iommu_facts *f = a->f;
	const char *fix = firmware_fix(f);

	if (a->arm) {
		if (f->iort)
			iommu_report_add(a->r, "firmware-table", SEV_OK, false, NULL,
				   "ACPI IORT table present (Arm SMMU and GIC ITS)");
		else if (f->devicetree)
			iommu_report_add(a->r, "firmware-table", a->active ? SEV_OK : SEV_FAIL, false,
				   a->active ? NULL : "describe the SMMU in the device tree (an iommu-map or iommus property for the PCI host bridge) and enable it",
				   "device-tree system (no ACPI IORT table)%s",
				   a->active ? "" : ": no SMMU is described or active");
		else if (a->active)
			iommu_report_add(a->r, "firmware-table", SEV_WARN, false, fix,
				   "no ACPI IORT table, although an IOMMU (%s) is active", f->iommu_names);
		else
			iommu_report_add(a->r, "firmware-table", SEV_FAIL, false, fix,
				   "no ACPI IORT table: the firmware describes no SMMU (it is disabled or absent)");
		return;
	}
	if (f->dmar) {
		iommu_report_add(a->r, "firmware-table", SEV_OK, false, NULL,
			   "ACPI DMAR table present (Intel VT-d)");
		return;
	}
	if (f->ivrs) {
		iommu_report_add(a->r, "firmware-table", SEV_OK, false, NULL,
			   "ACPI IVRS table present (AMD-Vi)");
		return;
	}
	if (a->active)
		iommu_report_add(a->r, "firmware-table", SEV_WARN, false, fix,
			   "no ACPI DMAR or IVRS table, although an IOMMU (%s) is active",
			   f->iommu_names);
	else
		iommu_report_add(a->r, "firmware-table", SEV_FAIL, false, fix,
			   "no ACPI DMAR or IVRS table: the firmware has the IOMMU disabled");
}

static void step_active(struct analysis *a)
{
	const struct iommu_facts *f = a->f;
	const char *off = off_token(a, &a->eff);
	char *fix = NULL;

	if (a->active) {
		iommu_report_add(a->r, "iommu-active", SEV_OK, false, NULL,
			   "IOMMU active: %s, %u IOMMU groups",
			   *f->iommu_names ? f->iommu_names : "no /sys/class/iommu entry",
			   f->n_groups);
		return;
	}
	a->r->inactive_now = true;
	if (a->arm && (f->iort || f->devicetree)) {
		fix = strdup("enable the SMMU (SMMUv3) in the firmware setup (UEFI setup or the BMC); if it is enabled, the kernel needs the arm-smmu-v3 driver (CONFIG_ARM_SMMU_V3, module arm_smmu_v3): look for arm-smmu-v3 errors in the kernel log (journalctl -k)");
		iommu_report_add(a->r, "iommu-active", SEV_FAIL, false, fix,
			   "no SMMU is active: /sys/class/iommu and /sys/kernel/iommu_groups are empty%s",
			   f->iort ? ", although the firmware has an ACPI IORT table" : "");
		free(fix);
		return;
	}
	if (off)
		fix = fix_remove(a, off, grub_file_with(&f->boot, off));
	else if (f->dmar && a->eff.intel != SWITCH_ON)
		fix = fix_add(a, "intel_iommu=on");
	else if (!f->dmar && !f->ivrs)
		fix = strdup(firmware_fix(f));
	else
		fix = strdup("look for DMAR or AMD-Vi errors in the kernel log (journalctl -k)");
	iommu_report_add(a->r, "iommu-active", SEV_FAIL, false, fix,
		   "no IOMMU is active: /sys/class/iommu and /sys/kernel/iommu_groups are empty%s%s",
		   off ? ", the running kernel was booted with " : "", off ? off : "");
	free(fix);
}

static void step_effective_switch(struct analysis *a)
{
	const struct iommu_facts *f = a->f;
	char *fix;

	if (a->arm) {
		if (a->active)
			iommu_report_add(a->r, "kernel-switch", SEV_OK, false, NULL,
				   "the SMMU needs no switch on the command line (intel_iommu= and iommu=pt are x86's)");
		return; /* otherwise named by iommu-active */
	}
	if (off_token(a, &a->eff) || (!f->dmar && !f->ivrs))
		return; /* named by iommu-active / firmware-table */
	if (f->ivrs) {
		iommu_report_add(a->r, "kernel-switch", SEV_OK, false, NULL,
			   "AMD-Vi needs no switch on the command line, and none turns it off");
		return;
	}
	if (a->eff.intel == SWITCH_ON) {
		iommu_report_add(a->r, "kernel-switch", SEV_OK, false, NULL,
			   "the running kernel was booted with intel_iommu=on");
		return;
	}
	fix = fix_add(a, "intel_iommu=on");
	if (a->active)
		iommu_report_add(a->r, "kernel-switch", SEV_WARN, false, fix,
			   "the running kernel was booted without intel_iommu=on; VT-d is on only because this kernel enables it by default (CONFIG_INTEL_IOMMU_DEFAULT_ON)");
	else
		iommu_report_add(a->r, "kernel-switch", SEV_FAIL, false, fix,
			   "the running kernel was booted without intel_iommu=on, so VT-d is off");
	free(fix);
}

/* For a GRUB property missing from the final value: an earlier assignment that had it
 * and the later one that overrode it. */
static void grub_override_note(const struct boot_config *b,
			       bool (*has)(const struct iommu_switches *), char *buf, size_t size)
{
	size_t i;

	buf[0] = '\0';
	if (b->kind != BOOT_GRUB)
		return;
	for (i = 0; i < b->grub.n_assignments; i++) {
		const struct grub_assignment *as = &b->grub.assignments[i];
		const struct grub_assignment *fin = grub_defaults_final(&b->grub, as->var);
		struct iommu_switches s;

		if (as == fin)
			continue;
		iommu_switches_parse(as->value, &s);
		if (!has(&s))
			continue;
		iommu_switches_parse(fin->value, &s);
		if (has(&s))
			continue;
		if (strcmp(as->file, fin->file) == 0)
			(void)snprintf(buf, size,
				       "; %s:%u sets it in %s, but line %u of the same file assigns %s again without it",
				       as->file, as->line, grub_var_name(as->var), fin->line,
				       grub_var_name(as->var));
		else
			(void)snprintf(buf, size,
				       "; %s:%u sets it in %s, but %s:%u assigns %s again without it, which overrides %s",
				       as->file, as->line, grub_var_name(as->var), fin->file,
				       fin->line, grub_var_name(as->var), as->file);
		return;
	}
}

static bool has_intel_on(const struct iommu_switches *s)
{
	return s->intel == SWITCH_ON;
}

static bool has_pt(const struct iommu_switches *s)
{
	return s->passthrough == SWITCH_ON;
}

/* arm64 knows only iommu.passthrough=. */
static bool has_arm_pt(const struct iommu_switches *s)
{
	return s->generic_passthrough == SWITCH_ON;
}

/* The passthrough switch of this architecture: its test, how it was written, its name. */
static bool (*pt_test(const struct analysis *a))(const struct iommu_switches *)
{
	return a->arm ? has_arm_pt : has_pt;
}

static enum iommu_switch pt_value(const struct analysis *a, const struct iommu_switches *s)
{
	return a->arm ? s->generic_passthrough : s->passthrough;
}

static const char *pt_token(const struct analysis *a, const struct iommu_switches *s)
{
	return a->arm ? s->generic_passthrough_token : s->passthrough_token;
}

static const char *pt_name(const struct analysis *a)
{
	return a->arm ? "iommu.passthrough=1" : "iommu=pt";
}

/* The first configured entry lacking the property, and how many lack it. */
static size_t first_lacking(const struct analysis *a, bool (*has)(const struct iommu_switches *),
			    size_t *ret_count)
{
	size_t i, first = (size_t)-1, count = 0;

	for (i = 0; i < a->f->boot.n_entries; i++) {
		if (has(&a->cfg[i]))
			continue;
		if (first == (size_t)-1)
			first = i;
		count++;
	}
	*ret_count = count;
	return first;
}

static void others_note(size_t count, char *buf, size_t size)
{
	if (count > 1)
		(void)snprintf(buf, size, " (and %zu other boot entr%s)", count - 1,
			       count > 2 ? "ies" : "y");
	else
		buf[0] = '\0';
}

static void set_source(struct analysis *a, const char *file)
{
	/* kernelstub writes the boot entries from its own configuration. */
	if (a->f->boot.tool == TOOL_KERNELSTUB)
		file = "/etc/kernelstub/configuration";
	if (!a->r->source_path[0])
		(void)snprintf(a->r->source_path, sizeof(a->r->source_path), "%s", file);
}

static void step_configured_switch(struct analysis *a)
{
	const struct iommu_facts *f = a->f;
	const struct boot_config *b = &f->boot;
	char note[PATH_MAX * 2 + 256], others[64];
	size_t i, count, first;
	char *fix;

	if (b->kind == BOOT_UNKNOWN) {
		iommu_report_add(a->r, "next-boot", SEV_WARN, true, NULL,
			   "no boot loader configuration found (BLS entries, /etc/kernel/cmdline, /etc/default/grub): cannot tell the next boot's command line");
		return;
	}
	for (i = 0; i < b->n_entries; i++) {
		const char *off = off_token(a, &a->cfg[i]);

		if (!off)
			continue;
		set_source(a, b->entries[i].file);
		fix = fix_remove(a, off,
				 b->kind == BOOT_GRUB ? grub_file_with(b, off) : b->entries[i].file);
		iommu_report_add(a->r, "next-boot-switch", SEV_FAIL, false, fix,
			   "the next boot's command line (%s) has %s: the IOMMU will be off after the next boot",
			   b->entries[i].file, off);
		free(fix);
		a->r->inactive_next = true;
		return;
	}
	if (!f->dmar) {
		if (a->arm)
			iommu_report_add(a->r, "next-boot-switch", SEV_OK, false, NULL,
				   "the next boot's command line (%s) needs no switch for the SMMU",
				   b->entries[0].file);
		else if (f->ivrs)
			iommu_report_add(a->r, "next-boot-switch", SEV_OK, false, NULL,
				   "the next boot's command line (%s) does not turn AMD-Vi off",
				   b->entries[0].file);
		return;
	}
	first = first_lacking(a, has_intel_on, &count);
	if (first == (size_t)-1) {
		iommu_report_add(a->r, "next-boot-switch", SEV_OK, false, NULL,
			   "the next boot's command line (%s) has intel_iommu=on", b->entries[0].file);
		return;
	}
	set_source(a, b->entries[first].file);
	grub_override_note(b, has_intel_on, note, sizeof(note));
	others_note(count, others, sizeof(others));
	fix = fix_add(a, "intel_iommu=on");
	if (a->default_on) {
		iommu_report_add(a->r, "next-boot-switch", SEV_WARN, false, fix,
			   "intel_iommu=on is not in the next boot's command line (%s)%s; VT-d will depend on the kernel's built-in default%s",
			   b->entries[first].file, others, note);
	} else {
		iommu_report_add(a->r, "next-boot-switch", SEV_FAIL, false, fix,
			   "intel_iommu=on is not in the next boot's command line (%s)%s: VT-d will be off after the next boot%s",
			   b->entries[first].file, others, note);
		a->r->inactive_next = true;
	}
	free(fix);
}

static void step_passthrough(struct analysis *a)
{
	const struct boot_config *b = &a->f->boot;
	char note[PATH_MAX * 2 + 256], others[64];
	size_t i, count, first;
	char *fix;

	for (i = 0; i < b->n_entries; i++) {
		const char *tok = pt_token(a, &a->cfg[i]);

		if (pt_value(a, &a->cfg[i]) != SWITCH_OFF)
			continue;
		set_source(a, b->entries[i].file);
		/* arm64's default domain is translated (DMA), not identity: taking
		 * iommu.passthrough=0 away is not enough.  The last iommu.passthrough= on the
		 * line decides, so the fix appends =1. */
		if (a->arm)
			fix = fix_add(a, "iommu.passthrough=1");
		else
			fix = fix_remove(a, tok, b->kind == BOOT_GRUB ? grub_file_with(b, tok)
							       : b->entries[i].file);
		iommu_report_add(a->r, "passthrough", SEV_WARN, false, fix,
			   "the next boot's command line (%s) has %s: DMA of every host device goes through IOMMU translation",
			   b->entries[i].file, tok);
		free(fix);
		return;
	}
	first = first_lacking(a, pt_test(a), &count);
	if (first == (size_t)-1) {
		iommu_report_add(a->r, "passthrough", SEV_OK, false, NULL,
			   "the next boot's command line (%s) has %s", b->entries[0].file,
			   pt_token(a, &a->cfg[0]));
		return;
	}
	set_source(a, b->entries[first].file);
	grub_override_note(b, pt_test(a), note, sizeof(note));
	others_note(count, others, sizeof(others));
	fix = fix_add(a, pt_name(a));
	iommu_report_add(a->r, "passthrough", SEV_WARN, false, fix,
		   "%s is not in the next boot's command line (%s)%s: DMA of every host device goes through IOMMU translation%s",
		   pt_name(a), b->entries[first].file, others, note);
	free(fix);
}

/* Configured but not in effect: grub.cfg not regenerated, or not rebooted since. */
static void step_pending(struct analysis *a)
{
	const struct iommu_facts *f = a->f;
	const struct boot_config *b = &f->boot;
	char tokens[64] = "", buf[PATH_MAX + 64];
	size_t count;
	const char *cmd;

	if (b->kind == BOOT_UNKNOWN)
		return;
	cmd = boot_tool_command(b, f->kver, buf, sizeof(buf));
	if (b->kind == BOOT_GRUB && b->grub_cfg_cmdline) {
		struct iommu_switches gen;
		char fix[PATH_MAX + 64];

		iommu_switches_parse(b->grub_cfg_cmdline, &gen);
		if (f->dmar && has_intel_on(&a->cfg[0]) && !has_intel_on(&gen))
			strcat(tokens, "intel_iommu=on");
		if (pt_test(a)(&a->cfg[0]) && !pt_test(a)(&gen))
			strcat(strcat(tokens, *tokens ? " " : ""), pt_name(a));
		if (*tokens) {
			bool fatal = f->dmar && !has_intel_on(&gen) && !a->default_on;

			(void)snprintf(fix, sizeof(fix), "run %s and reboot", cmd);
			iommu_report_add(a->r, "grub-cfg", fatal ? SEV_FAIL : SEV_WARN, false, fix,
				   "%s sets \"%s\", but %s was generated without it: %s has not been run since",
				   config_file(b), tokens, b->grub_cfg, cmd);
			set_source(a, b->entries[0].file);
			a->r->inactive_next |= fatal;
			return;
		}
	}
	tokens[0] = '\0';
	if (f->dmar && first_lacking(a, has_intel_on, &count) == (size_t)-1 &&
	    !has_intel_on(&a->eff))
		strcat(tokens, "intel_iommu=on");
	if (first_lacking(a, pt_test(a), &count) == (size_t)-1 && !pt_test(a)(&a->eff))
		strcat(strcat(tokens, *tokens ? " " : ""), pt_name(a));
	if (*tokens)
		iommu_report_add(a->r, "pending-reboot", SEV_WARN, false, "reboot",
			   "%s sets \"%s\", but the running kernel was booted without it", config_file(b),
			   tokens);
}

static void step_irq_remap(struct analysis *a)
{
	const char *fix;

	if (a->arm) {
		/* arm64 has no interrupt remapping: the GIC ITS tags each MSI with the device's
		 * ID, which isolates it as remapping does on x86 (vfio_iommu_type1 accepts it). */
		if (a->f->gic_its > 0)
			iommu_report_add(a->r, "interrupt-remapping", SEV_OK, false, NULL,
				   "MSIs go through the GIC ITS (ITS- interrupt chips in /proc/interrupts), which isolates them per device; arm64 has no interrupt remapping to turn on");
		else if (a->f->gic_its == 0 && a->active)
			iommu_report_add(a->r, "interrupt-remapping", SEV_WARN, false,
				   "use a GICv3 ITS for MSIs (the firmware's MSI controller setting); GICv2m does not isolate MSIs",
				   "no GIC ITS MSI chips (ITS-) in /proc/interrupts: unless the MSI controller isolates MSIs, vfio_iommu_type1 refuses devices unless allow_unsafe_interrupts=1");
		return;
	}
	if (a->f->irq_remap < 0)
		return;
	if (a->f->irq_remap) {
		iommu_report_add(a->r, "interrupt-remapping", SEV_OK, false, NULL,
			   "interrupt remapping is on (IR- interrupt chips in /proc/interrupts)");
		return;
	}
	if (a->eff.intremap_off)
		fix = "remove \"intremap=off\" from the kernel command line and reboot";
	else if (!a->active)
		fix = "turn the IOMMU on first: interrupt remapping needs it";
	else
		fix = "enable interrupt remapping (x2APIC) in the firmware setup";
	iommu_report_add(a->r, "interrupt-remapping", SEV_WARN, false, fix,
		   "interrupt remapping is off (no IR- interrupt chips in /proc/interrupts): vfio_iommu_type1 refuses devices unless allow_unsafe_interrupts=1");
}

static void bogus_one(struct analysis *a, const char *tok, const char *where, bool configured)
{
	const char *why;
	char *fix = NULL;

	if (a->arm)
		why = strncmp(tok, "iommu=", 6) == 0 ?
			      "it is an x86 parameter that arm64 ignores; the SMMU's switches are iommu.passthrough= (1: passthrough, as iommu=pt on x86) and iommu.strict=" :
			      "it is an x86 parameter that arm64 ignores; the SMMU needs no switch to be on";
	else if (strncmp(tok, "amd_iommu=", 10) == 0)
		why = "amd_iommu has no such value; AMD-Vi is on whenever the firmware has an IVRS table";
	else if (strncmp(tok, "intel_iommu=", 12) == 0)
		why = "the kernel ignores it (\"Unknown option\"); the switch is intel_iommu=on";
	else
		why = "the kernel ignores it; the switch is intel_iommu=on (Intel), AMD-Vi needs none";
	if (configured)
		fix = fix_remove(a, tok, where);
	iommu_report_add(a->r, "cmdline-values", SEV_WARN, true, fix, "%s in %s does nothing: %s", tok, where,
		   why);
	free(fix);
}

/* The parameters that do nothing here: x86's on arm64, else the values the kernel ignores. */
static const char (*ignored(const struct analysis *a, const struct iommu_switches *s,
			    size_t *n))[64]
{
	*n = a->arm ? s->n_x86_only : s->n_bogus;
	return a->arm ? s->x86_only : s->bogus;
}

static void step_bogus(struct analysis *a)
{
	const struct boot_config *b = &a->f->boot;
	size_t i, j, k, n, nk, ne;
	const char(*eff)[64] = ignored(a, &a->eff, &ne);

	for (i = 0; i < b->n_entries; i++) {
		const char(*list)[64] = ignored(a, &a->cfg[i], &n);

		for (j = 0; j < n; j++) {
			const char *tok = list[j];
			bool seen = false;

			for (k = 0; k < i && !seen; k++) {
				const char(*other)[64] = ignored(a, &a->cfg[k], &nk);

				for (size_t m = 0; m < nk; m++)
					seen |= strcmp(other[m], tok) == 0;
			}
			if (seen)
				continue;
			bogus_one(a, tok,
				  b->kind == BOOT_GRUB ? grub_file_with(b, tok) : b->entries[i].file,
				  b->kind != BOOT_UNKNOWN);
		}
	}
	for (j = 0; j < ne; j++) {
		bool seen = false;

		for (i = 0; i < b->n_entries && b->kind != BOOT_UNKNOWN; i++) {
			const char(*other)[64] = ignored(a, &a->cfg[i], &nk);

			for (k = 0; k < nk; k++)
				seen |= strcmp(other[k], eff[j]) == 0;
		}
		if (!seen && b->kind != BOOT_UNKNOWN)
			bogus_one(a, eff[j], "/proc/cmdline", false);
	}
}

void iommu_analyse(const struct iommu_facts *f, struct iommu_report *r)
{
	struct analysis a = { .f = f, .r = r };
	size_t i;

	iommu_switches_parse(f->effective, &a.eff);
	for (i = 0; i < f->boot.n_entries; i++)
		iommu_switches_parse(f->boot.entries[i].cmdline, &a.cfg[i]);
	a.active = f->n_iommus > 0 || f->n_groups > 0;
	a.arm = f->cpu == CPU_ARM;
	a.default_on = a.active && f->dmar && a.eff.intel != SWITCH_ON && !off_token(&a, &a.eff);

	step_firmware(&a);
	step_active(&a);
	step_effective_switch(&a);
	step_configured_switch(&a);
	step_pending(&a);
	step_passthrough(&a);
	step_irq_remap(&a);
	step_bogus(&a);
	if (f->boot.n_entries)
		set_source(&a, f->boot.entries[0].file);
}
