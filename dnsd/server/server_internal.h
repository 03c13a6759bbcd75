/* SPDX-License-Identifier: BSD-3-Clause
 * server_internal.h - what the server's modules share: the server, worker,
 * UDP socket and TCP listener structs, and the calls between server.c
 * (workers), socket.c, udp.c and tcp.c. Private to dnsd/server/: nothing
 * outside it includes this file. */
#ifndef DNSD_SERVER_INTERNAL_H
#define DNSD_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf/config.h"
#include "query/answer.h"
#include "server/proxy.h"
#include "server/rrl.h"
#include "server/server.h"
#include "zone/publish.h"

struct event;
struct event_base;
struct evconnlistener;
struct server_stats;
struct tcp_conn;
struct udp_batch;
struct udp_ring;

/* One listening address's UDP socket in one worker, and the thread that
 * serves it (udp.c). Once the thread runs it alone touches the batch, the
 * reader and the counters; the main thread sets is_stopping and joins it. */
struct udp_socket {
	int fd;
	struct sockaddr_storage local; /* bound address, for port and family */
	bool has_pktinfo;              /* bound to a wildcard: the address comes per datagram */
	struct server *s;
	struct server_stats *stats; /* written by this socket's thread only */
	struct publish_reader *reader;
	struct udp_batch *batch;             /* the recvmmsg() path's buffers */
	struct udp_ring *ring;               /* the io_uring path's, NULL when it is not used */
	struct rrl_thread rrl;               /* this thread's slip count and log times */
	int64_t cookie_logged_s;             /* when this thread last logged a cookie refusal (Unix s) */
	uint64_t cookie_refused;             /* cookie refusals since that line, not yet logged */
	struct sockaddr_storage cookie_last; /* the last client refused */
	uint8_t cookie_last_why;             /* 0 no cookie, 1 client cookie only, 2 invalid */
	pthread_t thread;
	bool is_started;
	_Atomic bool is_stopping; /* set by server_stop() */
	/* how the thread receives and sends (enum udp_io_mode): set before it
	 * starts, lowered by the thread itself when io_uring turns out not to
	 * work; read by /metrics */
	_Atomic int io_mode;
};

enum udp_io_mode { UDP_IO_MODE_RECVMMSG, UDP_IO_MODE_IO_URING, UDP_IO_MODE_IO_URING_BATCH_WAIT };

/* One listening address's TCP socket in one worker's loop (tcp.c). */
struct tcp_listener {
	int fd;
	struct sockaddr_storage local;
	struct evconnlistener *listener;
	struct worker *w;
	struct server_stats *stats; /* its queries' counters, written by w's thread */
};

/* One worker: a libevent loop for TCP, plus a UDP thread per listening
 * address. The loop's state is touched by the worker thread only; the main
 * thread reaches it through stop_ev (event_active) and loopexit, which
 * libevent's locking makes safe (server_new turns it on). */
struct worker {
	unsigned id;
	pthread_t thread;
	bool is_started;
	struct server *s;
	struct event_base *base;
	struct publish_reader *reader; /* the TCP loop's */
	struct udp_socket *udp;        /* [listen_count] */
	struct tcp_listener *tcp;      /* [listen_count] */
	size_t listen_count;
	struct event *stop_ev;
	struct event *accept_retry_ev;
	bool is_accept_paused;
	bool is_stopping;
	unsigned conn_count, conn_max;
	struct tcp_conn *conns;      /* most recently active first */
	struct tcp_conn *conns_tail; /* least recently active: evicted first at the cap */
	struct server_stats *stats;  /* its TCP connection counters (listener 0's set) */
	uint32_t idle_timeout_ms;
	uint32_t io_timeout_ms;       /* one message's deadline */
	uint32_t conn_max_per_client; /* per client address; 0 = no limit */
	size_t output_len;            /* unsent TCP answers in this worker's buffers */
	size_t output_max;            /* past it, shed (tcp.output-buffer-max / workers) */
	size_t input_len;             /* received TCP bytes not yet answered (partial queries) */
	unsigned xfr_count;           /* transfers being sent */
	size_t in_flight_max;         /* output + input + transfers; past it, shed (tcp.in-flight-max
	                                 / workers) */
	int64_t shed_logged_s;        /* when shedding was last logged (monotonic s) */
	uint8_t tcp_in[65535];
	uint8_t tcp_out[2 + ANSWER_BUF_MAX];
};

struct server {
	struct publish *publish;
	struct worker *workers;
	unsigned worker_count;
	size_t listen_count;
	struct config_addr *listen; /* [listen_count]: as configured, but a port 0 replaced
	                                     by the one the kernel chose (worker_init) */
	struct server_stats *stats; /* per worker: one per TCP listener, then one per UDP
	                                     socket, each for one listening address */
	unsigned stats_count;
	/* proxy-protocol: the peers that must send a PROXY v2 header (a copy,
	 * fixed for the server's life; read by every thread, written by none) */
	struct config_prefix *proxy_prefixes;
	struct proxy_allowlist proxy;
	/* response rate limiting over UDP (rrl.h); NULL = off. Replaced on
	 * reload (server_set_rrl); UDP threads load it inside a read section */
	_Atomic(struct rrl *) rrl;
	enum config_udp_io udp_io;
	uint32_t udp_batch_wait_us; /* udp-batch-wait-us */
	bool is_udp_io_logged;      /* the choice is logged once, by the main thread */
};

/* socket.c: a bound socket for a, SOCK_DGRAM (blocking) or SOCK_STREAM
 * (non-blocking, listening). -1 with a message in err on failure. */
int socket_open(const struct config_addr *a, int type, char *err, size_t errlen);
/* 0.0.0.0 or :: */
bool socket_is_wildcard(const struct sockaddr_storage *ss);
/* The same IPv4 or IPv6 address (and, with is_port_too, the same port). */
bool socket_same_address(const struct sockaddr *a, const struct sockaddr *b, bool is_port_too);

/* udp.c: opens u's socket on a and allocates its batch; stats are the
 * thread's counters. On failure (DNSD_ENOMEM, DNSD_EIO, with err) the caller
 * still calls udp_socket_clear(). u->fd must be -1 beforehand. */
int udp_socket_init(struct udp_socket *u, struct server *s, struct server_stats *stats,
		    const struct config_addr *a, char *err, size_t errlen);
int udp_socket_start(struct udp_socket *u);

/* One datagram's answer, for both I/O paths (udp.c): the address it came
 * to, the control message that sends the reply from it, the request as
 * answer.h sees it (.req.pkt NULL: dropped, nothing to send or count). */
struct udp_query {
	struct sockaddr_storage local;
	struct sockaddr_storage proxied_client, proxied_local; /* PROXY v2 */
	struct answer_request req;
	struct answer_info info;
	uint8_t sctl[64];
	size_t sctl_len;
};
#define UDP_RECV_MAX 4096
#define UDP_SEND_MAX 4096
/* Answers the datagram pkt/len from client (mh carries its control
 * messages) into out; the reply's length, 0 for none. now_s: the wall
 * clock read once per batch (cookie timestamps). */
size_t udp_answer(struct udp_socket *u, const struct snapshot *snap, const struct msghdr *mh,
		  const uint8_t *pkt, size_t len, const struct sockaddr *client, struct udp_query *q,
		  uint8_t *out, size_t out_max, uint32_t now_s);

/* udp_uring.c: the io_uring path. udp_ring_new() sets up u's ring (on the
 * thread that will use it): NULL with the reason in err when the kernel
 * refuses (no io_uring, seccomp, too old for multishot receives). */
struct udp_ring *udp_ring_new(struct udp_socket *u, char *err, size_t errlen);
/* Serves u until it stops; returns false at once if the kernel turned out
 * not to support what the ring needs, so that the caller falls back. */
bool udp_ring_serve(struct udp_socket *u, struct udp_ring *r);
void udp_ring_free(struct udp_ring *r);
/* The batch wait r's thread uses while datagrams come fast (µs): 0 where the
 * kernel has no min_wait_usec (before 6.12) or udp-batch-wait-us is 0. */
uint32_t udp_ring_batch_wait_us(const struct udp_ring *r);
/* Tells the thread to stop and wakes it from recvmmsg(); udp_socket_join()
 * then waits for it. Split so that every thread is woken before any join. */
void udp_socket_wake(struct udp_socket *u);
void udp_socket_join(struct udp_socket *u);
void udp_socket_clear(struct udp_socket *u);
/* Writes the cookie refusals' pending log line if one is due (udp.c); the
 * socket's thread, once per wake-up. */
void udp_cookie_log_flush(struct udp_socket *u, uint32_t now_s);

/* tcp.c: opens t's listening socket on a in w's loop. On failure
 * (DNSD_ENOMEM, DNSD_EIO, with err) the caller still calls
 * tcp_listener_clear(). t->fd must be -1 beforehand. */
int tcp_listener_init(struct tcp_listener *t, struct worker *w, struct server_stats *stats,
		      const struct config_addr *a, char *err, size_t errlen);
void tcp_listener_clear(struct tcp_listener *t);
/* w's accept retry timer; DNSD_ENOMEM. tcp_worker_clear() closes every
 * connection and frees the timer. */
int tcp_worker_init(struct worker *w);
void tcp_worker_clear(struct worker *w);
/* On w's thread, once w->is_stopping: stops accepting and closes the idle
 * connections; the others close once their query in flight is answered and
 * written, and the loop exits when none is left. */
void tcp_drain(struct worker *w);

#endif
