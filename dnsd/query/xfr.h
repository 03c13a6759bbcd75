/* SPDX-License-Identifier: BSD-3-Clause
 * xfr.h - zone transfer responses (AXFR, RFC 5936; IXFR, RFC 1995) as a
 * stream of messages written one at a time from one frozen zone and its
 * journal, so that the whole transfer shows one version however many
 * publications happen meanwhile. Messages carry the question, names are
 * compressed within each message, and each holds as many records as fit in
 * the caller's buffer (XFR_MESSAGE_MAX by default; leave room for TSIG).
 * No I/O, no allocation, no locks: the caller owns the state (about 50 KiB,
 * for the compression table) and holds references to the zone and journal
 * for as long as the transfer runs. */
#ifndef DNSD_XFR_H
#define DNSD_XFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"
#include "dns/cookie.h"
#include "zone/journal.h"
#include "zone/zone.h"
#include "zone/zone_records.h"

/* Messages are filled to 16 KiB (BIND's default is 20 KiB): beyond offset
 * 16383 a name cannot be the target of a compression pointer, so larger
 * messages are not smaller in total, only slower to sign and to resume. */
#define XFR_MESSAGE_MAX 16384
#define XFR_COMP_SLOTS 4096
#define XFR_COMP_STORE 16384

enum xfr_kind {
	XFR_AXFR,         /* the whole zone */
	XFR_IXFR_CURRENT, /* the client is current: one SOA (RFC 1995 §4) */
	XFR_IXFR_DIFF,    /* the journal's differences from the client's serial */
	XFR_IXFR_FULL,    /* serial unknown or older than the journal: the whole zone */
};

struct xfr_comp_slot {
	uint32_t hash;
	uint16_t gen;
	uint16_t offset; /* of the name in the message */
	uint16_t store;  /* of its lower-case copy in names[] */
	uint8_t len;
};

struct xfr {
	const struct zone *zone;       /* borrowed: the caller holds a reference */
	const struct journal *journal; /* borrowed likewise; NULL for none */
	enum xfr_kind kind;
	uint16_t id;
	uint16_t flags;                      /* RD and CD of the query, copied */
	uint8_t question[DNAME_MAX_LEN + 4]; /* as received (the client's case) */
	uint16_t question_len;
	bool has_opt;
	uint16_t opt_udp_size;
	bool has_cookie; /* the OPT of every message carries cookie (xfr_set_cookie) */
	uint8_t cookie[COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN];
	/* where the stream is */
	int stage;
	unsigned part;
	size_t node;
	uint16_t type;
	bool has_reader;
	struct zone_rrset_reader reader;
	bool has_pending;
	struct zone_rr pending; /* read but did not fit the last message */
	size_t diff;
	int diff_section;
	struct journal_cursor cursor;
	uint8_t soa[ZONE_RDATA_DECODED_MAX];
	uint16_t soa_len;
	uint32_t soa_ttl_s;
	/* totals, for logs and metrics */
	size_t messages, records, bytes;
	/* the last name written in this message (valid while prev_gen is gen):
	 * a zone walk writes the same owner again (A then AAAA) or a sibling
	 * (the next name under the same parent), both found with one memcmp */
	uint16_t prev_gen;
	uint16_t prev_off;      /* where the whole name is; 0: not a target */
	uint16_t prev_tail_off; /* where the name less its first label is; 0: unknown */
	uint8_t prev_len;
	uint8_t prev[DNAME_MAX_LEN];
	/* the compression table of the message being written */
	uint16_t gen;
	size_t store_len;
	struct xfr_comp_slot slots[XFR_COMP_SLOTS];
	uint8_t names[XFR_COMP_STORE];
};

/* Starts a transfer of zone z answering query q (qtype AXFR or IXFR, an
 * allowed client). For IXFR, client_serial is the serial of the SOA in the
 * query's authority section and j the zone's journal: the kind follows from
 * them. Returns the kind chosen; false (and nothing to send) when the zone
 * has no SOA (pending). */
bool xfr_init(struct xfr *x, const struct zone *z, const struct journal *j, const struct wire_query *q,
	      bool has_client_serial, uint32_t client_serial);

/* RFC 7873 §5.2.3: every message of the answer to a query with a COOKIE
 * option echoes the client cookie with the server's (cookie: the 8 client
 * bytes, then COOKIE_SERVER_LEN server bytes). After xfr_init(), which
 * clears it; only when the query had EDNS. */
void xfr_set_cookie(struct xfr *x, const uint8_t cookie[COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN]);

/* Writes the next message into out (cap bytes, at most 65535) and returns
 * its length; 0 once the transfer is complete. */
size_t xfr_next(struct xfr *x, uint8_t *out, size_t cap);

/* True when every message has been written. */
bool xfr_is_done(const struct xfr *x);

/* Reads the serial of an IXFR query's authority SOA (RFC 1995 §3): the
 * query must carry exactly one record in authority, an SOA owned by the
 * zone apex (qname). Returns 0 with *serial, DNSD_ENOENT when the
 * authority section is empty, DNSD_EPARSE when it is malformed. */
int xfr_ixfr_serial(const uint8_t *pkt, size_t len, uint32_t *serial);

#endif
