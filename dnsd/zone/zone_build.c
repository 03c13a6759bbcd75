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

/* The slot of lname in t: its node's, or the empty one it would go into.
 * t has slots. */
static struct build_node **table_find_slot(const struct build_table *t, const uint8_t *lname, size_t len,
					   uint32_t hash)
{
	uint32_t i = hash & t->mask;
	for (;;) {
		struct build_node **slot = &t->slots[i];
		struct build_node *n = *slot;
		if (!n || (n->hash == hash && n->name_len == len && memcmp(n->lname, lname, len) == 0))
			return slot;
		i = (i + 1) & t->mask;
	}
}

static int table_resize(struct build_table *t, uint32_t new_size)
{
	struct build_node **old = t->slots;
	uint32_t old_size = old ? t->mask + 1 : 0;
	struct build_node **slots = calloc(new_size, sizeof(*slots));
	if (!slots)
		return DNSD_ENOMEM;
	t->slots = slots;
	t->mask = new_size - 1;
	for (uint32_t i = 0; i < old_size; i++)
		if (old[i])
			*table_find_slot(t, old[i]->lname, old[i]->name_len, old[i]->hash) = old[i];
	free(old);
	return 0;
}

/* Room for one more name: at most 3/4 full (linear probing stays short). */
static int table_reserve(struct build_table *t)
{
	uint32_t size = t->slots ? t->mask + 1 : 0;
	if ((t->count + 1u) * 4u <= size * 3u)
		return 0;
	return table_resize(t, size ? size * 2 : 8);
}

static size_t table_bytes(const struct build_table *t)
{
	return t->slots ? (t->mask + 1u) * sizeof(*t->slots) : 0;
}

/* Linear-probing deletion by backward shift, so lookups need no tombstones. */
static void table_delete(struct build_table *t, struct build_node **slot)
{
	uint32_t i = (uint32_t)(slot - t->slots);
	uint32_t j = i;
	t->slots[i] = NULL;
	t->count--;
	for (;;) {
		j = (j + 1) & t->mask;
		struct build_node *n = t->slots[j];
		if (!n)
			return;
		uint32_t home = n->hash & t->mask;
		/* move n back to i if its home is not cyclically within (i, j] */
		bool stays = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			t->slots[i] = n;
			t->slots[j] = NULL;
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
	b->buf = malloc(BLOB_MAX + 1024);
	if (!b->buf) {
		zone_build_free(b);
		return NULL;
	}
	return b;
}

static size_t node_size(const struct build_node *n)
{
	return (n->has & BUILD_NODE_INDEXED) ? node_index(n)->cap : NODE_SIZE(n->name_len, n->data_len);
}

/* Frees node n (its index too) and counts it gone. */
static void node_free(struct zone_build *b, struct build_node *n)
{
	size_t size = node_size(n);
	if (n->has & BUILD_NODE_INDEXED) {
		index_free(n);
		b->indexed_count--;
	}
	slab_free(&b->slab, n, size);
}

/* Shrinks t back to the size table_reserve() would have grown it to for
 * the names it holds now, as a fresh start's (the soak of issue #14 ended
 * with tables sized for its peak); an empty one wholly. Returns the bytes
 * given back. */
static size_t table_shrink(struct build_table *t)
{
	uint32_t size = t->slots ? t->mask + 1 : 0, want = 8;
	while (t->count * 4u > want * 3u)
		want *= 2;
	if (t->count == 0 && t->slots) {
		free(t->slots);
		t->slots = NULL;
		t->mask = 0;
		return size * sizeof(*t->slots);
	}
	if (want < size && table_resize(t, want) == 0)
		return (size - want) * sizeof(*t->slots);
	return 0;
}

size_t zone_build_release(struct zone_build *b)
{
	size_t released = slab_release(&b->slab);
	for (unsigned pi = 0; pi <= ZONE_PARTS; pi++)
		released += table_shrink(&b->tables[pi]);
	return released;
}

void zone_build_set_fill(struct zone_build *b, zone_build_fill_fn *fn, void *ctx)
{
	b->fill = fn;
	b->fill_ctx = ctx;
}

int build_fill(struct zone_build *b, unsigned part)
{
	if (!b->fill || !b->is_freezing || b->filled[part])
		return 0;
	/* 2: nothing of the builder's own is there (a Kubernetes-only part) */
	b->filled[part] = b->tables[part].count == 0 ? 2 : 1;
	b->fill(b->fill_ctx, b, part, true);
	/* a name given many records on the way in got an index: renders
	 * read plain nodes only */
	return zone_build_unindex(b);
}

/* Empties a part that held only what a fill brought, node by node without
 * finding each record; false (nothing done) when one of its names has a
 * CNAME, SOA or NS, whose counts the removals must keep. */
static bool part_drop(struct zone_build *b, unsigned part)
{
	struct build_table *t = &b->tables[part];
	FOR_TABLE_NODES(t, n)
	{
		if (n->has & (BUILD_HAS_CNAME | BUILD_HAS_SOA | BUILD_HAS_NS))
			return false;
	}
	FOR_TABLE_NODES(t, n)
	{
		struct build_rrset set;
		for (const uint8_t *pos = node_records(n); node_rrset_next(n, &pos, &set);)
			b->record_count -= set.count;
		node_free(b, n);
		b->node_count--;
	}
	free(t->slots);
	*t = (struct build_table){ 0 };
	return true;
}

void build_unfill(struct zone_build *b, unsigned part)
{
	if (!b->filled[part])
		return;
	bool was_empty = b->filled[part] == 2;
	b->filled[part] = 0;
	if (was_empty && b->indexed_count == 0 && part_drop(b, part))
		return;
	b->fill(b->fill_ctx, b, part, false);
	/* the part's table was sized for its records in passing: the next
	 * freeze of this part grows it again */
	table_shrink(&b->tables[part]);
}

void build_unfill_all(struct zone_build *b)
{
	for (unsigned pi = 0; pi <= ZONE_PARTS; pi++)
		build_unfill(b, pi);
}

void zone_build_mark_dirty(struct zone_build *b, unsigned part)
{
	if (part > 0)
		zone_partset_add(&b->dirty, part);
}

void zone_build_memory(const struct zone_build *b, size_t *in_use, size_t *mapped)
{
	size_t tables = 0;
	for (unsigned pi = 0; pi <= ZONE_PARTS; pi++)
		tables += table_bytes(&b->tables[pi]);
	*in_use += b->slab.in_use + tables;
	*mapped += b->slab.mapped + tables;
}

void zone_build_free(struct zone_build *b)
{
	if (!b)
		return;
	for (unsigned pi = 0; pi <= ZONE_PARTS; pi++) {
		struct build_table *t = &b->tables[pi];
		FOR_TABLE_NODES(t, n)
		node_free(b, n);
		free(t->slots);
	}
	slab_clear(&b->slab);
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

/* The offset in rdata of the name that ends it, for the types whose rdata
 * does; -1 for the others. */
static int rdata_tail_name_off(uint16_t type)
{
	switch (type) {
	case WIRE_TYPE_NS:
	case WIRE_TYPE_CNAME:
	case WIRE_TYPE_PTR:
	case WIRE_TYPE_DNAME: return 0;
	case WIRE_TYPE_MX: return 2;
	case WIRE_TYPE_SRV: return 6;
	default: return -1;
	}
}

/* The record's tail field: where in the owner's name (lname, len) the name
 * ending rdata begins when it is a suffix of it byte for byte, else
 * BUILD_RR_WHOLE. */
static uint8_t rdata_tail(uint16_t type, const uint8_t *rdata, uint16_t rdlen, const uint8_t *lname,
			  size_t len)
{
	int off = rdata_tail_name_off(type);
	if (off < 0 || rdlen <= off)
		return BUILD_RR_WHOLE;
	size_t tl = (size_t)rdlen - (size_t)off;
	for (size_t t = 0; t < len; t += (size_t)lname[t] + 1)
		if (len - t == tl)
			return memcmp(lname + t, rdata + off, tl) == 0 ? (uint8_t)t : BUILD_RR_WHOLE;
	return BUILD_RR_WHOLE;
}

uint16_t node_rrset_count(const struct build_node *n)
{
	uint16_t count = 0, type = 0;
	for (const uint8_t *p = node_records(n), *end = p + n->data_len; p < end; p += build_rr_size(n, p)) {
		uint16_t t = build_rr_type(p);
		if (count == 0 || t != type)
			count++;
		type = t;
	}
	return count;
}

bool node_rrset_next(const struct build_node *n, const uint8_t **pos, struct build_rrset *out)
{
	const uint8_t *p = *pos, *end = node_records(n) + n->data_len;
	if (p >= end)
		return false;
	out->node = n;
	out->begin = p;
	out->type = build_rr_type(p);
	out->count = 0;
	while (p < end && build_rr_type(p) == out->type) {
		p += build_rr_size(n, p);
		out->count++;
	}
	out->end = p;
	*pos = p;
	return true;
}

bool node_rrset(const struct build_node *n, uint16_t type, struct build_rrset *out)
{
	uint8_t bit = build_has_bit(type);
	if (bit && !(n->has & bit))
		return false;
	const uint8_t *p = node_records(n), *end = p + n->data_len;
	while (p < end) {
		uint16_t t = build_rr_type(p);
		if (t == type)
			return node_rrset_next(n, &p, out);
		if (t > type)
			return false;
		p += build_rr_size(n, p);
	}
	return false;
}

/* Lowers owner into lname and finds its slot; NULL (nothing to find) when
 * its part has no table yet. */
static struct build_node **node_slot(const struct zone_build *b, const uint8_t *owner, uint8_t *lname,
				     size_t *len, uint32_t *hash, unsigned *part)
{
	*len = dname_len(owner);
	dname_lower(lname, owner, *len);
	*hash = dname_hash(lname, *len);
	*part = dname_is_subdomain(lname, *len, b->apex, b->apex_len)
			? zone_part_index(b->apex_len, lname, *len)
			: 0;
	const struct build_table *t = &b->tables[*part];
	return t->slots ? table_find_slot(t, lname, *len, *hash) : NULL;
}

const struct build_node *build_lookup(const struct zone_build *b, const uint8_t *name)
{
	uint8_t lname[DNAME_MAX_LEN];
	size_t len;
	uint32_t hash;
	unsigned part;
	struct build_node **slot = node_slot(b, name, lname, &len, &hash, &part);
	return slot ? *slot : NULL;
}

static void count_rrset(struct zone_build *b, struct build_node *n, uint16_t type, int delta)
{
	n->has = (uint8_t)(delta > 0 ? n->has | build_has_bit(type) : n->has & ~build_has_bit(type));
	if (type == WIRE_TYPE_CNAME)
		b->cname_sets += (size_t)delta;
	else if (type == WIRE_TYPE_NS && n->name_len != b->apex_len)
		b->cut_sets += (size_t)delta;
}

/* Orders records as answers list them: by rdata bytes, then length. */
static int rdata_cmp(const uint8_t *x, uint16_t xl, const uint8_t *y, uint16_t yl)
{
	int c = memcmp(x, y, xl < yl ? xl : yl);
	return c ? c : (int)xl - (int)yl;
}

/* Where a record of (type, rdata) is or would go in n: *found when it is
 * there (rr decoded). Sets *is_new_set when n has no record of type. */
static uint8_t *node_find_rr(const struct build_node *n, uint16_t type, const uint8_t *rdata, uint16_t rdlen,
			     struct build_rr *rr, bool *found, bool *is_new_set)
{
	uint8_t scratch[BUILD_RR_SCRATCH];
	const uint8_t *p = node_records(n), *end = p + n->data_len;
	*found = false;
	*is_new_set = true;
	while (p < end) {
		uint16_t t = build_rr_type(p);
		if (t > type)
			break;
		size_t size = build_rr_decode(n, p, rr, scratch);
		if (t == type) {
			*is_new_set = false;
			int c = rdata_cmp(rr->rdata, rr->rdlen, rdata, rdlen);
			if (c == 0)
				*found = true;
			if (c >= 0)
				break;
		}
		p += size;
	}
	return (uint8_t *)p;
}

/* Moves the node in *slot from a block of old_size bytes to one of
 * new_size and puts it back in its slot. Shrinking cannot fail: when no
 * smaller block can be had, the node stays where it is and the slab counts
 * the difference as freed (the block is freed later by its smaller size,
 * into the smaller class: the rest is lost until slab_clear(), nothing
 * else). Returns the node, NULL when growing fails (*slot unchanged). */
static struct build_node *node_resize(struct zone_build *b, struct build_node **slot, size_t old_size,
				      size_t new_size)
{
	struct build_node *m = slab_realloc(&b->slab, *slot, old_size, new_size);
	if (!m) {
		if (new_size > old_size)
			return NULL;
		b->slab.in_use -= old_size - new_size;
		return *slot;
	}
	*slot = m;
	return m;
}

/* Makes the old_len bytes at offset off of the records of the node in
 * *slot new_len bytes long (the rest moves; the caller writes the new
 * bytes). Returns where they begin, NULL when growing fails (nothing
 * changed). */
static uint8_t *node_splice(struct zone_build *b, struct build_node **slot, size_t off, size_t old_len,
			    size_t new_len)
{
	struct build_node *n = *slot;
	size_t old_size = node_size(n), rest = n->data_len - off - old_len;
	if (new_len > old_len) {
		if ((size_t)n->data_len + (new_len - old_len) > UINT32_MAX ||
		    !(n = node_resize(b, slot, old_size, old_size + (new_len - old_len))))
			return NULL;
	}
	uint8_t *recs = n->lname + n->name_len;
	memmove(recs + off + new_len, recs + off + old_len, rest);
	n->data_len = (uint32_t)(n->data_len - old_len + new_len);
	if (new_len < old_len)
		n = node_resize(b, slot, old_size, node_size(n));
	return n->lname + n->name_len + off;
}

/* Rewrites the header of the record at offset off (rr, as decoded) with
 * new TTL and contributions. */
static int rr_header_update(struct zone_build *b, struct build_node **slot, size_t off,
			    const struct build_rr *rr, uint32_t ttl, uint32_t refs)
{
	uint8_t h[BUILD_RR_HEADER_MAX];
	size_t len = build_rr_header_put(h, rr->type, rr->rdlen, ttl, refs, rr->tail);
	uint8_t *p = node_splice(b, slot, off, rr->header_len, len);
	if (!p)
		return DNSD_ENOMEM;
	memcpy(p, h, len);
	return 0;
}

/* What zone_build_add() takes: an owner in the zone (lowered into lname,
 * its length in *len) and valid rdata; 0 or DNSD_EINVAL. */
static int record_check(const struct zone_build *b, const uint8_t *owner, uint16_t type, const uint8_t *rdata,
			uint16_t rdlen, uint8_t *lname, size_t *len)
{
	*len = dname_len(owner);
	if (*len < 1 || *len > DNAME_MAX_LEN)
		return DNSD_EINVAL;
	dname_lower(lname, owner, *len);
	if (!dname_is_subdomain(lname, *len, b->apex, b->apex_len) || !rdata_is_valid(type, rdata, rdlen))
		return DNSD_EINVAL;
	return 0;
}

int zone_build_check(const struct zone_build *b, const uint8_t *owner, uint16_t type, const uint8_t *rdata,
		     uint16_t rdlen)
{
	uint8_t lname[DNAME_MAX_LEN];
	size_t len;
	return record_check(b, owner, type, rdata, rdlen, lname, &len);
}

int zone_build_add(struct zone_build *b, const uint8_t *owner, uint16_t type, uint32_t ttl_s,
		   const uint8_t *rdata, uint16_t rdlen)
{
	uint8_t lname[DNAME_MAX_LEN];
	size_t len;
	if (record_check(b, owner, type, rdata, rdlen, lname, &len) != 0)
		return DNSD_EINVAL;
	uint32_t hash = dname_hash(lname, len);
	unsigned part = zone_part_index(b->apex_len, lname, len);
	struct build_table *t = &b->tables[part];
	struct build_node **slot = t->slots ? table_find_slot(t, lname, len, hash) : NULL;
	bool is_new_node = !slot || !*slot;
	if (is_new_node) {
		if (table_reserve(t) != 0)
			return DNSD_ENOMEM;
		slot = table_find_slot(t, lname, len, hash);
		struct build_node *fresh = slab_alloc(&b->slab, NODE_SIZE(len, 0));
		if (!fresh)
			return DNSD_ENOMEM;
		memset(fresh, 0, NODE_SIZE(0, 0));
		memcpy(fresh->lname, lname, len);
		fresh->name_len = (uint8_t)len;
		fresh->hash = hash;
		*slot = fresh;
		t->count++;
		b->node_count++;
	}
	zone_build_mark_dirty(b, part);
	uint8_t tail = rdata_tail(type, rdata, rdlen, lname, len);
	size_t stored = tail == BUILD_RR_WHOLE ? rdlen : (size_t)rdlen - (len - tail);
	uint8_t h[BUILD_RR_HEADER_MAX];
	size_t hlen = build_rr_header_put(h, type, rdlen, ttl_s, 1, tail);
	if (node_is_big(*slot))
		index_enter(b, slot); /* out of memory: the walk below still works */
	if ((*slot)->has & BUILD_NODE_INDEXED) {
		int set_delta;
		bool is_new;
		int rc = index_add(b, slot, h, hlen, rdata, rdlen, rdata, stored, &set_delta, &is_new);
		if (rc == 0 && set_delta)
			count_rrset(b, *slot, type, set_delta);
		if (rc == 0 && is_new)
			b->record_count++;
		return rc;
	}
	struct build_rr rr;
	bool found, is_new_set;
	size_t off = (size_t)(node_find_rr(*slot, type, rdata, rdlen, &rr, &found, &is_new_set) -
			      node_records(*slot));
	if (found) {
		if (rr.refs == UINT32_MAX)
			return DNSD_ELIMIT;
		return rr_header_update(b, slot, off, &rr, ttl_s < rr.ttl ? ttl_s : rr.ttl, rr.refs + 1);
	}
	uint8_t *p = node_splice(b, slot, off, 0, hlen + stored);
	if (!p) {
		if (is_new_node) {
			struct build_node *n = *slot;
			table_delete(t, slot);
			slab_free(&b->slab, n, NODE_SIZE(len, 0));
			b->node_count--;
		}
		return DNSD_ENOMEM;
	}
	memcpy(p, h, hlen);
	memcpy(p + hlen, rdata, stored);
	if (is_new_set)
		count_rrset(b, *slot, type, 1);
	b->record_count++;
	return 0;
}

size_t zone_build_rrset_size(const struct zone_build *b, const uint8_t *owner, uint16_t type)
{
	const struct build_node *n = build_lookup(b, owner);
	struct build_rrset set;
	const uint8_t *first;
	if (n && (n->has & BUILD_NODE_INDEXED))
		return (build_has_bit(type) & ~n->has) ? 0 : index_rrset_size(n, type, &first);
	return n && node_rrset(n, type, &set) ? set.count : 0;
}

size_t zone_build_rrset_count(const struct zone_build *b, const uint8_t *owner)
{
	const struct build_node *n = build_lookup(b, owner);
	if (n && (n->has & BUILD_NODE_INDEXED))
		return index_rrset_count(n);
	return n ? node_rrset_count(n) : 0;
}

int zone_build_unindex(struct zone_build *b)
{
	for (unsigned pi = 0; pi <= ZONE_PARTS && b->indexed_count > 0; pi++) {
		struct build_table *t = &b->tables[pi];
		for (uint32_t i = 0; t->slots && i <= t->mask; i++)
			if (t->slots[i] && (t->slots[i]->has & BUILD_NODE_INDEXED) &&
			    index_leave(b, &t->slots[i]) != 0)
				return DNSD_ENOMEM;
	}
	return 0;
}

int zone_build_remove(struct zone_build *b, const uint8_t *owner, uint16_t type, const uint8_t *rdata,
		      uint16_t rdlen)
{
	uint8_t lname[DNAME_MAX_LEN];
	size_t len;
	uint32_t hash;
	unsigned part;
	struct build_node **slot = node_slot(b, owner, lname, &len, &hash, &part);
	struct build_node *n = slot ? *slot : NULL;
	if (!n)
		return DNSD_ENOENT;
	if (node_is_big(n) && index_enter(b, slot) == 0)
		n = *slot;
	if (n->has & BUILD_NODE_INDEXED) {
		int set_delta;
		bool is_gone;
		int rc = index_remove(b, n, type, rdata, rdlen, &set_delta, &is_gone);
		if (rc != 0)
			return rc;
		zone_build_mark_dirty(b, part);
		if (set_delta)
			count_rrset(b, n, type, set_delta);
		if (is_gone)
			b->record_count--;
		if (node_index(n)->live == 0) {
			table_delete(&b->tables[part], slot);
			node_free(b, n);
			b->node_count--;
		}
		return 0;
	}
	struct build_rr rr;
	bool found, is_new_set;
	const uint8_t *at = node_find_rr(n, type, rdata, rdlen, &rr, &found, &is_new_set);
	if (!found)
		return DNSD_ENOENT;
	zone_build_mark_dirty(b, part);
	size_t off = (size_t)(at - node_records(n));
	if (rr.refs > 1) {
		/* a shorter header: node_splice() shrinks, which cannot fail */
		return rr_header_update(b, slot, off, &rr, rr.ttl, rr.refs - 1);
	}
	b->record_count--;
	struct build_rrset set;
	node_rrset(n, type, &set);
	if (set.count == 1)
		count_rrset(b, n, type, -1);
	uint8_t scratch[BUILD_RR_SCRATCH];
	size_t size = build_rr_decode(n, at, &rr, scratch);
	if (size == n->data_len) {
		table_delete(&b->tables[part], slot);
		node_free(b, n);
		b->node_count--;
		return 0;
	}
	node_splice(b, slot, off, size, 0);
	return 0;
}

static const uint8_t *apex_soa(const struct zone_build *b, struct build_rr *rr)
{
	const struct build_node *n = build_lookup(b, b->apex);
	struct build_rrset set;
	uint8_t scratch[BUILD_RR_SCRATCH];
	if (n && (n->has & BUILD_NODE_INDEXED)) {
		const uint8_t *first;
		if (!(n->has & BUILD_HAS_SOA) || index_rrset_size(n, WIRE_TYPE_SOA, &first) == 0)
			return NULL;
		build_rr_decode(n, first, rr, scratch);
		return first;
	}
	if (!n || !node_rrset(n, WIRE_TYPE_SOA, &set) || set.count == 0)
		return NULL;
	build_rr_decode(n, set.begin, rr, scratch);
	return set.begin;
}

const uint8_t *zone_build_apex(const struct zone_build *b) { return b->apex; }

bool zone_build_has_soa(const struct zone_build *b)
{
	struct build_rr rr;
	return apex_soa(b, &rr) != NULL;
}

bool zone_build_has_apex_ns(const struct zone_build *b)
{
	const struct build_node *n = build_lookup(b, b->apex);
	if (n && (n->has & BUILD_NODE_INDEXED))
		return (n->has & BUILD_HAS_NS) != 0;
	return n && node_has_type(n, WIRE_TYPE_NS);
}

uint32_t zone_build_serial(const struct zone_build *b)
{
	struct build_rr soa;
	return apex_soa(b, &soa) ? wire_read_u32(soa.rdata + soa.rdlen - 20) : 0;
}

void zone_build_set_serial(struct zone_build *b, uint32_t serial)
{
	struct build_rr soa;
	/* an SOA's rdata is stored whole (it ends in numbers, not a name) */
	if (apex_soa(b, &soa))
		wire_write_u32((uint8_t *)soa.rdata + soa.rdlen - 20, serial);
}
