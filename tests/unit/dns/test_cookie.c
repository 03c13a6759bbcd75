/* SPDX-License-Identifier: BSD-3-Clause
 * test_cookie.c - RFC 9018 server cookies: the construction against the
 * RFC's Appendix A vectors (IPv4 and IPv6, fresh and renewed, reserved
 * bytes a client set, a rolled secret), and the checks: lifetime and skew
 * with serial arithmetic, another address, a tampered hash, a foreign
 * length or version, the previous secret accepted only when configured. */
#include <arpa/inet.h>
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <string.h>

#include "dns/cookie.h"

static void hex(uint8_t *out, const char *text)
{
	size_t n = strlen(text) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		ck_assert_int_eq(sscanf(text + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void to_hex(char *out, const uint8_t *in, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
}

static struct sockaddr_storage addr(const char *text)
{
	struct sockaddr_storage ss = { 0 };
	if (strchr(text, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, text, &a->sin_addr), 1);
	}
	return ss;
}

static void check_make(const char *secret_hex, const char *client_hex, const char *ip, uint32_t now,
		       const char *want)
{
	uint8_t secret[16], client[8], out[COOKIE_SERVER_LEN];
	char got[2 * COOKIE_SERVER_LEN + 1];
	hex(secret, secret_hex);
	hex(client, client_hex);
	struct sockaddr_storage ss = addr(ip);
	cookie_make(out, secret, client, (struct sockaddr *)&ss, now);
	to_hex(got, out, sizeof(out));
	ck_assert_str_eq(got, want);
}

START_TEST(test_rfc9018_vectors)
{
	/* A.1: learning a new server cookie */
	check_make("e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", 1559731985,
		   "010000005cf79f111f8130c3eee29480");
	/* A.2: the same client, a renewed cookie */
	check_make("e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", 1559734385,
		   "010000005cf7a871d4a564a1442aca77");
	/* A.3: another client renewing it */
	check_make("e5e973e5a6b2a43f48e7dc849e37bfcf", "fc93fc62807ddb86", "203.0.113.203", 1559734700,
		   "010000005cf7a9acf73a7810aca2381e");
	/* an IPv4-mapped IPv6 address is the IPv4 client (a dual-stack socket) */
	check_make("e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "::ffff:198.51.100.100",
		   1559731985, "010000005cf79f111f8130c3eee29480");
}
END_TEST

static enum cookie_verdict check(const struct cookie_secrets *s, const char *cookie_hex, const char *ip,
				 uint32_t now)
{
	uint8_t cookie[40];
	size_t len = strlen(cookie_hex) / 2;
	hex(cookie, cookie_hex);
	struct sockaddr_storage ss = addr(ip);
	return cookie_check(s, cookie, cookie + 8, len - 8, (struct sockaddr *)&ss, now);
}

START_TEST(test_check)
{
	struct cookie_secrets s = { 0 };
	hex(s.current, "e5e973e5a6b2a43f48e7dc849e37bfcf");
	const char *a1 = "2464c4abcf10c957010000005cf79f111f8130c3eee29480";
	ck_assert_int_eq(check(&s, "2464c4abcf10c957", "198.51.100.100", 1559731985), COOKIE_CLIENT_ONLY);
	ck_assert_int_eq(check(&s, a1, "198.51.100.100", 1559731985), COOKIE_VALID);
	/* A.2 came 40 minutes later: still inside the hour */
	ck_assert_int_eq(check(&s, a1, "198.51.100.100", 1559731985 + 2400), COOKIE_VALID);
	ck_assert_int_eq(check(&s, a1, "198.51.100.100", 1559731985 + 3600), COOKIE_VALID);
	ck_assert_int_eq(check(&s, a1, "198.51.100.100", 1559731985 + 3601), COOKIE_INVALID);
	/* a clock five minutes behind the sibling that made it */
	ck_assert_int_eq(check(&s, a1, "198.51.100.100", 1559731985 - 300), COOKIE_VALID);
	ck_assert_int_eq(check(&s, a1, "198.51.100.100", 1559731985 - 301), COOKIE_INVALID);
	/* another address replaying it */
	ck_assert_int_eq(check(&s, a1, "198.51.100.101", 1559731985), COOKIE_INVALID);
	/* a flipped hash bit, a foreign version, another vendor's 8-byte cookie */
	ck_assert_int_eq(
		check(&s, "2464c4abcf10c957010000005cf79f111f8130c3eee29481", "198.51.100.100", 1559731985),
		COOKIE_INVALID);
	ck_assert_int_eq(
		check(&s, "2464c4abcf10c957020000005cf79f111f8130c3eee29480", "198.51.100.100", 1559731985),
		COOKIE_INVALID);
	ck_assert_int_eq(check(&s, "2464c4abcf10c9571122334455667788", "198.51.100.100", 1559731985),
			 COOKIE_INVALID);
	/* A.3: reserved bytes the client's cookie carries are hashed as received */
	ck_assert_int_eq(check(&s, "fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5", "203.0.113.203",
			       0x5cf78f71 + 10),
			 COOKIE_VALID);
	/* serial arithmetic: made just before the 32-bit wrap, checked after */
	uint8_t client[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, server[16];
	struct sockaddr_storage ss = addr("192.0.2.1");
	cookie_make(server, s.current, client, (struct sockaddr *)&ss, 0xFFFFFF00u);
	ck_assert_int_eq(cookie_check(&s, client, server, 16, (struct sockaddr *)&ss, 0x100u), COOKIE_VALID);
}
END_TEST

START_TEST(test_rotation)
{
	/* A.4: an IPv6 client's cookie made with the old secret */
	const char *a4 = "22681ab97d52c298010000005cf7c57926556bd0934c72f8";
	const char *ip = "2001:db8:220:1:59de:d0f4:8769:82b8";
	struct cookie_secrets s = { 0 };
	hex(s.current, "445536bcd2513298075a5d379663c962");
	ck_assert_int_eq(check(&s, a4, ip, 0x5cf7c579 + 60), COOKIE_INVALID);
	hex(s.previous, "dd3bdf9344b678b185a6f5cb60fca715");
	s.has_previous = true;
	ck_assert_int_eq(check(&s, a4, ip, 0x5cf7c579 + 60), COOKIE_VALID);
	/* the old secret as current makes the very cookie of the RFC */
	check_make("dd3bdf9344b678b185a6f5cb60fca715", "22681ab97d52c298", ip, 0x5cf7c579,
		   "010000005cf7c57926556bd0934c72f8");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("cookie");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_rfc9018_vectors);
	tcase_add_test(tc, test_check);
	tcase_add_test(tc, test_rotation);
	suite_add_tcase(s, tc);
	return s;
}
