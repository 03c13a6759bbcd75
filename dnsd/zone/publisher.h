/* SPDX-License-Identifier: BSD-3-Clause
 * publisher.h - how a catalog's state reaches the query path: the first
 * publication at start-up, the thread that turns source changes into
 * publications, and a reloaded catalog taking over from the old one. Every
 * snapshot goes to publish_global through publish_swap(). Locking: struct
 * catalog (catalog_impl.h). */
#ifndef DNSD_PUBLISHER_H
#define DNSD_PUBLISHER_H

#include <stddef.h>
#include <stdint.h>

#include "zone/catalog.h"

/* Publishes c's state as it is (zone files frozen, fed zones pending), once,
 * at start-up before any reader or source runs. Not counted by
 * catalog_publish_count(). Returns 0, or DNSD_ENOMEM with err. */
int publisher_publish_first(struct catalog *c, char *err, size_t errlen);

/* Starts the thread that waits for source changes, lets a burst of them land
 * (a few ms), freezes the changed feeds and publishes; nothing to do, and no
 * thread, when c has no feeds. Stop joins it; both accept a catalog whose
 * thread is already in that state. Owner's thread only. */
int publisher_start(struct catalog *c);
void publisher_stop(struct catalog *c);

/* Freezes what changed and publishes now, if anything did (tests). */
void publisher_flush(struct catalog *c);

/* Tells the sources about the catalog that replaces theirs: each feeds next
 * everything it holds (and whether it synced), then sends further changes
 * there (k8s_watch_set_catalog()). */
typedef void publisher_attach_fn(void *ctx, struct catalog *next);

/* Reload: next takes over from prev. prev stops publishing; attach(ctx,
 * next) hands the sources over; next freezes what they gave it, publishes
 * even if nothing changed, and starts its thread; prev is freed (the caller
 * frees prev's config after) and next's zone-file builders are dropped
 * (catalog_drop_file_builders()). Owner's thread only. Returns the
 * generation published, or 0 when none could be (out of memory, logged). */
uint64_t publisher_take_over(struct catalog *prev, struct catalog *next, publisher_attach_fn *attach,
			     void *ctx);

#endif
