/* SPDX-License-Identifier: BSD-3-Clause
 * publish.h - the one current snapshot (views + one zone set per view) and
 * its safe replacement while workers read it.
 *
 * Scheme: an epoch-based RCU of our own, ~100 lines. Each reader (a worker
 * thread) owns a slot; around the handling of a batch of packets it stores
 * the global epoch into its slot (publish_read_begin) and clears it after
 * (publish_read_end). publish_swap() exchanges the snapshot pointer, advances
 * the epoch, then waits until no slot holds an older epoch before freeing the
 * old snapshot. All four steps use sequentially consistent atomics, so a
 * reader that the writer saw idle must load the new pointer.
 * Why not liburcu QSBR (Knot's choice): QSBR needs a quiescent-state call
 * before each blocking poll, and libevent 2.1 has no hook around its epoll
 * wait (prepare/check watchers arrive in 2.2); marking read sections per batch
 * costs two uncontended stores, and keeps the static build free of liburcu.
 *
 * Threads: any number of readers; writers are serialised by publish_lock(). */
#ifndef DNSD_PUBLISH_H
#define DNSD_PUBLISH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "zone/view.h"
#include "zone/xfr_policy.h"
#include "zone/zone.h"

#define PUBLISH_READERS_MAX 512

/* Query-path settings that change with a reload travel with the snapshot. */
struct snapshot_settings {
	uint16_t udp_payload_max;
	bool is_chaos_enabled;
	bool is_query_log;
};

struct snapshot {
	struct view_table *views;      /* one reference held */
	struct xfr_policy *xfr;        /* transfer access and keys (xfr_policy.h); one reference, or NULL */
	struct snapshot_settings settings;
	uint64_t generation;           /* bumped on every publish */
	size_t view_count;
	struct zone_set *sets[];       /* one per view; owned */
};

/* A new snapshot with empty zone sets; takes a reference to views. */
struct snapshot *snapshot_new(struct view_table *views, const struct snapshot_settings *settings);
void snapshot_free(struct snapshot *s);
/* A copy sharing views and every zone (references taken), used to replace
 * one view's zone set. */
struct snapshot *snapshot_copy(const struct snapshot *s);
/* Replaces set i (frees the old one). */
void snapshot_set_zones(struct snapshot *s, size_t i, struct zone_set *set);

struct publish_reader {
	_Alignas(64) _Atomic uint64_t epoch;   /* 0 = outside a read section */
	_Atomic int is_used;
};

struct publish {
	_Atomic(struct snapshot *) current;
	_Atomic uint64_t epoch;
	struct publish_reader readers[PUBLISH_READERS_MAX];
};

/* Global instance: the daemon has one. */
extern struct publish publish_global;

/* Registers the calling thread as a reader; NULL when all slots are taken. */
struct publish_reader *publish_reader_register(struct publish *p);
void publish_reader_unregister(struct publish_reader *r);

/* Opens a read section and returns the current snapshot (may be NULL before
 * the first publish). Valid until publish_read_end(). */
static inline const struct snapshot *publish_read_begin(struct publish *p, struct publish_reader *r)
{
	atomic_store(&r->epoch, atomic_load(&p->epoch));
	return atomic_load(&p->current);
}

static inline void publish_read_end(struct publish_reader *r)
{
	atomic_store_explicit(&r->epoch, 0, memory_order_release);
}

/* Serialises writers (Kubernetes sources, reload). */
void publish_lock(void);
void publish_unlock(void);

/* Makes next current (taking ownership), waits for readers of the old one,
 * frees it. Call with publish_lock() held. Returns the new generation. */
uint64_t publish_swap(struct publish *p, struct snapshot *next);

/* The current snapshot for a writer holding publish_lock(); borrowed. */
struct snapshot *publish_current(struct publish *p);

#endif
