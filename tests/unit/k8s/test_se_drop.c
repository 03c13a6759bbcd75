/* SPDX-License-Identifier: BSD-3-Clause
 * test_se_drop.c - drop records: the reason vocabulary (metric labels),
 * escaping of hostile values, comparison, formatting. */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "k8s/se_drop.h"

START_TEST(test_reason_names)
{
	/* metric label values: changing one breaks dashboards */
	static const char *const want[SE_DROP_REASONS] = {
		"cidr",         "bad-address", "bad-host",    "wildcard-host", "port-range",     "port-name",
		"address-host", "out-of-zone", "host-policy", "export-to",     "invalid-record", "malformed",
	};
	for (int i = 0; i < SE_DROP_REASONS; i++)
		ck_assert_str_eq(se_drop_reason_name((enum se_drop_reason)i), want[i]);
	ck_assert_str_eq(se_drop_reason_name(SE_DROP_REASONS), "unknown");
}
END_TEST

START_TEST(test_add_format_compare)
{
	struct se_drops a = { 0 }, b = { 0 };
	ck_assert_int_eq(se_drops_add(&a, SE_DROP_CIDR, "spec.addresses[1]", "10.0.0.0/24", 11, NULL,
				      "a range, not one address"),
			 0);
	ck_assert_int_eq(se_drops_add(&a, SE_DROP_HOST_POLICY, "spec.hosts[0]", "payments.prod.global", 20,
				      "payments.prod.global", "host %s belongs to namespace %s",
				      "payments.prod.global.", "prod"),
			 0);
	ck_assert_uint_eq(a.count, 2);
	char line[512];
	se_drop_format(&a.items[0], line, sizeof(line));
	ck_assert_str_eq(line, "spec.addresses[1] \"10.0.0.0/24\": cidr: a range, not one address");
	se_drop_format(&a.items[1], line, sizeof(line));
	ck_assert_str_eq(line,
			 "spec.hosts[0] \"payments.prod.global\": host-policy: host payments.prod.global. "
			 "belongs to namespace prod");
	/* which names a drop concerns */
	ck_assert(se_drop_concerns(&a.items[0], "anything.default.global"));
	ck_assert(se_drop_concerns(&a.items[1], "payments.prod.global"));
	ck_assert(!se_drop_concerns(&a.items[1], "other.prod.global"));
	/* equal: same pieces in the same order, whatever the messages */
	se_drops_add(&b, SE_DROP_CIDR, "spec.addresses[1]", "10.0.0.0/24", 11, NULL, "other words");
	ck_assert(!se_drops_equal(&a, &b));
	se_drops_add(&b, SE_DROP_HOST_POLICY, "spec.hosts[0]", "payments.prod.global", 20,
		     "payments.prod.global", "x");
	ck_assert(se_drops_equal(&a, &b));
	struct se_drops c = { 0 };
	se_drops_add(&c, SE_DROP_CIDR, "spec.addresses[2]", "10.0.0.0/24", 11, NULL, "x");
	se_drops_add(&c, SE_DROP_HOST_POLICY, "spec.hosts[0]", "payments.prod.global", 20,
		     "payments.prod.global", "x");
	ck_assert(!se_drops_equal(&a, &c));
	se_drops_clear(&a);
	se_drops_clear(&b);
	se_drops_clear(&c);
	ck_assert_uint_eq(a.count, 0);
	ck_assert_ptr_null(a.items);
}
END_TEST

START_TEST(test_hostile_values)
{
	struct se_drops d = { 0 };
	/* control characters, quotes' neighbours, a NUL inside, bytes >= 0x80 */
	static const char v[] = "a\nb\x01\\c\0d\xff";
	se_drops_add(&d, SE_DROP_BAD_HOST, "spec.hosts[3]", v, sizeof(v) - 1, NULL, "not a DNS name");
	ck_assert_str_eq(d.items[0].value, "a\\x0ab\\x01\\x5cc\\x00d\\xff");
	/* long values are cut, never overflow */
	char big[1000];
	memset(big, 'x', sizeof(big));
	se_drops_add(&d, SE_DROP_BAD_HOST, "spec.hosts[4]", big, sizeof(big), NULL, "long");
	ck_assert_uint_lt(strlen(d.items[1].value), SE_DROP_VALUE_MAX);
	ck_assert_str_eq(d.items[1].value + strlen(d.items[1].value) - 3, "...");
	se_drops_clear(&d);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("se_drop");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_reason_names);
	tcase_add_test(tc, test_add_format_compare);
	tcase_add_test(tc, test_hostile_values);
	suite_add_tcase(s, tc);
	return s;
}
