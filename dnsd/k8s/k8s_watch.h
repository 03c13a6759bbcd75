/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_watch.h - the reflector for one Kubernetes source (client-go
 * semantics): discover the served version of networking.istio.io, LIST
 * ServiceEntries with limit/continue pagination, then WATCH from the list's
 * resourceVersion with bookmarks; ERROR 410 or an expired continue token
 * means relist (diffed against what we hold, so only changes are applied); a
 * dropped or timed-out watch resumes from the last resourceVersion; 429, 5xx
 * and connection errors back off (0.8 s doubling to 30 s, jitter,
 * Retry-After). Every change goes to the catalog as (old, new) entries.
 *
 * Threads: one per namespace listed in the source (one for all namespaces
 * when none is), each with its own LIST and WATCH connections. */
#ifndef DNSD_K8S_WATCH_H
#define DNSD_K8S_WATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "zone/catalog.h"
#include "conf/config.h"
#include "k8s/se_drop.h"

struct k8s_watch;
struct se_registry;

/* Loads the source's credentials (kubeconfig or in-cluster). NULL with err
 * on failure. cluster is the source's index in the configuration. Every
 * held entry is registered in registry (shared by the sources, for /names
 * and conflicts; may be NULL), which must outlive the watch. Each entry is
 * judged by ck's host-policy, trusted-namespaces and export-to and the
 * zones sink lets the source feed; what it drops is logged (warn) once per
 * object generation and counted by reason. */
struct k8s_watch *k8s_watch_new(const struct config_kubernetes *ck, unsigned cluster, struct catalog *sink,
				struct se_registry *registry, char *err, size_t errlen);
/* Starts the reflector threads. */
int k8s_watch_start(struct k8s_watch *w);
/* Aborts blocked requests, joins the threads and frees w; accepts NULL. */
void k8s_watch_free(struct k8s_watch *w);

/* Reload: judges every held entry again under ck's policy and c's zones
 * (logging what they now refuse that they did not), feeds them into c (and
 * synced state), then sends all further changes there. The old catalog is
 * no longer touched afterwards. ck is read here only. */
void k8s_watch_set_catalog(struct k8s_watch *w, struct catalog *c, const struct config_kubernetes *ck);

const char *k8s_watch_name(const struct k8s_watch *w);
/* Has every list+watch of the source completed a LIST? Any thread. */
bool k8s_watch_is_synced(const struct k8s_watch *w);

/* ---------- last known state (k8s_persist.h) ---------- */
struct k8s_state;

/* Before k8s_watch_start(): keep each entry's state line (k8s_state.h) and
 * signal every change (a LIST applied, a watch event) by writing to the
 * eventfd change_fd. */
void k8s_watch_keep_state(struct k8s_watch *w, int change_fd);
/* What the source holds now, for the state file; caller frees *out with
 * k8s_state_free(). DNSD_EAGAIN while a list+watch has not completed its
 * LIST or serves restored entries: such a state is not worth saving. */
int k8s_watch_export_state(struct k8s_watch *w, struct k8s_state **out);
/* 0 when st was saved for the namespaces this source watches; otherwise
 * DNSD_EINVAL with the reason in err. */
int k8s_watch_check_state(const struct k8s_watch *w, const struct k8s_state *st, char *err, size_t errlen);
/* Serves st's entries in every list+watch that has not completed a LIST,
 * marked stale until it does (the zones the source feeds answer from then
 * on); entries that do not decode are skipped, logged and counted as
 * skipped. Returns how many entries were restored. */
size_t k8s_watch_restore_state(struct k8s_watch *w, const struct k8s_state *st);
/* Since when the source serves restored entries (unix seconds); 0 when it
 * serves none. Any thread. */
int64_t k8s_watch_stale_since(const struct k8s_watch *w);

/* What /status shows of one source (k8s_watch_get_status()). Times are
 * Unix ms, 0 = never. */
#define K8S_WATCH_STATUS_REFLECTORS 16
struct k8s_watch_status {
	char name[128];
	char server[256];                  /* the API server's URL */
	bool is_synced;                    /* every namespace listed once */
	char api_version[48];              /* "networking.istio.io/v1" once synced, else "" */
	uint64_t serviceentries;           /* held now */
	uint64_t skipped;                  /* refused as malformed, since the start */
	uint64_t dropped[SE_DROP_REASONS]; /* pieces not served, by reason (se_drop.h), since the start */
	int64_t stale_since_ms;            /* serving entries from the state file since; 0 = not */
	uint64_t errors;                   /* failed requests, since the start */
	bool is_failing;                   /* the last request failed */
	char last_error[512];              /* "" = none yet */
	int64_t last_error_ms;
	int64_t last_event_ms;  /* the last ADDED, MODIFIED or DELETED */
	int64_t last_sync_ms;   /* the last LIST, event or bookmark */
	size_t reflector_count; /* one per namespace (one for all namespaces) */
	struct {
		char namespace_[128]; /* "" = all */
		bool is_synced;
		char resource_version[128];
	} reflectors[K8S_WATCH_STATUS_REFLECTORS];
};

/* Fills out with w's state as of now. Any thread. */
void k8s_watch_get_status(struct k8s_watch *w, struct k8s_watch_status *out);

struct metrics_out;

/* Writes the dnsd_kubernetes_* families to m, each family once with one
 * sample per source (labelled cluster=<name>). Any thread. */
void k8s_watch_collect_metrics(struct k8s_watch *const *watches, size_t count, struct metrics_out *m);

#endif
