/* SPDX-License-Identifier: BSD-3-Clause
 * thread_prio.c - lowering a background thread's priority, see
 * thread_prio.h. On Linux, setpriority(PRIO_PROCESS, tid) changes one
 * thread, not the process; raising nice needs no privilege. */
#include "util/thread_prio.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/log.h"

static _Atomic int background_nice = 10;

void thread_prio_set_background_nice(int nice)
{
	atomic_store(&background_nice, nice < 0 ? 0 : nice > 19 ? 19 : nice);
}

int thread_prio_nice(void)
{
	errno = 0;
	int n = getpriority(PRIO_PROCESS, (id_t)gettid());
	return errno ? 0 : n;
}

void thread_prio_background(const char *name)
{
	/* for top -H, perf and ps: which thread is which */
	pthread_setname_np(pthread_self(), name);
	int add = atomic_load(&background_nice);
	if (add == 0)
		return;
#ifdef SCHED_BATCH
	/* mildly disfavoured at wake-up, for threads that run in bursts of
	 * work; keeps the nice value */
	struct sched_param sp = { 0 };
	if (sched_setscheduler((pid_t)gettid(), SCHED_BATCH, &sp) != 0)
		log_warn("%s thread: SCHED_BATCH refused: %s", name, strerror(errno));
#endif
	int nice = thread_prio_nice() + add;
	if (nice > 19)
		nice = 19;
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), nice) != 0)
		log_warn("%s thread: nice %d refused: %s; it competes with the query workers", name, nice,
			 strerror(errno));
}
