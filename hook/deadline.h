/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Time on the monotonic clock, for the deadlines of writes, waits and whole runs. */
#pragma once

/* Milliseconds on the monotonic clock. */
unsigned long long now_ms(void);

/* What is left of want milliseconds before end (monotonic ms): want, less, or 0. */
unsigned budget_until(unsigned long long end, unsigned want);
