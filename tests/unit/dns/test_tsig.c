/* SPDX-License-Identifier: BSD-3-Clause
 * test_tsig.c - RFC 8945 against dnspython's implementation: vectors made by
 * tsig_vectors.py at a fixed time (a signed AXFR request and a two-message
 * signed response stream, HMAC-SHA256 and HMAC-SHA512). The request must
 * verify, and fail with the RFC's error under a wrong secret, a wrong
 * algorithm, a changed byte and a clock beyond the fudge; the responses,
 * stripped of their TSIG record, must come out of tsig_sign() byte for byte
 * as dnspython signed them (the second one with the §5.3.1 rules). */
#include <check.h>

#include "check_main.h"
#include <string.h>

#include "dns/tsig.h"
#include "dns/wire.h"
#include "util/err.h"

#include "tsig_vectors.h"

struct vec {
	const char *algorithm;
	const uint8_t *query, *resp1, *resp2;
	size_t query_len, resp1_len, resp2_len;
};

static const struct vec vecs[2] = {
	{ "hmac-sha256", vec_sha256_query, vec_sha256_resp1, vec_sha256_resp2, sizeof(vec_sha256_query),
	  sizeof(vec_sha256_resp1), sizeof(vec_sha256_resp2) },
	{ "hmac-sha512.", vec_sha512_query, vec_sha512_resp1, vec_sha512_resp2, sizeof(vec_sha512_query),
	  sizeof(vec_sha512_resp1), sizeof(vec_sha512_resp2) },
};

static struct tsig_key key_of(const char *algorithm, const char *secret)
{
	struct tsig_key k;
	ck_assert_int_eq(tsig_key_init(&k, "XFR-A", algorithm, secret), 0);
	return k;
}

START_TEST(test_key_init)
{
	struct tsig_key k;
	ck_assert_int_eq(tsig_key_init(&k, "xfr-a.", "hmac-sha256", VEC_SECRET), 0);
	ck_assert_uint_eq(k.secret_len, 32);
	ck_assert_uint_eq(k.secret[0], 1);
	ck_assert_uint_eq(k.secret[31], 32);
	ck_assert_str_eq(k.name_text, "xfr-a.");
	ck_assert_int_eq(tsig_key_init(&k, "xfr-a", "hmac-md5", VEC_SECRET), DNSD_EINVAL);
	ck_assert_int_eq(tsig_key_init(&k, "xfr-a", "hmac-sha256", "not base64!"), DNSD_EPARSE);
	ck_assert_int_eq(tsig_key_init(&k, "xfr-a", "hmac-sha256", ""), DNSD_EPARSE);
	ck_assert_int_eq(tsig_key_init(&k, "xfr-a", "hmac-sha256", "QQ=\n"), DNSD_EPARSE);
	ck_assert_int_eq(tsig_key_init(&k, "xfr-a", "hmac-sha256", "QQ==\n"), 0);
	ck_assert_uint_eq(k.secret_len, 1);
	ck_assert_uint_eq(k.secret[0], 'A');
}
END_TEST

START_TEST(test_request_verifies)
{
	const struct vec *v = &vecs[_i];
	struct tsig_key k = key_of(v->algorithm, VEC_SECRET);
	struct tsig_rr rr;
	ck_assert_int_eq(tsig_find(v->query, v->query_len, &rr), 0);
	ck_assert_uint_eq(rr.key_name_len, k.name_len);
	ck_assert_uint_eq(rr.time_signed, VEC_NOW);
	ck_assert_uint_eq(rr.fudge, 300);
	ck_assert_uint_eq(rr.original_id, 0x1234);
	struct tsig_stream s;
	ck_assert_int_eq(tsig_verify_request(&s, &k, v->query, v->query_len, &rr, VEC_NOW), TSIG_OK);
	ck_assert_int_eq(tsig_verify_request(&s, &k, v->query, v->query_len, &rr, VEC_NOW + 300), TSIG_OK);
	ck_assert_int_eq(tsig_verify_request(&s, &k, v->query, v->query_len, &rr, VEC_NOW - 300), TSIG_OK);
	/* clock skew beyond the fudge */
	ck_assert_int_eq(tsig_verify_request(&s, &k, v->query, v->query_len, &rr, VEC_NOW + 301),
			 TSIG_BADTIME);
	ck_assert_int_eq(tsig_verify_request(&s, &k, v->query, v->query_len, &rr, VEC_NOW - 301),
			 TSIG_BADTIME);
	/* the wrong secret */
	struct tsig_key bad = key_of(v->algorithm, "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyE=");
	ck_assert_int_eq(tsig_verify_request(&s, &bad, v->query, v->query_len, &rr, VEC_NOW), TSIG_BADSIG);
	/* the key's name with another algorithm */
	struct tsig_key other = key_of(_i == 0 ? "hmac-sha512" : "hmac-sha256", VEC_SECRET);
	ck_assert_int_eq(tsig_verify_request(&s, &other, v->query, v->query_len, &rr, VEC_NOW), TSIG_BADKEY);
	/* any byte of the signed part changed */
	uint8_t copy[512];
	memcpy(copy, v->query, v->query_len);
	for (size_t i = 2; i < rr.offset; i++) {
		copy[i] ^= 0x20;
		struct tsig_rr r2;
		if (tsig_find(copy, v->query_len, &r2) == 0)
			ck_assert_int_ne(tsig_verify_request(&s, &k, copy, v->query_len, &r2, VEC_NOW),
					 TSIG_OK);
		copy[i] ^= 0x20;
	}
	/* the MAC itself */
	copy[rr.mac - v->query] ^= 1;
	struct tsig_rr r3;
	ck_assert_int_eq(tsig_find(copy, v->query_len, &r3), 0);
	ck_assert_int_eq(tsig_verify_request(&s, &k, copy, v->query_len, &r3, VEC_NOW), TSIG_BADSIG);
}
END_TEST

/* dnspython's response without its TSIG record: what our server would sign. */
static size_t strip(uint8_t *out, const uint8_t *msg, size_t len, struct tsig_rr *rr)
{
	ck_assert_int_eq(tsig_find(msg, len, rr), 0);
	memcpy(out, msg, rr->offset);
	wire_write_u16(out + 10, (uint16_t)(wire_read_u16(out + 10) - 1));
	return rr->offset;
}

START_TEST(test_response_stream_matches_dnspython)
{
	const struct vec *v = &vecs[_i];
	struct tsig_key k = key_of(v->algorithm, VEC_SECRET);
	struct tsig_rr rr;
	ck_assert_int_eq(tsig_find(v->query, v->query_len, &rr), 0);
	struct tsig_stream s;
	ck_assert_int_eq(tsig_verify_request(&s, &k, v->query, v->query_len, &rr, VEC_NOW), TSIG_OK);

	uint8_t msg[1024];
	struct tsig_rr r1, r2;
	size_t len = strip(msg, v->resp1, v->resp1_len, &r1);
	ck_assert_int_eq(tsig_sign(&s, msg, &len, sizeof(msg), VEC_NOW, TSIG_OK), 0);
	ck_assert_uint_eq(len, v->resp1_len);
	ck_assert_mem_eq(msg, v->resp1, len);

	len = strip(msg, v->resp2, v->resp2_len, &r2);
	ck_assert_int_eq(tsig_sign(&s, msg, &len, sizeof(msg), VEC_NOW, TSIG_OK), 0);
	ck_assert_uint_eq(len, v->resp2_len);
	ck_assert_mem_eq(msg, v->resp2, len);

	/* a second message signed with the first-message rules would differ */
	struct tsig_stream fresh;
	ck_assert_int_eq(tsig_verify_request(&fresh, &k, v->query, v->query_len, &rr, VEC_NOW), TSIG_OK);
	len = strip(msg, v->resp2, v->resp2_len, &r2);
	ck_assert_int_eq(tsig_sign(&fresh, msg, &len, sizeof(msg), VEC_NOW, TSIG_OK), 0);
	ck_assert_int_ne(memcmp(msg, v->resp2, len), 0);
}
END_TEST

START_TEST(test_client_side)
{
	/* we sign a request and verify the answer a peer signs with the same rules */
	struct tsig_key k = key_of("hmac-sha256", VEC_SECRET);
	uint8_t req[512], resp[512];
	size_t qlen = sizeof(vec_sha256_query);
	struct tsig_rr rr;
	ck_assert_int_eq(tsig_find(vec_sha256_query, qlen, &rr), 0);
	qlen = strip(req, vec_sha256_query, qlen, &rr);
	struct tsig_stream client, server;
	tsig_stream_init(&client, &k, 300);
	ck_assert_int_eq(tsig_sign(&client, req, &qlen, sizeof(req), VEC_NOW, TSIG_OK), 0);
	/* byte for byte what dnspython signed */
	ck_assert_uint_eq(qlen, sizeof(vec_sha256_query));
	ck_assert_mem_eq(req, vec_sha256_query, qlen);
	ck_assert_int_eq(tsig_find(req, qlen, &rr), 0);
	ck_assert_int_eq(tsig_verify_request(&server, &k, req, qlen, &rr, VEC_NOW + 5), TSIG_OK);
	memcpy(resp, req, rr.offset);
	size_t rlen = rr.offset;
	wire_write_u16(resp + 2, WIRE_FLAG_QR);
	wire_write_u16(resp + 10, 0);
	ck_assert_int_eq(tsig_sign(&server, resp, &rlen, sizeof(resp), VEC_NOW + 5, TSIG_OK), 0);
	struct tsig_rr rr2;
	ck_assert_int_eq(tsig_find(resp, rlen, &rr2), 0);
	ck_assert_int_eq(tsig_verify_response(&client, resp, rlen, &rr2, VEC_NOW + 6), TSIG_OK);
	/* a forged answer does not verify */
	resp[3] ^= 5;
	tsig_stream_init(&client, &k, 300);
	qlen = strip(req, vec_sha256_query, sizeof(vec_sha256_query), &rr);
	ck_assert_int_eq(tsig_sign(&client, req, &qlen, sizeof(req), VEC_NOW, TSIG_OK), 0);
	ck_assert_int_eq(tsig_verify_response(&client, resp, rlen, &rr2, VEC_NOW + 6), TSIG_BADSIG);
}
END_TEST

START_TEST(test_errors_on_the_wire)
{
	struct tsig_key k = key_of("hmac-sha256", VEC_SECRET);
	struct tsig_rr rr;
	ck_assert_int_eq(tsig_find(vec_sha256_query, sizeof(vec_sha256_query), &rr), 0);
	struct tsig_stream s;
	ck_assert_int_eq(
		tsig_verify_request(&s, &k, vec_sha256_query, sizeof(vec_sha256_query), &rr, VEC_NOW + 1000),
		TSIG_BADTIME);
	/* BADTIME: signed, the request's time echoed, ours in Other Data */
	uint8_t msg[512];
	memcpy(msg, vec_sha256_query, rr.offset);
	size_t len = rr.offset;
	wire_write_u16(msg + 2, WIRE_FLAG_QR | TSIG_RCODE_NOTAUTH);
	wire_write_u16(msg + 10, 0);
	ck_assert_int_eq(tsig_sign(&s, msg, &len, sizeof(msg), VEC_NOW + 1000, TSIG_BADTIME), 0);
	struct tsig_rr out;
	ck_assert_int_eq(tsig_find(msg, len, &out), 0);
	ck_assert_uint_eq(out.error, TSIG_BADTIME);
	ck_assert_uint_eq(out.time_signed, VEC_NOW);
	ck_assert_uint_eq(out.other_len, 6);
	ck_assert_uint_eq(wire_read_u32(out.other + 2), (uint32_t)(VEC_NOW + 1000));
	ck_assert_uint_eq(out.mac_len, 32);
	/* BADSIG / BADKEY: unsigned */
	len = rr.offset;
	wire_write_u16(msg + 10, 0);
	ck_assert_int_eq(tsig_append_error(msg, &len, sizeof(msg), &rr, TSIG_BADKEY), 0);
	ck_assert_int_eq(tsig_find(msg, len, &out), 0);
	ck_assert_uint_eq(out.error, TSIG_BADKEY);
	ck_assert_uint_eq(out.mac_len, 0);
	ck_assert_uint_eq(wire_read_u16(msg + 10), 1);
	/* no room */
	len = rr.offset;
	ck_assert_int_eq(tsig_sign(&s, msg, &len, rr.offset + 20, VEC_NOW, TSIG_OK), DNSD_ERANGE);
}
END_TEST

START_TEST(test_find_is_strict)
{
	uint8_t msg[512];
	size_t len = sizeof(vec_sha256_query);
	struct tsig_rr rr;
	memcpy(msg, vec_sha256_query, len);
	/* no TSIG */
	ck_assert_int_eq(tsig_find(msg, 12 + 12, &rr), DNSD_EPARSE); /* ARCOUNT says one more */
	wire_write_u16(msg + 10, 0);
	ck_assert_int_eq(tsig_find(msg, 12 + 12, &rr), DNSD_ENOENT);
	/* trailing garbage */
	memcpy(msg, vec_sha256_query, len);
	msg[len] = 0;
	ck_assert_int_eq(tsig_find(msg, len + 1, &rr), DNSD_EPARSE);
	/* every truncation is malformed, never read past the end */
	for (size_t cut = 0; cut < len; cut++)
		ck_assert_int_ne(tsig_find(msg, cut, &rr), 0);
	/* TSIG not last: claim it sits in the answer section */
	wire_write_u16(msg + 6, 1);
	wire_write_u16(msg + 10, 0);
	ck_assert_int_eq(tsig_find(msg, len, &rr), DNSD_EPARSE);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("tsig");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_key_init);
	tcase_add_loop_test(tc, test_request_verifies, 0, 2);
	tcase_add_loop_test(tc, test_response_stream_matches_dnspython, 0, 2);
	tcase_add_test(tc, test_client_side);
	tcase_add_test(tc, test_errors_on_the_wire);
	tcase_add_test(tc, test_find_is_strict);
	suite_add_tcase(s, tc);
	return s;
}
