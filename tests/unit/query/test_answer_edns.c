/* SPDX-License-Identifier: BSD-3-Clause
 * test_answer_edns.c - the EDNS options answer_query() adds: Extended DNS
 * Errors (RFC 8914) on the replies that carry them and their encoding, DNS
 * Cookies (RFC 7873/9018) made, judged and required, edns-tcp-keepalive
 * (RFC 7828), and that each counts in the size rules. Raw query bytes in,
 * bytes checked by hand. */
#include <arpa/inet.h>
#include <check.h>

#include "check_main.h"
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "query/answer.h"
#include "unit_zone.h"
#include "zone/zone_build.h"

static struct snapshot *snap;
static struct zone_build *builder;
static struct zone *zone;

/* The EDNS tests' settings: 4096 bytes over UDP, a fixed cookie secret. */
static struct snapshot *make_snapshot(struct zone *z)
{
	struct config cfg = { 0 };
	struct snapshot_settings st = { .udp_payload_max = 4096 };
	memset(st.cookie_secrets.current, 0x5a, sizeof(st.cookie_secrets.current));
	return unit_snapshot(&cfg, &st, z);
}

static void setup(void)
{
	zone = unit_zone_load("tests/data/zones/unit.zone", &builder);
	snap = make_snapshot(zone);
}

static void teardown(void)
{
	snapshot_free(snap);
	zone_unref(zone);
	zone_build_free(builder);
}

static uint8_t reply[65535];

static size_t ask(const uint8_t *q, size_t len, bool is_tcp, const char *client, uint32_t now_s,
		  struct answer_info *info)
{
	struct sockaddr_in cl = { .sin_family = AF_INET, .sin_port = htons(5353) };
	inet_pton(AF_INET, client, &cl.sin_addr);
	struct answer_request req = { .pkt = q,
				      .len = len,
				      .is_tcp = is_tcp,
				      .client = (struct sockaddr *)&cl,
				      .local = (struct sockaddr *)&cl,
				      .now_s = now_s,
				      .tcp_idle_timeout_ms = 10000 };
	return answer_query(snap, &req, reply, is_tcp ? sizeof(reply) : 4096, info);
}

/* The OPT record's RDATA in reply (the last additional record, as dnsd
 * writes it), or NULL. */
static const uint8_t *opt_rdata(size_t len, uint16_t *rdlen, uint32_t *ttl)
{
	if (wire_read_u16(reply + 10) == 0)
		return NULL;
	/* the OPT is last, and dnsd writes no option after the ones we look for:
	 * scan back for a root-owned type 41 record that ends the message */
	for (size_t p = 12; p + 11 <= len; p++) {
		if (reply[p] != 0 || wire_read_u16(reply + p + 1) != WIRE_TYPE_OPT)
			continue;
		uint16_t l = wire_read_u16(reply + p + 9);
		if (p + 11 + l == len) {
			*rdlen = l;
			*ttl = wire_read_u32(reply + p + 5);
			return reply + p + 11;
		}
	}
	return NULL;
}

/* The option code's data in the reply's OPT (len in *olen), or NULL. */
static const uint8_t *option(size_t len, uint16_t code, uint16_t *olen)
{
	uint16_t rdlen;
	uint32_t ttl;
	const uint8_t *o = opt_rdata(len, &rdlen, &ttl);
	for (size_t p = 0; o && p + 4 <= rdlen;) {
		uint16_t c = wire_read_u16(o + p), l = wire_read_u16(o + p + 2);
		if (c == code) {
			*olen = l;
			return o + p + 4;
		}
		p += 4 + l;
	}
	return NULL;
}

START_TEST(test_ede_encoding)
{
	uint8_t opt[64];
	size_t n = wire_write_opt(opt, 1232, 0, false, NULL, 0);
	n += wire_opt_append_ede(opt, WIRE_EDE_NOT_READY, "mesh-1", 6);
	/* RFC 8914 §2: OPTION-CODE 15, OPTION-LENGTH 2 + text, INFO-CODE, EXTRA-TEXT */
	static const uint8_t want[] = { 0, 15, 0, 8, 0, 14, 'm', 'e', 's', 'h', '-', '1' };
	ck_assert_uint_eq(n, WIRE_OPT_LEN + sizeof(want));
	ck_assert_uint_eq(wire_read_u16(opt + 9), sizeof(want));
	ck_assert_mem_eq(opt + WIRE_OPT_LEN, want, sizeof(want));
	n += wire_opt_append_ede(opt, WIRE_EDE_OTHER, "", 0);
	ck_assert_uint_eq(wire_read_u16(opt + 9), sizeof(want) + 6);
}
END_TEST

START_TEST(test_ede_only_with_edns)
{
	uint8_t q[512];
	struct answer_info info;
	uint16_t olen;
	size_t len = ask(q, unit_query(q, "example.org", WIRE_TYPE_A, 1232, NULL, 0), false, "127.0.0.1", 0,
			 &info);
	ck_assert_int_eq(reply[3] & 0xF, WIRE_RCODE_REFUSED);
	const uint8_t *ede = option(len, WIRE_EDNS_OPTION_EDE, &olen);
	ck_assert_ptr_nonnull(ede);
	ck_assert_uint_eq(wire_read_u16(ede), WIRE_EDE_NOT_AUTHORITATIVE);
	ck_assert_int_eq(info.ede, WIRE_EDE_NOT_AUTHORITATIVE);
	/* no OPT in the query: none in the reply, no EDE counted */
	len = ask(q, unit_query(q, "example.org", WIRE_TYPE_A, 0, NULL, 0), false, "127.0.0.1", 0, &info);
	ck_assert_uint_eq(wire_read_u16(reply + 10), 0);
	ck_assert_int_eq(info.ede, WIRE_EDE_NONE);
	/* an answer carries none */
	len = ask(q, unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, NULL, 0), false,
		  "127.0.0.1", 0, &info);
	ck_assert_ptr_null(option(len, WIRE_EDNS_OPTION_EDE, &olen));
	ck_assert_int_eq(info.ede, WIRE_EDE_NONE);
}
END_TEST

START_TEST(test_ede_pending_and_stale)
{
	uint8_t q[512];
	struct answer_info info;
	uint16_t olen;
	uint8_t apex[DNAME_MAX_LEN];
	dname_from_text(apex, "global");
	struct zone *p = zone_new_pending(apex);
	strcpy(p->ede_text, "kubernetes mesh-1 not synced");
	p->ede_text_len = (uint8_t)strlen(p->ede_text);
	snapshot_free(snap);
	snap = make_snapshot(p);
	zone_unref(p);
	size_t qlen = unit_query(q, "a.global", WIRE_TYPE_A, 1232, NULL, 0);
	for (int tcp = 0; tcp < 2; tcp++) {
		size_t len = ask(q, qlen, tcp, "127.0.0.1", 0, &info);
		ck_assert_int_eq(reply[3] & 0xF, WIRE_RCODE_SERVFAIL);
		const uint8_t *ede = option(len, WIRE_EDNS_OPTION_EDE, &olen);
		ck_assert_ptr_nonnull(ede);
		ck_assert_uint_eq(wire_read_u16(ede), WIRE_EDE_NOT_READY);
		ck_assert_uint_eq(olen, 2 + strlen("kubernetes mesh-1 not synced"));
		ck_assert(memcmp(ede + 2, "kubernetes mesh-1 not synced", olen - 2) == 0);
	}
	/* stale: the answer, with Stale Answer */
	snapshot_free(snap);
	zone->is_stale = true;
	strcpy(zone->ede_text, "kubernetes mesh-1 down: saved state served");
	zone->ede_text_len = (uint8_t)strlen(zone->ede_text);
	snap = make_snapshot(zone);
	size_t len = ask(q, unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, NULL, 0), false,
			 "127.0.0.1", 0, &info);
	ck_assert_int_eq(reply[3] & 0xF, WIRE_RCODE_NOERROR);
	ck_assert_uint_eq(wire_read_u16(reply + 6), 1);
	const uint8_t *ede = option(len, WIRE_EDNS_OPTION_EDE, &olen);
	ck_assert_ptr_nonnull(ede);
	ck_assert_uint_eq(wire_read_u16(ede), WIRE_EDE_STALE_ANSWER);
	ck_assert_int_eq(info.ede, WIRE_EDE_STALE_ANSWER);
}
END_TEST

START_TEST(test_ede_counts_in_the_size)
{
	/* big.global's 100 A records make a 1638-byte reply with OPT: it fits a
	 * 1700-byte payload, but not with a 96-byte EXTRA-TEXT, which must then
	 * truncate it (TC, within 1700) rather than go over */
	uint8_t q[512];
	struct answer_info info;
	size_t qlen = unit_query(q, "big.global", WIRE_TYPE_A, 1700, NULL, 0);
	size_t len = ask(q, qlen, false, "127.0.0.1", 0, &info);
	ck_assert_uint_eq(wire_read_u16(reply + 6), 100);
	snapshot_free(snap);
	zone->is_stale = true;
	memset(zone->ede_text, 'x', sizeof(zone->ede_text));
	zone->ede_text_len = sizeof(zone->ede_text);
	snap = make_snapshot(zone);
	len = ask(q, qlen, false, "127.0.0.1", 0, &info);
	ck_assert(reply[2] & 0x02); /* TC */
	ck_assert_uint_le(len, 1700);
	uint16_t olen;
	ck_assert_ptr_nonnull(option(len, WIRE_EDNS_OPTION_EDE, &olen));
	/* over TCP it all fits */
	len = ask(q, qlen, true, "127.0.0.1", 0, &info);
	ck_assert(!(reply[2] & 0x02));
	ck_assert_uint_eq(wire_read_u16(reply + 6), 100);
	ck_assert_ptr_nonnull(option(len, WIRE_EDNS_OPTION_EDE, &olen));
}
END_TEST

static const uint8_t client_cookie_opt[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };

START_TEST(test_cookie_answered)
{
	uint8_t q[512];
	struct answer_info info;
	uint16_t olen;
	size_t len = ask(q,
			 unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, client_cookie_opt,
				    sizeof(client_cookie_opt)),
			 false, "192.0.2.7", 1700000000, &info);
	ck_assert_int_eq(reply[3] & 0xF, WIRE_RCODE_NOERROR);
	ck_assert_int_eq(info.cookie, COOKIE_CLIENT_ONLY);
	const uint8_t *c = option(len, WIRE_EDNS_OPTION_COOKIE, &olen);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(olen, 24);
	ck_assert_mem_eq(c, client_cookie_opt + 4, 8);
	uint8_t want[COOKIE_SERVER_LEN];
	cookie_make(want, snap->settings.cookie_secrets.current, client_cookie_opt + 4,
		    (const struct sockaddr *)&(struct sockaddr_in){ .sin_family = AF_INET,
								    .sin_addr.s_addr = htonl(0xC0000207) },
		    1700000000);
	ck_assert_mem_eq(c + 8, want, sizeof(want));
	/* sent back: valid */
	uint8_t opt[4 + 24] = { 0, 10, 0, 24 };
	memcpy(opt + 4, c, 24);
	ask(q, unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, opt, sizeof(opt)), false,
	    "192.0.2.7", 1700000100, &info);
	ck_assert_int_eq(info.cookie, COOKIE_VALID);
	/* from another address: invalid, but answered (cookie-require off) */
	ask(q, unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, opt, sizeof(opt)), false,
	    "192.0.2.8", 1700000100, &info);
	ck_assert_int_eq(info.cookie, COOKIE_INVALID);
	ck_assert_int_eq(reply[3] & 0xF, WIRE_RCODE_NOERROR);
	ck_assert_uint_eq(wire_read_u16(reply + 6), 1);
	/* malformed lengths: FORMERR */
	static const uint8_t bad[] = { 0, 10, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	ask(q, unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, bad, sizeof(bad)), false,
	    "192.0.2.7", 0, &info);
	ck_assert_int_eq(reply[3] & 0xF, WIRE_RCODE_FORMERR);
}
END_TEST

START_TEST(test_cookie_required)
{
	uint8_t q[512];
	struct answer_info info;
	uint16_t olen, rdlen;
	uint32_t ttl;
	snap->settings.is_cookie_required = true;
	ck_assert_int_eq(config_prefix_parse(&snap->settings.cookie_allow[0], "10.0.0.0/8"), 0);
	snap->settings.cookie_allow_count = 1;
	/* no cookie: TC, nothing else */
	size_t qlen = unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, NULL, 0);
	ask(q, qlen, false, "192.0.2.7", 1700000000, &info);
	ck_assert(reply[2] & 0x02);
	ck_assert_uint_eq(wire_read_u16(reply + 6), 0);
	ck_assert(info.is_cookie_missing);
	/* ... answered over TCP and from the allowlist */
	ask(q, qlen, true, "192.0.2.7", 1700000000, &info);
	ck_assert_uint_eq(wire_read_u16(reply + 6), 1);
	ask(q, qlen, false, "10.1.2.3", 1700000000, &info);
	ck_assert_uint_eq(wire_read_u16(reply + 6), 1);
	/* a client cookie alone: BADCOOKIE (23 = extended 1, header 7) with our cookie */
	qlen = unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, client_cookie_opt,
			  sizeof(client_cookie_opt));
	size_t len = ask(q, qlen, false, "192.0.2.7", 1700000000, &info);
	ck_assert_int_eq(reply[3] & 0xF, WIRE_RCODE_BADCOOKIE & 0xF);
	ck_assert_ptr_nonnull(opt_rdata(len, &rdlen, &ttl));
	ck_assert_uint_eq(ttl >> 24, WIRE_RCODE_BADCOOKIE >> 4);
	ck_assert_int_eq(info.rcode, WIRE_RCODE_BADCOOKIE);
	ck_assert_uint_eq(wire_read_u16(reply + 6), 0);
	const uint8_t *c = option(len, WIRE_EDNS_OPTION_COOKIE, &olen);
	ck_assert_ptr_nonnull(c);
	/* the retry with it is answered */
	uint8_t opt[4 + 24] = { 0, 10, 0, 24 };
	memcpy(opt + 4, c, 24);
	ask(q, unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, opt, sizeof(opt)), false,
	    "192.0.2.7", 1700000005, &info);
	ck_assert_int_eq(reply[3] & 0xF, WIRE_RCODE_NOERROR);
	ck_assert_uint_eq(wire_read_u16(reply + 6), 1);
	/* an hour and a bit later it has expired */
	ask(q, unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, opt, sizeof(opt)), false,
	    "192.0.2.7", 1700003601, &info);
	ck_assert_int_eq(info.rcode, WIRE_RCODE_BADCOOKIE);
	/* a rotated secret with the old one as previous still accepts it */
	memcpy(snap->settings.cookie_secrets.previous, snap->settings.cookie_secrets.current,
	       SIPHASH_KEY_LEN);
	snap->settings.cookie_secrets.has_previous = true;
	memset(snap->settings.cookie_secrets.current, 0x77, SIPHASH_KEY_LEN);
	ask(q, unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, opt, sizeof(opt)), false,
	    "192.0.2.7", 1700000005, &info);
	ck_assert_int_eq(info.cookie, COOKIE_VALID);
	snap->settings.cookie_secrets.has_previous = false;
	ask(q, unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, opt, sizeof(opt)), false,
	    "192.0.2.7", 1700000005, &info);
	ck_assert_int_eq(info.rcode, WIRE_RCODE_BADCOOKIE);
}
END_TEST

START_TEST(test_keepalive)
{
	uint8_t q[512];
	struct answer_info info;
	uint16_t olen;
	static const uint8_t ka[] = { 0, 11, 0, 0 };
	size_t qlen = unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, ka, sizeof(ka));
	size_t len = ask(q, qlen, true, "127.0.0.1", 0, &info);
	const uint8_t *t = option(len, WIRE_EDNS_OPTION_KEEPALIVE, &olen);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(olen, 2);
	ck_assert_uint_eq(wire_read_u16(t), 100); /* 10000 ms in units of 100 ms */
	/* RFC 7828 §3.2.1: over UDP FORMERR, and a client's TIMEOUT too */
	ask(q, qlen, false, "127.0.0.1", 0, &info);
	ck_assert_int_eq(reply[3] & 0xF, WIRE_RCODE_FORMERR);
	static const uint8_t ka_timeout[] = { 0, 11, 0, 2, 0, 100 };
	ask(q, unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, ka_timeout, sizeof(ka_timeout)),
	    true, "127.0.0.1", 0, &info);
	ck_assert_int_eq(reply[3] & 0xF, WIRE_RCODE_FORMERR);
	/* not asked: not sent */
	len = ask(q, unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, NULL, 0), true, "127.0.0.1",
		  0, &info);
	ck_assert_ptr_null(option(len, WIRE_EDNS_OPTION_KEEPALIVE, &olen));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("answer_edns");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ede_encoding);
	tcase_add_test(tc, test_ede_only_with_edns);
	tcase_add_test(tc, test_ede_pending_and_stale);
	tcase_add_test(tc, test_ede_counts_in_the_size);
	tcase_add_test(tc, test_cookie_answered);
	tcase_add_test(tc, test_cookie_required);
	tcase_add_test(tc, test_keepalive);
	suite_add_tcase(s, tc);
	return s;
}
