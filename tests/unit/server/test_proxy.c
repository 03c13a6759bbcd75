/* SPDX-License-Identifier: BSD-3-Clause
 * test_proxy.c - PROXY protocol v2 headers (server/proxy.c): the headers real
 * load balancers send (captured from dnsdist 1.7.3 and HAProxy 2.6.12), every
 * truncation, every refused field, and the allowlist. */
#include <check.h>

#include "check_main.h"
#include <arpa/inet.h>
#include <string.h>

#include "server/proxy.h"

#define SIG 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a

/* dnsdist 1.7.3, useProxyProtocol=true, `dig -b 127.0.0.11` over UDP to its
 * 127.0.0.1:15300: PROXY, INET, DGRAM, 12 address bytes, then the query. */
static const uint8_t dnsdist_udp4[] = {
	SIG,  0x21, 0x12, 0x00, 0x0c, 0x7f, 0x00, 0x00, 0x0b, 0x7f, 0x00, 0x00, 0x01, 0xb2, 0xfc,
	0x3b, 0xc4, 0xb2, 0xfc, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* dnsdist over UDP from ::1 to [::1]:15300 with SetProxyProtocolValuesAction
 * adding TLVs 0x02 "dnsd.test" and 0xee "custom". */
static const uint8_t dnsdist_udp6_tlvs[] = {
	SIG, 0x21, 0x22, 0x00, 0x39, 0,    0,    0,    0,    0,    0,   0,    0,    0,    0,    0,   0,
	0,   0,    0,    1,    0,    0,    0,    0,    0,    0,    0,   0,    0,    0,    0,    0,   0,
	0,   0,    1,    0xad, 0x6b, 0x3b, 0xc4, 0x02, 0x00, 0x09, 'd', 'n',  's',  'd',  '.',  't', 'e',
	's', 't',  0xee, 0x00, 0x06, 'c',  'u',  's',  't',  'o',  'm', 0xad, 0x6b, 0x01, 0x20,
};
/* dnsdist's health check: LOCAL, UNSPEC, no address block. */
static const uint8_t dnsdist_local[] = { SIG, 0x20, 0x00, 0x00, 0x00, 0x60, 0x60, 0x01, 0x00 };
/* HAProxy 2.6.12 `send-proxy-v2`, mode tcp, `dig +tcp -b 127.0.0.11`. */
static const uint8_t haproxy_tcp4[] = {
	SIG,  0x21, 0x11, 0x00, 0x0c, 0x7f, 0x00, 0x00, 0x0b, 0x7f,
	0x00, 0x00, 0x01, 0x92, 0xb9, 0x3b, 0xce, 0x00, 0x33,
};

static void assert_inet(const struct sockaddr_storage *ss, const char *addr, unsigned port)
{
	char text[INET6_ADDRSTRLEN];
	ck_assert_int_eq(ss->ss_family, AF_INET);
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	ck_assert_ptr_nonnull(inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text)));
	ck_assert_str_eq(text, addr);
	ck_assert_uint_eq(ntohs(sin->sin_port), port);
}

START_TEST(test_dnsdist_udp_ipv4)
{
	struct proxy_header h;
	ck_assert_int_eq(proxy_parse(&h, dnsdist_udp4, sizeof(dnsdist_udp4)), PROXY_OK);
	ck_assert_uint_eq(h.len, 28);
	ck_assert(!h.is_local);
	ck_assert(!h.is_stream);
	assert_inet(&h.source, "127.0.0.11", 0xb2fc);
	assert_inet(&h.destination, "127.0.0.1", 15300);
}
END_TEST

START_TEST(test_dnsdist_udp_ipv6_tlvs_skipped)
{
	struct proxy_header h;
	ck_assert_int_eq(proxy_parse(&h, dnsdist_udp6_tlvs, sizeof(dnsdist_udp6_tlvs)), PROXY_OK);
	ck_assert_uint_eq(h.len, 16 + 0x39);
	ck_assert_uint_eq(dnsdist_udp6_tlvs[h.len], 0xad); /* the DNS id follows */
	ck_assert_int_eq(h.source.ss_family, AF_INET6);
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&h.source;
	ck_assert(IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr));
	ck_assert_uint_eq(ntohs(s6->sin6_port), 0xad6b);
	const struct sockaddr_in6 *d6 = (const struct sockaddr_in6 *)&h.destination;
	ck_assert_uint_eq(ntohs(d6->sin6_port), 15300);
}
END_TEST

START_TEST(test_local_health_check)
{
	struct proxy_header h;
	ck_assert_int_eq(proxy_parse(&h, dnsdist_local, sizeof(dnsdist_local)), PROXY_OK);
	ck_assert(h.is_local);
	ck_assert_uint_eq(h.len, 16);
}
END_TEST

START_TEST(test_haproxy_tcp)
{
	struct proxy_header h;
	ck_assert_int_eq(proxy_parse(&h, haproxy_tcp4, sizeof(haproxy_tcp4)), PROXY_OK);
	ck_assert(h.is_stream);
	ck_assert_uint_eq(h.len, 28);
	assert_inet(&h.source, "127.0.0.11", 0x92b9);
	assert_inet(&h.destination, "127.0.0.1", 15310);
}
END_TEST

/* Every prefix of a header is incomplete (TCP waits for the rest), never
 * accepted, never refused. */
START_TEST(test_every_truncation_incomplete)
{
	const struct {
		const uint8_t *b;
		size_t hlen;
	} cases[] = {
		{ dnsdist_udp4, 28 },
		{ dnsdist_udp6_tlvs, 16 + 0x39 },
		{ dnsdist_local, 16 },
		{ haproxy_tcp4, 28 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (size_t k = 0; k < cases[c].hlen; k++) {
			struct proxy_header h;
			ck_assert_msg(proxy_parse(&h, cases[c].b, k) == PROXY_INCOMPLETE,
				      "case %zu, %zu bytes", c, k);
		}
}
END_TEST

START_TEST(test_not_a_header)
{
	struct proxy_header h;
	const uint8_t dns[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 };
	ck_assert_int_eq(proxy_parse(&h, dns, sizeof(dns)), PROXY_NONE);
	ck_assert(!proxy_has_signature(dns, sizeof(dns)));
	/* version 1, the text form, is not accepted */
	const char *v1 = "PROXY TCP4 127.0.0.11 127.0.0.1 4711 53\r\n";
	ck_assert_int_eq(proxy_parse(&h, (const uint8_t *)v1, strlen(v1)), PROXY_NONE);
	/* one byte of the signature wrong, anywhere */
	for (size_t i = 0; i < PROXY_SIGNATURE_LEN; i++) {
		uint8_t b[sizeof(dnsdist_udp4)];
		memcpy(b, dnsdist_udp4, sizeof(b));
		b[i] ^= 0x20;
		ck_assert_int_eq(proxy_parse(&h, b, sizeof(b)), PROXY_NONE);
		ck_assert(!proxy_has_signature(b, sizeof(b)));
	}
	ck_assert(proxy_has_signature(dnsdist_udp4, sizeof(dnsdist_udp4)));
	ck_assert(!proxy_has_signature(dnsdist_udp4, PROXY_SIGNATURE_LEN - 1));
}
END_TEST

/* dnsdist_udp4 with byte i replaced by v: refused, with a reason */
static void assert_refused(size_t i, uint8_t v)
{
	uint8_t b[sizeof(dnsdist_udp4)];
	memcpy(b, dnsdist_udp4, sizeof(b));
	b[i] = v;
	struct proxy_header h;
	ck_assert_msg(proxy_parse(&h, b, sizeof(b)) == PROXY_MALFORMED, "byte %zu = 0x%02x", i, v);
	ck_assert_ptr_nonnull(h.why);
}

START_TEST(test_refused_fields)
{
	assert_refused(12, 0x11); /* version 1 */
	assert_refused(12, 0x31); /* version 3 */
	assert_refused(12, 0x22); /* command 2 */
	assert_refused(12, 0x2f); /* command 15 */
	assert_refused(13, 0x02); /* PROXY, UNSPEC family */
	assert_refused(13, 0x32); /* PROXY, UNIX */
	assert_refused(13, 0x42); /* family 4 */
	assert_refused(13, 0x10); /* PROXY, INET, UNSPEC transport */
	assert_refused(13, 0x13); /* transport 3 */
	assert_refused(13, 0x22); /* INET6 with a 12-byte block */
	assert_refused(15, 0x0b); /* address block one byte short */
	assert_refused(15, 0x0e); /* two bytes of TLV area: no room for a TLV header */
	assert_refused(14, 0x10); /* 4108 bytes: longer than PROXY_HEADER_MAX */
}
END_TEST

START_TEST(test_refused_before_complete)
{
	/* a bad version is refused as soon as it is seen, not after waiting */
	uint8_t b[16] = { SIG, 0x31, 0x11, 0x00, 0x0c };
	struct proxy_header h;
	ck_assert_int_eq(proxy_parse(&h, b, sizeof(b)), PROXY_MALFORMED);
	/* as is a declared length past the limit */
	uint8_t l[16] = { SIG, 0x21, 0x11, 0xff, 0xff };
	ck_assert_int_eq(proxy_parse(&h, l, sizeof(l)), PROXY_MALFORMED);
}
END_TEST

START_TEST(test_tlv_framing)
{
	/* INET block, then TLV area of 5 bytes: one TLV of value length 2 fits */
	uint8_t ok[] = { SIG, 0x21, 0x12, 0x00, 12 + 5, 127, 0,    0,    11,   127, 0,
			 0,   1,    0,    1,    0,      53,  0x04, 0x00, 0x02, 'h', 'i' };
	struct proxy_header h;
	ck_assert_int_eq(proxy_parse(&h, ok, sizeof(ok)), PROXY_OK);
	ck_assert_uint_eq(h.len, sizeof(ok));
	/* the TLV says 3 value bytes: past the header's end */
	ok[sizeof(ok) - 3] = 0x03;
	ck_assert_int_eq(proxy_parse(&h, ok, sizeof(ok)), PROXY_MALFORMED);
	/* a zero-length TLV and an empty TLV area are fine */
	uint8_t z[] = { SIG, 0x21, 0x12, 0x00, 12 + 3, 127, 0, 0, 11, 127, 0, 0, 1, 0, 1, 0, 53, 0xee, 0, 0 };
	ck_assert_int_eq(proxy_parse(&h, z, sizeof(z)), PROXY_OK);
}
END_TEST

START_TEST(test_local_with_addresses)
{
	/* LOCAL may carry a block (HAProxy's health checks do not); it is discarded */
	uint8_t b[] = { SIG, 0x20, 0x11, 0x00, 0x0c, 127, 0, 0, 11, 127, 0, 0, 1, 0, 1, 0, 53 };
	struct proxy_header h;
	ck_assert_int_eq(proxy_parse(&h, b, sizeof(b)), PROXY_OK);
	ck_assert(h.is_local);
	ck_assert_uint_eq(h.len, sizeof(b));
}
END_TEST

static struct sockaddr_storage sa(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	return ss;
}

static bool allowed(const struct proxy_allowlist *a, const char *text)
{
	struct sockaddr_storage ss = sa(text);
	return proxy_is_allowed(a, (const struct sockaddr *)&ss);
}

START_TEST(test_allowlist)
{
	struct config_prefix p[4];
	ck_assert_int_eq(config_prefix_parse(&p[0], "!127.0.0.66"), 0);
	ck_assert_int_eq(config_prefix_parse(&p[1], "127.0.0.0/26"), 0);
	ck_assert_int_eq(config_prefix_parse(&p[2], "10.1.2.128/25"), 0);
	ck_assert_int_eq(config_prefix_parse(&p[3], "fd00:1::/32"), 0);
	struct proxy_allowlist a = { p, 4 };
	ck_assert(allowed(&a, "127.0.0.1"));
	ck_assert(allowed(&a, "127.0.0.63"));
	ck_assert(!allowed(&a, "127.0.0.64"));
	ck_assert(!allowed(&a, "127.0.0.66"));
	ck_assert(allowed(&a, "10.1.2.200"));
	ck_assert(!allowed(&a, "10.1.2.127"));
	ck_assert(allowed(&a, "fd00:1:ffff::1"));
	ck_assert(!allowed(&a, "fd00:2::1"));
	/* a dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d */
	ck_assert(allowed(&a, "::ffff:127.0.0.1"));
	ck_assert(!allowed(&a, "::ffff:127.0.0.66"));
	ck_assert(!allowed(&a, "::1"));
	struct proxy_allowlist none = { NULL, 0 };
	ck_assert(!allowed(&none, "127.0.0.1"));
	struct config_prefix any;
	ck_assert_int_eq(config_prefix_parse(&any, "any"), 0);
	struct proxy_allowlist all = { &any, 1 };
	ck_assert(allowed(&all, "192.0.2.1"));
	ck_assert(allowed(&all, "2001:db8::1"));
}
END_TEST

START_TEST(test_classify)
{
	struct proxy_header h;
	const uint8_t dns[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 };
	/* outside the allowlist: direct, unless it starts like a header */
	ck_assert_int_eq(proxy_classify(&h, false, false, dns, sizeof(dns)), PROXY_VERDICT_DIRECT);
	ck_assert_int_eq(proxy_classify(&h, false, true, dns, 1), PROXY_VERDICT_DIRECT);
	ck_assert_int_eq(proxy_classify(&h, false, false, dnsdist_udp4, sizeof(dnsdist_udp4)),
			 PROXY_VERDICT_NOT_ALLOWED);
	ck_assert_int_eq(proxy_classify(&h, false, false, dnsdist_local, sizeof(dnsdist_local)),
			 PROXY_VERDICT_NOT_ALLOWED);
	/* a forged header with a bad version or cut short is refused all the same */
	ck_assert_int_eq(proxy_classify(&h, false, false, dnsdist_udp4, 14), PROXY_VERDICT_NOT_ALLOWED);
	uint8_t v3[sizeof(dnsdist_udp4)];
	memcpy(v3, dnsdist_udp4, sizeof(v3));
	v3[12] = 0x31;
	ck_assert_int_eq(proxy_classify(&h, false, false, v3, sizeof(v3)), PROXY_VERDICT_NOT_ALLOWED);
	/* TCP: a prefix of the signature waits for more; UDP cannot wait */
	ck_assert_int_eq(proxy_classify(&h, false, true, dnsdist_udp4, 5), PROXY_VERDICT_WAIT);
	ck_assert_int_eq(proxy_classify(&h, false, true, dnsdist_udp4, 0), PROXY_VERDICT_WAIT);
	ck_assert_int_eq(proxy_classify(&h, false, false, dnsdist_udp4, 5), PROXY_VERDICT_DIRECT);
	ck_assert_int_eq(proxy_classify(&h, false, true, haproxy_tcp4, sizeof(haproxy_tcp4)),
			 PROXY_VERDICT_NOT_ALLOWED);
	/* inside: a header is required */
	ck_assert_int_eq(proxy_classify(&h, true, false, dns, sizeof(dns)), PROXY_VERDICT_MISSING);
	ck_assert_int_eq(proxy_classify(&h, true, true, dns, 1), PROXY_VERDICT_MISSING);
	ck_assert_int_eq(proxy_classify(&h, true, false, dnsdist_udp4, sizeof(dnsdist_udp4)),
			 PROXY_VERDICT_PROXIED);
	assert_inet(&h.source, "127.0.0.11", 0xb2fc);
	ck_assert_int_eq(proxy_classify(&h, true, false, dnsdist_local, sizeof(dnsdist_local)),
			 PROXY_VERDICT_LOCAL);
	ck_assert_int_eq(proxy_classify(&h, true, false, dnsdist_udp4, 20), PROXY_VERDICT_MALFORMED);
	ck_assert_int_eq(proxy_classify(&h, true, true, dnsdist_udp4, 20), PROXY_VERDICT_WAIT);
	ck_assert_int_eq(proxy_classify(&h, true, true, dnsdist_udp4, 0), PROXY_VERDICT_WAIT);
	ck_assert_int_eq(proxy_classify(&h, true, true, v3, sizeof(v3)), PROXY_VERDICT_MALFORMED);
	ck_assert_int_eq(proxy_classify(&h, true, true, haproxy_tcp4, sizeof(haproxy_tcp4)),
			 PROXY_VERDICT_PROXIED);
	const char *v1 = "PROXY TCP4 127.0.0.11 127.0.0.1 4711 53\r\n";
	ck_assert_int_eq(proxy_classify(&h, true, true, (const uint8_t *)v1, strlen(v1)),
			 PROXY_VERDICT_MISSING);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("proxy");
	tcase_add_test(tc, test_dnsdist_udp_ipv4);
	tcase_add_test(tc, test_dnsdist_udp_ipv6_tlvs_skipped);
	tcase_add_test(tc, test_local_health_check);
	tcase_add_test(tc, test_haproxy_tcp);
	tcase_add_test(tc, test_every_truncation_incomplete);
	tcase_add_test(tc, test_not_a_header);
	tcase_add_test(tc, test_refused_fields);
	tcase_add_test(tc, test_refused_before_complete);
	tcase_add_test(tc, test_tlv_framing);
	tcase_add_test(tc, test_local_with_addresses);
	tcase_add_test(tc, test_allowlist);
	tcase_add_test(tc, test_classify);
	suite_add_tcase(s, tc);
	return s;
}
