/* SPDX-License-Identifier: BSD-3-Clause
 * admin.c - /metrics, /health, /ready over libevent's evhttp, and sd_notify.
 * /metrics is metrics_write(): admin registers the collectors for the
 * process, the server's query counters, reloads and the current snapshot,
 * in that order; other modules register their own (main.c: the Kubernetes
 * sources and the publisher). Metric names follow CoreDNS's where
 * one exists (coredns_dns_requests_total -> dnsd_dns_requests_total), so
 * dashboards carry over. Keeps no query counters itself. */
#include "server/admin.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "server/server.h"
#include "util/err.h"
#include "util/log.h"
#include "util/metrics.h"
#include "zone/publish.h"

#define ADMIN_LISTENERS_MAX 2
#define ADMIN_COLLECTORS_MAX 4

struct admin {
	struct evhttp *http[ADMIN_LISTENERS_MAX];
	size_t http_count;
	struct server *server;
	struct admin_hooks hooks;
	struct publish_reader *reader;    /* the snapshot collector's and /names' (both on the main loop) */
	_Atomic uint64_t reloads_ok, reloads_failed;
	time_t started;
	const char *collectors[ADMIN_COLLECTORS_MAX];   /* registered by admin_new(), in order */
	size_t collector_count;
};

/* ---------- metrics ---------- */

static void collect_process(void *ctx, struct metrics_out *m)
{
	struct admin *a = ctx;
	metrics_family(m, "dnsd_build_info", METRICS_GAUGE, "Version of dnsd.");
	metrics_sample(m, "dnsd_build_info", &(struct metrics_label){ "version", DNSD_VERSION }, 1, 1);
	metrics_family(m, "dnsd_start_time_seconds", METRICS_GAUGE, "Start time of the process.");
	metrics_sample_int(m, "dnsd_start_time_seconds", NULL, 0, (int64_t)a->started);
}

static void collect_server(void *ctx, struct metrics_out *m)
{
	struct admin *a = ctx;
	server_write_metrics(a->server, m);
}

static void collect_reloads(void *ctx, struct metrics_out *m)
{
	struct admin *a = ctx;
	metrics_single(m, "dnsd_reloads_total", METRICS_COUNTER, "Successful reloads (SIGHUP).",
		       atomic_load_explicit(&a->reloads_ok, memory_order_relaxed));
	metrics_single(m, "dnsd_reload_failures_total", METRICS_COUNTER,
		       "Failed reloads; the previous state kept serving.",
		       atomic_load_explicit(&a->reloads_failed, memory_order_relaxed));
}

/* Gauges of the current snapshot: its views and zones only. */
static void write_zone_gauges(const struct snapshot *snap, struct metrics_out *m)
{
	size_t views = snap ? snap->view_count : 0;
	metrics_family(m, "dnsd_zone_records", METRICS_GAUGE, "Resource records in a zone, by view.");
	for (size_t v = 0; v < views; v++)
		for (size_t z = 0; snap->sets[v] && z < snap->sets[v]->count; z++) {
			const struct zone *zone = snap->sets[v]->zones[z];
			const struct metrics_label labels[] = {
				{ "view", snap->views->views[v].name }, { "zone", zone->name_text },
			};
			metrics_sample(m, "dnsd_zone_records", labels, 2, zone->record_count);
		}
	metrics_family(m, "dnsd_zone_serial", METRICS_GAUGE, "SOA serial of a zone, by view.");
	for (size_t v = 0; v < views; v++)
		for (size_t z = 0; snap->sets[v] && z < snap->sets[v]->count; z++) {
			const struct zone *zone = snap->sets[v]->zones[z];
			const struct metrics_label labels[] = {
				{ "view", snap->views->views[v].name }, { "zone", zone->name_text },
			};
			metrics_sample(m, "dnsd_zone_serial", labels, 2, zone->serial);
		}
}

static void collect_snapshot(void *ctx, struct metrics_out *m)
{
	struct admin *a = ctx;
	const struct snapshot *snap = publish_read_begin(&publish_global, a->reader);
	metrics_single(m, "dnsd_snapshot_generation", METRICS_GAUGE, "Snapshots published since start.",
		       snap ? snap->generation : 0);
	write_zone_gauges(snap, m);
	publish_read_end(a->reader);
}

static int admin_register(struct admin *a, const char *name, metrics_collect_fn *collect,
			  char *err, size_t errlen)
{
	int rc = metrics_register(name, collect, a);
	if (rc != 0) {
		snprintf(err, errlen, "admin: metrics collector %s: %s", name, dnsd_strerror(rc));
		return rc;
	}
	a->collectors[a->collector_count++] = name;
	return 0;
}

/* /metrics shows the collectors in the order they are registered. */
static int admin_register_collectors(struct admin *a, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		metrics_collect_fn *collect;
	} collectors[ADMIN_COLLECTORS_MAX] = {
		{ "process", collect_process },
		{ "server", collect_server },
		{ "reloads", collect_reloads },
		{ "snapshot", collect_snapshot },
	};
	for (size_t i = 0; i < ADMIN_COLLECTORS_MAX; i++) {
		if (collectors[i].collect == collect_server && !a->server)
			continue;
		int rc = admin_register(a, collectors[i].name, collectors[i].collect, err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---------- HTTP ---------- */

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *type,
		       const char *body, size_t len)
{
	struct evbuffer *buf = evbuffer_new();
	if (!buf) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evbuffer_add(buf, body, len);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	evhttp_send_reply(req, code, reason, buf);
	evbuffer_free(buf);
}

/* GET /names/<fqdn>: the name is percent-decoded ("%2A" for a wildcard). */
static void reply_names(struct admin *a, struct evhttp_request *req, const char *raw)
{
	char *name = evhttp_uridecode(raw, 0, NULL);
	char *text = NULL;
	size_t len = 0;
	FILE *out = name ? open_memstream(&text, &len) : NULL;
	if (!out) {
		free(name);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	const struct snapshot *snap = publish_read_begin(&publish_global, a->reader);
	int code = names_explain(snap, name, &a->hooks.names, out);
	publish_read_end(a->reader);
	fclose(out);
	reply_text(req, code, code == 200 ? "OK" : "Bad Request", "application/json", text, len);
	free(text);
	free(name);
}

static void http_cb(struct evhttp_request *req, void *arg)
{
	struct admin *a = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (!path)
		path = "/";
	if (strcmp(path, "/metrics") == 0) {
		char *text = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&text, &len);
		if (!out) {
			evhttp_send_error(req, 500, NULL);
			return;
		}
		metrics_write(out);
		fclose(out);
		reply_text(req, 200, "OK", "text/plain; version=0.0.4", text, len);
		free(text);
	} else if (strncmp(path, "/names/", 7) == 0 || strcmp(path, "/names") == 0) {
		reply_names(a, req, path[6] == '/' ? path + 7 : "");
	} else if (strcmp(path, "/health") == 0) {
		reply_text(req, 200, "OK", "text/plain", "ok\n", 3);
	} else if (strcmp(path, "/ready") == 0) {
		char why[512] = "";
		bool ready = !a->hooks.is_ready || a->hooks.is_ready(a->hooks.ctx, why, sizeof(why));
		char body[600];
		int n = snprintf(body, sizeof(body), "%s%s%s\n", ready ? "ready" : "not ready",
				 why[0] ? ": " : "", why);
		reply_text(req, ready ? 200 : 503, ready ? "OK" : "Service Unavailable", "text/plain", body,
			   (size_t)n < sizeof(body) ? (size_t)n : sizeof(body) - 1);
	} else {
		reply_text(req, 404, "Not Found", "text/plain", "not found\n", 10);
	}
}

/* "[::]:9153" -> "::" and 9153; "127.0.0.1:8080"; ":8080" -> "::" (dual stack). */
static int split_host_port(const char *text, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon;
	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (!end || end[1] != ':' || (size_t)(end - text - 1) >= hostlen)
			return DNSD_EINVAL;
		memcpy(host, text + 1, (size_t)(end - text - 1));
		host[end - text - 1] = '\0';
		colon = end + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon || (size_t)(colon - text) >= hostlen)
			return DNSD_EINVAL;
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
		if (!host[0])
			strcpy(host, "::");
	}
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || p <= 0 || p > 65535)
		return DNSD_EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static int admin_listen(struct admin *a, struct event_base *base, const char *addr, char *err,
			size_t errlen)
{
	char host[128];
	uint16_t port;
	if (split_host_port(addr, host, sizeof(host), &port) != 0) {
		snprintf(err, errlen, "admin: bad address '%s'", addr);
		return DNSD_EINVAL;
	}
	struct evhttp *http = evhttp_new(base);
	if (!http) {
		snprintf(err, errlen, "admin: out of memory");
		return DNSD_ENOMEM;
	}
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(http, http_cb, a);
	evhttp_set_timeout(http, 10);
	if (!evhttp_bind_socket_with_handle(http, host, port)) {
		snprintf(err, errlen, "admin: cannot listen on %s: %s", addr, strerror(errno));
		evhttp_free(http);
		return DNSD_EIO;
	}
	a->http[a->http_count++] = http;
	return 0;
}

struct admin *admin_new(struct event_base *base, const char *metrics_listen,
			const char *health_listen, struct server *server,
			const struct admin_hooks *hooks, char *err, size_t errlen)
{
	struct admin *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "admin: out of memory");
		return NULL;
	}
	a->server = server;
	a->started = time(NULL);
	if (hooks)
		a->hooks = *hooks;
	a->reader = publish_reader_register(&publish_global);
	if (!a->reader) {
		snprintf(err, errlen, "admin: no reader slot");
		goto fail;
	}
	if (admin_register_collectors(a, err, errlen) != 0)
		goto fail;
	if (metrics_listen && *metrics_listen && admin_listen(a, base, metrics_listen, err, errlen) != 0)
		goto fail;
	if (health_listen && *health_listen &&
	    !(metrics_listen && strcmp(metrics_listen, health_listen) == 0) &&
	    admin_listen(a, base, health_listen, err, errlen) != 0)
		goto fail;
	return a;
fail:
	admin_free(a);
	return NULL;
}

void admin_free(struct admin *a)
{
	if (!a)
		return;
	while (a->collector_count > 0)
		metrics_unregister(a->collectors[--a->collector_count]);
	for (size_t i = 0; i < a->http_count; i++)
		evhttp_free(a->http[i]);
	publish_reader_unregister(a->reader);
	free(a);
}

void admin_count_reload(struct admin *a, bool is_ok)
{
	if (!a)
		return;
	_Atomic uint64_t *c = is_ok ? &a->reloads_ok : &a->reloads_failed;
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1, memory_order_relaxed);
}

void admin_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	if (len >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, len);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';     /* abstract socket */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if (sendto(fd, state, strlen(state), 0, (struct sockaddr *)&sun, sl) < 0)
		log_warn("sd_notify: %s", strerror(errno));
	close(fd);
}
