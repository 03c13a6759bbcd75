/* SPDX-License-Identifier: BSD-3-Clause
 * feed_items.c - the per-part item lists of a Kubernetes-fed zone
 * (feed_items.h). */
#include "zone/feed_items.h"

#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/err.h"

static int key_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int feed_items_add(struct feed_items *fi, unsigned part, uint64_t key)
{
	struct feed_part_items *p = &fi->parts[part];
	if (ARRAY_RESERVE_ONE(p->keys, &p->cap, p->count, 16) != 0)
		return DNSD_ENOMEM;
	/* appended in order (a LIST's entries come in address order often
	 * enough) keeps it sorted */
	p->is_sorted = p->count == 0 || (p->is_sorted && p->keys[p->count - 1] < key);
	p->keys[p->count++] = key;
	return 0;
}

/* The index of key in p, or -1. */
static long find(struct feed_part_items *p, uint64_t key)
{
	if (!p->is_sorted) {
		qsort(p->keys, p->count, sizeof(*p->keys), key_cmp);
		p->is_sorted = true;
	}
	size_t lo = 0, hi = p->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->count && p->keys[lo] == key ? (long)lo : -1;
}

bool feed_items_remove(struct feed_items *fi, unsigned part, uint64_t key)
{
	struct feed_part_items *p = &fi->parts[part];
	long i = find(p, key);
	if (i < 0)
		return false;
	memmove(p->keys + i, p->keys + i + 1, (p->count - (size_t)i - 1) * sizeof(*p->keys));
	if (--p->count == 0) {
		free(p->keys);
		p->keys = NULL;
		p->cap = 0;
	}
	return true;
}

bool feed_items_replace(struct feed_items *fi, unsigned part, uint64_t from, uint64_t to)
{
	struct feed_part_items *p = &fi->parts[part];
	long i = find(p, from);
	if (i < 0)
		return false;
	p->keys[i] = to;
	p->is_sorted = false;
	return true;
}

size_t feed_items_release(struct feed_items *fi)
{
	size_t given = 0;
	for (unsigned i = 0; i <= ZONE_PARTS; i++) {
		struct feed_part_items *p = &fi->parts[i];
		if (p->count == p->cap)
			continue;
		if (p->count == 0) {
			given += p->cap * sizeof(*p->keys);
			free(p->keys);
			p->keys = NULL;
			p->cap = 0;
			continue;
		}
		uint64_t *k = realloc(p->keys, p->count * sizeof(*k));
		if (!k)
			continue;
		given += (p->cap - p->count) * sizeof(*k);
		p->keys = k;
		p->cap = p->count;
	}
	return given;
}

size_t feed_items_bytes(const struct feed_items *fi)
{
	size_t n = 0;
	for (unsigned i = 0; i <= ZONE_PARTS; i++)
		n += fi->parts[i].cap * sizeof(uint64_t);
	return n;
}

void feed_items_clear(struct feed_items *fi)
{
	for (unsigned i = 0; i <= ZONE_PARTS; i++)
		free(fi->parts[i].keys);
	memset(fi, 0, sizeof(*fi));
}
