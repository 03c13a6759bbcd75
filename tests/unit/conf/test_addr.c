/* SPDX-License-Identifier: BSD-3-Clause
 * test_addr.c - the one address and prefix parser (conf/addr.h): IPv4 and
 * IPv6 prefixes, negation, "any", bare addresses, bad and out-of-range
 * lengths, host bits, the reasons given, "IP:port" forms, and matching an
 * address or an ECS subnet against a prefix. */
#include <arpa/inet.h>
#include <check.h>

#include "check_main.h"
#include <string.h>

#include "conf/addr.h"
#include "util/err.h"

static struct config_prefix prefix(const char *text)
{
	struct config_prefix p;
	ck_assert_int_eq(config_prefix_parse(&p, text), 0);
	return p;
}

static bool match4(const struct config_prefix *p, const char *a, unsigned bits)
{
	uint8_t addr[16] = { 0 };
	ck_assert_int_eq(inet_pton(AF_INET, a, addr), 1);
	return config_prefix_match(p, AF_INET, addr, bits);
}

static bool match6(const struct config_prefix *p, const char *a, unsigned bits)
{
	uint8_t addr[16];
	ck_assert_int_eq(inet_pton(AF_INET6, a, addr), 1);
	return config_prefix_match(p, AF_INET6, addr, bits);
}

START_TEST(prefix_v4)
{
	struct config_prefix p = prefix("10.1.0.0/16");
	ck_assert_int_eq(p.family, AF_INET);
	ck_assert_uint_eq(p.len, 16);
	ck_assert(!p.is_negated);
	const uint8_t want[4] = { 10, 1, 0, 0 };
	ck_assert_int_eq(memcmp(p.addr, want, 4), 0);
	p = prefix("192.0.2.7");
	ck_assert_uint_eq(p.len, 32);
	p = prefix("0.0.0.0/0");
	ck_assert_uint_eq(p.len, 0);
	ck_assert_int_eq(p.family, AF_INET);
	p = prefix("10.1.2.3/32");
	ck_assert_uint_eq(p.len, 32);
}
END_TEST

START_TEST(prefix_v6)
{
	struct config_prefix p = prefix("2001:db8::/32");
	ck_assert_int_eq(p.family, AF_INET6);
	ck_assert_uint_eq(p.len, 32);
	const uint8_t want[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	ck_assert_int_eq(memcmp(p.addr, want, 4), 0);
	p = prefix("::1");
	ck_assert_uint_eq(p.len, 128);
	p = prefix("::/0");
	ck_assert_uint_eq(p.len, 0);
	p = prefix("fd00::/8");
	ck_assert_uint_eq(p.len, 8);
	/* an IPv4-mapped address is an IPv6 prefix */
	p = prefix("::ffff:10.0.0.0/104");
	ck_assert_int_eq(p.family, AF_INET6);
}
END_TEST

START_TEST(prefix_negation_and_any)
{
	struct config_prefix p = prefix("!10.1.9.0/24");
	ck_assert(p.is_negated);
	ck_assert_int_eq(p.family, AF_INET);
	ck_assert_uint_eq(p.len, 24);
	p = prefix("!2001:db8::/32");
	ck_assert(p.is_negated);
	ck_assert_int_eq(p.family, AF_INET6);
	p = prefix("any");
	ck_assert_int_eq(p.family, 0);
	ck_assert(!p.is_negated);
	p = prefix("ANY");
	ck_assert_int_eq(p.family, 0);
	p = prefix("!any");
	ck_assert_int_eq(p.family, 0);
	ck_assert(p.is_negated);
	struct config_prefix q;
	ck_assert_int_eq(config_prefix_parse(&q, "!!10.0.0.0/8"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(&q, "!"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(&q, "any/8"), DNSD_EINVAL);
}
END_TEST

START_TEST(prefix_bad_lengths)
{
	struct config_prefix p;
	const char *why = NULL;
	ck_assert_int_eq(config_prefix_parse_why(&p, "10.1.0.0/33", &why), DNSD_ERANGE);
	ck_assert_str_eq(why, "prefix length is out of range 0..32");
	ck_assert_int_eq(config_prefix_parse_why(&p, "::/129", &why), DNSD_ERANGE);
	ck_assert_str_eq(why, "prefix length is out of range 0..128");
	ck_assert_int_eq(config_prefix_parse(&p, "10.0.0.0/99999999999999999999999"), DNSD_ERANGE);
	ck_assert_int_eq(config_prefix_parse_why(&p, "10.1.0.0/", &why), DNSD_EINVAL);
	ck_assert_str_eq(why, "prefix length is not a number");
	/* decimal digits only: what strtol() would take is still refused */
	ck_assert_int_eq(config_prefix_parse(&p, "10.0.0.0/+8"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(&p, "10.0.0.0/-8"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(&p, "10.0.0.0/ 8"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(&p, "10.0.0.0/0x8"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(&p, "10.0.0.0/8/8"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse_why(&p, "/8", &why), DNSD_EINVAL);
	ck_assert_str_eq(why, "not a numeric IPv4 or IPv6 address");
	ck_assert_int_eq(config_prefix_parse_why(&p, "bogus", &why), DNSD_EINVAL);
	ck_assert_str_eq(why, "not a numeric IPv4 or IPv6 address, nor 'any'");
	ck_assert_int_eq(config_prefix_parse(&p, "10.1/16"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(&p, ""), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(NULL, "10.0.0.0/8"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(&p, NULL), DNSD_EINVAL);
}
END_TEST

START_TEST(prefix_host_bits)
{
	struct config_prefix p;
	const char *why = NULL;
	ck_assert_int_eq(config_prefix_parse_why(&p, "10.0.0.1/31", &why), DNSD_EINVAL);
	ck_assert_str_eq(why, "host bits are set beyond the prefix length");
	ck_assert_int_eq(config_prefix_parse(&p, "10.1.2.0/16"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(&p, "fd00::1/8"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(&p, "!192.168.1.1/24"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(&p, "10.0.0.2/31"), 0);
	ck_assert_int_eq(config_prefix_parse(&p, "fd00::/8"), 0);
}
END_TEST

START_TEST(prefix_match)
{
	struct config_prefix p = prefix("10.1.0.0/16");
	ck_assert(match4(&p, "10.1.0.0", 32));
	ck_assert(match4(&p, "10.1.255.7", 32));
	ck_assert(!match4(&p, "10.2.0.1", 32));
	ck_assert(!match4(&p, "11.1.0.1", 32));
	/* ECS subnets: /24 inside, /16 exactly, /8 wider than the prefix */
	ck_assert(match4(&p, "10.1.4.0", 24));
	ck_assert(match4(&p, "10.1.0.0", 16));
	ck_assert(!match4(&p, "10.0.0.0", 8));
	/* a length that is not a whole number of bytes */
	p = prefix("10.1.8.0/21");
	ck_assert(match4(&p, "10.1.15.255", 32));
	ck_assert(!match4(&p, "10.1.16.0", 32));
	ck_assert(!match4(&p, "10.1.7.255", 32));
	/* /0 holds every address of its family, not the other family */
	p = prefix("0.0.0.0/0");
	ck_assert(match4(&p, "203.0.113.9", 32));
	ck_assert(match4(&p, "203.0.113.9", 0));
	ck_assert(!match6(&p, "::1", 128));
	/* negation does not change the test; the caller applies it */
	p = prefix("!10.1.9.0/24");
	ck_assert(match4(&p, "10.1.9.3", 32));
	ck_assert(!match4(&p, "10.1.10.3", 32));
	/* "any" holds everything, of either family */
	p = prefix("any");
	ck_assert(match4(&p, "192.0.2.1", 32));
	ck_assert(match6(&p, "2001:db8::1", 128));
	/* IPv6 */
	p = prefix("2001:db8::/32");
	ck_assert(match6(&p, "2001:db8:ffff::1", 128));
	ck_assert(!match6(&p, "2001:db9::1", 128));
	ck_assert(!match4(&p, "32.1.13.184", 32));
	ck_assert(match6(&p, "2001:db8::", 48));
	ck_assert(!match6(&p, "2001::", 16));
	p = prefix("::1");
	ck_assert(match6(&p, "::1", 128));
	ck_assert(!match6(&p, "::2", 128));
	ck_assert(!match6(&p, "::1", 127));
}
END_TEST

START_TEST(addr_forms)
{
	struct config_addr a;
	const char *why = NULL;
	ck_assert_int_eq(config_addr_parse(&a, "127.0.0.1:5353"), 0);
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a.ss;
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(sin->sin_port), 5353);
	ck_assert_uint_eq(a.sslen, sizeof(struct sockaddr_in));
	ck_assert_str_eq(a.text, "127.0.0.1:5353");
	ck_assert_int_eq(config_addr_parse(&a, "[2001:db8::1]:53"), 0);
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a.ss;
	ck_assert_int_eq(sin6->sin6_family, AF_INET6);
	ck_assert_uint_eq(ntohs(sin6->sin6_port), 53);
	ck_assert_uint_eq(a.sslen, sizeof(struct sockaddr_in6));
	/* ":53" is the IPv6 wildcard */
	ck_assert_int_eq(config_addr_parse(&a, ":53"), 0);
	ck_assert_int_eq(sin6->sin6_family, AF_INET6);
	ck_assert(IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr));
	ck_assert_int_eq(config_addr_parse_why(&a, "::1:53", &why), DNSD_EINVAL);
	ck_assert_str_eq(why, "IPv6 addresses need brackets: [::1]:53");
	ck_assert_int_eq(config_addr_parse_why(&a, "[::1]", &why), DNSD_EINVAL);
	ck_assert_str_eq(why, "port is required: [IPv6]:PORT");
	ck_assert_int_eq(config_addr_parse_why(&a, "[::1:53", &why), DNSD_EINVAL);
	ck_assert_str_eq(why, "missing ']'");
	ck_assert_int_eq(config_addr_parse_why(&a, "10.0.0.1", &why), DNSD_EINVAL);
	ck_assert_str_eq(why, "port is required: IPv4:PORT, [IPv6]:PORT or :PORT");
	ck_assert_int_eq(config_addr_parse_why(&a, "10.0.0.1:x", &why), DNSD_EINVAL);
	ck_assert_str_eq(why, "port is required: a number 1..65535");
	ck_assert_int_eq(config_addr_parse_why(&a, "10.0.0.1:65536", &why), DNSD_ERANGE);
	ck_assert_str_eq(why, "port is out of range 1..65535");
	ck_assert_int_eq(config_addr_parse(&a, "10.0.0.1:0"), DNSD_ERANGE);
	ck_assert_int_eq(config_addr_parse(&a, "10.0.0.1:99999999999999999999999"), DNSD_ERANGE);
	ck_assert_int_eq(config_addr_parse_why(&a, "localhost:53", &why), DNSD_EINVAL);
	ck_assert_str_eq(why, "not a numeric IPv4 address");
	ck_assert_int_eq(config_addr_parse_why(&a, "[10.0.0.1]:53", &why), DNSD_EINVAL);
	ck_assert_str_eq(why, "not a numeric IPv6 address");
	ck_assert_int_eq(config_addr_parse_why(&a, "[]:53", &why), DNSD_EINVAL);
	char long_text[80];
	memset(long_text, '1', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	ck_assert_int_eq(config_addr_parse_why(&a, long_text, &why), DNSD_EINVAL);
	ck_assert_str_eq(why, "too long");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("addr");
	tcase_add_test(tc, prefix_v4);
	tcase_add_test(tc, prefix_v6);
	tcase_add_test(tc, prefix_negation_and_any);
	tcase_add_test(tc, prefix_bad_lengths);
	tcase_add_test(tc, prefix_host_bits);
	tcase_add_test(tc, prefix_match);
	tcase_add_test(tc, addr_forms);
	suite_add_tcase(s, tc);
	return s;
}
