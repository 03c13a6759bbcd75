/* SPDX-License-Identifier: BSD-3-Clause
 * siphash.h - SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", 2012): a keyed 64-bit hash, for DNS server cookies
 * (RFC 9018). Pure: no allocation, no I/O; safe on the query path. */
#ifndef DNSD_SIPHASH_H
#define DNSD_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

/* SipHash-2-4 of data[0..len) under the 128-bit key, as the paper defines it
 * (key and message read little-endian). Returns the 64-bit result; its
 * little-endian bytes are the paper's output bytes (siphash24_bytes). */
uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const uint8_t *data, size_t len);

/* The same result as 8 bytes in the paper's (little-endian) byte order. */
void siphash24_bytes(uint8_t out[8], const uint8_t key[SIPHASH_KEY_LEN], const uint8_t *data, size_t len);

#endif
