/* SPDX-License-Identifier: BSD-3-Clause
 * test_slots.c - counter slots by name: a name keeps its slot, new names
 * take the next one, and past the last the names share it as "_other". */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>

#include "util/slots.h"

START_TEST(names_keep_their_slots)
{
	struct slots s = SLOTS_INIT(4);
	ck_assert_ptr_null(slots_name(&s, 0));
	ck_assert_uint_eq(slots_get(&s, "mesh-1"), 0);
	ck_assert_uint_eq(slots_get(&s, "mesh-2"), 1);
	ck_assert_uint_eq(slots_get(&s, "mesh-1"), 0); /* again: the same slot */
	ck_assert_uint_eq(slots_get(&s, "default"), 2);
	ck_assert_str_eq(slots_name(&s, 1), "mesh-2");
	ck_assert_ptr_null(slots_name(&s, 3));
	/* the last slot: its first name keeps the label ... */
	ck_assert_uint_eq(slots_get(&s, "late"), 3);
	ck_assert_uint_eq(slots_get(&s, "late"), 3);
	ck_assert_str_eq(slots_name(&s, 3), "late");
	/* ... until a second name shares it */
	ck_assert_uint_eq(slots_get(&s, "later"), 3);
	ck_assert_str_eq(slots_name(&s, 3), SLOTS_OTHER);
	ck_assert_uint_eq(slots_get(&s, "mesh-2"), 1);
	ck_assert_str_eq(slots_name(&s, 0), "mesh-1");
	ck_assert_ptr_null(slots_name(&s, 4));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *su = suite_create("slots");
	TCase *tc = tcase_create("slots");
	tcase_add_test(tc, names_keep_their_slots);
	suite_add_tcase(su, tc);
	return su;
}
