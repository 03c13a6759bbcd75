/* SPDX-License-Identifier: BSD-3-Clause
 * catalog.h - which zones each view serves and what feeds them. Loads the
 * zone files of a configuration into builders, freezes them and assembles a
 * snapshot (one zone set per view) ready for publish_swap(). A zone that no
 * view-specific source changes is frozen once and shared by every view. */
#ifndef DNSD_CATALOG_H
#define DNSD_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "zone/publish.h"

struct catalog;

/* Loads every zone file of cfg and checks it. NULL on failure with
 * "file:line: reason" in err; nothing is published then. The catalog keeps
 * a pointer to cfg, which must outlive it. */
struct catalog *catalog_new(const struct config *cfg, char *err, size_t errlen);
void catalog_free(struct catalog *c);
/* Frees the builders of the zone files once their zones are frozen and
 * published: a file-only zone needs only the frozen zone from then on (feeds
 * load builders of their own). Freeing 100k names' records takes a while,
 * so the caller does it after the server answers, not before. */
void catalog_drop_file_builders(struct catalog *c);

/* A new snapshot of the catalog's current state; the caller publishes or
 * frees it. NULL with err on failure. */
struct snapshot *catalog_snapshot(struct catalog *c, char *err, size_t errlen);

/* ---------- dynamic sources (Kubernetes clusters) ----------
 * Cluster i is cfg->kubernetes[i]. A source object (a ServiceEntry) turns
 * into records for one zone through a records function, called once to add
 * an object's records and once, with the same object, to remove them. */
typedef void catalog_emit_fn(void *emit_ctx, const uint8_t *owner, uint16_t type, uint32_t ttl_s,
			     const uint8_t *rdata, uint16_t rdlen);
typedef void catalog_records_fn(const void *item, const uint8_t *apex, uint32_t ttl_s,
				catalog_emit_fn *emit, void *emit_ctx);

/* Applies one change from cluster: old's records leave, new's arrive (either
 * may be NULL) in every (view, zone) the cluster feeds. Thread-safe; the
 * publisher thread coalesces changes and publishes. Returns how many records
 * were refused (invalid data), for the caller's skip counter. */
size_t catalog_apply(struct catalog *c, unsigned cluster, catalog_records_fn *fn, const void *old_item,
		     const void *new_item);
/* The cluster's first full list has been applied: zones it feeds may serve
 * (a zone serves once all its clusters are synced; until then SERVFAIL). */
void catalog_cluster_synced(struct catalog *c, unsigned cluster);
/* True when every cluster has synced; otherwise why lists the missing ones. */
bool catalog_is_ready(struct catalog *c, char *why, size_t why_len);
/* Starts / stops the thread that freezes changed zones and publishes. */
int catalog_publisher_start(struct catalog *c);
void catalog_publisher_stop(struct catalog *c);
/* Publishes now if anything changed (tests, and the start-up path). */
void catalog_publish_pending(struct catalog *c);
/* Freezes what changed and publishes a snapshot of this catalog even if
 * nothing did: how a reloaded catalog takes over. */
void catalog_publish(struct catalog *c);
/* Publications and the last one's freeze time, for metrics. */
uint64_t catalog_publish_count(const struct catalog *c);

/* Called with every snapshot the catalog publishes, right after the swap,
 * on the publishing thread (the publisher, or the reload): how NOTIFY learns
 * of changes. The snapshot is valid during the call. */
typedef void catalog_published_fn(void *ctx, const struct snapshot *s);
void catalog_set_publish_hook(struct catalog *c, catalog_published_fn *fn, void *ctx);

/* Reload: c takes over from old, which still publishes nothing new. Each
 * (view, zone) continues old's serial (never lower) and IXFR history. */
void catalog_inherit(struct catalog *c, struct catalog *old);

/* Totals for logs: zones and records across all views. */
size_t catalog_zone_count(const struct catalog *c);
size_t catalog_record_count(const struct catalog *c);

#endif
