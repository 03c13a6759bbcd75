/* SPDX-License-Identifier: BSD-3-Clause
 * test_histogram.c - observations land in Prometheus's buckets (le: at or
 * below the bound), the sum adds up, and four threads observing at once lose
 * nothing (run under make tsan too). */
#include <check.h>

#include "check_main.h"
#include <pthread.h>

#include "util/histogram.h"

static const double bounds[] = { 0.001, 0.01, 0.1, 1 };

START_TEST(values_land_in_le_buckets)
{
	struct histogram h;
	histogram_init(&h, bounds, 4);
	histogram_observe(&h, 0.001); /* on the bound: le="0.001" */
	histogram_observe(&h, 0.0005);
	histogram_observe(&h, 0.002);
	histogram_observe(&h, 0.5);
	histogram_observe(&h, 1);
	histogram_observe(&h, 7);  /* above every bound: +Inf */
	histogram_observe(&h, -3); /* a clock stepped back: 0 */
	uint64_t c[5];
	double sum = histogram_read(&h, c);
	ck_assert_uint_eq(c[0], 3);
	ck_assert_uint_eq(c[1], 1);
	ck_assert_uint_eq(c[2], 0);
	ck_assert_uint_eq(c[3], 2);
	ck_assert_uint_eq(c[4], 1);
	ck_assert_double_eq_tol(sum, 0.001 + 0.0005 + 0.002 + 0.5 + 1 + 7, 1e-9);
}
END_TEST

static void *observer(void *arg)
{
	struct histogram *h = arg;
	for (int i = 0; i < 100000; i++)
		histogram_observe(h, (i % 4) ? 0.005 : 2.0);
	return NULL;
}

START_TEST(concurrent_observers_lose_nothing)
{
	struct histogram h;
	histogram_init(&h, bounds, 4);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, observer, &h), 0);
	uint64_t c[5];
	for (int i = 0; i < 100; i++)
		histogram_read(&h, c); /* a scrape while they observe */
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	double sum = histogram_read(&h, c);
	ck_assert_uint_eq(c[1], 300000);
	ck_assert_uint_eq(c[4], 100000);
	ck_assert_uint_eq(c[0] + c[2] + c[3], 0);
	ck_assert_double_eq_tol(sum, 300000 * 0.005 + 100000 * 2.0, 1e-3);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *su = suite_create("histogram");
	TCase *tc = tcase_create("histogram");
	tcase_add_test(tc, values_land_in_le_buckets);
	tcase_add_test(tc, concurrent_observers_lose_nothing);
	suite_add_tcase(su, tc);
	return su;
}
