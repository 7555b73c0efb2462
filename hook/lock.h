/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one lock of the commands that write: /run/gpu-vfio/lock (flock), so that a boot claim,
 * the service, hotplug and release never act on the same devices at once. */
#pragma once

#define LOCK_FILE "/run/gpu-vfio/lock"
#define LOCK_TIMEOUT_MS 45000 /* longer than one claim run (30 s) and its restores */

/* Take the lock below rootfd, waiting up to timeout_ms; then it holds "PID COMMAND".
 * When the wait ends, logs who holds it and returns -EBUSY; other errors are -errno
 * (the lock file cannot be created: a read-only /run). */
int lock_take(int rootfd, const char *command, unsigned timeout_ms);

/* Release the lock. */
void lock_release(void);

/* In a forked child: close its copy of the lock, which stays held by the parent (a child
 * stuck in the kernel must not keep it once the parent is gone). */
void lock_forget(void);
