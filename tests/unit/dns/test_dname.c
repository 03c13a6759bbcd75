/* SPDX-License-Identifier: BSD-3-Clause
 * test_dname.c - name conversion, case folding, suffix and order. */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <string.h>

#include "dns/dname.h"
#include "util/err.h"

START_TEST(test_from_text)
{
	uint8_t w[DNAME_MAX_LEN];
	ck_assert_int_eq(dname_from_text(w, "a.b"), 5);
	ck_assert_int_eq(memcmp(w, "\1a\1b", 5), 0);
	ck_assert_int_eq(dname_from_text(w, "a.b."), 5);
	ck_assert_int_eq(dname_from_text(w, "."), 1);
	ck_assert_int_eq(w[0], 0);
	ck_assert_int_eq(dname_from_text(w, "a\\.b.c"), 7); /* escaped dot stays in the label */
	ck_assert_int_eq(w[0], 3);
	ck_assert_int_eq(dname_from_text(w, "\\065b"), 4);
	ck_assert_int_eq(w[1], 'A');
	ck_assert_int_lt(dname_from_text(w, ""), 0);
	ck_assert_int_lt(dname_from_text(w, "a..b"), 0);
	ck_assert_int_lt(dname_from_text(w, ".a"), 0);
	ck_assert_int_lt(dname_from_text(w, "\\256"), 0);
	char label63[64], label64[65];
	memset(label63, 'x', 63);
	label63[63] = '\0';
	memset(label64, 'x', 64);
	label64[64] = '\0';
	ck_assert_int_eq(dname_from_text(w, label63), 65);
	ck_assert_int_eq(dname_from_text(w, label64), DNSD_ERANGE);
	/* 4 x 63-byte labels = 256 wire bytes: too long; 3 + a 61 fits in 255 */
	char long_name[300];
	snprintf(long_name, sizeof(long_name), "%s.%s.%s.%s", label63, label63, label63, label63);
	ck_assert_int_eq(dname_from_text(w, long_name), DNSD_ERANGE);
	snprintf(long_name, sizeof(long_name), "%s.%s.%s.%.61s", label63, label63, label63, label63);
	ck_assert_int_eq(dname_from_text(w, long_name), 255);
}
END_TEST

START_TEST(test_to_text_round_trip)
{
	uint8_t w[DNAME_MAX_LEN];
	char t[DNAME_MAX_TEXT];
	dname_from_text(w, "Messenger.default.global");
	ck_assert_int_gt(dname_to_text(t, sizeof(t), w), 0);
	ck_assert_str_eq(t, "Messenger.default.global.");
	const uint8_t odd[] = "\3a.b\2\x01 ";
	ck_assert_int_gt(dname_to_text(t, sizeof(t), odd), 0);
	ck_assert_str_eq(t, "a\\.b.\\001\\032.");
	ck_assert_int_lt(dname_to_text(t, 4, w), 0);
}
END_TEST

START_TEST(test_compare_and_suffix)
{
	uint8_t a[DNAME_MAX_LEN], b[DNAME_MAX_LEN], apex[DNAME_MAX_LEN];
	int la = dname_from_text(a, "x.default.global");
	dname_from_text(b, "X.DEFAULT.Global");
	int lapex = dname_from_text(apex, "global");
	ck_assert(dname_equal(a, b));
	ck_assert(dname_is_subdomain(a, (size_t)la, apex, (size_t)lapex));
	ck_assert(dname_is_subdomain(apex, (size_t)lapex, apex, (size_t)lapex));
	uint8_t notsub[DNAME_MAX_LEN];
	int ln = dname_from_text(notsub, "xglobal");
	ck_assert(!dname_is_subdomain(notsub, (size_t)ln, apex, (size_t)lapex));
	ln = dname_from_text(notsub, "a.xglobal");
	ck_assert(!dname_is_subdomain(notsub, (size_t)ln, apex, (size_t)lapex));
	ck_assert_uint_eq(dname_label_count(a), 3);
	uint8_t lower[DNAME_MAX_LEN];
	dname_lower(lower, b, dname_len(b));
	ck_assert_int_eq(memcmp(lower, a, (size_t)la), 0);
	ck_assert_uint_eq(dname_hash(lower, (size_t)la), dname_hash(a, (size_t)la));
	/* RFC 4034 §6.1 order: global < a.global < z.global < a.z.global */
	uint8_t n1[DNAME_MAX_LEN], n2[DNAME_MAX_LEN], n3[DNAME_MAX_LEN];
	dname_from_text(n1, "a.global");
	dname_from_text(n2, "z.global");
	dname_from_text(n3, "a.z.global");
	ck_assert_int_lt(dname_compare(apex, n1), 0);
	ck_assert_int_lt(dname_compare(n1, n2), 0);
	ck_assert_int_lt(dname_compare(n2, n3), 0);
	ck_assert_int_eq(dname_compare(n3, n3), 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("dname");
	TCase *tc = tcase_create("dname");
	tcase_add_test(tc, test_from_text);
	tcase_add_test(tc, test_to_text_round_trip);
	tcase_add_test(tc, test_compare_and_suffix);
	suite_add_tcase(s, tc);
	return s;
}
