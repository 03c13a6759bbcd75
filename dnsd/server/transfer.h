/* SPDX-License-Identifier: BSD-3-Clause
 * transfer.h - the primary's side of AXFR, IXFR and TSIG for the TCP and
 * UDP paths: verifies a request's TSIG (BADKEY, BADSIG, BADTIME answered as
 * RFC 8945 §5.2 says), picks the view (the key's, else the client's address),
 * checks allow-transfer, and starts a struct xfr over the snapshot's zone,
 * holding a reference to that zone so that the whole transfer shows one
 * version. Signed queries that are not transfers (a secondary's SOA check)
 * are answered from the key's view and signed.
 *
 * Runs on the worker or UDP thread that received the request; a transfer
 * belongs to its connection. Allocates (the transfer state, OpenSSL's HMAC),
 * which is why it lives here and not on the query path. */
#ifndef DNSD_TRANSFER_H
#define DNSD_TRANSFER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query/answer.h"
#include "zone/xfr_policy.h"

enum transfer_verdict {
	TRANSFER_NONE,   /* not a transfer and unsigned: answer_query() as usual */
	TRANSFER_REPLY,  /* one reply written to out (refusal, error, UDP IXFR, signed answer) */
	TRANSFER_STREAM, /* a transfer started: send transfer_next() until it returns 0 */
};

struct transfer_stats {
	_Atomic uint64_t axfr;         /* AXFR started */
	_Atomic uint64_t ixfr_diff;    /* IXFR answered from the journal */
	_Atomic uint64_t ixfr_full;    /* IXFR answered with the whole zone */
	_Atomic uint64_t ixfr_current; /* IXFR from a current client: one SOA */
	_Atomic uint64_t ixfr_udp_tc;  /* IXFR over UDP that did not fit */
	_Atomic uint64_t refused;      /* not allowed, AXFR over UDP, not a zone */
	_Atomic uint64_t completed;    /* streams sent to the end */
	_Atomic uint64_t aborted;      /* streams whose connection closed first */
	_Atomic uint64_t messages, bytes, records;
	_Atomic uint64_t tsig_ok, tsig_badkey, tsig_badsig, tsig_badtime;
	_Atomic uint64_t active; /* transfers running now */
};

extern struct transfer_stats transfer_stats;

struct transfer;

/* Looks at one request. pkt/len as received, on TCP (is_tcp) or UDP. out
 * (cap >= 512) receives the reply for TRANSFER_REPLY; *t the new transfer
 * for TRANSFER_STREAM, to be freed with transfer_free(). policy may be NULL
 * (no keys, loopback may transfer). info is filled like answer_query()'s. */
enum transfer_verdict transfer_begin(const struct snapshot *snap, const struct xfr_policy *policy,
				     const struct answer_request *req, uint8_t *out, size_t cap, size_t *len,
				     struct transfer **t, struct answer_info *info);

/* The room transfer_next() needs for any message of a stream: a full
 * message (XFR_MESSAGE_MAX) and its TSIG record. */
size_t transfer_message_room(void);

/* The next message of the stream, signed when the request was; 0 at the end. */
size_t transfer_next(struct transfer *t, uint8_t *out, size_t cap);
bool transfer_is_done(const struct transfer *t);
/* Frees the transfer and drops its zone reference; counts it aborted when
 * it had not reached its end. Accepts NULL. */
void transfer_free(struct transfer *t);

/* metrics_collect_fn for /metrics: transfers, TSIG results, journal memory
 * (ctx unused). */
struct metrics_out;
void transfer_collect_metrics(void *ctx, struct metrics_out *m);

#endif
