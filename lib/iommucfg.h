/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IOMMU configuration facts (cmdline, firmware, sysfs, boot loader) and their analysis. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "grubcfg.h"

enum iommu_switch {
	SWITCH_UNSET = -1,
	SWITCH_OFF = 0,
	SWITCH_ON = 1,
};

#define IOMMU_MAX_BOGUS 8

/* What one kernel command line asks of the IOMMU, with the kernel's own parsing rules. */
struct iommu_switches {
	enum iommu_switch intel; /* after every intel_iommu= item, left to right */
	bool amd_off; /* amd_iommu=off */
	bool iommu_off; /* iommu=off (disables both vendors) */
	/* The parameters that decided the three above, as written ("intel-iommu=sm_on,off"). */
	char intel_token[64], amd_off_token[64], iommu_off_token[64];
	enum iommu_switch passthrough; /* last of iommu=pt, iommu=nopt, iommu.passthrough= */
	char passthrough_token[64]; /* the parameter that decided passthrough */
	/* iommu.passthrough= alone: the switch arm64 has (iommu=pt is x86's). */
	enum iommu_switch generic_passthrough;
	char generic_passthrough_token[64];
	bool intremap_off; /* intremap=off */
	/* x86-only parameters as written (intel_iommu=, amd_iommu=, iommu=, intremap=): on
	 * arm64 the kernel has none of them and ignores each. */
	char x86_only[IOMMU_MAX_BOGUS][64];
	size_t n_x86_only;
	char bogus[IOMMU_MAX_BOGUS][64]; /* values the kernel ignores: "amd_iommu=on", ... */
	size_t n_bogus;
};

void iommu_switches_parse(const char *cmdline, struct iommu_switches *ret);

enum cpu_vendor {
	CPU_UNKNOWN,
	CPU_INTEL,
	CPU_AMD,
	CPU_ARM, /* /proc/cpuinfo has "CPU implementer" and no vendor_id: arm64 */
};

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

struct iommu_facts {
	char *effective; /* the running kernel's command line */
	char kver[128]; /* proc/sys/kernel/osrelease, "" if unknown */
	enum cpu_vendor cpu;
	bool dmar, ivrs; /* ACPI tables */
	bool iort; /* ACPI IORT table (arm64: describes the SMMUs and the GIC ITS) */
	bool devicetree; /* /sys/firmware/devicetree/base: no ACPI tables to expect */
	unsigned n_smmus; /* /sys/class/iommu entries named smmu3.* (SMMUv3) or smmu.* */
	unsigned n_iommus; /* /sys/class/iommu entries */
	char iommu_names[128]; /* "dmar0 dmar1" */
	unsigned n_groups; /* /sys/kernel/iommu_groups entries */
	int irq_remap; /* 1 IR- chips in /proc/interrupts, 0 none, -1 unknown */
	int gic_its; /* 1 ITS- MSI chips in /proc/interrupts (arm64), 0 none, -1 unknown */
	struct boot_config boot;
};

/* Read everything below rootfd. cmdline_override, when not NULL, replaces
 * /proc/cmdline. Missing files are facts, not errors; returns 0 or -ENOMEM. */
int iommu_facts_gather(struct iommu_facts *ret, int rootfd, const char *cmdline_override);

void iommu_facts_free(struct iommu_facts *f);

enum severity {
	SEV_OK,
	SEV_WARN,
	SEV_FAIL,
};

struct finding {
	char name[32];
	enum severity severity;
	bool minor; /* worth naming only in a unit written for another reason */
	char *message;
	char *fix; /* NULL when nothing is to be done */
};

struct iommu_report {
	struct finding *findings;
	size_t n_findings;
	bool inactive_now; /* no IOMMU is active on the running kernel */
	bool inactive_next; /* the configured cmdline will leave it inactive */
	char source_path[PATH_MAX]; /* the file that sets the next boot's cmdline */
	bool oom;
};

/* Analyse the facts; findings are appended to r in a fixed order. */
void iommu_analyse(const struct iommu_facts *f, struct iommu_report *r);

/* Append a finding; message is printf-formatted, fix is copied (may be NULL). */
void iommu_report_add(struct iommu_report *r, const char *name, enum severity sev, bool minor,
		      const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Does anything in the report call for the generator's unit? */
bool iommu_report_needs_unit(const struct iommu_report *r);

/* The worst severity among the findings. */
enum severity iommu_report_worst(const struct iommu_report *r);

void iommu_report_free(struct iommu_report *r);

const char *severity_name(enum severity sev);

/* The command that applies an edited configuration ("update-grub", ...). */
const char *boot_tool_command(const struct boot_config *b, const char *kver, char *buf,
			      size_t size);
