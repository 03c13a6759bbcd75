/* SPDX-License-Identifier: BSD-3-Clause
 * test_view.c - view choice: BIND first-match order, negation, "any",
 * listening address, ECS instead of the source, and the ECS scope. */
#include <arpa/inet.h>
#include <check.h>

#include "check_main.h"
#include <string.h>

#include "zone/view.h"

static struct sockaddr_in v4(const char *a, uint16_t port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, a, &s.sin_addr);
	return s;
}

static struct config_prefix prefix(const char *text)
{
	struct config_prefix p;
	ck_assert_int_eq(config_prefix_parse(&p, text), 0);
	return p;
}

START_TEST(test_prefix_parse)
{
	struct config_prefix p;
	ck_assert_int_eq(config_prefix_parse(&p, "10.1.0.0/16"), 0);
	ck_assert_int_eq(p.family, AF_INET);
	ck_assert_uint_eq(p.len, 16);
	ck_assert_int_eq(config_prefix_parse(&p, "!2001:db8::/32"), 0);
	ck_assert(p.is_negated);
	ck_assert_int_eq(p.family, AF_INET6);
	ck_assert_int_eq(config_prefix_parse(&p, "any"), 0);
	ck_assert_int_eq(p.family, 0);
	ck_assert_int_eq(config_prefix_parse(&p, "127.0.0.11"), 0);
	ck_assert_uint_eq(p.len, 32);
	ck_assert_int_ne(config_prefix_parse(&p, "10.1.0.0/33"), 0);
	ck_assert_int_ne(config_prefix_parse(&p, "10.1.0.0/"), 0);
	ck_assert_int_ne(config_prefix_parse(&p, "bogus"), 0);
}
END_TEST

START_TEST(test_first_match_and_negation)
{
	struct config_prefix m1[2] = { prefix("!10.1.9.0/24"), prefix("10.1.0.0/16") };
	struct config_prefix m2[1] = { prefix("any") };
	struct config_view cv[2] = {
		{ .name = "mesh-1", .match_clients = m1, .match_clients_count = 2 },
		{ .name = "default", .match_clients = m2, .match_clients_count = 1 },
	};
	struct config cfg = { .views = cv, .views_count = 2 };
	struct view_table *t = view_table_new(&cfg);
	struct sockaddr_in local = v4("127.0.0.1", 53);
	struct sockaddr_in c1 = v4("10.1.2.3", 1000), c2 = v4("10.1.9.3", 1000), c3 = v4("192.0.2.1", 1);
	ck_assert_int_eq(view_select(t, (struct sockaddr *)&c1, (struct sockaddr *)&local, NULL, NULL), 0);
	ck_assert_int_eq(view_select(t, (struct sockaddr *)&c2, (struct sockaddr *)&local, NULL, NULL), 1);
	ck_assert_int_eq(view_select(t, (struct sockaddr *)&c3, (struct sockaddr *)&local, NULL, NULL), 1);
	/* ECS 10.1.4.0/24 from an unrelated forwarder address picks mesh-1, scope 24 */
	struct wire_ecs ecs = { .family = 1, .source_len = 24, .addr = { 10, 1, 4 } };
	uint8_t scope = 99;
	ck_assert_int_eq(view_select(t, (struct sockaddr *)&c3, (struct sockaddr *)&local, &ecs, &scope), 0);
	ck_assert_uint_eq(scope, 24);
	/* ECS /8 is wider than every prefix: cannot be placed in mesh-1 */
	struct wire_ecs wide = { .family = 1, .source_len = 8, .addr = { 10 } };
	ck_assert_int_eq(view_select(t, (struct sockaddr *)&c1, (struct sockaddr *)&local, &wide, &scope), 1);
	ck_assert_uint_eq(scope, 8);
	/* ECS /0 carries no address: the source address decides, scope 0 */
	struct wire_ecs none = { .family = 1, .source_len = 0 };
	ck_assert_int_eq(view_select(t, (struct sockaddr *)&c1, (struct sockaddr *)&local, &none, &scope), 0);
	ck_assert_uint_eq(scope, 0);
	ck_assert_int_eq(view_select(t, (struct sockaddr *)&c3, (struct sockaddr *)&local, &none, &scope), 1);
	ck_assert_uint_eq(scope, 0);
	view_table_unref(t);
}
END_TEST

START_TEST(test_destinations)
{
	struct config_addr d;
	memset(&d, 0, sizeof(d));
	struct sockaddr_in a = v4("127.0.0.1", 5354);
	memcpy(&d.ss, &a, sizeof(a));
	struct config_view cv[2] = {
		{ .name = "by-port", .match_destinations = &d, .match_destinations_count = 1 },
		{ .name = "rest" },
	};
	struct config cfg = { .views = cv, .views_count = 2 };
	struct view_table *t = view_table_new(&cfg);
	struct sockaddr_in client = v4("127.0.0.1", 999);
	struct sockaddr_in l1 = v4("127.0.0.1", 5354), l2 = v4("127.0.0.1", 5353);
	ck_assert_int_eq(view_select(t, (struct sockaddr *)&client, (struct sockaddr *)&l1, NULL, NULL), 0);
	ck_assert_int_eq(view_select(t, (struct sockaddr *)&client, (struct sockaddr *)&l2, NULL, NULL), 1);
	view_table_unref(t);
}
END_TEST

START_TEST(test_implicit_view)
{
	struct config cfg = { 0 };
	struct view_table *t = view_table_new(&cfg);
	ck_assert_uint_eq(t->count, 1);
	ck_assert_str_eq(t->views[0].name, "default");
	struct sockaddr_in6 c6 = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, "::1", &c6.sin6_addr);
	ck_assert_int_eq(view_select(t, (struct sockaddr *)&c6, (struct sockaddr *)&c6, NULL, NULL), 0);
	view_table_unref(t);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("view");
	TCase *tc = tcase_create("view");
	tcase_add_test(tc, test_prefix_parse);
	tcase_add_test(tc, test_first_match_and_negation);
	tcase_add_test(tc, test_destinations);
	tcase_add_test(tc, test_implicit_view);
	suite_add_tcase(s, tc);
	return s;
}
