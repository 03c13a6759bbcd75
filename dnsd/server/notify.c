/* SPDX-License-Identifier: BSD-3-Clause
 * notify.c - the NOTIFY sender: a queue of (target, zone) notifications
 * under one mutex, and a thread that polls its two UDP sockets and an
 * eventfd, sends what is due and matches answers by ID, source and zone. */
#include "server/notify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "dns/wire.h"
#include "server/server_internal.h"
#include "util/err.h"
#include "util/log.h"
#include "util/metrics.h"
#include "zone/zone_records.h"

#define NOTIFY_OPCODE 4
#define NOTIFY_MSG_MAX 1024

struct notice {
	struct notice *next;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	bool has_key;
	struct tsig_key key;
	struct tsig_stream tsig;
	char view[64];
	uint8_t apex[DNAME_MAX_LEN];
	uint32_t serial;
	uint8_t msg[NOTIFY_MSG_MAX];
	size_t msg_len; /* unsigned message; signed anew per attempt */
	uint16_t id;
	unsigned attempts; /* sent so far */
	uint64_t due_ms;
	unsigned retry_ms;
};

/* The serial last notified per view and zone, so that a publication
 * notifies only the zones it changed. */
struct notified {
	char view[64];
	uint8_t apex[DNAME_MAX_LEN];
	uint32_t serial;
};

struct notifier {
	pthread_mutex_t lock; /* guards list and seen */
	struct notice *list;
	struct notified *seen;
	size_t seen_count;
	int fd4, fd6, wake_fd;
	unsigned attempts, retry_ms;
	pthread_t thread;
	bool has_thread;
	_Atomic bool is_stopping;
	struct notify_stats stats;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void stat_add(_Atomic uint64_t *c, int64_t n)
{
	atomic_fetch_add_explicit(c, (uint64_t)n, memory_order_relaxed);
}

static int open_udp(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (family == AF_INET6) {
		int on = 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	}
	return fd;
}

struct notifier *notify_new(unsigned attempts, unsigned retry_ms)
{
	struct notifier *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	pthread_mutex_init(&n->lock, NULL);
	n->attempts = attempts ? attempts : 1;
	n->retry_ms = retry_ms ? retry_ms : NOTIFY_RETRY_MS_DEFAULT;
	n->fd4 = open_udp(AF_INET);
	n->fd6 = open_udp(AF_INET6); /* may fail on hosts without IPv6 */
	n->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->fd4 < 0 || n->wake_fd < 0) {
		notify_free(n);
		return NULL;
	}
	return n;
}

static void addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
		snprintf(buf, len, "%s:%u", host, port);
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		snprintf(buf, len, "[%s]:%u", host, port);
	}
}

static void notice_log(const struct notice *e, const char *what)
{
	char to[80], zone[DNAME_MAX_TEXT];
	addr_text(&e->addr, to, sizeof(to));
	dname_to_text(zone, sizeof(zone), e->apex);
	log_info("notify %s zone %s%s%s serial %u: %s", to, zone, e->view[0] ? " view " : "", e->view,
		 e->serial, what);
}

/* The NOTIFY message (RFC 1996 §3.7): AA, question apex SOA IN, the SOA in answer. */
static size_t build_message(uint8_t *out, uint16_t id, const uint8_t *apex, const uint8_t *soa,
			    uint16_t soa_len, uint32_t soa_ttl_s)
{
	size_t alen = dname_len(apex);
	if (WIRE_HEADER_LEN + alen + 4 + 2 + 10 + soa_len > NOTIFY_MSG_MAX - TSIG_RR_MAX)
		return 0;
	wire_write_u16(out, id);
	wire_write_u16(out + 2, (uint16_t)(NOTIFY_OPCODE << 11 | WIRE_FLAG_AA));
	wire_write_u16(out + 4, 1);
	wire_write_u16(out + 6, soa_len ? 1 : 0);
	wire_write_u16(out + 8, 0);
	wire_write_u16(out + 10, 0);
	size_t p = WIRE_HEADER_LEN;
	memcpy(out + p, apex, alen);
	p += alen;
	wire_write_u16(out + p, WIRE_TYPE_SOA);
	wire_write_u16(out + p + 2, WIRE_CLASS_IN);
	p += 4;
	if (soa_len) {
		wire_write_u16(out + p, 0xC000 | WIRE_HEADER_LEN);
		wire_write_u16(out + p + 2, WIRE_TYPE_SOA);
		wire_write_u16(out + p + 4, WIRE_CLASS_IN);
		wire_write_u32(out + p + 6, soa_ttl_s);
		wire_write_u16(out + p + 10, soa_len);
		memcpy(out + p + 12, soa, soa_len);
		p += 12 + soa_len;
	}
	return p;
}

static uint16_t random_id(void)
{
	uint16_t id = 0;
	if (getentropy(&id, sizeof(id)) != 0)
		id = (uint16_t)now_ms();
	return id;
}

void notify_zone(struct notifier *n, const char *view, const uint8_t *apex, uint32_t serial,
		 const uint8_t *soa, uint16_t soa_len, uint32_t soa_ttl_s,
		 const struct notify_target *targets, size_t count)
{
	uint64_t now = now_ms();
	size_t alen = dname_len(apex);
	pthread_mutex_lock(&n->lock);
	for (size_t i = 0; i < count; i++) {
		const struct notify_target *t = &targets[i];
		/* a newer serial replaces what is pending for this target and zone */
		struct notice *e = n->list;
		for (; e; e = e->next)
			if (e->addr_len == t->addr_len && memcmp(&e->addr, &t->addr, t->addr_len) == 0 &&
			    strcmp(e->view, view) == 0 && dname_equal(e->apex, apex))
				break;
		if (!e) {
			e = calloc(1, sizeof(*e));
			if (!e) {
				log_error("notify: out of memory");
				stat_add(&n->stats.failed, 1);
				continue;
			}
			e->next = n->list;
			n->list = e;
			stat_add(&n->stats.pending, 1);
		}
		memcpy(&e->addr, &t->addr, t->addr_len);
		e->addr_len = t->addr_len;
		e->has_key = t->key != NULL;
		if (t->key)
			e->key = *t->key;
		snprintf(e->view, sizeof(e->view), "%s", view);
		memcpy(e->apex, apex, alen);
		e->serial = serial;
		e->id = random_id();
		e->msg_len = build_message(e->msg, e->id, apex, soa, soa_len, soa_ttl_s);
		e->attempts = 0;
		e->due_ms = now;
		e->retry_ms = n->retry_ms;
	}
	pthread_mutex_unlock(&n->lock);
	uint64_t one = 1;
	if (write(n->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("notify: wake-up failed: %s", strerror(errno));
}

static void notice_remove(struct notifier *n, struct notice *e)
{
	for (struct notice **p = &n->list; *p; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			break;
		}
	free(e);
	stat_add(&n->stats.pending, -1);
}

int notify_send_due(struct notifier *n)
{
	uint64_t now = now_ms();
	int64_t next = -1;
	pthread_mutex_lock(&n->lock);
	struct notice *e = n->list;
	while (e) {
		struct notice *following = e->next;
		if (e->due_ms > now) {
			int64_t d = (int64_t)(e->due_ms - now);
			if (next < 0 || d < next)
				next = d;
			e = following;
			continue;
		}
		if (e->attempts >= n->attempts || e->msg_len == 0) {
			notice_log(e, e->msg_len ? "no answer, giving up" : "message too large");
			stat_add(&n->stats.failed, 1);
			notice_remove(n, e);
			e = following;
			continue;
		}
		uint8_t msg[NOTIFY_MSG_MAX];
		size_t len = e->msg_len;
		memcpy(msg, e->msg, len);
		bool is_ready = true;
		if (e->has_key) {
			/* each attempt is signed afresh: its time moves on */
			tsig_stream_init(&e->tsig, &e->key, TSIG_FUDGE_DEFAULT);
			is_ready = tsig_sign(&e->tsig, msg, &len, sizeof(msg), (uint64_t)time(NULL),
					     TSIG_OK) == 0;
		}
		int fd = e->addr.ss_family == AF_INET6 ? n->fd6 : n->fd4;
		if (is_ready && fd >= 0 &&
		    sendto(fd, msg, len, 0, (struct sockaddr *)&e->addr, e->addr_len) < 0)
			log_debug("notify: sendto: %s", strerror(errno));
		stat_add(&n->stats.sent, 1);
		if (e->attempts > 0)
			stat_add(&n->stats.retries, 1);
		e->attempts++;
		e->due_ms = now + e->retry_ms;
		e->retry_ms = e->retry_ms * 2 > NOTIFY_RETRY_MS_MAX ? NOTIFY_RETRY_MS_MAX : e->retry_ms * 2;
		if (next < 0 || (int64_t)(e->due_ms - now) < next)
			next = (int64_t)(e->due_ms - now);
		e = following;
	}
	pthread_mutex_unlock(&n->lock);
	return next < 0 ? -1 : next > 60000 ? 60000 : (int)next;
}

/* Whether the question at buf + WIRE_HEADER_LEN is apex (alen bytes), read
 * without trusting the datagram: its first alen bytes, case-folded (label
 * lengths are below 'A' and so unchanged). */
static bool question_is(const uint8_t *buf, size_t len, const uint8_t *apex, size_t alen)
{
	if (len < WIRE_HEADER_LEN + alen || wire_read_u16(buf + 4) != 1)
		return false;
	uint8_t a[DNAME_MAX_LEN], b[DNAME_MAX_LEN];
	dname_lower(a, buf + WIRE_HEADER_LEN, alen);
	dname_lower(b, apex, alen);
	return memcmp(a, b, alen) == 0;
}

bool notify_answer(struct notifier *n, const uint8_t *buf, size_t len, const struct sockaddr_storage *from)
{
	if (len < WIRE_HEADER_LEN)
		return false;
	uint16_t id = wire_read_u16(buf), flags = wire_read_u16(buf + 2);
	if (!(flags & WIRE_FLAG_QR) || ((flags >> 11) & 0xF) != NOTIFY_OPCODE)
		return false;
	bool is_ended = false;
	pthread_mutex_lock(&n->lock);
	for (struct notice *e = n->list; e; e = e->next) {
		if (e->id != id || e->attempts == 0 ||
		    !socket_same_address((const struct sockaddr *)from, (const struct sockaddr *)&e->addr,
					 true) ||
		    !question_is(buf, len, e->apex, dname_len(e->apex)))
			continue;
		uint8_t rcode = flags & 0xF;
		if (e->has_key) {
			struct tsig_rr rr;
			enum tsig_error te = TSIG_BADSIG;
			if (tsig_find(buf, len, &rr) == 0)
				te = tsig_verify_response(&e->tsig, buf, len, &rr, (uint64_t)time(NULL));
			if (te != TSIG_OK) {
				char what[64];
				snprintf(what, sizeof(what), "answer fails TSIG (%s), ignored",
					 tsig_error_text(te));
				notice_log(e, what);
				break; /* a retransmission may still be answered properly */
			}
		}
		if (rcode == WIRE_RCODE_NOERROR) {
			notice_log(e, "answered");
			stat_add(&n->stats.answered, 1);
		} else {
			char what[48];
			snprintf(what, sizeof(what), "answered with rcode %u", rcode);
			notice_log(e, what);
			stat_add(&n->stats.failed, 1);
		}
		notice_remove(n, e);
		is_ended = true;
		break;
	}
	pthread_mutex_unlock(&n->lock);
	return is_ended;
}

static void receive(struct notifier *n, int fd)
{
	for (;;) {
		uint8_t buf[NOTIFY_MSG_MAX];
		struct sockaddr_storage from;
		socklen_t from_len = sizeof(from);
		ssize_t r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);
		if (r < 0)
			return;
		notify_answer(n, buf, (size_t)r, &from);
	}
}

static void *notify_main(void *arg)
{
	struct notifier *n = arg;
	while (!atomic_load(&n->is_stopping)) {
		int timeout = notify_send_due(n);
		struct pollfd p[3] = {
			{ .fd = n->wake_fd, .events = POLLIN },
			{ .fd = n->fd4, .events = POLLIN },
			{ .fd = n->fd6, .events = POLLIN },
		};
		if (poll(p, n->fd6 >= 0 ? 3 : 2, timeout) <= 0)
			continue;
		if (p[0].revents) {
			uint64_t v;
			if (read(n->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				log_debug("notify: eventfd: %s", strerror(errno));
		}
		if (p[1].revents)
			receive(n, n->fd4);
		if (n->fd6 >= 0 && p[2].revents)
			receive(n, n->fd6);
	}
	return NULL;
}

int notify_start(struct notifier *n)
{
	if (n->has_thread)
		return 0;
	if (pthread_create(&n->thread, NULL, notify_main, n) != 0)
		return DNSD_EIO;
	n->has_thread = true;
	return 0;
}

void notify_stop(struct notifier *n)
{
	if (!n || !n->has_thread)
		return;
	atomic_store(&n->is_stopping, true);
	uint64_t one = 1;
	if (write(n->wake_fd, &one, sizeof(one)) < 0)
		log_debug("notify: wake-up: %s", strerror(errno));
	pthread_join(n->thread, NULL);
	n->has_thread = false;
}

void notify_free(struct notifier *n)
{
	if (!n)
		return;
	notify_stop(n);
	while (n->list)
		notice_remove(n, n->list);
	if (n->fd4 >= 0)
		close(n->fd4);
	if (n->fd6 >= 0)
		close(n->fd6);
	if (n->wake_fd >= 0)
		close(n->wake_fd);
	free(n->seen);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

const struct notify_stats *notify_get_stats(const struct notifier *n) { return &n->stats; }

/* Has (view, apex) been notified at serial? Records it if not. */
static bool already_notified(struct notifier *n, const char *view, const uint8_t *apex, uint32_t serial)
{
	bool done = false;
	pthread_mutex_lock(&n->lock);
	size_t i = 0;
	for (; i < n->seen_count; i++)
		if (strcmp(n->seen[i].view, view) == 0 && dname_equal(n->seen[i].apex, apex))
			break;
	if (i < n->seen_count) {
		done = n->seen[i].serial == serial;
		n->seen[i].serial = serial;
	} else {
		struct notified *a = realloc(n->seen, (n->seen_count + 1) * sizeof(*a));
		if (a) {
			n->seen = a;
			struct notified *e = &a[n->seen_count++];
			snprintf(e->view, sizeof(e->view), "%s", view);
			memcpy(e->apex, apex, dname_len(apex));
			e->serial = serial;
		}
	}
	pthread_mutex_unlock(&n->lock);
	return done;
}

void notify_snapshot(struct notifier *n, const struct snapshot *s)
{
	if (!n || !s || !s->xfr)
		return;
	for (size_t v = 0; v < s->view_count; v++) {
		const struct zone_set *set = s->sets[v];
		const char *view = s->view_count > 1 || s->views->views[v].name[0] ? s->views->views[v].name
										   : "";
		for (size_t i = 0; set && i < set->count; i++) {
			const struct zone *z = set->zones[i];
			const struct xfr_zone_policy *zp = xfr_policy_zone(s->xfr, v, z->apex, z->apex_len);
			if (z->is_pending || !zp || zp->notify_count == 0 ||
			    already_notified(n, view, z->apex, z->serial))
				continue;
			uint8_t soa[ZONE_RDATA_DECODED_MAX];
			uint32_t ttl;
			size_t soa_len = zone_soa(z, soa, &ttl);
			struct notify_target t[16];
			for (size_t j = 0; j < zp->notify_count; j += 16) {
				size_t k = 0;
				for (; k < 16 && j + k < zp->notify_count; k++) {
					const struct xfr_notify_target *c = &zp->notify[j + k];
					memcpy(&t[k].addr, &c->addr, c->addr_len);
					t[k].addr_len = c->addr_len;
					t[k].key = c->key >= 0 ? &s->xfr->keys[c->key] : NULL;
				}
				notify_zone(n, view, z->apex, z->serial, soa, (uint16_t)soa_len, ttl, t, k);
			}
		}
	}
}

void notify_collect_metrics(void *ctx, struct metrics_out *m)
{
	const struct notify_stats *st = &((const struct notifier *)ctx)->stats;
#define LOAD(f) atomic_load_explicit(&st->f, memory_order_relaxed)
	metrics_single(m, "dnsd_notify_sent_total", METRICS_COUNTER,
		       "NOTIFY messages sent, retransmissions included.", LOAD(sent));
	metrics_single(m, "dnsd_notify_retries_total", METRICS_COUNTER, "NOTIFY retransmissions.",
		       LOAD(retries));
	metrics_single(m, "dnsd_notify_answered_total", METRICS_COUNTER, "NOTIFYs a secondary acknowledged.",
		       LOAD(answered));
	metrics_single(m, "dnsd_notify_failed_total", METRICS_COUNTER,
		       "NOTIFYs given up on or answered with an error.", LOAD(failed));
	metrics_single(m, "dnsd_notify_pending", METRICS_GAUGE, "NOTIFYs waiting for an answer.",
		       LOAD(pending));
#undef LOAD
}
