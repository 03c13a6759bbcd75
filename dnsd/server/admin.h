/* SPDX-License-Identifier: BSD-3-Clause
 * admin.h - the operator's HTTP endpoints on the main thread's event loop:
 * /metrics (Prometheus text format), /health (the process runs), /ready
 * (zones loaded and every Kubernetes source synced once) and /names/<fqdn>
 * (why a name is answered as it is, JSON: names.h). Also the systemd
 * notify protocol (READY=1, RELOADING=1, STOPPING=1 datagrams to
 * $NOTIFY_SOCKET). Never on the query path: workers only bump their own
 * counters, which a scrape sums. */
#ifndef DNSD_ADMIN_H
#define DNSD_ADMIN_H

#include <stdbool.h>
#include <stdio.h>

#include "server/names.h"

struct event_base;
struct server;
struct admin;

/* Readiness comes from other modules through these; their metrics do not
 * pass through admin: they register collectors with metrics_register(). */
typedef bool admin_ready_fn(void *ctx, char *why, size_t why_len);

struct admin_hooks {
	admin_ready_fn *is_ready;      /* NULL = always ready */
	void *ctx;
	struct names_hooks names;      /* the sources and drops /names/<fqdn> shows */
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
