/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Time on the monotonic clock, for the deadlines of writes, waits and whole runs. */
#define _GNU_SOURCE 1
#include <time.h>

#include "deadline.h"

unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

unsigned budget_until(unsigned long long end, unsigned want)
{
	unsigned long long now = now_ms();

	if (now >= end)
		return 0;
	return end - now < want ? (unsigned)(end - now) : want;
}
