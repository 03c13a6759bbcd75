/* SPDX-License-Identifier: BSD-3-Clause
 * arena.h - bump allocator for many small objects with one lifetime, freed
 * together: a zone snapshot's rendered data, a parsed JSON document. One
 * arena is not thread-safe; never used on the query path (snapshots are
 * read, not built, there).
 *
 * Chunks of ARENA_MAP_MIN bytes and up are mapped directly, in size classes,
 * and a freed one goes to a process-wide cache (any thread, under a mutex)
 * that the next arena of any thread reuses with its pages still in memory:
 * a zone part re-rendered for every Kubernetes change used to come from
 * pages glibc had just given back (madvise) after the previous freeze freed
 * the old part, so each publication faulted all of them in again (issue
 * #14: 2,830 page faults per publication at 100,000 entries). The cache is
 * bounded (ARENA_CACHE_MAX); past it a freed chunk is unmapped at once, and
 * arena_cache_release() unmaps what it holds when changes have settled.
 * Under AddressSanitizer chunks come from malloc and nothing is cached, so
 * the sanitizer still sees a use after arena_clear(). */
#ifndef DNSD_ARENA_H
#define DNSD_ARENA_H

#include <stddef.h>
#include <stdint.h>

#define ARENA_MAP_MIN (64 * 1024)
#define ARENA_CACHE_MAX (64u * 1024 * 1024)

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
/* Gives back the pages of a's mapped chunks past what a has handed out. A
 * chunk taken from the cache was written to its end by its last user, so a
 * smaller object in it (a compacted zone part: its block is sized exactly,
 * its chunk up to a class and a quarter larger) leaves the rest resident.
 * For arenas that allocate no more (frozen parts); if one does, the pages
 * fault in again, zeroed. Called once changes settle, not per publication:
 * each madvise() flushes every CPU's TLB entries of the process. Returns
 * the bytes given back. */
size_t arena_release_tails(struct arena *a);

/* Unmaps every chunk the cache holds (once changes have settled). Any thread. */
void arena_cache_release(void);
/* Unmaps cached chunks until at most keep bytes stay: a publisher keeps
 * about what its last freeze took, which is what the next one is likely
 * to need, not the whole bound. Smallest chunks go first. Any thread. */
void arena_cache_trim(size_t keep);
/* Bytes of mapped chunks arenas took so far, fresh or from the cache. */
uint64_t arena_taken_bytes(void);

/* Process-wide counters of mapped chunks, for metrics; any thread. */
struct arena_stats {
	uint64_t mapped_bytes;   /* total: chunks mapped fresh from the system */
	uint64_t reused_bytes;   /* total: chunks taken from the cache instead */
	uint64_t unmapped_bytes; /* total: chunks given back to the system */
	uint64_t cached_bytes;   /* now: chunks in the cache */
	uint64_t live_bytes;     /* now: mapped chunks in use by arenas */
};
void arena_stats_get(struct arena_stats *out);

#endif
