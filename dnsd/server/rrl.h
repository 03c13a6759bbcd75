/* SPDX-License-Identifier: BSD-3-Clause
 * rrl.h - response rate limiting for UDP (the model of BIND, NSD and Knot):
 * a token bucket per client prefix (/24 IPv4, /56 IPv6 by default) and kind
 * of response: an answer (keyed also by qname and qtype, so that one client
 * asking many names is not limited by one of them), an NXDOMAIN (keyed by
 * the zone, so that random names do not each get a fresh bucket), or an
 * error (REFUSED, SERVFAIL, FORMERR...: the prefix alone). A limited
 * response is dropped, but every slip-th is sent truncated (TC=1, no
 * records) so that a real client behind a spoofed flood retries over TCP,
 * which is never limited. Off by default (rrl.responses-per-second 0): in a
 * mesh every query comes from a few forwarders, which a limit would starve.
 *
 * The table is fixed-size and allocated once by rrl_new(); rrl_check() runs
 * on every UDP thread at once with relaxed atomics only: no lock, no
 * allocation. Two threads racing on one bucket may let a response more
 * through, never block. The bucket index is a hash seeded at random per
 * process, which makes aiming at another client's bucket harder (FNV-1a is
 * not a keyed MAC: a collision only resets a bucket, it never blocks). */
#ifndef DNSD_RRL_H
#define DNSD_RRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf/config.h"
#include "query/answer.h"

struct rrl;

enum rrl_kind { RRL_KIND_RESPONSE, RRL_KIND_NXDOMAIN, RRL_KIND_ERROR, RRL_KIND_COUNT };

enum rrl_verdict {
	RRL_PASS,     /* within its rate, exempt, or not limited at all */
	RRL_LOG_ONLY, /* over its rate, sent anyway (rrl.log-only) */
	RRL_SLIP,     /* over its rate: send the truncated reply (rrl_slip_reply()) */
	RRL_DROP,     /* over its rate: send nothing */
};

/* What one UDP thread keeps of its own: the count of limited responses (the
 * slip) and when it last logged. Zero-initialised; one thread only. */
struct rrl_thread {
	uint64_t limited;
	int64_t logged_s;   /* when the last log line was written (monotonic s) */
	uint64_t since_log; /* limited responses since then */
};

/* A limiter for cfg's rrl settings, or *out NULL when rrl is off. Returns 0,
 * or DNSD_ENOMEM with err. Caller frees with rrl_free(). */
int rrl_new(struct rrl **out, const struct config *cfg, char *err, size_t errlen);
void rrl_free(struct rrl *r);

/* The verdict on one UDP reply about to be sent to client (the real client,
 * after PROXY v2), as answer_query() described it in info; now_ns from
 * CLOCK_MONOTONIC. kind is set to the response's kind. */
enum rrl_verdict rrl_check(struct rrl *r, struct rrl_thread *t, const struct sockaddr *client,
			   const struct answer_info *info, uint64_t now_ns, enum rrl_kind *kind);

/* Rewrites the reply of len bytes in buf (as answer_query() wrote it for
 * info) into the slip: the header with TC=1 and the question, no records.
 * Returns its length. */
size_t rrl_slip_reply(uint8_t *buf, size_t len, const struct answer_info *info);

/* The kind's name for metrics labels and logs: "response", "nxdomain", "error". */
const char *rrl_kind_name(enum rrl_kind kind);

#endif
