/* SPDX-License-Identifier: BSD-3-Clause
 * server.c - listening sockets, worker threads and their event loops.
 * UDP: one SO_REUSEPORT socket per worker and address, each served by a
 * thread of its own that blocks in recvmmsg() (up to 32 datagrams once the
 * first is there) and answers with sendmmsg(). A thread per socket instead of
 * the socket in the worker's libevent loop saves the epoll_wait() before
 * every batch: at a steady 50k qps the server sleeps between nearly every
 * query, and that call was about 12% of its CPU time per query (make bench).
 * On a wildcard address IP_PKTINFO makes replies leave from the address the
 * query came to (a socket bound to one address needs no control messages,
 * which saves the kernel work on every datagram).
 * TCP (RFC 7766): 2-byte length framing, pipelined queries, an idle timeout
 * and a per-message deadline (slowloris), a per-worker connection cap, and
 * accept() paused on the cap or on EMFILE instead of spinning. */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "query/answer.h"
#include "server/transfer.h"
#include "util/err.h"
#include "util/log.h"

#define UDP_BATCH 32
#define UDP_RECV_MAX 4096
#define UDP_SEND_MAX 4096
#define TCP_MESSAGE_TIMEOUT_MS 3000
#define TCP_OUTPUT_HIGH 262144    /* stop reading while this much is unsent */
#define TCP_BACKLOG 1024
#define ACCEPT_RETRY_MS 100

const double server_duration_bounds[SERVER_DURATION_BUCKETS] = {
	0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 1,
};

static const uint16_t qtype_slots[] = {
	WIRE_TYPE_A, WIRE_TYPE_AAAA, WIRE_TYPE_SOA, WIRE_TYPE_NS, WIRE_TYPE_SRV, WIRE_TYPE_PTR,
	WIRE_TYPE_CNAME, WIRE_TYPE_TXT, WIRE_TYPE_MX, WIRE_TYPE_ANY, WIRE_TYPE_DS, WIRE_TYPE_DNSKEY,
	WIRE_TYPE_AXFR, WIRE_TYPE_IXFR, 65,  /* HTTPS */
};
static const char *const qtype_slot_names[SERVER_QTYPE_SLOTS] = {
	"A", "AAAA", "SOA", "NS", "SRV", "PTR", "CNAME", "TXT", "MX", "ANY", "DS", "DNSKEY",
	"AXFR", "IXFR", "HTTPS", "other",
};

unsigned server_qtype_slot(uint16_t qtype)
{
	for (unsigned i = 0; i < sizeof(qtype_slots) / sizeof(qtype_slots[0]); i++)
		if (qtype_slots[i] == qtype)
			return i;
	return SERVER_QTYPE_SLOTS - 1;
}

const char *server_qtype_name(unsigned slot)
{
	return slot < SERVER_QTYPE_SLOTS ? qtype_slot_names[slot] : "other";
}

struct worker;

/* The buffers of one UDP thread's batch. */
struct udp_batch {
	struct mmsghdr rmsg[UDP_BATCH], smsg[UDP_BATCH];
	struct iovec riov[UDP_BATCH], siov[UDP_BATCH];
	struct sockaddr_storage raddr[UDP_BATCH];
	uint8_t rctl[UDP_BATCH][64], sctl[UDP_BATCH][64];
	struct sockaddr_storage local[UDP_BATCH];
	struct answer_request req[UDP_BATCH];   /* .pkt NULL: not answered */
	struct answer_info info[UDP_BATCH];
	uint8_t rbuf[UDP_BATCH][UDP_RECV_MAX];
	uint8_t sbuf[UDP_BATCH][UDP_SEND_MAX];
	unsigned used;                          /* receive headers the last recvmmsg() filled */
};

struct udp_socket {
	int fd;
	struct sockaddr_storage local;    /* bound address, for port and family */
	bool has_pktinfo;                 /* bound to a wildcard: the address comes per datagram */
	struct server *s;
	struct server_stats *stats;       /* written by this socket's thread only */
	struct publish_reader *reader;
	struct udp_batch *batch;
	pthread_t thread;
	bool is_started;
	_Atomic bool is_stopping;
};

struct tcp_listener {
	int fd;
	struct sockaddr_storage local;
	struct evconnlistener *listener;
	struct worker *w;
};

struct tcp_conn {
	struct bufferevent *bev;
	struct worker *w;
	struct sockaddr_storage client;
	struct sockaddr_storage local;
	struct event *message_timer;      /* armed while a message is incomplete */
	bool is_message_pending;
	struct transfer *xfr;             /* an AXFR/IXFR being sent; reading waits for it */
	struct tcp_conn *prev, *next;
};

struct worker {
	unsigned id;
	pthread_t thread;
	bool is_started;
	struct server *s;
	struct event_base *base;
	struct publish_reader *reader;
	struct udp_socket *udp;
	struct tcp_listener *tcp;
	size_t listen_count;
	struct event *stop_ev;
	struct event *accept_retry_ev;
	bool is_accept_paused;
	bool is_stopping;
	unsigned conn_count, conn_max;
	struct tcp_conn *conns;
	struct server_stats *stats;
	uint32_t idle_timeout_ms;
	uint8_t tcp_in[65535];
	uint8_t tcp_out[2 + ANSWER_BUF_MAX];
};

struct server {
	struct publish *publish;
	struct worker *workers;
	unsigned worker_count;
	size_t listen_count;
	bool is_query_log;
	struct server_stats *stats;       /* per worker: its own, then one per UDP socket */
	unsigned stats_count;
};

/* ---------- socket setup ---------- */

static bool addr_is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static int open_socket(const struct config_addr *a, int type, char *err, size_t errlen)
{
	/* UDP sockets block: their threads wait in recvmmsg() */
	int fd = socket(a->ss.ss_family, type | (type == SOCK_STREAM ? SOCK_NONBLOCK : 0) | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: socket: %s", a->text, strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
		snprintf(err, errlen, "%s: SO_REUSEPORT: %s", a->text, strerror(errno));
		goto fail;
	}
	if (a->ss.ss_family == AF_INET6) {
		/* ":53" means every address of both families; "[::]:53" and
		 * specific addresses stay IPv6-only so an IPv4 listener can coexist */
		int v6only = a->text[0] == ':' ? 0 : 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	}
	if (type == SOCK_DGRAM) {
		if (addr_is_wildcard(&a->ss) && a->ss.ss_family == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		else if (addr_is_wildcard(&a->ss))
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
		int size = 4 * 1024 * 1024;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		/* stopping wakes the thread with shutdown(); this bounds the wait if not */
		struct timeval tv = { 5, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->sslen) != 0) {
		snprintf(err, errlen, "%s: bind %s: %s", a->text, type == SOCK_DGRAM ? "UDP" : "TCP",
			 strerror(errno));
		goto fail;
	}
	if (type == SOCK_STREAM && listen(fd, TCP_BACKLOG) != 0) {
		snprintf(err, errlen, "%s: listen: %s", a->text, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* ---------- statistics and logging ---------- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

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

/* ns: the time the server spent on the query (for UDP, from the batch's
 * arrival to its replies' departure, which is what its clients wait for). */
static void account(const struct server *s, struct server_stats *st, const struct snapshot *snap,
		    const struct answer_request *req, const struct answer_info *info, uint64_t ns)
{
	if (info->is_dropped) {
		count(&st->dropped, 1);
		return;
	}
	/* slots by name (slots.h): a reload does not move counts between labels */
	unsigned view = 0;
	if (info->view < 0)
		count(&st->no_view, 1);
	else if (snap)
		view = snap->views->views[info->view].stats_slot;
	unsigned zone = info->zone ? info->zone->stats_slot : SERVER_ZONE_SLOTS - 1;
	count(&st->requests[view][zone][req->is_tcp][server_qtype_slot(info->qtype)], 1);
	count(&st->responses[view][info->rcode < SERVER_RCODE_SLOTS ? info->rcode : SERVER_RCODE_SLOTS - 1], 1);
	if (info->is_truncated)
		count(&st->truncated, 1);
	count(&st->duration_ns_sum, ns);
	double secs = (double)ns / 1e9;
	unsigned b = 0;
	while (b < SERVER_DURATION_BUCKETS - 1 && secs > server_duration_bounds[b])
		b++;
	count(&st->duration_bucket[b], 1);
	if (s->is_query_log || (snap && snap->settings.is_query_log)) {
		char client[80], qname[DNAME_MAX_TEXT] = "?";
		addr_text(req->client, client, sizeof(client));
		if (info->query.has_question)
			dname_to_text(qname, sizeof(qname), info->query.qname);
		const char *view_name = info->view >= 0 && snap ? snap->views->views[info->view].name : "-";
		log_info("query client=%s proto=%s view=%s qname=%s qtype=%u rcode=%u tc=%d us=%.1f",
			 client, req->is_tcp ? "tcp" : "udp", view_name, qname, info->qtype,
			 info->rcode, info->is_truncated, (double)ns / 1000.0);
	}
}

/* ---------- UDP ---------- */

/* The address the datagram was sent to, from IP_PKTINFO / IPV6_PKTINFO; the
 * same control message sent back makes the reply leave from it. */
static void udp_local_address(const struct udp_socket *u, struct msghdr *mh, struct sockaddr_storage *local,
			      uint8_t *sctl, size_t *sctl_len)
{
	*local = u->local;
	*sctl_len = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			((struct sockaddr_in *)local)->sin_addr = pi.ipi_addr;
			struct in_pktinfo out = { .ipi_ifindex = 0, .ipi_spec_dst = pi.ipi_addr };
			struct cmsghdr *oc = (struct cmsghdr *)sctl;
			oc->cmsg_level = IPPROTO_IP;
			oc->cmsg_type = IP_PKTINFO;
			oc->cmsg_len = CMSG_LEN(sizeof(out));
			memcpy(CMSG_DATA(oc), &out, sizeof(out));
			*sctl_len = CMSG_SPACE(sizeof(out));
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			((struct sockaddr_in6 *)local)->sin6_addr = pi.ipi6_addr;
			struct cmsghdr *oc = (struct cmsghdr *)sctl;
			oc->cmsg_level = IPPROTO_IPV6;
			oc->cmsg_type = IPV6_PKTINFO;
			oc->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(oc), &pi, sizeof(pi));
			*sctl_len = CMSG_SPACE(sizeof(pi));
		}
	}
}

/* Receives one batch (waiting for its first datagram), answers it, sends
 * the replies. */
/* Resets what recvmmsg() wrote into the first count receive headers (the
 * address and control lengths, the flags); the pointers stay as set once. */
static void udp_rearm(struct udp_socket *u, unsigned count)
{
	struct udp_batch *b = u->batch;
	for (unsigned i = 0; i < count; i++) {
		struct msghdr *mh = &b->rmsg[i].msg_hdr;
		mh->msg_namelen = sizeof(b->raddr[i]);
		mh->msg_controllen = u->has_pktinfo ? sizeof(b->rctl[i]) : 0;
		mh->msg_flags = 0;
	}
}

/* Points every receive header at its buffers, once per socket. */
static void udp_batch_init(struct udp_socket *u)
{
	struct udp_batch *b = u->batch;
	for (unsigned i = 0; i < UDP_BATCH; i++) {
		b->riov[i].iov_base = b->rbuf[i];
		b->riov[i].iov_len = UDP_RECV_MAX;
		struct msghdr *mh = &b->rmsg[i].msg_hdr;
		mh->msg_name = &b->raddr[i];
		mh->msg_iov = &b->riov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = u->has_pktinfo ? b->rctl[i] : NULL;
	}
	udp_rearm(u, UDP_BATCH);
	b->used = 0;
}

static void udp_serve_batch(struct udp_socket *u)
{
	struct udp_batch *b = u->batch;
	udp_rearm(u, b->used);
	int n = recvmmsg(u->fd, b->rmsg, UDP_BATCH, MSG_WAITFORONE, NULL);
	b->used = n > 0 ? (unsigned)n : 1;   /* on an error the first may have been touched */
	if (n <= 0 || atomic_load_explicit(&u->is_stopping, memory_order_relaxed))
		return;            /* timeout, signal or shutdown() */
	uint64_t started = now_ns();
	unsigned out = 0;
	const struct snapshot *snap = publish_read_begin(u->s->publish, u->reader);
	for (int i = 0; i < n; i++) {
		struct msghdr *mh = &b->rmsg[i].msg_hdr;
		struct answer_request *req = &b->req[i];
		req->pkt = NULL;
		if (mh->msg_flags & MSG_TRUNC)
			continue;  /* larger than any query we accept: drop */
		size_t sctl_len;
		udp_local_address(u, mh, &b->local[i], b->sctl[out], &sctl_len);
		*req = (struct answer_request){
			.pkt = b->rbuf[i], .len = b->rmsg[i].msg_len, .is_tcp = false,
			.client = (const struct sockaddr *)&b->raddr[i],
			.local = (const struct sockaddr *)&b->local[i],
		};
		size_t len = answer_query(snap, req, b->sbuf[out], UDP_SEND_MAX, &b->info[i]);
		if (b->info[i].is_transfer) {
			/* IXFR, AXFR (refused) or signed: rare, off the fast path */
			struct transfer *t;
			if (transfer_begin(snap, snap ? snap->xfr : NULL, req, b->sbuf[out], UDP_SEND_MAX, &len, &t,
					   &b->info[i]) != TRANSFER_REPLY)
				len = 0;
		}
		if (len == 0)
			continue;
		b->siov[out].iov_base = b->sbuf[out];
		b->siov[out].iov_len = len;
		struct msghdr *sh = &b->smsg[out].msg_hdr;
		sh->msg_name = &b->raddr[i];
		sh->msg_namelen = mh->msg_namelen;
		sh->msg_iov = &b->siov[out];
		sh->msg_iovlen = 1;
		sh->msg_control = sctl_len ? b->sctl[out] : NULL;
		sh->msg_controllen = sctl_len;
		sh->msg_flags = 0;
		out++;
	}
	unsigned sent = 0;
	while (sent < out) {
		int m = sendmmsg(u->fd, b->smsg + sent, out - sent, MSG_DONTWAIT);
		if (m < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN or a per-destination error: skip that datagram */
			sent++;
			continue;
		}
		sent += (unsigned)m;
	}
	/* one clock reading per batch: every query in it waited as long */
	uint64_t ns = now_ns() - started;
	for (int i = 0; i < n; i++)
		if (b->req[i].pkt)
			account(u->s, u->stats, snap, &b->req[i], &b->info[i], ns);
	publish_read_end(u->reader);
}

static void *udp_main(void *arg)
{
	struct udp_socket *u = arg;
	while (!atomic_load_explicit(&u->is_stopping, memory_order_relaxed))
		udp_serve_batch(u);
	return NULL;
}

/* ---------- TCP ---------- */

static void tcp_conn_close(struct tcp_conn *c);
static void accept_resume(struct worker *w);

static void tcp_message_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct tcp_conn *c = arg;
	count(&c->w->stats->tcp_timeouts, 1);
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
	transfer_free(c->xfr);
	free(c);
	w->conn_count--;
	count(&w->stats->tcp_open, (uint64_t)-1);
	if (w->is_accept_paused && !w->is_stopping)
		accept_resume(w);
	tcp_maybe_finish_drain(w);
}

/* Queues the transfer's next messages while less than TCP_OUTPUT_HIGH is
 * unsent: a client that reads slowly holds at most that much here, and one
 * that reads nothing meets the idle timeout. Returns true when it is done
 * (then reading resumes). */
static bool tcp_xfr_pump(struct tcp_conn *c)
{
	struct worker *w = c->w;
	struct evbuffer *outbuf = bufferevent_get_output(c->bev);
	while (evbuffer_get_length(outbuf) < TCP_OUTPUT_HIGH) {
		size_t len = transfer_next(c->xfr, w->tcp_out + 2, ANSWER_BUF_MAX);
		if (len == 0)
			break;
		wire_write_u16(w->tcp_out, (uint16_t)len);
		evbuffer_add(outbuf, w->tcp_out, len + 2);
	}
	if (!transfer_is_done(c->xfr)) {
		/* called back once half the queue has gone out */
		bufferevent_setwatermark(c->bev, EV_WRITE, TCP_OUTPUT_HIGH / 2, 0);
		return false;
	}
	transfer_free(c->xfr);
	c->xfr = NULL;
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	return true;
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
		uint64_t started = now_ns();
		struct answer_request req = {
			.pkt = w->tcp_in, .len = mlen, .is_tcp = true,
			.client = (const struct sockaddr *)&c->client,
			.local = (const struct sockaddr *)&c->local,
		};
		struct answer_info info;
		const struct snapshot *snap = publish_read_begin(w->s->publish, w->reader);
		size_t len = answer_query(snap, &req, w->tcp_out + 2, ANSWER_BUF_MAX, &info);
		struct transfer *t = NULL;
		enum transfer_verdict tv = TRANSFER_NONE;
		if (info.is_transfer)
			tv = transfer_begin(snap, snap ? snap->xfr : NULL, &req, w->tcp_out + 2, ANSWER_BUF_MAX, &len,
					    &t, &info);
		account(w->s, w->stats, snap, &req, &info, now_ns() - started);
		publish_read_end(w->reader);
		if (tv == TRANSFER_STREAM) {
			/* the transfer holds its zone: no read section needed */
			c->xfr = t;
			if (!tcp_xfr_pump(c)) {
				bufferevent_disable(bev, EV_READ);
				break;
			}
			continue;
		}
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
	if (c->xfr && !tcp_xfr_pump(c))
		return;
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
		count(&c->w->stats->tcp_timeouts, 1);
	tcp_conn_close(c);
}

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
	count(&w->stats->tcp_connections, 1);
	count(&w->stats->tcp_open, 1);
	bufferevent_setcb(c->bev, tcp_read_cb, tcp_write_cb, tcp_event_cb, c);
	struct timeval idle = { w->idle_timeout_ms / 1000, (w->idle_timeout_ms % 1000) * 1000 };
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (w->conn_count >= w->conn_max) {
		count(&w->stats->tcp_refused, 1);
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
		count(&w->stats->tcp_refused, 1);
		accept_pause(w);
		struct timeval tv = { 0, ACCEPT_RETRY_MS * 1000 };
		evtimer_add(w->accept_retry_ev, &tv);
	}
}

/* ---------- workers ---------- */

static void worker_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	w->is_stopping = true;
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

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	event_base_dispatch(w->base);
	return NULL;
}

static int worker_init(struct server *s, struct worker *w, const struct config *cfg, char *err,
		       size_t errlen)
{
	w->s = s;
	w->listen_count = cfg->listen_count;
	w->idle_timeout_ms = cfg->tcp_idle_timeout_ms;
	w->conn_max = (cfg->tcp_max_connections + s->worker_count - 1) / s->worker_count;
	if (w->conn_max == 0)
		w->conn_max = 1;
	/* stats: the worker's (TCP), then one per UDP socket */
	w->stats = &s->stats[w->id * (1 + cfg->listen_count)];
	w->base = event_base_new();
	w->udp = calloc(cfg->listen_count, sizeof(*w->udp));
	w->tcp = calloc(cfg->listen_count, sizeof(*w->tcp));
	if (!w->base || !w->udp || !w->tcp) {
		snprintf(err, errlen, "out of memory");
		return DNSD_ENOMEM;
	}
	for (size_t i = 0; i < cfg->listen_count; i++) {
		w->udp[i].fd = w->tcp[i].fd = -1;
	}
	for (size_t i = 0; i < cfg->listen_count; i++) {
		const struct config_addr *a = &cfg->listen[i];
		struct udp_socket *u = &w->udp[i];
		u->s = s;
		u->stats = w->stats + 1 + i;
		u->reader = publish_reader_register(s->publish);
		u->batch = malloc(sizeof(*u->batch));
		if (!u->reader || !u->batch) {
			snprintf(err, errlen, u->reader ? "out of memory" : "too many workers");
			return DNSD_ENOMEM;
		}
		u->fd = open_socket(a, SOCK_DGRAM, err, errlen);
		if (u->fd < 0)
			return DNSD_EIO;
		socklen_t l = sizeof(u->local);
		getsockname(u->fd, (struct sockaddr *)&u->local, &l);
		u->has_pktinfo = addr_is_wildcard(&a->ss);
		udp_batch_init(u);
		struct tcp_listener *t = &w->tcp[i];
		t->w = w;
		t->fd = open_socket(a, SOCK_STREAM, err, errlen);
		if (t->fd < 0)
			return DNSD_EIO;
		l = sizeof(t->local);
		getsockname(t->fd, (struct sockaddr *)&t->local, &l);
		t->listener = evconnlistener_new(w->base, accept_cb, t, LEV_OPT_CLOSE_ON_FREE, -1, t->fd);
		if (!t->listener) {
			snprintf(err, errlen, "out of memory");
			return DNSD_ENOMEM;
		}
		evconnlistener_set_error_cb(t->listener, accept_error_cb);
	}
	w->stop_ev = event_new(w->base, -1, 0, worker_stop_cb, w);
	w->accept_retry_ev = evtimer_new(w->base, accept_retry_cb, w);
	if (!w->stop_ev || !w->accept_retry_ev) {
		snprintf(err, errlen, "out of memory");
		return DNSD_ENOMEM;
	}
	return 0;
}

static void worker_clear(struct worker *w)
{
	while (w->conns)
		tcp_conn_close(w->conns);
	for (size_t i = 0; i < w->listen_count; i++) {
		if (w->udp) {
			if (w->udp[i].fd >= 0)
				close(w->udp[i].fd);
			free(w->udp[i].batch);
			if (w->udp[i].reader)
				publish_reader_unregister(w->udp[i].reader);
		}
		if (w->tcp) {
			if (w->tcp[i].listener)
				evconnlistener_free(w->tcp[i].listener);
			else if (w->tcp[i].fd >= 0)
				close(w->tcp[i].fd);
		}
	}
	free(w->udp);
	free(w->tcp);
	if (w->stop_ev)
		event_free(w->stop_ev);
	if (w->accept_retry_ev)
		event_free(w->accept_retry_ev);
	if (w->base)
		event_base_free(w->base);
	publish_reader_unregister(w->reader);
}

/* Cross-thread event_active() (stop requests) needs libevent's locking. */
static void use_pthreads(void)
{
	evthread_use_pthreads();
}

struct server *server_new(const struct config *cfg, struct publish *publish, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, use_pthreads);
	struct server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->publish = publish;
	s->listen_count = cfg->listen_count;
	s->is_query_log = false;
	unsigned n = cfg->workers;
	if (n == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus > 0 ? (unsigned)cpus : 1;
	}
	s->worker_count = n;
	s->workers = calloc(n, sizeof(*s->workers));
	s->stats_count = n * (1 + (unsigned)cfg->listen_count);
	s->stats = calloc(s->stats_count, sizeof(*s->stats));
	if (!s->workers || !s->stats) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < n; i++) {
		struct worker *w = &s->workers[i];
		w->id = i;
		w->reader = publish_reader_register(publish);
		if (!w->reader) {
			snprintf(err, errlen, "too many workers");
			goto fail;
		}
		if (worker_init(s, w, cfg, err, errlen) != 0)
			goto fail;
	}
	return s;
fail:
	server_free(s);
	return NULL;
}

int server_start(struct server *s)
{
	for (unsigned i = 0; i < s->worker_count; i++) {
		struct worker *w = &s->workers[i];
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
			return DNSD_EIO;
		w->is_started = true;
		for (size_t j = 0; j < w->listen_count; j++) {
			struct udp_socket *u = &w->udp[j];
			if (pthread_create(&u->thread, NULL, udp_main, u) != 0)
				return DNSD_EIO;
			u->is_started = true;
		}
	}
	return 0;
}

void server_stop(struct server *s, unsigned drain_ms)
{
	/* UDP first: the flag, then shutdown() to wake a thread waiting in
	 * recvmmsg() (it returns at once from then on; SO_RCVTIMEO bounds the
	 * wait should it not) */
	for (unsigned i = 0; i < s->worker_count; i++)
		for (size_t j = 0; j < s->workers[i].listen_count; j++) {
			struct udp_socket *u = &s->workers[i].udp[j];
			atomic_store(&u->is_stopping, true);
			if (u->is_started)
				shutdown(u->fd, SHUT_RD);
		}
	for (unsigned i = 0; i < s->worker_count; i++)
		for (size_t j = 0; j < s->workers[i].listen_count; j++) {
			struct udp_socket *u = &s->workers[i].udp[j];
			if (u->is_started)
				pthread_join(u->thread, NULL);
			u->is_started = false;
		}
	for (unsigned i = 0; i < s->worker_count; i++) {
		struct worker *w = &s->workers[i];
		if (!w->is_started)
			continue;
		event_active(w->stop_ev, EV_TIMEOUT, 0);
		struct timeval tv = { drain_ms / 1000, (drain_ms % 1000) * 1000 };
		event_base_loopexit(w->base, &tv);
	}
	for (unsigned i = 0; i < s->worker_count; i++) {
		struct worker *w = &s->workers[i];
		if (w->is_started)
			pthread_join(w->thread, NULL);
		w->is_started = false;
	}
}

void server_free(struct server *s)
{
	if (!s)
		return;
	for (unsigned i = 0; s->workers && i < s->worker_count; i++)
		worker_clear(&s->workers[i]);
	free(s->workers);
	free(s->stats);
	free(s);
}

unsigned server_worker_count(const struct server *s) { return s->worker_count; }
unsigned server_stats_count(const struct server *s) { return s->stats_count; }

const struct server_stats *server_stats_at(const struct server *s, unsigned i)
{
	return &s->stats[i];
}
