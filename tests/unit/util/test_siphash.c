/* SPDX-License-Identifier: BSD-3-Clause
 * test_siphash.c - SipHash-2-4 against the paper's vectors: key 00..0f,
 * messages 00, 00 01, ... of every length 0..63 (the reference
 * implementation's table, pinned here for the lengths that exercise each
 * path: empty, a partial word, whole words, partial after whole), and the
 * worked example of the paper's Appendix A (15 bytes -> a129ca6149be45e5). */
#include <check.h>

#include "check_main.h"
#include <stdint.h>

#include "util/siphash.h"

static const struct {
	size_t len;
	uint64_t want;
} vectors[] = {
	{ 0, 0x726fdb47dd0e0e31ull },
	{ 1, 0x74f839c593dc67fdull },
	{ 2, 0x0d6c8009d9a94f5aull },
	{ 3, 0x85676696d7fb7e2dull },
	{ 7, 0xab0200f58b01d137ull },
	{ 8, 0x93f5f5799a932462ull },
	{ 9, 0x9e0082df0ba9e4b0ull },
	{ 15, 0xa129ca6149be45e5ull },
	{ 16, 0x3f2acc7f57c29bdbull },
	{ 24, 0xb8ad50c6f649af94ull },
	{ 31, 0x32d892fad841c342ull },
	{ 32, 0x7127512f72f27cceull },
	{ 63, 0x958a324ceb064572ull },
	/* every tail length (4, 5, 6 besides those above) and the cookie inputs
	 * (RFC 9018: 20 bytes with an IPv4 client, 36 with IPv6); computed with
	 * an independent implementation that reproduces the vectors above */
	{ 4, 0xcf2794e0277187b7ull },
	{ 5, 0x18765564cd99a68dull },
	{ 6, 0xcbc9466e58fee3ceull },
	{ 20, 0xbed65cf21aa2ee98ull },
	{ 36, 0x314dffbe0815a3b4ull },
};

START_TEST(test_paper_vectors)
{
	uint8_t key[SIPHASH_KEY_LEN], msg[64];
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		uint64_t got = siphash24(key, msg, vectors[i].len);
		ck_assert_msg(got == vectors[i].want, "length %zu: got %016llx, want %016llx", vectors[i].len,
			      (unsigned long long)got, (unsigned long long)vectors[i].want);
	}
}
END_TEST

START_TEST(test_bytes_little_endian)
{
	/* the paper's Appendix A output, written as bytes: e5 45 be 49 61 ca 29 a1 */
	uint8_t key[SIPHASH_KEY_LEN], msg[15], out[8];
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	siphash24_bytes(out, key, msg, sizeof(msg));
	static const uint8_t want[8] = { 0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1 };
	ck_assert_mem_eq(out, want, 8);
	/* a different key gives a different hash */
	key[0] ^= 1;
	ck_assert(siphash24(key, msg, sizeof(msg)) != 0xa129ca6149be45e5ull);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("siphash");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_paper_vectors);
	tcase_add_test(tc, test_bytes_little_endian);
	suite_add_tcase(s, tc);
	return s;
}
