/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The boot configuration: which file sets the next boot's kernel command line (BLS entries,
 * /etc/kernel/cmdline or the GRUB defaults), what it says, and how an edit takes effect. */
#pragma once

#include <limits.h>
#include <stddef.h>

#include "grubcfg.h"

enum boot_kind {
	BOOT_UNKNOWN, /* nothing found: the running cmdline stands in */
	BOOT_BLS, /* /boot/loader/entries/ *.conf (or on the ESP) */
	BOOT_KERNEL_CMDLINE, /* /etc/kernel/cmdline for kernel-install or proxmox-boot-tool */
	BOOT_GRUB, /* /etc/default/grub + /etc/default/grub.d/ *.cfg */
};

/* The command that makes an edited configuration take effect. */
enum boot_tool {
	TOOL_NONE,
	TOOL_UPDATE_GRUB,
	TOOL_GRUB2_MKCONFIG,
	TOOL_GRUBBY,
	TOOL_KERNEL_INSTALL,
	TOOL_PROXMOX_BOOT_TOOL,
	TOOL_KERNELSTUB,
};

#define BOOT_MAX_ENTRIES 16

/* One command line the next boot may use, and the file it comes from. */
struct boot_entry {
	char file[PATH_MAX];
	char *cmdline;
};

struct boot_config {
	enum boot_kind kind;
	enum boot_tool tool;
	struct boot_entry entries[BOOT_MAX_ENTRIES]; /* BLS: newest first, rescue entries left out */
	size_t n_entries;
	struct grub_defaults grub; /* BOOT_GRUB: every assignment, for override analysis */
	char grub_cfg[32]; /* BOOT_GRUB: the generated grub.cfg, "" if none */
	char *grub_cfg_cmdline; /* its first "linux" line's parameters, NULL if none */
};

/* Find the configuration below rootfd, in the precedence of gpu-vfio-generator(8); when there
 * is none, effective (the running kernel's command line) stands in as the one entry.
 * Missing files are facts, not errors; returns 0 or -ENOMEM (free b either way). */
int boot_config_gather(struct boot_config *b, int rootfd, const char *effective);

void boot_config_free(struct boot_config *b);

/* The command that applies an edited configuration ("update-grub", ...); buf holds it when it
 * has to be built. NULL when there is none. */
const char *boot_tool_command(const struct boot_config *b, const char *kver, char *buf,
			      size_t size);

/* The fix that adds the parameters tokens ("intel_iommu=on iommu=pt") to the next boot's
 * command line, or removes token from file, for this boot loader. Malloc'ed, NULL on ENOMEM. */
char *boot_config_fix_add(const struct boot_config *b, const char *kver, const char *tokens);
char *boot_config_fix_remove(const struct boot_config *b, const char *kver, const char *token,
			     const char *file);

/* In GRUB, the file among the final assignments whose value holds token; else the file of
 * the first entry. */
const char *boot_config_file_with(const struct boot_config *b, const char *token);

/* The file named in messages about the whole configuration. */
const char *boot_config_file(const struct boot_config *b);
