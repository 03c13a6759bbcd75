/* SPDX-License-Identifier: BSD-3-Clause
 * stats.h - the query counters of one server thread and the accounting of
 * each answered query; private to dnsd/server/. The accounting is inline
 * because the UDP and TCP loops run it for every packet: no locks, no calls
 * (but the query log's, when it is on), relaxed atomic stores only. */
#ifndef DNSD_SERVER_STATS_H
#define DNSD_SERVER_STATS_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "dns/wire.h"
#include "query/answer.h"
#include "util/slots.h"
#include "zone/publish.h"

#define SERVER_RCODE_SLOTS 24
#define SERVER_QTYPE_SLOTS 16   /* see server_stats_qtype_slot() */
#define SERVER_VIEW_SLOTS SLOTS_VIEWS          /* a view's slot: view->stats_slot */
#define SERVER_ZONE_SLOTS (SLOTS_ZONES + 1)    /* zone->stats_slot; the last = no zone */
#define SERVER_DURATION_BUCKETS 12

/* Counters of one thread (a worker's TCP loop, or a UDP socket's thread).
 * Only that thread writes them (relaxed atomics so a scrape from another
 * thread reads whole values); /metrics sums them (server_write_metrics()). */
struct server_stats {
	/* [view][zone][udp/tcp][qtype] */
	_Atomic uint64_t requests[SERVER_VIEW_SLOTS][SERVER_ZONE_SLOTS][2][SERVER_QTYPE_SLOTS];
	_Atomic uint64_t responses[SERVER_VIEW_SLOTS][SERVER_RCODE_SLOTS];
	_Atomic uint64_t dropped;
	_Atomic uint64_t truncated;
	_Atomic uint64_t no_view;
	_Atomic uint64_t duration_bucket[SERVER_DURATION_BUCKETS];   /* each its own; cumulated at scrape */
	_Atomic uint64_t duration_ns_sum;
	_Atomic uint64_t tcp_connections;    /* accepted */
	_Atomic uint64_t tcp_open;           /* currently open */
	_Atomic uint64_t tcp_timeouts;
	_Atomic uint64_t tcp_refused;        /* accept paused at the cap or on EMFILE */
};

/* Upper bounds (seconds) of the request duration histogram's buckets but
 * the last, which takes everything above them (le="+Inf"). */
static const double server_stats_duration_bounds[SERVER_DURATION_BUCKETS - 1] = {
	0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05,
};

/* Adds n to a counter only the calling thread writes: no read-modify-write
 * instruction needed. */
static inline void server_stats_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
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
		WIRE_TYPE_A, WIRE_TYPE_AAAA, WIRE_TYPE_SOA, WIRE_TYPE_NS, WIRE_TYPE_SRV, WIRE_TYPE_PTR,
		WIRE_TYPE_CNAME, WIRE_TYPE_TXT, WIRE_TYPE_MX, WIRE_TYPE_ANY, WIRE_TYPE_DS, WIRE_TYPE_DNSKEY,
		WIRE_TYPE_AXFR, WIRE_TYPE_IXFR, 65,  /* HTTPS */
	};
	for (unsigned i = 0; i < sizeof(qtype_slots) / sizeof(qtype_slots[0]); i++)
		if (qtype_slots[i] == qtype)
			return i;
	return SERVER_QTYPE_SLOTS - 1;
}

/* One line per query at level info (stats.c). */
void server_stats_log_query(const struct snapshot *snap, const struct answer_request *req,
			    const struct answer_info *info, uint64_t ns);

/* Counts one answered (or dropped) query in st, the calling thread's own
 * counters. ns: the time the server spent on the query (for UDP, from the
 * batch's arrival to its replies' departure, which is what its clients wait
 * for). */
static inline void server_stats_account(struct server_stats *st, const struct snapshot *snap,
					const struct answer_request *req,
					const struct answer_info *info, uint64_t ns)
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
	server_stats_add(&st->requests[view][zone][req->is_tcp][server_stats_qtype_slot(info->qtype)], 1);
	server_stats_add(&st->responses[view][info->rcode < SERVER_RCODE_SLOTS ? info->rcode : SERVER_RCODE_SLOTS - 1], 1);
	if (info->is_truncated)
		server_stats_add(&st->truncated, 1);
	server_stats_add(&st->duration_ns_sum, ns);
	double secs = (double)ns / 1e9;
	unsigned b = 0;
	while (b < SERVER_DURATION_BUCKETS - 1 && secs > server_stats_duration_bounds[b])
		b++;
	server_stats_add(&st->duration_bucket[b], 1);
	if (snap && snap->settings.is_query_log)
		server_stats_log_query(snap, req, info, ns);
}

#endif
