/* SPDX-License-Identifier: BSD-3-Clause
 * zone_compact.c - zone_part_compact(): once a part's answers are rendered,
 * moves everything it holds into one block of exactly the bytes needed.
 * Rendering bump-allocates into chunks sized by an estimate, with node
 * slots for every name the estimate counted; the frozen part keeps none of
 * that slack. Layout of the block: nodes, hash table, each node's types
 * and blobs, blob data (with relocs), names. Changes no answer byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "zone/zone_render.h"

#define ALIGN_UP(x, a) (((x) + (a)-1u) & ~((size_t)(a)-1u))

struct compact {
	const struct zone_part *p; /* the part as rendered */
	uint32_t *name_off;        /* per node: its name's offset in the names area */
	size_t names_len;
};

static int by_name_len_desc(const void *a, const void *b, void *ctx)
{
	const struct zone_node *nodes = ctx;
	uint8_t x = nodes[*(const uint32_t *)a].name_len, y = nodes[*(const uint32_t *)b].name_len;
	return (int)y - (int)x;
}

/* Places the names, longest first: a name that is a suffix of one already
 * placed (a parent, an empty non-terminal) points into it. */
static int place_names(struct compact *c)
{
	const struct zone_part *p = c->p;
	size_t n = p->node_count;
	uint32_t *order = malloc((n ? n : 1) * sizeof(*order));
	c->name_off = malloc((n ? n : 1) * sizeof(*c->name_off));
	if (!order || !c->name_off) {
		free(order);
		return DNSD_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		order[i] = (uint32_t)i;
		c->name_off[i] = UINT32_MAX;
	}
	qsort_r(order, n, sizeof(*order), by_name_len_desc, (void *)p->nodes);
	c->names_len = 0;
	for (size_t k = 0; k < n; k++) {
		const struct zone_node *nd = &p->nodes[order[k]];
		if (c->name_off[order[k]] != UINT32_MAX)
			continue;
		size_t at = c->names_len;
		c->name_off[order[k]] = (uint32_t)at;
		c->names_len += nd->name_len;
		for (size_t off = (size_t)nd->name[0] + 1; off < nd->name_len;
		     off += (size_t)nd->name[off] + 1) {
			const struct zone_node *s = zone_part_lookup(
				p, nd->name + off, nd->name_len - off,
				dname_hash(nd->name + off, nd->name_len - off));
			if (!s)
				continue;
			size_t j = (size_t)(s - p->nodes);
			if (c->name_off[j] == UINT32_MAX)
				c->name_off[j] = (uint32_t)(at + off);
		}
	}
	free(order);
	return 0;
}

/* Bytes a blob's data takes at offset at (relocs 4-aligned after it). */
static size_t blob_data_end(const struct zone_blob *b, size_t at)
{
	if (!b->reloc_count)
		return at + b->len;
	return ALIGN_UP(at, 4) + ALIGN_UP(b->len, 4) + b->reloc_count * sizeof(uint32_t);
}

/* Walks the layout; with block, also fills it in. Returns the bytes used. */
static size_t layout(const struct compact *c, uint8_t *block, struct zone_node **nodes_out,
		     struct zone_slot **table_out, uint32_t tsize)
{
	const struct zone_part *p = c->p;
	size_t n = p->node_count;
	size_t nodes_at = 0, table_at = n * sizeof(struct zone_node);
	size_t areas_at = ALIGN_UP(table_at + tsize * sizeof(struct zone_slot), 8);
	size_t areas_len = 0, data_len = 0;
	for (size_t i = 0; i < n; i++) {
		const struct zone_node *nd = &p->nodes[i];
		if (!nd->blobs)
			continue;
		unsigned count = zone_node_blob_count(nd);
		areas_len += ALIGN_UP((size_t)nd->type_count * sizeof(uint16_t), 8) +
			     count * sizeof(struct zone_blob);
		for (unsigned k = 0; k < count; k++)
			data_len = blob_data_end(&nd->blobs[k], data_len);
	}
	/* data starts 8-aligned, so offsets aligned within it stay aligned */
	size_t data_at = areas_at + areas_len;
	size_t names_at = data_at + data_len;
	size_t total = names_at + c->names_len;
	if (!block)
		return total;

	struct zone_node *nodes = (struct zone_node *)(void *)(block + nodes_at);
	struct zone_slot *table = (struct zone_slot *)(void *)(block + table_at);
	memset(table, 0, tsize * sizeof(*table));
	for (size_t i = 0; i < n; i++) {
		const struct zone_node *nd = &p->nodes[i];
		uint32_t hash = dname_hash(nd->name, nd->name_len);
		uint32_t j = hash & (tsize - 1);
		while (zone_slot_index_plus1(table[j]) != 0)
			j = (j + 1) & (tsize - 1);
		table[j] = zone_slot_make(hash, i);
	}
	uint8_t *names = block + names_at;
	for (size_t i = 0; i < n; i++) {
		const struct zone_node *nd = &p->nodes[i];
		memcpy(names + c->name_off[i], nd->name, nd->name_len);
	}
	size_t area = areas_at, data = 0;
	for (size_t i = 0; i < n; i++) {
		const struct zone_node *nd = &p->nodes[i];
		struct zone_node *out = &nodes[i];
		*out = *nd;
		out->name = names + c->name_off[i];
		if (!nd->blobs)
			continue;
		size_t tbytes = ALIGN_UP((size_t)nd->type_count * sizeof(uint16_t), 8);
		struct zone_blob *blobs = (struct zone_blob *)(void *)(block + area + tbytes);
		if (nd->type_count)
			memcpy((uint16_t *)(void *)blobs - nd->type_count, zone_node_types(nd),
			       nd->type_count * sizeof(uint16_t));
		unsigned count = zone_node_blob_count(nd);
		for (unsigned k = 0; k < count; k++) {
			const struct zone_blob *b = &nd->blobs[k];
			blobs[k] = *b;
			size_t at = b->reloc_count ? ALIGN_UP(data, 4) : data;
			uint8_t *d = block + data_at + at;
			memcpy(d, b->data, b->len);
			if (b->reloc_count)
				memcpy(d + ALIGN_UP(b->len, 4), zone_blob_relocs(b),
				       b->reloc_count * sizeof(uint32_t));
			blobs[k].data = d;
			data = blob_data_end(b, data);
		}
		out->blobs = blobs;
		area += tbytes + count * sizeof(struct zone_blob);
	}
	*nodes_out = nodes;
	*table_out = table;
	return total;
}

int zone_part_compact(struct zone_part *p)
{
	struct compact c = { .p = p };
	if (place_names(&c) != 0)
		return DNSD_ENOMEM;
	/* at most 3/4 full, so a miss ends within a few slots */
	uint32_t tsize = 16;
	while (tsize < p->node_count + p->node_count / 3 + 1)
		tsize *= 2;
	size_t total = layout(&c, NULL, NULL, NULL, tsize);
	struct arena a;
	arena_init(&a, 64); /* the block is one big object: a chunk of exactly its size */
	uint8_t *block = arena_alloc(&a, total);
	if (!block) {
		free(c.name_off);
		return DNSD_ENOMEM;
	}
	struct zone_node *nodes = NULL;
	struct zone_slot *table = NULL;
	layout(&c, block, &nodes, &table, tsize);
	free(c.name_off);
	arena_clear(&p->arena);
	p->arena = a;
	p->nodes = nodes;
	p->table = table;
	p->table_mask = tsize - 1;
	return 0;
}
