/* SPDX-License-Identifier: GPL-2.0-or-later */
/* release: give claimed groups back to the host, unless a VM holds them open. */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claim.h"
#include "commands.h"
#include "log.h"
#include "modules.h"
#include "pci.h"
#include "rootfs.h"
#include "state.h"

/* The pid of a process that has /dev/vfio/GROUP open, or 0. */
static long group_user(int rootfd, int group)
{
	char want[32];
	struct dirent *de;
	long found = 0;
	int dfd;
	DIR *proc;

	snprintf(want, sizeof(want), "/dev/vfio/%d", group);
	dfd = openat(rootfd, "proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	proc = fdopendir(dfd);
	if (!proc) {
		close(dfd);
		return 0;
	}
	while (!found && (de = readdir(proc))) {
		char path[64], target[PATH_MAX];
		struct dirent *fe;
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		DIR *fds;
		int ffd;

		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "%ld/fd", pid);
		ffd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ffd < 0)
			continue;
		fds = fdopendir(ffd);
		if (!fds) {
			close(ffd);
			continue;
		}
		while (!found && (fe = readdir(fds))) {
			ssize_t n = readlinkat(ffd, fe->d_name, target, sizeof(target) - 1);

			if (n <= 0)
				continue;
			target[n] = '\0';
			if (strcmp(target, want) == 0)
				found = pid;
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

static int release_group(struct ctx *c, struct pci_machine *m, int group, struct state *st,
			 struct modules *mods)
{
	char path[128];
	size_t i;
	int r = 0;
	long pid;

	pid = group_user(c->rootfd, group);
	if (pid) {
		log_err("IOMMU group %d: refusing to release, /dev/vfio/%d is open by pid %ld (a VM is using it)",
			group, group, pid);
		return -EBUSY;
	}
	/* Clear every override first, so nothing rebinds to vfio-pci in between. */
	for (i = 0; i < m->n_devs; i++) {
		struct pci_dev *d = &m->devs[i];
		struct state_entry *se = state_find(st, d->address);
		const char *prev = se && se->previous_override[0] ? se->previous_override : "\n";

		if (d->iommu_group != group || !pci_driver_is_vfio(c->rootfd, d->driver))
			continue;
		snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/driver_override", d->address);
		if (root_write(c->rootfd, path, prev) < 0)
			log_warn("%s: cannot clear driver_override", d->address);
	}
	for (i = 0; i < m->n_devs; i++) {
		struct pci_dev *d = &m->devs[i];
		struct state_entry *se = state_find(st, d->address);
		char vfio[DRIVER_MAX];
		bool would;
		int q;

		if (d->iommu_group != group || !pci_driver_is_vfio(c->rootfd, d->driver))
			continue;
		snprintf(vfio, sizeof(vfio), "%s", d->driver);
		snprintf(path, sizeof(path), "sys/bus/pci/drivers/%s/unbind", vfio);
		q = sysfs_write_deadline(c->rootfd, path, d->address, 5000);
		if (q < 0 || !wait_driver(c->rootfd, d, "", 2000)) {
			log_err("%s: cannot unbind from %s: %s", d->address, vfio,
				q < 0 ? strerror(-q) : "still bound");
			r = -EIO;
			continue;
		}
		/* The native driver may not be loaded yet: claim ran before udev. */
		pci_read_details(c->rootfd, d);
		if (c->live && d->modalias[0] && modules_ensure(mods, d->modalias, &would) < 0)
			log_notice("%s: no native driver module loaded for %s", d->address, d->modalias);
		(void)sysfs_write_deadline(c->rootfd, "sys/bus/pci/drivers_probe", d->address, 5000);
		(void)wait_driver(c->rootfd, d, se && se->previous_driver[0] ? se->previous_driver : "",
				  se && se->previous_driver[0] ? 2000 : 0);
		log_info("%s: released from %s, now %s%s", d->address, vfio,
			 d->driver[0] ? "on " : "unbound", d->driver);
		if (se) {
			snprintf(se->action, sizeof(se->action), "released");
			se->driver[0] = '\0';
		}
	}
	return r;
}

int cmd_release(struct ctx *c)
{
	struct state st = { 0 };
	struct modules *mods = NULL;
	struct pci_machine m;
	int *groups, r = EXIT_OK, q;
	size_t n_groups = 0, i, j;

	(void)state_read(c->rootfd, &st);
	q = pci_scan(c->rootfd, &m);
	if (q < 0) {
		log_err("cannot read the PCI devices below %s: %s", c->root, strerror(-q));
		state_free(&st);
		return EXIT_ERROR;
	}
	groups = calloc(m.n_devs + 1, sizeof(*groups));
	if (!groups || modules_new(c->rootfd, c->live, &mods) < 0) {
		r = EXIT_ERROR;
		goto out;
	}
	if (c->n_args == 0) {
		/* Everything claim recorded that is still on a VFIO driver. */
		for (i = 0; i < st.n; i++) {
			struct pci_dev *d = pci_find(&m, st.e[i].address);

			if (d && pci_driver_is_vfio(c->rootfd, d->driver) && d->iommu_group >= 0)
				groups[n_groups++] = d->iommu_group;
		}
		if (n_groups == 0)
			log_info("nothing to release: no claimed device in %s", STATE_FILE);
	}
	for (i = 0; i < (size_t)c->n_args; i++) {
		char addr[PCI_ADDR_MAX];
		struct pci_dev *d;

		if (!pci_address_normalise(c->args[i], addr, sizeof(addr))) {
			log_err("%s: not a PCI address (expected [DDDD:]BB:DD.F)", c->args[i]);
			r = EXIT_ERROR;
			continue;
		}
		d = pci_find(&m, addr);
		if (!d) {
			log_err("%s: no such PCI device", addr);
			r = EXIT_ERROR;
			continue;
		}
		if (!pci_driver_is_vfio(c->rootfd, d->driver) || d->iommu_group < 0) {
			log_info("%s: not on a VFIO driver, nothing to release", addr);
			continue;
		}
		groups[n_groups++] = d->iommu_group;
	}
	for (i = 0; i < n_groups; i++) {
		for (j = 0; j < i && groups[j] != groups[i]; j++)
			;
		if (j < i)
			continue;
		if (release_group(c, &m, groups[i], &st, mods) < 0)
			r = EXIT_ERROR;
	}
	if (st.n && (q = state_write(c->rootfd, &st)) < 0) {
		log_err("cannot update %s: %s", STATE_FILE, strerror(-q));
		r = EXIT_ERROR;
	}
out:
	modules_free(mods);
	free(groups);
	pci_machine_free(&m);
	state_free(&st);
	return r;
}
