/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `gpu-vfio check`: the doctor that reports every IOMMU, module, policy and initramfs problem. */
#pragma once

#include <stdbool.h>

#include "findings.h"
#include "iommucfg.h"

/* Run every check against the root into *report and the IOMMU's verdict into *verdict; free
 * the report with findings_free() whatever is returned. Returns 0; -ENOMEM when findings
 * were lost (report->oom, the IOMMU verdict still stands); or another -errno when the IOMMU
 * setup cannot be read (report empty). */
int check_run(int rootfd, const char *policy_file, struct findings *report,
	      struct iommu_verdict *verdict);

/* Run every check against the root; print one line per check (or JSON with json).
 * policy_file: a host path replacing /etc/gpu-vfio.conf + /etc/gpu-vfio.d, or NULL.
 * Returns the exit status: 1 when any check fails (or the root cannot be read), else 0. */
int cmd_check(int rootfd, const char *policy_file, bool json);
