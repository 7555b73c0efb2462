/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one lock of the commands that write: /run/gpu-vfio/lock (flock). */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deadline.h"
#include "lock.h"
#include "log.h"
#include "rootfs.h"

static int lock_fd = -1;

/* Who holds the lock, as its holder wrote it ("PID COMMAND"), or "unknown". */
static void holder(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	if (n <= 0) {
		snprintf(buf, size, "unknown");
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int lock_take(int rootfd, const char *command, unsigned timeout_ms)
{
	unsigned long long end = now_ms() + timeout_ms;
	bool told = false;
	char who[128];
	int fd, r;

	(void)mkdirat(rootfd, "run", 0755);
	(void)mkdirat(rootfd, "run/gpu-vfio", 0755);
	fd = openat(rootfd, root_rel(LOCK_FILE), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
		    O_NOCTTY, 0644);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			r = -errno;
			close(fd);
			return r;
		}
		holder(fd, who, sizeof(who));
		if (now_ms() >= end) {
			log_err("%s is held by %s for more than %u s: not running %s", LOCK_FILE, who,
				timeout_ms / 1000, command);
			close(fd);
			return -EBUSY;
		}
		if (!told) {
			log_info("waiting for %s, held by %s", LOCK_FILE, who);
			told = true;
		}
		usleep(20 * 1000);
	}
	snprintf(who, sizeof(who), "pid %ld (gpu-vfio %s)\n", (long)getpid(), command);
	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, who, strlen(who), 0);
	lock_fd = fd;
	return 0;
}

void lock_release(void)
{
	if (lock_fd < 0)
		return;
	(void)!ftruncate(lock_fd, 0); /* the "who" text; the lock goes with the close */
	close(lock_fd);
	lock_fd = -1;
}

void lock_forget(void)
{
	if (lock_fd >= 0)
		close(lock_fd);
	lock_fd = -1;
}
