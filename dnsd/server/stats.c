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
#include "server/server_internal.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/slots.h"

/* In the order of server_stats_qtype_slot()'s table. */
static const char *const qtype_slot_names[SERVER_QTYPE_SLOTS] = {
	"A", "AAAA", "SOA", "NS", "SRV", "PTR", "CNAME", "TXT", "MX", "ANY", "DS", "DNSKEY",
	"AXFR", "IXFR", "HTTPS", "other",
};

static const char *const rcode_names[SERVER_RCODE_SLOTS] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
	"NXRRSET", "NOTAUTH", "NOTZONE", "RCODE11", "RCODE12", "RCODE13", "RCODE14", "RCODE15",
	"BADVERS", "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE",
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
	char client[80], qname[DNAME_MAX_TEXT] = "?";
	addr_text(req->client, client, sizeof(client));
	if (info->query.has_question)
		dname_to_text(qname, sizeof(qname), info->query.qname);
	const char *view_name = info->view >= 0 && snap ? snap->views->views[info->view].name : "-";
	log_info("query client=%s proto=%s view=%s qname=%s qtype=%u rcode=%u tc=%d us=%.1f",
		 client, req->is_tcp ? "tcp" : "udp", view_name, qname, info->qtype,
		 info->rcode, info->is_truncated, (double)ns / 1000.0);
}

/* ---------- /metrics ---------- */

static uint64_t load(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* By slot (slots.h): every view and zone seen since the start, each under
 * its own name whatever reloads did to the order. */
static void write_requests(const struct server *s, struct metrics_out *m)
{
	static const char name[] = "dnsd_dns_requests_total";
	metrics_family(m, name, METRICS_COUNTER, "Queries answered, by view, zone, protocol and type.");
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
					for (unsigned i = 0; i < s->stats_count; i++)
						sum += load(&s->stats[i].requests[v][z][proto][t]);
					if (!sum)
						continue;
					const struct metrics_label labels[] = {
						{ "view", view_name }, { "zone", zone_name },
						{ "proto", proto ? "tcp" : "udp" }, { "type", qtype_slot_names[t] },
					};
					metrics_sample(m, name, labels, 4, sum);
				}
		}
	}
}

/* NOERROR and NXDOMAIN always, other rcodes once they occurred. */
static void write_responses(const struct server *s, struct metrics_out *m)
{
	static const char name[] = "dnsd_dns_responses_total";
	metrics_family(m, name, METRICS_COUNTER, "Responses sent, by view and rcode.");
	for (unsigned v = 0; v < SERVER_VIEW_SLOTS; v++) {
		const char *view_name = slots_name(&slots_views, v);
		if (!view_name)
			continue;
		for (unsigned r = 0; r < SERVER_RCODE_SLOTS; r++) {
			uint64_t sum = 0;
			for (unsigned i = 0; i < s->stats_count; i++)
				sum += load(&s->stats[i].responses[v][r]);
			if (!sum && r != WIRE_RCODE_NOERROR && r != WIRE_RCODE_NXDOMAIN)
				continue;
			const struct metrics_label labels[] = { { "view", view_name }, { "rcode", rcode_names[r] } };
			metrics_sample(m, name, labels, 2, sum);
		}
	}
}

/* The unlabelled counters, summed over every thread. */
struct server_totals {
	uint64_t duration_bucket[SERVER_DURATION_BUCKETS];
	uint64_t duration_ns_sum;
	uint64_t dropped, truncated, no_view;
	uint64_t tcp_connections, tcp_open, tcp_timeouts, tcp_refused;
};

static void sum_totals(const struct server *s, struct server_totals *t)
{
	*t = (struct server_totals){ 0 };
	for (unsigned i = 0; i < s->stats_count; i++) {
		const struct server_stats *st = &s->stats[i];
		for (unsigned b = 0; b < SERVER_DURATION_BUCKETS; b++)
			t->duration_bucket[b] += load(&st->duration_bucket[b]);
		t->duration_ns_sum += load(&st->duration_ns_sum);
		t->dropped += load(&st->dropped);
		t->truncated += load(&st->truncated);
		t->no_view += load(&st->no_view);
		t->tcp_connections += load(&st->tcp_connections);
		t->tcp_open += load(&st->tcp_open);
		t->tcp_timeouts += load(&st->tcp_timeouts);
		t->tcp_refused += load(&st->tcp_refused);
	}
}

static void write_duration(const struct server_totals *t, struct metrics_out *m)
{
	static const char name[] = "dnsd_dns_request_duration_seconds";
	metrics_family(m, name, METRICS_HISTOGRAM,
		       "Time the server spent on a query: for UDP from the arrival of its recvmmsg batch to the replies sent, for TCP from the complete message to the response built.");
	metrics_histogram(m, name, NULL, 0, server_stats_duration_bounds, t->duration_bucket,
			  SERVER_DURATION_BUCKETS - 1, (double)t->duration_ns_sum / 1e9);
}

static void write_totals(const struct server_totals *t, struct metrics_out *m)
{
	metrics_single(m, "dnsd_dns_dropped_total", METRICS_COUNTER,
		       "Messages dropped without reply (unreadable header, QR=1).", t->dropped);
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
}

void server_write_metrics(const struct server *s, struct metrics_out *m)
{
	write_requests(s, m);
	write_responses(s, m);
	struct server_totals t;
	sum_totals(s, &t);
	write_duration(&t, m);
	write_totals(&t, m);
}
