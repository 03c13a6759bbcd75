/* SPDX-License-Identifier: BSD-3-Clause
 * process_stats.h - the standard process_* figures every Prometheus client
 * exports (client_golang's process collector): CPU time, resident and
 * virtual memory, open and maximum file descriptors, start time. Read from
 * /proc at scrape time; never on the query path. */
#ifndef DNSD_PROCESS_STATS_H
#define DNSD_PROCESS_STATS_H

#include <stdint.h>

struct process_stats {
	double cpu_seconds;       /* utime + stime, user and system CPU */
	uint64_t resident_bytes;  /* RSS */
	uint64_t virtual_bytes;   /* VSZ */
	double virtual_max_bytes; /* RLIMIT_AS soft limit; unlimited as 2^64 (client_golang) */
	uint64_t open_fds;        /* entries in /proc/self/fd, not counting the one reading it */
	uint64_t max_fds;         /* RLIMIT_NOFILE soft limit */
	double start_time_s;      /* seconds since the epoch, from btime + starttime */
};

/* Fills dest from /proc/self/stat, /proc/stat, /proc/self/fd and the
 * resource limits. Returns 0, or DNSD_EIO (/proc unreadable) or DNSD_EPARSE
 * with dest zeroed. Any thread. */
int process_stats_read(struct process_stats *dest);

/* The Prometheus families, for the metrics collector: name, type, help. The
 * help texts are client_golang's, so the same dashboards and rules work. */
struct process_stats_family {
	const char *name;
	const char *type; /* "counter" or "gauge" */
	const char *help;
};
extern const struct process_stats_family process_stats_families[7];
/* The value of family i (same order as process_stats_families). */
double process_stats_value(const struct process_stats *s, unsigned i);

#endif
