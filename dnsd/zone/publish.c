/* SPDX-License-Identifier: BSD-3-Clause
 * publish.c - the published pointer, reader slots and the epoch grace
 * period before a replaced snapshot is freed. Builds no snapshot itself. */
#include "zone/publish.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

struct publish publish_global;
static pthread_mutex_t publish_mutex = PTHREAD_MUTEX_INITIALIZER;

struct publish_reader *publish_reader_register(struct publish *p)
{
	for (size_t i = 0; i < PUBLISH_READERS_MAX; i++) {
		int expected = 0;
		if (atomic_compare_exchange_strong(&p->readers[i].is_used, &expected, 1)) {
			atomic_store(&p->readers[i].epoch, 0);
			return &p->readers[i];
		}
	}
	return NULL;
}

void publish_reader_unregister(struct publish_reader *r)
{
	if (!r)
		return;
	atomic_store(&r->epoch, 0);
	atomic_store(&r->is_used, 0);
}

void publish_lock(void) { pthread_mutex_lock(&publish_mutex); }
void publish_unlock(void) { pthread_mutex_unlock(&publish_mutex); }

struct snapshot *publish_current(struct publish *p) { return atomic_load(&p->current); }

/* Advances the epoch and returns once no reader is still in a read section
 * that began before: whatever a reader loaded then, it no longer holds. */
static void wait_for_readers(struct publish *p)
{
	uint64_t epoch = atomic_fetch_add(&p->epoch, 1) + 1;
	for (size_t i = 0; i < PUBLISH_READERS_MAX; i++) {
		struct publish_reader *r = &p->readers[i];
		if (!atomic_load(&r->is_used))
			continue;
		unsigned spins = 0;
		for (;;) {
			uint64_t e = atomic_load(&r->epoch);
			if (e == 0 || e >= epoch)
				break;
			if (++spins < 64) {
				sched_yield();
			} else {
				struct timespec ts = { 0, 50 * 1000 };
				nanosleep(&ts, NULL);
			}
		}
	}
}

/* Replaces the current pointer with next and returns the old one once no
 * reader can still hold it: every reader that may hold it began its read
 * section before the epoch advanced. */
static struct snapshot *exchange_and_wait(struct publish *p, struct snapshot *next)
{
	/* an epoch of 0 means "idle", so the first epoch handed out is 1 */
	if (atomic_load(&p->epoch) == 0)
		atomic_store(&p->epoch, 1);
	struct snapshot *prev = atomic_exchange(&p->current, next);
	wait_for_readers(p);
	return prev;
}

void publish_synchronize(struct publish *p)
{
	if (atomic_load(&p->epoch) == 0)
		atomic_store(&p->epoch, 1);
	wait_for_readers(p);
}

uint64_t publish_swap(struct publish *p, struct snapshot *next)
{
	struct snapshot *prev = atomic_load(&p->current);
	next->generation = prev ? prev->generation + 1 : 1;
	snapshot_free(exchange_and_wait(p, next));
	return next->generation;
}

void publish_clear(struct publish *p) { snapshot_free(exchange_and_wait(p, NULL)); }
