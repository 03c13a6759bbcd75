/* SPDX-License-Identifier: BSD-3-Clause
 * udp.c - the UDP threads: one per worker and listening address, each
 * blocking in recvmmsg() on its own SO_REUSEPORT socket (up to 32 datagrams
 * once the first is there), answering the batch and sending the replies with
 * sendmmsg(). No libevent and no allocation once running; a thread touches
 * only its socket, its buffers and its counters.
 * A thread per socket instead of the socket in the worker's libevent loop
 * saves the epoll_wait() before every batch: at a steady 50k qps the server
 * sleeps between nearly every query, and that call was about 12% of its CPU
 * time per query (make bench). On a wildcard address IP_PKTINFO makes replies
 * leave from the address the query came to (a socket bound to one address
 * needs no control messages, which saves the kernel work on every datagram).
 * Datagrams from the load balancers in proxy-protocol start with a PROXY v2
 * header naming the client (proxy.h); udp_unwrap_proxy() takes it off.
 * Where the kernel allows io_uring (udp-io: auto), udp_uring.c does the
 * receiving and sending instead, with one system call per batch; the
 * answering (udp_answer) is this file's for both. */
#include "server/server_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/stats.h"
#include "server/transfer.h"
#include "util/err.h"
#include "util/log.h"

#define UDP_BATCH 32
#define UDP_COOKIE_LOG_INTERVAL_S 1

/* The buffers of one UDP thread's batch (the recvmmsg() path). */
struct udp_batch {
	struct mmsghdr rmsg[UDP_BATCH], smsg[UDP_BATCH];
	struct iovec riov[UDP_BATCH], siov[UDP_BATCH];
	struct sockaddr_storage raddr[UDP_BATCH];
	uint8_t rctl[UDP_BATCH][64];
	struct udp_query q[UDP_BATCH]; /* .req.pkt NULL: not answered */
	uint8_t rbuf[UDP_BATCH][UDP_RECV_MAX];
	uint8_t sbuf[UDP_BATCH][UDP_SEND_MAX];
	unsigned used; /* receive headers the last recvmmsg() filled */
};

/* ---------- one batch ---------- */

/* The address the datagram was sent to, from IP_PKTINFO / IPV6_PKTINFO; the
 * same control message sent back makes the reply leave from it. */
static void udp_local_address(const struct udp_socket *u, const struct msghdr *mh,
			      struct sockaddr_storage *local, uint8_t *sctl, size_t *sctl_len)
{
	*local = u->local;
	*sctl_len = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
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

/* PROXY v2 (proxy.h): from a load balancer in proxy-protocol, the header
 * names the client and the address it sent to, and req then points at them
 * and at the DNS message after the header, so that the view, ECS, the query
 * log and the counters see the client; the reply still goes to the balancer.
 * Returns -1 when the datagram is to be dropped (counted). For a direct
 * client outside the allowlist this costs the allowlist check, when there is
 * one, and one byte compare. */
static int udp_unwrap_proxy(struct udp_socket *u, struct udp_query *q)
{
	struct answer_request *req = &q->req;
	bool is_allowed = u->s->proxy.count && proxy_is_allowed(&u->s->proxy, req->client);
	struct proxy_header ph;
	enum proxy_verdict v = proxy_classify(&ph, is_allowed, false, req->pkt, req->len);
	if (v == PROXY_VERDICT_DIRECT)
		return 0;
	server_stats_proxy(u->stats, false, v);
	if (v != PROXY_VERDICT_PROXIED && v != PROXY_VERDICT_LOCAL)
		return -1;
	if (v == PROXY_VERDICT_PROXIED) {
		q->proxied_client = ph.source;
		q->proxied_local = ph.destination;
		req->client = (const struct sockaddr *)&q->proxied_client;
		req->local = (const struct sockaddr *)&q->proxied_local;
	}
	req->pkt += ph.len;
	req->len -= ph.len;
	return 0;
}

/* Response rate limiting (rrl.h) of one reply of len bytes in buf to the
 * real client (after PROXY v2): returns the length to send, 0 = none. */
static size_t udp_rate_limit(struct udp_socket *u, struct rrl *rrl, const struct answer_request *req,
			     struct answer_info *info, uint8_t *buf, size_t len, uint64_t now_ns)
{
	enum rrl_kind kind;
	enum rrl_verdict v = rrl_check(rrl, &u->rrl, req->client, info, now_ns, &kind);
	if (v == RRL_PASS)
		return len;
	server_stats_add(&u->stats->rrl_limited[kind], 1);
	if (v == RRL_LOG_ONLY)
		return len;
	if (v == RRL_SLIP) {
		server_stats_add(&u->stats->rrl_slipped, 1);
		len = rrl_slip_reply(buf, len, info);
		info->is_truncated = true;
		info->reply_len = (uint32_t)len;
		return len;
	}
	server_stats_add(&u->stats->rrl_dropped, 1);
	info->reply_len = 0;
	return 0;
}

/* cookie-require's refusals (answer.c sends them; the query path cannot
 * log): one line per UDP thread per UDP_COOKIE_LOG_INTERVAL_S at most,
 * naming the last client refused and why, and how many this thread refused
 * since its last line (each is also counted, in dnsd_dns_cookie_missing_total
 * or dnsd_dns_badcookie_total). Refusals within the interval are summed into
 * the next line: at the next refusal after it, or when the thread next
 * wakes (udp_cookie_log_flush: at most 5 s on the recvmmsg path, 0.5 s on
 * io_uring), so that a burst that then stops is still logged. */
void udp_cookie_log_flush(struct udp_socket *u, uint32_t now_s)
{
	if (u->cookie_refused == 0)
		return;
	int64_t since = (int64_t)now_s - u->cookie_logged_s; /* wall clock: it may step back */
	if (u->cookie_logged_s != 0 && since >= 0 && since < UDP_COOKIE_LOG_INTERVAL_S)
		return;
	char host[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_storage *sa = &u->cookie_last;
	if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof(host));
	else if (sa->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof(host));
	static const char *const why[] = { "no cookie: sent TC", "client cookie only: sent BADCOOKIE",
					   "invalid server cookie: sent BADCOOKIE" };
	log_warn("cookie-require: refused %s over UDP (%s; %llu refused by this thread since its last "
		 "line)",
		 host, why[u->cookie_last_why < 3 ? u->cookie_last_why : 2],
		 (unsigned long long)u->cookie_refused);
	u->cookie_logged_s = now_s ? now_s : 1;
	u->cookie_refused = 0;
}

static void udp_log_cookie_refusal(struct udp_socket *u, const struct answer_request *req,
				   const struct answer_info *info, uint32_t now_s)
{
	u->cookie_refused++;
	size_t len = req->client->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							: sizeof(struct sockaddr_in);
	memcpy(&u->cookie_last, req->client, len);
	u->cookie_last_why = info->is_cookie_missing ? 0 : info->cookie == COOKIE_CLIENT_ONLY ? 1 : 2;
	udp_cookie_log_flush(u, now_s);
}

size_t udp_answer(struct udp_socket *u, const struct snapshot *snap, const struct msghdr *mh,
		  const uint8_t *pkt, size_t len, const struct sockaddr *client, struct udp_query *q,
		  uint8_t *out, size_t out_max, uint32_t now_s)
{
	q->req.pkt = NULL;
	udp_local_address(u, mh, &q->local, q->sctl, &q->sctl_len);
	q->req = (struct answer_request){
		.pkt = pkt,
		.len = len,
		.is_tcp = false,
		.client = client,
		.local = (const struct sockaddr *)&q->local,
		.now_s = now_s,
	};
	if (udp_unwrap_proxy(u, q) != 0) {
		q->req.pkt = NULL;
		return 0;
	}
	size_t rlen = answer_query(snap, &q->req, out, out_max, &q->info);
	if (q->info.is_transfer) {
		/* IXFR, AXFR (refused) or signed: rare, off the fast path */
		struct transfer *t;
		if (transfer_begin(snap, snap ? snap->xfr : NULL, &q->req, out, out_max, &rlen, &t,
				   &q->info) != TRANSFER_REPLY)
			rlen = 0;
		q->info.reply_len = (uint32_t)rlen;
	}
	if (q->info.is_cookie_missing | (q->info.rcode == WIRE_RCODE_BADCOOKIE))
		udp_log_cookie_refusal(u, &q->req, &q->info, now_s);
	/* inside the caller's read section: a reload's server_set_rrl() frees
	 * the table it replaces only after it (off by default: one pointer test) */
	struct rrl *rrl = atomic_load_explicit(&u->s->rrl, memory_order_acquire);
	if (rlen != 0 && rrl)
		rlen = udp_rate_limit(u, rrl, &q->req, &q->info, out, rlen, server_stats_now_ns());
	return rlen;
}

/* Receives one batch (waiting for its first datagram), answers it, sends
 * the replies. */
static void udp_serve_batch(struct udp_socket *u)
{
	struct udp_batch *b = u->batch;
	udp_rearm(u, b->used);
	int n = recvmmsg(u->fd, b->rmsg, UDP_BATCH, MSG_WAITFORONE, NULL);
	b->used = n > 0 ? (unsigned)n : 1; /* on an error the first may have been touched */
	/* one wall-clock reading per batch, for cookie timestamps and the
	 * refusal log (a vDSO call) */
	uint32_t now_s = (uint32_t)time(NULL);
	udp_cookie_log_flush(u, now_s);
	if (n <= 0 || atomic_load_explicit(&u->is_stopping, memory_order_relaxed))
		return; /* timeout, signal or shutdown() */
	uint64_t started = server_stats_now_ns();
	unsigned out = 0;
	server_stats_udp_batch(u->stats, (unsigned)n, false);
	const struct snapshot *snap = publish_read_begin(u->s->publish, u->reader);
	for (int i = 0; i < n; i++) {
		struct msghdr *mh = &b->rmsg[i].msg_hdr;
		struct udp_query *q = &b->q[i];
		q->req.pkt = NULL;
		if (mh->msg_flags & MSG_TRUNC)
			continue; /* larger than any query we accept: drop */
		size_t len = udp_answer(u, snap, mh, b->rbuf[i], b->rmsg[i].msg_len,
					(const struct sockaddr *)&b->raddr[i], q, b->sbuf[out], UDP_SEND_MAX,
					now_s);
		if (len == 0)
			continue;
		b->siov[out].iov_base = b->sbuf[out];
		b->siov[out].iov_len = len;
		struct msghdr *sh = &b->smsg[out].msg_hdr;
		sh->msg_name = &b->raddr[i];
		sh->msg_namelen = mh->msg_namelen;
		sh->msg_iov = &b->siov[out];
		sh->msg_iovlen = 1;
		sh->msg_control = q->sctl_len ? q->sctl : NULL;
		sh->msg_controllen = q->sctl_len;
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
	uint64_t ns = server_stats_now_ns() - started;
	for (int i = 0; i < n; i++)
		if (b->q[i].req.pkt)
			server_stats_account(u->stats, snap, &b->q[i].req, &b->q[i].info, ns);
	publish_read_end(u->reader);
}

/* ---------- the thread ---------- */

static void *udp_main(void *arg)
{
	struct udp_socket *u = arg;
	if (u->ring && udp_ring_serve(u, u->ring))
		return NULL;
	atomic_store_explicit(&u->io_mode, UDP_IO_MODE_RECVMMSG, memory_order_relaxed);
	while (!atomic_load_explicit(&u->is_stopping, memory_order_relaxed))
		udp_serve_batch(u);
	return NULL;
}

int udp_socket_init(struct udp_socket *u, struct server *s, struct server_stats *stats,
		    const struct config_addr *a, char *err, size_t errlen)
{
	u->s = s;
	u->stats = stats;
	u->reader = publish_reader_register(s->publish);
	u->batch = malloc(sizeof(*u->batch));
	if (!u->reader || !u->batch) {
		snprintf(err, errlen, u->reader ? "out of memory" : "too many workers");
		return DNSD_ENOMEM;
	}
	u->fd = socket_open(a, SOCK_DGRAM, err, errlen);
	if (u->fd < 0)
		return DNSD_EIO;
	socklen_t l = sizeof(u->local);
	getsockname(u->fd, (struct sockaddr *)&u->local, &l);
	u->has_pktinfo = socket_is_wildcard(&a->ss);
	udp_batch_init(u);
	if (s->udp_io == CONFIG_UDP_IO_RECVMMSG)
		return 0;
	char why[160];
	u->ring = udp_ring_new(u, why, sizeof(why));
	if (!u->ring && s->udp_io == CONFIG_UDP_IO_IO_URING) {
		snprintf(err, errlen, "udp-io: io-uring: %s", why);
		return DNSD_EIO;
	}
	uint32_t wait_us = u->ring ? udp_ring_batch_wait_us(u->ring) : 0;
	atomic_store_explicit(&u->io_mode,
			      !u->ring  ? UDP_IO_MODE_RECVMMSG
			      : wait_us ? UDP_IO_MODE_IO_URING_BATCH_WAIT
					: UDP_IO_MODE_IO_URING,
			      memory_order_relaxed);
	if (!s->is_udp_io_logged) {
		s->is_udp_io_logged = true;
		const char *io = s->udp_io == CONFIG_UDP_IO_AUTO ? "auto" : "io-uring";
		if (!u->ring)
			log_warn("udp: io_uring unavailable (%s); using recvmmsg (udp-io: auto)", why);
		else if (wait_us)
			log_info("udp: io_uring (udp-io: %s), batch wait %u us while queries come faster "
				 "(udp-batch-wait-us)",
				 io, wait_us);
		else if (s->udp_batch_wait_us)
			log_info("udp: io_uring (udp-io: %s), no batch wait: the kernel has no min_wait "
				 "(Linux 6.12)",
				 io);
		else
			log_info("udp: io_uring (udp-io: %s), no batch wait (udp-batch-wait-us: 0)", io);
	}
	return 0;
}

int udp_socket_start(struct udp_socket *u)
{
	if (pthread_create(&u->thread, NULL, udp_main, u) != 0)
		return DNSD_EIO;
	u->is_started = true;
	return 0;
}

/* The flag, then shutdown() to wake a thread waiting in recvmmsg() or
 * io_uring_enter() (both return at once from then on; SO_RCVTIMEO, and the
 * ring's 500 ms wait, bound the wait should they not). */
void udp_socket_wake(struct udp_socket *u)
{
	atomic_store(&u->is_stopping, true);
	if (u->is_started)
		shutdown(u->fd, SHUT_RD);
}

void udp_socket_join(struct udp_socket *u)
{
	if (u->is_started)
		pthread_join(u->thread, NULL);
	u->is_started = false;
}

void udp_socket_clear(struct udp_socket *u)
{
	if (u->fd >= 0)
		close(u->fd);
	free(u->batch);
	udp_ring_free(u->ring);
	if (u->reader)
		publish_reader_unregister(u->reader);
}
