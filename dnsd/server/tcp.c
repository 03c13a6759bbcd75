/* SPDX-License-Identifier: BSD-3-Clause
 * tcp.c - DNS over TCP (RFC 7766) in each worker's libevent loop: 2-byte
 * length framing, pipelined queries, an idle timeout (shorter under
 * pressure) and a per-message deadline (slowloris), a per-worker connection
 * cap at which the longest-idle connection makes room for a new one, and
 * accept() paused when none is idle or on EMFILE instead of spinning; a
 * PROXY v2 header first from the load balancers in proxy-protocol
 * (proxy.h), under the same deadline; zone transfers (transfer.h).
 * server.c sets it up and tears it down; the callbacks run on the worker's
 * thread and touch only that worker. */
#include "server/server_internal.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/stats.h"
#include "server/transfer.h"
#include "util/err.h"
#include "util/log.h"

#define TCP_OUTPUT_HIGH 262144 /* stop reading while this much is unsent */
/* stop reading while this much is received and unanswered: two whole messages */
#define TCP_INPUT_HIGH (2 * (2 + 65535))
#define TCP_XFR_IN_FLIGHT 65536 /* what a transfer being sent counts in flight, besides its output */
#define ACCEPT_RETRY_MS 100

/* One client connection; on its worker's list while open, most recently
 * active first. */
struct tcp_conn {
	struct bufferevent *bev;
	struct worker *w;
	struct server_stats *stats; /* its listener's: the queries' counters */
	struct sockaddr_storage client;
	struct sockaddr_storage local;
	struct event *message_timer;         /* armed while a message is incomplete */
	struct evbuffer_cb_entry *output_cb; /* keeps w->output_len */
	struct evbuffer_cb_entry *input_cb;  /* keeps w->input_len */
	bool is_message_pending;
	struct transfer *xfr;  /* an AXFR/IXFR being sent; reading waits for it */
	bool is_start_pending; /* the first bytes (a PROXY v2 header or not) are still to be read */
	bool is_from_proxy;    /* the peer is in proxy-protocol: a header is required */
	struct tcp_conn *prev, *next;
};

/* ---------- connections ---------- */

static void tcp_conn_close(struct tcp_conn *c);
static void accept_resume(struct worker *w);

static void tcp_message_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct tcp_conn *c = arg;
	server_stats_add(&c->w->stats->tcp_timeouts, 1);
	tcp_conn_close(c);
}

static void tcp_maybe_finish_drain(struct worker *w)
{
	/* loopexit, not loopbreak: the deferred bufferevent finalizers that
	 * close the sockets still run, so clients see FIN now, not at exit */
	if (w->is_stopping && w->conn_count == 0)
		event_base_loopexit(w->base, NULL);
}

/* While draining, a connection is done once nothing is queued either way: no
 * answer left to write and no query, whole or partial, received or still
 * waiting in the socket buffer. */
static bool tcp_conn_is_drained(struct tcp_conn *c)
{
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) != 0 ||
	    evbuffer_get_length(bufferevent_get_input(c->bev)) != 0)
		return false;
	int pending = 0;
	if (ioctl(bufferevent_getfd(c->bev), FIONREAD, &pending) != 0)
		return true;
	return pending == 0;
}

static void tcp_conn_unlink(struct tcp_conn *c)
{
	struct worker *w = c->w;
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		w->conns_tail = c->prev;
	c->prev = c->next = NULL;
}

static void tcp_conn_push_front(struct tcp_conn *c)
{
	struct worker *w = c->w;
	c->prev = NULL;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	else
		w->conns_tail = c;
	w->conns = c;
}

/* The idle timeout, a quarter of it (at least 100 ms) once the worker holds
 * three quarters of its connection cap, so idle clients make room sooner. */
static uint32_t tcp_idle_timeout_ms(const struct worker *w)
{
	uint32_t ms = w->idle_timeout_ms;
	if ((uint64_t)w->conn_count * 4 >= (uint64_t)w->conn_max * 3) {
		ms /= 4;
		if (ms < 100)
			ms = 100;
	}
	return ms;
}

static void tcp_conn_set_idle_timeout(struct tcp_conn *c)
{
	uint32_t ms = tcp_idle_timeout_ms(c->w);
	struct timeval idle = { ms / 1000, (ms % 1000) * 1000 };
	bufferevent_set_timeouts(c->bev, &idle, &idle);
}

/* A connection with nothing in flight: no partial message, nothing unread
 * or unsent. Closing it loses no query and no answer. */
static bool tcp_conn_is_idle(struct tcp_conn *c)
{
	return !c->is_message_pending && !c->xfr && evbuffer_get_length(bufferevent_get_input(c->bev)) == 0 &&
	       evbuffer_get_length(bufferevent_get_output(c->bev)) == 0;
}

/* How many of the worker's connections come from sa's address. A walk of the
 * list (at most the per-worker cap) per accept, only when a limit is set. */
static unsigned tcp_client_conn_count(struct worker *w, const struct sockaddr *sa)
{
	unsigned n = 0;
	for (struct tcp_conn *c = w->conns; c; c = c->next)
		n += socket_same_address((const struct sockaddr *)&c->client, sa, false);
	return n;
}

/* The longest-idle connection that has nothing in flight, or NULL. */
static struct tcp_conn *tcp_eviction_victim(struct worker *w)
{
	for (struct tcp_conn *c = w->conns_tail; c; c = c->prev)
		if (tcp_conn_is_idle(c))
			return c;
	return NULL;
}

/* Keeps the worker's total of unsent answers as libevent adds and drains. */
static void tcp_output_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	(void)buf;
	struct worker *w = arg;
	w->output_len += info->n_added;
	w->output_len -= info->n_deleted;
}

/* ... and of received bytes not yet answered. */
static void tcp_input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	(void)buf;
	struct worker *w = arg;
	w->input_len += info->n_added;
	w->input_len -= info->n_deleted;
}

static void tcp_conn_close(struct tcp_conn *c)
{
	struct worker *w = c->w;
	tcp_conn_unlink(c);
	if (c->output_cb) {
		struct evbuffer *out = bufferevent_get_output(c->bev);
		w->output_len -= evbuffer_get_length(out);
		evbuffer_remove_cb_entry(out, c->output_cb);
	}
	if (c->input_cb) {
		struct evbuffer *in = bufferevent_get_input(c->bev);
		w->input_len -= evbuffer_get_length(in);
		evbuffer_remove_cb_entry(in, c->input_cb);
	}
	event_free(c->message_timer);
	bufferevent_free(c->bev);
	if (c->xfr)
		w->xfr_count--;
	transfer_free(c->xfr);
	free(c);
	w->conn_count--;
	server_stats_add(&w->stats->tcp_open, (uint64_t)-1);
	if (w->is_accept_paused && !w->is_stopping)
		accept_resume(w);
	tcp_maybe_finish_drain(w);
}

/* Queues the transfer's next messages while less than TCP_OUTPUT_HIGH is
 * unsent: a client that reads slowly holds at most that much here, and one
 * that reads nothing meets the idle timeout. The messages are written in
 * place, framed, into one extent reserved in the output buffer (no copy),
 * and the socket is written up to TCP_OUTPUT_HIGH at a time instead of
 * libevent's default 16 KiB (a writev and an epoll_wait per 16 KiB message
 * was most of an AXFR's system calls). Returns true when it is done (then
 * reading resumes). */
static bool tcp_xfr_pump(struct tcp_conn *c)
{
	struct worker *w = c->w;
	struct evbuffer *outbuf = bufferevent_get_output(c->bev);
	size_t room = 2 + transfer_message_room();
	for (size_t queued = evbuffer_get_length(outbuf); queued < TCP_OUTPUT_HIGH;) {
		/* as many messages as fit under TCP_OUTPUT_HIGH, at least one; a
		 * little under it, so that libevent's chain (its header and the
		 * extent, rounded up to a power of two) stays TCP_OUTPUT_HIGH */
		size_t want = TCP_OUTPUT_HIGH - queued;
		if (want > TCP_OUTPUT_HIGH - 256)
			want = TCP_OUTPUT_HIGH - 256;
		if (want < room)
			want = room;
		struct evbuffer_iovec v;
		if (evbuffer_reserve_space(outbuf, (ev_ssize_t)want, &v, 1) != 1 || v.iov_len < room)
			break; /* out of memory: the idle timeout ends the connection */
		uint8_t *p = v.iov_base;
		size_t used = 0;
		/* the extent may be larger than asked: fill only what was */
		while (want - used >= room) {
			size_t len = transfer_next(c->xfr, p + used + 2, room - 2);
			if (len == 0)
				break;
			wire_write_u16(p + used, (uint16_t)len);
			used += len + 2;
		}
		v.iov_len = used;
		evbuffer_commit_space(outbuf, &v, 1);
		if (used == 0)
			break;
		queued += used;
	}
	if (!transfer_is_done(c->xfr)) {
		/* called back once half the queue has gone out */
		bufferevent_setwatermark(c->bev, EV_WRITE, TCP_OUTPUT_HIGH / 2, 0);
		/* kept for the connection's life: its other answers are small */
		bufferevent_set_max_single_write(c->bev, TCP_OUTPUT_HIGH);
		return false;
	}
	transfer_free(c->xfr);
	c->xfr = NULL;
	w->xfr_count--;
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	return true;
}

/* ---------- the memory ceilings ---------- */

/* What c holds in flight: its unsent answers, its unanswered input, a
 * transfer's state. */
static size_t tcp_conn_in_flight(struct tcp_conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev)) +
	       evbuffer_get_length(bufferevent_get_input(c->bev)) + (c->xfr ? TCP_XFR_IN_FLIGHT : 0);
}

static size_t tcp_in_flight(const struct worker *w)
{
	return w->output_len + w->input_len + (size_t)w->xfr_count * TCP_XFR_IN_FLIGHT;
}

/* The ceilings (tcp.output-buffer-max, tcp.in-flight-max, split over the
 * workers): while adding more bytes of answer would pass either, the
 * connection holding the most is closed (a client that pipelines and never
 * reads, not the one that happens to arrive next), counted and logged at
 * most once a second. Never grows past them. Returns true when c itself
 * was closed (the caller must not touch it). */
static bool tcp_shed(struct worker *w, struct tcp_conn *c, size_t adding)
{
	for (;;) {
		bool is_output = w->output_len + adding > w->output_max;
		if (!is_output && tcp_in_flight(w) + adding <= w->in_flight_max)
			return false;
		struct tcp_conn *big = NULL;
		size_t big_len = 0;
		for (struct tcp_conn *x = w->conns; x; x = x->next) {
			size_t len = is_output ? evbuffer_get_length(bufferevent_get_output(x->bev))
					       : tcp_conn_in_flight(x);
			if (!big || len > big_len) {
				big = x;
				big_len = len;
			}
		}
		if (!big || big_len == 0)
			return false; /* nothing any connection holds would help */
		server_stats_add(is_output ? &w->stats->tcp_shed : &w->stats->tcp_in_flight_shed, 1);
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec != w->shed_logged_s) {
			w->shed_logged_s = now.tv_sec;
			if (is_output)
				log_warn("tcp: %zu bytes of answers unsent (tcp.output-buffer-max per worker "
					 "%zu): closing the connection holding the most, %zu bytes "
					 "(dnsd_tcp_shed_total)",
					 w->output_len, w->output_max, big_len);
			else
				log_warn("tcp: %zu bytes in flight (tcp.in-flight-max per worker %zu): "
					 "closing the connection holding the most, %zu bytes (%zu unsent, "
					 "%zu unanswered, %d for a transfer being sent) "
					 "(dnsd_tcp_in_flight_shed_total)",
					 tcp_in_flight(w), w->in_flight_max, big_len,
					 evbuffer_get_length(bufferevent_get_output(big->bev)),
					 evbuffer_get_length(bufferevent_get_input(big->bev)),
					 big->xfr ? TCP_XFR_IN_FLIGHT : 0);
		}
		bool is_self = big == c;
		tcp_conn_close(big);
		if (is_self)
			return true;
	}
}

static void tcp_message_timer_arm(struct tcp_conn *c)
{
	if (c->is_message_pending)
		return;
	uint32_t ms = c->w->io_timeout_ms;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	evtimer_add(c->message_timer, &tv);
	c->is_message_pending = true;
}

/* The first bytes of a connection (proxy.h): a PROXY v2 header from a load
 * balancer in proxy-protocol, required, after which the connection's client
 * and local addresses are the header's; none from anyone else (a forged one
 * closes the connection). Returns 0 when the DNS messages may follow, 1 to
 * wait for more bytes (the message deadline bounds the wait), -1 when the
 * connection was closed. Once per connection. */
static int tcp_read_start(struct tcp_conn *c, struct evbuffer *in)
{
	size_t avail = evbuffer_get_length(in);
	size_t want = c->is_from_proxy ? PROXY_HEADER_MAX : PROXY_SIGNATURE_LEN;
	size_t n = avail < want ? avail : want;
	const uint8_t *p = n ? evbuffer_pullup(in, (ev_ssize_t)n) : NULL;
	struct proxy_header ph;
	enum proxy_verdict v = proxy_classify(&ph, c->is_from_proxy, true, p, n);
	switch (v) {
	case PROXY_VERDICT_DIRECT: break;
	case PROXY_VERDICT_WAIT: tcp_message_timer_arm(c); return 1;
	case PROXY_VERDICT_PROXIED:
		c->client = ph.source;
		c->local = ph.destination;
		/* fallthrough */
	case PROXY_VERDICT_LOCAL:
		server_stats_proxy(c->w->stats, true, v);
		evbuffer_drain(in, ph.len);
		break;
	default:
		server_stats_proxy(c->w->stats, true, v);
		tcp_conn_close(c);
		return -1;
	}
	c->is_start_pending = false;
	if (c->is_message_pending) {
		evtimer_del(c->message_timer);
		c->is_message_pending = false;
	}
	return 0;
}

/* Answers every complete message in the input; RFC 7766 §6.2.1.1 allows
 * pipelining, and replies go out in order. */
static void tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	struct worker *w = c->w;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *outbuf = bufferevent_get_output(bev);
	if (c->is_start_pending && tcp_read_start(c, in) != 0)
		return;
	for (;;) {
		size_t avail = evbuffer_get_length(in);
		if (avail < 2) {
			if (avail > 0)
				tcp_message_timer_arm(c);
			break;
		}
		uint8_t lenbuf[2];
		evbuffer_copyout(in, lenbuf, 2);
		size_t mlen = wire_read_u16(lenbuf);
		if (mlen < WIRE_HEADER_LEN) {
			/* too short to be a query: the stream is garbage, close it now
			 * rather than let it idle out (NSD and BIND reset, Knot closes) */
			tcp_conn_close(c);
			return;
		}
		if (avail < 2 + mlen) {
			tcp_message_timer_arm(c);
			break;
		}
		evbuffer_drain(in, 2);
		evbuffer_remove(in, w->tcp_in, mlen);
		/* the work in flight before answering: shed the largest holder */
		if (tcp_shed(w, c, 0))
			return;
		if (c->is_message_pending) {
			evtimer_del(c->message_timer);
			c->is_message_pending = false;
		}
		if (c != w->conns) {
			tcp_conn_unlink(c);
			tcp_conn_push_front(c);
		}
		tcp_conn_set_idle_timeout(c);
		if (w->tcp_in[2] & 0x80) {
			/* QR=1: a response sent to a server, so not a DNS client; UDP
			 * drops these, and a stream has nothing after it worth reading */
			tcp_conn_close(c);
			return;
		}
		uint64_t started = server_stats_now_ns();
		struct answer_request req = {
			.pkt = w->tcp_in,
			.len = mlen,
			.is_tcp = true,
			.client = (const struct sockaddr *)&c->client,
			.local = (const struct sockaddr *)&c->local,
			.now_s = (uint32_t)time(NULL),
			/* RFC 7828 §3.3.2: the timeout this connection has now */
			.tcp_idle_timeout_ms = tcp_idle_timeout_ms(w),
		};
		struct answer_info info;
		const struct snapshot *snap = publish_read_begin(w->s->publish, w->reader);
		size_t len = answer_query(snap, &req, w->tcp_out + 2, ANSWER_BUF_MAX, &info);
		struct transfer *t = NULL;
		enum transfer_verdict tv = TRANSFER_NONE;
		if (info.is_transfer) {
			tv = transfer_begin(snap, snap ? snap->xfr : NULL, &req, w->tcp_out + 2,
					    ANSWER_BUF_MAX, &len, &t, &info);
			info.reply_len = (uint32_t)len; /* its first message */
		}
		server_stats_account(c->stats, snap, &req, &info, server_stats_now_ns() - started);
		publish_read_end(w->reader);
		if (tv == TRANSFER_STREAM) {
			/* the transfer holds its zone: no read section needed */
			c->xfr = t;
			w->xfr_count++;
			if (tcp_shed(w, c, 0))
				return;
			if (!tcp_xfr_pump(c)) {
				bufferevent_disable(bev, EV_READ);
				break;
			}
			continue;
		}
		if (len == 0)
			continue;
		/* the memory ceilings: shed, never grow */
		if (tcp_shed(w, c, len + 2))
			return;
		wire_write_u16(w->tcp_out, (uint16_t)len);
		evbuffer_add(outbuf, w->tcp_out, len + 2);
		if (evbuffer_get_length(outbuf) > TCP_OUTPUT_HIGH) {
			/* a client that does not read its answers stops being read */
			bufferevent_disable(bev, EV_READ);
			break;
		}
	}
	/* draining, and the last query was dropped: nothing will call tcp_write_cb */
	if (w->is_stopping && tcp_conn_is_drained(c))
		tcp_conn_close(c);
}

static void tcp_write_cb(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	struct worker *w = c->w;
	if (c->xfr && !tcp_xfr_pump(c))
		return;
	if (w->is_stopping && tcp_conn_is_drained(c)) {
		tcp_conn_close(c);
		return;
	}
	/* paused at the cap with every connection busy: this one is idle now */
	if (w->is_accept_paused && !w->is_stopping && w->conn_count >= w->conn_max && tcp_conn_is_idle(c))
		accept_resume(w);
	if (!(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_enable(bev, EV_READ);
		tcp_read_cb(bev, c);
	}
}

static void tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct tcp_conn *c = arg;
	if (what & BEV_EVENT_TIMEOUT)
		server_stats_add(&c->w->stats->tcp_timeouts, 1);
	tcp_conn_close(c);
}

/* ---------- accepting ---------- */

static void accept_pause(struct worker *w)
{
	w->is_accept_paused = true;
	for (size_t i = 0; i < w->listen_count; i++)
		evconnlistener_disable(w->tcp[i].listener);
}

static void accept_resume(struct worker *w)
{
	w->is_accept_paused = false;
	for (size_t i = 0; i < w->listen_count; i++)
		evconnlistener_enable(w->tcp[i].listener);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	(void)l;
	struct tcp_listener *tl = arg;
	struct worker *w = tl->w;
	if (w->conn_max_per_client && tcp_client_conn_count(w, sa) >= w->conn_max_per_client) {
		server_stats_add(&w->stats->tcp_client_limited, 1);
		close(fd);
		return;
	}
	if (w->conn_count >= w->conn_max) {
		/* at the cap: the longest-idle connection makes room (RFC 7766
		 * §6.2.3 lets a server close idle connections), so a forwarder
		 * retrying a truncated answer is not kept waiting */
		struct tcp_conn *victim = tcp_eviction_victim(w);
		if (!victim) {
			/* every connection became busy since the last accept */
			server_stats_add(&w->stats->tcp_refused, 1);
			close(fd);
			accept_pause(w);
			return;
		}
		server_stats_add(&w->stats->tcp_evicted, 1);
		tcp_conn_close(victim);
	}
	struct tcp_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->w = w;
	c->stats = tl->stats;
	memcpy(&c->client, sa, (size_t)salen < sizeof(c->client) ? (size_t)salen : sizeof(c->client));
	c->is_start_pending = true;
	c->is_from_proxy = w->s->proxy.count && proxy_is_allowed(&w->s->proxy, sa);
	socklen_t llen = sizeof(c->local);
	if (getsockname(fd, (struct sockaddr *)&c->local, &llen) != 0)
		c->local = tl->local;
	c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->message_timer = evtimer_new(w->base, tcp_message_timeout_cb, c);
	if (!c->bev || !c->message_timer) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			close(fd);
		event_free(c->message_timer);
		free(c);
		return;
	}
	c->output_cb = evbuffer_add_cb(bufferevent_get_output(c->bev), tcp_output_cb, w);
	c->input_cb = c->output_cb ? evbuffer_add_cb(bufferevent_get_input(c->bev), tcp_input_cb, w) : NULL;
	if (!c->input_cb) {
		if (c->output_cb)
			evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->output_cb);
		bufferevent_free(c->bev);
		event_free(c->message_timer);
		free(c);
		return;
	}
	tcp_conn_push_front(c);
	w->conn_count++;
	server_stats_add(&w->stats->tcp_connections, 1);
	server_stats_add(&w->stats->tcp_open, 1);
	bufferevent_setcb(c->bev, tcp_read_cb, tcp_write_cb, tcp_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, TCP_INPUT_HIGH);
	tcp_conn_set_idle_timeout(c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (w->conn_count >= w->conn_max && !tcp_eviction_victim(w)) {
		server_stats_add(&w->stats->tcp_refused, 1);
		accept_pause(w); /* the backlog holds further connections until one is idle or closes */
	}
}

static void accept_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	if (!w->is_stopping && w->conn_count < w->conn_max)
		accept_resume(w);
}

/* EMFILE/ENFILE: the pending connection stays in the backlog and the listener
 * would report it again at once; pause and retry later instead of spinning. */
static void accept_error_cb(struct evconnlistener *l, void *arg)
{
	(void)l;
	struct tcp_listener *tl = arg;
	struct worker *w = tl->w;
	int err = EVUTIL_SOCKET_ERROR();
	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		server_stats_add(&w->stats->tcp_refused, 1);
		accept_pause(w);
		struct timeval tv = { 0, ACCEPT_RETRY_MS * 1000 };
		evtimer_add(w->accept_retry_ev, &tv);
	}
}

/* ---------- set-up, drain and teardown ---------- */

int tcp_listener_init(struct tcp_listener *t, struct worker *w, struct server_stats *stats,
		      const struct config_addr *a, char *err, size_t errlen)
{
	t->w = w;
	t->stats = stats;
	t->fd = socket_open(a, SOCK_STREAM, err, errlen);
	if (t->fd < 0)
		return DNSD_EIO;
	socklen_t l = sizeof(t->local);
	getsockname(t->fd, (struct sockaddr *)&t->local, &l);
	t->listener = evconnlistener_new(w->base, accept_cb, t, LEV_OPT_CLOSE_ON_FREE, -1, t->fd);
	if (!t->listener) {
		snprintf(err, errlen, "out of memory");
		return DNSD_ENOMEM;
	}
	evconnlistener_set_error_cb(t->listener, accept_error_cb);
	return 0;
}

void tcp_listener_clear(struct tcp_listener *t)
{
	if (t->listener)
		evconnlistener_free(t->listener);
	else if (t->fd >= 0)
		close(t->fd);
}

int tcp_worker_init(struct worker *w)
{
	w->accept_retry_ev = evtimer_new(w->base, accept_retry_cb, w);
	return w->accept_retry_ev ? 0 : DNSD_ENOMEM;
}

void tcp_worker_clear(struct worker *w)
{
	while (w->conns)
		tcp_conn_close(w->conns);
	if (w->accept_retry_ev)
		event_free(w->accept_retry_ev);
	w->accept_retry_ev = NULL;
}

void tcp_drain(struct worker *w)
{
	for (size_t i = 0; i < w->listen_count; i++)
		evconnlistener_disable(w->tcp[i].listener);
	/* Idle connections go now. The others keep being read until the query in
	 * flight (half received, or still in the socket buffer) is answered and
	 * written; the message timer and drain_ms bound the wait. */
	struct tcp_conn *c = w->conns;
	while (c) {
		struct tcp_conn *next = c->next;
		if (tcp_conn_is_drained(c))
			tcp_conn_close(c);
		c = next;
	}
	tcp_maybe_finish_drain(w);
}
