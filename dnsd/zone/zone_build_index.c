/* SPDX-License-Identifier: BSD-3-Clause
 * zone_build_index.c - names with many records (issue #15): once a name's
 * records pass BUILD_INDEX_MIN bytes, adding and removing one stops walking
 * and moving them all. The node gets a hash index of its live records and a
 * block with room to grow (doubling); an add appends (or updates the header
 * in place), a remove rewrites the header in place (a record at no
 * contributions stays as a tombstone), so both cost O(1) expected instead of
 * O(records). Before anything reads the records in answer order (a freeze),
 * index_leave() sorts the live ones back into the plain layout of
 * zone_build_impl.h, O(n log n) once. Build time only; private to the
 * builder (zone_build.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "util/err.h"
#include "util/siphash.h"
#include "zone/zone_build_impl.h"

/* Where in an indexed node's block the index pointer lies: after the
 * records, 8-aligned (it moves as they grow; the block has room for it). */
static size_t index_ptr_off(const struct build_node *n)
{
	return (NODE_SIZE(n->name_len, n->data_len) + 7u) & ~(size_t)7u;
}

struct build_index *node_index(const struct build_node *n)
{
	struct build_index *x;
	memcpy(&x, (const uint8_t *)n + index_ptr_off(n), sizeof(x));
	return x;
}

static void index_ptr_put(struct build_node *n, struct build_index *x)
{
	memcpy((uint8_t *)n + index_ptr_off(n), &x, sizeof(x));
}

static size_t varint_len(uint32_t v)
{
	size_t i = 1;
	while (v >= 0x80) {
		v >>= 7;
		i++;
	}
	return i;
}

/* Writes v in exactly len bytes (LEB128 allows continuation bytes with no
 * bits: 0 in 3 bytes is 80 80 00), so a header changes without moving the
 * records after it; varint_len(v) <= len. */
static void varint_put_len(uint8_t *p, uint32_t v, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		p[i] = (uint8_t)((v & 0x7F) | 0x80);
		v >>= 7;
	}
	p[len - 1] = (uint8_t)v;
}

static size_t varint_skip(const uint8_t *p)
{
	size_t i = 0;
	while (p[i] & 0x80)
		i++;
	return i + 1;
}

/* The offsets and lengths of the TTL and refs varints of the record at p. */
static void rr_fields(const uint8_t *p, size_t *ttl_off, size_t *ttl_len, size_t *refs_off, size_t *refs_len)
{
	size_t i = varint_skip(p);
	i += varint_skip(p + i);
	*ttl_off = i;
	*ttl_len = varint_skip(p + i);
	*refs_off = i + *ttl_len;
	*refs_len = varint_skip(p + *refs_off);
}

static uint32_t index_hash(const struct build_index *x, uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
	uint64_t h = siphash24(x->key, rdata, rdlen) ^ ((uint64_t)type * 0x9E3779B97F4A7C15ull);
	return (uint32_t)(h ^ (h >> 32));
}

static int index_type_slot(uint16_t type)
{
	switch (type) {
	case WIRE_TYPE_CNAME: return 0;
	case WIRE_TYPE_SOA: return 1;
	case WIRE_TYPE_NS: return 2;
	default: return -1;
	}
}

/* The slot of (type, rdata): its record's (*found, decoded into rr) or the
 * empty one it would take. */
static uint32_t index_find(const struct build_index *x, const struct build_node *n, uint16_t type,
			   const uint8_t *rdata, uint16_t rdlen, struct build_rr *rr, bool *found)
{
	uint8_t scratch[BUILD_RR_SCRATCH];
	uint32_t i = index_hash(x, type, rdata, rdlen) & x->mask;
	for (;; i = (i + 1) & x->mask) {
		uint32_t v = x->slots[i];
		if (v == 0) {
			*found = false;
			return i;
		}
		build_rr_decode(n, node_records(n) + v - 1, rr, scratch);
		if (rr->type == type && rr->rdlen == rdlen && memcmp(rr->rdata, rdata, rdlen) == 0) {
			*found = true;
			return i;
		}
	}
}

/* Inserts the record at offset off (not present); the table has room. */
static void index_put(struct build_index *x, const struct build_node *n, uint32_t off)
{
	uint8_t scratch[BUILD_RR_SCRATCH];
	struct build_rr rr;
	build_rr_decode(n, node_records(n) + off, &rr, scratch);
	bool found;
	struct build_rr other;
	uint32_t i = index_find(x, n, rr.type, rr.rdata, rr.rdlen, &other, &found);
	x->slots[i] = off + 1;
	x->used++;
}

/* Linear-probing deletion by backward shift (as the name tables do). */
static void index_delete(struct build_index *x, const struct build_node *n, uint32_t i)
{
	uint8_t scratch[BUILD_RR_SCRATCH];
	x->slots[i] = 0;
	x->used--;
	for (uint32_t j = i;;) {
		j = (j + 1) & x->mask;
		uint32_t v = x->slots[j];
		if (v == 0)
			return;
		struct build_rr rr;
		build_rr_decode(n, node_records(n) + v - 1, &rr, scratch);
		uint32_t home = index_hash(x, rr.type, rr.rdata, rr.rdlen) & x->mask;
		bool stays = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			x->slots[i] = v;
			x->slots[j] = 0;
			i = j;
		}
	}
}

/* Rebuilds the table with room for want records at most 1/2 full. */
static int index_rehash(struct build_index *x, const struct build_node *n, uint32_t want)
{
	uint32_t size = 16;
	while (size < 2 * want)
		size *= 2;
	uint32_t *old = x->slots, old_size = old ? x->mask + 1 : 0;
	x->slots = calloc(size, sizeof(*x->slots));
	if (!x->slots) {
		x->slots = old;
		return DNSD_ENOMEM;
	}
	x->mask = size - 1;
	x->used = 0;
	for (uint32_t i = 0; i < old_size; i++)
		if (old[i])
			index_put(x, n, old[i] - 1);
	free(old);
	return 0;
}

/* Moves the node in *slot to a block of cap bytes (the records and name
 * copied, the index pointer written after them). */
static struct build_node *index_move(struct zone_build *b, struct build_node **slot, struct build_index *x,
				     size_t cap)
{
	struct build_node *n = *slot, *m = slab_alloc(&b->slab, cap);
	if (!m)
		return NULL;
	memcpy(m, n, NODE_SIZE(n->name_len, n->data_len));
	slab_free(&b->slab, n, (n->has & BUILD_NODE_INDEXED) ? x->cap : NODE_SIZE(n->name_len, n->data_len));
	x->cap = cap;
	m->has |= BUILD_NODE_INDEXED;
	index_ptr_put(m, x);
	*slot = m;
	return m;
}

int index_enter(struct zone_build *b, struct build_node **slot)
{
	struct build_node *n = *slot;
	struct build_index *x = calloc(1, sizeof(*x));
	if (!x)
		return DNSD_ENOMEM;
	if (getrandom(x->key, sizeof(x->key), 0) != (ssize_t)sizeof(x->key))
		memcpy(x->key, &x, sizeof(x)); /* a weaker key, never none */
	uint32_t count = 0;
	for (const uint8_t *p = node_records(n), *end = p + n->data_len; p < end; p += build_rr_size(n, p)) {
		count++;
		int k = index_type_slot(build_rr_type(p));
		if (k >= 0)
			x->type_live[k]++;
	}
	x->live = count;
	if (index_rehash(x, n, count) != 0) {
		free(x);
		return DNSD_ENOMEM;
	}
	size_t cap = 2 * (index_ptr_off(n) + sizeof(x));
	if (!(n = index_move(b, slot, x, cap))) {
		free(x->slots);
		free(x);
		return DNSD_ENOMEM;
	}
	for (const uint8_t *p = node_records(n), *end = p + n->data_len; p < end; p += build_rr_size(n, p))
		index_put(x, n, (uint32_t)(p - node_records(n)));
	b->indexed_count++;
	return 0;
}

/* Rewrites the TTL and refs of the record at p in place when they fit in
 * the bytes they have; false when one needs more. */
static bool rr_rewrite(uint8_t *p, uint32_t ttl, uint32_t refs)
{
	size_t ttl_off, ttl_len, refs_off, refs_len;
	rr_fields(p, &ttl_off, &ttl_len, &refs_off, &refs_len);
	if (varint_len(ttl) > ttl_len || varint_len(refs) > refs_len)
		return false;
	varint_put_len(p + ttl_off, ttl, ttl_len);
	varint_put_len(p + refs_off, refs, refs_len);
	return true;
}

/* Appends a record (header h of hlen bytes, then stored bytes of rdata),
 * growing the block by doubling; returns its offset, or -1 when out of
 * memory (nothing changed). */
static long index_append(struct zone_build *b, struct build_node **slot, struct build_index *x,
			 const uint8_t *h, size_t hlen, const uint8_t *stored, size_t stored_len)
{
	struct build_node *n = *slot;
	size_t add = hlen + stored_len;
	if ((size_t)n->data_len + add > UINT32_MAX - 64)
		return -1;
	size_t need = ((NODE_SIZE(n->name_len, n->data_len + add) + 7u) & ~(size_t)7u) + sizeof(x);
	if (need > x->cap && !(n = index_move(b, slot, x, 2 * need)))
		return -1;
	long off = (long)n->data_len;
	uint8_t *p = n->lname + n->name_len + n->data_len;
	memcpy(p, h, hlen);
	memcpy(p + hlen, stored, stored_len);
	n->data_len += (uint32_t)add;
	index_ptr_put(n, x);
	return off;
}

int index_add(struct zone_build *b, struct build_node **slot, const uint8_t *h, size_t hlen,
	      const uint8_t *rdata, uint16_t rdlen, const uint8_t *stored, size_t stored_len, int *set_delta,
	      bool *is_new)
{
	struct build_node *n = *slot;
	struct build_index *x = node_index(n);
	uint32_t type, ttl;
	size_t i = build_varint_get(h, &type);
	i += varint_skip(h + i);
	build_varint_get(h + i, &ttl);
	*set_delta = 0;
	*is_new = false;
	if (x->used + 1 > (x->mask + 1) / 2 && index_rehash(x, n, x->used + 1) != 0)
		return DNSD_ENOMEM;
	struct build_rr rr;
	bool found;
	uint32_t si = index_find(x, n, (uint16_t)type, rdata, rdlen, &rr, &found);
	if (found) {
		if (rr.refs == UINT32_MAX)
			return DNSD_ELIMIT;
		uint32_t new_ttl = ttl < rr.ttl ? ttl : rr.ttl, off = x->slots[si] - 1;
		if (rr_rewrite(n->lname + n->name_len + off, new_ttl, rr.refs + 1))
			return 0;
		/* a header that needs more bytes: the record moves to the end, its
		 * old place a tombstone */
		uint8_t nh[BUILD_RR_HEADER_MAX];
		size_t nl = build_rr_header_put(nh, (uint16_t)type, rdlen, new_ttl, rr.refs + 1, rr.tail);
		size_t old_size = build_rr_size(n, node_records(n) + off);
		/* the stored bytes are copied out first: the block may move */
		uint8_t keep[BUILD_RR_SCRATCH];
		const uint8_t *src = node_records(n) + off + rr.header_len;
		size_t keep_len = old_size - rr.header_len;
		uint8_t *copy = keep_len <= sizeof(keep) ? keep : malloc(keep_len);
		if (!copy)
			return DNSD_ENOMEM;
		memcpy(copy, src, keep_len);
		long at = index_append(b, slot, x, nh, nl, copy, keep_len);
		if (copy != keep)
			free(copy);
		if (at < 0)
			return DNSD_ENOMEM;
		n = *slot;
		rr_rewrite(n->lname + n->name_len + off, rr.ttl, 0);
		x->slots[si] = (uint32_t)at + 1;
		return 0;
	}
	long at = index_append(b, slot, x, h, hlen, stored, stored_len);
	if (at < 0)
		return DNSD_ENOMEM;
	x->slots[si] = (uint32_t)at + 1;
	x->used++;
	x->live++;
	*is_new = true;
	int k = index_type_slot((uint16_t)type);
	if (k >= 0 && x->type_live[k]++ == 0)
		*set_delta = 1;
	return 0;
}

int index_remove(struct zone_build *b, struct build_node *n, uint16_t type, const uint8_t *rdata,
		 uint16_t rdlen, int *set_delta, bool *is_gone)
{
	(void)b;
	struct build_index *x = node_index(n);
	struct build_rr rr;
	bool found;
	*set_delta = 0;
	*is_gone = false;
	uint32_t si = index_find(x, n, type, rdata, rdlen, &rr, &found);
	if (!found)
		return DNSD_ENOENT;
	uint8_t *p = n->lname + n->name_len + x->slots[si] - 1;
	rr_rewrite(p, rr.ttl, rr.refs - 1); /* fewer contributions never need more bytes */
	if (rr.refs > 1)
		return 0;
	index_delete(x, n, si);
	x->live--;
	*is_gone = true;
	int k = index_type_slot(type);
	if (k >= 0 && --x->type_live[k] == 0)
		*set_delta = -1;
	return 0;
}

void index_free(struct build_node *n)
{
	struct build_index *x = node_index(n);
	free(x->slots);
	free(x);
}

/* Orders records as answers list them (zone_build.c rdata_cmp): by type,
 * then rdata bytes, then length. */
static int rr_order(const void *a, const void *b_, void *arg)
{
	const struct build_node *n = arg;
	uint8_t sa[BUILD_RR_SCRATCH], sb[BUILD_RR_SCRATCH];
	struct build_rr x, y;
	build_rr_decode(n, node_records(n) + *(const uint32_t *)a, &x, sa);
	build_rr_decode(n, node_records(n) + *(const uint32_t *)b_, &y, sb);
	if (x.type != y.type)
		return x.type < y.type ? -1 : 1;
	int c = memcmp(x.rdata, y.rdata, x.rdlen < y.rdlen ? x.rdlen : y.rdlen);
	return c ? c : (int)x.rdlen - (int)y.rdlen;
}

int index_leave(struct zone_build *b, struct build_node **slot)
{
	struct build_node *n = *slot;
	struct build_index *x = node_index(n);
	uint32_t *offs = malloc(((size_t)x->live + 1) * sizeof(*offs));
	if (!offs)
		return DNSD_ENOMEM;
	uint32_t count = 0;
	size_t data_len = 0;
	const uint8_t *recs = node_records(n);
	uint8_t scratch[BUILD_RR_SCRATCH];
	for (const uint8_t *p = recs, *end = p + n->data_len; p < end;) {
		struct build_rr rr;
		size_t size = build_rr_decode(n, p, &rr, scratch);
		if (rr.refs > 0) {
			offs[count++] = (uint32_t)(p - recs);
			uint8_t h[BUILD_RR_HEADER_MAX];
			data_len += size - rr.header_len +
				    build_rr_header_put(h, rr.type, rr.rdlen, rr.ttl, rr.refs, rr.tail);
		}
		p += size;
	}
	qsort_r(offs, count, sizeof(*offs), rr_order, n);
	struct build_node *m = slab_alloc(&b->slab, NODE_SIZE(n->name_len, data_len));
	if (!m) {
		free(offs);
		return DNSD_ENOMEM;
	}
	memcpy(m, n, NODE_SIZE(n->name_len, 0));
	m->has &= (uint8_t)~BUILD_NODE_INDEXED;
	m->data_len = (uint32_t)data_len;
	uint8_t *q = m->lname + m->name_len;
	for (uint32_t i = 0; i < count; i++) {
		struct build_rr rr;
		const uint8_t *p = recs + offs[i];
		size_t size = build_rr_decode(n, p, &rr, scratch);
		q += build_rr_header_put(q, rr.type, rr.rdlen, rr.ttl, rr.refs, rr.tail);
		memcpy(q, p + rr.header_len, size - rr.header_len);
		q += size - rr.header_len;
	}
	free(offs);
	size_t cap = x->cap;
	index_free(n);
	slab_free(&b->slab, n, cap);
	*slot = m;
	b->indexed_count--;
	return 0;
}

size_t index_rrset_size(const struct build_node *n, uint16_t type, const uint8_t **first)
{
	size_t count = 0;
	uint8_t scratch[BUILD_RR_SCRATCH];
	*first = NULL;
	for (const uint8_t *p = node_records(n), *end = p + n->data_len; p < end;) {
		struct build_rr rr;
		size_t size = build_rr_decode(n, p, &rr, scratch);
		if (rr.type == type && rr.refs > 0 && count++ == 0)
			*first = p;
		p += size;
	}
	return count;
}

size_t index_rrset_count(const struct build_node *n)
{
	uint8_t seen[65536 / 8] = { 0 };
	size_t count = 0;
	uint8_t scratch[BUILD_RR_SCRATCH];
	for (const uint8_t *p = node_records(n), *end = p + n->data_len; p < end;) {
		struct build_rr rr;
		size_t size = build_rr_decode(n, p, &rr, scratch);
		if (rr.refs > 0 && !(seen[rr.type / 8] & (1u << (rr.type % 8)))) {
			seen[rr.type / 8] |= (uint8_t)(1u << (rr.type % 8));
			count++;
		}
		p += size;
	}
	return count;
}
