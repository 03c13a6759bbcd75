/* SPDX-License-Identifier: BSD-3-Clause
 * publish.c - snapshot lifetime and the epoch-based grace period. */
#include "zone/publish.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct publish publish_global;
static pthread_mutex_t publish_mutex = PTHREAD_MUTEX_INITIALIZER;

struct snapshot *snapshot_new(struct view_table *views, const struct snapshot_settings *settings)
{
	size_t n = views->count;
	struct snapshot *s = calloc(1, sizeof(*s) + n * sizeof(s->sets[0]));
	if (!s)
		return NULL;
	view_table_ref(views);
	s->views = views;
	s->settings = *settings;
	s->view_count = n;
	return s;
}

void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->view_count; i++)
		zone_set_free(s->sets[i]);
	view_table_unref(s->views);
	xfr_policy_unref(s->xfr);
	free(s);
}

struct snapshot *snapshot_copy(const struct snapshot *s)
{
	struct snapshot *c = snapshot_new(s->views, &s->settings);
	if (!c)
		return NULL;
	for (size_t i = 0; i < s->view_count; i++) {
		if (!s->sets[i])
			continue;
		c->sets[i] = zone_set_new(s->sets[i]->zones, s->sets[i]->count);
		if (!c->sets[i]) {
			snapshot_free(c);
			return NULL;
		}
	}
	return c;
}

void snapshot_set_zones(struct snapshot *s, size_t i, struct zone_set *set)
{
	zone_set_free(s->sets[i]);
	s->sets[i] = set;
}

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

uint64_t publish_swap(struct publish *p, struct snapshot *next)
{
	struct snapshot *prev = atomic_load(&p->current);
	next->generation = prev ? prev->generation + 1 : 1;
	/* an epoch of 0 means "idle", so the first epoch handed out is 1 */
	if (atomic_load(&p->epoch) == 0)
		atomic_store(&p->epoch, 1);
	atomic_store(&p->current, next);
	uint64_t epoch = atomic_fetch_add(&p->epoch, 1) + 1;
	/* grace period: every reader that may hold prev began before epoch */
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
	snapshot_free(prev);
	return next->generation;
}
