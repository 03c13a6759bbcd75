/* SPDX-License-Identifier: BSD-3-Clause
 * server.h - sockets and worker threads. Each worker owns one libevent loop,
 * its own SO_REUSEPORT UDP and TCP sockets for every listening address, its
 * buffers and its counters; workers never touch each other's state. Queries
 * are answered by answer.c against the snapshot published in publish.h. */
#ifndef DNSD_SERVER_H
#define DNSD_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf/config.h"
#include "zone/publish.h"
#include "util/slots.h"

#define SERVER_RCODE_SLOTS 24
#define SERVER_QTYPE_SLOTS 16   /* see server_qtype_slot() */
#define SERVER_VIEW_SLOTS SLOTS_VIEWS          /* a view's slot: view->stats_slot */
#define SERVER_ZONE_SLOTS (SLOTS_ZONES + 1)    /* zone->stats_slot; the last = no zone */
#define SERVER_DURATION_BUCKETS 12

/* Counters of one thread (a worker's TCP loop, or a UDP socket's thread).
 * Only that thread writes them (relaxed atomics so a scrape from another
 * thread reads whole values); /metrics sums them. */
struct server_stats {
	/* [view][zone][udp/tcp][qtype] */
	_Atomic uint64_t requests[SERVER_VIEW_SLOTS][SERVER_ZONE_SLOTS][2][SERVER_QTYPE_SLOTS];
	_Atomic uint64_t responses[SERVER_VIEW_SLOTS][SERVER_RCODE_SLOTS];
	_Atomic uint64_t dropped;
	_Atomic uint64_t truncated;
	_Atomic uint64_t no_view;
	_Atomic uint64_t duration_bucket[SERVER_DURATION_BUCKETS];   /* cumulative at scrape */
	_Atomic uint64_t duration_ns_sum;
	_Atomic uint64_t tcp_connections;    /* accepted */
	_Atomic uint64_t tcp_open;           /* currently open */
	_Atomic uint64_t tcp_timeouts;
	_Atomic uint64_t tcp_refused;        /* accept paused at the cap or on EMFILE */
};

/* Upper bounds (seconds) of the request duration histogram buckets. */
extern const double server_duration_bounds[SERVER_DURATION_BUCKETS];
/* qtype -> slot and slot -> name ("A", "AAAA", ..., "other"). */
unsigned server_qtype_slot(uint16_t qtype);
const char *server_qtype_name(unsigned slot);

struct server;

/* Binds every listening address (UDP and TCP, one socket per worker) so that
 * privileges can be dropped afterwards. NULL with a message in err on failure. */
struct server *server_new(const struct config *cfg, struct publish *publish, char *err, size_t errlen);
/* Starts the worker threads. */
int server_start(struct server *s);
/* Stops accepting, lets open TCP answers flush (at most drain_ms), joins the
 * workers. Safe to call once from the main thread. */
void server_stop(struct server *s, unsigned drain_ms);
void server_free(struct server *s);

unsigned server_worker_count(const struct server *s);
/* Counters come in several sets (each worker's TCP, each UDP socket's
 * thread); the totals are their sums. */
unsigned server_stats_count(const struct server *s);
const struct server_stats *server_stats_at(const struct server *s, unsigned i);

#endif
