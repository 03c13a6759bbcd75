/* SPDX-License-Identifier: BSD-3-Clause
 * server.h - the DNS server: N workers, each with its own SO_REUSEPORT
 * sockets for every listening address, a libevent loop for TCP and a
 * blocking thread per UDP socket, its buffers and its counters; no thread
 * touches another's state. Queries are answered by answer.c against the
 * snapshot published in publish.h. Only main.c and admin.c use this. */
#ifndef DNSD_SERVER_H
#define DNSD_SERVER_H

#include <stddef.h>

#include "conf/config.h"
#include "zone/publish.h"

struct metrics_out;
struct server;

/* Binds every listening address (UDP and TCP, one socket per worker) so that
 * privileges can be dropped afterwards. NULL with a message in err on
 * failure; the caller frees the server with server_free(). */
struct server *server_new(const struct config *cfg, struct publish *publish, char *err, size_t errlen);
/* Starts the worker threads (TCP) and the UDP threads. */
int server_start(struct server *s);
/* Stops the UDP threads, then stops accepting TCP, lets open TCP answers
 * flush (at most drain_ms) and joins the workers. Once, from the thread
 * that started the server. */
void server_stop(struct server *s, unsigned drain_ms);
/* Accepts NULL. After server_stop() if the server was started. */
void server_free(struct server *s);

/* Replaces the UDP rate limiter (rrl.h) with one for cfg's rrl settings
 * (NULL when they turn it off), without a lock on the query path: the UDP
 * threads see either table whole, and the old one is freed after a grace
 * period (publish_synchronize). The new table starts empty. From the main
 * thread; 0, or DNSD_ENOMEM with err (the old limiter stays). */
int server_set_rrl(struct server *s, const struct config *cfg, char *err, size_t errlen);

unsigned server_worker_count(const struct server *s);

/* The listening addresses as bound: listen i's text as configured, but with
 * the port the kernel chose where the configuration said 0
 * ("127.0.0.1:40123"). Borrowed, valid while s exists. */
size_t server_listen_count(const struct server *s);
const char *server_listen_text(const struct server *s, size_t i);

/* Writes the query counters summed over every thread (requests, responses,
 * request durations, drops, TCP connections) through the metrics writers:
 * the server's part of /metrics. Any thread, while s exists. */
void server_write_metrics(const struct server *s, struct metrics_out *m);

#endif
