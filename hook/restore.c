/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Putting devices of a group back as they were found. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bind.h"
#include "deadline.h"
#include "restore.h"

static void note(struct restore_dev *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct restore_dev *g, const char *fmt, ...)
{
	va_list ap;

	if (g->note[0])
		return; /* the first problem is the one to tell */
	va_start(ap, fmt);
	vsnprintf(g->note, sizeof(g->note), fmt, ap);
	va_end(ap);
}

size_t restore_devices(int rootfd, struct restore_dev *g, size_t n, unsigned write_ms,
		       unsigned verify_ms, unsigned long long end)
{
	size_t i, bad = 0;
	unsigned t;
	int r;

	for (i = 0; i < n; i++) {
		g[i].restored = false;
		g[i].note[0] = '\0';
	}
	/* Overrides first: clearing one does not unbind, and if an unbind then hangs, no
	 * device is left to bind to the VFIO driver again by the next probe. */
	for (i = 0; i < n; i++) {
		struct pci_dev *d = g[i].d;
		const char *prev;

		if (pci_refresh(rootfd, d) < 0) {
			g[i].gone = true;
			continue;
		}
		if (!g[i].override_written)
			continue;
		/* Every write is bounded by what is left until end; none is tried after it. */
		prev = g[i].prev_override[0] ? g[i].prev_override : "\n";
		t = budget_until(end, write_ms);
		r = t ? bind_set_override(rootfd, d, prev, t) : -ETIMEDOUT;
		if (r < 0)
			note(&g[i], "restoring driver_override: %s",
			     r == -ETIMEDOUT ? "abandoned at the run deadline" : strerror(-r));
	}
	for (i = 0; i < n; i++) {
		struct pci_dev *d = g[i].d;

		if (g[i].gone || pci_refresh(rootfd, d) < 0)
			continue;
		if (d->driver[0] && strcmp(d->driver, g[i].prev_driver) != 0) {
			t = budget_until(end, write_ms);
			r = t ? bind_unbind(rootfd, d, d->driver, t) : -ETIMEDOUT;
			if (r < 0)
				note(&g[i], "unbind from %s: %s", d->driver,
				     r == -ETIMEDOUT ? "abandoned at the run deadline" : strerror(-r));
			/* The reprobe below skips a device still bound: wait for the unbind. */
			else if (!wait_driver(rootfd, d, "", budget_until(end, verify_ms)))
				note(&g[i], "still bound to %s after unbind", d->driver);
		}
	}
	/* Reprobe only after every override is back, so the group's devices return together. */
	for (i = 0; i < n; i++) {
		struct pci_dev *d = g[i].d;

		if (g[i].gone || !g[i].prev_driver[0] || pci_refresh(rootfd, d) < 0 || d->driver[0])
			continue;
		t = budget_until(end, write_ms);
		r = t ? bind_probe(rootfd, d, t) : -ETIMEDOUT;
		if (r == -ETIMEDOUT)
			note(&g[i], "probe abandoned at the run deadline");
	}
	/* Restored means: on the driver it was found on, with the override it was found with. */
	for (i = 0; i < n; i++) {
		struct pci_dev *d = g[i].d;
		bool on = g[i].gone || wait_driver(rootfd, d, g[i].prev_driver,
						   g[i].prev_driver[0] ? budget_until(end, verify_ms) : 0);

		if (!g[i].gone && pci_refresh(rootfd, d) < 0)
			g[i].gone = on = true;
		if (g[i].gone) {
			g[i].restored = true;
			continue;
		}
		if (on && strcmp(d->override, g[i].prev_override) == 0) {
			g[i].restored = true;
			continue;
		}
		note(&g[i], "left on %s with driver_override %s, not on %s",
		     d->driver[0] ? d->driver : "no driver", d->override[0] ? d->override : "(null)",
		     g[i].prev_driver[0] ? g[i].prev_driver : "no driver");
		bad++;
	}
	return bad;
}
