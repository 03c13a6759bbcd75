/* SPDX-License-Identifier: BSD-3-Clause
 * publisher.c - the catalog's publisher: coalesces source changes, freezes
 * the dirty feeds (bumping their SOA serial) and publishes a snapshot of the
 * catalog. Never edits a published snapshot or reads a feed's builder
 * outside the catalog lock. */
#include "zone/publisher.h"

#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"
#include "util/thread_prio.h"
#include "zone/catalog_impl.h"
#include "zone/journal.h"
#include "zone/publish.h"
#include "zone/serial.h"

#define COALESCE_MS 5
/* Memory goes back once no publication came for this long ... */
#define SETTLE_MS 1000
/* ... and under changes that never settle, at most this often. */
#define TRIM_CHURN_MS 30000
/* What the arena cache keeps at least after a publication. */
#define CACHE_KEEP_MIN (16u * 1024 * 1024)

static int64_t now_unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Stamps the zones of s that no snapshot held before (no trigger yet) with
 * now and reason, for /status. They are not published yet: nobody else
 * reads them, and publish_swap() makes the writes visible to readers. */
static void stamp_new_zones(struct snapshot *s, const char *reason)
{
	int64_t now = now_unix_ms();
	for (size_t v = 0; v < s->view_count; v++)
		for (size_t i = 0; s->sets[v] && i < s->sets[v]->count; i++) {
			struct zone *z = s->sets[v]->zones[i];
			if (z->published_ms)
				continue;
			z->published_ms = now;
			if (!z->trigger[0])
				snprintf(z->trigger, sizeof(z->trigger), "%s", reason);
		}
}

/* The watch events this publication serves: each one's wait, from its
 * arrival to now, into its source's histogram. c->lock held. */
static void observe_events(struct catalog *c)
{
	if (!c->event_count)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	for (size_t i = 0; i < c->event_count; i++) {
		const struct catalog_event *e = &c->events[i];
		histogram_observe(e->h, now > e->arrival_ns ? (double)(now - e->arrival_ns) / 1e9 : 0);
	}
	c->event_count = 0;
}

int publisher_publish_first(struct catalog *c, char *err, size_t errlen)
{
	struct snapshot *s = catalog_snapshot(c, err, errlen);
	if (!s)
		return DNSD_ENOMEM;
	stamp_new_zones(s, "start");
	publish_lock();
	publish_swap(&publish_global, s);
	if (c->on_publish)
		c->on_publish(c->on_publish_ctx, s);
	publish_unlock();
	return 0;
}

/* "kubernetes mesh-1" (and ", mesh-2" ...) for the clusters in mask. */
static void trigger_of(const struct catalog *c, uint64_t mask, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "kubernetes");
	const char *sep = " ";
	for (unsigned i = 0; i < c->cluster_count && n < len; i++)
		if (mask & (1ull << i)) {
			n += (size_t)snprintf(buf + n, len - n, "%s%s", sep, c->cfg->kubernetes[i].name);
			sep = ", ";
		}
}

/* Freezes the dirty feeds whose clusters have all synced and that no
 * cluster holds mid-diff (catalog_hold: catalog_release() marks them again);
 * a feed that fails keeps its previous zone. True when any zone changed.
 * c->lock held. */
static bool freeze_dirty_feeds(struct catalog *c)
{
	bool is_changed = false;
	for (size_t i = 0; i < c->feed_count; i++) {
		struct catalog_feed *f = &c->feeds[i];
		if ((!f->is_dirty && !f->is_flag_dirty) || (f->clusters & ~c->synced) ||
		    (f->dirty_by & c->held))
			continue;
		/* only the stale mark changed: the same records, serial and journal */
		bool is_flag_only = !f->is_dirty && f->frozen;
		bool was_flag_dirty = f->is_flag_dirty;
		f->is_dirty = false;
		f->is_flag_dirty = false;
		if (!is_flag_only)
			f->serial = serial_next(f->serial, serial_clock_ms(), c->replica);
		zone_build_set_serial(f->builder, f->serial);
		char err[256];
		struct zone *z = zone_build_freeze(f->builder, err, sizeof(err));
		if (!z) {
			log_error("zone %s (view %s): %s; keeping the previous version", f->zone->cz->name,
				  c->views->views[f->view].name, err);
			continue;
		}
		if (f->dirty_by)
			trigger_of(c, f->dirty_by, z->trigger, sizeof(z->trigger));
		f->dirty_by = 0;
		/* IXFR: what this publication changed, after the history so far */
		const struct zone *prev = f->frozen ? f->frozen : f->inherited;
		if (is_flag_only) {
			z->journal = f->frozen->journal;
			if (z->journal)
				journal_ref(z->journal);
		} else if (prev && !prev->is_pending) {
			struct journal_diff *d = journal_diff_new(prev, z);
			/* records that net to nothing (an update that changes no record, a
			 * delete another cluster still provides): nothing is published, the
			 * serial stays, and secondaries get no empty IXFR */
			if (d && prev == f->frozen && !was_flag_dirty && d->added_count == 0 &&
			    d->removed_count == 0) {
				journal_diff_unref(d);
				zone_unref(z);
				f->serial = prev->serial;
				zone_build_set_serial(f->builder, f->serial);
				continue;
			}
			z->journal = journal_append(prev->journal, d, c->cfg->journal_size);
		}
		uint64_t stale = f->clusters & c->stale;
		if (stale) {
			z->is_stale = true;
			catalog_ede_text(c, stale, " down: saved state served", z);
		}
		zone_unref(f->inherited);
		f->inherited = NULL;
		zone_unref(f->frozen);
		f->frozen = z;
		is_changed = true;
	}
	if (c->is_pending_changed) {
		c->is_pending_changed = false;
		is_changed = true;
	}
	return is_changed;
}

/* Freezes what changed and publishes when a zone changed or is_forced
 * (reason: what zones new to this publication say triggered it, when the
 * feeds do not say it themselves). Returns the generation published, 0
 * when none was. c->lock held. */
static uint64_t publish_locked(struct catalog *c, bool is_forced, const char *reason)
{
	if (!c->is_dirty && !is_forced)
		return 0;
	c->is_dirty = false;
	uint64_t taken0 = arena_taken_bytes();
	if (!freeze_dirty_feeds(c) && !is_forced) {
		observe_events(c); /* nothing to publish: they are served as they are */
		return 0;
	}
	char err[256];
	struct snapshot *s = catalog_snapshot_locked(c, err, sizeof(err));
	if (!s) {
		log_error("publish: %s", err);
		return 0;
	}
	stamp_new_zones(s, reason);
	publish_lock();
	uint64_t generation = publish_swap(&publish_global, s);
	if (c->on_publish)
		c->on_publish(c->on_publish_ctx, s);
	publish_unlock();
	/* the replaced parts' chunks are cached now: keep twice what this
	 * freeze took (16 MiB at least) for the next ones; keeping only once
	 * that much left a third of the next freeze to fresh pages */
	size_t taken = (size_t)(arena_taken_bytes() - taken0);
	arena_cache_trim(taken * 2 > CACHE_KEEP_MIN ? taken * 2 : CACHE_KEEP_MIN);
	observe_events(c);
	/* read without the lock by /metrics */
	__atomic_store_n(&c->publications, c->publications + 1, __ATOMIC_RELAXED);
	return generation;
}

void publisher_flush(struct catalog *c)
{
	pthread_mutex_lock(&c->lock);
	publish_locked(c, false, "kubernetes");
	pthread_mutex_unlock(&c->lock);
}

static uint64_t now_ms(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Gives memory back once the changes have settled: no publication for
 * SETTLE_MS. glibc keeps what a thread freed in that thread's arena: a
 * relist, a burst of deletes or a replaced snapshot would otherwise leave
 * RSS at its high-water mark (issue #14: 47 MB instead of 10 MB after three
 * cycles of 20,000 entries added and deleted); the arena cache keeps the
 * chunks of the parts the last freezes replaced (util/arena.h). Not while
 * changes keep coming: trimming between them gave back the pages the next
 * freeze needed, and each publication faulted them in again (issue #14:
 * 2,830 page faults per publication at 100,000 entries, most of them from
 * the heap shrinking after each freeze). Under changes that never settle,
 * a malloc_trim() every TRIM_CHURN_MS still bounds what glibc keeps. True
 * when it trimmed after settling; c->lock held, and released while
 * trimming. */
static bool trim_if_due(struct catalog *c, uint64_t last_pub_ms, uint64_t *last_trim_ms)
{
	uint64_t now = now_ms(CLOCK_MONOTONIC);
	bool is_settled = now - last_pub_ms >= SETTLE_MS;
	if (!is_settled && now - *last_trim_ms < TRIM_CHURN_MS) {
		/* come back when it is due, unless a change wakes us first */
		uint64_t due = last_pub_ms + SETTLE_MS;
		if (due > *last_trim_ms + TRIM_CHURN_MS)
			due = *last_trim_ms + TRIM_CHURN_MS;
		uint64_t wake = now_ms(CLOCK_REALTIME) + (due - now);
		struct timespec ts = { (time_t)(wake / 1000u), (long)(wake % 1000u) * 1000000L };
		pthread_cond_timedwait(&c->cond, &c->lock, &ts);
		return false;
	}
	if (is_settled) {
		for (size_t i = 0; i < c->feed_count; i++) {
			if (c->feeds[i].builder)
				zone_build_release(c->feeds[i].builder);
			feed_items_release(&c->feeds[i].items);
			if (c->feeds[i].frozen)
				zone_release_tails(c->feeds[i].frozen);
		}
		for (size_t i = 0; i < c->zone_count; i++)
			if (c->zones[i].frozen)
				zone_release_tails(c->zones[i].frozen);
	}
	pthread_mutex_unlock(&c->lock);
	if (is_settled)
		arena_cache_release();
#ifdef __GLIBC__
	malloc_trim(0);
#endif
	pthread_mutex_lock(&c->lock);
	*last_trim_ms = now_ms(CLOCK_MONOTONIC);
	if (is_settled) { /* read without the lock by /metrics */
		__atomic_store_n(&c->settles, c->settles + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&c->settled_publications, c->publications, __ATOMIC_RELAXED);
	}
	return is_settled;
}

static void *publisher_main(void *arg)
{
	struct catalog *c = arg;
	thread_prio_background("dnsd-publisher");
	bool is_trim_due = false;
	uint64_t last_pub_ms = 0, last_trim_ms = now_ms(CLOCK_MONOTONIC);
	pthread_mutex_lock(&c->lock);
	while (!c->is_stopping) {
		if (!c->is_dirty) {
			if (is_trim_due)
				is_trim_due = !trim_if_due(c, last_pub_ms, &last_trim_ms);
			else
				pthread_cond_wait(&c->cond, &c->lock);
			continue;
		}
		/* let a burst of events (a relist, a kubectl apply of many
		 * objects) land before freezing: one publication for all */
		pthread_mutex_unlock(&c->lock);
		struct timespec ts = { 0, COALESCE_MS * 1000000L };
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&c->lock);
		if (publish_locked(c, false, "kubernetes")) {
			is_trim_due = true;
			last_pub_ms = now_ms(CLOCK_MONOTONIC);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int publisher_start(struct catalog *c)
{
	if (c->has_thread || c->feed_count == 0)
		return 0;
	c->is_stopping = false;
	if (pthread_create(&c->thread, NULL, publisher_main, c) != 0)
		return DNSD_EIO;
	c->has_thread = true;
	return 0;
}

void publisher_stop(struct catalog *c)
{
	if (!c->has_thread)
		return;
	pthread_mutex_lock(&c->lock);
	c->is_stopping = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->has_thread = false;
}

uint64_t publisher_take_over(struct catalog *prev, struct catalog *next, publisher_attach_fn *attach,
			     void *ctx)
{
	/* prev stops publishing first, so nothing of it replaces what next
	 * publishes below, which already has every zone the sources feed */
	publisher_stop(prev);
	catalog_inherit(next, prev);
	attach(ctx, next);
	/* the watch events prev had not published yet are served by next's
	 * first publication */
	catalog_move_events(next, prev);
	pthread_mutex_lock(&next->lock);
	/* every feed was built again from what the sources hold: the reload
	 * is what published them */
	for (size_t i = 0; i < next->feed_count; i++)
		next->feeds[i].dirty_by = 0;
	uint64_t generation = publish_locked(next, true, "reload");
	pthread_mutex_unlock(&next->lock);
	publisher_start(next);
	catalog_free(prev);
	catalog_drop_file_builders(next);
	/* prev's zones went to the arena cache: not kept for a next freeze */
	arena_cache_release();
	return generation;
}
