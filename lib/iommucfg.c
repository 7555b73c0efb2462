/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The analysis of the IOMMU facts: what is wrong with the IOMMU setup, now and after the
 * next boot, and how to fix it. */
#define _GNU_SOURCE 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommucfg.h"

/* Analysis state shared by the steps below. */
struct analysis {
	const struct iommu_facts *f;
	struct findings *fs;
	struct iommu_verdict *v;
	struct iommu_switches eff;
	struct iommu_switches cfg[BOOT_MAX_ENTRIES];
	bool active;
	bool arm; /* arm64: SMMU, IORT, iommu.passthrough=; no x86 switch applies */
	bool default_on; /* VT-d is on without intel_iommu=on: CONFIG_INTEL_IOMMU_DEFAULT_ON */
};

static char *fix_add(struct analysis *a, const char *tokens)
{
	char *s = boot_config_fix_add(&a->f->boot, a->f->kver, tokens);

	if (!s)
		a->fs->oom = true;
	return s;
}

static char *fix_remove(struct analysis *a, const char *token, const char *file)
{
	char *s = boot_config_fix_remove(&a->f->boot, a->f->kver, token, file);

	if (!s)
		a->fs->oom = true;
	return s;
}

/* The file to edit to take token out of boot entry i: in GRUB, the defaults file that sets it. */
static const char *entry_file_with(const struct boot_config *b, size_t i, const char *token)
{
	return b->kind == BOOT_GRUB ? boot_config_file_with(b, token) : b->entries[i].file;
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

static void step_firmware(struct analysis *a)
{
	const struct iommu_facts *f = a->f;
	const char *fix = firmware_fix(f);

	if (a->arm) {
		if (f->iort)
			findings_add(a->fs, "firmware-table", SEV_OK, NULL,
				   "ACPI IORT table present (Arm SMMU and GIC ITS)");
		else if (f->devicetree)
			findings_add(a->fs, "firmware-table", a->active ? SEV_OK : SEV_FAIL,
				   a->active ? NULL : "describe the SMMU in the device tree (an iommu-map or iommus property for the PCI host bridge) and enable it",
				   "device-tree system (no ACPI IORT table)%s",
				   a->active ? "" : ": no SMMU is described or active");
		else if (a->active)
			findings_add(a->fs, "firmware-table", SEV_WARN, fix,
				   "no ACPI IORT table, although an IOMMU (%s) is active", f->iommu_names);
		else
			findings_add(a->fs, "firmware-table", SEV_FAIL, fix,
				   "no ACPI IORT table: the firmware describes no SMMU (it is disabled or absent)");
		return;
	}
	if (f->dmar) {
		findings_add(a->fs, "firmware-table", SEV_OK, NULL,
			   "ACPI DMAR table present (Intel VT-d)");
		return;
	}
	if (f->ivrs) {
		findings_add(a->fs, "firmware-table", SEV_OK, NULL,
			   "ACPI IVRS table present (AMD-Vi)");
		return;
	}
	if (a->active)
		findings_add(a->fs, "firmware-table", SEV_WARN, fix,
			   "no ACPI DMAR or IVRS table, although an IOMMU (%s) is active",
			   f->iommu_names);
	else
		findings_add(a->fs, "firmware-table", SEV_FAIL, fix,
			   "no ACPI DMAR or IVRS table: the firmware has the IOMMU disabled");
}

static void step_active(struct analysis *a)
{
	const struct iommu_facts *f = a->f;
	const char *off = off_token(a, &a->eff);
	char *fix = NULL;

	if (a->active) {
		findings_add(a->fs, "iommu-active", SEV_OK, NULL,
			   "IOMMU active: %s, %u IOMMU groups",
			   *f->iommu_names ? f->iommu_names : "no /sys/class/iommu entry",
			   f->n_groups);
		return;
	}
	a->v->inactive_now = true;
	if (a->arm && (f->iort || f->devicetree)) {
		fix = strdup("enable the SMMU (SMMUv3) in the firmware setup (UEFI setup or the BMC); if it is enabled, the kernel needs the arm-smmu-v3 driver (CONFIG_ARM_SMMU_V3, module arm_smmu_v3): look for arm-smmu-v3 errors in the kernel log (journalctl -k)");
		findings_add(a->fs, "iommu-active", SEV_FAIL, fix,
			   "no SMMU is active: /sys/class/iommu and /sys/kernel/iommu_groups are empty%s",
			   f->iort ? ", although the firmware has an ACPI IORT table" : "");
		free(fix);
		return;
	}
	if (off)
		fix = fix_remove(a, off, boot_config_file_with(&f->boot, off));
	else if (f->dmar && a->eff.intel != SWITCH_ON)
		fix = fix_add(a, "intel_iommu=on");
	else if (!f->dmar && !f->ivrs)
		fix = strdup(firmware_fix(f));
	else
		fix = strdup("look for DMAR or AMD-Vi errors in the kernel log (journalctl -k)");
	findings_add(a->fs, "iommu-active", SEV_FAIL, fix,
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
			findings_add(a->fs, "kernel-switch", SEV_OK, NULL,
				   "the SMMU needs no switch on the command line (intel_iommu= and iommu=pt are x86's)");
		return; /* otherwise named by iommu-active */
	}
	if (off_token(a, &a->eff) || (!f->dmar && !f->ivrs))
		return; /* named by iommu-active / firmware-table */
	if (f->ivrs) {
		findings_add(a->fs, "kernel-switch", SEV_OK, NULL,
			   "AMD-Vi needs no switch on the command line, and none turns it off");
		return;
	}
	if (a->eff.intel == SWITCH_ON) {
		findings_add(a->fs, "kernel-switch", SEV_OK, NULL,
			   "the running kernel was booted with intel_iommu=on");
		return;
	}
	fix = fix_add(a, "intel_iommu=on");
	if (a->active)
		findings_add(a->fs, "kernel-switch", SEV_WARN, fix,
			   "the running kernel was booted without intel_iommu=on; VT-d is on only because this kernel enables it by default (CONFIG_INTEL_IOMMU_DEFAULT_ON)");
	else
		findings_add(a->fs, "kernel-switch", SEV_FAIL, fix,
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
	if (!a->v->source_path[0])
		(void)snprintf(a->v->source_path, sizeof(a->v->source_path), "%s", file);
}

static void step_configured_switch(struct analysis *a)
{
	const struct iommu_facts *f = a->f;
	const struct boot_config *b = &f->boot;
	char note[PATH_MAX * 2 + 256], others[64];
	size_t i, count, first;
	char *fix;

	if (b->kind == BOOT_UNKNOWN) {
		findings_add(a->fs, "next-boot", SEV_WARN, NULL,
			   "no boot loader configuration found (BLS entries, /etc/kernel/cmdline, /etc/default/grub): cannot tell the next boot's command line");
		return;
	}
	for (i = 0; i < b->n_entries; i++) {
		const char *off = off_token(a, &a->cfg[i]);

		if (!off)
			continue;
		set_source(a, b->entries[i].file);
		fix = fix_remove(a, off, entry_file_with(b, i, off));
		findings_add(a->fs, "next-boot-switch", SEV_FAIL, fix,
			   "the next boot's command line (%s) has %s: the IOMMU will be off after the next boot",
			   b->entries[i].file, off);
		free(fix);
		a->v->inactive_next = true;
		return;
	}
	if (!f->dmar) {
		if (a->arm)
			findings_add(a->fs, "next-boot-switch", SEV_OK, NULL,
				   "the next boot's command line (%s) needs no switch for the SMMU",
				   b->entries[0].file);
		else if (f->ivrs)
			findings_add(a->fs, "next-boot-switch", SEV_OK, NULL,
				   "the next boot's command line (%s) does not turn AMD-Vi off",
				   b->entries[0].file);
		return;
	}
	first = first_lacking(a, has_intel_on, &count);
	if (first == (size_t)-1) {
		findings_add(a->fs, "next-boot-switch", SEV_OK, NULL,
			   "the next boot's command line (%s) has intel_iommu=on", b->entries[0].file);
		return;
	}
	set_source(a, b->entries[first].file);
	grub_override_note(b, has_intel_on, note, sizeof(note));
	others_note(count, others, sizeof(others));
	fix = fix_add(a, "intel_iommu=on");
	if (a->default_on) {
		findings_add(a->fs, "next-boot-switch", SEV_WARN, fix,
			   "intel_iommu=on is not in the next boot's command line (%s)%s; VT-d will depend on the kernel's built-in default%s",
			   b->entries[first].file, others, note);
	} else {
		findings_add(a->fs, "next-boot-switch", SEV_FAIL, fix,
			   "intel_iommu=on is not in the next boot's command line (%s)%s: VT-d will be off after the next boot%s",
			   b->entries[first].file, others, note);
		a->v->inactive_next = true;
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
			fix = fix_remove(a, tok, entry_file_with(b, i, tok));
		findings_add(a->fs, "passthrough", SEV_WARN, fix,
			   "the next boot's command line (%s) has %s: DMA of every host device goes through IOMMU translation",
			   b->entries[i].file, tok);
		free(fix);
		return;
	}
	first = first_lacking(a, pt_test(a), &count);
	if (first == (size_t)-1) {
		findings_add(a->fs, "passthrough", SEV_OK, NULL,
			   "the next boot's command line (%s) has %s", b->entries[0].file,
			   pt_token(a, &a->cfg[0]));
		return;
	}
	set_source(a, b->entries[first].file);
	grub_override_note(b, pt_test(a), note, sizeof(note));
	others_note(count, others, sizeof(others));
	fix = fix_add(a, pt_name(a));
	findings_add(a->fs, "passthrough", SEV_WARN, fix,
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
			findings_add(a->fs, "grub-cfg", fatal ? SEV_FAIL : SEV_WARN, fix,
				   "%s sets \"%s\", but %s was generated without it: %s has not been run since",
				   boot_config_file(b), tokens, b->grub_cfg, cmd);
			set_source(a, b->entries[0].file);
			a->v->inactive_next |= fatal;
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
		findings_add(a->fs, "pending-reboot", SEV_WARN, "reboot",
			   "%s sets \"%s\", but the running kernel was booted without it", boot_config_file(b),
			   tokens);
}

static void step_irq_remap(struct analysis *a)
{
	const char *fix;

	if (a->arm) {
		/* arm64 has no interrupt remapping: the GIC ITS tags each MSI with the device's
		 * ID, which isolates it as remapping does on x86 (vfio_iommu_type1 accepts it). */
		if (a->f->gic_its > 0)
			findings_add(a->fs, "interrupt-remapping", SEV_OK, NULL,
				   "MSIs go through the GIC ITS (ITS- interrupt chips in /proc/interrupts), which isolates them per device; arm64 has no interrupt remapping to turn on");
		else if (a->f->gic_its == 0 && a->active)
			findings_add(a->fs, "interrupt-remapping", SEV_WARN,
				   "use a GICv3 ITS for MSIs (the firmware's MSI controller setting); GICv2m does not isolate MSIs",
				   "no GIC ITS MSI chips (ITS-) in /proc/interrupts: unless the MSI controller isolates MSIs, vfio_iommu_type1 refuses devices unless allow_unsafe_interrupts=1");
		return;
	}
	if (a->f->irq_remap < 0)
		return;
	if (a->f->irq_remap) {
		findings_add(a->fs, "interrupt-remapping", SEV_OK, NULL,
			   "interrupt remapping is on (IR- interrupt chips in /proc/interrupts)");
		return;
	}
	if (a->eff.intremap_off)
		fix = "remove \"intremap=off\" from the kernel command line and reboot";
	else if (!a->active)
		fix = "turn the IOMMU on first: interrupt remapping needs it";
	else
		fix = "enable interrupt remapping (x2APIC) in the firmware setup";
	findings_add(a->fs, "interrupt-remapping", SEV_WARN, fix,
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
	findings_add(a->fs, "cmdline-values", SEV_WARN, fix, "%s in %s does nothing: %s", tok, where,
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
			bogus_one(a, tok, entry_file_with(b, i, tok), b->kind != BOOT_UNKNOWN);
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

void iommu_analyse(const struct iommu_facts *f, struct findings *fs, struct iommu_verdict *ret)
{
	struct analysis a = { .f = f, .fs = fs, .v = ret };
	size_t i;

	*ret = (struct iommu_verdict){ .inactive_now = false };
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
