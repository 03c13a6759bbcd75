/* SPDX-License-Identifier: BSD-3-Clause
 * slab.h - size-class allocator for a builder's many small objects that
 * are freed one by one (zone_build.c: names, RRsets, records). Objects up to
 * SLAB_MAX bytes (a packed ServiceEntry, se_pack.h, fits) come from chunks in 8-byte classes with no per-object
 * header; a freed object goes on its class's list for the next allocation of
 * that class; slab_clear() returns every chunk at once. Larger objects go to
 * malloc. Compared with malloc, a 14-byte A record takes 16 bytes instead
 * of 32. Chunks are mapped directly (64 KiB doubling to 1 MiB), outside the
 * malloc heap: interleaved with the parser's short-lived buffers they made
 * glibc grow and trim the heap top around every record (24,000 brk() calls
 * for a 20,000-record zone), and unmapped they go back to the system at once.
 * Under AddressSanitizer every object comes from malloc, so that the
 * sanitizer still sees each one. Build time only, never on the query path. */
#ifndef DNSD_SLAB_H
#define DNSD_SLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLAB_MAX 1024

struct slab_chunk;

struct slab {
	struct slab_chunk *chunks; /* newest first */
	uint8_t *bump;             /* free space in the newest chunk */
	size_t left;
	size_t next_chunk;          /* size of the next chunk mapped */
	void *free[SLAB_MAX / 8];   /* per class: freed objects, linked through their first bytes */
	size_t in_use;              /* bytes allocated and not freed */
	size_t mapped;              /* bytes of chunks mapped */
	size_t freed_since_release; /* bytes freed since the last slab_release() */
};

void slab_init(struct slab *s);
/* Frees every chunk; objects from malloc (larger than SLAB_MAX, or every
 * object under ASan) must have been slab_free()d before. */
void slab_clear(struct slab *s);
/* size > 0; 8-byte aligned; NULL when out of memory. */
void *slab_alloc(struct slab *s, size_t size);
/* size: what p was allocated with. p may be NULL. */
void slab_free(struct slab *s, void *p, size_t size);
/* Moves p (old_size bytes) to an object of new_size bytes; NULL (p kept) when out of memory. */
void *slab_realloc(struct slab *s, void *p, size_t old_size, size_t new_size);

/* Unmaps the chunks (other than the newest) none of whose objects is in
 * use, taking their free objects off the lists: after a large transient
 * (a relist, a burst of deletes) the free lists would otherwise keep the
 * high-water mark forever (issue #14). Costs a walk of every free list;
 * returns the bytes unmapped. */
size_t slab_release(struct slab *s);
/* True when in use is under a quarter of what is mapped and an eighth of
 * it was freed since the last release: a caller that releases only then
 * walks the free lists at most once per that many bytes freed. */
bool slab_release_due(const struct slab *s);

/* Compaction, for an owner that can move its objects (the packed
 * ServiceEntries, k8s_objects.c): free-list memory that neither
 * slab_release() (it needs a wholly free chunk) nor reuse (it needs an
 * object of the same class) gives back, after a relist or under churn
 * (issue #14: 13.6 MB mapped against 7.3 MB fresh for the same entries).
 *
 * Holes: bytes mapped that no object uses (free lists, class rounding,
 * the ends of full chunks), the bump space aside. */
size_t slab_holes(const struct slab *s);
/* True when the holes pass a sixteenth of what is in use plus
 * SLAB_COMPACT_SLACK: an owner that compacts only then moves its objects
 * at most once per that many bytes of holes made. */
#define SLAB_COMPACT_SLACK (256 * 1024)
bool slab_compact_due(const struct slab *s);
/* Marks for evacuation every chunk but the newest that is more than a
 * thirty-second empty, and takes their free objects off the lists, so that
 * allocations until slab_evacuate_end() come from the other chunks (their
 * holes first) or fresh space. The caller then moves each object for which
 * slab_is_evacuating() is true: slab_alloc() a new one, copy, repoint every
 * reference, slab_free() the old. Returns the bytes to move. */
size_t slab_evacuate_begin(struct slab *s);
bool slab_is_evacuating(const struct slab *s, const void *p, size_t size);
/* Unmaps the evacuated chunks, now empty; one still holding an object (not
 * moved) stays, its holes unused until the next evacuation. Returns the
 * bytes unmapped. */
size_t slab_evacuate_end(struct slab *s);

#endif
