/* SPDX-License-Identifier: BSD-3-Clause
 * slab.c - size classes over arena chunks, see slab.h. */
#include "slab.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define SLAB_USE_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_USE_MALLOC 1
#endif
#endif

#define SLAB_CHUNK (64 * 1024)

void slab_init(struct slab *s)
{
	memset(s, 0, sizeof(*s));
	arena_init(&s->arena, SLAB_CHUNK);
}

void slab_clear(struct slab *s)
{
	arena_clear(&s->arena);
	slab_init(s);
}

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
			p = arena_alloc(&s->arena, (c + 1) * 8);
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
	if (p && old_size <= SLAB_MAX && new_size <= SLAB_MAX && slab_class(old_size) == slab_class(new_size)) {
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
