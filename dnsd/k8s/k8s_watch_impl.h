/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_watch_impl.h - the state of one Kubernetes source, shared by the
 * files that make it: k8s_watch.c (lifetime, the reflector threads),
 * k8s_objects.c (the entries held and how changes reach the catalog),
 * k8s_list.c (discovery and LIST), k8s_stream.c (watch lines),
 * k8s_watch_metrics.c (/metrics) and k8s_watch_state.c (its last known
 * state: export and restore). Private to dnsd/k8s/: nothing else includes
 * this file.
 *
 * Locking: w->lock guards every reflector's objects, is_synced, is_stale and
 * rv, and w->sink; catalog calls are made with it held (watch -> catalog ->
 * publish, README "Architecture"). A reflector's is_synced is written under
 * status_lock too, and is_all_synced is atomic, so that /metrics and /status
 * never wait for w->lock: a relist holds it while it merges the whole diff
 * (seconds for 100,000 entries under a sanitizer). */
#ifndef DNSD_K8S_WATCH_IMPL_H
#define DNSD_K8S_WATCH_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "k8s/k8s_client.h"
#include "k8s/kubeconfig.h"
#include "k8s/serviceentry.h"
#include "k8s/k8s_watch.h"
#include "k8s/se_drop.h"
#include "k8s/se_policy.h"
#include "k8s/se_registry.h"
#include "k8s/json.h"
#include "dns/dname.h"
#include "util/histogram.h"
#include "util/slab.h"

#define WATCH_ZONES_MAX 64 /* zones one source feeds, for its verdicts */
#define REQUEST_TIMEOUT_MS 60000

/* ---------- the entries one reflector holds, by namespace/name ---------- */

/* What is kept per ServiceEntry: the entry packed in one block of the
 * source's slab (se_pack.h: what reconciliation, the catalog and /names
 * need, not the JSON nor its parse tree), its hash-chain link and, only
 * with state-dir, the line the state file keeps. Its key, namespace/name, is
 * the entry's own (not copied); the object itself comes from the source's
 * object slab (32 bytes, no malloc header, outside the heap the JSON churns). */
#define OBJMAP_HASH_BITS 29 /* what objmap_hash() returns */

struct object {
	struct object *next;
	struct serviceentry *se; /* packed (k8s_watch_pack()), or as parsed when
	                            packing ran out of memory; owned */
	/* the flags share a word with the hash */
	uint32_t hash : OBJMAP_HASH_BITS; /* objmap_hash() of its namespace/name */
	uint32_t is_from_state : 1;       /* restored from the state file, not listed since */
	uint32_t is_seen : 1;             /* relist bookkeeping */
	uint32_t has_state : 1;           /* allocated with state_line (state-dir): 32 bytes */
	uint32_t state_len;
	/* only with has_state: without state-dir an object is the 24 bytes
	 * above (issue #14; use object_state_line()) */
	char *state_line; /* the object as the state file keeps it (k8s_state.h); owned */
};
#define OBJECT_SIZE_WITHOUT_STATE offsetof(struct object, state_line)

/* o's state line, NULL without one. */
static inline const char *object_state_line(const struct object *o)
{
	return o->has_state ? o->state_line : NULL;
}
/* Replaces o's state line with line (owned; freed when o has no room). */
static inline void object_set_state_line(struct object *o, char *line, size_t len)
{
	if (!o->has_state) {
		free(line);
		return;
	}
	free(o->state_line);
	o->state_line = line;
	o->state_len = (uint32_t)len;
}

struct objmap {
	struct object **buckets;
	size_t bucket_count; /* power of two */
	size_t count;
};

/* ---------- one source ---------- */

struct reflector {
	struct k8s_watch *w;
	char *namespace_; /* NULL = all namespaces */
	pthread_t thread;
	bool has_thread;
	struct objmap objects; /* guarded by w->lock */
	char rv[128];          /* last resourceVersion seen; written under w->lock */
	char status_rv[128];   /* rv for /status: under w->status_lock */
	bool is_synced;        /* a LIST completed (written under status_lock too) */
	bool is_stale;         /* serving entries restored from the state file */
	bool is_relist_needed; /* an ERROR 410 arrived in the stream */
	uint64_t stream_lines; /* events read from the current watch */
	char failed_rv[128];   /* where the last failed watch started */
	unsigned failed_count; /* consecutive failed watches from failed_rv */
	struct k8s_client *list_client, *watch_client;
	struct k8s_backoff backoff;
	uint32_t backoff_retry_after_s; /* Retry-After of the last failed list */
};

/* Counters for /metrics: written by the reflector threads, read by
 * k8s_watch_write_metrics() from any thread (relaxed atomics). */
struct k8s_watch_stats {
	_Atomic uint64_t events_added, events_modified, events_deleted, bookmarks;
	_Atomic uint64_t error_events;   /* ERROR events in watch streams */
	_Atomic uint64_t request_errors; /* failed requests, broken streams */
	_Atomic uint64_t relists;
	_Atomic uint64_t watches;                  /* watch requests opened */
	_Atomic uint64_t skipped;                  /* ServiceEntries refused as malformed */
	_Atomic uint64_t undecodable;              /* list items and watch lines that are not JSON */
	_Atomic uint64_t dropped[SE_DROP_REASONS]; /* pieces logged as dropped, by reason */
	_Atomic uint64_t objects;                  /* ServiceEntries held now */
	_Atomic uint64_t pack_compactions;         /* k8s_watch_compact_locked() runs that moved entries */
	_Atomic int64_t last_sync_unix;            /* last successful list or event */
};

struct k8s_watch {
	char name[128];
	char api_version[16]; /* from the configuration; "" = discover */
	unsigned cluster;
	struct k8s_auth auth;
	int stop_fd;
	pthread_mutex_t lock; /* objects of every reflector, sink, synced */
	struct catalog *sink;
	struct reflector *reflectors;
	size_t reflector_count;
	char version[16]; /* the served API version in use */
	struct k8s_watch_stats stats;
	/* the held entries' blocks (se_pack.h), every reflector's: pack_lock
	 * guards it alone, so that a LIST packs while w->lock is free */
	pthread_mutex_t pack_lock;
	struct slab pack;
	/* LISTs packing entries not yet in any reflector's objects (the fresh
	 * map of k8s_list.c): the compaction cannot reach those, so it waits
	 * (guarded by pack_lock) */
	unsigned lists_packing;
	/* every reflector's struct objects (guarded by lock) */
	struct slab object_slab;
	/* last known state (k8s_persist.h): objects keep their state lines and
	 * every change is signalled on change_fd; set before k8s_watch_start() */
	bool is_keeping_state;
	int change_fd;
	_Atomic int64_t stale_since_unix; /* 0 = serving no restored entries */
	atomic_bool is_all_synced;        /* every reflector listed once (never unset) */
	/* who may publish what, and the zones it may go to (guarded by lock;
	 * both replaced by k8s_watch_set_catalog) */
	struct se_policy policy;
	char **trusted; /* owned copies behind policy.trusted_namespaces */
	size_t trusted_count;
	uint8_t apexes[WATCH_ZONES_MAX][DNAME_MAX_LEN];
	const uint8_t *apex_ptrs[WATCH_ZONES_MAX];
	size_t apex_count;
	struct se_registry *registry; /* shared by every source; may be NULL */
	/* watch event -> the publication that serves it (catalog_note_event) */
	struct histogram programming;
	/* for /status and the one "recovered" line: under status_lock */
	pthread_mutex_t status_lock;
	bool is_failing;   /* the last request failed */
	unsigned failures; /* in a row, up to the next success */
	char last_error[512];
	int64_t last_error_ms;   /* Unix time */
	int64_t last_event_ms;   /* the last ADDED, MODIFIED or DELETED */
	char status_version[16]; /* version, once discovery found it */
};

static inline void k8s_watch_count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* ADDED or MODIFIED: replaces what r holds under the entry's key, sending
 * the change to the catalog. Takes ownership of se and of line (its state
 * line, may be NULL). Returns the object, or NULL when out of memory. Call
 * with w->lock held. */
struct object *k8s_watch_upsert_locked(struct reflector *r, struct serviceentry *se, char *line,
				       size_t line_len);

/* ---------- k8s_objects.c (call with w->lock held) ---------- */

/* The hash of namespace/name, as if of "namespace/name", cut to its low
 * OBJMAP_HASH_BITS bits (what an object keeps). */
uint32_t objmap_hash(const char *namespace_, const char *name);
struct object *objmap_get(const struct objmap *m, const char *namespace_, const char *name, uint32_t hash);
/* Holds se (ownership taken) under its namespace/name, in an object of w's
 * object slab. NULL when out of memory. */
struct object *objmap_put(struct k8s_watch *w, struct objmap *m, struct serviceentry *se);
void objmap_unlink(struct objmap *m, struct object *victim);
/* Frees every object (their entries into w's slab) and the table. */
void objmap_clear(struct k8s_watch *w, struct objmap *m);
void object_free(struct k8s_watch *w, struct object *o);
/* se packed into w's slab (se freed), or se itself when out of memory; an
 * entry packed already is returned as it is. Any thread. */
struct serviceentry *k8s_watch_pack(struct k8s_watch *w, struct serviceentry *se);
/* Frees se, packed or not; accepts NULL. Any thread. */
void k8s_watch_se_free(struct k8s_watch *w, struct serviceentry *se);
/* When the slab's holes are due (slab_compact_due()) and no LIST is
 * packing: moves the entries out of the sparse chunks (slab.h
 * slab_evacuate_begin()), repointing the reflectors' objects and the
 * registry's items, and unmaps those chunks. Call with w->lock held. */
void k8s_watch_compact_locked(struct k8s_watch *w);
void k8s_watch_count_drop(struct k8s_watch *w, enum se_drop_reason r);
bool k8s_watch_drops_have(const struct se_drops *d, const struct se_drop *x);
void k8s_watch_registry_item(const struct k8s_watch *w, const struct serviceentry *se,
			     struct se_registry_item *it);
void k8s_watch_load_apexes_locked(struct k8s_watch *w);
void k8s_watch_judge_locked(struct k8s_watch *w, struct serviceentry *se);
/* Withdraws o's records from the catalog and forgets o. */
void k8s_watch_remove_locked(struct reflector *r, struct object *o);
void k8s_watch_delete_locked(struct reflector *r, const char *ns, const char *name);

/* ---------- k8s_watch.c ---------- */

int64_t k8s_watch_unix_ms(void);
/* A request failed: logged once, counted, kept for /status. */
__attribute__((format(printf, 2, 3))) void k8s_watch_note_failure(struct k8s_watch *w, const char *fmt, ...);
const char *k8s_watch_transport_error(const struct k8s_client *c, int rc);
void k8s_watch_note_sync(struct k8s_watch *w);
void k8s_watch_notify_change(struct k8s_watch *w);
/* The state line of obj; NULL without state-dir. Caller frees. */
char *k8s_watch_state_line_of(const struct k8s_watch *w, const struct json_value *obj, size_t *len);
bool k8s_watch_all_synced_locked(const struct k8s_watch *w);
bool k8s_watch_all_serving_locked(const struct k8s_watch *w);

/* ---------- k8s_list.c ---------- */

void k8s_watch_collection_path(const struct reflector *r, char *out, size_t len);
void k8s_watch_status_message(const struct k8s_response *resp, char *out, size_t len);
int k8s_list_discover_version(struct reflector *r);
void k8s_list_object_identity(struct json_span obj, char *out, size_t len);
/* A full LIST and its diff against what r holds. */
int k8s_list_do(struct reflector *r);

/* ---------- k8s_stream.c ---------- */

/* One line of r's watch stream (k8s_client_watch's callback, ctx = r). */
int k8s_stream_line(void *ctx, const char *line, size_t len);

/* ---------- k8s_watch_metrics.c ---------- */

#define K8S_WATCH_PROGRAMMING_BOUNDS 15
extern const double k8s_watch_programming_bounds[K8S_WATCH_PROGRAMMING_BOUNDS];

#endif
