/* SPDX-License-Identifier: BSD-3-Clause
 * zone.c - the lifetime of zones, their parts and zone sets, and the choice
 * of a view's zone for a name. Lookup lives inline in zone.h; nothing here
 * renders or changes a zone. */
#include "zone/zone.h"

#include "zone/journal.h"

#include <stdlib.h>
#include <string.h>

void zone_ref(struct zone *z) { atomic_fetch_add(&z->refs, 1); }

void zone_unref(struct zone *z)
{
	if (!z || atomic_fetch_sub(&z->refs, 1) != 1)
		return;
	for (unsigned i = 0; i < z->part_count; i++)
		zone_part_unref(z->parts[i]);
	journal_unref(z->journal);
	arena_clear(&z->arena);
	free(z);
}

void zone_part_ref(struct zone_part *p) { atomic_fetch_add(&p->refs, 1); }

void zone_part_unref(struct zone_part *p)
{
	if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	arena_clear(&p->arena);
	free(p);
}

size_t zone_release_tails(struct zone *z)
{
	size_t released = arena_release_tails(&z->arena);
	for (unsigned i = 0; i < z->part_count; i++)
		if (z->parts[i])
			released += arena_release_tails(&z->parts[i]->arena);
	return released;
}

struct zone_set *zone_set_new(struct zone *const *zones, size_t count)
{
	struct zone_set *set = malloc(sizeof(*set) + count * sizeof(set->zones[0]));
	if (!set)
		return NULL;
	set->count = count;
	for (size_t i = 0; i < count; i++) {
		set->zones[i] = zones[i];
		zone_ref(zones[i]);
	}
	return set;
}

void zone_set_free(struct zone_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->count; i++)
		zone_unref(set->zones[i]);
	free(set);
}

const struct zone *zone_set_find(const struct zone_set *set, const uint8_t *qname, size_t qname_len)
{
	const struct zone *best = NULL;
	for (size_t i = 0; i < set->count; i++) {
		const struct zone *z = set->zones[i];
		if (z->apex_len > qname_len || (best && z->apex_len <= best->apex_len))
			continue;
		if (dname_is_subdomain(qname, qname_len, z->apex, z->apex_len))
			best = z;
	}
	return best;
}
