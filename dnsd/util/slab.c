/* SPDX-License-Identifier: BSD-3-Clause
 * slab.c - size classes over mapped chunks (malloc under ASan), see slab.h
 * for why. Not thread-safe: one builder owns a slab. */
#include "util/slab.h"

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

struct slab_chunk {
	struct slab_chunk *next;
	size_t size; /* mapped bytes, this header included */
};

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
		void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		struct slab_chunk *c = m;
		c->next = s->chunks;
		c->size = len;
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
#ifndef SLAB_USE_MALLOC
	if (size <= SLAB_MAX) {
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
