/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One-line messages prefixed "gpu-vfio: ", to stderr or to the kernel log. */
#pragma once

#include <stdbool.h>

enum { LOG_ERR = 3, LOG_WARNING = 4, LOG_NOTICE = 5, LOG_INFO = 6 };

/* With kmsg, messages go to dev/kmsg below rootfd (stderr if that cannot be opened). */
void log_setup(int rootfd, bool kmsg);
void log_close(void);

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
