/* SPDX-License-Identifier: BSD-3-Clause
 * slab.c - size classes over mapped chunks (malloc under ASan), see slab.h
 * for why. Not thread-safe: one builder owns a slab. */
#include "util/slab.h"

#include <stdbool.h>
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
	size_t size;        /* mapped bytes, this header included */
	size_t live;        /* objects handed out from it and not freed */
	size_t live_bytes;  /* their class sizes */
	bool is_evacuating; /* between slab_evacuate_begin() and _end() */
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
		c->live_bytes = 0;
		c->is_evacuating = false;
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
		if (p) {
			chunk_of(p)->live++;
			chunk_of(p)->live_bytes += (c + 1) * 8;
		}
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
		struct slab_chunk *ch = chunk_of(p);
		size_t c = slab_class(size);
		ch->live--;
		ch->live_bytes -= (c + 1) * 8;
		if (ch->is_evacuating)
			return; /* its chunk is being emptied: not for reuse */
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

#ifndef SLAB_USE_MALLOC
/* Takes off the free lists the objects of the chunks that are about to go:
 * wholly free ones other than keep, and those being evacuated. */
static void strip_free_lists(struct slab *s, const struct slab_chunk *keep)
{
	for (size_t k = 0; k < SLAB_MAX / 8; k++) {
		void *prev = NULL, *p = s->free[k];
		while (p) {
			void *next;
			memcpy(&next, p, sizeof(next));
			struct slab_chunk *c = chunk_of(p);
			if ((c != keep && c->live == 0) || c->is_evacuating) {
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
}

/* Unmaps the chunks after keep with no live object. */
static size_t unmap_empty(struct slab *s, struct slab_chunk *keep)
{
	size_t released = 0;
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
	return released;
}
#endif

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
	/* the free objects in wholly free chunks leave their lists, and the
	 * chunks go back to the system */
	strip_free_lists(s, keep);
	released = unmap_empty(s, keep);
#endif
	return released;
}

size_t slab_holes(const struct slab *s)
{
	size_t used = s->in_use + s->left;
	return s->mapped > used ? s->mapped - used : 0;
}

bool slab_compact_due(const struct slab *s) { return slab_holes(s) > s->in_use / 16 + SLAB_COMPACT_SLACK; }

size_t slab_evacuate_begin(struct slab *s)
{
	size_t moving = 0;
	(void)s; /* SLAB_USE_MALLOC: nothing to move */
#ifndef SLAB_USE_MALLOC
	/* the newest chunk stays: the bump space is in it, and what moves
	 * goes there (or into the holes of the chunks that stay) */
	struct slab_chunk *keep = s->chunks;
	for (struct slab_chunk *c = keep ? keep->next : NULL; c; c = c->next) {
		size_t usable = c->size - ((sizeof(*c) + 7) & ~(size_t)7);
		c->is_evacuating = usable - c->live_bytes > usable / 32;
		if (c->is_evacuating)
			moving += c->live_bytes;
	}
	strip_free_lists(s, keep);
#endif
	return moving;
}

bool slab_is_evacuating(const struct slab *s, const void *p, size_t size)
{
	(void)s;
#ifndef SLAB_USE_MALLOC
	return p && size <= SLAB_MAX && chunk_of(p)->is_evacuating;
#else
	(void)p;
	(void)size;
	return false;
#endif
}

size_t slab_evacuate_end(struct slab *s)
{
	size_t released = 0;
	(void)s; /* SLAB_USE_MALLOC: nothing to release */
#ifndef SLAB_USE_MALLOC
	struct slab_chunk *keep = s->chunks;
	if (!keep)
		return 0;
	/* the chunks the caller emptied go; one it could not (an object it
	 * does not reach, or no memory to move it) stays, the holes freed in
	 * it meanwhile unused until the next evacuation */
	for (struct slab_chunk *c = keep; c; c = c->next)
		if (c->live != 0)
			c->is_evacuating = false;
	released = unmap_empty(s, keep);
	s->freed_since_release = 0;
#endif
	return released;
}
