/* SPDX-License-Identifier: BSD-3-Clause
 * arena.c - chunked bump allocator: a new chunk when the newest is full,
 * big objects in chunks of their own. Allocates with malloc; never frees
 * one object alone. */
#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	_Alignas(8) unsigned char data[];
};

void arena_init(struct arena *a, size_t chunk_size)
{
	a->head = NULL;
	a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
}

void arena_clear(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
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
	size_t cap = size > a->chunk_size / 4 ? size : a->chunk_size;
	c = malloc(sizeof(*c) + cap);
	if (!c)
		return NULL;
	c->cap = cap;
	c->used = size;
	if (size > a->chunk_size / 4 && a->head) {
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
