/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a kernel command line asks of the IOMMU, parsed with the kernel's own rules. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

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
