/* SPDX-License-Identifier: BSD-3-Clause
 * publisher.c - the catalog's publisher: coalesces source changes, freezes
 * the dirty feeds (bumping their SOA serial) and publishes a snapshot of the
 * catalog. Never edits a published snapshot or reads a feed's builder
 * outside the catalog lock. */
#include "zone/publisher.h"

#include <time.h>

#include "util/err.h"
#include "util/log.h"
#include "zone/catalog_impl.h"
#include "zone/publish.h"

#define COALESCE_MS 5

int publisher_publish_first(struct catalog *c, char *err, size_t errlen)
{
	struct snapshot *s = catalog_snapshot(c, err, errlen);
	if (!s)
		return DNSD_ENOMEM;
	publish_lock();
	publish_swap(&publish_global, s);
	publish_unlock();
	return 0;
}

/* Freezes the dirty feeds whose clusters have all synced; a feed that fails
 * keeps its previous zone. True when any zone changed. c->lock held. */
static bool freeze_dirty_feeds(struct catalog *c)
{
	bool is_changed = false;
	for (size_t i = 0; i < c->feed_count; i++) {
		struct catalog_feed *f = &c->feeds[i];
		if (!f->is_dirty || (f->clusters & ~c->synced))
			continue;
		f->is_dirty = false;
		/* RFC 1982 serial arithmetic: +1 wraps harmlessly */
		f->serial++;
		zone_build_set_serial(f->builder, f->serial);
		char err[256];
		struct zone *z = zone_build_freeze(f->builder, err, sizeof(err));
		if (!z) {
			log_error("zone %s (view %s): %s; keeping the previous version", f->zone->cz->name,
				  c->views->views[f->view].name, err);
			continue;
		}
		zone_unref(f->frozen);
		f->frozen = z;
		is_changed = true;
	}
	return is_changed;
}

/* Freezes what changed and publishes when a zone changed or is_forced.
 * Returns the generation published, 0 when none was. c->lock held. */
static uint64_t publish_locked(struct catalog *c, bool is_forced)
{
	if (!c->is_dirty && !is_forced)
		return 0;
	c->is_dirty = false;
	if (!freeze_dirty_feeds(c) && !is_forced)
		return 0;
	char err[256];
	struct snapshot *s = catalog_snapshot_locked(c, err, sizeof(err));
	if (!s) {
		log_error("publish: %s", err);
		return 0;
	}
	publish_lock();
	uint64_t generation = publish_swap(&publish_global, s);
	publish_unlock();
	/* read without the lock by /metrics */
	__atomic_store_n(&c->publications, c->publications + 1, __ATOMIC_RELAXED);
	return generation;
}

void publisher_flush(struct catalog *c)
{
	pthread_mutex_lock(&c->lock);
	publish_locked(c, false);
	pthread_mutex_unlock(&c->lock);
}

static void *publisher_main(void *arg)
{
	struct catalog *c = arg;
	pthread_mutex_lock(&c->lock);
	while (!c->is_stopping) {
		if (!c->is_dirty) {
			pthread_cond_wait(&c->cond, &c->lock);
			continue;
		}
		/* let a burst of events (a relist, a kubectl apply of many
		 * objects) land before freezing: one publication for all */
		pthread_mutex_unlock(&c->lock);
		struct timespec ts = { 0, COALESCE_MS * 1000000L };
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&c->lock);
		publish_locked(c, false);
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
	attach(ctx, next);
	pthread_mutex_lock(&next->lock);
	uint64_t generation = publish_locked(next, true);
	pthread_mutex_unlock(&next->lock);
	publisher_start(next);
	catalog_free(prev);
	catalog_drop_file_builders(next);
	return generation;
}
