/* SPDX-License-Identifier: BSD-3-Clause
 * array.h - the one growable array: room for one more element in a
 * realloc'd array, doubling its capacity (from a first size) so that n
 * appends cost O(n), with the multiplications checked for overflow. Heap
 * only: not for the query path. Not thread-safe; one owner at a time. */
#ifndef DNSD_ARRAY_H
#define DNSD_ARRAY_H

#include <stddef.h>

/* Makes room for element count (count <= *cap) in *items, an array of
 * elem_size-byte elements with *cap allocated (*items NULL and *cap 0 at
 * first): when full, *cap doubles (first to first_cap) and *items is
 * realloc'd. Returns 0, or DNSD_ENOMEM (out of memory, or the size would
 * overflow) with *items and *cap unchanged. */
int array_reserve_one(void *items, size_t *cap, size_t count, size_t elem_size, size_t first_cap);

/* ARRAY_RESERVE_ONE(items, cap, count, first_cap): array_reserve_one() for
 * an array of *items' type: ARRAY_RESERVE_ONE(w->names, &w->name_cap,
 * w->name_count, 8). */
#define ARRAY_RESERVE_ONE(items, cap, count, first_cap) \
	array_reserve_one(&(items), (cap), (count), sizeof(*(items)), (first_cap))

#endif
