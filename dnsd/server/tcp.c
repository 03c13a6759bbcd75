/* SPDX-License-Identifier: BSD-3-Clause
 * tcp.c - DNS over TCP (RFC 7766) in each worker's libevent loop: 2-byte
 * length framing, pipelined queries, an idle timeout and a per-message
 * deadline (slowloris), a per-worker connection cap, and accept() paused on
 * the cap or on EMFILE instead of spinning. server.c sets it up and tears it
 * down; the callbacks run on the worker's thread and touch only that worker. */
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
#include <unistd.h>

#include "server/stats.h"
#include "util/err.h"

#define TCP_MESSAGE_TIMEOUT_MS 3000
#define TCP_OUTPUT_HIGH 262144    /* stop reading while this much is unsent */
#define ACCEPT_RETRY_MS 100

/* One client connection; on its worker's list while open. */
struct tcp_conn {
	struct bufferevent *bev;
	struct worker *w;
	struct sockaddr_storage client;
	struct sockaddr_storage local;
	struct event *message_timer;      /* armed while a message is incomplete */
	bool is_message_pending;
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

static void tcp_conn_close(struct tcp_conn *c)
{
	struct worker *w = c->w;
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	event_free(c->message_timer);
	bufferevent_free(c->bev);
	free(c);
	w->conn_count--;
	server_stats_add(&w->stats->tcp_open, (uint64_t)-1);
	if (w->is_accept_paused && !w->is_stopping)
		accept_resume(w);
	tcp_maybe_finish_drain(w);
}

/* Answers every complete message in the input; RFC 7766 §6.2.1.1 allows
 * pipelining, and replies go out in order. */
static void tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	struct worker *w = c->w;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *outbuf = bufferevent_get_output(bev);
	for (;;) {
		size_t avail = evbuffer_get_length(in);
		if (avail < 2) {
			if (avail > 0 && !c->is_message_pending) {
				struct timeval tv = { TCP_MESSAGE_TIMEOUT_MS / 1000, (TCP_MESSAGE_TIMEOUT_MS % 1000) * 1000 };
				evtimer_add(c->message_timer, &tv);
				c->is_message_pending = true;
			}
			break;
		}
		uint8_t lenbuf[2];
		evbuffer_copyout(in, lenbuf, 2);
		size_t mlen = wire_read_u16(lenbuf);
		if (mlen == 0) {
			/* a zero-length message cannot be a query: give up on the stream */
			tcp_conn_close(c);
			return;
		}
		if (avail < 2 + mlen) {
			if (!c->is_message_pending) {
				struct timeval tv = { TCP_MESSAGE_TIMEOUT_MS / 1000, (TCP_MESSAGE_TIMEOUT_MS % 1000) * 1000 };
				evtimer_add(c->message_timer, &tv);
				c->is_message_pending = true;
			}
			break;
		}
		evbuffer_drain(in, 2);
		evbuffer_remove(in, w->tcp_in, mlen);
		if (c->is_message_pending) {
			evtimer_del(c->message_timer);
			c->is_message_pending = false;
		}
		uint64_t started = server_stats_now_ns();
		struct answer_request req = {
			.pkt = w->tcp_in, .len = mlen, .is_tcp = true,
			.client = (const struct sockaddr *)&c->client,
			.local = (const struct sockaddr *)&c->local,
		};
		struct answer_info info;
		const struct snapshot *snap = publish_read_begin(w->s->publish, w->reader);
		size_t len = answer_query(snap, &req, w->tcp_out + 2, ANSWER_BUF_MAX, &info);
		server_stats_account(w->stats, snap, &req, &info, server_stats_now_ns() - started);
		publish_read_end(w->reader);
		if (len == 0)
			continue;
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
	if (c->w->is_stopping && tcp_conn_is_drained(c)) {
		tcp_conn_close(c);
		return;
	}
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

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
		      void *arg)
{
	(void)l;
	struct tcp_listener *tl = arg;
	struct worker *w = tl->w;
	struct tcp_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->w = w;
	memcpy(&c->client, sa, (size_t)salen < sizeof(c->client) ? (size_t)salen : sizeof(c->client));
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
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	w->conn_count++;
	server_stats_add(&w->stats->tcp_connections, 1);
	server_stats_add(&w->stats->tcp_open, 1);
	bufferevent_setcb(c->bev, tcp_read_cb, tcp_write_cb, tcp_event_cb, c);
	struct timeval idle = { w->idle_timeout_ms / 1000, (w->idle_timeout_ms % 1000) * 1000 };
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (w->conn_count >= w->conn_max) {
		server_stats_add(&w->stats->tcp_refused, 1);
		accept_pause(w);   /* the backlog holds further connections until one closes */
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

int tcp_listener_init(struct tcp_listener *t, struct worker *w, const struct config_addr *a,
		      char *err, size_t errlen)
{
	t->w = w;
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
