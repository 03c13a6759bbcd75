/* SPDX-License-Identifier: BSD-3-Clause
 * catalog_impl.h - the catalog's state, shared by catalog.c (routing, feeds)
 * and publisher.c (the thread that freezes and publishes it). Private to
 * those two files: everyone else goes through catalog.h and publisher.h. */
#ifndef DNSD_CATALOG_IMPL_H
#define DNSD_CATALOG_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "dns/dname.h"
#include "util/histogram.h"
#include "zone/catalog.h"
#include "zone/feed_items.h"
#include "zone/fileindex.h"
#include "zone/view.h"
#include "zone/xfr_policy.h"
#include "zone/zone.h"
#include "zone/zone_apex.h"
#include "zone/zone_build.h"

#define CATALOG_CLUSTERS_MAX 64

/* One configured zone: its file's builder (until catalog_drop_file_builders)
 * and the zone frozen from it, shared by every view no cluster feeds. */
struct catalog_zone {
	const struct config_zone *cz;
	uint8_t apex[DNAME_MAX_LEN];
	struct zone_build *builder;
	struct zone *frozen;              /* one reference held */
	struct zone_fileindex *fileindex; /* the file's lines, for /names; NULL without file */
	/* the apex NS set: from nameservers:, or synthesized (zone_apex.h) */
	struct zone_apex_ns apex_ns[ZONE_APEX_NS_MAX];
	struct zone_apex_addr apex_addrs[ZONE_APEX_NS_MAX * 4];
	size_t apex_ns_count;
	bool is_apex_synthesized; /* no nameservers: given */
	unsigned made;            /* ZONEFILE_MADE_*: what dnsd added to the file's records */
};

/* A (view, zone) pair fed by clusters: its own builder with the file's
 * records, and the objects of its clusters that give it records, by part
 * (feed_items.h): their records are asked for when a freeze renders the
 * part (zone_build_set_fill), not kept in the builder. */
struct catalog_feed {
	struct catalog *catalog;
	size_t view;
	struct catalog_zone *zone;
	uint64_t clusters; /* bit i: cluster i feeds this pair */
	struct zone_build *builder;
	struct feed_items items;
	struct zone *frozen;    /* NULL until every cluster synced */
	struct zone *pending;   /* the SERVFAIL stand-in until then */
	struct zone *inherited; /* the previous catalog's zone (a reload): the first
	                                  freeze's journal continues from it; one reference */
	bool is_dirty;
	/* only a cluster's stale mark changed (catalog_cluster_stale): refrozen
	 * with the same serial and journal, since the records are the same and
	 * a new serial would send secondaries an IXFR that changes nothing */
	bool is_flag_dirty;
	uint64_t dirty_by; /* bit i: cluster i changed it since its last freeze */
	uint32_t serial;   /* serial.h's, not the file's */
};

/* A watch event waiting for the publication that serves it: when it
 * arrived, and the histogram (its source's, outliving the catalog) that
 * observes the wait. */
struct catalog_event {
	uint64_t arrival_ns; /* CLOCK_MONOTONIC */
	struct histogram *h;
};

/* Lock order, everywhere in dnsd: a source's own lock (k8s_watch's, held
 * while it feeds the catalog) -> catalog lock -> publish_lock(); never the
 * other way round. lock guards feeds, synced, held, is_dirty, is_stopping and
 * view_list; source threads take it (catalog_apply, catalog_cluster_synced),
 * so do the main thread (catalog_is_ready, catalog_snapshot) and the
 * publisher, which takes publish_lock() inside it to swap. zones, views and
 * cfg are set by catalog_new() and read-only afterwards (zones[].builder
 * excepted: catalog_drop_file_builders() frees them on the owner's thread). */
struct catalog {
	const struct config *cfg;
	struct catalog_zone *zones;
	size_t zone_count;
	struct catalog_zone **view_list; /* scratch, zone_count long: one view's zones */
	struct view_table *views;        /* one reference held */
	struct catalog_feed *feeds;
	size_t feed_count;
	unsigned cluster_count;
	pthread_mutex_t lock;
	pthread_cond_t cond;     /* signalled on a change and on stop */
	uint64_t synced;         /* bit i: cluster i listed once */
	uint64_t stale;          /* bit i: cluster i serves its saved state (catalog_cluster_stale) */
	uint64_t held;           /* bit i: cluster i is applying a diff (catalog_hold) */
	bool is_pending_changed; /* a pending stand-in was replaced: publish it */
	bool is_dirty;           /* some feed changed since the last publish */
	bool is_stopping;
	bool has_thread; /* the publisher runs (owner's thread only) */
	pthread_t thread;
	uint64_t publications;         /* written under lock, read by /metrics with atomics */
	uint64_t settles;              /* memory given back once changes settled; the same */
	uint64_t settled_publications; /* publications when it last was; the same */
	struct xfr_policy *policy;     /* transfer access, carried by every snapshot; one reference */
	uint8_t replica;               /* the low byte of Kubernetes-fed serials (serial.h) */
	catalog_records_fn *records_fn[CATALOG_CLUSTERS_MAX]; /* by cluster: its objects' records */
	catalog_published_fn *on_publish; /* set before publishing starts; read under lock */
	void *on_publish_ctx;
	struct catalog_event *events; /* waiting for the next publication (catalog_note_event) */
	size_t event_count, event_cap;
};

/* Moves from's waiting watch events to to (each lock taken in turn, never
 * both). */
void catalog_move_events(struct catalog *to, struct catalog *from);

/* Writes "kubernetes a, b<suffix>" for the clusters in mask into a zone's
 * EXTRA-TEXT (zone.h), before it is published. c->lock held. */
void catalog_ede_text(const struct catalog *c, uint64_t mask, const char *suffix, struct zone *z);

/* catalog_snapshot() for a caller holding c->lock. */
struct snapshot *catalog_snapshot_locked(struct catalog *c, char *err, size_t errlen);

#endif
