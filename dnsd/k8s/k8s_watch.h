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

struct k8s_watch;
struct se_registry;

/* Loads the source's credentials (kubeconfig or in-cluster). NULL with err
 * on failure. cluster is the source's index in the configuration. Every
 * held entry is registered in registry (shared by the sources, for /names
 * and conflicts; may be NULL), which must outlive the watch. Each entry is
 * judged by ck's host-policy, trusted-namespaces and export-to and the
 * zones sink lets the source feed; what it drops is logged (warn) once per
 * object generation and counted by reason. */
struct k8s_watch *k8s_watch_new(const struct config_kubernetes *ck, unsigned cluster,
				struct catalog *sink, struct se_registry *registry, char *err, size_t errlen);
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

struct metrics_out;

/* Writes the dnsd_kubernetes_* families to m, each family once with one
 * sample per source (labelled cluster=<name>). Any thread. */
void k8s_watch_collect_metrics(struct k8s_watch *const *watches, size_t count, struct metrics_out *m);

#endif
