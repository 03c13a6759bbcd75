/* SPDX-License-Identifier: BSD-3-Clause
 * log.c - format a whole line first, then write(2) it once, so lines from
 * different threads never interleave; the limiter for lines others cause. */
#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static _Atomic int log_threshold = LOG_LEVEL_INFO;
static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level level) { atomic_store(&log_threshold, (int)level); }

void log_msg(enum log_level level, const char *fmt, ...)
{
	if ((int)level > atomic_load(&log_threshold))
		return;
	char line[2048];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line),
			 "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ dnsd[%d] %s: ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
			 (int)getpid(), level_names[level]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

bool log_limit_pass(struct log_limit *l, uint64_t *held)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	uint64_t now = (uint64_t)ts.tv_sec;
	uint64_t cur = atomic_load_explicit(&l->window, memory_order_relaxed);
	for (;;) {
		uint64_t next;
		if (cur >> 8 != now)
			next = now << 8 | 1;
		else if ((cur & 0xff) < LOG_LIMIT_LINES)
			next = cur + 1;
		else {
			atomic_fetch_add_explicit(&l->held, 1, memory_order_relaxed);
			return false;
		}
		if (atomic_compare_exchange_weak_explicit(&l->window, &cur, next, memory_order_relaxed,
							  memory_order_relaxed))
			break;
	}
	*held = atomic_exchange_explicit(&l->held, 0, memory_order_relaxed);
	return true;
}
