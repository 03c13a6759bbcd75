/* SPDX-License-Identifier: BSD-3-Clause
 * admin.h - the operator's HTTP endpoints on the main thread's event loop:
 * /metrics (Prometheus text format), /health (the process runs) and /ready
 * (zones loaded and every Kubernetes source synced once). Also the systemd
 * notify protocol (READY=1, RELOADING=1, STOPPING=1 datagrams to
 * $NOTIFY_SOCKET). Never on the query path: workers only bump their own
 * counters, which a scrape sums. */
#ifndef DNSD_ADMIN_H
#define DNSD_ADMIN_H

#include <stdbool.h>
#include <stdio.h>

struct event_base;
struct server;
struct admin;

/* Readiness, and metric families not yet behind a collector of their own,
 * come from other modules through these. */
typedef bool admin_ready_fn(void *ctx, char *why, size_t why_len);
typedef void admin_metrics_fn(void *ctx, FILE *out);

struct admin_hooks {
	admin_ready_fn *is_ready;      /* NULL = always ready */
	/* Appends text-format families after admin's own; may be NULL. New
	 * counters register a collector with metrics_register() instead. */
	admin_metrics_fn *metrics;
	void *ctx;
};

/* Listens on each non-empty address ("[::]:9153", "127.0.0.1:8080", ":8080");
 * the same address may be given twice, and registers admin's metrics
 * collectors (util/metrics.h; server may be NULL). NULL with err on failure.
 * One admin per process. */
struct admin *admin_new(struct event_base *base, const char *metrics_listen,
			const char *health_listen, struct server *server,
			const struct admin_hooks *hooks, char *err, size_t errlen);
/* Unregisters the collectors and closes the listeners. Accepts NULL. */
void admin_free(struct admin *a);

/* Counts a reload (dnsd_reloads_total or dnsd_reload_failures_total); a may
 * be NULL. */
void admin_count_reload(struct admin *a, bool is_ok);

/* systemd notify protocol; a no-op without $NOTIFY_SOCKET. */
void admin_notify(const char *state);

#endif
