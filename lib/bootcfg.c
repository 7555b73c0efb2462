/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The boot configuration: which file sets the next boot's kernel command line (BLS entries,
 * /etc/kernel/cmdline or the GRUB defaults), what it says, and how an edit takes effect. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootcfg.h"
#include "dirlist.h"
#include "grubscript.h"
#include "rootfs.h"

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
	out = grubenv_expand(joined, env);
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
	int r;

	for (d = 0; d < sizeof(dirs) / sizeof(*dirs); d++) {
		size_t k = 0;

		r = dir_list_at(rootfd, dirs[d], ".conf", DIR_LIST_VERSION_DESC, &names);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			continue; /* no entries there */
		/* Rescue entries carry their own cmdline and are not the next boot. */
		for (i = 0; names[i]; i++) {
			if (strstr(names[i], "rescue")) {
				free(names[i]);
				continue;
			}
			names[k++] = names[i];
		}
		names[k] = NULL;
		n = k;
		if (n)
			break;
		dir_list_free(names);
		names = NULL;
	}
	if (!n)
		return 0;
	if (root_read_alloc(rootfd, "/boot/grub2/grubenv", &env, NULL) < 0)
		(void)root_read_alloc(rootfd, "/boot/grub/grubenv", &env, NULL);

	b->kind = BOOT_BLS;
	if (root_exists(rootfd, "/etc/kernelstub/configuration"))
		b->tool = TOOL_KERNELSTUB;
	else if (any_exists(rootfd, grubby))
		b->tool = TOOL_GRUBBY;
	else
		b->tool = TOOL_KERNEL_INSTALL;
	r = 0;
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
	dir_list_free(names);
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

int boot_config_gather(struct boot_config *b, int rootfd, const char *effective)
{
	static const char *const grub_cfgs[] = { "/boot/grub/grub.cfg", "/boot/grub2/grub.cfg",
						 NULL };
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
	b->entries[0].cmdline = strdup(effective);
	if (!b->entries[0].cmdline)
		return -ENOMEM;
	b->n_entries = 1;
	return 0;
}

void boot_config_free(struct boot_config *b)
{
	size_t i;

	for (i = 0; i < b->n_entries; i++)
		free(b->entries[i].cmdline);
	grub_defaults_free(&b->grub);
	free(b->grub_cfg_cmdline);
	*b = (struct boot_config){ .kind = BOOT_UNKNOWN };
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

/* The file whose GRUB_CMDLINE_LINUX_DEFAULT the next boot takes: the one to edit. */
static const char *grub_edit_file(const struct boot_config *b)
{
	const struct grub_assignment *d = grub_defaults_final(&b->grub, GRUB_LINUX_DEFAULT);

	return d ? d->file : GRUB_DEFAULTS_FILE;
}


/* The fix text that adds tokens to, or removes them from, the command line the next boot
 * takes: where to edit (file: where the token was found) and what to run afterwards. */
static char *fix_text(const struct boot_config *b, const char *kver, bool add,
		      const char *tokens, const char *file)
{
	const char *verb = add ? "add" : "remove", *prep = add ? "to" : "from";
	char buf[PATH_MAX + 64], where[PATH_MAX + 64];
	const char *cmd = boot_tool_command(b, kver, buf, sizeof(buf));
	char *s = NULL;
	int n;

	if (b->kind == BOOT_BLS && b->tool == TOOL_GRUBBY)
		n = asprintf(&s, "run grubby --update-kernel=ALL --%sargs=\"%s\" and reboot",
			     add ? "" : "remove-", tokens);
	else if (b->kind == BOOT_BLS && b->tool == TOOL_KERNELSTUB)
		n = asprintf(&s, "run kernelstub -%c \"%s\" and reboot", add ? 'a' : 'd', tokens);
	else if (b->kind == BOOT_UNKNOWN)
		n = asprintf(&s, "%s \"%s\" %s the kernel command line of the boot loader and reboot",
			     verb, tokens, prep);
	else {
		if (add && b->kind == BOOT_GRUB)
			(void)snprintf(where, sizeof(where), "GRUB_CMDLINE_LINUX_DEFAULT in %s",
				       grub_edit_file(b));
		else if (add)
			(void)snprintf(where, sizeof(where), "/etc/kernel/cmdline");
		else if (b->kind == BOOT_BLS)
			(void)snprintf(where, sizeof(where), "/etc/kernel/cmdline and %s", file);
		else
			(void)snprintf(where, sizeof(where), "%s", file);
		n = asprintf(&s, "%s \"%s\" %s %s, then run %s and reboot", verb, tokens, prep,
			     where, cmd);
	}
	return n < 0 ? NULL : s;
}

char *boot_config_fix_add(const struct boot_config *b, const char *kver, const char *tokens)
{
	return fix_text(b, kver, true, tokens, NULL);
}

char *boot_config_fix_remove(const struct boot_config *b, const char *kver, const char *token,
			     const char *file)
{
	return fix_text(b, kver, false, token, file);
}

const char *boot_config_file_with(const struct boot_config *b, const char *token)
{
	int v;

	for (v = _GRUB_VAR_MAX - 1; v >= 0; v--) {
		const struct grub_assignment *as = grub_defaults_final(&b->grub, v);

		if (as && strstr(as->value, token))
			return as->file;
	}
	return b->entries[0].file;
}

const char *boot_config_file(const struct boot_config *b)
{
	if (b->tool == TOOL_KERNELSTUB)
		return "/etc/kernelstub/configuration";
	return b->entries[0].file;
}
