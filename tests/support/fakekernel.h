/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Interface of the fake kernel that makes a test root built by mkroot.sh react like sysfs. */
#pragma once

#include <sys/types.h>

/*
 * Every list is a NULL-terminated array of strings; a NULL list means "none".
 *
 * hang_unbind   PCI addresses (DDDD:BB:DD.F). The unbind file of the driver each one is
 *               bound to at start is a FIFO that is never opened, so a writer's open()
 *               blocks forever. This hangs unbind for every device of that driver.
 *               Addresses listed in ROOT/.fake/hang-unbind are added to this list.
 * fail_probe    PCI addresses: a probe or bind of the device while its driver_override
 *               is set binds nothing.
 * fail_write    "ADDR:ATTR:ERRNO": make writes to a device attribute fail. ERRNO is
 *               EISDIR (the attribute becomes a directory), ENOENT (it is removed: an
 *               open() without O_CREAT fails) or ENXIO (it becomes a FIFO nobody reads:
 *               open(O_WRONLY|O_NONBLOCK) fails with ENXIO, a blocking open hangs) or
 *               EACCES (mode 0444: a writer without CAP_DAC_OVERRIDE is refused).
 * load_drivers  "NAME[:MODULE]": drivers to register at start, as if their module had
 *               just been loaded (sys/bus/pci/drivers/NAME, sys/module/MODULE).
 * log_path      event log, one line per action; NULL means ROOT/.fake/log.
 * kill_at       0, or N: after serving the Nth write to a device (a driver_override
 *               change, an unbind, a bind or a drivers_probe), send kill_sig (SIGKILL when
 *               0) to the pid in ROOT/.fake/kill-pid: the writer, killed half-way.
 */
struct fk_opts {
	const char *const *hang_unbind;
	const char *const *fail_probe;
	const char *const *fail_write;
	const char *const *load_drivers;
	const char *log_path;
	unsigned kill_at;
	int kill_sig;
};

/*
 * Serve ROOT in the calling process until SIGTERM or SIGINT. Writes one byte to
 * ready_fd (if >= 0) and creates ROOT/.fake/ready once every control file is a FIFO
 * being served. Returns 0 after a signal, or a negative errno on setup failure.
 */
int fakekernel_run(const char *root, const struct fk_opts *opts, int ready_fd);

/*
 * Fork a process that serves ROOT (opts may be NULL) and return once it is ready.
 * On success stores the child's pid in *ret_pid and returns 0; else a negative errno.
 */
int fakekernel_start(const char *root, const struct fk_opts *opts, pid_t *ret_pid);

/* Stop a fake kernel started by fakekernel_start(); 0, or a negative errno. */
int fakekernel_stop(pid_t pid);
