/* SPDX-License-Identifier: BSD-3-Clause
 * stats.h - the query counters of one server thread and the accounting of
 * each answered query; private to dnsd/server/. The accounting is inline
 * because the UDP and TCP loops run it for every packet: no locks, no calls
 * (but the query log's, when it is on), relaxed atomic stores only. */
#ifndef DNSD_SERVER_STATS_H
#define DNSD_SERVER_STATS_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "dns/wire.h"
#include "query/answer.h"
#include "server/proxy.h"
#include "server/rrl.h"
#include "util/slots.h"
#include "zone/publish.h"

#define SERVER_RCODE_SLOTS 24
#define SERVER_QTYPE_SLOTS 16               /* see server_stats_qtype_slot() */
#define SERVER_VIEW_SLOTS SLOTS_VIEWS       /* a view's slot: view->stats_slot */
#define SERVER_ZONE_SLOTS (SLOTS_ZONES + 1) /* zone->stats_slot; the last = no zone ("dropped") */
#define SERVER_WRITER_SLOTS 3               /* enum answer_writer: the plugin label */
#define SERVER_DURATION_BOUNDS 16
#define SERVER_SIZE_BOUNDS 14
#define SERVER_EDE_SLOTS 32   /* RFC 8914 INFO-CODEs 0..31 */
#define SERVER_COOKIE_SLOTS 4 /* enum cookie_verdict */

/* Counters of one thread and one listening address in one protocol (a UDP
 * socket's thread, or a worker's TCP listener), so that the server and
 * proto labels come with the set. Only that thread writes them (relaxed
 * atomics so a scrape from another thread reads whole values); /metrics
 * sums the sets (server_write_metrics()). The label sets are CoreDNS's
 * (plugin/metrics/vars): requests by view, zone, family and type; responses
 * by view, zone, rcode and the writer; durations by view, zone and type;
 * sizes by view and zone. Indexed by name slots (slots.h), so a slot no
 * query used costs no resident memory (the pages stay untouched). */
struct server_stats {
	/* set before the thread starts, read-only after */
	unsigned listen; /* the listening address: the server label */
	bool is_tcp;     /* the proto label */
	/* [view][zone][IPv4, IPv6][qtype] */
	_Atomic uint64_t requests[SERVER_VIEW_SLOTS][SERVER_ZONE_SLOTS][2][SERVER_QTYPE_SLOTS];
	_Atomic uint64_t
		responses[SERVER_VIEW_SLOTS][SERVER_ZONE_SLOTS][SERVER_RCODE_SLOTS][SERVER_WRITER_SLOTS];
	_Atomic uint64_t do_requests[SERVER_VIEW_SLOTS][SERVER_ZONE_SLOTS];
	/* histograms: one count per bucket (the last above every bound), cumulated at scrape */
	_Atomic uint64_t duration[SERVER_VIEW_SLOTS][SERVER_ZONE_SLOTS][SERVER_QTYPE_SLOTS]
				 [SERVER_DURATION_BOUNDS + 1];
	_Atomic uint64_t duration_ns_sum[SERVER_VIEW_SLOTS][SERVER_ZONE_SLOTS][SERVER_QTYPE_SLOTS];
	_Atomic uint64_t request_size[SERVER_VIEW_SLOTS][SERVER_ZONE_SLOTS][SERVER_SIZE_BOUNDS + 1];
	_Atomic uint64_t request_bytes[SERVER_VIEW_SLOTS][SERVER_ZONE_SLOTS];
	_Atomic uint64_t response_size[SERVER_VIEW_SLOTS][SERVER_ZONE_SLOTS][SERVER_SIZE_BOUNDS + 1];
	_Atomic uint64_t response_bytes[SERVER_VIEW_SLOTS][SERVER_ZONE_SLOTS];
	_Atomic uint64_t dropped;
	_Atomic uint64_t truncated;
	_Atomic uint64_t no_view;
	_Atomic uint64_t tcp_connections; /* accepted */
	_Atomic uint64_t tcp_open;        /* currently open */
	_Atomic uint64_t tcp_timeouts;
	_Atomic uint64_t tcp_refused;        /* accept paused at the cap or on EMFILE */
	_Atomic uint64_t tcp_evicted;        /* idle connections closed to admit a new one */
	_Atomic uint64_t tcp_shed;           /* connections closed at the output ceiling */
	_Atomic uint64_t tcp_in_flight_shed; /* connections closed at the in-flight ceiling */
	_Atomic uint64_t tcp_client_limited; /* refused: the client address is at its limit */
	/* PROXY v2 (server/proxy.h): headers honoured [udp/tcp][proxy/local];
	 * datagrams (UDP) and connections (TCP) dropped for their header
	 * [udp/tcp][SERVER_PROXY_DROP_*] */
	_Atomic uint64_t proxy_headers[2][2];
	_Atomic uint64_t proxy_dropped[2][3];
	/* response rate limiting (rrl.h), UDP threads only: replies over their
	 * rate by kind (log-only too), and of those the slipped and dropped */
	_Atomic uint64_t rrl_limited[RRL_KIND_COUNT];
	_Atomic uint64_t rrl_slipped;
	_Atomic uint64_t rrl_dropped;
	/* Extended DNS Errors sent, by INFO-CODE; COOKIE options received by
	 * verdict; BADCOOKIE replies */
	_Atomic uint64_t ede[SERVER_EDE_SLOTS];
	_Atomic uint64_t cookies[SERVER_COOKIE_SLOTS];
	_Atomic uint64_t badcookie;
	_Atomic uint64_t cookie_missing; /* cookie-require: TC for a UDP query without a cookie */
	/* UDP threads: batches received (one io_uring_enter(), or one recvmmsg()
	 * and one sendmmsg(), each), the datagrams in them, and the batches
	 * gathered by a batch wait (udp-batch-wait-us) */
	_Atomic uint64_t udp_batches;
	_Atomic uint64_t udp_batch_datagrams;
	_Atomic uint64_t udp_batch_waits;
};

/* Upper bounds (seconds) of the request duration histogram's buckets:
 * finer than CoreDNS's (which start at 250 µs) because answers here take
 * microseconds; le="+Inf" takes the rest. */
static const double server_stats_duration_bounds[SERVER_DURATION_BOUNDS] = {
	0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
	0.005,   0.01,     0.025,   0.05,   0.1,     0.25,   0.5,   1,
};
/* CoreDNS's size buckets (bytes), for requests and responses alike. */
static const double server_stats_size_bounds[SERVER_SIZE_BOUNDS] = {
	0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16e3, 32e3, 48e3, 64e3,
};

/* Adds n to a counter only the calling thread writes: no read-modify-write
 * instruction needed. */
static inline void server_stats_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

enum { SERVER_PROXY_DROP_NOT_ALLOWED, SERVER_PROXY_DROP_MISSING, SERVER_PROXY_DROP_MALFORMED };

/* Counts one PROXY v2 verdict that was not DIRECT or WAIT (is_tcp: which
 * protocol's counters). */
static inline void server_stats_proxy(struct server_stats *st, bool is_tcp, enum proxy_verdict v)
{
	if (v == PROXY_VERDICT_PROXIED || v == PROXY_VERDICT_LOCAL)
		server_stats_add(&st->proxy_headers[is_tcp][v == PROXY_VERDICT_LOCAL], 1);
	else
		server_stats_add(
			&st->proxy_dropped[is_tcp]
					  [v == PROXY_VERDICT_NOT_ALLOWED ? SERVER_PROXY_DROP_NOT_ALLOWED
					   : v == PROXY_VERDICT_MISSING   ? SERVER_PROXY_DROP_MISSING
									  : SERVER_PROXY_DROP_MALFORMED],
			1);
}
/* One UDP batch of n datagrams; is_waited: gathered by a batch wait. */
static inline void server_stats_udp_batch(struct server_stats *st, unsigned n, bool is_waited)
{
	server_stats_add(&st->udp_batches, 1);
	server_stats_add(&st->udp_batch_datagrams, n);
	if (is_waited)
		server_stats_add(&st->udp_batch_waits, 1);
}
static inline uint64_t server_stats_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* qtype -> its counter slot; the last slot is every other type. The names
 * are in stats.c, in the same order. */
static inline unsigned server_stats_qtype_slot(uint16_t qtype)
{
	static const uint16_t qtype_slots[] = {
		WIRE_TYPE_A,   WIRE_TYPE_AAAA,   WIRE_TYPE_SOA,  WIRE_TYPE_NS,   WIRE_TYPE_SRV,
		WIRE_TYPE_PTR, WIRE_TYPE_CNAME,  WIRE_TYPE_TXT,  WIRE_TYPE_MX,   WIRE_TYPE_ANY,
		WIRE_TYPE_DS,  WIRE_TYPE_DNSKEY, WIRE_TYPE_AXFR, WIRE_TYPE_IXFR, 65, /* HTTPS */
	};
	for (unsigned i = 0; i < sizeof(qtype_slots) / sizeof(qtype_slots[0]); i++)
		if (qtype_slots[i] == qtype)
			return i;
	return SERVER_QTYPE_SLOTS - 1;
}

/* One line per query at level info (stats.c). */
void server_stats_log_query(const struct snapshot *snap, const struct answer_request *req,
			    const struct answer_info *info, uint64_t ns);

/* The bucket of value among bounds (the first bound >= value; count = above all). */
static inline unsigned server_stats_bucket(const double *bounds, unsigned count, double value)
{
	unsigned b = 0;
	while (b < count && value > bounds[b])
		b++;
	return b;
}

/* 0 for IPv4 (IPv4-mapped IPv6 included, as Go's To4() sees it), 1 for IPv6:
 * CoreDNS's family label "1" and "2". */
static inline unsigned server_stats_family(const struct sockaddr *sa)
{
	if (sa->sa_family != AF_INET6)
		return 0;
	return IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)sa)->sin6_addr) ? 0 : 1;
}

/* Counts one answered (or dropped) query in st, the calling thread's own
 * counters. ns: the time the server spent on the query (for UDP, from the
 * batch's arrival to its replies' departure, which is what its clients wait
 * for). */
static inline void server_stats_account(struct server_stats *st, const struct snapshot *snap,
					const struct answer_request *req, const struct answer_info *info,
					uint64_t ns)
{
	if (info->is_dropped) {
		server_stats_add(&st->dropped, 1);
		return;
	}
	/* slots by name (slots.h): a reload does not move counts between labels */
	unsigned view = 0;
	if (info->view < 0)
		server_stats_add(&st->no_view, 1);
	else if (snap)
		view = snap->views->views[info->view].stats_slot;
	unsigned zone = info->zone ? info->zone->stats_slot : SERVER_ZONE_SLOTS - 1;
	unsigned type = server_stats_qtype_slot(info->qtype);
	unsigned rcode = info->rcode < SERVER_RCODE_SLOTS ? info->rcode : SERVER_RCODE_SLOTS - 1;
	server_stats_add(&st->requests[view][zone][server_stats_family(req->client)][type], 1);
	server_stats_add(&st->responses[view][zone][rcode][info->writer], 1);
	if (info->query.has_opt && info->query.is_do)
		server_stats_add(&st->do_requests[view][zone], 1);
	if (info->is_truncated)
		server_stats_add(&st->truncated, 1);
	if (info->ede >= 0 && info->ede < SERVER_EDE_SLOTS)
		server_stats_add(&st->ede[info->ede], 1);
	if (info->is_cookie_missing)
		server_stats_add(&st->cookie_missing, 1);
	if (info->cookie != COOKIE_NONE) {
		server_stats_add(&st->cookies[info->cookie], 1);
		if (info->rcode == WIRE_RCODE_BADCOOKIE)
			server_stats_add(&st->badcookie, 1);
	}
	server_stats_add(&st->duration_ns_sum[view][zone][type], ns);
	server_stats_add(&st->duration[view][zone][type][server_stats_bucket(
				 server_stats_duration_bounds, SERVER_DURATION_BOUNDS, (double)ns / 1e9)],
			 1);
	server_stats_add(&st->request_bytes[view][zone], req->len);
	server_stats_add(&st->request_size[view][zone][server_stats_bucket(
				 server_stats_size_bounds, SERVER_SIZE_BOUNDS, (double)req->len)],
			 1);
	server_stats_add(&st->response_bytes[view][zone], info->reply_len);
	server_stats_add(&st->response_size[view][zone][server_stats_bucket(
				 server_stats_size_bounds, SERVER_SIZE_BOUNDS, (double)info->reply_len)],
			 1);
	if (snap && snap->settings.is_query_log)
		server_stats_log_query(snap, req, info, ns);
}

#endif
