/* SPDX-License-Identifier: BSD-3-Clause
 * test_metrics.c - the Prometheus text writers (label values and HELP text
 * escaped, HELP/TYPE once per family, cumulative histogram buckets ending in
 * +Inf, _sum, _count) and the collector registry (order, duplicates,
 * unregister). */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/metrics.h"

/* A writer on a memory stream; text() closes the stream and returns what
 * was written (freed by the fixture). */
static char *buf;
static size_t buf_len;
static FILE *stream;
static struct metrics_out out;

static void setup(void)
{
	buf = NULL;
	buf_len = 0;
	stream = open_memstream(&buf, &buf_len);
	ck_assert_ptr_nonnull(stream);
	metrics_out_init(&out, stream);
}

static void teardown(void)
{
	metrics_out_clear(&out);
	if (stream)
		fclose(stream);
	free(buf);
}

static const char *text(void)
{
	fclose(stream);
	stream = NULL;
	return buf;
}

static size_t occurrences(const char *haystack, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

START_TEST(sample_without_labels)
{
	metrics_sample(&out, "dnsd_x_total", NULL, 0, 42);
	metrics_sample_int(&out, "dnsd_y", NULL, 0, -7);
	ck_assert_str_eq(text(), "dnsd_x_total 42\ndnsd_y -7\n");
}
END_TEST

START_TEST(sample_with_labels_in_order)
{
	const struct metrics_label labels[] = { { "view", "mesh-1" }, { "zone", "global." } };
	metrics_sample(&out, "dnsd_r", labels, 2, 18446744073709551615ull);
	ck_assert_str_eq(text(), "dnsd_r{view=\"mesh-1\",zone=\"global.\"} 18446744073709551615\n");
}
END_TEST

START_TEST(label_values_are_escaped)
{
	const struct metrics_label labels[] = { { "name", "a\\b\"c\nd" } };
	metrics_sample(&out, "dnsd_e", labels, 1, 1);
	ck_assert_str_eq(text(), "dnsd_e{name=\"a\\\\b\\\"c\\nd\"} 1\n");
}
END_TEST

START_TEST(help_is_escaped_but_keeps_quotes)
{
	metrics_family(&out, "dnsd_h", METRICS_GAUGE, "back\\slash \"quoted\"\nsecond line");
	ck_assert_str_eq(text(), "# HELP dnsd_h back\\\\slash \"quoted\"\\nsecond line\n"
				 "# TYPE dnsd_h gauge\n");
}
END_TEST

START_TEST(help_and_type_once_per_family)
{
	const struct metrics_label a = { "cluster", "a" }, b = { "cluster", "b" };
	metrics_family(&out, "dnsd_c_total", METRICS_COUNTER, "C.");
	metrics_sample(&out, "dnsd_c_total", &a, 1, 1);
	metrics_family(&out, "dnsd_g", METRICS_GAUGE, "G.");
	metrics_sample(&out, "dnsd_g", &a, 1, 2);
	metrics_family(&out, "dnsd_c_total", METRICS_COUNTER, "C.");
	metrics_sample(&out, "dnsd_c_total", &b, 1, 3);
	ck_assert_str_eq(text(), "# HELP dnsd_c_total C.\n# TYPE dnsd_c_total counter\n"
				 "dnsd_c_total{cluster=\"a\"} 1\n"
				 "# HELP dnsd_g G.\n# TYPE dnsd_g gauge\n"
				 "dnsd_g{cluster=\"a\"} 2\n"
				 "dnsd_c_total{cluster=\"b\"} 3\n");
}
END_TEST

START_TEST(continued_writer_writes_samples_only)
{
	out.is_continued = true;
	metrics_single(&out, "dnsd_s_total", METRICS_COUNTER, "S.", 5);
	ck_assert_str_eq(text(), "dnsd_s_total 5\n");
}
END_TEST

START_TEST(single_is_family_and_sample)
{
	metrics_single(&out, "dnsd_s_total", METRICS_COUNTER, "S.", 5);
	ck_assert_str_eq(text(), "# HELP dnsd_s_total S.\n# TYPE dnsd_s_total counter\ndnsd_s_total 5\n");
}
END_TEST

START_TEST(histogram_buckets_are_cumulative)
{
	const double bounds[] = { 0.001, 0.5, 1 };
	const uint64_t counts[] = { 2, 0, 3, 4 }; /* the last: above 1 */
	metrics_family(&out, "dnsd_d_seconds", METRICS_HISTOGRAM, "D.");
	metrics_histogram(&out, "dnsd_d_seconds", NULL, 0, bounds, counts, 3, 2.5);
	ck_assert_str_eq(text(), "# HELP dnsd_d_seconds D.\n# TYPE dnsd_d_seconds histogram\n"
				 "dnsd_d_seconds_bucket{le=\"0.001\"} 2\n"
				 "dnsd_d_seconds_bucket{le=\"0.5\"} 2\n"
				 "dnsd_d_seconds_bucket{le=\"1\"} 5\n"
				 "dnsd_d_seconds_bucket{le=\"+Inf\"} 9\n"
				 "dnsd_d_seconds_sum 2.500000000\n"
				 "dnsd_d_seconds_count 9\n");
}
END_TEST

START_TEST(histogram_with_labels_puts_le_last)
{
	const double bounds[] = { 1e-05 };
	const uint64_t counts[] = { 1, 1 };
	const struct metrics_label view = { "view", "v\"1" };
	metrics_histogram(&out, "dnsd_h", &view, 1, bounds, counts, 1, 0);
	ck_assert_str_eq(text(), "dnsd_h_bucket{view=\"v\\\"1\",le=\"1e-05\"} 1\n"
				 "dnsd_h_bucket{view=\"v\\\"1\",le=\"+Inf\"} 2\n"
				 "dnsd_h_sum{view=\"v\\\"1\"} 0.000000000\n"
				 "dnsd_h_count{view=\"v\\\"1\"} 2\n");
}
END_TEST

/* ---------- registry ---------- */

static unsigned collect_calls;

static void collect_a(void *ctx, struct metrics_out *m)
{
	collect_calls++;
	metrics_single(m, "dnsd_a", METRICS_GAUGE, "A.", *(const uint64_t *)ctx);
}

/* Shares dnsd_a's family: its HELP/TYPE must not come again. */
static void collect_b(void *ctx, struct metrics_out *m)
{
	collect_calls++;
	const struct metrics_label b = { "from", "b" };
	metrics_family(m, "dnsd_a", METRICS_GAUGE, "A.");
	metrics_sample(m, "dnsd_a", &b, 1, *(const uint64_t *)ctx);
}

START_TEST(collectors_run_in_registration_order)
{
	uint64_t one = 1, two = 2;
	collect_calls = 0;
	ck_assert_int_eq(metrics_register("test_a", collect_a, &one), 0);
	ck_assert_int_eq(metrics_register("test_b", collect_b, &two), 0);
	metrics_write(stream);
	ck_assert_str_eq(text(), "# HELP dnsd_a A.\n# TYPE dnsd_a gauge\ndnsd_a 1\n"
				 "dnsd_a{from=\"b\"} 2\n");
	ck_assert_uint_eq(collect_calls, 2);
	metrics_unregister("test_a");
	metrics_unregister("test_b");
}
END_TEST

START_TEST(register_refuses_a_taken_name)
{
	uint64_t one = 1;
	ck_assert_int_eq(metrics_register("test_dup", collect_a, &one), 0);
	ck_assert_int_eq(metrics_register("test_dup", collect_b, &one), DNSD_EEXIST);
	ck_assert_int_eq(metrics_register(NULL, collect_a, &one), DNSD_EINVAL);
	ck_assert_int_eq(metrics_register("test_null", NULL, &one), DNSD_EINVAL);
	collect_calls = 0;
	metrics_write(stream);
	ck_assert_uint_eq(collect_calls, 1); /* the first one only */
	ck_assert_uint_eq(occurrences(text(), "dnsd_a 1\n"), 1);
	metrics_unregister("test_dup");
}
END_TEST

START_TEST(unregistered_collectors_do_not_run)
{
	uint64_t one = 1, two = 2;
	ck_assert_int_eq(metrics_register("test_a", collect_a, &one), 0);
	ck_assert_int_eq(metrics_register("test_b", collect_b, &two), 0);
	metrics_unregister("test_a");
	metrics_unregister("test_nosuch"); /* no-op */
	collect_calls = 0;
	metrics_write(stream);
	ck_assert_uint_eq(collect_calls, 1);
	/* test_b now heads the family itself */
	ck_assert_str_eq(text(), "# HELP dnsd_a A.\n# TYPE dnsd_a gauge\ndnsd_a{from=\"b\"} 2\n");
	metrics_unregister("test_b");
	/* the name is free again */
	ck_assert_int_eq(metrics_register("test_a", collect_a, &one), 0);
	metrics_unregister("test_a");
}
END_TEST

START_TEST(write_with_no_collectors_is_empty)
{
	metrics_write(stream);
	ck_assert_str_eq(text(), "");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *su = suite_create("metrics");
	TCase *tc = tcase_create("writers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sample_without_labels);
	tcase_add_test(tc, sample_with_labels_in_order);
	tcase_add_test(tc, label_values_are_escaped);
	tcase_add_test(tc, help_is_escaped_but_keeps_quotes);
	tcase_add_test(tc, help_and_type_once_per_family);
	tcase_add_test(tc, continued_writer_writes_samples_only);
	tcase_add_test(tc, single_is_family_and_sample);
	tcase_add_test(tc, histogram_buckets_are_cumulative);
	tcase_add_test(tc, histogram_with_labels_puts_le_last);
	suite_add_tcase(su, tc);
	tc = tcase_create("registry");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, collectors_run_in_registration_order);
	tcase_add_test(tc, register_refuses_a_taken_name);
	tcase_add_test(tc, unregistered_collectors_do_not_run);
	tcase_add_test(tc, write_with_no_collectors_is_empty);
	suite_add_tcase(su, tc);
	return su;
}
