/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Binding and unbinding a PCI device through sysfs, every write and wait with its deadline. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bind.h"
#include "deadline.h"
#include "lock.h"
#include "rootfs.h"

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
		/* A child stuck in the kernel must not keep the run's lock once we are gone. */
		lock_forget();
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

int bind_set_override(int rootfd, const struct pci_dev *d, const char *driver,
		      unsigned timeout_ms)
{
	char path[128];

	snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/driver_override", d->address);
	return sysfs_write_deadline(rootfd, path, driver, timeout_ms);
}

int bind_unbind(int rootfd, const struct pci_dev *d, const char *driver, unsigned timeout_ms)
{
	char path[128];

	snprintf(path, sizeof(path), "sys/bus/pci/drivers/%s/unbind", driver);
	return sysfs_write_deadline(rootfd, path, d->address, timeout_ms);
}

int bind_probe(int rootfd, const struct pci_dev *d, unsigned timeout_ms)
{
	return sysfs_write_deadline(rootfd, "sys/bus/pci/drivers_probe", d->address, timeout_ms);
}
