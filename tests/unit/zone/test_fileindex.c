/* SPDX-License-Identifier: BSD-3-Clause
 * test_fileindex.c - zone file lines by record. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "dns/dname.h"
#include "dns/wire.h"
#include "zone/fileindex.h"

static const uint8_t *name(const char *text)
{
	static uint8_t buf[4][DNAME_MAX_LEN];
	static int i;
	uint8_t *b = buf[i++ & 3];
	ck_assert_int_gt(dname_from_text(b, text), 0);
	return b;
}

START_TEST(test_find)
{
	struct zone_fileindex *x = zone_fileindex_new("zones/global.zone");
	static const uint8_t a1[4] = { 240, 0, 9, 9 }, a2[4] = { 240, 0, 9, 10 }, a3[4] = { 240, 0, 9, 0x41 },
			     a4[4] = { 240, 0, 9, 0x61 };
	ck_assert_int_eq(zone_fileindex_add(x, name("reviews.default.global"), WIRE_TYPE_A, a1, 4, 6), 0);
	ck_assert_int_eq(zone_fileindex_add(x, name("reviews.default.global"), WIRE_TYPE_A, a2, 4, 9), 0);
	ck_assert_int_eq(zone_fileindex_add(x, name("Reviews.Default.global"), WIRE_TYPE_A, a1, 4, 12), 0);
	ck_assert_int_eq(zone_fileindex_add(x, name("reviews.default.global"), WIRE_TYPE_A, a3, 4, 13), 0);
	ck_assert_int_eq(zone_fileindex_add(x, name("reviews.default.global"), WIRE_TYPE_A, a4, 4, 14), 0);
	uint8_t ns[DNAME_MAX_LEN];
	int nl = dname_from_text(ns, "NS1.Global");
	ck_assert_int_eq(zone_fileindex_add(x, name("global"), WIRE_TYPE_NS, ns, (uint16_t)nl, 4), 0);
	for (int i = 0; i < 2000; i++) { /* enough others to make the search matter */
		char other[64];
		snprintf(other, sizeof(other), "svc-%d.ns.global", i);
		ck_assert_int_eq(zone_fileindex_add(x, name(other), WIRE_TYPE_A, a1, 4, (uint32_t)(100 + i)),
				 0);
	}
	zone_fileindex_seal(x);
	uint32_t lines[8];
	/* one record, two lines (the owner's case does not matter) */
	ck_assert_uint_eq(
		zone_fileindex_find(x, name("REVIEWS.default.global"), WIRE_TYPE_A, a1, 4, lines, 8), 2);
	ck_assert_uint_eq(lines[0], 6);
	ck_assert_uint_eq(lines[1], 12);
	ck_assert_uint_eq(
		zone_fileindex_find(x, name("reviews.default.global"), WIRE_TYPE_A, a2, 4, lines, 8), 1);
	ck_assert_uint_eq(lines[0], 9);
	/* bytes of an address are not letters: 0x41 and 0x61 stay apart */
	ck_assert_uint_eq(
		zone_fileindex_find(x, name("reviews.default.global"), WIRE_TYPE_A, a3, 4, lines, 8), 1);
	ck_assert_uint_eq(lines[0], 13);
	/* names inside rdata compare without case */
	uint8_t lower[DNAME_MAX_LEN];
	dname_from_text(lower, "ns1.global");
	ck_assert_uint_eq(zone_fileindex_find(x, name("global"), WIRE_TYPE_NS, lower, (uint16_t)nl, lines, 8),
			  1);
	ck_assert_uint_eq(lines[0], 4);
	/* an SOA is found whatever its serial says now */
	uint8_t soa[DNAME_MAX_LEN * 2 + 20];
	int ml = dname_from_text(soa, "ns1.global"), rl = dname_from_text(soa + ml, "hostmaster.global");
	size_t sl = (size_t)(ml + rl);
	memset(soa + sl, 0, 20);
	soa[sl + 3] = 7;   /* serial 7 */
	soa[sl + 19] = 30; /* minimum 30 */
	/* (added after seal: a second index) */
	struct zone_fileindex *y = zone_fileindex_new("f");
	ck_assert_int_eq(zone_fileindex_add(y, name("global"), WIRE_TYPE_SOA, soa, (uint16_t)(sl + 20), 3),
			 0);
	zone_fileindex_seal(y);
	soa[sl + 3] = 8; /* the publisher's next serial */
	ck_assert_uint_eq(
		zone_fileindex_find(y, name("global"), WIRE_TYPE_SOA, soa, (uint16_t)(sl + 20), lines, 8), 1);
	ck_assert_uint_eq(lines[0], 3);
	soa[sl + 19] = 60; /* another minimum is another SOA */
	ck_assert_uint_eq(
		zone_fileindex_find(y, name("global"), WIRE_TYPE_SOA, soa, (uint16_t)(sl + 20), lines, 8), 0);
	zone_fileindex_free(y);
	/* absent: another type, another owner, another address */
	ck_assert_uint_eq(
		zone_fileindex_find(x, name("reviews.default.global"), WIRE_TYPE_AAAA, a1, 4, lines, 8), 0);
	ck_assert_uint_eq(zone_fileindex_find(x, name("nosuch.default.global"), WIRE_TYPE_A, a1, 4, lines, 8),
			  0);
	static const uint8_t a5[4] = { 1, 2, 3, 4 };
	ck_assert_uint_eq(
		zone_fileindex_find(x, name("reviews.default.global"), WIRE_TYPE_A, a5, 4, lines, 8), 0);
	/* cap: the count is still the whole */
	ck_assert_uint_eq(
		zone_fileindex_find(x, name("reviews.default.global"), WIRE_TYPE_A, a1, 4, lines, 1), 2);
	ck_assert_uint_eq(zone_fileindex_find(x, name("svc-1999.ns.global"), WIRE_TYPE_A, a1, 4, lines, 8),
			  1);
	ck_assert_uint_eq(lines[0], 2099);
	ck_assert_str_eq(zone_fileindex_path(x), "zones/global.zone");
	ck_assert_uint_lt(zone_fileindex_bytes(x), 2006 * 12 + 256);
	zone_fileindex_free(x);
	zone_fileindex_free(NULL);
}
END_TEST

START_TEST(test_unsealed_finds_nothing)
{
	struct zone_fileindex *x = zone_fileindex_new("f");
	static const uint8_t a1[4] = { 1, 2, 3, 4 };
	zone_fileindex_add(x, name("a.global"), WIRE_TYPE_A, a1, 4, 1);
	uint32_t line;
	ck_assert_uint_eq(zone_fileindex_find(x, name("a.global"), WIRE_TYPE_A, a1, 4, &line, 1), 0);
	zone_fileindex_seal(x);
	ck_assert_uint_eq(zone_fileindex_find(x, name("a.global"), WIRE_TYPE_A, a1, 4, &line, 1), 1);
	zone_fileindex_free(x);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("fileindex");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_unsealed_finds_nothing);
	suite_add_tcase(s, tc);
	return s;
}
