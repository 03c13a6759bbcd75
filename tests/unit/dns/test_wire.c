/* SPDX-License-Identifier: BSD-3-Clause
 * test_wire.c - the strict query parser on hand-made bytes. */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"

/* header: id 0x1234, RD, counts */
static size_t header(uint8_t *p, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	wire_write_u16(p, 0x1234);
	wire_write_u16(p + 2, flags);
	wire_write_u16(p + 4, qd);
	wire_write_u16(p + 6, an);
	wire_write_u16(p + 8, ns);
	wire_write_u16(p + 10, ar);
	return 12;
}

static size_t question(uint8_t *p, const char *wire_name, size_t name_len, uint16_t qtype)
{
	memcpy(p, wire_name, name_len);
	wire_write_u16(p + name_len, qtype);
	wire_write_u16(p + name_len + 2, 1);
	return name_len + 4;
}

#define NAME "\3Foo\6global" /* + terminating NUL of the literal = root */
#define NAME_LEN 12

static size_t opt(uint8_t *p, uint16_t size, uint8_t version, const uint8_t *options, uint16_t optlen)
{
	p[0] = 0;
	wire_write_u16(p + 1, WIRE_TYPE_OPT);
	wire_write_u16(p + 3, size);
	p[5] = 0;
	p[6] = version;
	wire_write_u16(p + 7, 0x8000);
	wire_write_u16(p + 9, optlen);
	if (optlen)
		memcpy(p + 11, options, optlen);
	return 11u + optlen;
}

START_TEST(test_plain_query)
{
	uint8_t pkt[512];
	size_t len = header(pkt, WIRE_FLAG_RD, 1, 0, 0, 0);
	len += question(pkt + len, NAME, NAME_LEN, WIRE_TYPE_AAAA);
	struct wire_query q;
	ck_assert_int_eq(wire_parse_query(&q, pkt, len), WIRE_OK);
	ck_assert_uint_eq(q.id, 0x1234);
	ck_assert_uint_eq(q.qtype, WIRE_TYPE_AAAA);
	ck_assert_uint_eq(q.qclass, WIRE_CLASS_IN);
	ck_assert_uint_eq(q.qname_len, NAME_LEN);
	ck_assert_int_eq(memcmp(q.qname, "\3foo\6global", NAME_LEN), 0); /* lower case */
	ck_assert_uint_eq(q.label_count, 2);
	ck_assert_uint_eq(q.label_off[1], 4);
	ck_assert(!q.has_opt);
	ck_assert_uint_eq(q.udp_size, 512);
}
END_TEST

START_TEST(test_edns_and_ecs)
{
	uint8_t pkt[512];
	size_t len = header(pkt, 0, 1, 0, 0, 1);
	len += question(pkt + len, NAME, NAME_LEN, WIRE_TYPE_A);
	/* ECS 10.1.0.0/16 and an unknown option 65001 */
	const uint8_t options[] = { 0, 8, 0, 6, 0, 1, 16, 0, 10, 1, 0xFD, 0xE9, 0, 1, 0xAA };
	len += opt(pkt + len, 4096, 0, options, sizeof(options));
	struct wire_query q;
	ck_assert_int_eq(wire_parse_query(&q, pkt, len), WIRE_OK);
	ck_assert(q.has_opt);
	ck_assert(q.is_do);
	ck_assert_uint_eq(q.udp_size, 4096);
	ck_assert(q.has_ecs);
	ck_assert_uint_eq(q.ecs.family, 1);
	ck_assert_uint_eq(q.ecs.source_len, 16);
	ck_assert_uint_eq(q.ecs.addr[0], 10);
	ck_assert_uint_eq(q.ecs.addr[1], 1);
}
END_TEST

START_TEST(test_small_udp_size_means_512)
{
	uint8_t pkt[512];
	size_t len = header(pkt, 0, 1, 0, 0, 1);
	len += question(pkt + len, NAME, NAME_LEN, WIRE_TYPE_A);
	len += opt(pkt + len, 100, 0, NULL, 0);
	struct wire_query q;
	ck_assert_int_eq(wire_parse_query(&q, pkt, len), WIRE_OK);
	ck_assert_uint_eq(q.udp_size, 512);
}
END_TEST

/* Each case: bytes after a valid header+question or a whole packet, and the verdict. */
struct bad_case {
	const char *what;
	enum wire_status want;
	size_t (*make)(uint8_t *p);
};

static size_t mk_short_header(uint8_t *p)
{
	header(p, 0, 1, 0, 0, 0);
	return 11;
}
static size_t mk_qr(uint8_t *p)
{
	size_t n = header(p, WIRE_FLAG_QR, 1, 0, 0, 0);
	return n + question(p + n, NAME, NAME_LEN, 1);
}
static size_t mk_qd0(uint8_t *p) { return header(p, 0, 0, 0, 0, 0); }
static size_t mk_qd2(uint8_t *p)
{
	size_t n = header(p, 0, 2, 0, 0, 0);
	n += question(p + n, NAME, NAME_LEN, 1);
	return n + question(p + n, NAME, NAME_LEN, 1);
}
static size_t mk_opcode(uint8_t *p)
{
	size_t n = header(p, 15u << 11, 1, 0, 0, 0);
	return n + question(p + n, NAME, NAME_LEN, 1);
}
static size_t mk_long_label(uint8_t *p)
{
	size_t n = header(p, 0, 1, 0, 0, 0);
	p[n++] = 64;
	memset(p + n, 'a', 64);
	n += 64;
	p[n++] = 0;
	wire_write_u16(p + n, 1);
	wire_write_u16(p + n + 2, 1);
	return n + 4;
}
static size_t mk_long_name(uint8_t *p)
{
	size_t n = header(p, 0, 1, 0, 0, 0);
	for (int i = 0; i < 5; i++) { /* 5 * 52 = 260 > 255 */
		p[n++] = 51;
		memset(p + n, 'a', 51);
		n += 51;
	}
	p[n++] = 0;
	wire_write_u16(p + n, 1);
	wire_write_u16(p + n + 2, 1);
	return n + 4;
}
static size_t mk_pointer_in_question(uint8_t *p)
{
	size_t n = header(p, 0, 1, 0, 0, 0);
	p[n++] = 0xC0;
	p[n++] = 12;
	wire_write_u16(p + n, 1);
	wire_write_u16(p + n + 2, 1);
	return n + 4;
}
static size_t mk_truncated_question(uint8_t *p)
{
	size_t n = header(p, 0, 1, 0, 0, 0);
	return n + question(p + n, NAME, NAME_LEN, 1) - 2;
}
static size_t mk_trailing(uint8_t *p)
{
	size_t n = header(p, 0, 1, 0, 0, 0);
	n += question(p + n, NAME, NAME_LEN, 1);
	p[n++] = 0xAB;
	return n;
}
static size_t mk_answer_count(uint8_t *p)
{
	size_t n = header(p, 0, 1, 1, 0, 0);
	n += question(p + n, NAME, NAME_LEN, 1);
	return n + opt(p + n, 1232, 0, NULL, 0); /* OPT in the answer section */
}
static size_t mk_two_opts(uint8_t *p)
{
	size_t n = header(p, 0, 1, 0, 0, 2);
	n += question(p + n, NAME, NAME_LEN, 1);
	n += opt(p + n, 1232, 0, NULL, 0);
	return n + opt(p + n, 1232, 0, NULL, 0);
}
static size_t mk_badvers(uint8_t *p)
{
	size_t n = header(p, 0, 1, 0, 0, 1);
	n += question(p + n, NAME, NAME_LEN, 1);
	return n + opt(p + n, 1232, 1, NULL, 0);
}
static size_t mk_opt_not_root(uint8_t *p)
{
	size_t n = header(p, 0, 1, 0, 0, 1);
	n += question(p + n, NAME, NAME_LEN, 1);
	p[n++] = 0xC0;
	p[n++] = 12; /* owner = the question name */
	size_t o = opt(p + n - 1, 1232, 0, NULL, 0);
	return n - 1 + o;
}
static size_t mk_forward_pointer(uint8_t *p)
{
	size_t n = header(p, 0, 1, 0, 0, 1);
	n += question(p + n, NAME, NAME_LEN, 1);
	p[n] = 0xC0;
	p[n + 1] = (uint8_t)(n + 2); /* points past itself */
	n += 2;
	wire_write_u16(p + n, 1);
	wire_write_u16(p + n + 2, 1);
	wire_write_u32(p + n + 4, 0);
	wire_write_u16(p + n + 8, 0);
	return n + 10;
}
static size_t mk_self_pointer(uint8_t *p)
{
	size_t n = header(p, 0, 1, 0, 0, 1);
	n += question(p + n, NAME, NAME_LEN, 1);
	p[n] = 0xC0;
	p[n + 1] = (uint8_t)n; /* loop */
	n += 2;
	wire_write_u16(p + n, 1);
	wire_write_u16(p + n + 2, 1);
	wire_write_u32(p + n + 4, 0);
	wire_write_u16(p + n + 8, 0);
	return n + 10;
}
static size_t mk_rdlen_beyond(uint8_t *p)
{
	size_t n = header(p, 0, 1, 0, 0, 1);
	n += question(p + n, NAME, NAME_LEN, 1);
	size_t o = opt(p + n, 1232, 0, NULL, 0);
	wire_write_u16(p + n + 9, 40);
	return n + o;
}
static size_t mk_ecs(uint8_t *p, const uint8_t *ecs, uint16_t len)
{
	size_t n = header(p, 0, 1, 0, 0, 1);
	n += question(p + n, NAME, NAME_LEN, 1);
	uint8_t options[64];
	wire_write_u16(options, 8);
	wire_write_u16(options + 2, len);
	memcpy(options + 4, ecs, len);
	return n + opt(p + n, 1232, 0, options, (uint16_t)(4 + len));
}
static size_t mk_ecs_family(uint8_t *p)
{
	const uint8_t e[] = { 0, 3, 8, 0, 10 };
	return mk_ecs(p, e, sizeof(e));
}
static size_t mk_ecs_source(uint8_t *p)
{
	const uint8_t e[] = { 0, 1, 33, 0, 1, 2, 3, 4, 5 };
	return mk_ecs(p, e, sizeof(e));
}
static size_t mk_ecs_scope(uint8_t *p)
{
	const uint8_t e[] = { 0, 1, 8, 8, 10 };
	return mk_ecs(p, e, sizeof(e));
}
static size_t mk_ecs_bits(uint8_t *p)
{
	const uint8_t e[] = { 0, 1, 12, 0, 10, 0x1F };
	return mk_ecs(p, e, sizeof(e));
}
static size_t mk_ecs_len(uint8_t *p)
{
	const uint8_t e[] = { 0, 1, 8, 0, 10, 1 };
	return mk_ecs(p, e, sizeof(e));
}
static size_t mk_ecs_twice(uint8_t *p)
{
	size_t n = header(p, 0, 1, 0, 0, 1);
	n += question(p + n, NAME, NAME_LEN, 1);
	const uint8_t options[] = { 0, 8, 0, 5, 0, 1, 8, 0, 10, 0, 8, 0, 5, 0, 1, 8, 0, 10 };
	return n + opt(p + n, 1232, 0, options, sizeof(options));
}
static size_t mk_option_overrun(uint8_t *p)
{
	size_t n = header(p, 0, 1, 0, 0, 1);
	n += question(p + n, NAME, NAME_LEN, 1);
	const uint8_t options[] = { 0xFD, 0xE9, 0, 9, 1 };
	return n + opt(p + n, 1232, 0, options, sizeof(options));
}

static const struct bad_case bad_cases[] = {
	{ "header shorter than 12 bytes", WIRE_DROP, mk_short_header },
	{ "QR=1 (a response)", WIRE_DROP, mk_qr },
	{ "QDCOUNT=0", WIRE_FORMERR, mk_qd0 },
	{ "QDCOUNT=2", WIRE_FORMERR, mk_qd2 },
	{ "opcode 15", WIRE_NOTIMP, mk_opcode },
	{ "label of 64 bytes", WIRE_FORMERR, mk_long_label },
	{ "name over 255 bytes", WIRE_FORMERR, mk_long_name },
	{ "compression pointer in the question", WIRE_FORMERR, mk_pointer_in_question },
	{ "truncated question", WIRE_FORMERR, mk_truncated_question },
	{ "trailing garbage", WIRE_FORMERR, mk_trailing },
	{ "OPT in the answer section", WIRE_FORMERR, mk_answer_count },
	{ "two OPT records", WIRE_FORMERR, mk_two_opts },
	{ "EDNS version 1", WIRE_BADVERS, mk_badvers },
	{ "OPT owner not root", WIRE_FORMERR, mk_opt_not_root },
	{ "forward compression pointer", WIRE_FORMERR, mk_forward_pointer },
	{ "compression pointer loop", WIRE_FORMERR, mk_self_pointer },
	{ "RDLENGTH beyond the packet", WIRE_FORMERR, mk_rdlen_beyond },
	{ "ECS family 3", WIRE_FORMERR, mk_ecs_family },
	{ "ECS source prefix 33 for IPv4", WIRE_FORMERR, mk_ecs_source },
	{ "ECS scope prefix in a query", WIRE_FORMERR, mk_ecs_scope },
	{ "ECS address bits beyond the prefix", WIRE_FORMERR, mk_ecs_bits },
	{ "ECS address longer than the prefix", WIRE_FORMERR, mk_ecs_len },
	{ "two ECS options", WIRE_FORMERR, mk_ecs_twice },
	{ "EDNS option longer than the OPT", WIRE_FORMERR, mk_option_overrun },
};

START_TEST(test_bad_packets)
{
	const struct bad_case *c = &bad_cases[_i];
	uint8_t pkt[1024];
	memset(pkt, 0, sizeof(pkt));
	size_t len = c->make(pkt);
	struct wire_query q;
	enum wire_status got = wire_parse_query(&q, pkt, len);
	ck_assert_msg(got == c->want, "%s: got %d, want %d", c->what, got, c->want);
	/* every prefix of a bad packet is handled without reading past it */
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, pkt, cut);
		(void)wire_parse_query(&q, copy, cut);
		free(copy);
	}
}
END_TEST

START_TEST(test_opt_writer)
{
	uint8_t out[64];
	struct wire_ecs ecs = { .family = 1, .source_len = 24, .addr = { 10, 1, 2 } };
	size_t n = wire_write_opt(out, 1232, 1, true, &ecs, 16);
	ck_assert_uint_eq(n, 11 + 4 + 4 + 3);
	ck_assert_uint_eq(wire_read_u16(out + 1), WIRE_TYPE_OPT);
	ck_assert_uint_eq(wire_read_u16(out + 3), 1232);
	ck_assert_uint_eq(out[5], 1); /* extended rcode bits */
	ck_assert_uint_eq(wire_read_u16(out + 7), 0x8000);
	ck_assert_uint_eq(out[11 + 4 + 3], 16); /* scope */
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_plain_query);
	tcase_add_test(tc, test_edns_and_ecs);
	tcase_add_test(tc, test_small_udp_size_means_512);
	tcase_add_loop_test(tc, test_bad_packets, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_opt_writer);
	suite_add_tcase(s, tc);
	return s;
}
