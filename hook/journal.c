/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The claim journal: intent before the first write, so an interrupted claim can be undone. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deadline.h"
#include "journal.h"
#include "log.h"
#include "pci.h"
#include "restore.h"
#include "rootfs.h"

/* Bounds of the undo: like one claim run's restore. */
#define UNDO_WRITE_MS 5000
#define UNDO_VERIFY_MS 2000
#define UNDO_RUN_MS 20000

/* 1 with the journal in *j, 0 when there is none (*j empty), or -errno. */
static int journal_read(int rootfd, struct state *j)
{
	int r = state_read_file(rootfd, JOURNAL_FILE, j);

	if (r == -EBADMSG)
		log_err("%s is not a whole record (truncated?): cannot tell what an interrupted claim did; check the devices with gpu-vfio status",
			JOURNAL_FILE);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : 1;
}

static int journal_store(int rootfd, const struct state *j)
{
	if (j->n)
		return state_write_file(rootfd, JOURNAL_FILE, j);
	if (unlinkat(rootfd, root_rel(JOURNAL_FILE), 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int journal_begin(int rootfd, const struct state *intent)
{
	struct state j = { 0 };
	size_t i;
	int r;

	r = journal_read(rootfd, &j);
	if (r < 0 && r != -EBADMSG)
		return r;
	for (i = 0; i < intent->n; i++) {
		const struct state_entry *old = state_find(&j, intent->e[i].address);
		struct state_entry e = intent->e[i];

		/* An entry left by a run that could not undo it knows the real previous one. */
		if (old) {
			snprintf(e.previous_driver, DRIVER_MAX, "%s", old->previous_driver);
			snprintf(e.previous_override, DRIVER_MAX, "%s", old->previous_override);
		}
		if (state_put(&j, &e) < 0) {
			state_free(&j);
			return -ENOMEM;
		}
	}
	r = journal_store(rootfd, &j);
	state_free(&j);
	return r;
}

/* Is the device of journal entry je settled? Refreshes d. Gone counts as settled. */
static bool settled(int rootfd, const struct state_entry *je, struct pci_dev *d,
		    const struct state *st)
{
	const struct state_entry *se = state_find(st, je->address);

	if (pci_refresh(rootfd, d) < 0)
		return true;
	if (d->driver[0] && pci_driver_is_vfio(rootfd, d->driver) && se &&
	    strcmp(se->action, "claimed") == 0 && strcmp(d->override, d->driver) == 0)
		return true;
	return strcmp(d->driver, je->previous_driver) == 0 &&
	       strcmp(d->override, je->previous_override) == 0;
}

static void dev_of(struct pci_dev *d, const char *address)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->address, sizeof(d->address), "%s", address);
	d->iommu_group = -1;
}

/* Drop the entries of J that ST or the device's own state show settled; store the rest. */
static int journal_prune(int rootfd, struct state *j, const struct state *st)
{
	size_t i;

	for (i = 0; i < j->n;) {
		struct pci_dev d;

		dev_of(&d, j->e[i].address);
		if (settled(rootfd, &j->e[i], &d, st))
			(void)state_remove(j, j->e[i].address);
		else
			i++;
	}
	return journal_store(rootfd, j);
}

int journal_settle(int rootfd, const struct state *st)
{
	struct state j = { 0 };
	int r;

	r = journal_read(rootfd, &j);
	if (r <= 0)
		return r;
	r = journal_prune(rootfd, &j, st);
	if (r == 0)
		r = (int)j.n;
	state_free(&j);
	return r;
}

int journal_recover(int rootfd, struct state *st)
{
	struct restore_dev *rd = NULL;
	struct pci_dev *devs = NULL;
	struct state j = { 0 };
	size_t i, n = 0, bad;
	int r;

	r = journal_read(rootfd, &j);
	if (r <= 0)
		return r;
	rd = calloc(j.n ? j.n : 1, sizeof(*rd));
	devs = calloc(j.n ? j.n : 1, sizeof(*devs));
	if (!rd || !devs) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < j.n; i++) {
		struct pci_dev *d = &devs[n];

		dev_of(d, j.e[i].address);
		if (settled(rootfd, &j.e[i], d, st))
			continue;
		log_warn("%s: an interrupted claim left it on %s with driver_override %s: putting it back on %s",
			 d->address, d->driver[0] ? d->driver : "no driver",
			 d->override[0] ? d->override : "(null)",
			 j.e[i].previous_driver[0] ? j.e[i].previous_driver : "no driver");
		rd[n].d = d;
		snprintf(rd[n].prev_driver, DRIVER_MAX, "%s", j.e[i].previous_driver);
		snprintf(rd[n].prev_override, DRIVER_MAX, "%s", j.e[i].previous_override);
		rd[n].override_written = true; /* it may have been: write it back in any case */
		n++;
	}
	/* Everything left at once: overrides before probes keeps each group together. */
	bad = n ? restore_devices(rootfd, rd, n, UNDO_WRITE_MS, UNDO_VERIFY_MS,
				  now_ms() + UNDO_RUN_MS) : 0;
	for (i = 0; i < n; i++) {
		struct state_entry *se = state_find(st, rd[i].d->address);
		const struct state_entry *je = state_find(&j, rd[i].d->address);
		struct state_entry e;

		if (!rd[i].restored) {
			log_err("%s: could not undo the interrupted claim: %s (kept in %s)",
				rd[i].d->address, rd[i].note, JOURNAL_FILE);
			continue;
		}
		log_info("%s: interrupted claim undone, back on %s", rd[i].d->address,
			 rd[i].prev_driver[0] ? rd[i].prev_driver : "no driver");
		if (se)
			e = *se;
		else
			e = *je;
		snprintf(e.action, sizeof(e.action), "released");
		e.driver[0] = '\0';
		e.taken = false;
		snprintf(e.previous_driver, DRIVER_MAX, "%s", je->previous_driver);
		snprintf(e.previous_override, DRIVER_MAX, "%s", je->previous_override);
		snprintf(e.reason, sizeof(e.reason), "an interrupted claim was undone");
		if (state_put(st, &e) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	/* Keep only what is still not settled (gone or undone devices are done with). */
	r = journal_prune(rootfd, &j, st);
	if (r == 0)
		r = (int)bad;
out:
	free(rd);
	free(devs);
	state_free(&j);
	return r;
}
