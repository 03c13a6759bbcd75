/* SPDX-License-Identifier: BSD-3-Clause
 * catalog.h - which zones each view serves and what feeds them: a
 * configuration's zones (loaded from their files and frozen once, shared by
 * every view) and the (view, zone) feeds that Kubernetes clusters change.
 * Publishing its state is publisher.h's job; the locks and their order are
 * described on struct catalog (catalog_impl.h). */
#ifndef DNSD_CATALOG_H
#define DNSD_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "zone/snapshot.h"

struct catalog;

/* Loads every zone file of cfg and checks it. NULL on failure with
 * "file:line: reason" in err; nothing is published then. The catalog keeps
 * a pointer to cfg, which must outlive it. */
struct catalog *catalog_new(const struct config *cfg, char *err, size_t errlen);
/* Stops its publisher (publisher.h) and frees it; accepts NULL. */
void catalog_free(struct catalog *c);
/* Frees the builders of the zone files once their zones are frozen and
 * published: a file-only zone needs only the frozen zone from then on (feeds
 * load builders of their own). Freeing 100k names' records takes a while,
 * so the caller does it after the server answers, not before. Owner's
 * thread only. */
void catalog_drop_file_builders(struct catalog *c);

/* A new snapshot of the catalog's current state; the caller publishes or
 * frees it. NULL with err on failure. */
struct snapshot *catalog_snapshot(struct catalog *c, char *err, size_t errlen);

/* ---------- dynamic sources (Kubernetes clusters) ----------
 * Cluster i is cfg->kubernetes[i]. A source object (a ServiceEntry) turns
 * into records for one zone through a records function. The catalog keeps
 * a pointer to every object applied and calls the function whenever it
 * renders the object's part of a zone (on the publisher's thread, under its
 * lock), until the object is applied as old: so an object must not change,
 * nor be freed, between being applied as new and as old (catalog_move()
 * when it moves). */
typedef void catalog_emit_fn(void *emit_ctx, const uint8_t *owner, uint16_t type, uint32_t ttl_s,
			     const uint8_t *rdata, uint16_t rdlen);
typedef void catalog_records_fn(const void *item, const uint8_t *apex, uint32_t ttl_s, catalog_emit_fn *emit,
				void *emit_ctx);

/* Applies one change from cluster: old's records leave, new's arrive (either
 * may be NULL) in every (view, zone) the cluster feeds, and wakes the
 * publisher. Any thread. Returns how many records were refused (invalid
 * data), for the caller's skip counter. */
size_t catalog_apply(struct catalog *c, unsigned cluster, catalog_records_fn *fn, const void *old_item,
		     const void *new_item);
/* The object from moved to to (a compaction copied it; the same records):
 * the catalog reads to from now on. Call before from is freed; any thread. */
void catalog_move(struct catalog *c, unsigned cluster, const void *from, const void *to);
/* A watch event that arrived at arrival_ns (CLOCK_MONOTONIC) was applied:
 * once the publication that contains it is out, the time from arrival to
 * publication is observed into h (which must outlive the catalog: the
 * source's). Any thread. */
struct histogram;
void catalog_note_event(struct catalog *c, uint64_t arrival_ns, struct histogram *h);
/* The cluster's first full list has been applied: zones it feeds may serve
 * (a zone serves once all its clusters are synced; until then SERVFAIL). */
void catalog_cluster_synced(struct catalog *c, unsigned cluster);
/* A source about to apply changes that only make sense together (a
 * relist's diff: new entries first, deletions after) holds its cluster:
 * feeds it has dirtied are not frozen until it releases, so no snapshot
 * holds half of the diff. Held only while applying, not while fetching.
 * Any thread; catalog_release() wakes the publisher. */
void catalog_hold(struct catalog *c, unsigned cluster);
void catalog_release(struct catalog *c, unsigned cluster);
/* The cluster serves entries restored from its saved state (is_stale), or
 * no longer does: the zones it feeds are refrozen, marked stale or not,
 * and their answers carry the Extended DNS Error Stale Answer (RFC 8914
 * §4.4) while stale. Any thread. */
void catalog_cluster_stale(struct catalog *c, unsigned cluster, bool is_stale);
/* True when every cluster has synced and every feed is built; otherwise why
 * says what is missing. Any thread. */
bool catalog_is_ready(struct catalog *c, char *why, size_t why_len);
/* Snapshots its publisher published after source changes or a take-over
 * (not the first one at start-up), for metrics. Any thread. */
uint64_t catalog_publish_count(const struct catalog *c);
struct metrics_out;
/* dnsd_publications_total and the Kubernetes feeds' zone builders' memory
 * (dnsd_zone_builder_bytes{state="in_use"|"mapped"}). */
void catalog_collect_metrics(struct catalog *c, struct metrics_out *m);

/* The apexes (wire form) of the zones cluster feeds, each once: up to cap
 * into apexes (pointers valid while the catalog lives). Returns how many. */
size_t catalog_cluster_zones(const struct catalog *c, unsigned cluster, const uint8_t **apexes, size_t cap);

/* ---------- /names ---------- */

/* The zone entry serving apex in view (index into the catalog's views): the
 * clusters that feed it there (bit i = cluster i) and its TTL for generated
 * records. False when no entry of the catalog does. Any thread: reads only
 * what catalog_new() set. */
bool catalog_explain_zone(const struct catalog *c, size_t view, const uint8_t *apex, uint64_t *clusters,
			  uint32_t *ttl_s);
/* Writes, into the JSON array w has open, the non-Kubernetes sources of a
 * record served in (view, apex): {"kind": "file", "file", "line"} per zone
 * file line holding it, {"kind": "nameservers", "file", "line"} when it is
 * the apex NS, SOA or glue dnsd made from the zone's nameservers:, or
 * {"kind": "synthesized", "why"} when dnsd made it up. */
struct jsonw;
void catalog_explain_record(const struct catalog *c, size_t view, const uint8_t *apex, const uint8_t *owner,
			    uint16_t type, const uint8_t *rdata, uint16_t rdlen, struct jsonw *w);

/* Totals for logs: configured zones, and the records their files hold. */
/* Called with every snapshot published from c, right after the swap, on the
 * publishing thread (the publisher, or the reload), publish_lock() held:
 * how NOTIFY learns of changes. The snapshot is valid during the call. Set
 * it before publishing starts. */
typedef void catalog_published_fn(void *ctx, const struct snapshot *s);
void catalog_set_publish_hook(struct catalog *c, catalog_published_fn *fn, void *ctx);

/* Reload: c takes over from old, which publishes nothing more. Each (view,
 * zone) continues old's serial (never lower) and IXFR history. */
void catalog_inherit(struct catalog *c, struct catalog *old);

size_t catalog_zone_count(const struct catalog *c);
size_t catalog_record_count(const struct catalog *c);

#endif
