/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The claimer: bind planned devices to their VFIO driver, group by group, and verify. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "claim.h"
#include "log.h"
#include "rootfs.h"

unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A write that may block in the kernel (unbind, drivers_probe) runs in a child, so a driver
 * that hangs in remove() cannot hang the boot: after timeout_ms the child is abandoned. */
int sysfs_write_deadline(int rootfd, const char *path, const char *value, unsigned timeout_ms)
{
	int pipefd[2], status, r;
	struct pollfd pfd;
	unsigned char err = 0;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		unsigned char e;

		close(pipefd[0]);
		r = root_write(rootfd, path, value);
		e = (unsigned char)(r < 0 ? -r : 0);
		(void)!write(pipefd[1], &e, 1);
		_exit(0);
	}
	close(pipefd[1]);
	pfd = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	do
		r = poll(&pfd, 1, (int)timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		/* Still writing: abandon it. A child stuck in the kernel stays a zombie until it
		 * returns; it holds nothing of ours. */
		kill(pid, SIGKILL);
		(void)waitpid(pid, &status, WNOHANG);
		close(pipefd[0]);
		return -ETIMEDOUT;
	}
	if (read(pipefd[0], &err, 1) != 1)
		err = EIO; /* the child died without answering */
	close(pipefd[0]);
	(void)waitpid(pid, &status, 0);
	return -(int)err;
}

bool wait_driver(int rootfd, struct pci_dev *d, const char *driver, unsigned timeout_ms)
{
	unsigned long long end = now_ms() + timeout_ms;

	for (;;) {
		if (pci_refresh(rootfd, d) < 0)
			return false;
		if (strcmp(d->driver, driver) == 0)
			return true;
		if (now_ms() >= end)
			return false;
		usleep(2000);
	}
}

struct group_dev {
	size_t idx;
	int group; /* the IOMMU group the scan saw */
	bool gone; /* vanished between the scan and the claim */
	char vfio_driver[DRIVER_MAX];
	char prev_driver[DRIVER_MAX];
	char prev_override[DRIVER_MAX];
	bool override_written;
};

struct run {
	int rootfd;
	struct pci_machine *m;
	const struct policy *p;
	struct plan *plan;
	struct modules *mods;
	const struct claim_opts *o;
	const struct group_dev *info; /* per device of m, as the scan saw it */
	unsigned long long deadline;
	char loaded[8][DRIVER_MAX]; /* modules already ensured this run */
	size_t n_loaded;
};

static unsigned budget(const struct run *run, unsigned want)
{
	unsigned long long now = now_ms();

	if (now >= run->deadline)
		return 0;
	return run->deadline - now < want ? (unsigned)(run->deadline - now) : want;
}

static int fail(struct run *run, struct group_dev *g, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void restore(struct run *run, struct group_dev *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct pci_dev *d = &run->m->devs[g[i].idx];
		char path[128];

		if (pci_refresh(run->rootfd, d) < 0)
			continue;
		if (d->driver[0] && strcmp(d->driver, g[i].prev_driver) != 0) {
			snprintf(path, sizeof(path), "sys/bus/pci/drivers/%s/unbind", d->driver);
			if (sysfs_write_deadline(run->rootfd, path, d->address, run->o->unbind_timeout_ms) < 0)
				log_warn("%s: cannot unbind from %s while restoring", d->address, d->driver);
		}
		if (g[i].override_written) {
			snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/driver_override", d->address);
			if (root_write(run->rootfd, path, g[i].prev_override[0] ? g[i].prev_override : "\n") < 0)
				log_warn("%s: cannot restore driver_override", d->address);
		}
	}
	/* Reprobe only after every override is back, so the group's devices return together. */
	for (i = 0; i < n; i++) {
		struct pci_dev *d = &run->m->devs[g[i].idx];

		if (!g[i].prev_driver[0] || pci_refresh(run->rootfd, d) < 0 || d->driver[0])
			continue;
		(void)sysfs_write_deadline(run->rootfd, "sys/bus/pci/drivers_probe", d->address,
					   run->o->unbind_timeout_ms);
		if (!wait_driver(run->rootfd, d, g[i].prev_driver, run->o->verify_timeout_ms))
			log_warn("%s: could not return it to %s (driver now: %s)", d->address,
				 g[i].prev_driver, d->driver[0] ? d->driver : "none");
	}
}

/* Mark the group failed and put it back as it was found. Returns -1 for the caller. */
static int fail(struct run *run, struct group_dev *g, size_t n, const char *fmt, ...)
{
	char reason[200];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	for (i = 0; i < n; i++) {
		struct plan_entry *e = &run->plan->e[g[i].idx];

		e->action = ACT_FAILED;
		snprintf(e->reason, sizeof(e->reason), "%s", reason);
		log_err("%s: claim failed, group restored (%s)", run->m->devs[g[i].idx].address,
			reason);
	}
	restore(run, g, n);
	return -1;
}

static int ensure_module(struct run *run, const char *name)
{
	bool would;
	size_t i;
	int r;

	for (i = 0; i < run->n_loaded; i++)
		if (strcmp(run->loaded[i], name) == 0)
			return 0;
	r = modules_ensure(run->mods, name, &would);
	if (r < 0)
		return r;
	if (would && !run->o->live)
		log_notice("would load module %s (not loading modules under --root)", name);
	else if (would)
		log_info("loaded module %s", name);
	if (run->n_loaded < sizeof(run->loaded) / sizeof(run->loaded[0]))
		snprintf(run->loaded[run->n_loaded++], DRIVER_MAX, "%s", name);
	return 0;
}

/* A device in the group's directory now that the scan did not see in it, or NULL. */
static const char *group_newcomer(struct run *run, int group, char *buf, size_t size)
{
	const char *found = NULL;
	struct dirent *de;
	char path[64];
	DIR *dir;
	int fd;

	snprintf(path, sizeof(path), "sys/kernel/iommu_groups/%d/devices", group);
	fd = openat(run->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL; /* the members' own links were checked */
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return NULL;
	}
	while (!found && (de = readdir(dir))) {
		const struct pci_dev *d;

		if (de->d_name[0] == '.')
			continue;
		d = pci_find(run->m, de->d_name);
		if (!d || run->info[d - run->m->devs].group != group) {
			snprintf(buf, size, "%.63s", de->d_name);
			found = buf;
		}
	}
	closedir(dir);
	return found;
}

static int claim_group(struct run *run, struct group_dev *g, size_t n)
{
	struct pci_machine *m = run->m;
	char path[128], other[64];
	size_t i;
	int r;

	/* 0. the group is still what the plan judged: devices come and go (hotplug, a
	 *    remove/rescan) and a group can change between the scan and now. */
	for (i = 0; i < n; i++) {
		struct pci_dev *d = &m->devs[g[i].idx];

		if (g[i].gone)
			return fail(run, g, n, "%s disappeared since the scan", d->address);
		if (d->iommu_group != g[i].group)
			return fail(run, g, n, "%s moved from IOMMU group %d to %d since the scan",
				    d->address, g[i].group, d->iommu_group);
	}
	if (group_newcomer(run, g[0].group, other, sizeof(other)))
		return fail(run, g, n, "IOMMU group %d changed since the scan: it now holds %s",
			    g[0].group, other);

	/* 1. driver_override on every device before anything is unbound or probed, so no
	 *    native driver can take a function back in between. */
	for (i = 0; i < n; i++) {
		struct pci_dev *d = &m->devs[g[i].idx];

		snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/driver_override", d->address);
		r = root_write(run->rootfd, path, g[i].vfio_driver);
		if (r < 0)
			return fail(run, g, n, "writing driver_override of %s: %s", d->address,
				    strerror(-r));
		g[i].override_written = true;
	}
	/* 2. unbind current drivers, each with its deadline. */
	for (i = 0; i < n; i++) {
		struct pci_dev *d = &m->devs[g[i].idx];
		unsigned t;

		if (!d->driver[0])
			continue;
		t = budget(run, run->o->unbind_timeout_ms);
		if (t == 0)
			return fail(run, g, n, "abandoned: the %u s run deadline passed",
				    run->o->run_timeout_ms / 1000);
		snprintf(path, sizeof(path), "sys/bus/pci/drivers/%s/unbind", d->driver);
		r = sysfs_write_deadline(run->rootfd, path, d->address, t);
		if (r == -ETIMEDOUT)
			return fail(run, g, n, "unbind of %s from %s abandoned after %u ms",
				    d->address, d->driver, t);
		if (r < 0)
			return fail(run, g, n, "unbind of %s from %s: %s", d->address, d->driver,
				    strerror(-r));
		if (!wait_driver(run->rootfd, d, "", budget(run, run->o->verify_timeout_ms)))
			return fail(run, g, n, "%s still bound to %s after unbind", d->address,
				    d->driver);
		log_info("%s: unbound from %s", d->address, g[i].prev_driver);
	}
	/* 3. the VFIO drivers; loading binds the overridden devices by itself. */
	for (i = 0; i < n; i++) {
		const char *mod = strcmp(g[i].vfio_driver, "vfio-pci") == 0 ? "vfio_pci" :
									    g[i].vfio_driver;

		r = ensure_module(run, mod);
		if (r < 0)
			return fail(run, g, n, "cannot load module %s: %s", mod, strerror(-r));
	}
	r = ensure_module(run, "vfio_iommu_type1");
	if (r < 0)
		log_warn("cannot load module vfio_iommu_type1: %s, ignoring", strerror(-r));
	/* 4. probe what is still unbound (the driver was already registered). */
	for (i = 0; i < n; i++) {
		struct pci_dev *d = &m->devs[g[i].idx];
		unsigned t;

		if (pci_refresh(run->rootfd, d) < 0)
			return fail(run, g, n, "%s disappeared", d->address);
		if (d->driver[0])
			continue;
		t = budget(run, run->o->unbind_timeout_ms);
		if (t == 0)
			return fail(run, g, n, "abandoned: the %u s run deadline passed",
				    run->o->run_timeout_ms / 1000);
		r = sysfs_write_deadline(run->rootfd, "sys/bus/pci/drivers_probe", d->address, t);
		if (r == -ETIMEDOUT)
			return fail(run, g, n, "probe of %s abandoned after %u ms", d->address, t);
		if (r < 0 && r != -ENODEV)
			log_warn("%s: drivers_probe: %s", d->address, strerror(-r));
	}
	/* 5. verify: every device of the group on its VFIO driver, or none is. */
	for (i = 0; i < n; i++) {
		struct pci_dev *d = &m->devs[g[i].idx];

		if (!wait_driver(run->rootfd, d, g[i].vfio_driver,
				 budget(run, run->o->verify_timeout_ms)))
			return fail(run, g, n, "%s did not bind to %s (driver: %s)", d->address,
				    g[i].vfio_driver, d->driver[0] ? d->driver : "none");
	}
	for (i = 0; i < n; i++) {
		struct plan_entry *e = &run->plan->e[g[i].idx];

		e->action = ACT_CLAIMED;
		log_info("%s: bound to %s%s%s", m->devs[g[i].idx].address, g[i].vfio_driver,
			 g[i].prev_driver[0] ? ", was " : "", g[i].prev_driver);
	}
	return 0;
}

void format_rule(const struct policy *p, ssize_t rule, char *buf, size_t size)
{
	if (rule < 0)
		buf[0] = '\0';
	else
		snprintf(buf, size, "%s:%u", p->rules[rule].file, p->rules[rule].line);
}

int claim_apply(int rootfd, struct pci_machine *m, const struct policy *p, struct plan *plan,
		struct modules *mods, const struct claim_opts *o, struct state *st)
{
	struct run run = {
		.rootfd = rootfd, .m = m, .p = p, .plan = plan, .mods = mods, .o = o,
		.deadline = now_ms() + o->run_timeout_ms,
	};
	struct group_dev *info, *g;
	size_t i, j, n;

	info = calloc(m->n_devs ? m->n_devs : 1, sizeof(*info));
	g = calloc(m->n_devs ? m->n_devs : 1, sizeof(*g));
	if (!info || !g) {
		free(info);
		free(g);
		return -ENOMEM;
	}
	for (i = 0; i < m->n_devs; i++) {
		struct pci_dev *d = &m->devs[i];

		info[i].idx = i;
		info[i].group = d->iommu_group;
		/* The scan skips driver_override; the devices to claim need it to be restored. */
		if (plan->e[i].action == ACT_CLAIM)
			info[i].gone = pci_refresh(rootfd, d) < 0;
		snprintf(info[i].prev_driver, DRIVER_MAX, "%s", d->driver);
		snprintf(info[i].prev_override, DRIVER_MAX, "%s", d->override);
		if (plan->e[i].action == ACT_CLAIM)
			snprintf(info[i].vfio_driver, DRIVER_MAX, "%s",
				 plan->e[i].vfio_driver[0] ? plan->e[i].vfio_driver : "vfio-pci");
	}

	run.info = info;
	for (i = 0; i < m->n_devs; i++) {
		int group = info[i].group;

		if (plan->e[i].action != ACT_CLAIM)
			continue;
		/* Collect the group's devices to bind; they are processed together. */
		for (n = 0, j = i; j < m->n_devs; j++)
			if (info[j].group == group && plan->e[j].action == ACT_CLAIM)
				g[n++] = info[j];
		if (budget(&run, 1) == 0) {
			for (j = 0; j < n; j++) {
				plan->e[g[j].idx].action = ACT_FAILED;
				snprintf(plan->e[g[j].idx].reason, sizeof(plan->e[0].reason),
					 "abandoned: the %u s run deadline passed", o->run_timeout_ms / 1000);
				log_err("%s: claim abandoned (the %u s run deadline passed)",
					m->devs[g[j].idx].address, o->run_timeout_ms / 1000);
			}
			continue;
		}
		(void)claim_group(&run, g, n);
	}

	for (i = 0; i < m->n_devs; i++) {
		const struct pci_dev *d = &m->devs[i];
		const struct plan_entry *e = &plan->e[i];
		struct state_entry se = { .iommu_group = d->iommu_group };
		const struct state_entry *old;

		if (!e->listed)
			continue;
		snprintf(se.address, sizeof(se.address), "%s", d->address);
		snprintf(se.vendor, sizeof(se.vendor), "%04x", d->vendor);
		snprintf(se.device, sizeof(se.device), "%04x", d->device);
		snprintf(se.action, sizeof(se.action), "%s", action_name(e->action));
		format_rule(p, e->rule, se.rule, sizeof(se.rule));
		if (e->via >= 0)
			snprintf(se.via, sizeof(se.via), "%s", m->devs[e->via].address);
		snprintf(se.reason, sizeof(se.reason), "%s", e->reason);
		old = state_find(st, d->address);
		if (e->action == ACT_CLAIMED) {
			(void)pci_refresh(rootfd, (struct pci_dev *)d);
			snprintf(se.driver, sizeof(se.driver), "%s", d->driver);
			if (strcmp(info[i].prev_driver, d->driver) != 0) {
				snprintf(se.previous_driver, DRIVER_MAX, "%s", info[i].prev_driver);
				snprintf(se.previous_override, DRIVER_MAX, "%s", info[i].prev_override);
			} else if (old) {
				/* Claimed by an earlier run: keep what that run found. */
				snprintf(se.previous_driver, DRIVER_MAX, "%s", old->previous_driver);
				snprintf(se.previous_override, DRIVER_MAX, "%s", old->previous_override);
			}
		}
		if (state_put(st, &se) < 0) {
			free(info);
			free(g);
			return -ENOMEM;
		}
	}
	free(info);
	free(g);
	return 0;
}
