/* SPDX-License-Identifier: BSD-3-Clause
 * udp_uring.c - the UDP thread's io_uring path: one multishot recvmsg keeps
 * receiving into a ring of provided buffers, replies go out as sendmsg
 * requests, and one io_uring_enter() per batch both submits the previous
 * batch's replies and waits for the next datagrams. recvmmsg()+sendmmsg()
 * cost two system calls per batch; this costs one (README "Performance").
 * Sends are MSG_DONTWAIT, so the kernel finishes each within the call that
 * submits it, and IOSQE_CQE_SKIP_SUCCESS keeps it from posting a completion
 * unless it failed: once the call has taken every queued request, every
 * reply slot is free again, and the completions are all datagrams.
 * Batch wait (udp-batch-wait-us, Linux 6.12's min_wait_usec): while the
 * datagrams come at least one per two waits, or a round finds a backlog
 * (RING_BATCH_TARGET datagrams queued), the call waits that long for
 * a batch to gather before it returns with what came; at lower rates a
 * datagram is answered as soon as it arrives. No allocation once
 * running; the kernel's ring and the buffers are set up in udp_ring_new(). */
#include "server/server_internal.h"

#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "server/stats.h"
#include "util/log.h"

#define RING_BUFS 64  /* provided receive buffers; a power of two */
#define RING_SLOTS 64 /* replies queued between two submits */
#define RING_ENTRIES 128
#define RING_BGID 0
#define RING_RECV_TAG UINT64_MAX       /* the multishot receive's user_data */
#define RING_SEND_TAG (UINT64_MAX - 1) /* a send's: it completes only if it failed */
#define RING_CTL_LEN 64
/* the longest wait for a datagram: a stop not noticed through shutdown()
 * is noticed then */
#define RING_WAIT_MAX_NS 500000000
/* with the batch wait on, the call returns early once this many datagrams
 * are there */
#define RING_BATCH_TARGET 16
/* the arrival rate that decides whether to wait is counted over this long */
#define RING_RATE_WINDOW_NS 1000000
/* Linux 6.12's feature bit and io_uring_getevents_arg as it has it (liburing
 * 2.3, Debian 12's, calls min_wait_usec "pad" and cannot set it) */
#ifndef IORING_FEAT_MIN_TIMEOUT
#define IORING_FEAT_MIN_TIMEOUT (1U << 15)
#endif
struct ring_getevents_arg {
	uint64_t sigmask;
	uint32_t sigmask_sz;
	uint32_t min_wait_usec;
	uint64_t ts;
};
_Static_assert(sizeof(struct ring_getevents_arg) == sizeof(struct io_uring_getevents_arg),
	       "the kernel's io_uring_getevents_arg");
/* a provided buffer: io_uring_recvmsg_out, the source address, the control
 * messages, the datagram */
#define RING_BUF_LEN \
	(sizeof(struct io_uring_recvmsg_out) + sizeof(struct sockaddr_storage) + RING_CTL_LEN + UDP_RECV_MAX)

struct udp_ring_slot {
	struct msghdr mh;
	struct iovec iov;
	struct sockaddr_storage to;
	struct udp_query q;
	uint8_t buf[UDP_SEND_MAX];
};

struct udp_ring {
	struct io_uring ring;
	bool has_ring;
	struct io_uring_buf_ring *br;
	size_t br_len;
	uint8_t *bufs;         /* [RING_BUFS][RING_BUF_LEN] */
	struct msghdr recv_mh; /* the receive's template: name and control lengths */
	struct udp_ring_slot slots[RING_SLOTS];
	/* slots [0, used) hold replies (or a round's counters) not yet known to
	 * be sent: free again once a call has taken every queued request */
	unsigned used;
	bool is_recv_armed;
	bool has_received; /* once a datagram came, multishot receives work here */
	/* the batch wait: min_wait_usec, 0 = off (the kernel lacks it, or
	 * udp-batch-wait-us: 0); on while the last window's datagrams came fast
	 * enough (ring_is_worth_waiting) */
	uint32_t batch_wait_us;
	bool is_batching;
	uint64_t window_start_ns;
	uint64_t window_count; /* datagrams received since window_start_ns */
};

void udp_ring_free(struct udp_ring *r)
{
	if (!r)
		return;
	if (r->br) {
		io_uring_unregister_buf_ring(&r->ring, RING_BGID);
		munmap(r->br, r->br_len);
	}
	if (r->has_ring)
		io_uring_queue_exit(&r->ring);
	free(r->bufs);
	free(r);
}

struct udp_ring *udp_ring_new(struct udp_socket *u, char *err, size_t errlen)
{
	struct udp_ring *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* created disabled, enabled by the thread that serves it: a single
	 * issuer, whose completions' task work runs only when it waits */
	struct io_uring_params p = { .flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
					      IORING_SETUP_R_DISABLED | IORING_SETUP_SUBMIT_ALL };
	int rc = io_uring_queue_init_params(RING_ENTRIES, &r->ring, &p);
	if (rc == -EINVAL) { /* before 6.1: no deferred task work */
		p = (struct io_uring_params){ .flags = IORING_SETUP_R_DISABLED };
		rc = io_uring_queue_init_params(RING_ENTRIES, &r->ring, &p);
	}
	if (rc < 0) {
		snprintf(err, errlen, "io_uring_setup: %s", strerror(-rc));
		goto fail;
	}
	r->has_ring = true;
	if (!(p.features & IORING_FEAT_EXT_ARG) || !(p.features & IORING_FEAT_CQE_SKIP)) {
		snprintf(err, errlen, "kernel too old for io_uring (no extended wait arguments)");
		goto fail;
	}
	if (p.features & IORING_FEAT_MIN_TIMEOUT)
		r->batch_wait_us = u->s->udp_batch_wait_us;
	r->br_len = RING_BUFS * sizeof(struct io_uring_buf);
	void *br = mmap(NULL, r->br_len, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	r->bufs = malloc(RING_BUFS * RING_BUF_LEN);
	if (br == MAP_FAILED || !r->bufs) {
		if (br != MAP_FAILED)
			munmap(br, r->br_len);
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	struct io_uring_buf_reg reg = { .ring_addr = (uintptr_t)br,
					.ring_entries = RING_BUFS,
					.bgid = RING_BGID };
	rc = io_uring_register_buf_ring(&r->ring, &reg, 0);
	if (rc < 0) {
		munmap(br, r->br_len);
		snprintf(err, errlen, "io_uring provided buffer ring: %s", strerror(-rc));
		goto fail;
	}
	r->br = br;
	io_uring_buf_ring_init(r->br);
	for (unsigned i = 0; i < RING_BUFS; i++)
		io_uring_buf_ring_add(r->br, r->bufs + i * RING_BUF_LEN, RING_BUF_LEN, (unsigned short)i,
				      io_uring_buf_ring_mask(RING_BUFS), (int)i);
	io_uring_buf_ring_advance(r->br, RING_BUFS);
	r->recv_mh.msg_namelen = sizeof(struct sockaddr_storage);
	r->recv_mh.msg_controllen = u->has_pktinfo ? RING_CTL_LEN : 0;
	for (unsigned i = 0; i < RING_SLOTS; i++) {
		struct udp_ring_slot *sl = &r->slots[i];
		sl->iov.iov_base = sl->buf;
		sl->mh.msg_name = &sl->to;
		sl->mh.msg_iov = &sl->iov;
		sl->mh.msg_iovlen = 1;
	}
	return r;
fail:
	udp_ring_free(r);
	return NULL;
}

/* Hands provided buffer bid back to the kernel (made visible by the
 * caller's io_uring_buf_ring_advance()). */
static void ring_buf_return(struct udp_ring *r, unsigned bid, int offset)
{
	io_uring_buf_ring_add(r->br, r->bufs + bid * RING_BUF_LEN, RING_BUF_LEN, (unsigned short)bid,
			      io_uring_buf_ring_mask(RING_BUFS), offset);
}

uint32_t udp_ring_batch_wait_us(const struct udp_ring *r) { return r->batch_wait_us; }

/* One received datagram (res bytes in buf): answered into the next free
 * slot, whose send is queued. */
static void ring_answer(struct udp_socket *u, struct udp_ring *r, const struct snapshot *snap, uint8_t *buf,
			int res, uint32_t now_s)
{
	struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(buf, res, &r->recv_mh);
	if (!o || (o->flags & MSG_TRUNC))
		return; /* larger than any query we accept: drop */
	struct udp_ring_slot *sl = &r->slots[r->used];
	struct msghdr ctl = {
		.msg_control = o->controllen ? io_uring_recvmsg_cmsg_firsthdr(o, &r->recv_mh) : NULL,
		.msg_controllen = o->controllen,
	};
	socklen_t namelen = o->namelen < sizeof(sl->to) ? o->namelen : sizeof(sl->to);
	memcpy(&sl->to, io_uring_recvmsg_name(o), namelen);
	const uint8_t *pkt = io_uring_recvmsg_payload(o, &r->recv_mh);
	size_t len = io_uring_recvmsg_payload_length(o, res, &r->recv_mh);
	size_t rlen = udp_answer(u, snap, &ctl, pkt, len, (const struct sockaddr *)&sl->to, &sl->q, sl->buf,
				 UDP_SEND_MAX, now_s);
	if (!sl->q.req.pkt)
		return; /* nothing to send or count: the slot stays free */
	r->used++;
	/* at most RING_SLOTS sends and one receive are queued between two
	 * submits, and the ring has more entries than that */
	struct io_uring_sqe *sqe = rlen ? io_uring_get_sqe(&r->ring) : NULL;
	if (!sqe)
		return;
	sl->iov.iov_len = rlen;
	sl->mh.msg_namelen = namelen;
	sl->mh.msg_control = sl->q.sctl_len ? sl->q.sctl : NULL;
	sl->mh.msg_controllen = sl->q.sctl_len;
	/* MSG_DONTWAIT: a full send buffer fails the send (dropped, as
	 * sendmmsg() drops on EAGAIN) instead of leaving it in flight, so the
	 * slot is free once the call that submits it returns */
	io_uring_prep_sendmsg(sqe, u->fd, &sl->mh, MSG_DONTWAIT);
	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
	io_uring_sqe_set_data64(sqe, RING_SEND_TAG);
}

/* Whether count datagrams in elapsed_ns come fast enough to wait wait_us
 * for more: at least one per two waits. Slower, a wait would mostly hold a
 * lone query back for nothing; at 50k qps and 25 us, 1.25 per wait come
 * (and the batches grow to ~3, README "Performance"). A client that sends
 * its next query only once answered cannot keep it on unless it takes
 * under 2 waits between queries; then its queries wait too, by at most
 * wait_us each. */
static bool ring_is_worth_waiting(uint64_t count, uint64_t elapsed_ns, uint32_t wait_us)
{
	return count * wait_us * 2000u >= elapsed_ns;
}

/* Submits what is queued and waits for wait_nr completions, at most
 * RING_WAIT_MAX_NS, or, with min_wait_us, that long for wait_nr and then
 * for any one: one io_uring_enter(). liburing 2.3 has no call that passes
 * min_wait_usec, so this does what io_uring_submit_and_wait_timeout() does
 * for a ring without SQPOLL: publish the queued entries, then enter. 0 or a
 * negative errno. */
static int ring_enter(struct udp_ring *r, unsigned wait_nr, uint32_t min_wait_us)
{
	struct io_uring_sq *sq = &r->ring.sq;
	if (sq->sqe_head != sq->sqe_tail) {
		sq->sqe_head = sq->sqe_tail;
		io_uring_smp_store_release(sq->ktail, sq->sqe_tail);
	}
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = RING_WAIT_MAX_NS };
	struct ring_getevents_arg arg = {
		.sigmask_sz = _NSIG / 8,
		.min_wait_usec = min_wait_us,
		.ts = (uint64_t)(uintptr_t)&ts,
	};
	unsigned flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
	long rc = syscall(__NR_io_uring_enter, r->ring.ring_fd, io_uring_sq_ready(&r->ring), wait_nr, flags,
			  &arg, sizeof(arg));
	return rc < 0 ? -errno : 0;
}

bool udp_ring_serve(struct udp_socket *u, struct udp_ring *r)
{
	/* io_uring_enable_rings() is liburing 2.4's; Debian 12 has 2.3 */
	int rc = (int)syscall(__NR_io_uring_register, r->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	if (rc < 0) {
		log_warn("udp: io_uring enable rings: %s; using recvmmsg", strerror(errno));
		return false;
	}
	while (!atomic_load_explicit(&u->is_stopping, memory_order_relaxed)) {
		if (!r->is_recv_armed) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring); /* the SQ has room here */
			io_uring_prep_recvmsg_multishot(sqe, u->fd, &r->recv_mh, 0);
			sqe->flags |= IOSQE_BUFFER_SELECT;
			sqe->buf_group = RING_BGID;
			io_uring_sqe_set_data64(sqe, RING_RECV_TAG);
			r->is_recv_armed = true;
		}
		/* completions left over from the last round: just submit. While
		 * datagrams come at least one per batch wait, wait that long for a
		 * batch (returning early at RING_BATCH_TARGET); otherwise return at
		 * the first, so that a query at low rates never waits for others. */
		bool is_waiting = r->batch_wait_us && r->is_batching;
		unsigned wait_nr = io_uring_cq_ready(&r->ring) ? 0 : is_waiting ? RING_BATCH_TARGET : 1;
		rc = ring_enter(r, wait_nr, is_waiting ? r->batch_wait_us : 0);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME) {
			log_warn("udp: io_uring_enter: %s; using recvmmsg", strerror(-rc));
			return false;
		}
		/* every queued request taken: the sends are done (MSG_DONTWAIT),
		 * their slots free */
		if (!io_uring_sq_ready(&r->ring))
			r->used = 0;
		if (atomic_load_explicit(&u->is_stopping, memory_order_relaxed))
			break;
		uint64_t started = server_stats_now_ns();
		/* one wall-clock reading per round, for cookie timestamps and the
		 * refusal log (a vDSO call) */
		uint32_t now_s = (uint32_t)time(NULL);
		udp_cookie_log_flush(u, now_s);
		const struct snapshot *snap = publish_read_begin(u->s->publish, u->reader);
		unsigned first = r->used, seen = 0, returned = 0;
		struct io_uring_cqe *cqe;
		unsigned head;
		io_uring_for_each_cqe(&r->ring, head, cqe)
		{
			seen++;
			if (cqe->user_data != RING_RECV_TAG)
				continue; /* a send that failed: its datagram is lost, as with sendmmsg() */
			if (!(cqe->flags & IORING_CQE_F_MORE))
				r->is_recv_armed = false; /* out of buffers, or an error: armed again above */
			if (cqe->res == -EINVAL && !r->has_received) {
				log_warn("udp: the kernel refuses multishot receives; using recvmmsg");
				io_uring_cq_advance(&r->ring, seen);
				publish_read_end(u->reader);
				return false;
			}
			if (!(cqe->flags & IORING_CQE_F_BUFFER))
				continue; /* an error (ENOBUFS, or shutdown()) without data */
			unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
			r->has_received = true;
			if (r->used < RING_SLOTS)
				ring_answer(u, r, snap, r->bufs + bid * RING_BUF_LEN, cqe->res, now_s);
			else /* every reply slot is queued and the last call did not take them
			      * (the kernel was short of memory): dropped */
				server_stats_add(&u->stats->dropped, 1);
			ring_buf_return(r, bid, (int)returned++);
		}
		io_uring_cq_advance(&r->ring, seen);
		if (returned)
			io_uring_buf_ring_advance(r->br, (int)returned);
		/* the arrival rate over the last window decides the next waits */
		r->window_count += returned;
		if (started - r->window_start_ns >= RING_RATE_WINDOW_NS) {
			r->is_batching = ring_is_worth_waiting(r->window_count, started - r->window_start_ns,
							       r->batch_wait_us);
			r->window_start_ns = started;
			r->window_count = 0;
		}
		/* a backlog: this many came while the last round was served, so
		 * they come faster than one at a time, however short the burst (a
		 * burst shorter than the window, after a quiet spell, never
		 * raises the window's rate); waiting costs nothing while it lasts */
		if (returned >= RING_BATCH_TARGET)
			r->is_batching = true;
		if (returned)
			server_stats_udp_batch(u->stats, returned, is_waiting);
		/* one clock reading per round: every query in it waited as long */
		uint64_t ns = server_stats_now_ns() - started;
		for (unsigned i = first; i < r->used; i++)
			server_stats_account(u->stats, snap, &r->slots[i].q.req, &r->slots[i].q.info, ns);
		publish_read_end(u->reader);
	}
	return true;
}
