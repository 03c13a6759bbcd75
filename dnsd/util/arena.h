/* SPDX-License-Identifier: BSD-3-Clause
 * arena.h - bump allocator for immutable snapshots: many small objects, one
 * lifetime, freed together. Used at build time only, never on the query path. */
#ifndef DNSD_ARENA_H
#define DNSD_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;    /* newest chunk first */
	size_t chunk_size;
	size_t total;                /* bytes handed out, for metrics */
};

void arena_init(struct arena *a, size_t chunk_size);
/* Frees every chunk; the arena can be reused after arena_init(). */
void arena_clear(struct arena *a);
/* size bytes aligned to 8 (or 1 when is_bytes); NULL when out of memory.
 * Valid until arena_clear(). */
void *arena_alloc(struct arena *a, size_t size);
void *arena_alloc_bytes(struct arena *a, size_t size);
void *arena_memdup(struct arena *a, const void *src, size_t size);

#endif
