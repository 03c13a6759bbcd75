/* SPDX-License-Identifier: BSD-3-Clause
 * zone_mem.c - walks a frozen zone and sums its bytes by item and by kind of
 * name (zone_mem.h). Reads only; counts a shared blob, data array or reloc
 * array once through a scratch pointer set. */
#include "zone/zone_mem.h"

#include <stdint.h>
#include <stdlib.h>

#include "dns/wire.h"
#include "util/err.h"

/* Open addressing on pointer values; grows at half full. */
struct ptr_set {
	const void **slots;
	size_t mask, count;
};

static uint64_t ptr_hash(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

/* 1 when p was added, 0 when it was there, DNSD_ENOMEM. */
static int ptr_set_add(struct ptr_set *s, const void *p)
{
	if ((s->count + 1) * 2 > s->mask + 1) {
		size_t cap = s->mask ? (s->mask + 1) * 2 : 1024;
		const void **slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return DNSD_ENOMEM;
		for (size_t i = 0; s->mask && i <= s->mask; i++) {
			if (!s->slots[i])
				continue;
			size_t j = ptr_hash(s->slots[i]) & (cap - 1);
			while (slots[j])
				j = (j + 1) & (cap - 1);
			slots[j] = s->slots[i];
		}
		free(s->slots);
		s->slots = slots;
		s->mask = cap - 1;
	}
	size_t i = ptr_hash(p) & s->mask;
	while (s->slots[i]) {
		if (s->slots[i] == p)
			return 0;
		i = (i + 1) & s->mask;
	}
	s->slots[i] = p;
	s->count++;
	return 1;
}

static enum zone_mem_kind node_kind(const struct zone_node *n)
{
	if (!n->blobs)
		return ZONE_MEM_ENT;
	bool addr = false, srv = false, ptr = false,
	     other = (n->flags & (ZONE_NODE_CNAME | ZONE_NODE_CUT)) != 0;
	for (uint16_t i = 0; i < n->type_count; i++) {
		uint16_t t = zone_node_types(n)[i];
		addr |= t == WIRE_TYPE_A || t == WIRE_TYPE_AAAA;
		srv |= t == WIRE_TYPE_SRV;
		ptr |= t == WIRE_TYPE_PTR;
		other |= t != WIRE_TYPE_A && t != WIRE_TYPE_AAAA && t != WIRE_TYPE_SRV && t != WIRE_TYPE_PTR;
	}
	if (other || addr + srv + ptr != 1)
		return ZONE_MEM_OTHER;
	return addr ? ZONE_MEM_ADDRESS : srv ? ZONE_MEM_SRV : ZONE_MEM_PTR;
}

static int blob_count(struct ptr_set *seen, struct zone_mem *m, struct zone_mem_kind_bytes *k,
		      const struct zone_blob *b)
{
	if (!b)
		return 0;
	m->blob_refs++;
	int rc = ptr_set_add(seen, b);
	if (rc <= 0)
		return rc;
	m->blobs++;
	k->blob_structs += sizeof(*b);
	if ((rc = ptr_set_add(seen, b->data)) < 0)
		return rc;
	if (rc)
		k->blob_data += b->len;
	if (rc && b->reloc_count)
		k->relocs += b->reloc_count * sizeof(uint32_t);
	return 0;
}

static int node_count_bytes(struct ptr_set *seen, struct zone_mem *m, const struct zone_node *n)
{
	struct zone_mem_kind_bytes *k = &m->kind[node_kind(n)];
	k->names++;
	k->node += sizeof(*n);
	k->name += n->name_len;
	k->types += n->type_count ? ((n->type_count * sizeof(uint16_t) + 7u) & ~(size_t)7u) : 0;
	int rc = 0;
	unsigned count = n->blobs ? zone_node_blob_count(n) : 0;
	for (unsigned i = 0; rc == 0 && i < count; i++)
		rc = blob_count(seen, m, k, &n->blobs[i]);
	if (rc == 0)
		rc = blob_count(seen, m, k, zone_node_any(n));
	return rc;
}

int zone_mem_measure(const struct zone *z, struct zone_mem *m)
{
	struct ptr_set seen = { 0 };
	int rc = 0;
	for (unsigned pi = 0; rc == 0 && pi < z->part_count; pi++) {
		const struct zone_part *p = z->parts[pi];
		if ((rc = ptr_set_add(&seen, p)) <= 0)
			continue;
		rc = 0;
		m->parts++;
		m->part_structs += sizeof(*p);
		m->table += (p->table_mask + 1u) * sizeof(p->table[0]);
		m->table_slots += p->table_mask + 1u;
		size_t reserved, used, chunks;
		arena_usage(&p->arena, &reserved, &used, &chunks);
		m->arena_reserved += reserved;
		m->arena_used += used;
		m->arena_chunks += chunks;
		for (size_t i = 0; rc == 0 && i < p->node_count; i++)
			rc = node_count_bytes(&seen, m, &p->nodes[i]);
	}
	size_t reserved, used, chunks;
	arena_usage(&z->arena, &reserved, &used, &chunks);
	m->zone_level += sizeof(*z) + reserved;
	free(seen.slots);
	return rc < 0 ? rc : 0;
}

size_t zone_mem_total(const struct zone_mem *m)
{
	return m->arena_reserved + m->part_structs + m->zone_level;
}
