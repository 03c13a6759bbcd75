/* SPDX-License-Identifier: BSD-3-Clause
 * test_array.c - the growable array: appends keep every element, the
 * capacity starts at the first size and doubles (n appends, log n
 * reallocations), sizes that would overflow fail with DNSD_ENOMEM and
 * leave the array as it was. */
#include <check.h>

#include "check_main.h"
#include <stdint.h>
#include <stdlib.h>

#include "util/array.h"
#include "util/err.h"

struct item {
	uint32_t a;
	uint64_t b;
};

START_TEST(appends_keep_elements_and_double)
{
	struct item *items = NULL;
	size_t cap = 0, count = 0, grew = 0, bad = 0;
	for (uint32_t i = 0; i < 10000; i++) {
		size_t before = cap;
		ck_assert_int_eq(ARRAY_RESERVE_ONE(items, &cap, count, 8), 0);
		if (cap != before) {
			grew++;
			/* the first size, then doubling */
			bad += cap != (before ? 2 * before : 8);
		}
		items[count++] = (struct item){ .a = i, .b = (uint64_t)i * 3 };
	}
	ck_assert_uint_eq(bad, 0);
	/* 8 .. 16,384: 12 allocations for 10,000 elements */
	ck_assert_uint_eq(grew, 12);
	ck_assert_uint_eq(cap, 16384);
	for (uint32_t i = 0; i < 10000 && !bad; i++)
		bad += items[i].a != i || items[i].b != (uint64_t)i * 3;
	ck_assert_uint_eq(bad, 0);
	/* room left: nothing changes */
	struct item *same = items;
	ck_assert_int_eq(ARRAY_RESERVE_ONE(items, &cap, count, 8), 0);
	ck_assert_ptr_eq(items, same);
	ck_assert_uint_eq(cap, 16384);
	free(items);
}
END_TEST

START_TEST(overflow_fails_and_keeps_the_array)
{
	struct item *items = NULL;
	size_t cap = 0;
	ck_assert_int_eq(ARRAY_RESERVE_ONE(items, &cap, 0, 4), 0);
	items[0].a = 7;
	struct item *kept = items;
	/* a capacity whose double, in bytes, passes SIZE_MAX */
	size_t huge = SIZE_MAX / sizeof(*items) / 2 + 1;
	ck_assert_int_eq(ARRAY_RESERVE_ONE(items, &huge, huge, 4), DNSD_ENOMEM);
	ck_assert_ptr_eq(items, kept);
	ck_assert_uint_eq(huge, SIZE_MAX / sizeof(*items) / 2 + 1);
	size_t top = SIZE_MAX / 2 + 1;
	ck_assert_int_eq(array_reserve_one(&items, &top, top, 1, 4), DNSD_ENOMEM);
	ck_assert_uint_eq(top, SIZE_MAX / 2 + 1);
	ck_assert_uint_eq(items[0].a, 7);
	free(items);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("array");
	TCase *tc = tcase_create("array");
	tcase_add_test(tc, appends_keep_elements_and_double);
	tcase_add_test(tc, overflow_fails_and_keeps_the_array);
	suite_add_tcase(s, tc);
	return s;
}
