/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_persist.h - the last known state of one Kubernetes source, kept in
 * `state-dir:` (README "Last known state"). One thread per source:
 *  - at start it reads the source's state file (k8s_state.h) and, if the
 *    source has not completed its first LIST within stale-start-timeout-ms,
 *    has the source serve the saved entries, marked stale, until a LIST
 *    succeeds (k8s_watch_restore_state());
 *  - from then on, after each change the source applies, it writes the
 *    source's entries to the file, at most once per state-write-interval-ms
 *    and only while the source holds what a LIST gave it (never a partial or
 *    a restored state), and once more when dnsd stops.
 * Writes are atomic (temp file, fsync, rename); nothing here runs on the
 * query path. */
#ifndef DNSD_K8S_PERSIST_H
#define DNSD_K8S_PERSIST_H

#include <stddef.h>
#include <stdint.h>

#include "k8s/k8s_watch.h"

struct k8s_persist;

/* For source w, before k8s_watch_start(w). dir must exist (the loader
 * checks); the strings are copied. NULL with err on failure. */
struct k8s_persist *k8s_persist_new(struct k8s_watch *w, const char *dir, uint32_t stale_start_timeout_ms,
				    uint32_t write_interval_ms, char *err, size_t errlen);
/* Reads the saved state (logging what it found or why it is ignored) and
 * starts the thread; the stale timeout counts from here. */
int k8s_persist_start(struct k8s_persist *p);
/* Saves once more if anything changed since the last write, and joins the
 * thread. Call before k8s_watch_stop(). */
void k8s_persist_stop(struct k8s_persist *p);
void k8s_persist_free(struct k8s_persist *p);

struct metrics_out;

/* Writes the dnsd_kubernetes_state_* families (saves, save errors, the last
 * save's time), one sample per source that has a state; persists[i] may be
 * NULL. Any thread. */
void k8s_persist_collect_metrics(struct k8s_persist *const *persists, size_t count, struct metrics_out *m);

#endif
