/* SPDX-License-Identifier: BSD-3-Clause
 * test_buf.c - the growable byte buffer: appends keep every byte and the
 * NUL, reserve makes room without changing contents, reset keeps memory,
 * the limit refuses exactly the byte past it and leaves the buffer intact,
 * take hands over ownership. */
#include <check.h>

#include "check_main.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"

START_TEST(append_keeps_bytes_and_nul)
{
	struct buf b;
	buf_init(&b, 0);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(buf_append(&b, "abc", 3), 0);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_str_eq(b.data, "abc");
	/* embedded NULs are bytes like any other */
	ck_assert_int_eq(buf_append(&b, "\0x", 2), 0);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_int_eq(memcmp(b.data, "abc\0x", 6), 0);
	/* grow well past the first allocation: every byte survives (one
	 * assertion per loop, not per byte: Check's are costly under TSan) */
	int failed_appends = 0;
	for (unsigned i = 0; i < 50000; i++) {
		uint8_t c = (uint8_t)(i * 7);
		failed_appends += buf_append(&b, &c, 1) != 0;
	}
	ck_assert_int_eq(failed_appends, 0);
	ck_assert_uint_eq(b.len, 50005);
	unsigned first_bad = 50000;
	for (unsigned i = 0; i < 50000 && first_bad == 50000; i++)
		if ((uint8_t)b.data[5 + i] != (uint8_t)(i * 7))
			first_bad = i;
	ck_assert_uint_eq(first_bad, 50000);
	ck_assert_int_eq(memcmp(b.data, "abc\0x", 5), 0);
	ck_assert_int_eq(b.data[b.len], '\0');
	ck_assert_uint_ge(b.cap, b.len + 1);
	buf_clear(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	buf_clear(&b); /* clearing an empty buffer is fine */
}
END_TEST

START_TEST(reserve_and_reset)
{
	struct buf b;
	buf_init(&b, 0);
	ck_assert_int_eq(buf_reserve(&b, 10000), 0);
	ck_assert_uint_ge(b.cap, 10001);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	char *before = b.data;
	ck_assert_int_eq(buf_append(&b, "hello", 5), 0);
	ck_assert_ptr_eq(b.data, before); /* reserved: no reallocation */
	size_t cap = b.cap;
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	ck_assert_ptr_eq(b.data, before); /* reset keeps the memory */
	ck_assert_uint_eq(b.cap, cap);
	ck_assert_int_eq(buf_append(&b, "x", 1), 0);
	ck_assert_str_eq(b.data, "x");
	buf_reset(&b);
	buf_clear(&b);
	buf_reset(&b); /* resetting an empty buffer is fine */
	ck_assert_int_eq(buf_reserve(&b, SIZE_MAX), DNSD_ELIMIT);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(limit_refuses_the_byte_past_it)
{
	struct buf b;
	buf_init(&b, 8);
	ck_assert_int_eq(buf_append(&b, "12345", 5), 0);
	ck_assert_int_eq(buf_append(&b, "6789", 4), DNSD_ELIMIT);
	ck_assert_uint_eq(b.len, 5); /* left as it was */
	ck_assert_str_eq(b.data, "12345");
	ck_assert_int_eq(buf_reserve(&b, 4), DNSD_ELIMIT);
	ck_assert_int_eq(buf_reserve(&b, 3), 0);
	ck_assert_int_eq(buf_append(&b, "678", 3), 0);
	ck_assert_str_eq(b.data, "12345678");
	ck_assert_uint_le(b.cap, 9); /* never allocates past the limit */
	ck_assert_int_eq(buf_append(&b, "9", 1), DNSD_ELIMIT);
	ck_assert_int_eq(buf_append(&b, "", 0), 0);
	buf_reset(&b);
	ck_assert_int_eq(buf_append(&b, "abcdefgh", 8), 0); /* the limit holds after reset */
	ck_assert_int_eq(buf_append(&b, "i", 1), DNSD_ELIMIT);
	buf_clear(&b);
	ck_assert_uint_eq(b.max_len, 8); /* and after clear */
	ck_assert_int_eq(buf_append(&b, "123456789", 9), DNSD_ELIMIT);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(take_hands_over_contents)
{
	struct buf b;
	buf_init(&b, 100);
	size_t len = 99;
	char *s = buf_take(&b, &len); /* empty: "" rather than NULL */
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(len, 0);
	free(s);
	ck_assert_int_eq(buf_append(&b, "body", 4), 0);
	s = buf_take(&b, &len);
	ck_assert_str_eq(s, "body");
	ck_assert_uint_eq(len, 4);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.max_len, 100);
	free(s);
	ck_assert_int_eq(buf_append(&b, "again", 5), 0);
	s = buf_take(&b, NULL);
	ck_assert_str_eq(s, "again");
	free(s);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");
	tcase_add_test(tc, append_keeps_bytes_and_nul);
	tcase_add_test(tc, reserve_and_reset);
	tcase_add_test(tc, limit_refuses_the_byte_past_it);
	tcase_add_test(tc, take_hands_over_contents);
	suite_add_tcase(s, tc);
	return s;
}
