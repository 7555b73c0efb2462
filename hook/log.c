/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One-line messages prefixed "gpu-vfio: ", to stderr or to the kernel log. */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int kmsg_fd = -1;

void log_setup(int rootfd, bool kmsg)
{
	log_close();
	if (kmsg)
		kmsg_fd = openat(rootfd, "dev/kmsg", O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
}

void log_close(void)
{
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	kmsg_fd = -1;
}

void log_msg(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (kmsg_fd >= 0)
		n = snprintf(line, sizeof(line), "<%d>gpu-vfio: ", prio);
	else
		n = snprintf(line, sizeof(line), "gpu-vfio: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	/* One record per line: the kernel log splits on writes, not on newlines. */
	for (char *c = line + n; *c; c++)
		if (*c == '\n')
			*c = ' ';
	n = strlen(line);
	line[n++] = '\n';
	if (kmsg_fd < 0 || write(kmsg_fd, line, n) < 0)
		(void)!write(STDERR_FILENO, line, n);
}
