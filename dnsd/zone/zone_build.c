/* SPDX-License-Identifier: BSD-3-Clause
 * zone_build.c - the builder's record store: a hash table of names, each with
 * its RRsets and the contributions each record has, marking the zone parts a
 * change touches. Renders nothing: zone_freeze.c and zone_render.c do. */
#include "zone/zone_build.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "util/err.h"
#include "zone/zone_build_impl.h"

static struct build_node **table_find_slot(const struct zone_build *b, const uint8_t *lname, size_t len,
					   uint32_t hash)
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

static int table_resize(struct zone_build *b, uint32_t new_size)
{
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

static int table_grow(struct zone_build *b) { return table_resize(b, (b->table_mask + 1) * 2); }

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

size_t zone_build_release(struct zone_build *b)
{
	size_t released = slab_release(&b->slab);
	/* the table shrinks back when under an eighth full: to at most half */
	uint32_t size = b->table_mask + 1, want = 64;
	while (want < b->node_count * 4)
		want *= 2;
	if (want < size / 2 && table_resize(b, want) == 0)
		released += (size - want) * sizeof(*b->table);
	return released;
}

void zone_build_memory(const struct zone_build *b, size_t *in_use, size_t *mapped)
{
	*in_use += b->slab.in_use;
	*mapped += b->slab.mapped;
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
	case WIRE_TYPE_A: return rdlen == 4;
	case WIRE_TYPE_AAAA: return rdlen == 16;
	case WIRE_TYPE_NS:
	case WIRE_TYPE_CNAME:
	case WIRE_TYPE_PTR:
	case WIRE_TYPE_DNAME: return rdata_name_len(rdata, rdlen, 0) == rdlen;
	case WIRE_TYPE_MX: return rdlen > 2 && rdata_name_len(rdata, rdlen, 2) == (size_t)rdlen - 2;
	case WIRE_TYPE_SRV: return rdlen > 6 && rdata_name_len(rdata, rdlen, 6) == (size_t)rdlen - 6;
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
	case WIRE_TYPE_IXFR: return false; /* meta types are not zone data */
	default: return true;
	}
}

const struct build_node *build_lookup(const struct zone_build *b, const uint8_t *name)
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
	if (len < 1 || len > DNAME_MAX_LEN)
		return DNSD_EINVAL;
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
			struct build_rrset *s = slab_realloc(&b->slab, n->rrsets, n->rrset_cap * sizeof(*s),
							     cap * sizeof(*s));
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

static const struct build_node *node_find(const struct zone_build *b, const uint8_t *owner)
{
	uint8_t lname[DNAME_MAX_LEN];
	size_t len = dname_len(owner);
	dname_lower(lname, owner, len);
	return *table_find_slot(b, lname, len, dname_hash(lname, len));
}

size_t zone_build_rrset_size(const struct zone_build *b, const uint8_t *owner, uint16_t type)
{
	const struct build_node *n = node_find(b, owner);
	if (!n)
		return 0;
	const struct build_rrset *set = node_rrset(n, type);
	return set ? set->count : 0;
}

size_t zone_build_rrset_count(const struct zone_build *b, const uint8_t *owner)
{
	const struct build_node *n = node_find(b, owner);
	return n ? n->rrset_count : 0;
}

int zone_build_remove(struct zone_build *b, const uint8_t *owner, uint16_t type, const uint8_t *rdata,
		      uint16_t rdlen)
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

const uint8_t *zone_build_apex(const struct zone_build *b) { return b->apex; }

bool zone_build_has_soa(const struct zone_build *b) { return apex_soa(b) != NULL; }

bool zone_build_has_apex_ns(const struct zone_build *b)
{
	struct build_node *n = (struct build_node *)build_lookup(b, b->apex);
	struct build_rrset *set = n ? node_rrset(n, WIRE_TYPE_NS) : NULL;
	return set && set->count > 0;
}

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
