/* SPDX-License-Identifier: BSD-3-Clause
 * publish.h - the one current snapshot and its safe replacement while
 * workers read it: an epoch-based RCU of our own. Nothing else swaps,
 * clears or frees a published snapshot.
 *
 * Scheme: each reader (a worker thread) owns a slot; around the handling of
 * a batch of packets it stores the global epoch into its slot
 * (publish_read_begin) and clears it after (publish_read_end).
 * publish_swap() stores the new snapshot pointer, advances the epoch, then
 * waits until no slot holds an older epoch before freeing the old snapshot.
 * All four steps use sequentially consistent atomics, so a reader that the
 * writer saw idle must load the new pointer.
 * Why not liburcu QSBR (Knot's choice): QSBR needs a quiescent-state call
 * before each blocking poll, and libevent 2.1 has no hook around its epoll
 * wait (prepare/check watchers arrive in 2.2); marking read sections per batch
 * costs two uncontended stores, and keeps the static build free of liburcu.
 *
 * Threads: any number of readers, which never wait; writers are serialised
 * by publish_lock() (where it sits in the lock order: struct catalog in
 * catalog_impl.h). */
#ifndef DNSD_PUBLISH_H
#define DNSD_PUBLISH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "zone/snapshot.h"

#define PUBLISH_READERS_MAX 512

struct publish_reader {
	_Alignas(64) _Atomic uint64_t epoch; /* 0 = outside a read section */
	_Atomic int is_used;
};

/* Zero-initialised (a static) is empty: no snapshot, no readers. */
struct publish {
	_Atomic(struct snapshot *) current; /* owned */
	_Atomic uint64_t epoch;
	struct publish_reader readers[PUBLISH_READERS_MAX];
};

/* Global instance: the daemon has one. */
extern struct publish publish_global;

/* Registers the calling thread as a reader; NULL when all slots are taken. */
struct publish_reader *publish_reader_register(struct publish *p);
/* Frees the slot (ending any read section it was in); accepts NULL. */
void publish_reader_unregister(struct publish_reader *r);

/* Opens a read section and returns the current snapshot (NULL before the
 * first publish). Borrowed: valid until publish_read_end(). */
static inline const struct snapshot *publish_read_begin(struct publish *p, struct publish_reader *r)
{
	atomic_store(&r->epoch, atomic_load(&p->epoch));
	return atomic_load(&p->current);
}

static inline void publish_read_end(struct publish_reader *r)
{
	atomic_store_explicit(&r->epoch, 0, memory_order_release);
}

/* Serialises writers (the publisher, start-up, shutdown). */
void publish_lock(void);
void publish_unlock(void);

/* Makes next current (taking ownership), waits for readers of the old one,
 * frees it. Call with publish_lock() held. Returns the new generation. */
uint64_t publish_swap(struct publish *p, struct snapshot *next);

/* A grace period for anything else readers load inside a read section
 * (the server's rate limiter, server_set_rrl()): returns once every read
 * section open at the call has ended. Call with publish_lock() held. */
void publish_synchronize(struct publish *p);

/* Unpublishes the current snapshot, waits for its readers and frees it, so
 * that readers get NULL from then on (shutdown). Call with publish_lock()
 * held. */
void publish_clear(struct publish *p);

/* The current snapshot for a writer holding publish_lock(); borrowed until
 * it calls publish_swap() or publish_clear(). */
struct snapshot *publish_current(struct publish *p);

#endif
