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

struct metrics_out;

/* Writes the dnsd_kubernetes_* families to m, each family once with one
 * sample per source (labelled cluster=<name>). Any thread. */
void k8s_watch_collect_metrics(struct k8s_watch *const *watches, size_t count, struct metrics_out *m);

#endif
