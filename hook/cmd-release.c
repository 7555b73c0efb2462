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

#include "bind.h"
#include "commands.h"
#include "journal.h"
#include "log.h"
#include "modules.h"
#include "pci.h"
#include "policy.h"
#include "rootfs.h"
#include "state.h"

#define MAX_NODES 64

/* The pid of a process that has one of nodes (absolute paths) open, or 0; *which is set to
 * the node. */
static long node_user(int rootfd, char nodes[][48], size_t n_nodes, const char **which)
{
	struct dirent *de;
	long found = 0;
	int dfd;
	DIR *proc;

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
			size_t k;

			if (n <= 0)
				continue;
			target[n] = '\0';
			for (k = 0; k < n_nodes && !found; k++)
				if (strcmp(target, nodes[k]) == 0) {
					found = pid;
					*which = nodes[k];
				}
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

/* The nodes a VM opens to use a group: /dev/vfio/GROUP (the group container) and, per
 * device, its iommufd cdev /dev/vfio/devices/vfioN (sysfs: DEVICE/vfio-dev/vfioN). */
static size_t group_nodes(int rootfd, const struct pci_machine *m, int group, char nodes[][48])
{
	size_t i, n = 0;

	snprintf(nodes[n++], 48, "/dev/vfio/%d", group);
	for (i = 0; i < m->n_devs && n < MAX_NODES; i++) {
		const struct pci_dev *d = &m->devs[i];
		struct dirent *de;
		char path[96];
		DIR *dir;
		int fd;

		if (d->iommu_group != group)
			continue;
		snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/vfio-dev", d->address);
		fd = openat(rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		dir = fdopendir(fd);
		if (!dir) {
			close(fd);
			continue;
		}
		while ((de = readdir(dir)) && n < MAX_NODES)
			if (strncmp(de->d_name, "vfio", 4) == 0 && strlen(de->d_name) < 24)
				snprintf(nodes[n++], 48, "/dev/vfio/devices/%.24s", de->d_name);
		closedir(dir);
	}
	return n;
}

static int release_group(const struct ctx *c, struct pci_machine *m, int group, struct state *st,
			 struct modules *mods)
{
	char nodes[MAX_NODES][48];
	const char *which = "";
	size_t i, n_nodes;
	int r = 0;
	long pid;

	n_nodes = group_nodes(c->rootfd, m, group, nodes);
	pid = node_user(c->rootfd, nodes, n_nodes, &which);
	if (pid) {
		log_err("IOMMU group %d: refusing to release, %s is open by pid %ld (a VM is using it)",
			group, which, pid);
		return -EBUSY;
	}
	/* Clear every override first, so nothing rebinds to vfio-pci in between. */
	for (i = 0; i < m->n_devs; i++) {
		struct pci_dev *d = &m->devs[i];
		struct state_entry *se = state_find(st, d->address);
		const char *prev = se && se->previous_override[0] &&
				   !pci_driver_is_vfio(c->rootfd, se->previous_override) ?
				   se->previous_override : "\n";

		if (d->iommu_group != group || !pci_driver_is_vfio(c->rootfd, d->driver))
			continue;
		if (bind_set_override(c->rootfd, d, prev, UNBIND_TIMEOUT_MS) < 0) {
			log_err("%s: cannot clear driver_override", d->address);
			r = -EIO;
		}
	}
	for (i = 0; i < m->n_devs; i++) {
		struct pci_dev *d = &m->devs[i];
		struct state_entry *se = state_find(st, d->address);
		const char *want = se && se->previous_driver[0] &&
				   !pci_driver_is_vfio(c->rootfd, se->previous_driver) ?
				   se->previous_driver : "";
		char vfio[DRIVER_MAX];
		bool would, back;
		int q;

		if (d->iommu_group != group || !pci_driver_is_vfio(c->rootfd, d->driver))
			continue;
		snprintf(vfio, sizeof(vfio), "%s", d->driver);
		q = bind_unbind(c->rootfd, d, vfio, UNBIND_TIMEOUT_MS);
		if (q < 0 || !wait_driver(c->rootfd, d, "", VERIFY_TIMEOUT_MS)) {
			log_err("%s: cannot unbind from %s: %s", d->address, vfio,
				q < 0 ? strerror(-q) : "still bound");
			r = -EIO;
			continue;
		}
		/* The native driver may not be loaded yet: claim ran before udev. */
		pci_read_details(c->rootfd, d);
		if (c->live && d->modalias[0] && modules_ensure(mods, d->modalias, &would) < 0)
			log_notice("%s: no native driver module loaded for %s", d->address, d->modalias);
		(void)bind_probe(c->rootfd, d, UNBIND_TIMEOUT_MS);
		if (want[0])
			back = wait_driver(c->rootfd, d, want, VERIFY_TIMEOUT_MS);
		else
			back = pci_refresh(c->rootfd, d) == 0 && !pci_driver_is_vfio(c->rootfd, d->driver);
		if (!back) {
			log_err("%s: released from %s but did not return to %s (driver now: %s)",
				d->address, vfio, want[0] ? want : "a host driver",
				d->driver[0] ? d->driver : "none");
			r = -EIO;
		} else {
			log_info("%s: released from %s, now %s%s", d->address, vfio,
				 d->driver[0] ? "on " : "unbound", d->driver);
		}
		if (se) {
			snprintf(se->action, sizeof(se->action), "released");
			se->driver[0] = '\0';
			se->taken = false;
			if (!back)
				snprintf(se->reason, sizeof(se->reason),
					 "released, but did not return to %s (driver: %s)",
					 want[0] ? want : "a host driver", d->driver[0] ? d->driver : "none");
		}
	}
	return r;
}

static char **addresses; /* release ADDRESS...: their groups only */
static int n_addresses;

static int release_parse(const struct ctx *c, const struct command_arg *opts, size_t n_opts,
			 char **args, int n_args)
{
	addresses = args;
	n_addresses = n_args;
	return 0;
}

/* Add group g to the set (no duplicates: the set is never larger than the devices). */
static void add_group(int *groups, size_t *n, int g)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (groups[i] == g)
			return;
	groups[(*n)++] = g;
}

static int release_run(struct ctx *c)
{
	struct state st = { 0 };
	struct modules *mods = NULL;
	struct pci_machine m;
	int *groups, r = EXIT_OK, q;
	size_t n_groups = 0, i;

	q = state_read(c->rootfd, &st);
	if (q < 0 && q != -ENOENT) {
		log_err("cannot read %s: %s", STATE_FILE,
			q == -EBADMSG ? "not a whole record (truncated?)" : strerror(-q));
		r = EXIT_ERROR;
	}
	/* A claim killed half-way left a journal: undo what it did first (even without a
	 * readable record: what the journal names was not recorded claimed). */
	if (journal_recover(c->rootfd, &st) != 0)
		r = EXIT_ERROR;
	if (r != EXIT_OK && q < 0 && q != -ENOENT && n_addresses == 0) {
		log_err("cannot tell which devices claim took: name the devices to release");
		state_free(&st);
		return EXIT_ERROR;
	}
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
	if (n_addresses == 0) {
		/* Everything claim took (recorded claimed) that is still on a VFIO driver; not
		 * what vfio-pci.ids= or an operator put there, nor what the policy keeps. */
		for (i = 0; i < st.n; i++) {
			struct pci_dev *d = pci_find(&m, st.e[i].address);

			if (d && strcmp(st.e[i].action, "claimed") == 0 && st.e[i].taken &&
			    pci_driver_is_vfio(c->rootfd, d->driver) && d->iommu_group >= 0)
				add_group(groups, &n_groups, d->iommu_group);
		}
		if (n_groups == 0)
			log_info("nothing to release: no claimed device in %s", STATE_FILE);
	}
	for (i = 0; i < (size_t)n_addresses; i++) {
		char addr[PCI_ADDR_MAX];
		struct pci_dev *d;

		if (!pci_address_normalise(addresses[i], addr, sizeof(addr))) {
			log_err("%s: not a PCI address (expected [DDDD:]BB:DD.F)", addresses[i]);
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
		add_group(groups, &n_groups, d->iommu_group);
	}
	for (i = 0; i < n_groups; i++)
		if (release_group(c, &m, groups[i], &st, mods) < 0)
			r = EXIT_ERROR;
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

const struct command command_release = {
	.name = "release",
	.help = "  release [ADDR...]   give claimed groups back to the host\n",
	.takes_args = true,
	.writes = true,
	.parse = release_parse,
	.run = release_run,
};
