/* SPDX-License-Identifier: BSD-3-Clause
 * test_hash.c - the one hash (util/hash.h): published FNV-1a test vectors,
 * incremental hashing equals hashing at once, and the values the zone and
 * name tables are built from stay what they were (a change would move names
 * between a zone's parts). */
#include <check.h>

#include "check_main.h"
#include <string.h>

#include "dns/dname.h"
#include "util/hash.h"
#include "zone/zone.h"

START_TEST(fnv1a_known_values)
{
	/* the FNV-1a 32-bit vectors of the reference implementation */
	ck_assert_uint_eq(hash_fnv1a("", 0), 0x811c9dc5u);
	ck_assert_uint_eq(hash_fnv1a("a", 1), 0xe40c292cu);
	ck_assert_uint_eq(hash_fnv1a("foobar", 6), 0xbf9cf968u);
	ck_assert_uint_eq(hash_fnv1a_str(""), 0x811c9dc5u);
	ck_assert_uint_eq(hash_fnv1a_str("a"), 0xe40c292cu);
	ck_assert_uint_eq(hash_fnv1a_str("foobar"), 0xbf9cf968u);
	/* bytes above 0x7f count as unsigned */
	const char high[] = "\xff\x80";
	ck_assert_uint_eq(hash_fnv1a_str(high), hash_fnv1a(high, 2));
}
END_TEST

START_TEST(fnv1a_incremental)
{
	const char *text = "messenger.default.global";
	size_t len = strlen(text);
	for (size_t cut = 0; cut <= len; cut++) {
		uint32_t h = hash_fnv1a_update(HASH_FNV1A_INIT, text, cut);
		h = hash_fnv1a_update(h, text + cut, len - cut);
		ck_assert_uint_eq(h, hash_fnv1a(text, len));
	}
	ck_assert_uint_eq(hash_fnv1a_update(HASH_FNV1A_INIT, "x", 0), HASH_FNV1A_INIT);
}
END_TEST

START_TEST(names_and_zone_parts_unchanged)
{
	/* values from before the hash had one home; parts for ZONE_PARTS 256
	 * (the same hash modulo 64 gave 19, 12, 7, 4, 62) */
	ck_assert_uint_eq(ZONE_PARTS, 256);
	ck_assert_uint_eq(dname_hash((const uint8_t *)"\011messenger\7default\6global", 26), 0x066c4b9au);
	ck_assert_uint_eq(zone_label_part((const uint8_t *)"\7default"), 211);
	ck_assert_uint_eq(zone_label_part((const uint8_t *)"\3foo"), 12);
	ck_assert_uint_eq(zone_label_part((const uint8_t *)"\0"), 7);
	ck_assert_uint_eq(zone_label_part((const uint8_t *)"\011messenger"), 132);
	ck_assert_uint_eq(zone_label_part((const uint8_t *)"\1a"), 254);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("hash");
	tcase_add_test(tc, fnv1a_known_values);
	tcase_add_test(tc, fnv1a_incremental);
	tcase_add_test(tc, names_and_zone_parts_unchanged);
	suite_add_tcase(s, tc);
	return s;
}
