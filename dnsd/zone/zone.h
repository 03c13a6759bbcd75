/* SPDX-License-Identifier: BSD-3-Clause
 * zone.h - a frozen zone: a hash index of names whose answers were
 * pre-rendered to wire format when it was frozen (zone_freeze.c,
 * zone_render.c). Lookup only; nothing here allocates, locks or calls ldns.
 * A zone never changes once frozen; readers reach it through a published
 * snapshot, under publish.h's rules. */
#ifndef DNSD_ZONE_H
#define DNSD_ZONE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/wire.h"
#include "util/arena.h"
#include "util/hash.h"

/* A pre-rendered response tail: the answer, authority and additional
 * sections that follow the question. Compression pointers in data that
 * depend on the question's length are listed in relocs and fixed up per
 * query (answer.c, reply_blob()); in the blobs of a name's own answers,
 * which only queries for that name get, they are final and unlisted. */
#define ZONE_RELOC_QTAIL 0x10000u    /* target = 12 + qname_len - value (a suffix of the qname) */
				     /* otherwise target = 12 + question_len + value (in the blob) */
#define ZONE_BLOB_AA 0x01            /* authoritative data */
#define ZONE_BLOB_GLUE_REQUIRED 0x02 /* RFC 9471: TC=1 if the additional glue does not fit */
#define ZONE_BLOB_TOO_LARGE 0x04     /* an answer or authority RRset did not fit in 64 KiB: cut short */

struct journal;

struct zone_blob {
	/* the wire bytes; when reloc_count > 0, data is 4-aligned and its
	 * relocs follow at the next multiple of 4 (zone_blob_relocs) */
	const uint8_t *data;
	uint16_t len;       /* bytes of data */
	uint16_t an_ns_len; /* answer + authority bytes: additional may be cut here */
	uint16_t ancount, nscount, arcount;
	uint16_t reloc_count;
	uint16_t reloc_an_ns_count; /* relocs (sorted) that lie below an_ns_len */
	uint8_t rcode;
	uint8_t flags; /* ZONE_BLOB_* */
};

/* low 16 bits: offset of a 2-byte pointer in data; ZONE_RELOC_QTAIL */
static inline const uint32_t *zone_blob_relocs(const struct zone_blob *b)
{
	return (const uint32_t *)(const void *)(b->data + ((b->len + 3u) & ~3u));
}

#define ZONE_NODE_CUT 0x01 /* a delegation point (NS below the apex): has a referral */
#define ZONE_NODE_CNAME 0x02
#define ZONE_NODE_OTHER 0x04     /* has an answer for other qtypes (a CNAME chain's) */
#define ZONE_NODE_BELOW_CUT 0x08 /* at or below a delegation: link is the topmost cut */
#define ZONE_NODE_APEX_WILD 0x10 /* the apex of a zone in parts: its wildcard is z->apex_wildcard */

/* A name, 24 bytes: every name of a zone has one, empty non-terminals too.
 * blobs holds, in order, the answers for its types (ascending, parallel to
 * the types array just before blobs, zone_node_types()), the answer for
 * other qtypes (ZONE_NODE_OTHER; else the zone's NODATA) and the referral
 * (ZONE_NODE_CUT). */
struct zone_node {
	const uint8_t *name; /* lower-case wire form */
	const struct zone_blob *blobs;
	/* index + 1 in its part's nodes: with ZONE_NODE_BELOW_CUT the topmost
	 * delegation at or above (a wildcard there is never reached), else the
	 * "*.<name>" child; 0 = none */
	uint32_t link;
	uint8_t name_len;
	uint8_t flags; /* ZONE_NODE_* */
	uint16_t type_count;
};

/* The qtypes with a positive answer, ascending; NULL when none. */
static inline const uint16_t *zone_node_types(const struct zone_node *n)
{
	return n->type_count ? (const uint16_t *)(const void *)n->blobs - n->type_count : NULL;
}

/* The answer to other qtypes, or NULL for the zone's NODATA. */
static inline const struct zone_blob *zone_node_other(const struct zone_node *n)
{
	return (n->flags & ZONE_NODE_OTHER) ? &n->blobs[n->type_count] : NULL;
}

/* The referral of a delegation point (ZONE_NODE_CUT). */
static inline const struct zone_blob *zone_node_referral(const struct zone_node *n)
{
	return &n->blobs[n->type_count + ((n->flags & ZONE_NODE_OTHER) ? 1 : 0)];
}

/* How many blobs n's array holds. */
static inline unsigned zone_node_blob_count(const struct zone_node *n)
{
	return n->type_count + ((n->flags & ZONE_NODE_OTHER) ? 1u : 0u) +
	       ((n->flags & ZONE_NODE_CUT) ? 1u : 0u);
}

/* A name's slot in its part's hash table, 4 bytes (issue #14: 8 with the
 * whole hash): its index + 1 in the low 24 bits (0 = empty), the top byte
 * of its hash above, which rules out all but 1 in 256 other names without
 * reading their nodes. So a part holds at most ZONE_PART_NODES_MAX names. */
struct zone_slot {
	uint32_t v;
};
#define ZONE_SLOT_INDEX_MASK 0x00FFFFFFu
#define ZONE_PART_NODES_MAX (ZONE_SLOT_INDEX_MASK - 1u)
static inline uint32_t zone_slot_index_plus1(struct zone_slot s) { return s.v & ZONE_SLOT_INDEX_MASK; }
static inline bool zone_slot_matches(struct zone_slot s, uint32_t hash)
{
	return ((s.v ^ hash) & ~ZONE_SLOT_INDEX_MASK) == 0;
}
static inline struct zone_slot zone_slot_make(uint32_t hash, size_t index)
{
	return (struct zone_slot){ (uint32_t)(index + 1) | (hash & ~ZONE_SLOT_INDEX_MASK) };
}

/* A zone's names are kept in parts: the apex in part 0, every other name in
 * the part its label just below the apex hashes to (so a name, its empty
 * non-terminals, wildcards and SRV owners below it share a part). A change
 * re-renders only the parts it touched (and parts whose answers carry data
 * from them, e.g. additional A/AAAA); the others are shared, by reference,
 * with the zone's previous freeze. Zones with CNAMEs or delegations below the
 * apex, whose answers follow data anywhere, keep everything in part 0. */
#define ZONE_PARTS 256 /* hashed parts, besides part 0 */

/* A set of hashed parts: bit p-1 for part p (1..ZONE_PARTS). */
#define ZONE_PARTSET_WORDS (ZONE_PARTS / 64)
struct zone_partset {
	uint64_t w[ZONE_PARTSET_WORDS];
};
static inline void zone_partset_add(struct zone_partset *s, unsigned part)
{
	s->w[(part - 1) / 64] |= 1ull << ((part - 1) % 64);
}
static inline bool zone_partset_has(const struct zone_partset *s, unsigned part)
{
	return (s->w[(part - 1) / 64] >> ((part - 1) % 64)) & 1u;
}
static inline bool zone_partset_meets(const struct zone_partset *a, const struct zone_partset *b)
{
	uint64_t m = 0;
	for (unsigned i = 0; i < ZONE_PARTSET_WORDS; i++)
		m |= a->w[i] & b->w[i];
	return m != 0;
}
static inline struct zone_partset zone_partset_all(void)
{
	struct zone_partset s;
	for (unsigned i = 0; i < ZONE_PARTSET_WORDS; i++)
		s.w[i] = UINT64_MAX;
	return s;
}

struct zone_part {
	_Atomic unsigned refs; /* zones sharing this part */
	struct zone_node *nodes;
	size_t node_count;
	struct zone_slot *table;
	uint32_t table_mask;
	struct zone_partset deps; /* hashed parts whose data its answers carry */
	size_t record_count;      /* resource records its names hold */
	struct arena arena;       /* owns the above */
};

struct zone {
	_Atomic unsigned refs;       /* zone sets sharing this zone */
	uint8_t apex[DNAME_MAX_LEN]; /* lower case */
	uint8_t apex_len;
	uint8_t apex_labels;
	bool is_pending; /* waiting for its first Kubernetes sync: SERVFAIL */
	bool is_stale;   /* fed (in part) from a source's saved state (k8s_persist.h) */
	/* the EXTRA-TEXT of the Extended DNS Error (RFC 8914) its answers carry
	 * when pending (Not Ready) or stale (Stale Answer): which clusters; set
	 * before publication */
	uint8_t ede_text_len;
	char ede_text[WIRE_EDE_TEXT_MAX];
	uint32_t serial;
	const struct zone_blob *nxdomain;      /* RFC 2308 §2.1: NXDOMAIN + SOA */
	const struct zone_blob *nodata;        /* RFC 2308 §2.2: NOERROR + SOA */
	const struct zone_node *apex_wildcard; /* "*.<apex>" in a zone in parts (ZONE_NODE_APEX_WILD) */
	unsigned part_count;                   /* 1 (everything in parts[0]) or 1 + ZONE_PARTS */
	struct zone_part *parts[1 + ZONE_PARTS];
	size_t node_count;              /* names including empty non-terminals */
	size_t record_count;            /* resource records */
	struct arena arena;             /* zone-level data: the negative answers */
	struct journal *journal;        /* IXFR differences up to this version (journal.h); one
	                              reference held, NULL for none; set before publication */
	char name_text[DNAME_MAX_TEXT]; /* "global." for logs and metrics */
	unsigned stats_slot;            /* its counters (slots.h), kept across reloads */
	/* when this version was first published and why ("start", "reload",
	 * "kubernetes mesh-1"), for /status; set by the publisher before the
	 * snapshot that first holds it goes out, read-only after */
	int64_t published_ms; /* Unix time, ms */
	char trigger[96];
};

/* The hashed part (0..ZONE_PARTS-1) of a label (wire form, lower case):
 * FNV-1a of its length byte and its bytes, high bits folded in. */
static inline unsigned zone_label_part(const uint8_t *label)
{
	uint32_t h = hash_fnv1a(label, label[0] + 1u);
	return (h ^ (h >> 15)) % ZONE_PARTS;
}

/* The index in parts[] of a name at or below the apex (lower-case wire form). */
static inline unsigned zone_part_index(size_t apex_len, const uint8_t *name, size_t len)
{
	if (len <= apex_len)
		return 0;
	size_t end = len - apex_len, off = 0;
	while (off + name[off] + 1u < end)
		off += name[off] + 1u;
	return 1 + zone_label_part(name + off);
}

/* The zones one view serves (a snapshot holds one set per view). Immutable
 * once published. */
struct zone_set {
	size_t count;
	struct zone *zones[];
};

/* Exact match in one part. */
static inline const struct zone_node *zone_part_lookup(const struct zone_part *p, const uint8_t *name,
						       size_t len, uint32_t hash)
{
	uint32_t i = hash & p->table_mask;
	for (;;) {
		struct zone_slot s = p->table[i];
		if (zone_slot_index_plus1(s) == 0)
			return NULL;
		if (zone_slot_matches(s, hash)) {
			const struct zone_node *n = &p->nodes[zone_slot_index_plus1(s) - 1];
			if (n->name_len == len && memcmp(n->name, name, len) == 0)
				return n;
		}
		i = (i + 1) & p->table_mask;
	}
}

/* The part that holds a lower-case wire name at or below the apex. */
static inline const struct zone_part *zone_name_part(const struct zone *z, const uint8_t *name, size_t len)
{
	return z->parts[z->part_count == 1 ? 0 : zone_part_index(z->apex_len, name, len)];
}

/* Exact match of a lower-case wire name at or below the apex; NULL if absent. */
static inline const struct zone_node *zone_lookup(const struct zone *z, const uint8_t *name, size_t len,
						  uint32_t hash)
{
	return zone_part_lookup(zone_name_part(z, name, len), name, len, hash);
}

/* The positive answer of node for qtype, or NULL. */
static inline const struct zone_blob *zone_node_find_type(const struct zone_node *n, uint16_t qtype)
{
	const uint16_t *types = zone_node_types(n);
	for (uint16_t i = 0; i < n->type_count; i++)
		if (types[i] == qtype)
			return &n->blobs[i];
	return NULL;
}

/* RFC 8482 §4.2: the answer to ANY, one RRset (the CNAME at a CNAME, else
 * the lowest type); NULL for the zone's NODATA. */
static inline const struct zone_blob *zone_node_any(const struct zone_node *n)
{
	if (n->flags & ZONE_NODE_CNAME)
		return zone_node_find_type(n, WIRE_TYPE_CNAME);
	return n->type_count ? &n->blobs[0] : NULL;
}

/* The topmost delegation at or above n (p: n's part), or NULL. */
static inline const struct zone_node *zone_node_cut(const struct zone_part *p, const struct zone_node *n)
{
	return (n->flags & ZONE_NODE_BELOW_CUT) ? &p->nodes[n->link - 1] : NULL;
}

/* The "*.<name>" child of n (p: n's part), or NULL. */
static inline const struct zone_node *zone_node_wildcard(const struct zone *z, const struct zone_part *p,
							 const struct zone_node *n)
{
	if (n->flags & (ZONE_NODE_BELOW_CUT | ZONE_NODE_APEX_WILD))
		return (n->flags & ZONE_NODE_BELOW_CUT) ? NULL : z->apex_wildcard;
	return n->link ? &p->nodes[n->link - 1] : NULL;
}

/* Takes a reference / drops one, freeing the zone with the last. */
void zone_ref(struct zone *z);
void zone_unref(struct zone *z);
/* The same for parts (zone_unref drops its parts). */
void zone_part_ref(struct zone_part *p);
void zone_part_unref(struct zone_part *p);
/* Gives back the unused tails of z's parts' arena chunks
 * (arena_release_tails()); parts are immutable once frozen, so any thread
 * may, while it holds a reference. Returns the bytes given back. */
size_t zone_release_tails(struct zone *z);

/* A new set holding a reference to each zone; NULL when out of memory. */
struct zone_set *zone_set_new(struct zone *const *zones, size_t count);
/* Drops the set's zone references and frees it; accepts NULL. */
void zone_set_free(struct zone_set *set);
/* The zone whose apex is the longest suffix of qname (lower case), or NULL. */
const struct zone *zone_set_find(const struct zone_set *set, const uint8_t *qname, size_t qname_len);

#endif
