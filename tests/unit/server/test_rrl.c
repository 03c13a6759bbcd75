/* SPDX-License-Identifier: BSD-3-Clause
 * test_rrl.c - response rate limiting (server/rrl.c) on a clock the test
 * drives: a bucket allows its rate at once (the burst) then one more per
 * 1/rate s; slip 2 sends every second limited reply truncated, slip 0 none;
 * the /24 (or /56) shares a bucket, the next prefix does not; another name
 * or type is another bucket, NXDOMAINs share the zone's; errors and
 * NXDOMAINs have their own rates; exempt prefixes (and "!" holes in them),
 * IPv4-mapped IPv6 as IPv4, log-only, and the slip reply's bytes. */
#include <check.h>

#include "check_main.h"
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "conf/addr.h"
#include "conf/config.h"
#include "server/rrl.h"
#include "zone/zone.h"

static struct config cfg;
static struct config_prefix exempt[2];
static struct rrl *r;
static struct rrl_thread th;
static uint64_t t0;

static void defaults(void)
{
	memset(&cfg, 0, sizeof(cfg));
	memset(&th, 0, sizeof(th));
	cfg.rrl_responses_per_second = 10;
	cfg.rrl_slip = 2;
	cfg.rrl_ipv4_prefix_length = 24;
	cfg.rrl_ipv6_prefix_length = 56;
	cfg.rrl_table_size = 1024;
}

static void start(void)
{
	char err[128];
	ck_assert_int_eq(rrl_new(&r, &cfg, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(r);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void stop(void)
{
	rrl_free(r);
	r = NULL;
}

static struct sockaddr_storage addr(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		ss.ss_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
	} else {
		ss.ss_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr), 1);
	}
	return ss;
}

static struct answer_info info_for(const char *qname, uint16_t qtype, uint8_t rcode)
{
	struct answer_info info;
	memset(&info, 0, sizeof(info));
	info.rcode = rcode;
	info.query.has_question = true;
	info.query.qname_len = (uint8_t)strlen(qname) + 1;
	memcpy(info.query.qname, qname, strlen(qname));
	info.query.qtype = qtype;
	return info;
}

/* verdicts of n replies to client at ms after start, counted by kind */
static unsigned passed(const char *client, const struct answer_info *info, unsigned n, uint64_t ms,
		       unsigned *slipped, unsigned *dropped)
{
	struct sockaddr_storage ss = addr(client);
	unsigned ok = 0;
	for (unsigned i = 0; i < n; i++) {
		enum rrl_kind kind;
		enum rrl_verdict v = rrl_check(r, &th, (const struct sockaddr *)&ss, info, t0 + ms * 1000000u,
					       &kind);
		ok += v == RRL_PASS || v == RRL_LOG_ONLY;
		if (slipped)
			*slipped += v == RRL_SLIP;
		if (dropped)
			*dropped += v == RRL_DROP;
	}
	return ok;
}

START_TEST(off_by_default)
{
	defaults();
	cfg.rrl_responses_per_second = 0;
	char err[64];
	ck_assert_int_eq(rrl_new(&r, &cfg, err, sizeof(err)), 0);
	ck_assert_ptr_null(r);
	rrl_free(NULL);
}
END_TEST

START_TEST(burst_then_rate_and_slip)
{
	defaults();
	start();
	struct answer_info a = info_for("\3www\6global", 1, 0);
	unsigned slipped = 0, dropped = 0;
	ck_assert_uint_eq(passed("192.0.2.7", &a, 30, 0, &slipped, &dropped), 10);
	ck_assert_uint_eq(slipped, 10); /* slip 2: every second of the 20 limited */
	ck_assert_uint_eq(dropped, 10);
	/* 100 ms at 10/s: exactly one more */
	ck_assert_uint_eq(passed("192.0.2.7", &a, 5, 100, NULL, NULL), 1);
	/* the same /24 shares the bucket; the next /24 has its own */
	ck_assert_uint_eq(passed("192.0.2.200", &a, 5, 100, NULL, NULL), 0);
	ck_assert_uint_eq(passed("192.0.3.7", &a, 12, 100, NULL, NULL), 10);
	/* another name or type is another bucket */
	struct answer_info b = info_for("\3api\6global", 1, 0), c = info_for("\3www\6global", 28, 0);
	ck_assert_uint_eq(passed("192.0.2.7", &b, 12, 100, NULL, NULL), 10);
	ck_assert_uint_eq(passed("192.0.2.7", &c, 12, 100, NULL, NULL), 10);
	/* a second refills the burst, never more */
	ck_assert_uint_eq(passed("192.0.2.7", &a, 30, 60000, NULL, NULL), 10);
	stop();
}
END_TEST

START_TEST(slip_zero_drops_all)
{
	defaults();
	cfg.rrl_slip = 0;
	start();
	struct answer_info a = info_for("\3www\6global", 1, 0);
	unsigned slipped = 0, dropped = 0;
	ck_assert_uint_eq(passed("192.0.2.7", &a, 20, 0, &slipped, &dropped), 10);
	ck_assert_uint_eq(slipped, 0);
	ck_assert_uint_eq(dropped, 10);
	stop();
	defaults();
	cfg.rrl_slip = 1;
	start();
	slipped = dropped = 0;
	ck_assert_uint_eq(passed("192.0.2.7", &a, 20, 0, &slipped, &dropped), 10);
	ck_assert_uint_eq(slipped, 10);
	ck_assert_uint_eq(dropped, 0);
	stop();
}
END_TEST

START_TEST(nxdomain_and_error_rates)
{
	defaults();
	cfg.rrl_nxdomains_per_second = 3;
	cfg.rrl_errors_per_second = 2;
	start();
	static struct zone z; /* only the apex is read */
	memcpy(z.apex, "\6global", 8);
	z.apex_len = 8;
	/* random names in one zone share the zone's NXDOMAIN bucket */
	struct answer_info n1 = info_for("\3aaa\6global", 1, 3), n2 = info_for("\3bbb\6global", 1, 3);
	n1.zone = n2.zone = &z;
	enum rrl_kind kind;
	struct sockaddr_storage ss = addr("198.51.100.1");
	rrl_check(r, &th, (const struct sockaddr *)&ss, &n1, t0, &kind);
	ck_assert_int_eq(kind, RRL_KIND_NXDOMAIN);
	ck_assert_str_eq(rrl_kind_name(kind), "nxdomain");
	ck_assert_uint_eq(passed("198.51.100.1", &n2, 10, 0, NULL, NULL), 2);
	struct answer_info e1 = info_for("\3aaa\6other", 1, 5), e2 = info_for("", 0, 1);
	e2.query.has_question = false;
	rrl_check(r, &th, (const struct sockaddr *)&ss, &e1, t0, &kind);
	ck_assert_int_eq(kind, RRL_KIND_ERROR);
	ck_assert_uint_eq(passed("198.51.100.1", &e2, 10, 0, NULL, NULL), 1); /* errors: per prefix */
	/* answers are untouched by both */
	struct answer_info a = info_for("\3www\6global", 1, 0);
	ck_assert_uint_eq(passed("198.51.100.1", &a, 12, 0, NULL, NULL), 10);
	stop();
}
END_TEST

START_TEST(exempt_and_ipv6)
{
	defaults();
	ck_assert_int_eq(config_prefix_parse(&exempt[0], "!10.0.0.66"), 0);
	ck_assert_int_eq(config_prefix_parse(&exempt[1], "10.0.0.0/8"), 0);
	cfg.rrl_exempt = exempt;
	cfg.rrl_exempt_count = 2;
	start();
	struct answer_info a = info_for("\3www\6global", 1, 0);
	ck_assert_uint_eq(passed("10.1.2.3", &a, 100, 0, NULL, NULL), 100);
	ck_assert_uint_eq(passed("::ffff:10.1.2.3", &a, 100, 0, NULL, NULL), 100); /* mapped = IPv4 */
	ck_assert_uint_eq(passed("10.0.0.66", &a, 12, 0, NULL, NULL), 10);         /* the hole */
	/* IPv6 /56: the same /56 shares, the next /56 does not */
	ck_assert_uint_eq(passed("2001:db8:0:ff::1", &a, 12, 0, NULL, NULL), 10);
	ck_assert_uint_eq(passed("2001:db8:0:1::2", &a, 5, 0, NULL, NULL), 0);
	ck_assert_uint_eq(passed("2001:db8:0:100::1", &a, 12, 0, NULL, NULL), 10);
	stop();
}
END_TEST

START_TEST(log_only_sends_all)
{
	defaults();
	cfg.rrl_is_log_only = true;
	start();
	struct answer_info a = info_for("\3www\6global", 1, 0);
	struct sockaddr_storage ss = addr("192.0.2.7");
	unsigned log_only = 0;
	for (int i = 0; i < 30; i++) {
		enum rrl_kind kind;
		log_only += rrl_check(r, &th, (const struct sockaddr *)&ss, &a, t0, &kind) == RRL_LOG_ONLY;
	}
	ck_assert_uint_eq(log_only, 20);
	stop();
}
END_TEST

START_TEST(slip_reply_bytes)
{
	/* a reply: header (id 0x1234, QR AA, 1 question, 1 answer, 1 additional), question, records */
	uint8_t buf[64] = { 0x12, 0x34, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 1, 3, 'w', 'w', 'w', 0, 0, 1, 0, 1 };
	struct answer_info a = info_for("\3www", 1, 0);
	a.query.question_len = 9;
	size_t len = rrl_slip_reply(buf, 40, &a);
	ck_assert_uint_eq(len, 21);
	static const uint8_t want[] = { 0x12, 0x34, 0x86, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	ck_assert_int_eq(memcmp(buf, want, sizeof(want)), 0);
	/* no question (FORMERR): the header alone */
	a.query.has_question = false;
	ck_assert_uint_eq(rrl_slip_reply(buf, 40, &a), 12);
	ck_assert_uint_eq(buf[5], 0);
}
END_TEST

START_TEST(slip_reply_keeps_opt)
{
	/* header (1 question, 1 answer, 1 additional), question www. A, an A
	 * record under a compression pointer, then an OPT (payload 1232, DO,
	 * a 4-byte option) */
	uint8_t buf[96] = { 0x12, 0x34, 0x84, 0x00, 0, 1, 0,    1, 0, 0, 0, 1,  3, 'w', 'w', 'w', 0, 0, 1,
			    0,    1,    0xC0, 12,   0, 1, 0,    1, 0, 0, 0, 60, 0, 4,   192, 0,   2, 1, 0,
			    0,    41,   0x04, 0xD0, 0, 0, 0x80, 0, 0, 8, 0, 10, 0, 4,   1,   2,   3, 4 };
	static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xD0, 0, 0, 0x80, 0, 0, 8, 0, 10, 0, 4, 1, 2, 3, 4 };
	struct answer_info a = info_for("\3www", 1, 0);
	a.query.question_len = 9;
	size_t len = rrl_slip_reply(buf, 37 + sizeof(opt), &a);
	ck_assert_uint_eq(len, 21 + sizeof(opt));
	static const uint8_t want[] = { 0x12, 0x34, 0x86, 0x00, 0, 1, 0, 0, 0, 0, 0, 1 };
	ck_assert_int_eq(memcmp(buf, want, sizeof(want)), 0);
	ck_assert_int_eq(memcmp(buf + 21, opt, sizeof(opt)), 0);
	/* a record running past the end: no OPT found, the header and question only */
	uint8_t cut[64] = { 0x12, 0x34, 0x84, 0x00, 0,    1,  0, 1, 0, 0, 0, 1, 3, 'w', 'w', 'w', 0,
			    0,    1,    0,    1,    0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60,  0,   40 };
	ck_assert_uint_eq(rrl_slip_reply(cut, 33, &a), 21);
	ck_assert_uint_eq(cut[11], 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("rrl");
	TCase *tc = tcase_create("rrl");
	tcase_add_test(tc, off_by_default);
	tcase_add_test(tc, burst_then_rate_and_slip);
	tcase_add_test(tc, slip_zero_drops_all);
	tcase_add_test(tc, nxdomain_and_error_rates);
	tcase_add_test(tc, exempt_and_ipv6);
	tcase_add_test(tc, log_only_sends_all);
	tcase_add_test(tc, slip_reply_bytes);
	tcase_add_test(tc, slip_reply_keeps_opt);
	suite_add_tcase(s, tc);
	return s;
}
