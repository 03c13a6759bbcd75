/* SPDX-License-Identifier: BSD-3-Clause
 * answer.h - THE query path: (snapshot, query bytes) -> response bytes.
 * No I/O, no allocation, no ldns, no locks: the caller owns both buffers and
 * holds the snapshot in a publish read section. */
#ifndef DNSD_ANSWER_H
#define DNSD_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "zone/snapshot.h"
#include "dns/cookie.h"
#include "dns/wire.h"

#define ANSWER_BUF_MAX 65535

struct answer_request {
	const uint8_t *pkt;
	size_t len;
	bool is_tcp;
	const struct sockaddr *client; /* source address, for views */
	const struct sockaddr *local;  /* address and port the query arrived on */
	bool has_view;                 /* view given (a TSIG key chose it, transfer.h) */
	int view;
	uint32_t now_s;               /* Unix time, for DNS Cookies (RFC 9018 timestamps) */
	uint32_t tcp_idle_timeout_ms; /* TCP: the idle timeout this connection has now,
	                                  for edns-tcp-keepalive (RFC 7828) */
};

/* What happened, for metrics and the query log. */
/* Who wrote the reply, for the responses' plugin label (CoreDNS names the
 * plugin; "" is the server itself: malformed queries, REFUSED outside every
 * zone). */
enum answer_writer {
	ANSWER_WRITER_SERVER = 0,
	ANSWER_WRITER_ZONE,  /* a zone: answers, NXDOMAIN, NODATA, referrals, SERVFAIL while pending */
	ANSWER_WRITER_CHAOS, /* CH TXT version.dnsd, view.dnsd, id.server */
};

struct answer_info {
	bool is_dropped; /* no reply sent */
	enum answer_writer writer;
	bool is_transfer;  /* AXFR, IXFR or TSIG-signed: hand it to transfer.h (returns 0) */
	bool is_truncated; /* TC=1 */
	uint8_t rcode;     /* including extended (BADVERS = 16) */
	uint16_t qtype;
	uint32_t reply_len;      /* bytes of the reply (0: none), as answer_query() returned */
	int view;                /* index into the snapshot's views, -1 if none */
	const struct zone *zone; /* the zone that answered, or NULL */
	struct wire_query query; /* the parsed question (valid if has_question) */
	/* adjacent and byte-sized, so resetting them is cheap */
	int8_t ede;             /* the Extended DNS Error sent (enum wire_ede), WIRE_EDE_NONE if none */
	uint8_t cookie;         /* enum cookie_verdict: what the query's COOKIE option proved */
	bool is_cookie_missing; /* cookie-require sent it TC for having none */
};

/* Builds the response to one query into out (cap >= 512; 65535 for TCP).
 * Returns its length, or 0 when the query gets no reply at all, or when
 * info->is_transfer says it is the server's transfer code's to answer. */
size_t answer_query(const struct snapshot *snap, const struct answer_request *req, uint8_t *out, size_t cap,
		    struct answer_info *info);

/* The same, answered by the given view of snap (< snap->view_count) instead
 * of the one the client, destination or ECS select: how /names shows what a
 * client of each view is told. */
size_t answer_query_view(const struct snapshot *snap, size_t view, const struct answer_request *req,
			 uint8_t *out, size_t cap, struct answer_info *info);

#endif
