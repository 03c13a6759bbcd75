/* SPDX-License-Identifier: BSD-3-Clause
 * test_answer.c - the answer path without sockets: a fixture snapshot built
 * with zone_build from tests/data/zones/unit.zone, raw query bytes in,
 * responses checked with ldns (Knot's test_process_query.c approach). */
#include <arpa/inet.h>
#include <check.h>

#include "check_main.h"
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "query/answer.h"
#include "conf/config.h"
#include "util/err.h"
#include "zone/zone_apex.h"
#include "zone/zone_build.h"
#include "zone/zonefile.h"
#include "unit_zone.h"

static struct snapshot *snap;
static struct zone_build *builder;

/* The answer tests' settings: 1232 bytes over UDP, CHAOS on. */
static struct snapshot *make_snapshot(const struct config *cfg, struct zone *z)
{
	struct snapshot_settings st = { .udp_payload_max = 1232, .is_chaos_enabled = true };
	return unit_snapshot(cfg, &st, z);
}

static void setup(void)
{
	struct zone *z = unit_zone_load("tests/data/zones/unit.zone", &builder);
	struct config cfg = { 0 };
	snap = make_snapshot(&cfg, z);
	zone_unref(z);
}

static void teardown(void)
{
	snapshot_free(snap);
	zone_build_free(builder);
}

struct result {
	ldns_pkt *pkt;
	struct answer_info info;
	size_t len;
};

static uint8_t resp_buf[65535];

/* Sends query bytes through answer_query(); NULL pkt when dropped. */
static struct result run_bytes(const struct snapshot *s, const uint8_t *wire, size_t len, bool is_tcp,
			       const char *client)
{
	struct sockaddr_in cl = { .sin_family = AF_INET, .sin_port = htons(5353) };
	inet_pton(AF_INET, client ? client : "127.0.0.1", &cl.sin_addr);
	struct sockaddr_in lo = { .sin_family = AF_INET, .sin_port = htons(53) };
	inet_pton(AF_INET, "127.0.0.1", &lo.sin_addr);
	struct answer_request req = { .pkt = wire,
				      .len = len,
				      .is_tcp = is_tcp,
				      .client = (struct sockaddr *)&cl,
				      .local = (struct sockaddr *)&lo };
	struct result r = { 0 };
	r.len = answer_query(s, &req, resp_buf, is_tcp ? sizeof(resp_buf) : 4096, &r.info);
	if (r.len > 0)
		ck_assert_int_eq(ldns_wire2pkt(&r.pkt, resp_buf, r.len), LDNS_STATUS_OK);
	return r;
}

/* Builds a query with ldns: name, type, EDNS payload (0 = no OPT). */
static struct result run(const char *name, ldns_rr_type type, uint16_t edns_size, bool is_tcp)
{
	ldns_pkt *q = NULL;
	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&q, name, type, LDNS_RR_CLASS_IN, LDNS_RD),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(q, 4242);
	if (edns_size) {
		ldns_pkt_set_edns_udp_size(q, edns_size);
		ldns_pkt_set_edns_do(q, true); /* forces an OPT even with no other EDNS data */
	}
	uint8_t *wire;
	size_t len;
	ck_assert_int_eq(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	struct result r = run_bytes(snap, wire, len, is_tcp, NULL);
	free(wire);
	ldns_pkt_free(q);
	return r;
}

static void done(struct result *r) { ldns_pkt_free(r->pkt); }

static char *rr_str(const ldns_rr *rr)
{
	char *s = ldns_rr2str(rr);
	s[strcspn(s, "\n")] = '\0';
	return s;
}

static void assert_rr(const ldns_rr_list *list, size_t i, const char *want)
{
	ck_assert_msg(i < ldns_rr_list_rr_count(list), "no record %zu (want %s)", i, want);
	char *got = rr_str(ldns_rr_list_rr(list, i));
	ck_assert_msg(strcmp(got, want) == 0, "record %zu: got '%s', want '%s'", i, got, want);
	free(got);
}

START_TEST(test_positive_a)
{
	struct result r = run("messenger.default.global.", LDNS_RR_TYPE_A, 1232, false);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
	ck_assert(ldns_pkt_qr(r.pkt));
	ck_assert(ldns_pkt_aa(r.pkt));
	ck_assert(ldns_pkt_rd(r.pkt));
	ck_assert(!ldns_pkt_ra(r.pkt));
	ck_assert_uint_eq(ldns_pkt_id(r.pkt), 4242);
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 1);
	ck_assert_uint_eq(ldns_pkt_nscount(r.pkt), 0);
	assert_rr(ldns_pkt_answer(r.pkt), 0, "messenger.default.global.\t300\tIN\tA\t127.127.42.69");
	ck_assert(ldns_pkt_edns(r.pkt));
	ck_assert_uint_eq(ldns_pkt_edns_udp_size(r.pkt), 1232);
	done(&r);
}
END_TEST

START_TEST(test_case_preserved)
{
	struct result r = run("MeSSenger.DEFAULT.global.", LDNS_RR_TYPE_AAAA, 0, false);
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 1);
	assert_rr(ldns_pkt_answer(r.pkt), 0, "MeSSenger.DEFAULT.global.\t300\tIN\tAAAA\t2001:db8::69");
	assert_rr(ldns_pkt_question(r.pkt), 0, "MeSSenger.DEFAULT.global.\tIN\tAAAA");
	ck_assert(!ldns_pkt_edns(r.pkt)); /* no OPT in, no OPT out */
	done(&r);
}
END_TEST

START_TEST(test_nxdomain_soa_min_ttl)
{
	struct result r = run("nope.default.global.", LDNS_RR_TYPE_A, 1232, false);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NXDOMAIN);
	ck_assert(ldns_pkt_aa(r.pkt));
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 0);
	/* RFC 2308 §5: min(SOA TTL 3600, MINIMUM 60) */
	assert_rr(ldns_pkt_authority(r.pkt), 0,
		  "global.\t60\tIN\tSOA\tns1.global. hostmaster.global. 7 3600 600 86400 60");
	done(&r);
}
END_TEST

START_TEST(test_nodata_and_empty_non_terminal)
{
	struct result r = run("ns1.global.", LDNS_RR_TYPE_AAAA, 0, false);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 0);
	ck_assert_uint_eq(ldns_pkt_nscount(r.pkt), 1);
	done(&r);
	r = run("default.global.", LDNS_RR_TYPE_A, 0, false);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 0);
	assert_rr(ldns_pkt_authority(r.pkt), 0,
		  "global.\t60\tIN\tSOA\tns1.global. hostmaster.global. 7 3600 600 86400 60");
	done(&r);
}
END_TEST

START_TEST(test_srv_with_additional)
{
	struct result r = run("_http1._tcp.messenger.default.global.", LDNS_RR_TYPE_SRV, 1232, false);
	assert_rr(ldns_pkt_answer(r.pkt), 0,
		  "_http1._tcp.messenger.default.global.\t300\tIN\tSRV\t0 0 3000 messenger.default.global.");
	ck_assert_uint_eq(ldns_pkt_arcount(r.pkt), 2); /* A, AAAA (ldns keeps OPT apart) */
	assert_rr(ldns_pkt_additional(r.pkt), 0, "messenger.default.global.\t300\tIN\tA\t127.127.42.69");
	done(&r);
}
END_TEST

START_TEST(test_cname_chain)
{
	struct result r = run("alias.global.", LDNS_RR_TYPE_A, 0, false);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 3);
	assert_rr(ldns_pkt_answer(r.pkt), 0, "alias.global.\t300\tIN\tCNAME\talias2.global.");
	assert_rr(ldns_pkt_answer(r.pkt), 1, "alias2.global.\t300\tIN\tCNAME\tmessenger.default.global.");
	assert_rr(ldns_pkt_answer(r.pkt), 2, "messenger.default.global.\t300\tIN\tA\t127.127.42.69");
	done(&r);
	/* RFC 6604: the rcode is that of the last name */
	r = run("dangling.global.", LDNS_RR_TYPE_A, 0, false);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NXDOMAIN);
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 1);
	ck_assert_uint_eq(ldns_pkt_nscount(r.pkt), 1);
	done(&r);
	r = run("outside.global.", LDNS_RR_TYPE_A, 0, false);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 1);
	ck_assert_uint_eq(ldns_pkt_nscount(r.pkt), 0);
	done(&r);
	r = run("alias.global.", LDNS_RR_TYPE_CNAME, 0, false);
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 1);
	done(&r);
}
END_TEST

START_TEST(test_wildcard)
{
	struct result r = run("Some.Thing.wild.global.", LDNS_RR_TYPE_A, 0, false);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
	assert_rr(ldns_pkt_answer(r.pkt), 0, "Some.Thing.wild.global.\t300\tIN\tA\t10.0.0.1");
	done(&r);
	r = run("x.wild.global.", LDNS_RR_TYPE_TXT, 0, false);
	assert_rr(ldns_pkt_answer(r.pkt), 0, "x.wild.global.\t300\tIN\tTXT\t\"wild\"");
	done(&r);
	r = run("x.wild.global.", LDNS_RR_TYPE_AAAA, 0, false);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 0);
	ck_assert_uint_eq(ldns_pkt_nscount(r.pkt), 1);
	done(&r);
	/* the wildcard's parent exists, so it is not synthesised there */
	r = run("wild.global.", LDNS_RR_TYPE_A, 0, false);
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 0);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
	done(&r);
}
END_TEST

START_TEST(test_referral)
{
	struct result r = run("www.sub.global.", LDNS_RR_TYPE_A, 1232, false);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
	ck_assert(!ldns_pkt_aa(r.pkt));
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 0);
	assert_rr(ldns_pkt_authority(r.pkt), 0, "sub.global.\t300\tIN\tNS\tns.sub.global.");
	assert_rr(ldns_pkt_additional(r.pkt), 0, "ns.sub.global.\t300\tIN\tA\t192.0.2.53");
	done(&r);
}
END_TEST

START_TEST(test_out_of_zone_refused)
{
	struct result r = run(".", LDNS_RR_TYPE_NS, 0, false);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_REFUSED);
	ck_assert(!ldns_pkt_aa(r.pkt));
	ck_assert_uint_eq(ldns_pkt_qdcount(r.pkt), 1);
	done(&r);
	r = run("example.com.", LDNS_RR_TYPE_A, 0, false);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_REFUSED);
	done(&r);
}
END_TEST

START_TEST(test_truncation)
{
	/* 100 A records: ~1.6 KB, over 512 and 1232 */
	struct result r = run("big.global.", LDNS_RR_TYPE_A, 0, false);
	ck_assert(ldns_pkt_tc(r.pkt));
	ck_assert_uint_le(r.len, 512);
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 0);
	done(&r);
	r = run("big.global.", LDNS_RR_TYPE_A, 4096, false);
	ck_assert(ldns_pkt_tc(r.pkt));
	ck_assert_uint_le(r.len, 1232); /* our udp-payload-max wins */
	ck_assert(ldns_pkt_edns(r.pkt));
	done(&r);
	r = run("big.global.", LDNS_RR_TYPE_A, 0, true);
	ck_assert(!ldns_pkt_tc(r.pkt));
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 100);
	done(&r);
}
END_TEST

START_TEST(test_any_minimal)
{
	struct result r = run("messenger.default.global.", LDNS_RR_TYPE_ANY, 0, false);
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 1); /* RFC 8482: one RRset */
	done(&r);
}
END_TEST

/* Transfers are the server's (server/transfer.c, tests/unit/server/test_transfer.c):
 * the query path only marks them, over either transport, and answers nothing. */
START_TEST(test_transfers_handed_over)
{
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_AXFR, LDNS_RR_TYPE_IXFR };
	for (int t = 0; t < 2; t++)
		for (int tcp = 0; tcp < 2; tcp++) {
			struct result r = run("global.", types[t], 0, tcp);
			ck_assert_uint_eq(r.len, 0);
			ck_assert(r.info.is_transfer);
			ck_assert(!r.info.is_dropped);
			done(&r);
		}
	/* everything else is not */
	struct result r = run("www.global.", LDNS_RR_TYPE_A, 0, false);
	ck_assert(!r.info.is_transfer);
	ck_assert_uint_gt(r.len, 0);
	done(&r);
}
END_TEST

START_TEST(test_chaos)
{
	ldns_pkt *q = NULL;
	ldns_pkt_query_new_frm_str(&q, "version.dnsd.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH, 0);
	uint8_t *wire;
	size_t len;
	ldns_pkt2wire(&wire, q, &len);
	struct result r = run_bytes(snap, wire, len, false, NULL);
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 1);
	assert_rr(ldns_pkt_answer(r.pkt), 0, "version.dnsd.\t0\tCH\tTXT\t\"dnsd " DNSD_VERSION "\"");
	done(&r);
	free(wire);
	ldns_pkt_free(q);
}
END_TEST

/* A query for name/type with EDNS (payload 1232 unless nsid_payload is set)
 * and an empty NSID option. */
static uint16_t nsid_payload;
static struct result run_nsid(const char *name, ldns_rr_type type, ldns_rr_class qclass)
{
	ldns_pkt *q = NULL;
	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&q, name, type, qclass, 0), LDNS_STATUS_OK);
	ldns_pkt_set_edns_udp_size(q, nsid_payload ? nsid_payload : 1232);
	static const uint8_t nsid_opt[4] = { 0, 3, 0, 0 };
	ldns_pkt_set_edns_data(q, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, sizeof(nsid_opt), nsid_opt));
	uint8_t *wire;
	size_t len;
	ck_assert_int_eq(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	struct result r = run_bytes(snap, wire, len, false, NULL);
	free(wire);
	ldns_pkt_free(q);
	return r;
}

/* The NSID option's payload in a reply's OPT, or NULL (len 0) when none. */
static const uint8_t *reply_nsid(const struct result *r, size_t *len)
{
	ldns_rdf *data = ldns_pkt_edns_data(r->pkt);
	*len = 0;
	if (!data)
		return NULL;
	const uint8_t *p = ldns_rdf_data(data), *end = p + ldns_rdf_size(data);
	while (end - p >= 4) {
		uint16_t code = (uint16_t)(p[0] << 8 | p[1]), olen = (uint16_t)(p[2] << 8 | p[3]);
		if (code == 3) {
			*len = olen;
			return p + 4;
		}
		p += 4 + olen;
	}
	return NULL;
}

static void set_identity(const char *id, bool nsid, bool id_server, bool chaos)
{
	struct snapshot_settings *st = &snap->settings;
	st->identity_len = (uint8_t)strlen(id);
	memcpy(st->identity, id, st->identity_len);
	st->is_nsid_enabled = nsid;
	st->is_id_server_enabled = id_server;
	st->is_chaos_enabled = chaos;
}

START_TEST(test_nsid_only_when_on_and_asked)
{
	size_t len;
	/* off (the default): asked, but nothing said */
	set_identity("pod-a", false, false, true);
	struct result r = run_nsid("messenger.default.global.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN);
	ck_assert_ptr_null(reply_nsid(&r, &len));
	ck_assert_int_eq(r.info.writer, ANSWER_WRITER_ZONE);
	done(&r);
	/* on: in an answer, an NXDOMAIN and a REFUSED alike */
	set_identity("pod-a", true, false, true);
	const char *names[] = { "messenger.default.global.", "nope.global.", "example.org." };
	const int rcodes[] = { LDNS_RCODE_NOERROR, LDNS_RCODE_NXDOMAIN, LDNS_RCODE_REFUSED };
	for (int i = 0; i < 3; i++) {
		r = run_nsid(names[i], LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN);
		ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), rcodes[i]);
		const uint8_t *id = reply_nsid(&r, &len);
		ck_assert_ptr_nonnull(id);
		ck_assert_uint_eq(len, 5);
		ck_assert(memcmp(id, "pod-a", 5) == 0);
		done(&r);
	}
	/* on, but not asked: RFC 5001 §2.1, no NSID */
	r = run("messenger.default.global.", LDNS_RR_TYPE_A, 1232, false);
	ck_assert_ptr_null(reply_nsid(&r, &len));
	done(&r);
	r = run("example.org.", LDNS_RR_TYPE_A, 0, false);
	ck_assert_int_eq(r.info.writer, ANSWER_WRITER_SERVER); /* no zone chose it */
	done(&r);
}
END_TEST

START_TEST(test_nsid_counts_in_the_size)
{
	/* big.global's 100 A records make a 1638-byte reply with OPT: it fits
	 * a 1700-byte payload, but not with a 255-byte NSID as well, which must
	 * then truncate it rather than go over */
	char id[256];
	memset(id, 'x', 255);
	id[255] = '\0';
	snap->settings.udp_payload_max = 4096;
	nsid_payload = 1700;
	set_identity(id, false, false, false);
	struct result r = run_nsid("big.global.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN);
	ck_assert(!ldns_pkt_tc(r.pkt));
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 100);
	done(&r);
	set_identity(id, true, false, false);
	r = run_nsid("big.global.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN);
	ck_assert(ldns_pkt_tc(r.pkt));
	ck_assert_uint_le(r.len, 1700);
	size_t len;
	ck_assert_ptr_nonnull(reply_nsid(&r, &len));
	ck_assert_uint_eq(len, 255);
	done(&r);
	nsid_payload = 0;
	/* and a reply that fits keeps every record with it */
	r = run_nsid("messenger.default.global.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN);
	ck_assert(!ldns_pkt_tc(r.pkt));
	ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 1);
	ck_assert_ptr_nonnull(reply_nsid(&r, &len));
	done(&r);
}
END_TEST

START_TEST(test_id_server)
{
	const char *names[] = { "id.server.", "hostname.bind." };
	/* off: REFUSED, whatever chaos says */
	set_identity("pod-a", false, false, true);
	for (int i = 0; i < 2; i++) {
		struct result r = run_nsid(names[i], LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH);
		ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_REFUSED);
		ck_assert_uint_eq(ldns_pkt_ancount(r.pkt), 0);
		done(&r);
	}
	/* on, with chaos off: the identity, and version.dnsd still refused */
	set_identity("pod-a", false, true, false);
	for (int i = 0; i < 2; i++) {
		struct result r = run_nsid(names[i], LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH);
		ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
		ck_assert(ldns_pkt_aa(r.pkt));
		ck_assert_int_eq(r.info.writer, ANSWER_WRITER_CHAOS);
		char want[64];
		snprintf(want, sizeof(want), "%s\t0\tCH\tTXT\t\"pod-a\"", names[i]);
		assert_rr(ldns_pkt_answer(r.pkt), 0, want);
		done(&r);
	}
	struct result r = run_nsid("version.dnsd.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_REFUSED);
	ck_assert_int_eq(r.info.writer, ANSWER_WRITER_SERVER);
	done(&r);
}
END_TEST

START_TEST(test_formerr_echoes_header)
{
	uint8_t pkt[12] = { 0xAB, 0xCD, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 0 }; /* QDCOUNT=2 */
	struct result r = run_bytes(snap, pkt, sizeof(pkt), false, NULL);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_FORMERR);
	ck_assert_uint_eq(ldns_pkt_id(r.pkt), 0xABCD);
	ck_assert(ldns_pkt_rd(r.pkt));
	done(&r);
	pkt[2] = 0x81; /* QR=1: never answer a response */
	r = run_bytes(snap, pkt, sizeof(pkt), false, NULL);
	ck_assert_uint_eq(r.len, 0);
	ck_assert(r.info.is_dropped);
}
END_TEST

START_TEST(test_badvers)
{
	uint8_t pkt[] = { 0,   1, 0, 0, 0, 1, 0, 0, 0,  0, 0, 1, 6, 'g', 'l', 'o', 'b', 'a',
			  'l', 0, 0, 1, 0, 1, 0, 0, 41, 4, 0, 0, 1, 0,   0,   0,   0 }; /* EDNS version 1 */
	struct result r = run_bytes(snap, pkt, sizeof(pkt), false, NULL);
	ck_assert_uint_eq(r.info.rcode, 16);
	ck_assert(ldns_pkt_edns(r.pkt));
	ck_assert_uint_eq(ldns_pkt_edns_extended_rcode(r.pkt), 1);
	done(&r);
}
END_TEST

/* The apex dnsd makes for a zone without file: ns1.<apex> at 127.0.0.1. */
static int add_apex(struct zone_build *b)
{
	static const struct zone_apex_addr lo = { .family = AF_INET, .addr = { 127, 0, 0, 1 } };
	struct zone_apex_ns ns;
	size_t n = zone_apex_default(zone_build_apex(b), &lo, 1, &ns, 1);
	return n == 1 ? zone_apex_add(b, &ns, 1, 30, 1) : DNSD_ERANGE;
}

/* Split horizon: two views by client prefix and ECS, each its own zone. */
START_TEST(test_views_by_client_and_ecs)
{
	uint8_t apex[DNAME_MAX_LEN];
	char err[256];
	dname_from_text(apex, "global");
	struct zone_build *b1 = zone_build_new(apex, 30), *b2 = zone_build_new(apex, 30);
	uint8_t owner[DNAME_MAX_LEN];
	dname_from_text(owner, "svc.global");
	const uint8_t a1[4] = { 10, 0, 0, 1 }, a2[4] = { 10, 0, 0, 2 };
	ck_assert_int_eq(add_apex(b1), 0);
	ck_assert_int_eq(add_apex(b2), 0);
	ck_assert_int_eq(zone_build_add(b1, owner, LDNS_RR_TYPE_A, 30, a1, 4), 0);
	ck_assert_int_eq(zone_build_add(b2, owner, LDNS_RR_TYPE_A, 30, a2, 4), 0);
	struct zone *z1 = zone_build_freeze(b1, err, sizeof(err));
	struct zone *z2 = zone_build_freeze(b2, err, sizeof(err));
	ck_assert_ptr_nonnull(z1);
	ck_assert_ptr_nonnull(z2);

	struct config_prefix p1 = { .family = AF_INET, .addr = { 127, 0, 0, 11 }, .len = 32 };
	struct config_prefix p2 = { .family = AF_INET, .addr = { 10, 2, 0, 0 }, .len = 16 };
	struct config_view cv[2] = {
		{ .name = "mesh-1", .match_clients = &p1, .match_clients_count = 1 },
		{ .name = "mesh-2", .match_clients = &p2, .match_clients_count = 1 },
	};
	struct config cfg = { .views = cv, .views_count = 2 };
	struct view_table *views = view_table_new(&cfg);
	struct snapshot_settings st = { .udp_payload_max = 1232 };
	struct snapshot *s = snapshot_new(views, &st);
	view_table_unref(views);
	s->sets[0] = zone_set_new(&z1, 1);
	s->sets[1] = zone_set_new(&z2, 1);
	zone_unref(z1);
	zone_unref(z2);

	ldns_pkt *q = NULL;
	ldns_pkt_query_new_frm_str(&q, "svc.global.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0);
	uint8_t *wire;
	size_t len;
	ldns_pkt2wire(&wire, q, &len);
	struct result r = run_bytes(s, wire, len, false, "127.0.0.11");
	assert_rr(ldns_pkt_answer(r.pkt), 0, "svc.global.\t30\tIN\tA\t10.0.0.1");
	done(&r);
	r = run_bytes(s, wire, len, false, "127.0.0.12"); /* no view matches */
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_REFUSED);
	done(&r);
	free(wire);

	/* the same query from 127.0.0.11 carrying ECS 10.2.3.0/24 picks mesh-2 */
	uint8_t ecsq[128];
	memcpy(ecsq, (uint8_t[]){ 0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1 }, 12);
	size_t n = 12;
	memcpy(ecsq + n, "\3svc\6global\0\0\1\0\1", 16);
	n += 16;
	const uint8_t opt[] = { 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 11, 0, 8, 0, 7, 0, 1, 24, 0, 10, 2, 3 };
	memcpy(ecsq + n, opt, sizeof(opt));
	n += sizeof(opt);
	r = run_bytes(s, ecsq, n, false, "127.0.0.11");
	assert_rr(ldns_pkt_answer(r.pkt), 0, "svc.global.\t30\tIN\tA\t10.0.0.2");
	ck_assert_uint_eq(r.info.view, 1);
	/* RFC 7871 §7.2.1: ECS echoed with a scope; ours depends on 32 bits of
	 * mesh-1's prefix but only 24 are known, so scope = 24 */
	ldns_edns_option_list *ol = ldns_pkt_edns_get_option_list(r.pkt);
	ck_assert_ptr_nonnull(ol);
	ldns_edns_option *o = ldns_edns_option_list_get_option(ol, 0);
	ck_assert_uint_eq(ldns_edns_get_code(o), 8);
	ck_assert_uint_eq(ldns_edns_get_data(o)[3], 24);
	done(&r);
	ldns_pkt_free(q);
	snapshot_free(s);
	zone_build_free(b1);
	zone_build_free(b2);
}
END_TEST

START_TEST(test_pending_zone_servfail)
{
	uint8_t apex[DNAME_MAX_LEN];
	dname_from_text(apex, "global");
	struct zone *z = zone_new_pending(apex);
	struct config cfg = { 0 };
	struct snapshot *s = make_snapshot(&cfg, z);
	zone_unref(z);
	ldns_pkt *q = NULL;
	ldns_pkt_query_new_frm_str(&q, "a.global.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0);
	uint8_t *wire;
	size_t len;
	ldns_pkt2wire(&wire, q, &len);
	struct result r = run_bytes(s, wire, len, false, NULL);
	ck_assert_int_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_SERVFAIL);
	done(&r);
	free(wire);
	ldns_pkt_free(q);
	snapshot_free(s);
}
END_TEST

/* Incremental updates: removing one of two contributions keeps the record. */
START_TEST(test_builder_contributions)
{
	uint8_t owner[DNAME_MAX_LEN];
	dname_from_text(owner, "messenger.default.global");
	const uint8_t addr[4] = { 127, 127, 42, 69 };
	ck_assert_int_eq(zone_build_add(builder, owner, LDNS_RR_TYPE_A, 30, addr, 4), 0);
	ck_assert_int_eq(zone_build_remove(builder, owner, LDNS_RR_TYPE_A, addr, 4), 0);
	ck_assert_int_eq(zone_build_remove(builder, owner, LDNS_RR_TYPE_A, addr, 4), 0);
	ck_assert_int_eq(zone_build_remove(builder, owner, LDNS_RR_TYPE_A, addr, 4), DNSD_ENOENT);
	char err[256];
	struct zone *z = zone_build_freeze(builder, err, sizeof(err));
	ck_assert_ptr_nonnull(z);
	const struct zone_node *n = zone_lookup(
		z, (const uint8_t *)"\011messenger\7default\6global", 26,
		dname_hash((const uint8_t *)"\011messenger\7default\6global", 26));
	ck_assert_ptr_nonnull(n);
	ck_assert_ptr_null(zone_node_find_type(n, LDNS_RR_TYPE_A));
	ck_assert_ptr_nonnull(zone_node_find_type(n, LDNS_RR_TYPE_AAAA));
	zone_unref(z);
}
END_TEST

START_TEST(test_builder_rejects_bad_zones)
{
	uint8_t apex[DNAME_MAX_LEN], owner[DNAME_MAX_LEN];
	char err[256];
	dname_from_text(apex, "global");
	struct zone_build *b = zone_build_new(apex, 30);
	ck_assert_ptr_null(zone_build_freeze(b, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "no SOA"));
	ck_assert_int_eq(add_apex(b), 0);
	dname_from_text(owner, "example.com");
	const uint8_t addr[4] = { 1, 2, 3, 4 };
	ck_assert_int_eq(zone_build_add(b, owner, LDNS_RR_TYPE_A, 30, addr, 4), DNSD_EINVAL);
	dname_from_text(owner, "x.global");
	ck_assert_int_eq(zone_build_add(b, owner, LDNS_RR_TYPE_A, 30, addr, 3), DNSD_EINVAL);
	ck_assert_int_eq(zone_build_add(b, owner, LDNS_RR_TYPE_A, 30, addr, 4), 0);
	ck_assert_int_eq(zone_build_add(b, owner, LDNS_RR_TYPE_CNAME, 30, apex, 8), 0);
	ck_assert_ptr_null(zone_build_freeze(b, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "CNAME and other data"));
	zone_build_free(b);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("answer");
	TCase *tc = tcase_create("answer");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_positive_a);
	tcase_add_test(tc, test_case_preserved);
	tcase_add_test(tc, test_nxdomain_soa_min_ttl);
	tcase_add_test(tc, test_nodata_and_empty_non_terminal);
	tcase_add_test(tc, test_srv_with_additional);
	tcase_add_test(tc, test_cname_chain);
	tcase_add_test(tc, test_wildcard);
	tcase_add_test(tc, test_referral);
	tcase_add_test(tc, test_out_of_zone_refused);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_any_minimal);
	tcase_add_test(tc, test_transfers_handed_over);
	tcase_add_test(tc, test_chaos);
	tcase_add_test(tc, test_nsid_only_when_on_and_asked);
	tcase_add_test(tc, test_nsid_counts_in_the_size);
	tcase_add_test(tc, test_id_server);
	tcase_add_test(tc, test_formerr_echoes_header);
	tcase_add_test(tc, test_badvers);
	tcase_add_test(tc, test_views_by_client_and_ecs);
	tcase_add_test(tc, test_pending_zone_servfail);
	tcase_add_test(tc, test_builder_contributions);
	tcase_add_test(tc, test_builder_rejects_bad_zones);
	suite_add_tcase(s, tc);
	return s;
}
