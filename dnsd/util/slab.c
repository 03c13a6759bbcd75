/* SPDX-License-Identifier: BSD-3-Clause
 * slab.c - size classes over mapped chunks (malloc under ASan), see slab.h
 * for why. Not thread-safe: one builder owns a slab. */
#include "util/slab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define SLAB_USE_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_USE_MALLOC 1
#endif
#endif

#define SLAB_CHUNK_MIN (64 * 1024)
#define SLAB_CHUNK_MAX (1024 * 1024)

/* Every chunk starts at a multiple of SLAB_CHUNK_MAX, so that an object's
 * chunk is its address rounded down: slab_free() counts it off its chunk's
 * live objects, and slab_release() finds the chunks with none. */
struct slab_chunk {
	struct slab_chunk *next;
	size_t size; /* mapped bytes, this header included */
	size_t live; /* objects handed out from it and not freed */
};

#ifndef SLAB_USE_MALLOC
static struct slab_chunk *chunk_of(const void *p)
{
	return (struct slab_chunk *)((uintptr_t)p & ~(uintptr_t)(SLAB_CHUNK_MAX - 1));
}
#endif

void slab_init(struct slab *s)
{
	memset(s, 0, sizeof(*s));
	s->next_chunk = SLAB_CHUNK_MIN;
}

void slab_clear(struct slab *s)
{
	struct slab_chunk *c = s->chunks;
	while (c) {
		struct slab_chunk *next = c->next;
		munmap(c, c->size);
		c = next;
	}
	slab_init(s);
}

#ifndef SLAB_USE_MALLOC
/* size bytes (a multiple of 8) from the newest chunk, mapping another when
 * it is full (the rest of the old one is left unused) */
static void *slab_bump(struct slab *s, size_t size)
{
	if (size > s->left) {
		size_t len = s->next_chunk;
		/* aligned: map SLAB_CHUNK_MAX more and unmap what lies outside */
		uint8_t *raw = mmap(NULL, len + SLAB_CHUNK_MAX, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (raw == MAP_FAILED)
			return NULL;
		uint8_t *m = (uint8_t *)(((uintptr_t)raw + SLAB_CHUNK_MAX - 1) &
					 ~(uintptr_t)(SLAB_CHUNK_MAX - 1));
		if (m > raw)
			munmap(raw, (size_t)(m - raw));
		if (raw + len + SLAB_CHUNK_MAX > m + len)
			munmap(m + len, (size_t)(raw + len + SLAB_CHUNK_MAX - (m + len)));
		struct slab_chunk *c = (struct slab_chunk *)m;
		c->next = s->chunks;
		c->size = len;
		c->live = 0;
		s->mapped += len;
		s->chunks = c;
		s->bump = (uint8_t *)m + ((sizeof(*c) + 7) & ~(size_t)7);
		s->left = len - (size_t)(s->bump - (uint8_t *)m);
		if (s->next_chunk < SLAB_CHUNK_MAX)
			s->next_chunk *= 2;
	}
	void *p = s->bump;
	s->bump += size;
	s->left -= size;
	return p;
}
#endif

#ifndef SLAB_USE_MALLOC
static size_t slab_class(size_t size) { return (size - 1) / 8; }
#endif

void *slab_alloc(struct slab *s, size_t size)
{
	void *p;
#ifndef SLAB_USE_MALLOC
	if (size <= SLAB_MAX) {
		size_t c = slab_class(size);
		p = s->free[c];
		if (p)
			memcpy(&s->free[c], p, sizeof(void *));
		else
			p = slab_bump(s, (c + 1) * 8);
		if (p)
			chunk_of(p)->live++;
	} else
#endif
		p = malloc(size);
	if (p)
		s->in_use += size;
	return p;
}

void slab_free(struct slab *s, void *p, size_t size)
{
	if (!p)
		return;
	s->in_use -= size;
	s->freed_since_release += size;
#ifndef SLAB_USE_MALLOC
	if (size <= SLAB_MAX) {
		chunk_of(p)->live--;
		size_t c = slab_class(size);
		memcpy(p, &s->free[c], sizeof(void *));
		s->free[c] = p;
		return;
	}
#endif
	free(p);
}

void *slab_realloc(struct slab *s, void *p, size_t old_size, size_t new_size)
{
#ifndef SLAB_USE_MALLOC
	if (p && old_size <= SLAB_MAX && new_size <= SLAB_MAX &&
	    slab_class(old_size) == slab_class(new_size)) {
		s->in_use += new_size - old_size;
		return p;
	}
#endif
	void *q = slab_alloc(s, new_size);
	if (!q)
		return NULL;
	if (p) {
		memcpy(q, p, old_size < new_size ? old_size : new_size);
		slab_free(s, p, old_size);
	}
	return q;
}

bool slab_release_due(const struct slab *s)
{
	return s->in_use < s->mapped / 4 && s->freed_since_release >= s->mapped / 8;
}

size_t slab_release(struct slab *s)
{
	s->freed_since_release = 0;
	size_t released = 0;
#ifndef SLAB_USE_MALLOC
	/* the newest chunk stays: the bump space is in it */
	struct slab_chunk *keep = s->chunks;
	bool any = false;
	for (struct slab_chunk *c = keep ? keep->next : NULL; c && !any; c = c->next)
		any = c->live == 0;
	if (!any)
		return 0;
	/* the free objects in wholly free chunks leave their lists ... */
	for (size_t k = 0; k < SLAB_MAX / 8; k++) {
		void *prev = NULL, *p = s->free[k];
		while (p) {
			void *next;
			memcpy(&next, p, sizeof(next));
			struct slab_chunk *c = chunk_of(p);
			if (c != keep && c->live == 0) {
				if (prev)
					memcpy(prev, &next, sizeof(next));
				else
					s->free[k] = next;
			} else {
				prev = p;
			}
			p = next;
		}
	}
	/* ... and the chunks go back to the system */
	struct slab_chunk **cl = &keep->next;
	while (*cl) {
		struct slab_chunk *c = *cl;
		if (c->live == 0) {
			*cl = c->next;
			released += c->size;
			munmap(c, c->size);
		} else {
			cl = &c->next;
		}
	}
	s->mapped -= released;
#endif
	return released;
}
