/* SPDX-License-Identifier: BSD-3-Clause
 * arena.h - bump allocator for many small objects with one lifetime, freed
 * together: a zone snapshot's rendered data, a parsed JSON document. Not
 * thread-safe; never used on the query path (snapshots are read, not built,
 * there). */
#ifndef DNSD_ARENA_H
#define DNSD_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head; /* newest chunk first */
	size_t chunk_size;        /* objects over a quarter of this get a chunk of their own */
};

/* An empty arena with chunks of chunk_size bytes (0 = 64 KiB). */
void arena_init(struct arena *a, size_t chunk_size);
/* Frees every chunk; the arena is empty and can be used again. */
void arena_clear(struct arena *a);
/* size bytes aligned to 8, uninitialised; NULL when out of memory. Valid
 * until arena_clear(). A size of 0 still gives a distinct pointer. */
void *arena_alloc(struct arena *a, size_t size);
/* The same without alignment, for byte strings. */
void *arena_alloc_bytes(struct arena *a, size_t size);
/* A copy of size bytes of src, unaligned; NULL when out of memory. */
void *arena_memdup(struct arena *a, const void *src, size_t size);
/* What the arena holds, for memory accounting: *reserved gets the bytes of
 * its chunks (headers included, malloc's own overhead not), *used the bytes
 * handed out (alignment padding included), *chunks their number. */
void arena_usage(const struct arena *a, size_t *reserved, size_t *used, size_t *chunks);

#endif
