/* SPDX-License-Identifier: BSD-3-Clause
 * udp_uring.c - the UDP thread's io_uring path: one multishot recvmsg keeps
 * receiving into a ring of provided buffers, replies go out as sendmsg
 * requests, and one io_uring_enter() per batch both submits the previous
 * batch's replies and waits for the next datagram. recvmmsg()+sendmmsg()
 * cost two system calls per batch; this costs one, which at 50k qps (batches
 * of 2-3 datagrams) is the difference between ~0.8 and ~0.4 calls per query
 * (README "Performance").
 * The wait asks for one completion more than the sends in flight: each send
 * posts exactly one completion (done inline in the same call, almost always),
 * so the call returns once a datagram has come and every send is done, and
 * every send buffer is free again when it returns. No allocation once
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
#define RING_SLOTS 64 /* replies in flight */
#define RING_ENTRIES 128
#define RING_BGID 0
#define RING_RECV_TAG UINT64_MAX /* the multishot receive's user_data; a send's is its slot */
#define RING_CTL_LEN 64
/* the longest wait for a datagram: a stop not noticed through shutdown()
 * is noticed then */
#define RING_WAIT_MAX_NS 500000000
/* a provided buffer: io_uring_recvmsg_out, the source address, the control
 * messages, the datagram */
#define RING_BUF_LEN \
	(sizeof(struct io_uring_recvmsg_out) + sizeof(struct sockaddr_storage) + RING_CTL_LEN + UDP_RECV_MAX)

struct udp_ring_slot {
	struct msghdr mh;
	struct iovec iov;
	struct sockaddr_storage to;
	struct udp_query q;
	bool is_sending; /* its send's completion is still to come */
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
	uint16_t free_slot[RING_SLOTS];
	unsigned free_count;
	unsigned inflight; /* sends whose completion is still to come */
	bool is_recv_armed;
	bool has_received;          /* once a datagram came, multishot receives work here */
	uint16_t batch[RING_SLOTS]; /* the slots answered in this round, for the counters */
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
	if (!(p.features & IORING_FEAT_EXT_ARG)) {
		snprintf(err, errlen, "kernel too old for io_uring (no extended wait arguments)");
		goto fail;
	}
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
		r->free_slot[i] = (uint16_t)(RING_SLOTS - 1 - i);
	}
	r->free_count = RING_SLOTS;
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

/* One received datagram (res bytes in buf): answered into a free slot,
 * whose send is queued; the slot goes on the round's list for the counters. */
static void ring_answer(struct udp_socket *u, struct udp_ring *r, const struct snapshot *snap, uint8_t *buf,
			int res, unsigned *answered, uint32_t now_s)
{
	struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(buf, res, &r->recv_mh);
	if (!o || (o->flags & MSG_TRUNC))
		return; /* larger than any query we accept: drop */
	uint16_t si = r->free_slot[--r->free_count];
	struct udp_ring_slot *sl = &r->slots[si];
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
	/* at most RING_SLOTS sends and one receive are queued between two
	 * submits, and the ring has more entries than that */
	struct io_uring_sqe *sqe = rlen ? io_uring_get_sqe(&r->ring) : NULL;
	sl->is_sending = sqe != NULL;
	if (sl->q.req.pkt)
		r->batch[(*answered)++] = si; /* counted, then freed unless sending */
	else if (!sl->is_sending)
		r->free_slot[r->free_count++] = si;
	if (!sqe)
		return;
	sl->iov.iov_len = rlen;
	sl->mh.msg_namelen = namelen;
	sl->mh.msg_control = sl->q.sctl_len ? sl->q.sctl : NULL;
	sl->mh.msg_controllen = sl->q.sctl_len;
	io_uring_prep_sendmsg(sqe, u->fd, &sl->mh, MSG_DONTWAIT);
	io_uring_sqe_set_data64(sqe, si);
	r->inflight++;
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
			struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring); /* the SQ is empty here */
			io_uring_prep_recvmsg_multishot(sqe, u->fd, &r->recv_mh, 0);
			sqe->flags |= IOSQE_BUFFER_SELECT;
			sqe->buf_group = RING_BGID;
			io_uring_sqe_set_data64(sqe, RING_RECV_TAG);
			r->is_recv_armed = true;
		}
		/* completions left over from the last round: just submit */
		unsigned wait_nr = io_uring_cq_ready(&r->ring) ? 0 : r->inflight + 1;
		struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = RING_WAIT_MAX_NS };
		struct io_uring_cqe *first;
		rc = io_uring_submit_and_wait_timeout(&r->ring, &first, wait_nr, wait_nr ? &ts : NULL, NULL);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME) {
			log_warn("udp: io_uring_enter: %s; using recvmmsg", strerror(-rc));
			return false;
		}
		if (atomic_load_explicit(&u->is_stopping, memory_order_relaxed))
			break;
		uint64_t started = server_stats_now_ns();
		/* one wall-clock reading per round, for cookie timestamps and the
		 * refusal log (a vDSO call) */
		uint32_t now_s = (uint32_t)time(NULL);
		udp_cookie_log_flush(u, now_s);
		const struct snapshot *snap = publish_read_begin(u->s->publish, u->reader);
		unsigned answered = 0, seen = 0, returned = 0;
		struct io_uring_cqe *cqe;
		unsigned head;
		io_uring_for_each_cqe(&r->ring, head, cqe)
		{
			if (cqe->user_data != RING_RECV_TAG) { /* a send done: its slot is free */
				r->free_slot[r->free_count++] = (uint16_t)cqe->user_data;
				r->inflight--;
				seen++;
				continue;
			}
			seen++;
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
			if (r->free_count)
				ring_answer(u, r, snap, r->bufs + bid * RING_BUF_LEN, cqe->res, &answered,
					    now_s);
			else /* every reply slot waits for its send (the socket's send buffer is
			      * full): dropped, as sendmmsg() drops on EAGAIN. Waiting instead
			      * could stall, the sends' completions being behind this one. */
				server_stats_add(&u->stats->dropped, 1);
			ring_buf_return(r, bid, (int)returned++);
		}
		io_uring_cq_advance(&r->ring, seen);
		if (returned)
			io_uring_buf_ring_advance(r->br, (int)returned);
		/* one clock reading per round: every query in it waited as long */
		uint64_t ns = server_stats_now_ns() - started;
		for (unsigned i = 0; i < answered; i++) {
			struct udp_ring_slot *sl = &r->slots[r->batch[i]];
			server_stats_account(u->stats, snap, &sl->q.req, &sl->q.info, ns);
			if (!sl->is_sending)
				r->free_slot[r->free_count++] = r->batch[i];
		}
		publish_read_end(u->reader);
	}
	return true;
}
