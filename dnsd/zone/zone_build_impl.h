/* SPDX-License-Identifier: BSD-3-Clause
 * zone_build_impl.h - the record store's layout, private to the builder:
 * zone_build.c keeps it, zone_freeze.c and zone_render.c read it to render a
 * zone (zone_compact.c through zone_render.h). Nothing else includes this. */
#ifndef DNSD_ZONE_BUILD_IMPL_H
#define DNSD_ZONE_BUILD_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/slab.h"
#include "zone/zone.h"
#include "zone/zone_build.h"

#define BLOB_MAX 65000 /* leaves room for header, question and OPT in 64 KiB */

/* The store is sized for large zones (issue #14): a name and all its records
 * are one slab object, with no pointer between them. The name is stored
 * once, lower case; then its records, packed, sorted by type and then by
 * rdata bytes (the order answers render in, so freezing sorts nothing), each
 * a header of 5 bytes or more and its rdata:
 *   type, rdlen, ttl, refs (contributions; the record goes at 0), each an
 *   unsigned LEB128 varint (7 bits a byte: A, TTL 30 and one contribution
 *   take a byte each), then u8 tail, then the rdata's stored bytes.
 * A change of TTL or contributions that changes a varint's length moves the
 * rest of the node (node_splice()). tail is BUILD_RR_WHOLE when the whole
 * rdata is stored. Otherwise the name
 * that ends the rdata (NS, CNAME, PTR, DNAME, MX, SRV) is the owner's own
 * name from offset tail on, byte for byte, and is not stored again: an SRV
 * "_http._tcp.<host>" -> "0 0 80 <host>" keeps 6 bytes of rdata, not 30.
 * The node's own fields are native-endian, unaligned past the first. The hashed
 * parts each have a table of their own (struct build_table), so a freeze
 * walks the names of a part it renders without touching the others. */
struct build_node {
	uint32_t hash;
	uint32_t data_len; /* bytes of records after the name */
	uint8_t name_len;
	uint8_t has;     /* BUILD_HAS_*: which of the types freezes and loaders ask for it holds */
	uint8_t lname[]; /* lower case, hash key; then the records */
};
/* The types whose presence is asked for at every name (CNAME alone, SOA
 * only at the apex, NS: a delegation), answered without walking the
 * records: a name with 20,000 A records is not walked for each line a
 * zone file adds to it. */
#define BUILD_HAS_CNAME 1u
#define BUILD_HAS_SOA 2u
#define BUILD_HAS_NS 4u
/* The node has an index (zone_build_index.c): its records are in the order
 * they came, with tombstones, until index_leave() sorts them. */
#define BUILD_NODE_INDEXED 8u
static inline uint8_t build_has_bit(uint16_t type)
{
	switch (type) {
	case WIRE_TYPE_CNAME: return BUILD_HAS_CNAME;
	case WIRE_TYPE_SOA: return BUILD_HAS_SOA;
	case WIRE_TYPE_NS: return BUILD_HAS_NS;
	default: return 0;
	}
}
#define NODE_SIZE(name_len, data_len) (offsetof(struct build_node, lname) + (size_t)(name_len) + (data_len))
#define BUILD_RR_HEADER_MAX (3 + 3 + 5 + 5 + 1)
#define BUILD_RR_WHOLE 0xFF
/* the longest rdata a decoded record may need scratch for: the prefix
 * before a name stored by reference (SRV's 6 bytes) and the name */
#define BUILD_RR_SCRATCH (6 + DNAME_MAX_LEN)

/* One part's names: open addressing on lname, NULL = empty. */
struct build_table {
	struct build_node **slots;
	uint32_t mask; /* slots - 1; 0 with no slots */
	uint32_t count;
};

/* One record, decoded: rdata points into the node, or into the scratch the
 * caller passed (when part of it is stored by reference). Valid until the
 * node changes or the scratch is reused. */
struct build_rr {
	uint16_t type;
	uint16_t rdlen;
	uint32_t ttl;
	uint32_t refs;
	const uint8_t *rdata;
	uint8_t tail;       /* as stored */
	uint8_t header_len; /* bytes before the stored rdata */
};

/* The records of one type at a node: [begin, end) of its record bytes. */
struct build_rrset {
	const struct build_node *node;
	const uint8_t *begin, *end;
	uint16_t type;
	uint16_t count;
};

struct zone_build {
	uint8_t apex[DNAME_MAX_LEN];
	uint8_t apex_len;
	uint32_t default_ttl;
	struct build_table tables[1 + ZONE_PARTS]; /* by zone part index */
	size_t node_count;
	size_t record_count;
	struct slab slab; /* the nodes */
	/* incremental freezes: what changed since the last one */
	struct zone *last;         /* the last zone frozen (a reference) */
	struct zone_partset dirty; /* hashed parts changed */
	size_t cname_sets;         /* CNAME RRsets: answers follow data across parts */
	size_t cut_sets;           /* NS RRsets below the apex */
	size_t indexed_count;      /* nodes with BUILD_NODE_INDEXED */
	/* records kept by the caller (zone_build_set_fill): filled[p] while
	 * part p holds them, during a freeze only */
	zone_build_fill_fn *fill;
	void *fill_ctx;
	bool is_freezing;
	uint8_t filled[1 + ZONE_PARTS];
	/* rendering scratch, reused between freezes */
	uint8_t *buf;
	uint32_t *relocs;
	size_t reloc_cap;
};

static inline const uint8_t *node_records(const struct build_node *n) { return n->lname + n->name_len; }

/* An unsigned LEB128 varint at p into *v; returns its length. */
static inline size_t build_varint_get(const uint8_t *p, uint32_t *v)
{
	uint32_t x = 0;
	size_t i = 0;
	for (unsigned shift = 0;; shift += 7) {
		uint8_t c = p[i++];
		x |= (uint32_t)(c & 0x7F) << shift;
		if (!(c & 0x80))
			break;
	}
	*v = x;
	return i;
}

/* The type of the record at p. */
static inline uint16_t build_rr_type(const uint8_t *p)
{
	uint32_t v;
	build_varint_get(p, &v);
	return (uint16_t)v;
}

/* Decodes the record at p (inside node n) into out, its rdata into scratch
 * (BUILD_RR_SCRATCH bytes) when needed; returns the record's stored size. */
static inline size_t build_rr_decode(const struct build_node *n, const uint8_t *p, struct build_rr *out,
				     uint8_t *scratch)
{
	uint32_t type, rdlen;
	size_t i = build_varint_get(p, &type);
	i += build_varint_get(p + i, &rdlen);
	i += build_varint_get(p + i, &out->ttl);
	i += build_varint_get(p + i, &out->refs);
	out->type = (uint16_t)type;
	out->rdlen = (uint16_t)rdlen;
	out->tail = p[i++];
	out->header_len = (uint8_t)i;
	const uint8_t *stored = p + i;
	if (out->tail == BUILD_RR_WHOLE) {
		out->rdata = stored;
		return i + (size_t)out->rdlen;
	}
	size_t name_bytes = (size_t)n->name_len - out->tail;
	size_t prefix = (size_t)out->rdlen - name_bytes;
	if (prefix == 0) {
		out->rdata = n->lname + out->tail;
	} else {
		memcpy(scratch, stored, prefix);
		memcpy(scratch + prefix, n->lname + out->tail, name_bytes);
		out->rdata = scratch;
	}
	return i + prefix;
}

/* The TTL of the record at p. */
static inline uint32_t build_rr_ttl(const uint8_t *p)
{
	size_t i = 0;
	for (int k = 0; k < 2; k++) { /* type, rdlen */
		while (p[i] & 0x80)
			i++;
		i++;
	}
	uint32_t ttl;
	build_varint_get(p + i, &ttl);
	return ttl;
}

/* The stored size of the record at p, without decoding its rdata. */
static inline size_t build_rr_size(const struct build_node *n, const uint8_t *p)
{
	size_t i = 0;
	uint32_t rdlen;
	while (p[i] & 0x80) /* type */
		i++;
	i++;
	i += build_varint_get(p + i, &rdlen);
	for (int k = 0; k < 2; k++) { /* ttl, refs */
		while (p[i] & 0x80)
			i++;
		i++;
	}
	uint8_t tail = p[i++];
	return i + rdlen - (tail == BUILD_RR_WHOLE ? 0 : (size_t)n->name_len - tail);
}

/* Writes v as an unsigned LEB128 varint at p (5 bytes at most); returns its length. */
static inline size_t build_varint_put(uint8_t *p, uint32_t v)
{
	size_t i = 0;
	while (v >= 0x80) {
		p[i++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[i++] = (uint8_t)v;
	return i;
}

/* Writes a record header into p (BUILD_RR_HEADER_MAX bytes); returns its length. */
static inline size_t build_rr_header_put(uint8_t *p, uint16_t type, uint16_t rdlen, uint32_t ttl,
					 uint32_t refs, uint8_t tail)
{
	size_t i = build_varint_put(p, type);
	i += build_varint_put(p + i, rdlen);
	i += build_varint_put(p + i, ttl);
	i += build_varint_put(p + i, refs);
	p[i++] = tail;
	return i;
}

/* Names with many records (issue #15, zone_build_index.c). A node whose
 * records pass BUILD_INDEX_MIN bytes gets, on its next add or remove, a hash
 * index of its live records (type and rdata, keyed SipHash) and a block with
 * room to grow, whose pointer lies after the records; until index_leave()
 * the records are in arrival order, and one with refs 0 is a tombstone, so
 * only zone_build.c (through the functions below) reads such a node.
 * zone_build_freeze() leaves every index first: nothing that renders sees
 * one. Below the threshold (1-3 records a name, the common case) nothing of
 * this exists: no byte more per name. */
#define BUILD_INDEX_MIN 1024
struct build_index {
	size_t cap;            /* bytes of the node's block */
	uint32_t *slots;       /* a live record's offset in the records + 1; 0 empty */
	uint32_t mask;         /* slots - 1 */
	uint32_t used;         /* slots in use */
	uint32_t live;         /* records with refs > 0 */
	uint32_t type_live[3]; /* of them CNAME, SOA, NS: the BUILD_HAS_* bits */
	uint8_t key[16];       /* SipHash key: a zone file cannot pick collisions */
};
struct build_index *node_index(const struct build_node *n);
/* Gives the node in *slot an index (it moves); 0 or DNSD_ENOMEM (nothing changed). */
int index_enter(struct zone_build *b, struct build_node **slot);
/* Adds a record to an indexed node: header h (hlen bytes, refs 1), then the
 * stored bytes of rdata. A duplicate counts a contribution, TTL the lower.
 * *is_new: a record more; *set_delta: +1 when the first CNAME, SOA or NS
 * record came. 0, DNSD_ELIMIT or DNSD_ENOMEM (nothing changed). */
int index_add(struct zone_build *b, struct build_node **slot, const uint8_t *h, size_t hlen,
	      const uint8_t *rdata, uint16_t rdlen, const uint8_t *stored, size_t stored_len, int *set_delta,
	      bool *is_new);
/* Removes one contribution; *is_gone when the record went, *set_delta -1
 * when it was the last CNAME, SOA or NS. 0 or DNSD_ENOENT. */
int index_remove(struct zone_build *b, struct build_node *n, uint16_t type, const uint8_t *rdata,
		 uint16_t rdlen, int *set_delta, bool *is_gone);
/* Sorts the live records into a plain node (exact size) and drops the
 * index; 0 or DNSD_ENOMEM (the node stays indexed). */
int index_leave(struct zone_build *b, struct build_node **slot);
/* Frees the index of n (not n). */
void index_free(struct build_node *n);
/* Reads of an indexed node, walking it: its live records of type (and the
 * first), its distinct types. */
size_t index_rrset_size(const struct build_node *n, uint16_t type, const uint8_t **first);
size_t index_rrset_count(const struct build_node *n);
/* True when a change to n should go through an index. */
static inline bool node_is_big(const struct build_node *n)
{
	return !(n->has & BUILD_NODE_INDEXED) && n->data_len >= BUILD_INDEX_MIN;
}
/* Leaves every index (zone_build_freeze() first does); 0 or DNSD_ENOMEM. */
int zone_build_unindex(struct zone_build *b);

/* The RRset of type at n into *out; false when n has none. */
bool node_rrset(const struct build_node *n, uint16_t type, struct build_rrset *out);
/* The RRset whose records begin at or after *pos (the node's first at
 * node_records(n)); advances *pos past it. False at the end. */
bool node_rrset_next(const struct build_node *n, const uint8_t **pos, struct build_rrset *out);
/* How many RRsets (distinct types) n has. */
uint16_t node_rrset_count(const struct build_node *n);
static inline bool node_has_type(const struct build_node *n, uint16_t type)
{
	struct build_rrset s;
	return node_rrset(n, type, &s);
}

/* Iterates the records of RRset set: for (p = set.begin; rrset_rr(&set, &p,
 * &rr, scratch);) ... */
static inline bool rrset_rr(const struct build_rrset *set, const uint8_t **p, struct build_rr *rr,
			    uint8_t *scratch)
{
	if (*p >= set->end)
		return false;
	*p += build_rr_decode(set->node, *p, rr, scratch);
	return true;
}

/* Fills part (zone_build_set_fill) unless it is, or there is nothing to
 * fill (0, or DNSD_ENOMEM: its nodes may not be read); takes the caller's
 * records out of it, or of every part, again. */
int build_fill(struct zone_build *b, unsigned part);
void build_unfill(struct zone_build *b, unsigned part);
void build_unfill_all(struct zone_build *b);

/* The node of name (wire form, any case), or NULL. */
const struct build_node *build_lookup(const struct zone_build *b, const uint8_t *name);

/* Each node of table t: for (i = 0; i <= t->mask; i++) if (t->slots[i]) ... */
#define FOR_TABLE_NODES(t, n)                                         \
	for (uint32_t ti_ = 0; (t)->slots && ti_ <= (t)->mask; ti_++) \
		for (struct build_node *n = (t)->slots[ti_]; n; n = NULL)

#endif
