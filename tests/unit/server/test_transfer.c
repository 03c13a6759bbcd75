/* SPDX-License-Identifier: BSD-3-Clause
 * test_transfer.c - the primary's access rules without sockets: a snapshot
 * with two views whose zone "global" differs (view a: www 192.0.2.1, bound
 * to key ka and allowing only it; view b: www 198.51.100.1, any client,
 * default allow-transfer = loopback), and requests from several addresses,
 * unsigned and signed. Checks: AXFR over UDP refused; the default admits
 * loopback only; a key selects its view whatever the address, and a key
 * bound to view a never gets view b's data; BADKEY, BADSIG and BADTIME as
 * RFC 8945 says (NOTAUTH, the TSIG error; BADTIME signed); a malformed IXFR
 * authority SOA is FORMERR; UDP IXFR gives one SOA when current, and TC with
 * the current SOA alone when the answer does not fit; a name that is not a
 * zone apex is NOTAUTH. */
#include <arpa/inet.h>
#include <check.h>

#include "check_main.h"
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/tsig.h"
#include "server/transfer.h"
#include "util/err.h"
#include "zone/zone_apex.h"
#include "zone/zone_build.h"

static struct snapshot *snap;
static struct xfr_policy *policy;
static struct tsig_key ka, kb, ka_wrong, unknown;
static uint8_t out[65535];

/* SOA and NS at the apex, as a zone without a file gets them (zone_apex.h):
 * one nameserver outside the zone, so it needs no glue. */
static int add_apex(struct zone_build *b, uint32_t serial)
{
	struct zone_apex_ns ns = { .address_count = 0 };
	dname_from_text(ns.name, "ns.example");
	return zone_apex_add(b, &ns, 1, 30, serial);
}

static struct zone *zone_with(const char *addr)
{
	uint8_t apex[DNAME_MAX_LEN], owner[DNAME_MAX_LEN], a[4];
	char err[128];
	dname_from_text(apex, "global");
	dname_from_text(owner, "www.global");
	inet_pton(AF_INET, addr, a);
	struct zone_build *b = zone_build_new(apex, 30);
	ck_assert_int_eq(add_apex(b, 5), 0);
	ck_assert_int_eq(zone_build_add(b, owner, WIRE_TYPE_A, 30, a, 4), 0);
	struct zone *z = zone_build_freeze(b, err, sizeof(err));
	ck_assert_ptr_nonnull(z);
	zone_build_free(b);
	return z;
}

static void setup(void)
{
	static const char *secret = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
	ck_assert_int_eq(tsig_key_init(&ka, "ka", "hmac-sha256", secret), 0);
	ck_assert_int_eq(tsig_key_init(&kb, "kb", "hmac-sha512", secret), 0);
	ck_assert_int_eq(
		tsig_key_init(&ka_wrong, "ka", "hmac-sha256", "BQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="),
		0);
	ck_assert_int_eq(tsig_key_init(&unknown, "nobody", "hmac-sha256", secret), 0);
	struct config_prefix pa, pb;
	ck_assert_int_eq(config_prefix_parse(&pa, "10.0.0.0/8"), 0);
	ck_assert_int_eq(config_prefix_parse(&pb, "any"), 0);
	struct config_view cv[2] = {
		{ .name = "a", .match_clients = &pa, .match_clients_count = 1 },
		{ .name = "b", .match_clients = &pb, .match_clients_count = 1 },
	};
	struct config cfg = { .views = cv, .views_count = 2 };
	struct view_table *views = view_table_new(&cfg);
	struct snapshot_settings st = { .udp_payload_max = 1232 };
	snap = snapshot_new(views, &st);
	view_table_unref(views);
	struct zone *za = zone_with("192.0.2.1"), *zb = zone_with("198.51.100.1");
	snap->sets[0] = zone_set_new(&za, 1);
	snap->sets[1] = zone_set_new(&zb, 1);
	zone_unref(za);
	zone_unref(zb);
	policy = xfr_policy_new(2, 1 << 20);
	ck_assert_int_eq(xfr_policy_add_key(policy, &ka), 0);
	ck_assert_int_eq(xfr_policy_add_key(policy, &kb), 0);
	ck_assert_int_eq(xfr_policy_add_key(policy, &ka), DNSD_EEXIST);
	ck_assert_int_eq(xfr_policy_add_view_key(policy, 0, "ka"), 0);
	ck_assert_int_eq(xfr_policy_add_view_key(policy, 0, "nope"), DNSD_ENOENT);
	uint8_t apex[DNAME_MAX_LEN];
	dname_from_text(apex, "global");
	struct xfr_zone_policy *zp = xfr_policy_zone_add(policy, 0, apex);
	ck_assert_int_eq(xfr_policy_zone_allow(policy, zp, "key ka"), 0);
	ck_assert_int_eq(xfr_policy_zone_allow(policy, zp, "key nope"), DNSD_ENOENT);
	ck_assert_int_eq(xfr_policy_zone_allow(policy, zp, "10.1.2.3/8"), DNSD_EINVAL); /* host bits */
	snap->xfr = policy;
}

static void teardown(void) { snapshot_free(snap); /* drops the policy too */ }

/* A query for name/qtype; with key, signed at now + skew_s. */
static size_t query(uint8_t *buf, const char *name, uint16_t qtype, const struct tsig_key *key, long skew_s,
		    struct tsig_stream *cs)
{
	memset(buf, 0, 12);
	wire_write_u16(buf, 0x7777);
	wire_write_u16(buf + 4, 1);
	int n = dname_from_text(buf + 12, name);
	size_t len = 12 + (size_t)n;
	wire_write_u16(buf + len, qtype);
	wire_write_u16(buf + len + 2, WIRE_CLASS_IN);
	len += 4;
	if (key) {
		tsig_stream_init(cs, key, 300);
		ck_assert_int_eq(tsig_sign(cs, buf, &len, 512, (uint64_t)(time(NULL) + skew_s), TSIG_OK), 0);
	}
	return len;
}

struct outcome {
	enum transfer_verdict verdict;
	uint8_t rcode;
	uint16_t tsig_error;
	bool has_tsig;
	bool is_signed_ok; /* the first message verifies with the client's stream */
	char www[64];      /* the address of www in the transfer */
	size_t records;
};

static struct outcome ask(const uint8_t *q, size_t qlen, bool is_tcp, const char *client,
			  struct tsig_stream *cs)
{
	struct sockaddr_in cl = { .sin_family = AF_INET, .sin_port = htons(4000) };
	inet_pton(AF_INET, client, &cl.sin_addr);
	struct sockaddr_in lo = { .sin_family = AF_INET, .sin_port = htons(53) };
	inet_pton(AF_INET, "127.0.0.1", &lo.sin_addr);
	struct answer_request req = { .pkt = q,
				      .len = qlen,
				      .is_tcp = is_tcp,
				      .client = (struct sockaddr *)&cl,
				      .local = (struct sockaddr *)&lo };
	struct answer_info info;
	struct outcome o = { 0 };
	/* the query path hands it over first */
	size_t len = answer_query(snap, &req, out, sizeof(out), &info);
	ck_assert(info.is_transfer);
	ck_assert_uint_eq(len, 0);
	struct transfer *t = NULL;
	o.verdict = transfer_begin(snap, snap->xfr, &req, out, is_tcp ? sizeof(out) : 1232, &len, &t, &info);
	bool is_first = true;
	for (;;) {
		if (o.verdict == TRANSFER_STREAM) {
			len = transfer_next(t, out, sizeof(out));
			if (len == 0)
				break;
		}
		ck_assert_uint_ge(len, 12);
		o.rcode = out[3] & 0xF;
		struct tsig_rr rr;
		if (tsig_find(out, len, &rr) == 0) {
			o.has_tsig = true;
			o.tsig_error = rr.error;
			if (is_first && cs && rr.error == 0)
				o.is_signed_ok = tsig_verify_response(cs, out, len, &rr,
								      (uint64_t)time(NULL)) == TSIG_OK;
		}
		is_first = false;
		ldns_pkt *p = NULL;
		ck_assert_int_eq(ldns_wire2pkt(&p, out, len), LDNS_STATUS_OK);
		ldns_rr_list *an = ldns_pkt_answer(p);
		for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
			ldns_rr *r = ldns_rr_list_rr(an, i);
			o.records++;
			if (ldns_rr_get_type(r) == LDNS_RR_TYPE_A) {
				char *s = ldns_rdf2str(ldns_rr_rdf(r, 0));
				snprintf(o.www, sizeof(o.www), "%s", s);
				free(s);
			}
		}
		ldns_pkt_free(p);
		if (o.verdict != TRANSFER_STREAM)
			break;
	}
	transfer_free(t);
	return o;
}

START_TEST(test_axfr_over_udp_refused)
{
	uint8_t q[512];
	size_t n = query(q, "global", WIRE_TYPE_AXFR, NULL, 0, NULL);
	struct outcome o = ask(q, n, false, "127.0.0.1", NULL);
	ck_assert_int_eq(o.verdict, TRANSFER_REPLY);
	ck_assert_uint_eq(o.rcode, WIRE_RCODE_REFUSED);
	ck_assert_uint_eq(o.records, 0);
}
END_TEST

START_TEST(test_default_is_loopback_only)
{
	uint8_t q[512];
	size_t n = query(q, "global", WIRE_TYPE_AXFR, NULL, 0, NULL);
	struct outcome o = ask(q, n, true, "127.0.0.1", NULL);
	ck_assert_int_eq(o.verdict, TRANSFER_STREAM);
	ck_assert_str_eq(o.www, "198.51.100.1"); /* view b */
	ck_assert_uint_eq(o.records, 4);         /* SOA NS A SOA */
	o = ask(q, n, true, "192.0.2.9", NULL);
	ck_assert_int_eq(o.verdict, TRANSFER_REPLY);
	ck_assert_uint_eq(o.rcode, WIRE_RCODE_REFUSED);
	ck_assert_uint_eq(o.records, 0);
	/* view a's zone allows only its key: unsigned from view a's clients is refused */
	o = ask(q, n, true, "10.9.9.9", NULL);
	ck_assert_uint_eq(o.rcode, WIRE_RCODE_REFUSED);
	ck_assert_uint_eq(o.records, 0);
}
END_TEST

START_TEST(test_key_selects_its_view)
{
	uint8_t q[512];
	struct tsig_stream cs;
	/* from loopback, which view b would serve unsigned: view a's data */
	size_t n = query(q, "global", WIRE_TYPE_AXFR, &ka, 0, &cs);
	struct outcome o = ask(q, n, true, "127.0.0.1", &cs);
	ck_assert_int_eq(o.verdict, TRANSFER_STREAM);
	ck_assert_str_eq(o.www, "192.0.2.1");
	ck_assert(o.is_signed_ok);
	/* from anywhere */
	n = query(q, "global", WIRE_TYPE_AXFR, &ka, 0, &cs);
	o = ask(q, n, true, "203.0.113.5", &cs);
	ck_assert_int_eq(o.verdict, TRANSFER_STREAM);
	ck_assert_str_eq(o.www, "192.0.2.1");
	/* kb selects no view: by address view b, whose default refuses non-loopback */
	n = query(q, "global", WIRE_TYPE_AXFR, &kb, 0, &cs);
	o = ask(q, n, true, "203.0.113.5", &cs);
	ck_assert_uint_eq(o.rcode, WIRE_RCODE_REFUSED);
	ck_assert(o.has_tsig && o.tsig_error == 0); /* a refusal, signed */
	ck_assert_uint_eq(o.records, 0);
}
END_TEST

START_TEST(test_tsig_errors)
{
	uint8_t q[512];
	struct tsig_stream cs;
	size_t n = query(q, "global", WIRE_TYPE_AXFR, &unknown, 0, &cs);
	struct outcome o = ask(q, n, true, "127.0.0.1", &cs);
	ck_assert_uint_eq(o.rcode, TSIG_RCODE_NOTAUTH);
	ck_assert_uint_eq(o.tsig_error, TSIG_BADKEY);
	ck_assert_uint_eq(o.records, 0);
	n = query(q, "global", WIRE_TYPE_AXFR, &ka_wrong, 0, &cs);
	o = ask(q, n, true, "127.0.0.1", &cs);
	ck_assert_uint_eq(o.rcode, TSIG_RCODE_NOTAUTH);
	ck_assert_uint_eq(o.tsig_error, TSIG_BADSIG);
	ck_assert_uint_eq(o.records, 0);
	n = query(q, "global", WIRE_TYPE_AXFR, &ka, -1000, &cs);
	o = ask(q, n, true, "127.0.0.1", &cs);
	ck_assert_uint_eq(o.rcode, TSIG_RCODE_NOTAUTH);
	ck_assert_uint_eq(o.tsig_error, TSIG_BADTIME);
	ck_assert_uint_eq(o.records, 0);
	/* a signed query that is not a transfer: answered from the key's view, signed */
	n = query(q, "www.global", WIRE_TYPE_A, &ka, 0, &cs);
	o = ask(q, n, false, "127.0.0.1", &cs);
	ck_assert_int_eq(o.verdict, TRANSFER_REPLY);
	ck_assert_str_eq(o.www, "192.0.2.1");
	ck_assert(o.is_signed_ok);
}
END_TEST

START_TEST(test_ixfr_and_names)
{
	uint8_t q[512];
	/* current over UDP: one SOA */
	size_t n = query(q, "global", WIRE_TYPE_IXFR, NULL, 0, NULL);
	wire_write_u16(q + 8, 1);
	static const uint8_t soa[] = { 0xC0, 0x0C, 0, 6, 0, 1, 0, 0, 0, 0, 0, 22, 0, 0, 0, 0, 0,
				       5,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0 };
	memcpy(q + n, soa, sizeof(soa));
	struct outcome o = ask(q, n + sizeof(soa), false, "127.0.0.1", NULL);
	ck_assert_int_eq(o.verdict, TRANSFER_REPLY);
	ck_assert_uint_eq(o.rcode, 0);
	ck_assert_uint_eq(o.records, 1);
	/* older, no journal: the whole (small) zone fits one datagram */
	q[n + 17] = 4;
	o = ask(q, n + sizeof(soa), false, "127.0.0.1", NULL);
	ck_assert_uint_eq(o.records, 4);
	/* the authority SOA's rdata one byte short */
	q[n + 11] = 21;
	o = ask(q, n + sizeof(soa) - 1, true, "127.0.0.1", NULL);
	ck_assert_uint_eq(o.rcode, WIRE_RCODE_FORMERR);
	/* a name below the apex is not a zone */
	n = query(q, "www.global", WIRE_TYPE_AXFR, NULL, 0, NULL);
	o = ask(q, n, true, "127.0.0.1", NULL);
	ck_assert_uint_eq(o.rcode, TSIG_RCODE_NOTAUTH);
	ck_assert_uint_eq(o.records, 0);
}
END_TEST

/* RFC 1995 §2: an IXFR over UDP whose answer does not fit one datagram gets
 * the current SOA alone with TC set (kdig takes an empty TC answer for an
 * error), so that the client asks again over TCP; over TCP the same query
 * gets every record. View b's zone is replaced with one of 40 names: well
 * over 512 bytes whatever the compression. */
START_TEST(test_ixfr_over_udp_that_does_not_fit)
{
	uint8_t apex[DNAME_MAX_LEN], owner[DNAME_MAX_LEN], a[4] = { 192, 0, 2, 0 };
	char err[128], name[64];
	dname_from_text(apex, "global");
	struct zone_build *b = zone_build_new(apex, 30);
	ck_assert_int_eq(add_apex(b, 9), 0);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "service-number-%d.global", i);
		dname_from_text(owner, name);
		a[3] = (uint8_t)i;
		ck_assert_int_eq(zone_build_add(b, owner, WIRE_TYPE_A, 30, a, 4), 0);
	}
	struct zone *z = zone_build_freeze(b, err, sizeof(err));
	ck_assert_ptr_nonnull(z);
	zone_build_free(b);
	zone_set_free(snap->sets[1]);
	snap->sets[1] = zone_set_new(&z, 1);
	zone_unref(z);

	uint8_t q[512];
	size_t n = query(q, "global", WIRE_TYPE_IXFR, NULL, 0, NULL);
	wire_write_u16(q + 8, 1);
	static const uint8_t soa[] = { 0xC0, 0x0C, 0, 6, 0, 1, 0, 0, 0, 0, 0, 22, 0, 0, 0, 0, 0,
				       5,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0 };
	memcpy(q + n, soa, sizeof(soa));
	uint64_t tc_before = atomic_load(&transfer_stats.ixfr_udp_tc);
	/* serial 5, no journal: the whole zone, 44 records, over UDP (no EDNS: 512 bytes) */
	struct outcome o = ask(q, n + sizeof(soa), false, "127.0.0.1", NULL);
	ck_assert_int_eq(o.verdict, TRANSFER_REPLY);
	ck_assert_uint_eq(o.rcode, WIRE_RCODE_NOERROR);
	ck_assert_msg(out[2] & 0x02, "TC set");
	ck_assert_msg(out[2] & 0x04, "AA set");
	ck_assert_uint_eq(o.records, 1);
	ck_assert_uint_eq(wire_read_u16(out + 6), 1);
	ldns_pkt *p = NULL;
	ck_assert_int_eq(ldns_wire2pkt(&p, out, 512), LDNS_STATUS_OK);
	ldns_rr *r = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
	ck_assert_int_eq(ldns_rr_get_type(r), LDNS_RR_TYPE_SOA);
	ck_assert_uint_eq(ldns_rdf2native_int32(ldns_rr_rdf(r, 2)), 9); /* the current serial */
	ldns_pkt_free(p);
	ck_assert_uint_eq(atomic_load(&transfer_stats.ixfr_udp_tc), tc_before + 1);
	/* over TCP: every record, the SOA first and last */
	o = ask(q, n + sizeof(soa), true, "127.0.0.1", NULL);
	ck_assert_int_eq(o.verdict, TRANSFER_STREAM);
	ck_assert_uint_eq(o.records, 40 + 1 + 2); /* SOA, NS, 40 A, SOA */
	ck_assert_uint_eq(atomic_load(&transfer_stats.ixfr_udp_tc), tc_before + 1);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("transfer");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_axfr_over_udp_refused);
	tcase_add_test(tc, test_default_is_loopback_only);
	tcase_add_test(tc, test_key_selects_its_view);
	tcase_add_test(tc, test_tsig_errors);
	tcase_add_test(tc, test_ixfr_and_names);
	tcase_add_test(tc, test_ixfr_over_udp_that_does_not_fit);
	suite_add_tcase(s, tc);
	return s;
}
