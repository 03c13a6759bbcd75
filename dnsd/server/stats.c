/* SPDX-License-Identifier: BSD-3-Clause
 * stats.c - the query counters' slow side: the query log line, and the
 * /metrics collector that sums every thread's counters (server_write_metrics).
 * Reads the counters with relaxed loads and never writes them; the counting
 * itself is inline in stats.h. */
#include "server/stats.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

#include "dns/dname.h"
#include "dns/mnemonic.h"
#include "server/server_internal.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/slots.h"

/* In the order of server_stats_qtype_slot()'s table. */
static const char *const qtype_slot_names[SERVER_QTYPE_SLOTS] = {
	"A",  "AAAA", "SOA", "NS",     "SRV",  "PTR",  "CNAME", "TXT",
	"MX", "ANY",  "DS",  "DNSKEY", "AXFR", "IXFR", "HTTPS", "other",
};

/* ---------- query log ---------- */

static void addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof(host));
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
		snprintf(buf, len, "%s#%u", host, port);
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof(host));
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
		snprintf(buf, len, "%s#%u", host, port);
	} else {
		snprintf(buf, len, "?");
	}
}

void server_stats_log_query(const struct snapshot *snap, const struct answer_request *req,
			    const struct answer_info *info, uint64_t ns)
{
	char client[80], qname[DNAME_MAX_TEXT] = "?", tbuf[MNEMONIC_BUF_LEN], rbuf[MNEMONIC_BUF_LEN];
	addr_text(req->client, client, sizeof(client));
	if (info->query.has_question)
		dname_to_text(qname, sizeof(qname), info->query.qname);
	const char *view_name = info->view >= 0 && snap ? snap->views->views[info->view].name : "-";
	log_info("query client=%s proto=%s view=%s qname=%s qtype=%s rcode=%s tc=%d us=%.1f", client,
		 req->is_tcp ? "tcp" : "udp", view_name, qname,
		 info->query.has_question ? mnemonic_type(info->qtype, tbuf) : "-",
		 mnemonic_rcode(info->rcode, rbuf), info->is_truncated, (double)ns / 1000.0);
}

/* ---------- /metrics ---------- */

static uint64_t load(const _Atomic uint64_t *c) { return atomic_load_explicit(c, memory_order_relaxed); }

/* The counter at byte offset off (a field of struct server_stats) summed
 * over the sets of listening address listen, in one protocol (is_tcp 0 or
 * 1) or both (-1). */
static uint64_t sum_at(const struct server *s, unsigned listen, int is_tcp, size_t off)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < s->stats_count; i++) {
		const struct server_stats *st = &s->stats[i];
		if (st->listen != listen || (is_tcp >= 0 && st->is_tcp != (bool)is_tcp))
			continue;
		sum += load((const _Atomic uint64_t *)((const char *)st + off));
	}
	return sum;
}

#define OFF(field) ((size_t)((const char *)&s->stats[0].field - (const char *)&s->stats[0]))

/* The counter at off summed over every set, whatever its address or protocol. */
static uint64_t sum_all(const struct server *s, size_t off)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < s->stats_count; i++)
		sum += load((const _Atomic uint64_t *)((const char *)&s->stats[i] + off));
	return sum;
}

/* CoreDNS's zone label: the zone with its dot, "dropped" for queries no
 * zone took (vars.Dropped). */
static const char *zone_label(unsigned z)
{
	return z == SERVER_ZONE_SLOTS - 1 ? "dropped" : slots_name(&slots_zones, z);
}

/* CoreDNS's server label: the listening address as "dns://:53". */
static void server_label(const struct server *s, unsigned l, char *buf, size_t len)
{
	snprintf(buf, len, "dns://%s", s->listen[l].text);
}

static const char *const writer_names[SERVER_WRITER_SLOTS] = {
	[ANSWER_WRITER_SERVER] = "",
	[ANSWER_WRITER_ZONE] = "zone",
	[ANSWER_WRITER_CHAOS] = "chaos",
};

/* One (listening address, view, zone) cell of the per-thread counters,
 * with its labels. */
struct stats_cell {
	unsigned l, v, z;
	const char *server, *view, *zone;
};

typedef void stats_cell_fn(const struct server *s, struct metrics_out *m, const char *name,
			   const struct stats_cell *c, bool is_request);

/* By slot (slots.h): fn for every listening address, and every view and
 * zone seen since the start, each under its own name whatever reloads did to
 * the order. is_request is fn's own (cell_sizes: queries or responses). */
static void for_each_cell(const struct server *s, struct metrics_out *m, const char *name, stats_cell_fn *fn,
			  bool is_request)
{
	for (unsigned l = 0; l < s->listen_count; l++) {
		char server[96];
		server_label(s, l, server, sizeof(server));
		for (unsigned v = 0; v < SERVER_VIEW_SLOTS; v++) {
			const char *view_name = slots_name(&slots_views, v);
			for (unsigned z = 0; view_name && z < SERVER_ZONE_SLOTS; z++) {
				const char *zone_name = zone_label(z);
				if (!zone_name)
					continue;
				const struct stats_cell c = { l, v, z, server, view_name, zone_name };
				fn(s, m, name, &c, is_request);
			}
		}
	}
}

static void cell_requests(const struct server *s, struct metrics_out *m, const char *name,
			  const struct stats_cell *c, bool is_request)
{
	(void)is_request;
	for (int tcp = 0; tcp < 2; tcp++)
		for (unsigned f = 0; f < 2; f++)
			for (unsigned t = 0; t < SERVER_QTYPE_SLOTS; t++) {
				uint64_t sum = sum_at(s, c->l, tcp, OFF(requests[c->v][c->z][f][t]));
				if (!sum)
					continue;
				const struct metrics_label labels[] = {
					{ "server", c->server },     { "zone", c->zone },
					{ "view", c->view },         { "proto", tcp ? "tcp" : "udp" },
					{ "family", f ? "2" : "1" }, { "type", qtype_slot_names[t] },
				};
				metrics_sample(m, name, labels, 6, sum);
			}
}

/* Every rcode once it occurred; NOERROR and NXDOMAIN from each zone from the
 * start, so that rate() sees their first increase. */
static void cell_responses(const struct server *s, struct metrics_out *m, const char *name,
			   const struct stats_cell *c, bool is_request)
{
	(void)is_request;
	for (unsigned r = 0; r < SERVER_RCODE_SLOTS; r++)
		for (unsigned w = 0; w < SERVER_WRITER_SLOTS; w++) {
			char rbuf[MNEMONIC_BUF_LEN];
			uint64_t sum = sum_at(s, c->l, -1, OFF(responses[c->v][c->z][r][w]));
			bool is_always = w == ANSWER_WRITER_ZONE && c->z != SERVER_ZONE_SLOTS - 1 &&
					 (r == WIRE_RCODE_NOERROR || r == WIRE_RCODE_NXDOMAIN);
			if (!sum && !is_always)
				continue;
			const struct metrics_label labels[] = {
				{ "server", c->server },       { "zone", c->zone },
				{ "view", c->view },           { "rcode", mnemonic_rcode(r, rbuf) },
				{ "plugin", writer_names[w] },
			};
			metrics_sample(m, name, labels, 5, sum);
		}
}

static void cell_do_requests(const struct server *s, struct metrics_out *m, const char *name,
			     const struct stats_cell *c, bool is_request)
{
	(void)is_request;
	uint64_t sum = sum_at(s, c->l, -1, OFF(do_requests[c->v][c->z]));
	if (!sum)
		return;
	const struct metrics_label labels[] = {
		{ "server", c->server },
		{ "view", c->view },
		{ "zone", c->zone },
	};
	metrics_sample(m, name, labels, 3, sum);
}

static void cell_durations(const struct server *s, struct metrics_out *m, const char *name,
			   const struct stats_cell *c, bool is_request)
{
	(void)is_request;
	for (unsigned t = 0; t < SERVER_QTYPE_SLOTS; t++) {
		uint64_t counts[SERVER_DURATION_BOUNDS + 1], total = 0;
		for (unsigned b = 0; b <= SERVER_DURATION_BOUNDS; b++)
			total += counts[b] = sum_at(s, c->l, -1, OFF(duration[c->v][c->z][t][b]));
		if (!total)
			continue;
		const struct metrics_label labels[] = {
			{ "server", c->server },
			{ "zone", c->zone },
			{ "view", c->view },
			{ "type", qtype_slot_names[t] },
		};
		metrics_histogram(m, name, labels, 4, server_stats_duration_bounds, counts,
				  SERVER_DURATION_BOUNDS,
				  (double)sum_at(s, c->l, -1, OFF(duration_ns_sum[c->v][c->z][t])) / 1e9);
	}
}

static void cell_sizes(const struct server *s, struct metrics_out *m, const char *name,
		       const struct stats_cell *c, bool is_request)
{
	for (int tcp = 0; tcp < 2; tcp++) {
		uint64_t counts[SERVER_SIZE_BOUNDS + 1], total = 0;
		for (unsigned b = 0; b <= SERVER_SIZE_BOUNDS; b++)
			total += counts[b] = sum_at(s, c->l, tcp,
						    is_request ? OFF(request_size[c->v][c->z][b])
							       : OFF(response_size[c->v][c->z][b]));
		if (!total)
			continue;
		const struct metrics_label labels[] = {
			{ "server", c->server },
			{ "zone", c->zone },
			{ "view", c->view },
			{ "proto", tcp ? "tcp" : "udp" },
		};
		uint64_t bytes = sum_at(s, c->l, tcp,
					is_request ? OFF(request_bytes[c->v][c->z])
						   : OFF(response_bytes[c->v][c->z]));
		metrics_histogram(m, name, labels, 4, server_stats_size_bounds, counts, SERVER_SIZE_BOUNDS,
				  (double)bytes);
	}
}

/* The families written cell by cell (for_each_cell), in /metrics order. */
static const struct cell_family {
	const char *name;
	enum metrics_type type;
	const char *help;
	stats_cell_fn *fn;
	bool is_request;
} cell_families[] = {
	{ "dnsd_dns_requests_total", METRICS_COUNTER,
	  "Queries received, by server (listening address), zone, view, protocol, address family and type.",
	  cell_requests, false },
	{ "dnsd_dns_responses_total", METRICS_COUNTER,
	  "Responses sent, by server, zone, view, rcode and plugin (what wrote it: zone, chaos, or \"\" for "
	  "the "
	  "server itself).",
	  cell_responses, false },
	{ "dnsd_dns_do_requests_total", METRICS_COUNTER,
	  "Queries with the DNSSEC OK bit, by server, view and zone.", cell_do_requests, false },
	{ "dnsd_dns_request_duration_seconds", METRICS_HISTOGRAM,
	  "Time the server spent on a query, by server, zone, view and type: for UDP from the arrival of its "
	  "recvmmsg batch to the replies sent, for TCP from the complete message to the response built.",
	  cell_durations, false },
	{ "dnsd_dns_request_size_bytes", METRICS_HISTOGRAM,
	  "Size of the queries in bytes, by server, zone, view and protocol.", cell_sizes, true },
	{ "dnsd_dns_response_size_bytes", METRICS_HISTOGRAM,
	  "Size of the responses in bytes, by server, zone, view and protocol.", cell_sizes, false },
};

/* The unlabelled counters, summed over every thread. */
struct server_totals {
	uint64_t dropped, truncated, no_view;
	uint64_t tcp_connections, tcp_open, tcp_timeouts, tcp_refused, tcp_evicted, tcp_shed,
		tcp_in_flight_shed, tcp_client_limited;
};

static void sum_totals(const struct server *s, struct server_totals *t)
{
	*t = (struct server_totals){ 0 };
	for (unsigned i = 0; i < s->stats_count; i++) {
		const struct server_stats *st = &s->stats[i];
		t->dropped += load(&st->dropped);
		t->truncated += load(&st->truncated);
		t->no_view += load(&st->no_view);
		t->tcp_connections += load(&st->tcp_connections);
		t->tcp_open += load(&st->tcp_open);
		t->tcp_timeouts += load(&st->tcp_timeouts);
		t->tcp_refused += load(&st->tcp_refused);
		t->tcp_evicted += load(&st->tcp_evicted);
		t->tcp_shed += load(&st->tcp_shed);
		t->tcp_in_flight_shed += load(&st->tcp_in_flight_shed);
		t->tcp_client_limited += load(&st->tcp_client_limited);
	}
}

static void write_totals(const struct server_totals *t, struct metrics_out *m)
{
	metrics_single(m, "dnsd_dns_dropped_total", METRICS_COUNTER,
		       "Messages dropped without reply (unreadable header, QR=1; UDP: no reply slot free, "
		       "overload).",
		       t->dropped);
	metrics_single(m, "dnsd_dns_truncated_total", METRICS_COUNTER, "Responses sent with TC=1.",
		       t->truncated);
	metrics_single(m, "dnsd_dns_no_view_total", METRICS_COUNTER, "Queries no view matched (REFUSED).",
		       t->no_view);
	metrics_single(m, "dnsd_tcp_connections_total", METRICS_COUNTER, "TCP connections accepted.",
		       t->tcp_connections);
	metrics_single(m, "dnsd_tcp_connections_open", METRICS_GAUGE, "TCP connections open now.",
		       t->tcp_open);
	metrics_single(m, "dnsd_tcp_timeouts_total", METRICS_COUNTER,
		       "TCP connections closed by the idle or message timeout.", t->tcp_timeouts);
	metrics_single(m, "dnsd_tcp_accept_paused_total", METRICS_COUNTER,
		       "Times accepting paused at the connection cap or on EMFILE.", t->tcp_refused);
	metrics_single(m, "dnsd_tcp_evicted_total", METRICS_COUNTER,
		       "Idle TCP connections closed at the connection cap to admit a new one.",
		       t->tcp_evicted);
	metrics_single(m, "dnsd_tcp_shed_total", METRICS_COUNTER,
		       "TCP connections closed because unsent answers passed tcp.output-buffer-max.",
		       t->tcp_shed);
	metrics_single(m, "dnsd_tcp_in_flight_shed_total", METRICS_COUNTER,
		       "TCP connections closed because the work in flight (unsent answers, unanswered "
		       "input, transfers) passed tcp.in-flight-max.",
		       t->tcp_in_flight_shed);
	metrics_single(m, "dnsd_tcp_client_limited_total", METRICS_COUNTER,
		       "TCP connections refused because their client address had "
		       "tcp.max-connections-per-client open.",
		       t->tcp_client_limited);
}

/* PROXY v2: every label set always, so that a drop shows as a rise from 0. */
static void write_proxy(const struct server *s, struct metrics_out *m)
{
	static const char *const protos[2] = { "udp", "tcp" };
	static const char *const commands[2] = { "proxy", "local" };
	static const char *const reasons[3] = { "not_allowed", "missing", "malformed" };
	metrics_family(m, "dnsd_proxy_headers_total", METRICS_COUNTER,
		       "PROXY v2 headers honoured (UDP: datagrams, TCP: connections); local = the balancer's "
		       "health checks.");
	for (unsigned p = 0; p < 2; p++)
		for (unsigned k = 0; k < 2; k++) {
			uint64_t sum = sum_all(s, OFF(proxy_headers[p][k]));
			const struct metrics_label labels[] = { { "proto", protos[p] },
								{ "command", commands[k] } };
			metrics_sample(m, "dnsd_proxy_headers_total", labels, 2, sum);
		}
	metrics_family(
		m, "dnsd_proxy_dropped_total", METRICS_COUNTER,
		"Datagrams and connections dropped for their PROXY v2 header: not_allowed (a header from a "
		"peer outside proxy-protocol), missing (none from a peer inside it), malformed.");
	for (unsigned p = 0; p < 2; p++)
		for (unsigned k = 0; k < 3; k++) {
			uint64_t sum = sum_all(s, OFF(proxy_dropped[p][k]));
			const struct metrics_label labels[] = { { "proto", protos[p] },
								{ "reason", reasons[k] } };
			metrics_sample(m, "dnsd_proxy_dropped_total", labels, 2, sum);
		}
}

/* Response rate limiting (rrl.h): every kind always, so that a limit shows
 * as a rise from 0; zero while rrl is off. */
static void write_rrl(const struct server *s, struct metrics_out *m)
{
	metrics_family(m, "dnsd_rrl_limited_total", METRICS_COUNTER,
		       "UDP replies over their rrl rate, by kind (response, nxdomain, error); in log-only "
		       "mode sent all the same.");
	uint64_t slipped = sum_all(s, OFF(rrl_slipped)), dropped = sum_all(s, OFF(rrl_dropped));
	for (unsigned k = 0; k < RRL_KIND_COUNT; k++) {
		uint64_t sum = sum_all(s, OFF(rrl_limited[k]));
		const struct metrics_label labels[] = { { "kind", rrl_kind_name((enum rrl_kind)k) } };
		metrics_sample(m, "dnsd_rrl_limited_total", labels, 1, sum);
	}
	metrics_single(m, "dnsd_rrl_slipped_total", METRICS_COUNTER,
		       "Rate-limited UDP replies sent truncated (TC=1, rrl.slip) instead.", slipped);
	metrics_single(m, "dnsd_rrl_dropped_total", METRICS_COUNTER, "Rate-limited UDP replies not sent.",
		       dropped);
}

/* Extended DNS Errors by the codes dnsd sends, and DNS Cookies: every label
 * always, so that a first one shows as a rise from 0. */
static void write_edns(const struct server *s, struct metrics_out *m)
{
	static const struct {
		int code;
		const char *name;
	} edes[] = {
		{ WIRE_EDE_OTHER, "other" },
		{ WIRE_EDE_STALE_ANSWER, "stale_answer" },
		{ WIRE_EDE_NOT_READY, "not_ready" },
		{ WIRE_EDE_PROHIBITED, "prohibited" },
		{ WIRE_EDE_NOT_AUTHORITATIVE, "not_authoritative" },
	};
	metrics_family(m, "dnsd_dns_ede_total", METRICS_COUNTER,
		       "Responses carrying an Extended DNS Error (RFC 8914), by INFO-CODE.");
	for (size_t k = 0; k < sizeof(edes) / sizeof(edes[0]); k++) {
		uint64_t sum = sum_all(s, OFF(ede[edes[k].code]));
		char code[8];
		snprintf(code, sizeof(code), "%d", edes[k].code);
		const struct metrics_label labels[] = { { "code", code }, { "name", edes[k].name } };
		metrics_sample(m, "dnsd_dns_ede_total", labels, 2, sum);
	}
	static const char *const verdicts[SERVER_COOKIE_SLOTS] = { NULL, "client_only", "valid", "invalid" };
	metrics_family(m, "dnsd_dns_cookies_total", METRICS_COUNTER,
		       "Queries with a DNS COOKIE option (RFC 7873), by what it proved: client_only (no "
		       "server cookie yet), valid, invalid (not ours, expired, or another address's).");
	for (unsigned k = 1; k < SERVER_COOKIE_SLOTS; k++) {
		uint64_t sum = sum_all(s, OFF(cookies[k]));
		const struct metrics_label labels[] = { { "verdict", verdicts[k] } };
		metrics_sample(m, "dnsd_dns_cookies_total", labels, 1, sum);
	}
	uint64_t bad = sum_all(s, OFF(badcookie));
	metrics_single(m, "dnsd_dns_badcookie_total", METRICS_COUNTER,
		       "BADCOOKIE responses sent (cookie-require, UDP, client not in cookie-allow).", bad);
	uint64_t missing = sum_all(s, OFF(cookie_missing));
	metrics_single(m, "dnsd_dns_cookie_missing_total", METRICS_COUNTER,
		       "UDP queries without a cookie answered TC=1 by cookie-require (retry over TCP).",
		       missing);
}

/* The UDP threads' batching: how many use each I/O mode, and the batches. */
static void write_udp(const struct server *s, struct metrics_out *m)
{
	static const char *const modes[] = { "recvmmsg", "io-uring", "io-uring-batch-wait" };
	uint64_t count[3] = { 0 };
	for (unsigned w = 0; w < s->worker_count; w++)
		for (size_t l = 0; l < s->listen_count; l++) {
			int mode = atomic_load_explicit(&s->workers[w].udp[l].io_mode, memory_order_relaxed);
			if (mode >= 0 && mode < 3)
				count[mode]++;
		}
	metrics_family(m, "dnsd_udp_threads", METRICS_GAUGE,
		       "UDP threads by how they receive and send: recvmmsg, io-uring, or io-uring-batch-wait "
		       "(io_uring with udp-batch-wait-us in effect).");
	for (unsigned i = 0; i < 3; i++)
		metrics_sample(m, "dnsd_udp_threads", &(struct metrics_label){ "mode", modes[i] }, 1,
			       count[i]);
	metrics_single(m, "dnsd_udp_batches_total", METRICS_COUNTER,
		       "Batches of datagrams the UDP threads received: one system call each on io_uring, "
		       "recvmmsg and sendmmsg otherwise.",
		       sum_all(s, OFF(udp_batches)));
	metrics_single(m, "dnsd_udp_batch_datagrams_total", METRICS_COUNTER,
		       "Datagrams in those batches (divided by dnsd_udp_batches_total: the mean batch).",
		       sum_all(s, OFF(udp_batch_datagrams)));
	metrics_single(
		m, "dnsd_udp_batch_waits_total", METRICS_COUNTER,
		"Batches gathered by a batch wait (udp-batch-wait-us) rather than returned at the first "
		"datagram.",
		sum_all(s, OFF(udp_batch_waits)));
}

void server_write_metrics(const struct server *s, struct metrics_out *m)
{
	for (size_t i = 0; i < sizeof(cell_families) / sizeof(cell_families[0]); i++) {
		const struct cell_family *f = &cell_families[i];
		metrics_family(m, f->name, f->type, f->help);
		for_each_cell(s, m, f->name, f->fn, f->is_request);
	}
	struct server_totals t;
	sum_totals(s, &t);
	write_totals(&t, m);
	write_proxy(s, m);
	write_rrl(s, m);
	write_edns(s, m);
	write_udp(s, m);
}
