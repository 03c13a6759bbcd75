/* SPDX-License-Identifier: BSD-3-Clause
 * journal.h - what each publication of a zone changed, for IXFR (RFC 1995).
 * A difference is computed from two frozen zones (the one published before
 * and the new one): parts they share by reference are unchanged by
 * construction, so only the parts a change re-rendered are compared, RRset
 * by RRset, byte-equal answers skipped. It is the condensed form: per
 * publication, the records that left and those that arrived; SOA records
 * frame each difference and are not part of it.
 *
 * A journal is an immutable, reference-counted list of differences, oldest
 * first, whose serials chain; appending makes a new journal sharing the
 * differences it keeps, trimmed (oldest first) to a size limit. A zone
 * snapshot holds one, so a transfer reads the journal of the very zone it
 * started from, without locks. Memory of every live difference is counted
 * in journal_memory_bytes(). Built by the publisher thread; read anywhere. */
#ifndef DNSD_JOURNAL_H
#define DNSD_JOURNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zone/serial.h"
#include "zone/zone.h"
#include "zone/zone_records.h"

struct journal_diff {
	_Atomic unsigned refs;
	uint32_t from_serial, to_serial;
	uint32_t from_soa_ttl_s, to_soa_ttl_s;
	uint16_t from_soa_len, to_soa_len;
	uint8_t from_soa[ZONE_RDATA_DECODED_MAX]; /* rdata of the SOA before */
	uint8_t to_soa[ZONE_RDATA_DECODED_MAX];   /* and after */
	size_t removed_count, added_count;        /* records */
	/* packed records: owner length (1), owner, type (2), TTL (4), rdlen (2), rdata */
	uint8_t *removed, *added;
	size_t removed_len, added_len;
	size_t bytes; /* memory held, for the counter */
};

struct journal {
	_Atomic unsigned refs;
	size_t bytes; /* sum of the differences' bytes */
	size_t count;
	struct journal_diff *diffs[]; /* oldest first; to_serial of one = from_serial of the next */
};

/* The difference between two frozen zones of the same apex (old published
 * before new). NULL when out of memory or when either zone has no SOA.
 * One reference held by the caller. */
struct journal_diff *journal_diff_new(const struct zone *old, const struct zone *new_zone);
void journal_diff_unref(struct journal_diff *d);

/* A new journal: prev's differences that chain up to d, then d, dropping the
 * oldest while the total exceeds limit_bytes (d itself too if it alone is
 * larger). Takes over the caller's reference to d; prev is not changed and
 * may be NULL. Without d (NULL) or when d's serials do not advance (RFC
 * 1982), the result is an empty journal: IXFR then sends the whole zone.
 * NULL when out of memory. */
struct journal *journal_append(const struct journal *prev, struct journal_diff *d, size_t limit_bytes);
void journal_ref(struct journal *j);
void journal_unref(struct journal *j);

/* The index of the difference that starts at serial from_serial, from which
 * the journal chains to its end; false when the journal cannot answer an
 * IXFR from that serial. */
bool journal_find(const struct journal *j, uint32_t from_serial, size_t *index);

/* Walks packed records (journal_diff's removed or added). */
struct journal_cursor {
	const uint8_t *p, *end;
};
bool journal_cursor_next(struct journal_cursor *c, struct zone_rr *out);

/* Bytes held by every live difference, for the metric. */
size_t journal_memory_bytes(void);

#endif
