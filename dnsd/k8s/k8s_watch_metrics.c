/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_watch_metrics.c - the /metrics families of the Kubernetes sources:
 * events, drops, errors, relists, held entries, sync state and the
 * programming-duration histogram. Reads the sources' relaxed counters. */
#include "k8s/k8s_watch.h"
#include "k8s/k8s_watch_impl.h"

#include <stdatomic.h>

#include "util/histogram.h"
#include "util/metrics.h"
#include "k8s/se_drop.h"

/* Seconds from a watch event's arrival to its publication (CoreDNS's
 * kubernetes_dns_programming_duration_seconds has 1 ms to ~17 min; changes
 * here are served in milliseconds). */
const double k8s_watch_programming_bounds[K8S_WATCH_PROGRAMMING_BOUNDS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
};

#define LOAD(w, x) atomic_load_explicit(&(w)->stats.x, memory_order_relaxed)

/* One counter or gauge per source: its value for w. */
struct watch_family {
	const char *name;
	enum metrics_type type;
	const char *help;
	int64_t (*value)(const struct k8s_watch *w);
};

static int64_t errors_of(const struct k8s_watch *w) { return (int64_t)LOAD(w, request_errors); }
static int64_t relists_of(const struct k8s_watch *w) { return (int64_t)LOAD(w, relists); }
static int64_t watches_of(const struct k8s_watch *w) { return (int64_t)LOAD(w, watches); }
static int64_t objects_of(const struct k8s_watch *w) { return (int64_t)LOAD(w, objects); }
static int64_t compactions_of(const struct k8s_watch *w) { return (int64_t)LOAD(w, pack_compactions); }
static int64_t skipped_of(const struct k8s_watch *w) { return (int64_t)LOAD(w, skipped); }
static int64_t undecodable_of(const struct k8s_watch *w) { return (int64_t)LOAD(w, undecodable); }
static int64_t last_sync_of(const struct k8s_watch *w) { return LOAD(w, last_sync_unix); }
static int64_t synced_of(const struct k8s_watch *w) { return k8s_watch_is_synced(w) ? 1 : 0; }
static int64_t stale_of(const struct k8s_watch *w) { return k8s_watch_stale_since(w) ? 1 : 0; }
static int64_t stale_since_of(const struct k8s_watch *w) { return k8s_watch_stale_since(w); }

/* the packed entries' slab (k8s_objects.c), under its lock */
static int64_t pack_bytes(const struct k8s_watch *w, bool is_mapped)
{
	struct k8s_watch *mw = (struct k8s_watch *)w;
	pthread_mutex_lock(&mw->pack_lock);
	size_t v = is_mapped ? w->pack.mapped : w->pack.in_use;
	pthread_mutex_unlock(&mw->pack_lock);
	return (int64_t)v;
}
static int64_t packed_of(const struct k8s_watch *w) { return pack_bytes(w, false); }
static int64_t packed_mapped_of(const struct k8s_watch *w) { return pack_bytes(w, true); }

/* every reflector's objects and their hash tables, under the source's lock */
static int64_t object_bytes_of(const struct k8s_watch *w)
{
	struct k8s_watch *mw = (struct k8s_watch *)w;
	pthread_mutex_lock(&mw->lock);
	size_t v = w->object_slab.in_use;
	for (size_t i = 0; i < w->reflector_count; i++)
		v += w->reflectors[i].objects.bucket_count * sizeof(struct object *);
	pthread_mutex_unlock(&mw->lock);
	return (int64_t)v;
}

static const struct watch_family watch_families[] = {
	{ "dnsd_kubernetes_errors_total", METRICS_COUNTER, "Failed API requests and broken watch streams.",
	  errors_of },
	{ "dnsd_kubernetes_relists_total", METRICS_COUNTER,
	  "Relists after 410 Gone, an expired continue token or repeated watch failures.", relists_of },
	{ "dnsd_kubernetes_watches_total", METRICS_COUNTER, "Watch requests opened.", watches_of },
	{ "dnsd_kubernetes_serviceentries", METRICS_GAUGE, "ServiceEntries held.", objects_of },
	{ "dnsd_kubernetes_packed_bytes", METRICS_GAUGE, "Bytes of the packed ServiceEntries held.",
	  packed_of },
	{ "dnsd_kubernetes_packed_mapped_bytes", METRICS_GAUGE,
	  "Bytes of slab chunks mapped for packed ServiceEntries (free-list memory is the difference).",
	  packed_mapped_of },
	{ "dnsd_kubernetes_object_bytes", METRICS_GAUGE,
	  "Bytes of the per-entry objects that hold the packed ServiceEntries by namespace/name, "
	  "their hash tables included.",
	  object_bytes_of },
	{ "dnsd_kubernetes_packed_compactions_total", METRICS_COUNTER,
	  "Times the packed ServiceEntries were moved out of sparse slab chunks and those unmapped.",
	  compactions_of },
	{ "dnsd_kubernetes_serviceentries_skipped_total", METRICS_COUNTER,
	  "Malformed ServiceEntries skipped.", skipped_of },
	{ "dnsd_kubernetes_undecodable_total", METRICS_COUNTER,
	  "List items and watch lines that were not JSON, skipped.", undecodable_of },
	{ "dnsd_kubernetes_last_sync_timestamp_seconds", METRICS_GAUGE,
	  "Last successful list or watch event.", last_sync_of },
	{ "dnsd_kubernetes_synced", METRICS_GAUGE, "1 once the first list completed.", synced_of },
	{ "dnsd_kubernetes_stale", METRICS_GAUGE,
	  "1 while the source serves entries saved by an earlier run (state-dir), no LIST yet.", stale_of },
	{ "dnsd_kubernetes_stale_since_timestamp_seconds", METRICS_GAUGE,
	  "When the source started serving saved entries; 0 when it serves none.", stale_since_of },
};

void k8s_watch_collect_metrics(struct k8s_watch *const *watches, size_t count, struct metrics_out *m)
{
	if (count == 0)
		return;
	/* the exposition format wants each family's samples together:
	 * family by family, one sample per source */
	static const char events[] = "dnsd_kubernetes_events_total";
	metrics_family(m, events, METRICS_COUNTER, "Watch events received, by cluster and type.");
	for (size_t i = 0; i < count; i++) {
		const struct k8s_watch *w = watches[i];
		const struct {
			const char *type;
			uint64_t count;
		} by_type[] = {
			{ "ADDED", LOAD(w, events_added) },     { "MODIFIED", LOAD(w, events_modified) },
			{ "DELETED", LOAD(w, events_deleted) }, { "BOOKMARK", LOAD(w, bookmarks) },
			{ "ERROR", LOAD(w, error_events) },
		};
		for (size_t k = 0; k < sizeof(by_type) / sizeof(by_type[0]); k++) {
			const struct metrics_label labels[] = { { "cluster", w->name },
								{ "type", by_type[k].type } };
			metrics_sample(m, events, labels, 2, by_type[k].count);
		}
	}
	static const char dropped[] = "dnsd_kubernetes_dropped_total";
	metrics_family(m, dropped, METRICS_COUNTER,
		       "Pieces of ServiceEntries not served, by cluster and reason (each logged at warn once "
		       "per object generation).");
	for (size_t i = 0; i < count; i++)
		for (int r = 0; r < SE_DROP_REASONS; r++) {
			const struct metrics_label labels[] = {
				{ "cluster", watches[i]->name },
				{ "reason", se_drop_reason_name((enum se_drop_reason)r) }
			};
			metrics_sample(m, dropped, labels, 2, LOAD(watches[i], dropped[r]));
		}
	for (size_t f = 0; f < sizeof(watch_families) / sizeof(watch_families[0]); f++) {
		const struct watch_family *wf = &watch_families[f];
		metrics_family(m, wf->name, wf->type, wf->help);
		for (size_t i = 0; i < count; i++) {
			const struct metrics_label cluster = { "cluster", watches[i]->name };
			metrics_sample_int(m, wf->name, &cluster, 1, wf->value(watches[i]));
		}
	}
	static const char programming[] = "dnsd_kubernetes_programming_duration_seconds";
	metrics_family(m, programming, METRICS_HISTOGRAM,
		       "Time from a watch event's arrival to the publication of the first snapshot that "
		       "serves it, by cluster.");
	for (size_t i = 0; i < count; i++) {
		const struct metrics_label cluster = { "cluster", watches[i]->name };
		uint64_t counts[K8S_WATCH_PROGRAMMING_BOUNDS + 1];
		double sum = histogram_read(&watches[i]->programming, counts);
		metrics_histogram(m, programming, &cluster, 1, k8s_watch_programming_bounds, counts,
				  K8S_WATCH_PROGRAMMING_BOUNDS, sum);
	}
}
#undef LOAD
