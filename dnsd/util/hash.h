/* SPDX-License-Identifier: BSD-3-Clause
 * hash.h - the one hash of dnsd: 32-bit FNV-1a, over a byte range in one go
 * or incrementally. Not keyed: use it for tables of our own data (names,
 * keys), never where an attacker picks the keys and a collision costs more
 * than a slower lookup. Inline, no allocation: safe on the query path. */
#ifndef DNSD_HASH_H
#define DNSD_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV1A_INIT 2166136261u /* FNV offset basis (32 bits) */
#define HASH_FNV1A_PRIME 16777619u  /* FNV prime (32 bits) */

/* Continues hash h over len bytes; start with HASH_FNV1A_INIT. Hashing a
 * range in pieces gives the same value as hashing it at once. */
static inline uint32_t hash_fnv1a_update(uint32_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * HASH_FNV1A_PRIME;
	return h;
}

/* FNV-1a of len bytes. */
static inline uint32_t hash_fnv1a(const void *data, size_t len)
{
	return hash_fnv1a_update(HASH_FNV1A_INIT, data, len);
}

/* FNV-1a of a NUL-terminated string, without the NUL. */
static inline uint32_t hash_fnv1a_str(const char *s)
{
	uint32_t h = HASH_FNV1A_INIT;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * HASH_FNV1A_PRIME;
	return h;
}

#endif
