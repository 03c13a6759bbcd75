/* SPDX-License-Identifier: BSD-3-Clause
 * journal.c - differences between consecutive frozen zones, and the bounded
 * list of them that each zone snapshot carries for IXFR. */
#include "zone/journal.h"

#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"

static _Atomic size_t memory_bytes;

size_t journal_memory_bytes(void) { return atomic_load_explicit(&memory_bytes, memory_order_relaxed); }

/* A growable byte buffer for packed records. */
struct pack {
	uint8_t *data;
	size_t len, cap;
	size_t count;
	bool is_failed;
};

static void pack_rr(struct pack *p, const struct zone_rr *rr)
{
	size_t need = 1 + rr->owner_len + 8 + rr->rdlen;
	if (p->is_failed)
		return;
	if (p->len + need > p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		while (cap < p->len + need)
			cap *= 2;
		uint8_t *d = realloc(p->data, cap);
		if (!d) {
			p->is_failed = true;
			return;
		}
		p->data = d;
		p->cap = cap;
	}
	uint8_t *w = p->data + p->len;
	w[0] = rr->owner_len;
	memcpy(w + 1, rr->owner, rr->owner_len);
	w += 1 + rr->owner_len;
	wire_write_u16(w, rr->type);
	wire_write_u32(w + 2, rr->ttl_s);
	wire_write_u16(w + 6, rr->rdlen);
	memcpy(w + 8, rr->rdata, rr->rdlen);
	p->len += need;
	p->count++;
}

bool journal_cursor_next(struct journal_cursor *c, struct zone_rr *out)
{
	if (c->p >= c->end)
		return false;
	const uint8_t *p = c->p;
	out->owner_len = p[0];
	out->owner = p + 1;
	p += 1 + out->owner_len;
	out->type = wire_read_u16(p);
	out->ttl_s = wire_read_u32(p + 2);
	out->rdlen = wire_read_u16(p + 6);
	out->rdata = p + 8;
	c->p = p + 8 + out->rdlen;
	return true;
}

/* zone_build's order of records in an RRset: rdata bytes, then length. */
static int rdata_cmp(const struct zone_rr *a, const struct zone_rr *b)
{
	size_t n = a->rdlen < b->rdlen ? a->rdlen : b->rdlen;
	int c = memcmp(a->rdata, b->rdata, n);
	return c ? c : (int)a->rdlen - (int)b->rdlen;
}

static void pack_all(struct pack *p, const struct zone_node *n, uint16_t i)
{
	struct zone_rrset_reader r;
	struct zone_rr rr;
	if (!zone_rrset_reader_init(&r, n, i))
		return;
	while (zone_rrset_reader_next(&r, &rr))
		pack_rr(p, &rr);
}

/* Records of RRset a (old) not in b (new) go to removed, and the reverse to added. */
static void diff_rrset(struct pack *removed, struct pack *added, const struct zone_node *o, uint16_t oi,
		       const struct zone_node *n, uint16_t ni)
{
	if (zone_rrset_equal(o, oi, n, ni))
		return;
	struct zone_rrset_reader ro, rn;
	if (!zone_rrset_reader_init(&ro, o, oi) || !zone_rrset_reader_init(&rn, n, ni))
		return;
	struct zone_rr a, b;
	bool has_a = zone_rrset_reader_next(&ro, &a), has_b = zone_rrset_reader_next(&rn, &b);
	/* the TTL is the RRset's (RFC 2181 §5.2): when it moved, every record did */
	if (has_a && has_b && a.ttl_s != b.ttl_s) {
		pack_all(removed, o, oi);
		pack_all(added, n, ni);
		return;
	}
	while (has_a || has_b) {
		int c = !has_a ? 1 : !has_b ? -1 : rdata_cmp(&a, &b);
		if (c < 0) {
			pack_rr(removed, &a);
			has_a = zone_rrset_reader_next(&ro, &a);
		} else if (c > 0) {
			pack_rr(added, &b);
			has_b = zone_rrset_reader_next(&rn, &b);
		} else {
			has_a = zone_rrset_reader_next(&ro, &a);
			has_b = zone_rrset_reader_next(&rn, &b);
		}
	}
}

static long find_type(const struct zone_node *n, uint16_t type)
{
	for (uint16_t i = 0; n && i < n->type_count; i++)
		if (zone_node_types(n)[i] == type && zone_node_owns_type(n, i))
			return i;
	return -1;
}

/* One name: o (old) or n (new) may be NULL. The apex SOA frames the
 * difference and is left out. */
static void diff_node(struct pack *removed, struct pack *added, const struct zone_node *o,
		      const struct zone_node *n, size_t apex_len)
{
	const struct zone_node *any = n ? n : o;
	bool is_apex = any->name_len == apex_len;
	for (uint16_t i = 0; n && i < n->type_count; i++) {
		if (!zone_node_owns_type(n, i) || (is_apex && zone_node_types(n)[i] == WIRE_TYPE_SOA))
			continue;
		long oi = find_type(o, zone_node_types(n)[i]);
		if (oi < 0)
			pack_all(added, n, i);
		else
			diff_rrset(removed, added, o, (uint16_t)oi, n, i);
	}
	for (uint16_t i = 0; o && i < o->type_count; i++) {
		if (!zone_node_owns_type(o, i) || (is_apex && zone_node_types(o)[i] == WIRE_TYPE_SOA))
			continue;
		if (find_type(n, zone_node_types(o)[i]) < 0)
			pack_all(removed, o, i);
	}
}

/* Every name of part p of one zone, against the other zone: both
 * directions are walked by the caller, so here only names new in it
 * (is_new_side) or names gone from it. other_part: the other zone's part
 * at the same index when both zones have the same layout (a name's part
 * is a function of the name), NULL to look each name up in the zone. */
static void diff_part(struct pack *removed, struct pack *added, const struct zone_part *p,
		      const struct zone *other, const struct zone_part *other_part, bool is_new_side,
		      size_t apex_len)
{
	for (size_t i = 0; i < p->node_count; i++) {
		const struct zone_node *n = &p->nodes[i];
		uint32_t hash = dname_hash(n->name, n->name_len);
		const struct zone_node *m = other_part
						    ? zone_part_lookup(other_part, n->name, n->name_len, hash)
						    : zone_lookup(other, n->name, n->name_len, hash);
		if (is_new_side)
			diff_node(removed, added, m, n, apex_len);
		else if (!m)
			diff_node(removed, added, n, NULL, apex_len);
	}
}

struct journal_diff *journal_diff_new(const struct zone *old, const struct zone *new_zone)
{
	struct journal_diff *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	atomic_init(&d->refs, 1);
	d->from_soa_len = (uint16_t)zone_soa(old, d->from_soa, &d->from_soa_ttl_s);
	d->to_soa_len = (uint16_t)zone_soa(new_zone, d->to_soa, &d->to_soa_ttl_s);
	if (!d->from_soa_len || !d->to_soa_len) {
		free(d);
		return NULL;
	}
	d->from_serial = old->serial;
	d->to_serial = new_zone->serial;
	struct pack removed = { 0 }, added = { 0 };
	bool is_same_layout = old->part_count == new_zone->part_count;
	for (unsigned pi = 0; pi < new_zone->part_count; pi++)
		if (!is_same_layout || old->parts[pi] != new_zone->parts[pi])
			diff_part(&removed, &added, new_zone->parts[pi], old,
				  is_same_layout ? old->parts[pi] : NULL, true, new_zone->apex_len);
	for (unsigned pi = 0; pi < old->part_count; pi++)
		if (!is_same_layout || old->parts[pi] != new_zone->parts[pi])
			diff_part(&removed, &added, old->parts[pi], new_zone,
				  is_same_layout ? new_zone->parts[pi] : NULL, false, new_zone->apex_len);
	if (removed.is_failed || added.is_failed) {
		free(removed.data);
		free(added.data);
		free(d);
		return NULL;
	}
	d->removed = removed.data;
	d->removed_len = removed.len;
	d->removed_count = removed.count;
	d->added = added.data;
	d->added_len = added.len;
	d->added_count = added.count;
	d->bytes = sizeof(*d) + removed.cap + added.cap;
	atomic_fetch_add_explicit(&memory_bytes, d->bytes, memory_order_relaxed);
	return d;
}

void journal_diff_unref(struct journal_diff *d)
{
	if (!d || atomic_fetch_sub(&d->refs, 1) != 1)
		return;
	atomic_fetch_sub_explicit(&memory_bytes, d->bytes, memory_order_relaxed);
	free(d->removed);
	free(d->added);
	free(d);
}

struct journal *journal_append(const struct journal *prev, struct journal_diff *d, size_t limit_bytes)
{
	size_t keep = 0, first = 0, bytes = 0;
	bool is_usable = d && serial_gt(d->to_serial, d->from_serial) && d->bytes <= limit_bytes;
	if (is_usable) {
		bytes = d->bytes;
		/* the older differences, if they chain up to d */
		if (prev && prev->count && prev->diffs[prev->count - 1]->to_serial == d->from_serial) {
			first = prev->count;
			while (first > 0 && bytes + prev->diffs[first - 1]->bytes <= limit_bytes) {
				first--;
				bytes += prev->diffs[first]->bytes;
			}
			keep = prev->count - first;
		}
	}
	struct journal *j = malloc(sizeof(*j) + (keep + 1) * sizeof(j->diffs[0]));
	if (!j) {
		journal_diff_unref(d);
		return NULL;
	}
	atomic_init(&j->refs, 1);
	j->count = 0;
	j->bytes = 0;
	if (is_usable) {
		for (size_t i = 0; i < keep; i++) {
			j->diffs[j->count] = prev->diffs[first + i];
			atomic_fetch_add(&j->diffs[j->count]->refs, 1);
			j->count++;
		}
		j->diffs[j->count++] = d;
		j->bytes = bytes;
	} else {
		journal_diff_unref(d);
	}
	return j;
}

void journal_ref(struct journal *j) { atomic_fetch_add(&j->refs, 1); }

void journal_unref(struct journal *j)
{
	if (!j || atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	for (size_t i = 0; i < j->count; i++)
		journal_diff_unref(j->diffs[i]);
	free(j);
}

bool journal_find(const struct journal *j, uint32_t from_serial, size_t *index)
{
	if (!j)
		return false;
	for (size_t i = 0; i < j->count; i++)
		if (j->diffs[i]->from_serial == from_serial) {
			*index = i;
			return true;
		}
	return false;
}
