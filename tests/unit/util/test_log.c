/* SPDX-License-Identifier: BSD-3-Clause
 * test_log.c - the limiter for lines others can cause (log.h): in one
 * second the first LOG_LIMIT_LINES go out and the rest are held back and
 * counted; the first line of a later second says how many were held; from
 * several threads at once no line is lost from the count. */
#include <check.h>

#include "check_main.h"
#include <pthread.h>
#include <time.h>

#include "util/log.h"

/* calls log_limit_pass n times; returns how many passed, adds what they
 * reported held to *held */
static unsigned pass_n(struct log_limit *l, unsigned n, uint64_t *held)
{
	unsigned passed = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t h = 0;
		if (log_limit_pass(l, &h)) {
			passed++;
			*held += h;
		}
	}
	return passed;
}

START_TEST(a_burst_lets_five_out_and_counts_the_rest)
{
	struct log_limit l = { 0 };
	uint64_t held = 0;
	unsigned passed = pass_n(&l, 1000, &held);
	/* 1,000 calls take well under a second; across a second's edge at most
	 * twice the limit pass */
	ck_assert_uint_ge(passed, LOG_LIMIT_LINES);
	ck_assert_uint_le(passed, 2 * LOG_LIMIT_LINES);
	uint64_t waiting = atomic_load(&l.held);
	ck_assert_uint_eq(passed + held + waiting, 1000);
	ck_assert_uint_ge(waiting, 1000 - 2 * LOG_LIMIT_LINES);
	/* the next second's first line says how many were held back: poll the
	 * limiter until it lets one out (bounded: 3 s) */
	struct timespec step = { 0, 10 * 1000 * 1000 };
	uint64_t h = 0;
	bool is_out = false;
	for (int i = 0; i < 300 && !(is_out = log_limit_pass(&l, &h)); i++)
		nanosleep(&step, NULL);
	ck_assert(is_out);
	/* those polls that were held are counted too */
	ck_assert_uint_ge(h, waiting);
	ck_assert_uint_eq(atomic_load(&l.held), 0);
}
END_TEST

struct flood {
	struct log_limit *l;
	unsigned passed;
	uint64_t held;
};

static void *flood_thread(void *arg)
{
	struct flood *f = arg;
	f->passed = pass_n(f->l, 20000, &f->held);
	return NULL;
}

START_TEST(threads_lose_nothing_from_the_count)
{
	struct log_limit l = { 0 };
	struct flood f[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		f[i] = (struct flood){ .l = &l };
		ck_assert_int_eq(pthread_create(&t[i], NULL, flood_thread, &f[i]), 0);
	}
	uint64_t total = 0, passed = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		passed += f[i].passed;
		total += f[i].passed + f[i].held;
	}
	total += atomic_load(&l.held);
	ck_assert_uint_eq(total, 80000);
	/* a few seconds at most, even under a sanitizer */
	ck_assert_uint_le(passed, 30 * LOG_LIMIT_LINES);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, a_burst_lets_five_out_and_counts_the_rest);
	tcase_add_test(tc, threads_lose_nothing_from_the_count);
	suite_add_tcase(s, tc);
	return s;
}
