/* SPDX-License-Identifier: GPL-2.0-or-later */
/* status --prometheus: node_exporter textfile metrics for fleet monitoring. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloud.h"
#include "cmd-check.h"
#include "iommucfg.h"
#include "iommufd.h"
#include "isolation.h"
#include "log.h"
#include "metrics.h"

/* A label value in the text exposition format: backslash, quote and newline escaped. */
static void label(FILE *f, const char *key, const char *value, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", key);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			fprintf(f, "\\%c", *value);
		else if (*value == '\n')
			fputs("\\n", f);
		else
			fputc(*value, f);
	}
	fputc('"', f);
}

static void header(FILE *f, const char *metric, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", metric, help, metric);
}

/* What the device is now: the plan's action, except that a device boot failed to claim
 * and that is still not on a VFIO driver is "failed", and one on a VFIO driver is
 * "claimed". */
static const char *device_state(const struct report *rep, size_t i)
{
	const struct plan_entry *e = &rep->plan->e[i];
	const struct state_entry *se = rep->st ? state_find(rep->st, rep->m->devs[i].address) : NULL;

	if (e->action == ACT_CLAIM && se && strcmp(se->action, "failed") == 0)
		return "failed";
	/* On a VFIO driver though no rule wants it (an older policy, an invalid one): the
	 * device is claimed all the same, and a dashboard counts it so. */
	if (e->action == ACT_NONE && e->on_vfio)
		return "claimed";
	return action_name(e->action);
}

static void write_devices(FILE *f, const struct report *rep)
{
	const struct pci_machine *m = rep->m;
	size_t i;

	header(f, "gpu_vfio_device_state",
	       "Devices gpu-vfio status lists, labelled with their state "
	       "(claim, claimed, keep, blocked, failed, none); always 1.");
	for (i = 0; i < m->n_devs; i++) {
		const struct pci_dev *d = &m->devs[i];
		char hex[8], name[CLOUD_NAME_MAX];

		if (!rep->plan->e[i].listed)
			continue;
		fputs("gpu_vfio_device_state{", f);
		label(f, "address", d->address, true);
		snprintf(hex, sizeof(hex), "%04x", d->vendor);
		label(f, "vendor", hex, false);
		snprintf(hex, sizeof(hex), "%04x", d->device);
		label(f, "device", hex, false);
		snprintf(hex, sizeof(hex), "%06x", d->class);
		label(f, "class", hex, false);
		cloud_name(rep->p, &rep->plan->e[i], d, name, sizeof(name));
		label(f, "name", name, false);
		label(f, "driver", d->driver, false);
		label(f, "state", device_state(rep, i), false);
		fputs("} 1\n", f);
	}
	header(f, "gpu_vfio_device_vm_ready",
	       "1 when every device of the device's IOMMU group is on a VFIO driver, so the "
	       "group can be given to a VM.");
	for (i = 0; i < m->n_devs; i++) {
		const struct pci_dev *d = &m->devs[i];
		char group[16];

		if (!rep->plan->e[i].listed)
			continue;
		snprintf(group, sizeof(group), "%d", d->iommu_group);
		fputs("gpu_vfio_device_vm_ready{", f);
		label(f, "address", d->address, true);
		label(f, "iommu_group", d->iommu_group >= 0 ? group : "", false);
		fprintf(f, "} %d\n", group_ready(rep->rootfd, m, d->iommu_group) ? 1 : 0);
	}
	/* Only devices with a cdev have a series: its label is the node a VM opens. */
	header(f, "gpu_vfio_device_vfio_cdev",
	       "Listed devices that have a VFIO device cdev (/dev/vfio/devices/vfioN, for iommufd), "
	       "labelled with its name; always 1.");
	for (i = 0; i < m->n_devs; i++) {
		const struct pci_dev *d = &m->devs[i];
		char cdev[VFIO_CDEV_MAX];

		if (!rep->plan->e[i].listed ||
		    vfio_cdev_of(rep->rootfd, d->address, cdev, sizeof(cdev)) != 1)
			continue;
		fputs("gpu_vfio_device_vfio_cdev{", f);
		label(f, "address", d->address, true);
		label(f, "cdev", cdev, false);
		fputs("} 1\n", f);
	}
}

struct checks {
	char name[16][32];
	int severity[16]; /* the worst finding of each check: 0 ok, 1 warn, 2 fail */
	size_t n;
};

/* The worst finding of each check, in the doctor's order. */
static void collect_checks(const struct findings *ir, struct checks *ch)
{
	size_t i, j;

	for (j = 0; j < ir->n_findings; j++) {
		const struct finding *fd = &ir->findings[j];
		int sev = fd->severity == SEV_FAIL ? 2 : fd->severity == SEV_WARN ? 1 : 0;

		for (i = 0; i < ch->n && strcmp(ch->name[i], fd->name) != 0; i++)
			;
		if (i == ch->n) {
			if (ch->n == sizeof(ch->name) / sizeof(ch->name[0]))
				continue;
			snprintf(ch->name[ch->n], sizeof(ch->name[0]), "%s", fd->name);
			ch->severity[ch->n++] = sev;
		} else if (sev > ch->severity[i]) {
			ch->severity[i] = sev;
		}
	}
}

/* The node's series, from one run of the doctor (gpu-vfio check). */
static void write_node(FILE *f, const struct ctx *c, bool policy_valid)
{
	struct iommu_verdict iommu;
	struct findings ir;
	struct checks ch = { .n = 0 };
	int stale = -1, r;
	size_t i;

	r = check_run(c->rootfd, c->policy_file, &ir, &iommu);
	if (r == 0 || ir.oom) {
		header(f, "gpu_vfio_iommu_active",
		       "1 when an IOMMU is active on the running kernel (/sys/class/iommu).");
		fprintf(f, "gpu_vfio_iommu_active %d\n", iommu.inactive_now ? 0 : 1);
	}
	header(f, "gpu_vfio_policy_valid", "1 when the policy (gpu-vfio.conf(5)) is valid.");
	fprintf(f, "gpu_vfio_policy_valid %d\n", policy_valid ? 1 : 0);

	/* A doctor that lost findings gives no verdict. */
	if (r == 0) {
		collect_checks(&ir, &ch);
		for (i = 0; i < ch.n; i++)
			if (strcmp(ch.name[i], "initramfs") == 0)
				stale = ch.severity[i] == 2;
	}
	findings_free(&ir);
	/* Without a verdict the series is left out rather than reported as fresh. */
	if (stale >= 0) {
		header(f, "gpu_vfio_initramfs_stale",
		       "1 when the initramfs of the running kernel is older than the policy.");
		fprintf(f, "gpu_vfio_initramfs_stale %d\n", stale);
	}
	if (ch.n) {
		header(f, "gpu_vfio_check_severity",
		       "The worst finding of each gpu-vfio check: 0 ok, 1 warning, 2 failure.");
		for (i = 0; i < ch.n; i++) {
			fputs("gpu_vfio_check_severity{", f);
			label(f, "check", ch.name[i], true);
			fprintf(f, "} %d\n", ch.severity[i]);
		}
	}
}

/* One series per override of IOMMU isolation that is in force; none when there is none. */
static void write_isolation(FILE *f, const struct isolation *iso)
{
	bool any = false;
	int k;

	for (k = 0; iso && k < ISO_KINDS; k++) {
		if (!iso->kind[k].on)
			continue;
		if (!any)
			header(f, "gpu_vfio_isolation_override",
			       "1 for each override that weakens IOMMU isolation (acs-override, "
			       "unsafe-interrupts, unsafe-noiommu, denylist-disabled); see gpu-vfio check.");
		any = true;
		fputs("gpu_vfio_isolation_override{", f);
		label(f, "kind", isolation_kind_name((enum iso_kind)k), true);
		label(f, "source", iso->kind[k].where, false);
		fputs("} 1\n", f);
	}
}

int metrics_write(FILE *f, const struct ctx *c, const struct report *rep, bool policy_valid)
{
	write_devices(f, rep);
	header(f, "gpu_vfio_claim_disabled",
	       "1 when boot found gpu-vfio=off on the kernel command line and claimed nothing.");
	fprintf(f, "gpu_vfio_claim_disabled %d\n", rep->st && rep->st->disabled ? 1 : 0);
	header(f, "gpu_vfio_iommufd_available",
	       "1 when iommufd is available (/dev/iommu), so VMs can use VFIO device cdevs.");
	fprintf(f, "gpu_vfio_iommufd_available %d\n", iommufd_present(rep->rootfd) ? 1 : 0);
	write_isolation(f, rep->iso);
	write_node(f, c, policy_valid);
	return fflush(f) == 0 ? 0 : EXIT_ERROR;
}

/* Write the metrics to PATH as a whole or not at all: a temporary file in PATH's
 * directory (named with a leading dot and no .prom suffix, so node_exporter's textfile
 * collector never reads it half-written), written, fsynced, made 0644 and renamed over
 * PATH; then the directory is fsynced. On any failure the temporary file is removed and
 * PATH is left as it was. */
int metrics_write_textfile(const char *path, const struct ctx *c, const struct report *rep,
			   bool policy_valid)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char *dir = NULL, *tmp = NULL;
	const char *what = "cannot create a temporary file";
	FILE *f = NULL;
	int fd = -1, dfd = -1, err = 0, r;

	if (!*base) {
		log_err("--textfile %s: names a directory, not a file", path);
		return EXIT_USAGE;
	}
	if (slash)
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	else
		dir = strdup(".");
	if (!dir || asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) < 0) {
		tmp = NULL;
		err = ENOMEM;
		goto fail;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		free(tmp);
		tmp = NULL;
		goto fail;
	}
	what = "cannot write the metrics";
	if (fchmod(fd, 0644) < 0) {
		err = errno;
		goto fail;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = errno;
		goto fail;
	}
	fd = -1;
	errno = 0;
	r = metrics_write(f, c, rep, policy_valid);
	if (r || ferror(f)) {
		err = errno ? errno : EIO;
		goto fail;
	}
	if (fsync(fileno(f)) < 0) {
		err = errno;
		goto fail;
	}
	r = fclose(f);
	f = NULL;
	if (r != 0) {
		err = errno;
		goto fail;
	}
	what = "cannot rename the temporary file over it";
	if (rename(tmp, path) < 0) {
		err = errno;
		goto fail;
	}
	/* The rename is durable once the directory is; failing that is not worth an error. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(tmp);
	free(dir);
	return EXIT_OK;
fail:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
	log_err("--textfile %s: %s%s%s: %s; the file is unchanged", path, what,
		tmp || !dir ? "" : " in ", tmp || !dir ? "" : dir, strerror(err));
	free(tmp);
	free(dir);
	return EXIT_ERROR;
}
