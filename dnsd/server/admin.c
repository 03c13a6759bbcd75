/* SPDX-License-Identifier: BSD-3-Clause
 * admin.c - /metrics, /health, /ready over libevent's evhttp, and sd_notify.
 * Metric names follow CoreDNS's where one exists (coredns_dns_requests_total
 * -> dnsd_dns_requests_total), so dashboards carry over. */
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

#include "util/err.h"
#include "util/log.h"
#include "zone/publish.h"
#include "server/server.h"
#include "util/slots.h"

#define ADMIN_LISTENERS_MAX 2

struct admin {
	struct evhttp *http[ADMIN_LISTENERS_MAX];
	size_t http_count;
	struct server *server;
	struct admin_hooks hooks;
	struct publish_reader *reader;
	uint64_t reloads_ok, reloads_failed;
	time_t started;
};

static const char *const rcode_names[SERVER_RCODE_SLOTS] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
	"NXRRSET", "NOTAUTH", "NOTZONE", "RCODE11", "RCODE12", "RCODE13", "RCODE14", "RCODE15",
	"BADVERS", "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE",
};

static uint64_t load(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void admin_write_metrics(struct admin *a, FILE *out)
{
	unsigned nw = server_stats_count(a->server);
	const struct snapshot *snap = publish_read_begin(&publish_global, a->reader);

	fprintf(out, "# HELP dnsd_build_info Version of dnsd.\n# TYPE dnsd_build_info gauge\n"
		     "dnsd_build_info{version=\"" DNSD_VERSION "\"} 1\n");
	fprintf(out, "# HELP dnsd_start_time_seconds Start time of the process.\n"
		     "# TYPE dnsd_start_time_seconds gauge\ndnsd_start_time_seconds %lld\n",
		(long long)a->started);

	fprintf(out, "# HELP dnsd_dns_requests_total Queries answered, by view, zone, protocol and type.\n"
		     "# TYPE dnsd_dns_requests_total counter\n");
	/* by slot (slots.h): every view and zone seen since the start, each under
	 * its own name whatever reloads did to the order */
	for (unsigned v = 0; v < SERVER_VIEW_SLOTS; v++) {
		const char *view_name = slots_name(&slots_views, v);
		if (!view_name)
			continue;
		for (unsigned z = 0; z < SERVER_ZONE_SLOTS; z++) {
			const char *zone_name = z == SERVER_ZONE_SLOTS - 1 ? "."   /* no zone: REFUSED etc. */
					      : slots_name(&slots_zones, z);
			if (!zone_name)
				continue;
			for (int proto = 0; proto < 2; proto++)
				for (unsigned t = 0; t < SERVER_QTYPE_SLOTS; t++) {
					uint64_t sum = 0;
					for (unsigned w = 0; w < nw; w++)
						sum += load(&server_stats_at(a->server, w)->requests[v][z][proto][t]);
					if (sum)
						fprintf(out, "dnsd_dns_requests_total{view=\"%s\",zone=\"%s\",proto=\"%s\",type=\"%s\"} %llu\n",
							view_name, zone_name, proto ? "tcp" : "udp",
							server_qtype_name(t), (unsigned long long)sum);
				}
		}
	}
	fprintf(out, "# HELP dnsd_dns_responses_total Responses sent, by view and rcode.\n"
		     "# TYPE dnsd_dns_responses_total counter\n");
	for (unsigned v = 0; v < SERVER_VIEW_SLOTS; v++)
		for (unsigned r = 0; r < SERVER_RCODE_SLOTS && slots_name(&slots_views, v); r++) {
			uint64_t sum = 0;
			for (unsigned w = 0; w < nw; w++)
				sum += load(&server_stats_at(a->server, w)->responses[v][r]);
			if (sum || r == 0 || r == 3)
				fprintf(out, "dnsd_dns_responses_total{view=\"%s\",rcode=\"%s\"} %llu\n",
					slots_name(&slots_views, v), rcode_names[r], (unsigned long long)sum);
		}

	uint64_t buckets[SERVER_DURATION_BUCKETS] = { 0 }, ns_sum = 0, dropped = 0, truncated = 0,
		 no_view = 0, tcp_conn = 0, tcp_open = 0, tcp_timeouts = 0, tcp_refused = 0;
	for (unsigned w = 0; w < nw; w++) {
		const struct server_stats *st = server_stats_at(a->server, w);
		for (unsigned b = 0; b < SERVER_DURATION_BUCKETS; b++)
			buckets[b] += load(&st->duration_bucket[b]);
		ns_sum += load(&st->duration_ns_sum);
		dropped += load(&st->dropped);
		truncated += load(&st->truncated);
		no_view += load(&st->no_view);
		tcp_conn += load(&st->tcp_connections);
		tcp_open += load(&st->tcp_open);
		tcp_timeouts += load(&st->tcp_timeouts);
		tcp_refused += load(&st->tcp_refused);
	}
	fprintf(out, "# HELP dnsd_dns_request_duration_seconds Time the server spent on a query: for UDP from the arrival of its recvmmsg batch to the replies sent, for TCP from the complete message to the response built.\n"
		     "# TYPE dnsd_dns_request_duration_seconds histogram\n");
	uint64_t cum = 0;
	for (unsigned b = 0; b < SERVER_DURATION_BUCKETS; b++) {
		cum += buckets[b];
		if (b == SERVER_DURATION_BUCKETS - 1)
			fprintf(out, "dnsd_dns_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
		else
			fprintf(out, "dnsd_dns_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
				server_duration_bounds[b], (unsigned long long)cum);
	}
	fprintf(out, "dnsd_dns_request_duration_seconds_sum %.9f\n", (double)ns_sum / 1e9);
	fprintf(out, "dnsd_dns_request_duration_seconds_count %llu\n", (unsigned long long)cum);

#define SIMPLE(name, type, help, value)                                                      \
	fprintf(out, "# HELP " name " " help "\n# TYPE " name " " type "\n" name " %llu\n",   \
		(unsigned long long)(value))
	SIMPLE("dnsd_dns_dropped_total", "counter", "Messages dropped without reply (unreadable header, QR=1).", dropped);
	SIMPLE("dnsd_dns_truncated_total", "counter", "Responses sent with TC=1.", truncated);
	SIMPLE("dnsd_dns_no_view_total", "counter", "Queries no view matched (REFUSED).", no_view);
	SIMPLE("dnsd_tcp_connections_total", "counter", "TCP connections accepted.", tcp_conn);
	SIMPLE("dnsd_tcp_connections_open", "gauge", "TCP connections open now.", tcp_open);
	SIMPLE("dnsd_tcp_timeouts_total", "counter", "TCP connections closed by the idle or message timeout.", tcp_timeouts);
	SIMPLE("dnsd_tcp_accept_paused_total", "counter", "Times accepting paused at the connection cap or on EMFILE.", tcp_refused);
	SIMPLE("dnsd_reloads_total", "counter", "Successful reloads (SIGHUP).", a->reloads_ok);
	SIMPLE("dnsd_reload_failures_total", "counter", "Failed reloads; the previous state kept serving.", a->reloads_failed);
	SIMPLE("dnsd_snapshot_generation", "gauge", "Snapshots published since start.", snap ? snap->generation : 0);
#undef SIMPLE

	size_t views = snap ? snap->view_count : 0;   /* gauges: the current views only */
	fprintf(out, "# HELP dnsd_zone_records Resource records in a zone, by view.\n# TYPE dnsd_zone_records gauge\n");
	for (size_t v = 0; v < views; v++)
		for (size_t z = 0; snap->sets[v] && z < snap->sets[v]->count; z++)
			fprintf(out, "dnsd_zone_records{view=\"%s\",zone=\"%s\"} %zu\n", snap->views->views[v].name,
				snap->sets[v]->zones[z]->name_text, snap->sets[v]->zones[z]->record_count);
	fprintf(out, "# HELP dnsd_zone_serial SOA serial of a zone, by view.\n# TYPE dnsd_zone_serial gauge\n");
	for (size_t v = 0; v < views; v++)
		for (size_t z = 0; snap->sets[v] && z < snap->sets[v]->count; z++)
			fprintf(out, "dnsd_zone_serial{view=\"%s\",zone=\"%s\"} %u\n", snap->views->views[v].name,
				snap->sets[v]->zones[z]->name_text, snap->sets[v]->zones[z]->serial);
	publish_read_end(a->reader);
	if (a->hooks.metrics)
		a->hooks.metrics(a->hooks.ctx, out);
}

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
		admin_write_metrics(a, out);
		fclose(out);
		reply_text(req, 200, "OK", "text/plain; version=0.0.4", text, len);
		free(text);
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
	for (size_t i = 0; i < a->http_count; i++)
		evhttp_free(a->http[i]);
	publish_reader_unregister(a->reader);
	free(a);
}

void admin_count_reload(struct admin *a, bool is_ok)
{
	if (!a)
		return;
	if (is_ok)
		a->reloads_ok++;
	else
		a->reloads_failed++;
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
