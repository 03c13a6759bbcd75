/* SPDX-License-Identifier: BSD-3-Clause
 * thread_prio.h - query workers first: the threads that follow Kubernetes,
 * build and publish zones and write saved state lower their own scheduling
 * priority (Linux per-thread nice, plus SCHED_BATCH) at start, so that on a
 * busy machine a query worker that wakes runs before them (issue #14:
 * churn p99 against idle). The amount is the config key background-nice. */
#ifndef DNSD_THREAD_PRIO_H
#define DNSD_THREAD_PRIO_H

/* What background threads started from now on add to their nice value
 * (0..19; 0 = the workers' priority, no change). Main thread. */
void thread_prio_set_background_nice(int nice);
/* The calling thread becomes a background thread named name (at most 15
 * characters: /proc/PID/task/TID/comm, top -H), logged by that name when
 * the kernel refuses. Any thread, once at its start. */
void thread_prio_background(const char *name);
/* The nice value the calling thread runs at. */
int thread_prio_nice(void);

#endif
