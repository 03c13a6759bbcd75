/* SPDX-License-Identifier: BSD-3-Clause
 * arena.c - chunked bump allocator: a new chunk when the newest is full,
 * big objects in chunks of their own. Small chunks come from malloc; chunks
 * of ARENA_MAP_MIN and up are mapped in size classes (a quarter of a power
 * of two apart) and kept in a bounded cache when freed (arena.h says why).
 * Never frees one object alone. */
#include "util/arena.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_USE_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_USE_MALLOC 1
#endif
#endif

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	size_t mapped; /* bytes mapped, this header included; 0 = from malloc */
	_Alignas(8) unsigned char data[];
};

/* Size classes from 64 KiB: 64, 80, 96, 112, 128, 160 ... KiB; chunks over
 * a quarter of the cache's limit are not cached. */
#define ARENA_CLASSES 48

static struct {
	pthread_mutex_t lock;
	struct arena_chunk *free[ARENA_CLASSES];
	size_t bytes; /* in free[] */
} arena_cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static _Atomic uint64_t arena_mapped_total, arena_reused_total, arena_unmapped_total, arena_live;

/* The class of a mapping of at least size bytes (>= ARENA_MAP_MIN), and its size. */
static unsigned arena_class(size_t size, size_t *class_size)
{
	unsigned k = 16; /* 2^16 = ARENA_MAP_MIN */
	while (k < 62 && ((size_t)1 << (k + 1)) < size)
		k++;
	size_t step = (size_t)1 << (k - 2);
	size_t m = (size + step - 1) / step; /* 4..8 quarters of 2^k */
	*class_size = m * step;
	return (k - 16) * 4 + (unsigned)(m - 4);
}

void arena_init(struct arena *a, size_t chunk_size)
{
	a->head = NULL;
	a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
}

static void chunk_unmap(struct arena_chunk *c)
{
	atomic_fetch_add(&arena_unmapped_total, c->mapped);
	munmap(c, c->mapped);
}

static void chunk_free(struct arena_chunk *c)
{
	if (!c->mapped) {
		free(c);
		return;
	}
	atomic_fetch_sub(&arena_live, c->mapped);
	size_t class_size;
	unsigned cl = arena_class(c->mapped, &class_size);
	if (cl < ARENA_CLASSES && c->mapped <= ARENA_CACHE_MAX / 4) {
		pthread_mutex_lock(&arena_cache.lock);
		if (arena_cache.bytes + c->mapped <= ARENA_CACHE_MAX) {
			c->next = arena_cache.free[cl];
			arena_cache.free[cl] = c;
			arena_cache.bytes += c->mapped;
			c = NULL;
		}
		pthread_mutex_unlock(&arena_cache.lock);
	}
	if (c)
		chunk_unmap(c);
}

/* A chunk whose header and data take at least total bytes. */
static struct arena_chunk *chunk_new(size_t total)
{
	struct arena_chunk *c;
#ifndef ARENA_USE_MALLOC
	if (total >= ARENA_MAP_MIN) {
		size_t class_size;
		unsigned cl = arena_class(total, &class_size);
		c = NULL;
		if (cl < ARENA_CLASSES) {
			pthread_mutex_lock(&arena_cache.lock);
			/* its own class, or one a quarter larger */
			for (unsigned i = cl; !c && i < cl + 2 && i < ARENA_CLASSES; i++) {
				c = arena_cache.free[i];
				if (c) {
					arena_cache.free[i] = c->next;
					arena_cache.bytes -= c->mapped;
				}
			}
			pthread_mutex_unlock(&arena_cache.lock);
		}
		if (c) {
			atomic_fetch_add(&arena_reused_total, c->mapped);
		} else {
			void *m = mmap(NULL, class_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				       -1, 0);
			if (m == MAP_FAILED)
				return NULL;
			c = m;
			c->mapped = class_size;
			atomic_fetch_add(&arena_mapped_total, class_size);
		}
		atomic_fetch_add(&arena_live, c->mapped);
		c->cap = c->mapped - sizeof(*c);
		return c;
	}
#endif
	c = malloc(total);
	if (!c)
		return NULL;
	c->mapped = 0;
	c->cap = total - sizeof(*c);
	return c;
}

void arena_clear(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		chunk_free(c);
		c = next;
	}
	a->head = NULL;
}

static void *arena_take(struct arena *a, size_t size, size_t align)
{
	struct arena_chunk *c = a->head;
	if (c) {
		size_t off = (c->used + align - 1) & ~(align - 1);
		if (off + size <= c->cap) {
			c->used = off + size;
			return c->data + off;
		}
	}
	bool is_big = size > a->chunk_size / 4;
	/* a chunk of chunk_size bytes, header included, when it is mapped: a
	 * whole class */
	size_t total = is_big ? sizeof(*c) + size
			      : (a->chunk_size >= ARENA_MAP_MIN ? a->chunk_size : sizeof(*c) + a->chunk_size);
	if (total < size) /* overflow */
		return NULL;
	c = chunk_new(total);
	if (!c)
		return NULL;
	c->used = size;
	if (is_big && a->head) {
		/* a big object gets its own chunk behind the current one, so the
		 * current chunk's free space stays usable */
		c->next = a->head->next;
		a->head->next = c;
	} else {
		c->next = a->head;
		a->head = c;
	}
	return c->data;
}

void *arena_alloc(struct arena *a, size_t size) { return arena_take(a, size ? size : 1, 8); }
void *arena_alloc_bytes(struct arena *a, size_t size) { return arena_take(a, size ? size : 1, 1); }

void *arena_memdup(struct arena *a, const void *src, size_t size)
{
	void *p = arena_take(a, size ? size : 1, 1);
	if (p && size)
		memcpy(p, src, size);
	return p;
}

void arena_usage(const struct arena *a, size_t *reserved, size_t *used, size_t *chunks)
{
	*reserved = *used = *chunks = 0;
	for (const struct arena_chunk *c = a->head; c; c = c->next) {
		*reserved += sizeof(*c) + c->cap;
		*used += c->used;
		(*chunks)++;
	}
}
size_t arena_release_tails(struct arena *a)
{
	size_t released = 0;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	for (struct arena_chunk *c = a->head; c; c = c->next) {
		if (!c->mapped)
			continue;
		uintptr_t from = ((uintptr_t)(c->data + c->used) + page - 1) & ~(page - 1);
		uintptr_t to = (uintptr_t)c + c->mapped;
		if (to > from && madvise((void *)from, to - from, MADV_DONTNEED) == 0)
			released += to - from;
	}
	return released;
}

void arena_cache_trim(size_t keep)
{
	struct arena_chunk *list = NULL;
	pthread_mutex_lock(&arena_cache.lock);
	/* the smallest first: a zone part's big chunks are what the next
	 * freeze takes again */
	for (unsigned i = 0; i < ARENA_CLASSES && arena_cache.bytes > keep; i++) {
		while (arena_cache.free[i] && arena_cache.bytes > keep) {
			struct arena_chunk *c = arena_cache.free[i];
			arena_cache.free[i] = c->next;
			arena_cache.bytes -= c->mapped;
			c->next = list;
			list = c;
		}
	}
	pthread_mutex_unlock(&arena_cache.lock);
	while (list) {
		struct arena_chunk *next = list->next;
		chunk_unmap(list);
		list = next;
	}
}

void arena_cache_release(void) { arena_cache_trim(0); }

uint64_t arena_taken_bytes(void)
{
	return atomic_load(&arena_mapped_total) + atomic_load(&arena_reused_total);
}

void arena_stats_get(struct arena_stats *out)
{
	out->mapped_bytes = atomic_load(&arena_mapped_total);
	out->reused_bytes = atomic_load(&arena_reused_total);
	out->unmapped_bytes = atomic_load(&arena_unmapped_total);
	out->live_bytes = atomic_load(&arena_live);
	pthread_mutex_lock(&arena_cache.lock);
	out->cached_bytes = arena_cache.bytes;
	pthread_mutex_unlock(&arena_cache.lock);
}
