/* SPDX-License-Identifier: BSD-3-Clause
 * admin.c - /metrics, /health, /ready over libevent's evhttp, and sd_notify.
 * /metrics is metrics_write(): admin registers the collectors for the
 * process, the server's query counters, reloads and the current snapshot,
 * in that order; other modules register their own (main.c: the Kubernetes
 * sources and the publisher). Metric names follow CoreDNS's where
 * one exists (coredns_dns_requests_total -> dnsd_dns_requests_total), so
 * dashboards carry over. Keeps no query counters itself. */
#include "server/admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conf/addr.h"
#include "server/server.h"
#include "util/err.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/arena.h"
#include "util/process_stats.h"
#include "zone/publish.h"

#define ADMIN_LISTENERS_MAX 2
#define ADMIN_COLLECTORS_MAX 4

struct admin {
	struct evhttp *http[ADMIN_LISTENERS_MAX];
	size_t http_count;
	struct server *server;
	struct admin_hooks hooks;
	struct publish_reader *reader; /* the snapshot collector's and /names' (both on the main loop) */
	_Atomic uint64_t reloads_ok, reloads_failed;
	_Atomic bool is_last_reload_ok; /* true until a reload fails */
	/* the last reload, for /status: written and read on the main loop */
	struct timespec last_reload; /* CLOCK_REALTIME; 0 = none yet */
	char last_reload_trigger[256];
	char last_reload_error[1024]; /* "" = it worked */
	bool is_lameduck;
	time_t started;
	const char *collectors[ADMIN_COLLECTORS_MAX]; /* registered by admin_new(), in order */
	size_t collector_count;
};

/* ---------- metrics ---------- */

/* The standard process_* families, as every Prometheus client exports
 * them (util/process_stats), then dnsd's build and start time. */
static void collect_process(void *ctx, struct metrics_out *m)
{
	struct admin *a = ctx;
	struct process_stats ps;
	if (process_stats_read(&ps) == 0) {
		for (unsigned i = 0; i < sizeof(process_stats_families) / sizeof(process_stats_families[0]);
		     i++) {
			const struct process_stats_family *f = &process_stats_families[i];
			metrics_family(m, f->name,
				       strcmp(f->type, "counter") == 0 ? METRICS_COUNTER : METRICS_GAUGE,
				       f->help);
			metrics_sample_double(m, f->name, NULL, 0, process_stats_value(&ps, i));
		}
	}
	metrics_family(m, "dnsd_build_info", METRICS_GAUGE, "Version of dnsd.");
	metrics_sample(m, "dnsd_build_info", &(struct metrics_label){ "version", DNSD_VERSION }, 1, 1);
	metrics_family(m, "dnsd_start_time_seconds", METRICS_GAUGE, "Start time of the process.");
	metrics_sample_int(m, "dnsd_start_time_seconds", NULL, 0, (int64_t)a->started);
	/* the mapped arena chunks of zone parts and JSON documents (util/arena.h) */
	struct arena_stats as;
	arena_stats_get(&as);
	metrics_single(m, "dnsd_arena_bytes_mapped_total", METRICS_COUNTER,
		       "Bytes of arena chunks (zone parts, JSON documents) mapped fresh from the system.",
		       as.mapped_bytes);
	metrics_single(m, "dnsd_arena_bytes_reused_total", METRICS_COUNTER,
		       "Bytes of arena chunks taken from the cache of freed chunks instead.",
		       as.reused_bytes);
	metrics_single(m, "dnsd_arena_bytes_unmapped_total", METRICS_COUNTER,
		       "Bytes of arena chunks given back to the system.", as.unmapped_bytes);
	metrics_single(m, "dnsd_arena_cache_bytes", METRICS_GAUGE,
		       "Bytes of freed arena chunks kept mapped for the next freeze.", as.cached_bytes);
	metrics_single(m, "dnsd_arena_live_bytes", METRICS_GAUGE, "Bytes of mapped arena chunks in use.",
		       as.live_bytes);
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
	metrics_single(
		m, "dnsd_config_last_reload_successful", METRICS_GAUGE,
		"1 if the last reload (or the start) loaded the configuration and zones, 0 if it failed.",
		atomic_load_explicit(&a->is_last_reload_ok, memory_order_relaxed) ? 1 : 0);
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
				{ "view", snap->views->views[v].name },
				{ "zone", zone->name_text },
			};
			metrics_sample(m, "dnsd_zone_records", labels, 2, zone->record_count);
		}
	metrics_family(m, "dnsd_zone_serial", METRICS_GAUGE, "SOA serial of a zone, by view.");
	for (size_t v = 0; v < views; v++)
		for (size_t z = 0; snap->sets[v] && z < snap->sets[v]->count; z++) {
			const struct zone *zone = snap->sets[v]->zones[z];
			const struct metrics_label labels[] = {
				{ "view", snap->views->views[v].name },
				{ "zone", zone->name_text },
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

static int admin_register(struct admin *a, const char *name, metrics_collect_fn *collect, char *err,
			  size_t errlen)
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

/* ---------- /status ---------- */

void admin_format_time(int64_t unix_ms, char *buf, size_t len)
{
	time_t secs = (time_t)(unix_ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(unix_ms % 1000));
}

static void kv_time(struct jsonw *w, const char *key, int64_t unix_ms)
{
	jsonw_key(w, key);
	if (unix_ms <= 0) {
		jsonw_null(w);
		return;
	}
	char text[40];
	admin_format_time(unix_ms, text, sizeof(text));
	jsonw_string(w, text);
}

static void kv_bool(struct jsonw *w, const char *key, bool v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}

/* Per view, its zones as the current snapshot has them. */
static void write_views_status(struct admin *a, struct jsonw *w)
{
	const struct snapshot *snap = publish_read_begin(&publish_global, a->reader);
	jsonw_key(w, "views");
	jsonw_array_begin(w);
	for (size_t v = 0; snap && v < snap->view_count; v++) {
		jsonw_object_begin(w);
		jsonw_kv_string(w, "name", snap->views->views[v].name);
		jsonw_key(w, "zones");
		jsonw_array_begin(w);
		for (size_t i = 0; snap->sets[v] && i < snap->sets[v]->count; i++) {
			const struct zone *z = snap->sets[v]->zones[i];
			jsonw_object_begin(w);
			jsonw_kv_string(w, "name", z->name_text);
			jsonw_kv_uint(w, "serial", z->serial);
			jsonw_kv_uint(w, "records", z->record_count);
			kv_bool(w, "pending", z->is_pending);
			kv_time(w, "published", z->published_ms);
			jsonw_kv_string(w, "trigger", z->trigger);
			jsonw_object_end(w);
		}
		jsonw_array_end(w);
		jsonw_object_end(w);
	}
	jsonw_array_end(w);
	jsonw_key(w, "generation");
	jsonw_uint(w, snap ? snap->generation : 0);
	publish_read_end(a->reader);
}

void admin_write_status(struct admin *a, FILE *out)
{
	struct jsonw w;
	jsonw_init(&w, out);
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "version", DNSD_VERSION);
	kv_time(&w, "started", (int64_t)a->started * 1000);
	char why[512] = "";
	bool ready = !a->hooks.is_ready || a->hooks.is_ready(a->hooks.ctx, why, sizeof(why));
	kv_bool(&w, "ready", ready);
	jsonw_kv_string(&w, "not_ready_because", why);
	kv_bool(&w, "lameduck", a->is_lameduck);
	jsonw_key(&w, "config");
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "path", a->hooks.config_path ? a->hooks.config_path : "");
	jsonw_kv_uint(&w, "reloads", atomic_load_explicit(&a->reloads_ok, memory_order_relaxed));
	jsonw_kv_uint(&w, "reload_failures", atomic_load_explicit(&a->reloads_failed, memory_order_relaxed));
	jsonw_key(&w, "last_reload");
	if (!a->last_reload.tv_sec) {
		jsonw_null(&w);
	} else {
		jsonw_object_begin(&w);
		kv_time(&w, "time", (int64_t)a->last_reload.tv_sec * 1000 + a->last_reload.tv_nsec / 1000000);
		kv_bool(&w, "ok", a->last_reload_error[0] == '\0');
		jsonw_kv_string(&w, "trigger", a->last_reload_trigger);
		jsonw_key(&w, "error");
		if (a->last_reload_error[0])
			jsonw_string(&w, a->last_reload_error);
		else
			jsonw_null(&w);
		jsonw_object_end(&w);
	}
	jsonw_object_end(&w);
	jsonw_key(&w, "kubernetes");
	if (a->hooks.sources_status) {
		a->hooks.sources_status(a->hooks.ctx, &w);
	} else {
		jsonw_array_begin(&w);
		jsonw_array_end(&w);
	}
	write_views_status(a, &w);
	jsonw_object_end(&w);
	fputc('\n', out);
}

void admin_set_lameduck(struct admin *a, bool is_lameduck)
{
	if (a)
		a->is_lameduck = is_lameduck;
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
	} else if (strcmp(path, "/status") == 0) {
		char *text = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&text, &len);
		if (!out) {
			evhttp_send_error(req, 500, NULL);
			return;
		}
		admin_write_status(a, out);
		fclose(out);
		reply_text(req, 200, "OK", "application/json", text, len);
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

/* Binds an HTTP listener on addr (conf/addr.h's syntax; port 0 = one the
 * kernel picks) and logs where it listens, naming what it serves. */
static int admin_listen(struct admin *a, struct event_base *base, const char *addr, const char *what,
			char *err, size_t errlen)
{
	struct config_addr ca;
	const char *why = "";
	if (config_addr_parse_bind_why(&ca, addr, &why) != 0) {
		snprintf(err, errlen, "admin: bad address '%s': %s", addr, why);
		return DNSD_EINVAL;
	}
	char host[INET6_ADDRSTRLEN];
	uint16_t port;
	if (ca.ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&ca.ss;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ca.ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
	}
	struct evhttp *http = evhttp_new(base);
	if (!http) {
		snprintf(err, errlen, "admin: out of memory");
		return DNSD_ENOMEM;
	}
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(http, http_cb, a);
	evhttp_set_timeout(http, 10);
	struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(http, host, port);
	if (!bound) {
		snprintf(err, errlen, "admin: cannot listen on %s: %s", addr, strerror(errno));
		evhttp_free(http);
		return DNSD_EIO;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &sl) == 0)
		port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						     : ((struct sockaddr_in6 *)&ss)->sin6_port);
	log_info("%s on %s%s%s:%u", what, ca.ss.ss_family == AF_INET6 ? "[" : "", host,
		 ca.ss.ss_family == AF_INET6 ? "]" : "", (unsigned)port);
	a->http[a->http_count++] = http;
	return 0;
}

struct admin *admin_new(struct event_base *base, const char *metrics_listen, const char *health_listen,
			struct server *server, const struct admin_hooks *hooks, char *err, size_t errlen)
{
	struct admin *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "admin: out of memory");
		return NULL;
	}
	a->server = server;
	a->started = time(NULL);
	atomic_init(&a->is_last_reload_ok, true);
	if (hooks)
		a->hooks = *hooks;
	a->reader = publish_reader_register(&publish_global);
	if (!a->reader) {
		snprintf(err, errlen, "admin: no reader slot");
		goto fail;
	}
	if (admin_register_collectors(a, err, errlen) != 0)
		goto fail;
	bool is_shared = metrics_listen && health_listen && strcmp(metrics_listen, health_listen) == 0;
	if (metrics_listen && *metrics_listen &&
	    admin_listen(a, base, metrics_listen, is_shared ? "metrics and health" : "metrics", err,
			 errlen) != 0)
		goto fail;
	if (health_listen && *health_listen && !is_shared &&
	    admin_listen(a, base, health_listen, "health", err, errlen) != 0)
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

void admin_note_reload(struct admin *a, bool is_ok, const char *trigger, const char *error)
{
	if (!a)
		return;
	_Atomic uint64_t *c = is_ok ? &a->reloads_ok : &a->reloads_failed;
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1, memory_order_relaxed);
	atomic_store_explicit(&a->is_last_reload_ok, is_ok, memory_order_relaxed);
	clock_gettime(CLOCK_REALTIME, &a->last_reload);
	snprintf(a->last_reload_trigger, sizeof(a->last_reload_trigger), "%s", trigger ? trigger : "");
	snprintf(a->last_reload_error, sizeof(a->last_reload_error), "%s", !is_ok && error ? error : "");
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
		sun.sun_path[0] = '\0'; /* abstract socket */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if (sendto(fd, state, strlen(state), 0, (struct sockaddr *)&sun, sl) < 0)
		log_warn("sd_notify: %s", strerror(errno));
	close(fd);
}
