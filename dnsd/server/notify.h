/* SPDX-License-Identifier: BSD-3-Clause
 * notify.h - NOTIFY (RFC 1996) to secondaries after each publication of a
 * zone: one thread with a UDP socket per address family sends, retransmits
 * with back-off until the target answers (RFC 1996 §3.6) or the attempts
 * run out, and counts the outcome. A newer serial for the same target and
 * zone replaces the notification still pending. Optionally TSIG-signed
 * (and the answer's signature checked).
 *
 * Threads: notify_zone() may be called from any thread (the publisher);
 * the notifier's own thread does all I/O. Counters are atomics. */
#ifndef DNSD_NOTIFY_H
#define DNSD_NOTIFY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/tsig.h"
#include "zone/snapshot.h"

#define NOTIFY_ATTEMPTS_DEFAULT 8 /* 1 s doubling: gives up after about 4 minutes */
#define NOTIFY_RETRY_MS_DEFAULT 1000
#define NOTIFY_RETRY_MS_MAX 60000

struct notify_target {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	const struct tsig_key *key; /* NULL: unsigned; copied by notify_zone() */
};

struct notify_stats {
	_Atomic uint64_t sent;     /* NOTIFY messages sent, retransmissions included */
	_Atomic uint64_t retries;  /* of which retransmissions */
	_Atomic uint64_t answered; /* acknowledged (NOERROR, signature checked when signed) */
	_Atomic uint64_t failed;   /* given up after the last attempt, or refused */
	_Atomic uint64_t pending;  /* waiting for an answer now */
};

struct notifier;

/* A notifier that retransmits after retry_ms, doubling up to
 * NOTIFY_RETRY_MS_MAX, attempts times in all. NULL when out of memory or the
 * sockets cannot be opened. */
struct notifier *notify_new(unsigned attempts, unsigned retry_ms);
int notify_start(struct notifier *n);
/* Stops the thread; pending notifications are dropped. */
void notify_stop(struct notifier *n);
void notify_free(struct notifier *n);

/* Queues a NOTIFY for zone apex (wire form) at serial to each target, with
 * the zone's SOA record in the answer section (soa: rdata, uncompressed).
 * view names the view for logs ("" without views). */
void notify_zone(struct notifier *n, const char *view, const uint8_t *apex, uint32_t serial,
		 const uint8_t *soa, uint16_t soa_len, uint32_t soa_ttl_s,
		 const struct notify_target *targets, size_t count);

const struct notify_stats *notify_get_stats(const struct notifier *n);

/* The two steps of the notifier's thread, callable without it (the fuzz
 * harness tests/fuzz/fuzz_notify.c drives them in turn):
 * notify_send_due() sends what is due and returns the delay until the next
 * (ms, -1 = none); notify_answer() takes one datagram that arrived from
 * `from` and returns true when it was the answer that ends a pending
 * notification (QR, opcode NOTIFY, the notice's ID, sent from the target's
 * address and port, QDCOUNT 1 with the zone's name, and, for a signed
 * notice, a TSIG record that verifies against what we sent). */
int notify_send_due(struct notifier *n);
bool notify_answer(struct notifier *n, const uint8_t *buf, size_t len, const struct sockaddr_storage *from);

/* Notifies every (view, zone) of s whose serial moved since the last call
 * (all of them the first time) to the zone's targets in s's transfer
 * policy. Called right after each publication (catalog_set_publish_hook). */
struct snapshot;
void notify_snapshot(struct notifier *n, const struct snapshot *s);

/* metrics_collect_fn for /metrics (ctx: the notifier). */
struct metrics_out;
void notify_collect_metrics(void *ctx, struct metrics_out *m);

#endif
