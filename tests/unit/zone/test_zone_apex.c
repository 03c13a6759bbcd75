/* SPDX-License-Identifier: BSD-3-Clause
 * test_zone_apex.c - apex NS and SOA from nameservers: and the synthesized
 * default: the checks, the records (through the real answer path) and the
 * addresses the default is made of. */
#include <arpa/inet.h>
#include <check.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "conf/config.h"
#include "query/answer.h"
#include "util/err.h"
#include "zone/zone_apex.h"
#include "zone/zone_build.h"

static struct zone_apex_addr addr4(const char *text)
{
	struct zone_apex_addr a = { .family = AF_INET };
	ck_assert_int_eq(inet_pton(AF_INET, text, a.addr), 1);
	return a;
}

static struct zone_apex_addr addr6(const char *text)
{
	struct zone_apex_addr a = { .family = AF_INET6 };
	ck_assert_int_eq(inet_pton(AF_INET6, text, a.addr), 1);
	return a;
}

static struct zone_apex_ns ns_named(const char *name, const struct zone_apex_addr *addrs, size_t n)
{
	struct zone_apex_ns ns = { .addresses = addrs, .address_count = n };
	ck_assert_int_gt(dname_from_text(ns.name, name), 0);
	return ns;
}

static const uint8_t *apex_of(const char *text)
{
	static uint8_t apex[DNAME_MAX_LEN];
	ck_assert_int_gt(dname_from_text(apex, text), 0);
	return apex;
}

START_TEST(test_check)
{
	char err[256];
	struct zone_apex_addr a[] = { addr4("192.0.2.1") };
	struct zone_apex_ns ok[] = { ns_named("ns1.global", a, 1), ns_named("ns.example.net", NULL, 0) };
	ck_assert_int_eq(zone_apex_check(apex_of("global"), ok, 2, err, sizeof(err)), 0);

	struct zone_apex_ns no_glue[] = { ns_named("ns1.global", NULL, 0) };
	ck_assert_int_eq(zone_apex_check(apex_of("global"), no_glue, 1, err, sizeof(err)), DNSD_EINVAL);
	ck_assert_str_eq(err,
			 "nameservers[0]: ns1.global. is inside zone global. and needs addresses (its glue)");

	struct zone_apex_ns outside[] = { ns_named("ns1.global", a, 1), ns_named("ns.example.net", a, 1) };
	ck_assert_int_eq(zone_apex_check(apex_of("global"), outside, 2, err, sizeof(err)), DNSD_EINVAL);
	ck_assert_msg(strstr(err, "nameservers[1]: ns.example.net. is outside zone global.") == err, "%s",
		      err);

	struct zone_apex_ns twice[] = { ns_named("ns1.global", a, 1), ns_named("NS1.Global", a, 1) };
	ck_assert_int_eq(zone_apex_check(apex_of("global"), twice, 2, err, sizeof(err)), DNSD_EINVAL);
	ck_assert_msg(strstr(err, "listed twice") != NULL, "%s", err);

	ck_assert_int_eq(zone_apex_check(apex_of("global"), ok, 0, err, sizeof(err)), DNSD_EINVAL);
	struct zone_apex_ns apex_itself[] = { ns_named("global", a, 1) };
	ck_assert_int_eq(zone_apex_check(apex_of("global"), apex_itself, 1, err, sizeof(err)), DNSD_EINVAL);
}
END_TEST

/* The zone built from ns, frozen and asked through answer_query(). */
static struct snapshot *snap;
static struct zone_build *builder;

static void build(const char *apex_text, const struct zone_apex_ns *ns, size_t count, uint32_t ttl)
{
	char err[256];
	uint8_t apex[DNAME_MAX_LEN];
	ck_assert_int_gt(dname_from_text(apex, apex_text), 0);
	builder = zone_build_new(apex, ttl);
	ck_assert_ptr_nonnull(builder);
	ck_assert_int_eq(zone_apex_check(apex, ns, count, err, sizeof(err)), 0);
	ck_assert_int_eq(zone_apex_add(builder, ns, count, ttl, 2026120101), 0);
	struct zone *z = zone_build_freeze(builder, err, sizeof(err));
	ck_assert_msg(z != NULL, "%s", err);
	struct config cfg = { 0 };
	struct view_table *views = view_table_new(&cfg);
	struct snapshot_settings st = { .udp_payload_max = 1232 };
	snap = snapshot_new(views, &st);
	view_table_unref(views);
	snap->sets[0] = zone_set_new(&z, 1);
	zone_unref(z);
}

static void unbuild(void)
{
	snapshot_free(snap);
	zone_build_free(builder);
	snap = NULL;
	builder = NULL;
}

/* The answer to name/type as "section: rr" lines, sorted within a section. */
static char *ask(const char *name, ldns_rr_type type, ldns_pkt_rcode *rcode)
{
	ldns_pkt *q = NULL;
	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&q, name, type, LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
	ldns_pkt_set_edns_udp_size(q, 1232);
	ldns_pkt_set_edns_do(q, true);
	uint8_t *wire, out[4096];
	size_t len;
	ck_assert_int_eq(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	struct sockaddr_in cl = { .sin_family = AF_INET, .sin_port = htons(5353) };
	inet_pton(AF_INET, "127.0.0.1", &cl.sin_addr);
	struct answer_request req = { .pkt = wire,
				      .len = len,
				      .client = (struct sockaddr *)&cl,
				      .local = (struct sockaddr *)&cl };
	struct answer_info info;
	size_t n = answer_query(snap, &req, out, sizeof(out), &info);
	free(wire);
	ldns_pkt_free(q);
	ck_assert_uint_gt(n, 0);
	ldns_pkt *r = NULL;
	ck_assert_int_eq(ldns_wire2pkt(&r, out, n), LDNS_STATUS_OK);
	*rcode = ldns_pkt_get_rcode(r);
	static char text[8192];
	text[0] = '\0';
	ldns_rr_list *sections[3] = { ldns_pkt_answer(r), ldns_pkt_authority(r), ldns_pkt_additional(r) };
	static const char *const tags[3] = { "an", "ns", "ar" };
	for (int s = 0; s < 3; s++) {
		ldns_rr_list_sort(sections[s]);
		for (size_t i = 0; i < ldns_rr_list_rr_count(sections[s]); i++) {
			char *rr = ldns_rr2str(ldns_rr_list_rr(sections[s], i));
			rr[strcspn(rr, "\n")] = '\0';
			for (char *t = rr; *t; t++)
				if (*t == '\t')
					*t = ' ';
			strcat(text, tags[s]);
			strcat(text, ": ");
			strcat(text, rr);
			strcat(text, "\n");
			free(rr);
		}
	}
	ldns_pkt_free(r);
	return text;
}

START_TEST(test_nameservers_given)
{
	struct zone_apex_addr a1[] = { addr4("192.0.2.1"), addr6("2001:db8::1") },
			      a2[] = { addr4("192.0.2.2") };
	struct zone_apex_ns ns[] = { ns_named("ns1.global", a1, 2), ns_named("ns.example.net", NULL, 0),
				     ns_named("ns2.global", a2, 1) };
	build("global", ns, 3, 30);
	ldns_pkt_rcode rc;
	ck_assert_str_eq(ask("global.", LDNS_RR_TYPE_NS, &rc), "an: global. 30 IN NS ns.example.net.\n"
							       "an: global. 30 IN NS ns1.global.\n"
							       "an: global. 30 IN NS ns2.global.\n"
							       "ar: ns1.global. 30 IN A 192.0.2.1\n"
							       "ar: ns1.global. 30 IN AAAA 2001:db8::1\n"
							       "ar: ns2.global. 30 IN A 192.0.2.2\n");
	char *soa = ask("global.", LDNS_RR_TYPE_SOA, &rc);
	/* one-label apex: the RNAME's mail domain is the MNAME's */
	ck_assert_msg(strstr(soa, "an: global. 30 IN SOA ns1.global. hostmaster.ns1.global. 2026120101 14400 "
				  "3600 1209600 300\n") == soa,
		      "%s", soa);
	ck_assert_str_eq(ask("ns2.global.", LDNS_RR_TYPE_A, &rc), "an: ns2.global. 30 IN A 192.0.2.2\n");
	ck_assert_int_eq(rc, LDNS_RCODE_NOERROR);
	/* negative answers: the SOA with TTL min(30, 300) */
	char *nx = ask("nosuch.global.", LDNS_RR_TYPE_A, &rc);
	ck_assert_int_eq(rc, LDNS_RCODE_NXDOMAIN);
	ck_assert_msg(strstr(nx, "ns: global. 30 IN SOA ns1.global. hostmaster.ns1.global. 2026120101 14400 "
				 "3600 1209600 300") == nx,
		      "%s", nx);
	unbuild();
}
END_TEST

START_TEST(test_soa_rname)
{
	struct zone_apex_addr a[] = { addr4("192.0.2.1") };
	struct zone_apex_ns ns[] = { ns_named("ns1.mesh.example", a, 1) };
	build("mesh.example", ns, 1, 60);
	ldns_pkt_rcode rc;
	char *soa = ask("mesh.example.", LDNS_RR_TYPE_SOA, &rc);
	ck_assert_msg(strstr(soa, "an: mesh.example. 60 IN SOA ns1.mesh.example. hostmaster.mesh.example. "
				  "2026120101 14400 3600 1209600 300\n") == soa,
		      "%s", soa);
	unbuild();
}
END_TEST

START_TEST(test_default)
{
	struct zone_apex_addr addrs[] = { addr4("127.0.0.1"), addr4("127.0.0.2"), addr6("::1") };
	struct zone_apex_ns ns[ZONE_APEX_NS_MAX];
	size_t n = zone_apex_default(apex_of("global"), addrs, 3, ns, ZONE_APEX_NS_MAX);
	ck_assert_uint_eq(n, 3);
	build("global", ns, n, 30);
	ldns_pkt_rcode rc;
	ck_assert_str_eq(ask("global.", LDNS_RR_TYPE_NS, &rc), "an: global. 30 IN NS ns1.global.\n"
							       "an: global. 30 IN NS ns2.global.\n"
							       "an: global. 30 IN NS ns3.global.\n"
							       "ar: ns1.global. 30 IN A 127.0.0.1\n"
							       "ar: ns2.global. 30 IN A 127.0.0.2\n"
							       "ar: ns3.global. 30 IN AAAA ::1\n");
	unbuild();
	ck_assert_uint_eq(zone_apex_default(apex_of("global"), addrs, 0, ns, ZONE_APEX_NS_MAX), 0);
	ck_assert_uint_eq(zone_apex_default(apex_of("global"), addrs, 3, ns, 2), 2);
}
END_TEST

START_TEST(test_listen_addresses)
{
	struct config_addr l[4];
	ck_assert_int_eq(config_addr_parse(&l[0], "127.0.0.1:5353"), 0);
	ck_assert_int_eq(config_addr_parse(&l[1], "127.0.0.2:5353"), 0);
	ck_assert_int_eq(config_addr_parse(&l[2], "127.0.0.1:5354"), 0); /* the same address: once */
	ck_assert_int_eq(config_addr_parse(&l[3], "[::1]:5353"), 0);
	struct zone_apex_addr out[8];
	size_t n = zone_apex_listen_addresses(l, 4, out, 8);
	ck_assert_uint_eq(n, 3);
	struct zone_apex_addr one = addr4("127.0.0.1"), two = addr4("127.0.0.2");
	ck_assert(memcmp(out[0].addr, one.addr, 4) == 0);
	ck_assert(memcmp(out[1].addr, two.addr, 4) == 0);
	ck_assert_int_eq(out[2].family, AF_INET6);
	ck_assert_uint_eq(zone_apex_listen_addresses(l, 4, out, 1), 1);
	/* a wildcard stands for the interfaces' addresses, never for 0.0.0.0 */
	struct config_addr w;
	ck_assert_int_eq(config_addr_parse(&w, "0.0.0.0:53"), 0);
	n = zone_apex_listen_addresses(&w, 1, out, 8);
	ck_assert_uint_ge(n, 1); /* loopback at least */
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(out[i].family, AF_INET);
		ck_assert(memcmp(out[i].addr, "\0\0\0\0", 4) != 0);
	}
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("zone_apex");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_check);
	tcase_add_test(tc, test_nameservers_given);
	tcase_add_test(tc, test_soa_rname);
	tcase_add_test(tc, test_default);
	tcase_add_test(tc, test_listen_addresses);
	suite_add_tcase(s, tc);
	return s;
}
