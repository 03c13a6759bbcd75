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
#include <stdint.h>
#include <stdio.h>

#include "server/names.h"

struct event_base;
struct server;
struct admin;

/* Readiness and the sources' part of /status come from other modules
 * through these; their metrics do not pass through admin: they register
 * collectors with metrics_register(). */
typedef bool admin_ready_fn(void *ctx, char *why, size_t why_len);
struct jsonw;
/* Writes the value of /status's "kubernetes" key (an array). */
typedef void admin_status_fn(void *ctx, struct jsonw *w);

struct admin_hooks {
	admin_ready_fn *is_ready;        /* NULL = always ready */
	admin_status_fn *sources_status; /* NULL = "kubernetes": [] */
	const char *config_path;         /* for /status; borrowed, outlives admin */
	void *ctx;
	struct names_hooks names; /* the sources and drops /names/<fqdn> shows */
};

/* Listens on each non-empty address ("[::]:9153", "127.0.0.1:8080", ":8080");
 * the same address may be given twice, and registers admin's metrics
 * collectors (util/metrics.h; server may be NULL). NULL with err on failure.
 * One admin per process. */
struct admin *admin_new(struct event_base *base, const char *metrics_listen, const char *health_listen,
			struct server *server, const struct admin_hooks *hooks, char *err, size_t errlen);
/* Unregisters the collectors and closes the listeners. Accepts NULL. */
void admin_free(struct admin *a);

/* Notes a reload: counted (dnsd_reloads_total or dnsd_reload_failures_total),
 * dnsd_config_last_reload_successful, and for /status its time, trigger
 * ("SIGHUP", "/etc/dnsd/dnsd.yaml changed") and error (NULL when it worked).
 * Strings are copied. a may be NULL. The main loop's thread. */
void admin_note_reload(struct admin *a, bool is_ok, const char *trigger, const char *error);

/* Lameduck began (SIGTERM): /status says so. The main loop's thread. */
void admin_set_lameduck(struct admin *a, bool is_lameduck);

/* Writes the /status document (JSON) to out. The main loop's thread. */
void admin_write_status(struct admin *a, FILE *out);

/* Formats Unix ms as RFC 3339 UTC ("2026-12-01T10:00:00.123Z"). */
void admin_format_time(int64_t unix_ms, char *buf, size_t len);

/* systemd notify protocol; a no-op without $NOTIFY_SOCKET. */
void admin_notify(const char *state);

#endif
