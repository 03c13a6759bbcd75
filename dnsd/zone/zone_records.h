/* SPDX-License-Identifier: BSD-3-Clause
 * zone_records.h - the resource records of a frozen zone, read back from its
 * pre-rendered answers: zone transfers and journal differences need records,
 * and the answer a node gives for each of its types already holds exactly
 * that RRset (owner as a pointer to the question, names compressed against
 * it). Decoding those bytes costs no memory beside the zone; keeping a
 * second, plain copy of every record would cost about 40 bytes per record.
 * No allocation, no locks: safe on any thread holding a reference to the zone.
 *
 * Names below a delegation (glue, occluded data), which queries never reach,
 * get their answers rendered for this reader too (zone_render.c). What the
 * answers cannot hold, a transfer cannot send: an RRset larger than one
 * answer (about 65,000 bytes) is cut at rendering, silently, as queries for
 * it are. */
#ifndef DNSD_ZONE_RECORDS_H
#define DNSD_ZONE_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zone/zone.h"

/* The longest rdata after decompression of the compressible types (two names and SOA's numbers). */
#define ZONE_RDATA_DECODED_MAX (2 * DNAME_MAX_LEN + 20)

/* One record, decoded. rdata points either into the zone (types whose rdata
 * is stored uncompressed) or into the reader's scratch buffer; valid until
 * the next call on the reader. */
struct zone_rr {
	const uint8_t *owner; /* lower-case wire name (the node's) */
	uint8_t owner_len;
	uint16_t type;
	uint32_t ttl_s;
	uint16_t rdlen;
	const uint8_t *rdata; /* uncompressed */
};

/* Reads the records of one RRset: node n's answer for types[type_index]. */
struct zone_rrset_reader {
	const struct zone_node *node;
	const struct zone_blob *blob;
	size_t pos;    /* next record in blob->data */
	uint16_t left; /* records still to read */
	uint16_t type;
	uint8_t scratch[ZONE_RDATA_DECODED_MAX];
};

/* Does node n own its answer for types[i] as an RRset of its own? (A CNAME
 * node's answers for other types are chains through other owners.) */
bool zone_node_owns_type(const struct zone_node *n, uint16_t i);

/* Starts reading node n's RRset for types[type_index]; false when that
 * answer is not an RRset of n (see zone_node_owns_type). */
bool zone_rrset_reader_init(struct zone_rrset_reader *r, const struct zone_node *n, uint16_t type_index);
/* The next record, or false at the end of the RRset (or on bytes that do
 * not decode, which zone_build never writes). */
bool zone_rrset_reader_next(struct zone_rrset_reader *r, struct zone_rr *out);

/* True when the two RRsets hold the same records: their rendered answers
 * are byte-identical (the fast path for unchanged data), or decode to the
 * same TTL and rdata. */
bool zone_rrset_equal(const struct zone_node *a, uint16_t ai, const struct zone_node *b, uint16_t bi);

/* The apex node and its SOA record's rdata (uncompressed, into buf of
 * ZONE_RDATA_DECODED_MAX bytes). Returns the rdata length, 0 when the zone
 * has no SOA (a pending zone). */
size_t zone_soa(const struct zone *z, uint8_t *buf, uint32_t *ttl_s);

#endif
