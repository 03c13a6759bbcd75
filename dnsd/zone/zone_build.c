/* SPDX-License-Identifier: BSD-3-Clause
 * zone_build.c - mutable record store plus the renderer that turns it into an
 * immutable struct zone with every answer pre-rendered to wire format.
 *
 * Rendering rules (the query path in answer.c only copies these bytes):
 * - a blob holds the sections after the question; the owner of an exact or
 *   wildcard answer is written as a pointer to the question name (0xC00C),
 *   so the client's spelling of the name comes back (RFC 4343);
 * - other names are compressed against suffixes of the question name
 *   (ZONE_RELOC_QTAIL) or against names earlier in the blob, both of which
 *   depend on the question's length and are fixed up per query;
 * - positive answers carry no authority section (as Knot does); NS, MX and
 *   SRV answers carry the targets' in-zone addresses as additional data;
 * - negative answers carry the SOA with TTL = min(SOA TTL, MINIMUM)
 *   (RFC 2308 §5). */
#include "zone/zone_build.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/slab.h"
#include "util/slots.h"
#include "dns/wire.h"

#define CNAME_CHAIN_MAX 8
#define BLOB_MAX 65000   /* leaves room for header, question and OPT in 64 KiB */
#define COMPRESS_TARGET_MAX (0x3FFF - 12 - DNAME_MAX_LEN - 4)

/* The store is sized for large zones: every object comes from the builder's
 * slab (no malloc header), a name is stored once (lower case, in its node)
 * and an RRset of one record holds that record without a pointer array.
 * About 150 bytes a name with one A and one AAAA. */
struct build_rr {
	uint32_t refs;             /* contributions; the record goes at 0 */
	uint32_t ttl;
	uint16_t rdlen;
	uint8_t rdata[];
};
#define RR_SIZE(rdlen) (offsetof(struct build_rr, rdata) + (rdlen))

struct build_rrset {
	uint16_t type;
	uint16_t count, cap;       /* cap <= 1: the record is u.one */
	union {
		struct build_rr *one;
		struct build_rr **many;
	} u;
};

/* The records of an RRset as an array. */
static inline struct build_rr **set_rrs(const struct build_rrset *set)
{
	return set->cap <= 1 ? (struct build_rr **)&set->u.one : set->u.many;
}

struct build_node {
	struct build_rrset *rrsets;
	struct build_node *part_prev, *part_next;   /* the nodes of one part */
	uint32_t hash;
	uint16_t rrset_count, rrset_cap;
	uint8_t name_len;
	uint8_t part;              /* zone part index (zone.h) */
	uint8_t lname[];           /* lower case, hash key */
};
#define NODE_SIZE(name_len) (offsetof(struct build_node, lname) + (name_len))

struct zone_build {
	uint8_t apex[DNAME_MAX_LEN];
	uint8_t apex_len;
	uint32_t default_ttl;
	struct build_node **table; /* open addressing on lname; NULL = empty */
	uint32_t table_mask;
	size_t node_count;
	size_t record_count;
	struct build_node *part_head[1 + ZONE_PARTS];
	struct slab slab;          /* nodes, RRset arrays, records */
	/* incremental freezes: what changed since the last one */
	struct zone *last;         /* the last zone frozen (a reference) */
	uint64_t dirty;            /* hashed parts changed: bit p-1 for part p */
	size_t cname_sets;         /* CNAME RRsets: answers follow data across parts */
	size_t cut_sets;           /* NS RRsets below the apex */
	/* rendering scratch, reused between freezes */
	uint8_t *buf;
	uint32_t *relocs;
	size_t reloc_cap;
};

/* ---------- record store ---------- */

static struct build_node **table_find_slot(const struct zone_build *b, const uint8_t *lname,
					   size_t len, uint32_t hash)
{
	uint32_t i = hash & b->table_mask;
	for (;;) {
		struct build_node **slot = &b->table[i];
		struct build_node *n = *slot;
		if (!n || (n->hash == hash && n->name_len == len && memcmp(n->lname, lname, len) == 0))
			return slot;
		i = (i + 1) & b->table_mask;
	}
}

static int table_grow(struct zone_build *b)
{
	uint32_t new_size = (b->table_mask + 1) * 2;
	struct build_node **old = b->table;
	uint32_t old_size = b->table_mask + 1;
	b->table = calloc(new_size, sizeof(*b->table));
	if (!b->table) {
		b->table = old;
		return DNSD_ENOMEM;
	}
	b->table_mask = new_size - 1;
	for (uint32_t i = 0; i < old_size; i++)
		if (old[i])
			*table_find_slot(b, old[i]->lname, old[i]->name_len, old[i]->hash) = old[i];
	free(old);
	return 0;
}

/* Linear-probing deletion by backward shift, so lookups need no tombstones. */
static void table_delete(struct zone_build *b, struct build_node **slot)
{
	uint32_t i = (uint32_t)(slot - b->table);
	uint32_t j = i;
	b->table[i] = NULL;
	for (;;) {
		j = (j + 1) & b->table_mask;
		struct build_node *n = b->table[j];
		if (!n)
			return;
		uint32_t home = n->hash & b->table_mask;
		/* move n back to i if its home is not cyclically within (i, j] */
		bool stays = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			b->table[i] = n;
			b->table[j] = NULL;
			i = j;
		}
	}
}

struct zone_build *zone_build_new(const uint8_t *apex, uint32_t default_ttl_s)
{
	struct zone_build *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->apex_len = (uint8_t)dname_len(apex);
	dname_lower(b->apex, apex, b->apex_len);
	b->default_ttl = default_ttl_s;
	slab_init(&b->slab);
	b->table_mask = 63;
	b->table = calloc(64, sizeof(*b->table));
	b->buf = malloc(BLOB_MAX + 1024);
	if (!b->table || !b->buf) {
		zone_build_free(b);
		return NULL;
	}
	return b;
}

static void rrset_free_array(struct zone_build *b, struct build_rrset *set)
{
	if (set->cap > 1)
		slab_free(&b->slab, set->u.many, set->cap * sizeof(*set->u.many));
}

static void node_free(struct zone_build *b, struct build_node *n)
{
	for (uint16_t i = 0; i < n->rrset_count; i++) {
		struct build_rrset *set = &n->rrsets[i];
		struct build_rr **rrs = set_rrs(set);
		for (uint16_t j = 0; j < set->count; j++)
			slab_free(&b->slab, rrs[j], RR_SIZE(rrs[j]->rdlen));
		rrset_free_array(b, set);
	}
	slab_free(&b->slab, n->rrsets, n->rrset_cap * sizeof(*n->rrsets));
	slab_free(&b->slab, n, NODE_SIZE(n->name_len));
}

void zone_build_free(struct zone_build *b)
{
	if (!b)
		return;
	if (b->table)
		for (uint32_t i = 0; i <= b->table_mask; i++)
			if (b->table[i])
				node_free(b, b->table[i]);
	slab_clear(&b->slab);
	free(b->table);
	free(b->buf);
	free(b->relocs);
	zone_unref(b->last);
	free(b);
}

/* Checks a name inside rdata at off; returns its length or 0. */
static size_t rdata_name_len(const uint8_t *rdata, size_t rdlen, size_t off)
{
	size_t p = off;
	while (p < rdlen) {
		uint8_t l = rdata[p];
		if (l == 0)
			return p + 1 - off <= DNAME_MAX_LEN ? p + 1 - off : 0;
		if (l > 63)
			return 0;
		p += (size_t)l + 1;
	}
	return 0;
}

/* RFC 1035 §3.3 layouts of the types whose names we render or follow. */
static bool rdata_is_valid(uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
	size_t n, m;
	switch (type) {
	case WIRE_TYPE_A:
		return rdlen == 4;
	case WIRE_TYPE_AAAA:
		return rdlen == 16;
	case WIRE_TYPE_NS:
	case WIRE_TYPE_CNAME:
	case WIRE_TYPE_PTR:
	case WIRE_TYPE_DNAME:
		return rdata_name_len(rdata, rdlen, 0) == rdlen;
	case WIRE_TYPE_MX:
		return rdlen > 2 && rdata_name_len(rdata, rdlen, 2) == (size_t)rdlen - 2;
	case WIRE_TYPE_SRV:
		return rdlen > 6 && rdata_name_len(rdata, rdlen, 6) == (size_t)rdlen - 6;
	case WIRE_TYPE_SOA:
		n = rdata_name_len(rdata, rdlen, 0);
		if (n == 0)
			return false;
		m = rdata_name_len(rdata, rdlen, n);
		return m != 0 && n + m + 20 == rdlen;
	case WIRE_TYPE_OPT:
	case WIRE_TYPE_TSIG:
	case WIRE_TYPE_ANY:
	case WIRE_TYPE_AXFR:
	case WIRE_TYPE_IXFR:
		return false;          /* meta types are not zone data */
	default:
		return true;
	}
}

static struct build_rrset *node_rrset(struct build_node *n, uint16_t type)
{
	for (uint16_t i = 0; i < n->rrset_count; i++)
		if (n->rrsets[i].type == type)
			return &n->rrsets[i];
	return NULL;
}

static const struct build_node *build_lookup(const struct zone_build *b, const uint8_t *name)
{
	uint8_t lname[DNAME_MAX_LEN];
	size_t len = dname_len(name);
	dname_lower(lname, name, len);
	return *table_find_slot(b, lname, len, dname_hash(lname, len));
}

static void mark_dirty(struct zone_build *b, unsigned part)
{
	if (part > 0)
		b->dirty |= 1ull << (part - 1);
}

static void count_rrset(struct zone_build *b, const struct build_node *n, uint16_t type, int delta)
{
	if (type == WIRE_TYPE_CNAME)
		b->cname_sets += (size_t)delta;
	else if (type == WIRE_TYPE_NS && n->name_len != b->apex_len)
		b->cut_sets += (size_t)delta;
}

int zone_build_add(struct zone_build *b, const uint8_t *owner, uint16_t type, uint32_t ttl_s,
		   const uint8_t *rdata, uint16_t rdlen)
{
	uint8_t lname[DNAME_MAX_LEN];
	size_t len = dname_len(owner);
	dname_lower(lname, owner, len);
	if (!dname_is_subdomain(lname, len, b->apex, b->apex_len))
		return DNSD_EINVAL;
	if (!rdata_is_valid(type, rdata, rdlen))
		return DNSD_EINVAL;
	uint32_t hash = dname_hash(lname, len);
	struct build_node **slot = table_find_slot(b, lname, len, hash);
	struct build_node *n = *slot;
	if (!n) {
		if ((b->node_count + 1) * 2 > b->table_mask + 1) {
			if (table_grow(b) != 0)
				return DNSD_ENOMEM;
			slot = table_find_slot(b, lname, len, hash);
		}
		n = slab_alloc(&b->slab, NODE_SIZE(len));
		if (!n)
			return DNSD_ENOMEM;
		memset(n, 0, NODE_SIZE(0));
		memcpy(n->lname, lname, len);
		n->name_len = (uint8_t)len;
		n->hash = hash;
		n->part = (uint8_t)zone_part_index(b->apex_len, lname, len);
		n->part_next = b->part_head[n->part];
		if (n->part_next)
			n->part_next->part_prev = n;
		b->part_head[n->part] = n;
		*slot = n;
		b->node_count++;
	}
	mark_dirty(b, n->part);
	struct build_rrset *set = node_rrset(n, type);
	if (!set) {
		if (n->rrset_count == n->rrset_cap) {
			uint16_t cap = n->rrset_cap ? (uint16_t)(n->rrset_cap * 2) : 1;
			struct build_rrset *s = slab_realloc(&b->slab, n->rrsets,
							     n->rrset_cap * sizeof(*s), cap * sizeof(*s));
			if (!s)
				return DNSD_ENOMEM;
			n->rrsets = s;
			n->rrset_cap = cap;
		}
		set = &n->rrsets[n->rrset_count++];
		memset(set, 0, sizeof(*set));
		set->type = type;
		count_rrset(b, n, type, 1);
	}
	struct build_rr **rrs = set_rrs(set);
	for (uint16_t i = 0; i < set->count; i++) {
		struct build_rr *rr = rrs[i];
		if (rr->rdlen == rdlen && memcmp(rr->rdata, rdata, rdlen) == 0) {
			rr->refs++;
			if (ttl_s < rr->ttl)
				rr->ttl = ttl_s;
			return 0;
		}
	}
	if (set->count == UINT16_MAX)
		return DNSD_ELIMIT;
	if (set->count == set->cap && set->cap > 0) {
		uint32_t cap = set->cap * 2u;
		if (cap > UINT16_MAX)
			cap = UINT16_MAX;
		struct build_rr **many;
		if (set->cap == 1) {
			many = slab_alloc(&b->slab, cap * sizeof(*many));
			if (many)
				many[0] = set->u.one;
		} else
			many = slab_realloc(&b->slab, set->u.many, set->cap * sizeof(*many),
					    cap * sizeof(*many));
		if (!many)
			return DNSD_ENOMEM;
		set->u.many = many;
		set->cap = (uint16_t)cap;
	}
	if (set->cap == 0)
		set->cap = 1;
	struct build_rr *rr = slab_alloc(&b->slab, RR_SIZE(rdlen));
	if (!rr)
		return DNSD_ENOMEM;
	rr->refs = 1;
	rr->ttl = ttl_s;
	rr->rdlen = rdlen;
	memcpy(rr->rdata, rdata, rdlen);
	set_rrs(set)[set->count++] = rr;
	b->record_count++;
	return 0;
}

int zone_build_remove(struct zone_build *b, const uint8_t *owner, uint16_t type,
		      const uint8_t *rdata, uint16_t rdlen)
{
	uint8_t lname[DNAME_MAX_LEN];
	size_t len = dname_len(owner);
	dname_lower(lname, owner, len);
	struct build_node **slot = table_find_slot(b, lname, len, dname_hash(lname, len));
	struct build_node *n = *slot;
	if (!n)
		return DNSD_ENOENT;
	struct build_rrset *set = node_rrset(n, type);
	if (!set)
		return DNSD_ENOENT;
	struct build_rr **rrs = set_rrs(set);
	for (uint16_t i = 0; i < set->count; i++) {
		struct build_rr *rr = rrs[i];
		if (rr->rdlen != rdlen || memcmp(rr->rdata, rdata, rdlen) != 0)
			continue;
		mark_dirty(b, n->part);
		if (--rr->refs > 0)
			return 0;
		slab_free(&b->slab, rr, RR_SIZE(rr->rdlen));
		rrs[i] = rrs[--set->count];
		b->record_count--;
		if (set->count == 0) {
			count_rrset(b, n, set->type, -1);
			rrset_free_array(b, set);
			*set = n->rrsets[--n->rrset_count];
		}
		if (n->rrset_count == 0) {
			if (n->part_prev)
				n->part_prev->part_next = n->part_next;
			else
				b->part_head[n->part] = n->part_next;
			if (n->part_next)
				n->part_next->part_prev = n->part_prev;
			table_delete(b, slot);
			node_free(b, n);
			b->node_count--;
		}
		return 0;
	}
	return DNSD_ENOENT;
}

static struct build_rr *apex_soa(const struct zone_build *b)
{
	struct build_node *n = (struct build_node *)build_lookup(b, b->apex);
	struct build_rrset *set = n ? node_rrset(n, WIRE_TYPE_SOA) : NULL;
	return set && set->count > 0 ? set_rrs(set)[0] : NULL;
}

bool zone_build_has_soa(const struct zone_build *b) { return apex_soa(b) != NULL; }
size_t zone_build_record_count(const struct zone_build *b) { return b->record_count; }
const uint8_t *zone_build_apex(const struct zone_build *b) { return b->apex; }

uint32_t zone_build_serial(const struct zone_build *b)
{
	struct build_rr *soa = apex_soa(b);
	return soa ? wire_read_u32(soa->rdata + soa->rdlen - 20) : 0;
}

void zone_build_set_serial(struct zone_build *b, uint32_t serial)
{
	struct build_rr *soa = apex_soa(b);
	if (soa)
		wire_write_u32(soa->rdata + soa->rdlen - 20, serial);
}

int zone_build_add_default_soa(struct zone_build *b, uint32_t serial)
{
	if (zone_build_has_soa(b))
		return 0;
	uint8_t rdata[2 * DNAME_MAX_LEN + 20];
	size_t al = b->apex_len;
	if (al + 11 > DNAME_MAX_LEN)
		return DNSD_ERANGE;
	/* ns.<apex> and hostmaster.<apex> */
	size_t p = 0;
	rdata[p++] = 2;
	memcpy(rdata + p, "ns", 2);
	p += 2;
	memcpy(rdata + p, b->apex, al);
	p += al;
	size_t ns_len = p;
	rdata[p++] = 10;
	memcpy(rdata + p, "hostmaster", 10);
	p += 10;
	memcpy(rdata + p, b->apex, al);
	p += al;
	uint32_t fields[5] = { serial, 3600, 600, 86400, b->default_ttl };
	for (int i = 0; i < 5; i++, p += 4)
		wire_write_u32(rdata + p, fields[i]);
	int rc = zone_build_add(b, b->apex, WIRE_TYPE_SOA, b->default_ttl, rdata, (uint16_t)p);
	if (rc == 0)
		rc = zone_build_add(b, b->apex, WIRE_TYPE_NS, b->default_ttl, rdata, (uint16_t)ns_len);
	return rc;
}

/* ---------- rendering ---------- */

enum comp_kind { COMP_ABS, COMP_QTAIL, COMP_BLOB };

struct comp_entry {
	const uint8_t *name;       /* lower-case suffix */
	uint8_t len;
	uint8_t kind;
	uint16_t value;
};

#define COMP_MAX 512

struct render {
	struct zone_build *b;
	unsigned part;             /* the part being rendered; 0 with one part */
	uint64_t deps;             /* hashed parts whose data went into its answers */
	uint8_t *buf;
	size_t len;
	size_t reloc_count;
	uint16_t ancount, nscount, arcount;
	bool is_full;              /* a record did not fit: rest skipped */
	struct comp_entry comp[COMP_MAX];
	uint8_t comp_names[COMP_MAX][DNAME_MAX_LEN];   /* copies of blob names */
	size_t comp_count;
};

static void render_reset(struct render *r)
{
	r->len = 0;
	r->reloc_count = 0;
	r->ancount = r->nscount = r->arcount = 0;
	r->is_full = false;
	r->comp_count = 0;
}

static void comp_add(struct render *r, const uint8_t *lname, size_t len, enum comp_kind kind,
		     uint16_t value)
{
	if (r->comp_count == COMP_MAX)
		return;
	struct comp_entry *e = &r->comp[r->comp_count];
	if (kind == COMP_BLOB) {
		memcpy(r->comp_names[r->comp_count], lname, len);
		lname = r->comp_names[r->comp_count];
	}
	e->name = lname;
	e->len = (uint8_t)len;
	e->kind = (uint8_t)kind;
	e->value = value;
	r->comp_count++;
}

/* Suffixes of known (lower case; its last bytes are the qname's) can be
 * pointed at from any blob: QTAIL entries. */
static void comp_add_qtail(struct render *r, const uint8_t *known, size_t known_len)
{
	for (size_t off = 0; off + 1 < known_len; off += (size_t)known[off] + 1)
		comp_add(r, known + off, known_len - off, COMP_QTAIL, (uint16_t)(known_len - off));
}

static int reloc_push(struct render *r, size_t pos, uint32_t kind)
{
	struct zone_build *b = r->b;
	if (r->reloc_count == b->reloc_cap) {
		size_t cap = b->reloc_cap ? b->reloc_cap * 2 : 64;
		uint32_t *n = realloc(b->relocs, cap * sizeof(*n));
		if (!n)
			return DNSD_ENOMEM;
		b->relocs = n;
		b->reloc_cap = cap;
	}
	b->relocs[r->reloc_count++] = (uint32_t)pos | kind;
	return 0;
}

/* Writes name at the end of the buffer, compressed where allowed. */
static int render_name(struct render *r, const uint8_t *name, bool may_compress)
{
	size_t len = dname_len(name);
	uint8_t lname[DNAME_MAX_LEN];
	dname_lower(lname, name, len);
	size_t off = 0;
	while (name[off] != 0) {
		size_t slen = len - off;
		if (may_compress) {
			for (size_t i = 0; i < r->comp_count; i++) {
				const struct comp_entry *e = &r->comp[i];
				if (e->len != slen || memcmp(e->name, lname + off, slen) != 0)
					continue;
				if (r->len + 2 > BLOB_MAX)
					return DNSD_ERANGE;
				size_t pos = r->len;
				wire_write_u16(r->buf + pos, (uint16_t)(0xC000u | e->value));
				r->len += 2;
				if (e->kind == COMP_BLOB)
					return reloc_push(r, pos, 0);
				if (e->kind == COMP_QTAIL)
					return reloc_push(r, pos, ZONE_RELOC_QTAIL);
				return 0;
			}
		}
		size_t l = name[off];
		if (r->len + l + 1 > BLOB_MAX)
			return DNSD_ERANGE;
		if (r->len < COMPRESS_TARGET_MAX)
			comp_add(r, lname + off, slen, COMP_BLOB, (uint16_t)r->len);
		memcpy(r->buf + r->len, name + off, l + 1);
		r->len += l + 1;
		off += l + 1;
	}
	if (r->len + 1 > BLOB_MAX)
		return DNSD_ERANGE;
	r->buf[r->len++] = 0;
	return 0;
}

/* RFC 3597 §4: only the RFC 1035 types' names may be compressed. */
static int render_rdata(struct render *r, uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
	size_t n;
	int rc;
	switch (type) {
	case WIRE_TYPE_NS:
	case WIRE_TYPE_CNAME:
	case WIRE_TYPE_PTR:
		return render_name(r, rdata, true);
	case WIRE_TYPE_MX:
		if (r->len + 2 > BLOB_MAX)
			return DNSD_ERANGE;
		memcpy(r->buf + r->len, rdata, 2);
		r->len += 2;
		return render_name(r, rdata + 2, true);
	case WIRE_TYPE_SOA:
		n = dname_len(rdata);
		if ((rc = render_name(r, rdata, true)) != 0)
			return rc;
		if ((rc = render_name(r, rdata + n, true)) != 0)
			return rc;
		n += dname_len(rdata + n);
		if (r->len + 20 > BLOB_MAX)
			return DNSD_ERANGE;
		memcpy(r->buf + r->len, rdata + n, 20);
		r->len += 20;
		return 0;
	default:
		if (r->len + rdlen > BLOB_MAX)
			return DNSD_ERANGE;
		memcpy(r->buf + r->len, rdata, rdlen);
		r->len += rdlen;
		return 0;
	}
}

/* Appends one record; on overflow rolls back and marks the render full. */
static int render_rr(struct render *r, const uint8_t *owner, uint16_t type, uint32_t ttl,
		     const uint8_t *rdata, uint16_t rdlen)
{
	size_t mark = r->len, reloc_mark = r->reloc_count, comp_mark = r->comp_count;
	int rc = render_name(r, owner, true);
	if (rc == 0 && r->len + 10 > BLOB_MAX)
		rc = DNSD_ERANGE;
	if (rc == 0) {
		uint8_t *h = r->buf + r->len;
		wire_write_u16(h, type);
		wire_write_u16(h + 2, WIRE_CLASS_IN);
		wire_write_u32(h + 4, ttl);
		r->len += 10;
		size_t rd_start = r->len;
		rc = render_rdata(r, type, rdata, rdlen);
		if (rc == 0)
			wire_write_u16(h + 8, (uint16_t)(r->len - rd_start));
	}
	if (rc == DNSD_ERANGE) {
		r->len = mark;
		r->reloc_count = reloc_mark;
		r->comp_count = comp_mark;
		r->is_full = true;
	}
	return rc;
}

static uint32_t rrset_ttl(const struct build_rrset *set)
{
	uint32_t ttl = UINT32_MAX;
	struct build_rr **rrs = set_rrs(set);
	for (uint16_t i = 0; i < set->count; i++)
		if (rrs[i]->ttl < ttl)
			ttl = rrs[i]->ttl;
	return ttl;
}

/* Appends an RRset; returns the number of records written. */
static uint16_t render_rrset(struct render *r, const uint8_t *owner, const struct build_rrset *set)
{
	uint32_t ttl = rrset_ttl(set);
	uint16_t n = 0;
	for (uint16_t i = 0; i < set->count; i++) {
		const struct build_rr *rr = set_rrs(set)[i];
		if (render_rr(r, owner, set->type, ttl, rr->rdata, rr->rdlen) != 0)
			break;
		n++;
	}
	return n;
}

/* The name a record of this type points at for additional processing. */
static const uint8_t *rdata_target(uint16_t type, const uint8_t *rdata)
{
	switch (type) {
	case WIRE_TYPE_NS: return rdata;
	case WIRE_TYPE_MX: return rdata + 2;
	case WIRE_TYPE_SRV: return rdata + 6;
	default: return NULL;
	}
}

/* Additional section: in-zone A and AAAA of NS/MX/SRV targets (RFC 1034 §4.3.2 step 6). */
static void render_additional(struct render *r, const struct build_rrset *set, bool *has_glue,
			      const uint8_t *cut)
{
	size_t cut_len = cut ? dname_len(cut) : 0;
	for (uint16_t i = 0; i < set->count && !r->is_full; i++) {
		const uint8_t *target = rdata_target(set->type, set_rrs(set)[i]->rdata);
		if (!target)
			return;
		bool seen = false;
		for (uint16_t j = 0; j < i; j++)
			if (dname_equal(rdata_target(set->type, set_rrs(set)[j]->rdata), target))
				seen = true;
		if (seen)
			continue;
		if (r->part > 0) {
			uint8_t lt[DNAME_MAX_LEN];
			size_t tl = dname_len(target);
			dname_lower(lt, target, tl);
			if (dname_is_subdomain(lt, tl, r->b->apex, r->b->apex_len)) {
				unsigned tp = zone_part_index(r->b->apex_len, lt, tl);
				if (tp > 0 && tp != r->part)
					r->deps |= 1ull << (tp - 1);
			}
		}
		const struct build_node *t = build_lookup(r->b, target);
		if (!t)
			continue;
		static const uint16_t addr_types[2] = { WIRE_TYPE_A, WIRE_TYPE_AAAA };
		for (int k = 0; k < 2; k++) {
			struct build_rrset *a = node_rrset((struct build_node *)t, addr_types[k]);
			if (!a)
				continue;
			r->arcount += render_rrset(r, target, a);
			if (has_glue && cut && dname_is_subdomain(t->lname, t->name_len, cut, cut_len))
				*has_glue = true;
		}
	}
}

static void rdata_sort(struct build_rrset *set);

/* Copies the render into the zone's arena as a blob. */
static int blob_store(struct arena *arena, struct render *r, struct zone_blob *blob, size_t an_ns_len,
		      uint8_t rcode, uint8_t flags)
{
	uint8_t *data = arena_memdup(arena, r->buf, r->len);
	uint32_t *relocs = NULL;
	if (r->reloc_count) {
		relocs = arena_alloc(arena, r->reloc_count * sizeof(uint32_t));   /* aligned */
		if (relocs)
			memcpy(relocs, r->b->relocs, r->reloc_count * sizeof(uint32_t));
	}
	if (!data || (r->reloc_count && !relocs))
		return DNSD_ENOMEM;
	blob->data = data;
	blob->relocs = relocs;
	blob->len = (uint16_t)r->len;
	blob->an_ns_len = (uint16_t)an_ns_len;
	blob->ancount = r->ancount;
	blob->nscount = r->nscount;
	blob->arcount = r->arcount;
	blob->reloc_count = (uint16_t)r->reloc_count;
	uint16_t below = 0;
	for (size_t i = 0; i < r->reloc_count; i++)
		if ((r->b->relocs[i] & 0xFFFFu) < an_ns_len)
			below++;
	blob->reloc_an_ns_count = below;
	blob->rcode = rcode;
	blob->flags = flags;
	return 0;
}

/* Sets up compression for an answer whose owner is the question name:
 * owner_template is the node's name ("*.x" for a wildcard), known is the part
 * that the question name surely ends with. */
static void render_begin(struct render *r, const struct zone_node *zn)
{
	render_reset(r);
	comp_add(r, zn->name, zn->name_len, COMP_ABS, WIRE_HEADER_LEN);
	const uint8_t *known = zn->name;
	size_t known_len = zn->name_len;
	if (zn->name[0] == 1 && zn->name[1] == '*') {
		known += 2;
		known_len -= 2;
	}
	comp_add_qtail(r, known, known_len);
}

struct freeze {
	struct zone_build *b;
	struct zone *z;
	struct render *r;
	struct zone_part *part;      /* the part being built */
	struct arena *arena;         /* where blobs go: the part's, or the zone's */
	struct build_node **bnodes;  /* parallel to part->nodes; NULL for empty non-terminals */
	size_t cap;
	const struct build_rr *soa;
	uint32_t neg_ttl;
	char *err;
	size_t errlen;
};

/* The negative answer: the SOA in authority (RFC 2308 §3). */
static int render_negative_tail(struct freeze *f)
{
	struct render *r = f->r;
	size_t before = r->nscount;
	render_rr(r, f->z->apex, WIRE_TYPE_SOA, f->neg_ttl, f->soa->rdata, f->soa->rdlen);
	r->nscount = (uint16_t)(before + 1);
	return r->is_full ? DNSD_ERANGE : 0;
}

/* How a name resolves inside the zone, for CNAME chasing: the node holding
 * its data (possibly a wildcard), or NULL with *is_nxdomain, or NULL with
 * *is_out when the name is not answered from this zone's data: out of zone,
 * or at or below a delegation, in which case *cut is the delegation point. */
static const struct zone_node *freeze_resolve(const struct freeze *f, const uint8_t *name,
					      bool *is_nxdomain, bool *is_out,
					      const struct zone_node **cut)
{
	*is_nxdomain = false;
	*is_out = false;
	*cut = NULL;
	uint8_t lname[DNAME_MAX_LEN];
	size_t len = dname_len(name);
	dname_lower(lname, name, len);
	if (!dname_is_subdomain(lname, len, f->z->apex, f->z->apex_len)) {
		*is_out = true;
		return NULL;
	}
	const struct zone_node *n = zone_lookup(f->z, lname, len, dname_hash(lname, len));
	if (n) {
		if (!n->cut)
			return n;
		*is_out = true;
		*cut = n->cut;
		return NULL;
	}
	/* closest encloser, then its wildcard (RFC 4592 §3.3.1) */
	for (size_t off = (size_t)lname[0] + 1; off < len; off += (size_t)lname[off] + 1) {
		const struct zone_node *ce = zone_lookup(f->z, lname + off, len - off,
							 dname_hash(lname + off, len - off));
		if (!ce)
			continue;
		if (ce->cut) {
			*is_out = true;
			*cut = ce->cut;
			return NULL;
		}
		if (ce->wildcard)
			return ce->wildcard;
		break;
	}
	*is_nxdomain = true;
	return NULL;
}

static struct build_node *bnode_of(const struct freeze *f, const struct zone_node *n)
{
	return f->bnodes[n - f->part->nodes];
}

/* Starts an answer with the CNAME chain: the node's record, then one per link. */
static void render_chain(struct render *r, const struct zone_node *zn, const struct build_rrset *cset,
			 const struct build_node *const *chain, const uint8_t *const *owners, size_t links)
{
	render_begin(r, zn);
	r->ancount += render_rrset(r, zn->name, cset);
	for (size_t i = 0; i < links; i++)
		r->ancount += render_rrset(r, owners[i + 1],
					   node_rrset((struct build_node *)chain[i], WIRE_TYPE_CNAME));
}

/* A CNAME node: the chain is followed at build time for each type present at
 * its end (RFC 1034 §3.6.2; RFC 6604 for the rcode of a chain). */
static int render_cname_node(struct freeze *f, struct zone_node *zn, struct build_node *bn)
{
	struct render *r = f->r;
	struct build_rrset *cset = node_rrset(bn, WIRE_TYPE_CNAME);
	/* follow the chain once to learn where it ends */
	const struct build_node *chain[CNAME_CHAIN_MAX];
	const uint8_t *owners[CNAME_CHAIN_MAX + 1];
	size_t links = 0;
	const uint8_t *target = set_rrs(cset)[0]->rdata;
	const struct zone_node *end = NULL, *cut = NULL;
	bool is_nx = false, is_out = false;
	owners[0] = NULL;   /* the question name */
	for (;;) {
		end = freeze_resolve(f, target, &is_nx, &is_out, &cut);
		if (!end || !(end->flags & ZONE_NODE_CNAME) || links + 1 >= CNAME_CHAIN_MAX)
			break;
		const struct build_node *eb = bnode_of(f, end);
		bool is_loop = eb == bn;
		for (size_t i = 0; i < links; i++)
			if (chain[i] == eb)
				is_loop = true;
		if (is_loop)
			break;
		chain[links] = eb;
		owners[links + 1] = target;
		links++;
		target = set_rrs(node_rrset((struct build_node *)eb, WIRE_TYPE_CNAME))[0]->rdata;
	}
	const struct build_node *end_b = end && !(end->flags & ZONE_NODE_CNAME) ? bnode_of(f, end) : NULL;
	uint16_t ntypes = 1 + (end_b ? end_b->rrset_count : 0);
	uint16_t *types = arena_alloc(f->arena, ntypes * sizeof(*types));
	struct zone_blob *blobs = arena_alloc(f->arena, (ntypes + 1) * sizeof(*blobs));
	if (!types || !blobs)
		return DNSD_ENOMEM;

	/* qtype CNAME: just the record */
	uint16_t k = 0;
	render_begin(r, zn);
	r->ancount = render_rrset(r, zn->name, cset);
	types[k] = WIRE_TYPE_CNAME;
	if (blob_store(f->arena, r, &blobs[k++], r->len, 0, ZONE_BLOB_AA) != 0)
		return DNSD_ENOMEM;
	for (uint16_t i = 0; end_b && i < end_b->rrset_count; i++) {
		const struct build_rrset *set = &end_b->rrsets[i];
		render_chain(r, zn, cset, chain, owners, links);
		r->ancount += render_rrset(r, target, set);
		types[k] = set->type;
		if (blob_store(f->arena, r, &blobs[k++], r->len, 0, ZONE_BLOB_AA) != 0)
			return DNSD_ENOMEM;
	}
	/* any other qtype: the chain plus the negative answer at its end */
	render_chain(r, zn, cset, chain, owners, links);
	uint8_t rcode = 0;
	size_t an_ns_len = 0;
	uint8_t blob_flags = ZONE_BLOB_AA;
	if (cut) {
		/* RFC 1034 §4.3.2: the chain restarts the lookup at its target,
		 * which step 3b answers with a referral: the cut's NS RRset in
		 * authority and its glue in additional (as Knot and NSD do). */
		struct build_node *cut_b = bnode_of(f, cut);
		const struct build_rrset *ns = node_rrset(cut_b, WIRE_TYPE_NS);
		r->nscount = render_rrset(r, cut->name, ns);
		an_ns_len = r->len;
		bool has_glue = false;
		render_additional(r, ns, &has_glue, cut->name);
		r->is_full = false;
		if (has_glue)
			blob_flags |= ZONE_BLOB_GLUE_REQUIRED;
	} else if (end && (end->flags & ZONE_NODE_CNAME)) {
		/* the chain loops (or is longer than we follow): there is no
		 * last name to deny, so no SOA (RFC 2308 §2.2 is about a name
		 * that exists without the type); Knot and NSD answer the same */
	} else if (!is_out) {
		render_negative_tail(f);
		rcode = is_nx ? WIRE_RCODE_NXDOMAIN : WIRE_RCODE_NOERROR;
	}
	if (blob_store(f->arena, r, &blobs[k], an_ns_len ? an_ns_len : r->len, rcode, blob_flags) != 0)
		return DNSD_ENOMEM;
	/* keep types ascending (CNAME = 5 was placed first) */
	for (uint16_t i = 1; i < k; i++) {
		for (uint16_t j = i; j > 0 && types[j - 1] > types[j]; j--) {
			uint16_t t = types[j];
			types[j] = types[j - 1];
			types[j - 1] = t;
			struct zone_blob bl = blobs[j];
			blobs[j] = blobs[j - 1];
			blobs[j - 1] = bl;
		}
	}
	zn->types = types;
	zn->blobs = blobs;
	zn->type_count = k;
	zn->other = &blobs[k];
	/* RFC 8482 §4.2: ANY at a CNAME gets the CNAME */
	for (uint16_t i = 0; i < k; i++)
		if (types[i] == WIRE_TYPE_CNAME)
			zn->any = &blobs[i];
	return 0;
}

static int render_plain_node(struct freeze *f, struct zone_node *zn, struct build_node *bn)
{
	struct render *r = f->r;
	uint16_t ntypes = bn->rrset_count;
	uint16_t *types = arena_alloc(f->arena, ntypes * sizeof(*types));
	struct zone_blob *blobs = arena_alloc(f->arena, ntypes * sizeof(*blobs));
	if (!types || !blobs)
		return DNSD_ENOMEM;
	for (uint16_t i = 0; i < ntypes; i++) {
		const struct build_rrset *set = &bn->rrsets[i];
		render_begin(r, zn);
		r->ancount = render_rrset(r, zn->name, set);
		size_t an_len = r->len;
		render_additional(r, set, NULL, NULL);
		r->is_full = false;
		types[i] = set->type;
		if (blob_store(f->arena, r, &blobs[i], an_len, 0, ZONE_BLOB_AA) != 0)
			return DNSD_ENOMEM;
	}
	zn->types = types;
	zn->blobs = blobs;
	zn->type_count = ntypes;
	zn->other = NULL;
	/* RFC 8482 §4.2: one RRset is enough; the lowest type is as good as any */
	zn->any = ntypes ? &blobs[0] : NULL;
	return 0;
}

/* A delegation: NS in authority, glue in additional, AA clear (RFC 1034 §4.3.2). */
static int render_referral(struct freeze *f, struct zone_node *zn, struct build_node *bn)
{
	struct render *r = f->r;
	struct build_rrset *ns = node_rrset(bn, WIRE_TYPE_NS);
	render_reset(r);
	comp_add_qtail(r, zn->name, zn->name_len);
	r->nscount = render_rrset(r, zn->name, ns);
	size_t an_ns_len = r->len;
	bool has_glue = false;
	render_additional(r, ns, &has_glue, zn->name);
	r->is_full = false;
	struct zone_blob *blob = arena_alloc(f->arena, sizeof(*blob));
	if (!blob)
		return DNSD_ENOMEM;
	if (blob_store(f->arena, r, blob, an_ns_len, 0, has_glue ? ZONE_BLOB_GLUE_REQUIRED : 0) != 0)
		return DNSD_ENOMEM;
	zn->referral = blob;
	return 0;
}

static int freeze_negative(struct freeze *f, uint8_t rcode, const struct zone_blob **out)
{
	struct render *r = f->r;
	render_reset(r);
	comp_add_qtail(r, f->z->apex, f->z->apex_len);
	if (render_negative_tail(f) != 0)
		return DNSD_ERANGE;
	struct zone_blob *blob = arena_alloc(f->arena, sizeof(*blob));
	if (!blob || blob_store(f->arena, r, blob, r->len, rcode, ZONE_BLOB_AA) != 0)
		return DNSD_ENOMEM;
	*out = blob;
	return 0;
}

/* Adds a node for name (lower case) to the part being built unless present;
 * returns its index. */
static long freeze_add_name(struct freeze *f, const uint8_t *lname, size_t len, struct build_node *bn)
{
	struct zone_part *p = f->part;
	uint32_t hash = dname_hash(lname, len);
	uint32_t i = hash & p->table_mask;
	for (;;) {
		struct zone_slot *s = &p->table[i];
		if (s->index_plus1 == 0)
			break;
		if (s->hash == hash) {
			struct zone_node *n = &p->nodes[s->index_plus1 - 1];
			if (n->name_len == len && memcmp(n->name, lname, len) == 0) {
				if (bn)
					f->bnodes[s->index_plus1 - 1] = bn;
				return (long)s->index_plus1 - 1;
			}
		}
		i = (i + 1) & p->table_mask;
	}
	if (p->node_count == f->cap)
		return -1;         /* sized up front: cannot happen */
	size_t idx = p->node_count++;
	struct zone_node *n = &p->nodes[idx];
	memset(n, 0, sizeof(*n));
	n->name = arena_memdup(&p->arena, lname, len);
	if (!n->name)
		return -1;
	n->name_len = (uint8_t)len;
	n->hash = hash;
	f->bnodes[idx] = bn;
	p->table[i].hash = hash;
	p->table[i].index_plus1 = (uint32_t)idx + 1;
	return (long)idx;
}

static int rr_cmp(const void *a, const void *b)
{
	const struct build_rr *x = *(const struct build_rr *const *)a;
	const struct build_rr *y = *(const struct build_rr *const *)b;
	size_t n = x->rdlen < y->rdlen ? x->rdlen : y->rdlen;
	int c = memcmp(x->rdata, y->rdata, n);
	return c ? c : (int)x->rdlen - (int)y->rdlen;
}

static int rrset_cmp(const void *a, const void *b)
{
	const struct build_rrset *x = a, *y = b;
	return (int)x->type - (int)y->type;
}

/* Deterministic order: records by rdata bytes (numeric for addresses), RRsets by type. */
static void rdata_sort(struct build_rrset *set)
{
	qsort(set_rrs(set), set->count, sizeof(struct build_rr *), rr_cmp);
}

/* Writes "<name>: <what>" into the caller's error buffer. */
static int freeze_fail(struct freeze *f, const uint8_t *name, const char *what)
{
	char text[DNAME_MAX_TEXT];
	dname_to_text(text, sizeof(text), name);
	snprintf(f->err, f->errlen, "%s: %s", text, what);
	return DNSD_EZONE;
}

/* True when the freeze renders part pi (rebuild: bit p-1 for hashed part p;
 * part 0 is always rendered). */
static bool part_rebuilt(uint64_t rebuild, unsigned pi)
{
	return pi == 0 || (rebuild >> (pi - 1)) & 1u;
}

/* RFC 1034 §3.6.2 / RFC 2181 §10.1: CNAME stands alone; one SOA at the apex.
 * Checks (and sorts, for rendering) the nodes of the parts to be rebuilt:
 * the others have not changed since the last freeze checked them. */
static int freeze_check(struct freeze *f, uint64_t rebuild)
{
	struct zone_build *b = f->b;
	const struct build_node *apex = build_lookup(b, b->apex);
	const struct build_rrset *soa = apex ? node_rrset((struct build_node *)apex, WIRE_TYPE_SOA) : NULL;
	if (!soa)
		return freeze_fail(f, b->apex, "no SOA record at the zone apex");
	if (soa->count != 1)
		return freeze_fail(f, b->apex, "more than one SOA record");
	if (!node_rrset((struct build_node *)apex, WIRE_TYPE_NS))
		return freeze_fail(f, b->apex, "no NS records at the zone apex");
	if (node_rrset((struct build_node *)apex, WIRE_TYPE_CNAME))
		return freeze_fail(f, b->apex, "CNAME at the zone apex");
	for (unsigned pi = 0; pi <= ZONE_PARTS; pi++) {
		if (!part_rebuilt(rebuild, pi))
			continue;
		for (struct build_node *n = b->part_head[pi]; n; n = n->part_next) {
			struct build_rrset *c = node_rrset(n, WIRE_TYPE_CNAME);
			if (c && (n->rrset_count > 1 || c->count > 1))
				return freeze_fail(f, n->lname, "CNAME and other data (RFC 1034 section 3.6.2)");
			if (node_rrset(n, WIRE_TYPE_SOA) && n->name_len != b->apex_len)
				return freeze_fail(f, n->lname, "SOA record below the zone apex");
			qsort(n->rrsets, n->rrset_count, sizeof(n->rrsets[0]), rrset_cmp);
			for (uint16_t j = 0; j < n->rrset_count; j++)
				rdata_sort(&n->rrsets[j]);
		}
	}
	/* the sort above moved RRsets around: look the SOA up again */
	soa = node_rrset((struct build_node *)apex, WIRE_TYPE_SOA);
	f->soa = set_rrs(soa)[0];
	uint32_t minimum = wire_read_u32(f->soa->rdata + f->soa->rdlen - 4);
	uint32_t soa_ttl = f->soa->ttl;
	f->neg_ttl = soa_ttl < minimum ? soa_ttl : minimum;
	return 0;
}

static struct zone *zone_alloc(const uint8_t *apex)
{
	struct zone *z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	atomic_init(&z->refs, 1);
	z->apex_len = (uint8_t)dname_len(apex);
	dname_lower(z->apex, apex, z->apex_len);
	z->apex_labels = (uint8_t)dname_label_count(z->apex);
	dname_to_text(z->name_text, sizeof(z->name_text), z->apex);
	z->stats_slot = slots_get(&slots_zones, z->name_text);
	arena_init(&z->arena, 4096);
	return z;
}

/* An empty part with room for max_nodes names. */
static struct zone_part *part_alloc(size_t max_nodes)
{
	struct zone_part *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	atomic_init(&p->refs, 1);
	/* names, nodes and their answers: about 256 bytes a name */
	size_t chunk = max_nodes * 256;
	arena_init(&p->arena, chunk < 4096 ? 4096 : chunk > 1024 * 1024 ? 1024 * 1024 : chunk);
	uint32_t tsize = 16;
	while (tsize < max_nodes * 2)
		tsize *= 2;
	p->nodes = max_nodes ? arena_alloc(&p->arena, max_nodes * sizeof(*p->nodes)) : NULL;
	p->table = arena_alloc(&p->arena, tsize * sizeof(*p->table));
	if ((max_nodes && !p->nodes) || !p->table) {
		zone_part_unref(p);
		return NULL;
	}
	memset(p->table, 0, tsize * sizeof(*p->table));
	p->table_mask = tsize - 1;
	return p;
}

struct zone *zone_new_pending(const uint8_t *apex)
{
	struct zone *z = zone_alloc(apex);
	if (!z)
		return NULL;
	z->is_pending = true;
	z->part_count = 1;
	z->parts[0] = part_alloc(0);
	if (!z->parts[0]) {
		zone_unref(z);
		return NULL;
	}
	return z;
}

/* The builder nodes that go into part pi: with one part, all of them. */
#define FOR_PART_NODES(f, pi, n)                                                                 \
	for (unsigned pi_ = (f)->z->part_count == 1 ? 0 : (pi);                                   \
	     pi_ <= ((f)->z->part_count == 1 ? ZONE_PARTS : (pi)); pi_++)                          \
		for (struct build_node *n = (f)->b->part_head[pi_]; n; n = n->part_next)

/* Builds part pi's names (each name plus its empty non-terminals down from
 * the apex; names in a hashed part share its label below the apex, so they
 * all land in the same part) into a new f->part. */
static int build_part_names(struct freeze *f, unsigned pi)
{
	struct zone *z = f->z;
	/* room for the names, their empty non-terminals and the apex: an
	 * ancestor that is also one of the previous name's is not counted
	 * again (names sharing a parent usually come one after another) */
	size_t max_nodes = 1;
	const struct build_node *prev = NULL;
	FOR_PART_NODES(f, pi, bn) {
		max_nodes++;
		for (size_t off = (size_t)bn->lname[0] + 1; bn->name_len - off > z->apex_len;
		     off += (size_t)bn->lname[off] + 1) {
			if (prev && dname_is_subdomain(prev->lname, prev->name_len, bn->lname + off,
						       bn->name_len - off))
				break;
			max_nodes++;
		}
		prev = bn;
	}
	f->part = part_alloc(max_nodes);
	f->bnodes = calloc(max_nodes ? max_nodes : 1, sizeof(*f->bnodes));
	if (!f->part || !f->bnodes)
		return DNSD_ENOMEM;
	z->parts[pi] = f->part;
	f->cap = max_nodes;
	FOR_PART_NODES(f, pi, bn) {
		if (freeze_add_name(f, bn->lname, bn->name_len, bn) < 0)
			return DNSD_ENOMEM;
		/* the apex itself lives in part 0: stop above it in hashed parts */
		for (size_t off = (size_t)bn->lname[0] + 1;
		     bn->name_len - off > z->apex_len || (z->part_count == 1 && bn->name_len - off == z->apex_len);
		     off += (size_t)bn->lname[off] + 1)
			if (freeze_add_name(f, bn->lname + off, bn->name_len - off, NULL) < 0)
				return DNSD_ENOMEM;
	}
	return 0;
}

/* Structure inside the part just built: wildcards (a "*.x" node and x share
 * a part unless x is the apex, handled by the caller), cuts and CNAME flags. */
static void part_structure(struct freeze *f)
{
	struct zone *z = f->z;
	struct zone_part *p = f->part;
	bool has_cuts = false;
	for (size_t i = 0; i < p->node_count; i++) {
		struct zone_node *n = &p->nodes[i];
		struct build_node *bn = f->bnodes[i];
		if (bn && n->name_len != z->apex_len && node_rrset(bn, WIRE_TYPE_NS)) {
			n->flags |= ZONE_NODE_CUT;
			has_cuts = true;
		}
		if (bn && node_rrset(bn, WIRE_TYPE_CNAME))
			n->flags |= ZONE_NODE_CNAME;
		if (n->name[0] == 1 && n->name[1] == '*' && (z->part_count == 1 || n->name_len - 2u > z->apex_len)) {
			struct zone_node *parent = (struct zone_node *)zone_part_lookup(p, n->name + 2,
				n->name_len - 2u, dname_hash(n->name + 2, n->name_len - 2u));
			if (parent)
				parent->wildcard = n;
		}
	}
	/* delegations only exist in one-part zones: every lookup stays in p */
	for (size_t i = 0; has_cuts && i < p->node_count; i++) {
		struct zone_node *n = &p->nodes[i];
		/* the topmost cut: walk suffixes from just below the apex downwards */
		size_t offs[DNAME_MAX_LABELS], count = 0;
		for (size_t off = 0; n->name_len - off > z->apex_len; off += (size_t)n->name[off] + 1)
			offs[count++] = off;
		while (count-- > 0) {
			const struct zone_node *a = zone_part_lookup(p, n->name + offs[count],
				n->name_len - offs[count], dname_hash(n->name + offs[count], n->name_len - offs[count]));
			if (a && (a->flags & ZONE_NODE_CUT)) {
				n->cut = a;
				break;
			}
		}
	}
}

/* Renders every answer of the part just built; records which other parts
 * its answers drew data from. */
static int part_render(struct freeze *f, unsigned pi)
{
	struct zone_part *p = f->part;
	f->arena = &p->arena;
	f->r->part = f->z->part_count == 1 ? 0 : pi;
	f->r->deps = 0;
	for (size_t i = 0; i < p->node_count; i++) {
		struct zone_node *n = &p->nodes[i];
		struct build_node *bn = f->bnodes[i];
		int rc = 0;
		if (n->cut && n->cut != n) {
			/* occluded: below a delegation, every query gets the
			 * referral; its own records are rendered for zone
			 * transfers only (zone_records.h), glue included */
			if (bn && (rc = render_plain_node(f, n, bn)) != 0)
				return rc;
			continue;
		}
		if (n->flags & ZONE_NODE_CUT)
			rc = render_referral(f, n, bn);
		if (rc == 0 && bn)
			rc = (n->flags & ZONE_NODE_CNAME) ? render_cname_node(f, n, bn)
							  : render_plain_node(f, n, bn);
		if (rc != 0)
			return rc;
	}
	p->deps = f->r->deps;
	return 0;
}

struct zone *zone_build_freeze(struct zone_build *b, char *err, size_t errlen)
{
	struct freeze f = { .b = b, .err = err, .errlen = errlen };
	struct zone_part *built[1 + ZONE_PARTS];
	struct build_node **built_bnodes[1 + ZONE_PARTS];
	unsigned built_index[1 + ZONE_PARTS];
	size_t built_count = 0;
	err[0] = '\0';
	/* Partitioned unless answers may follow data anywhere (CNAME chains,
	 * delegations). Incremental when the last zone has the same layout:
	 * then only changed parts, and parts whose answers carry their data,
	 * are rendered again; the rest are shared with the last zone. */
	unsigned part_count = b->cname_sets == 0 && b->cut_sets == 0 ? 1 + ZONE_PARTS : 1;
	const struct zone *last = b->last;
	uint64_t rebuild = UINT64_MAX;
	if (last && last->part_count == part_count && part_count > 1) {
		rebuild = b->dirty;
		for (unsigned pi = 1; pi <= ZONE_PARTS; pi++)
			if (last->parts[pi]->deps & b->dirty)
				rebuild |= 1ull << (pi - 1);
	}
	f.r = malloc(sizeof(*f.r));
	f.z = zone_alloc(b->apex);
	if (!f.r || !f.z) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memset(f.r, 0, sizeof(*f.r));
	f.r->b = b;
	f.r->buf = b->buf;
	if (freeze_check(&f, part_count == 1 ? UINT64_MAX : rebuild) != 0)
		goto fail;
	struct zone *z = f.z;
	z->serial = wire_read_u32(f.soa->rdata + f.soa->rdlen - 20);
	z->record_count = b->record_count;
	z->part_count = part_count;

	for (unsigned pi = 0; pi < part_count; pi++) {
		if (!part_rebuilt(rebuild, pi)) {
			z->parts[pi] = last->parts[pi];
			zone_part_ref(z->parts[pi]);
			continue;
		}
		int rc = build_part_names(&f, pi);
		built_bnodes[built_count] = f.bnodes;   /* freed through built_bnodes from here */
		built[built_count] = f.part;
		built_index[built_count++] = pi;
		if (rc == 0)
			part_structure(&f);
		f.bnodes = NULL;
		f.part = NULL;
		if (rc != 0)
			goto oom;
	}
	/* the apex's wildcard, "*.<apex>", lives in a hashed part */
	if (part_count > 1) {
		uint8_t wild[DNAME_MAX_LEN];
		if ((size_t)z->apex_len + 2 <= DNAME_MAX_LEN) {
			wild[0] = 1;
			wild[1] = '*';
			memcpy(wild + 2, z->apex, z->apex_len);
			size_t wl = z->apex_len + 2u;
			struct zone_node *apex = (struct zone_node *)zone_part_lookup(z->parts[0], z->apex,
				z->apex_len, dname_hash(z->apex, z->apex_len));
			if (apex)
				apex->wildcard = zone_lookup(z, wild, wl, dname_hash(wild, wl));
		}
	}
	/* answers: every part is in place, so CNAME chasing may look anywhere */
	for (size_t i = 0; i < built_count; i++) {
		f.part = built[i];
		f.bnodes = built_bnodes[i];
		int rc = part_render(&f, built_index[i]);
		f.bnodes = NULL;
		if (rc != 0)
			goto oom;
	}
	f.part = NULL;
	f.arena = &z->arena;
	if (freeze_negative(&f, WIRE_RCODE_NXDOMAIN, &z->nxdomain) != 0 ||
	    freeze_negative(&f, WIRE_RCODE_NOERROR, &z->nodata) != 0)
		goto oom;
	for (unsigned pi = 0; pi < part_count; pi++)
		z->node_count += z->parts[pi]->node_count;
	for (size_t i = 0; i < built_count; i++)
		free(built_bnodes[i]);
	free(f.r);
	b->dirty = 0;
	zone_unref(b->last);
	b->last = z;
	zone_ref(z);
	return z;
oom:
	snprintf(err, errlen, "zone %s: out of memory or answer too large", f.z->name_text);
fail:
	for (size_t i = 0; i < built_count; i++)
		free(built_bnodes[i]);
	free(f.bnodes);
	free(f.r);
	zone_unref(f.z);
	return NULL;
}
