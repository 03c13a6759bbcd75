/* SPDX-License-Identifier: BSD-3-Clause
 * siphash.c - SipHash-2-4, written from the paper's description (§2):
 * four 64-bit words of state, two SipRounds per 8-byte message word, the
 * last word carrying the length in its top byte, then four finalization
 * rounds. */
#include "util/siphash.h"

#include <endian.h>
#include <string.h>

static inline uint64_t rotl(uint64_t x, unsigned b) { return (x << b) | (x >> (64 - b)); }

/* One load (memcpy of a constant 8 is one mov; le64toh nothing on x86):
 * the byte-by-byte loop this replaces was not merged by gcc -O2, and made
 * SipHash 466 of the 2,492 instructions a UDP query with a cookie costs. */
static inline uint64_t read_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static inline uint32_t read_le32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

struct sip_state {
	uint64_t v0, v1, v2, v3;
};

static inline void sip_round(struct sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = rotl(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl(s->v2, 32);
}

static inline void sip_compress(struct sip_state *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const uint8_t *data, size_t len)
{
	uint64_t k0 = read_le64(key), k1 = read_le64(key + 8);
	/* "somepseudorandomlygeneratedbytes" */
	struct sip_state s = {
		.v0 = k0 ^ 0x736f6d6570736575ull,
		.v1 = k1 ^ 0x646f72616e646f6dull,
		.v2 = k0 ^ 0x6c7967656e657261ull,
		.v3 = k1 ^ 0x7465646279746573ull,
	};
	size_t full = len & ~(size_t)7;
	for (size_t i = 0; i < full; i += 8)
		sip_compress(&s, read_le64(data + i));
	/* the last word: the remaining bytes, and len mod 256 in the top byte */
	uint64_t last = (uint64_t)(len & 0xFF) << 56;
	const uint8_t *tail = data + full;
	switch (len & 7) {
	case 7:
		last |= (uint64_t)tail[6] << 48;
		/* fall through */
	case 6:
		last |= (uint64_t)tail[5] << 40;
		/* fall through */
	case 5:
		last |= (uint64_t)tail[4] << 32;
		/* fall through */
	case 4: last |= (uint64_t)read_le32(tail); break;
	case 3:
		last |= (uint64_t)tail[2] << 16;
		/* fall through */
	case 2:
		last |= (uint64_t)tail[1] << 8;
		/* fall through */
	case 1: last |= tail[0]; break;
	}
	sip_compress(&s, last);
	s.v2 ^= 0xFF;
	for (unsigned i = 0; i < 4; i++)
		sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

void siphash24_bytes(uint8_t out[8], const uint8_t key[SIPHASH_KEY_LEN], const uint8_t *data, size_t len)
{
	uint64_t h = htole64(siphash24(key, data, len));
	memcpy(out, &h, sizeof(h));
}
