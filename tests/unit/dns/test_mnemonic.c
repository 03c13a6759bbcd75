/* SPDX-License-Identifier: BSD-3-Clause
 * test_mnemonic.c - type, class and rcode names: the common ones, RFC 3597
 * forms for the rest, and every type value against ldns as an oracle (they
 * agree wherever both know a name). */
#include <check.h>

#include "check_main.h"
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "dns/mnemonic.h"

START_TEST(common_names)
{
	char buf[MNEMONIC_BUF_LEN];
	ck_assert_str_eq(mnemonic_type(1, buf), "A");
	ck_assert_str_eq(mnemonic_type(28, buf), "AAAA");
	ck_assert_str_eq(mnemonic_type(33, buf), "SRV");
	ck_assert_str_eq(mnemonic_type(65, buf), "HTTPS");
	ck_assert_str_eq(mnemonic_type(255, buf), "ANY");
	ck_assert_str_eq(mnemonic_type(252, buf), "AXFR");
	ck_assert_str_eq(mnemonic_type(257, buf), "CAA");
	ck_assert_str_eq(mnemonic_class(1, buf), "IN");
	ck_assert_str_eq(mnemonic_class(3, buf), "CH");
	ck_assert_str_eq(mnemonic_rcode(0, buf), "NOERROR");
	ck_assert_str_eq(mnemonic_rcode(3, buf), "NXDOMAIN");
	ck_assert_str_eq(mnemonic_rcode(5, buf), "REFUSED");
	ck_assert_str_eq(mnemonic_rcode(16, buf), "BADVERS");
	ck_assert_str_eq(mnemonic_rcode(23, buf), "BADCOOKIE");
}
END_TEST

START_TEST(numbers_without_a_name)
{
	char buf[MNEMONIC_BUF_LEN];
	ck_assert_str_eq(mnemonic_type(0, buf), "TYPE0");
	ck_assert_str_eq(mnemonic_type(54, buf), "TYPE54");
	ck_assert_str_eq(mnemonic_type(66, buf), "TYPE66");
	ck_assert_str_eq(mnemonic_type(65280, buf), "TYPE65280");
	ck_assert_str_eq(mnemonic_type(65535, buf), "TYPE65535");
	ck_assert_ptr_eq(mnemonic_type(65535, buf), buf);
	ck_assert_str_eq(mnemonic_class(42, buf), "CLASS42");
	ck_assert_str_eq(mnemonic_class(65535, buf), "CLASS65535");
	ck_assert_str_eq(mnemonic_rcode(12, buf), "RCODE12");
	ck_assert_str_eq(mnemonic_rcode(24, buf), "RCODE24");
	ck_assert_str_eq(mnemonic_rcode(4095, buf), "RCODE4095");
	ck_assert_uint_le(strlen("CLASS65535") + 1, MNEMONIC_BUF_LEN);
}
END_TEST

START_TEST(types_agree_with_ldns)
{
	char buf[MNEMONIC_BUF_LEN];
	unsigned both = 0;
	for (unsigned t = 0; t <= 65535; t++) {
		char *theirs = ldns_rr_type2str((ldns_rr_type)t);
		ck_assert_ptr_nonnull(theirs);
		const char *ours = mnemonic_type((uint16_t)t, buf);
		bool ours_named = strncmp(ours, "TYPE", 4) != 0;
		bool theirs_named = strncmp(theirs, "TYPE", 4) != 0;
		/* where both have a name, it is the same one */
		if (ours_named && theirs_named) {
			ck_assert_msg(strcmp(ours, theirs) == 0, "type %u: %s vs ldns %s", t, ours, theirs);
			both++;
		}
		/* a name ldns has and we lack would be a gap in our table */
		ck_assert_msg(ours_named || !theirs_named, "type %u: ldns knows %s", t, theirs);
		if (!ours_named)
			ck_assert_str_eq(ours, theirs); /* both RFC 3597 */
		free(theirs);
	}
	ck_assert_uint_ge(both, 70);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *su = suite_create("mnemonic");
	TCase *tc = tcase_create("mnemonic");
	tcase_add_test(tc, common_names);
	tcase_add_test(tc, numbers_without_a_name);
	tcase_add_test(tc, types_agree_with_ldns);
	suite_add_tcase(su, tc);
	return su;
}
