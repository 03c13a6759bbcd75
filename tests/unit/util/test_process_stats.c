/* SPDX-License-Identifier: BSD-3-Clause
 * test_process_stats.c - the process_* figures follow what the process does:
 * descriptors opened and closed, memory touched, CPU burnt, limits set. */
#include <check.h>

#include "check_main.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "util/process_stats.h"

START_TEST(open_fds_counts_descriptors_exactly)
{
	struct process_stats a, b, c;
	ck_assert_int_eq(process_stats_read(&a), 0);
	int fds[3];
	for (int i = 0; i < 3; i++) {
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		ck_assert_int_ge(fds[i], 0);
	}
	ck_assert_int_eq(process_stats_read(&b), 0);
	ck_assert_uint_eq(b.open_fds, a.open_fds + 3);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	ck_assert_int_eq(process_stats_read(&c), 0);
	ck_assert_uint_eq(c.open_fds, a.open_fds);
	/* the same count found another way: every descriptor fcntl() knows */
	uint64_t n = 0;
	for (int fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	ck_assert_uint_eq(c.open_fds, n);
}
END_TEST

START_TEST(max_fds_is_the_soft_limit)
{
	struct rlimit old, rl;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	rl = old;
	rl.rlim_cur = old.rlim_cur > 200 ? 200 : old.rlim_cur;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	struct process_stats s;
	ck_assert_int_eq(process_stats_read(&s), 0);
	ck_assert_uint_eq(s.max_fds, rl.rlim_cur);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_int_eq(process_stats_read(&s), 0);
	ck_assert_uint_eq(s.max_fds, old.rlim_cur);
	ck_assert_double_gt(s.virtual_max_bytes, 0);
}
END_TEST

START_TEST(resident_memory_grows_when_pages_are_touched)
{
	struct process_stats a, b;
	ck_assert_int_eq(process_stats_read(&a), 0);
	ck_assert_uint_gt(a.resident_bytes, 0);
	ck_assert_uint_ge(a.virtual_bytes, a.resident_bytes);
	size_t len = 64u << 20;
	volatile char *p = malloc(len);
	ck_assert_ptr_nonnull((void *)p);
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1; /* through volatile: the writes cannot be elided */
	ck_assert_int_eq(process_stats_read(&b), 0);
	ck_assert_uint_ge(b.resident_bytes, a.resident_bytes + (len / 2));
	ck_assert_uint_ge(b.virtual_bytes, a.virtual_bytes + (len / 2));
	free((void *)p);
}
END_TEST

START_TEST(cpu_seconds_grow_with_work)
{
	struct process_stats a, b;
	ck_assert_int_eq(process_stats_read(&a), 0);
	struct timespec t0, t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	volatile unsigned long x = 0;
	do {
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 150000000L);
	ck_assert_int_eq(process_stats_read(&b), 0);
	/* 150 ms burnt; the kernel counts in clock ticks (10 ms at USER_HZ 100) */
	ck_assert_double_ge(b.cpu_seconds - a.cpu_seconds, 0.10);
}
END_TEST

START_TEST(start_time_is_this_process)
{
	struct process_stats s;
	ck_assert_int_eq(process_stats_read(&s), 0);
	double now = (double)time(NULL);
	ck_assert_double_le(s.start_time_s, now + 1);
	ck_assert_double_ge(s.start_time_s, now - 600); /* a test runs for seconds */
	ck_assert_str_eq(process_stats_families[6].name, "process_start_time_seconds");
	ck_assert_double_eq(process_stats_value(&s, 6), s.start_time_s);
	ck_assert_double_eq(process_stats_value(&s, 4), (double)s.open_fds);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *su = suite_create("process_stats");
	TCase *tc = tcase_create("process_stats");
	tcase_add_test(tc, open_fds_counts_descriptors_exactly);
	tcase_add_test(tc, max_fds_is_the_soft_limit);
	tcase_add_test(tc, resident_memory_grows_when_pages_are_touched);
	tcase_add_test(tc, cpu_seconds_grow_with_work);
	tcase_add_test(tc, start_time_is_this_process);
	suite_add_tcase(su, tc);
	return su;
}
