/* SPDX-License-Identifier: BSD-3-Clause
 * test_xfr.c - zone transfers from frozen zones, checked with ldns:
 * - AXFR of tests/data/zones/test.global.zone (CNAME chains, wildcards, a
 *   delegation with glue and an occluded name, MX, SRV, TXT, 120-record
 *   RRsets) in small messages: SOA first and last, and in between exactly
 *   the records ldns reads from the file;
 * - journal differences between incremental freezes of a 65-part zone:
 *   exactly the records changed, shared parts not compared;
 * - IXFR from the journal (one and two differences), from a current serial
 *   (one SOA), from an unknown serial and past the size limit (whole zone);
 * - the IXFR authority SOA parser on malformed bytes. */
#include <check.h>

#include "check_main.h"
#include <ctype.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/xfr.h"
#include "util/err.h"
#include "zone/journal.h"
#include "zone/zone_apex.h"
#include "zone/zone_build.h"
#include "zone/zonefile.h"

#define ZONE_FILE "tests/data/zones/test.global.zone"

static struct xfr x; /* 50 KiB: not on the stack */
static uint8_t msg[65535];

/* A query for apex/qtype parsed by wire_parse_query. */
static void make_query(struct wire_query *q, uint8_t *pkt, const char *apex, uint16_t qtype)
{
	memset(pkt, 0, 12);
	wire_write_u16(pkt, 0x4242);
	wire_write_u16(pkt + 4, 1);
	int n = dname_from_text(pkt + 12, apex);
	ck_assert_int_gt(n, 0);
	wire_write_u16(pkt + 12 + n, qtype);
	wire_write_u16(pkt + 14 + n, WIRE_CLASS_IN);
	ck_assert_int_eq(wire_parse_query(q, pkt, 16 + (size_t)n), WIRE_OK);
}

static char *lower_dup(const char *s)
{
	char *d = strdup(s);
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

struct stream {
	char **rrs; /* answer records as lower-case text, in order */
	size_t count;
	size_t messages;
};

static void stream_free(struct stream *s)
{
	for (size_t i = 0; i < s->count; i++)
		free(s->rrs[i]);
	free(s->rrs);
	memset(s, 0, sizeof(*s));
}

/* Runs the transfer to the end in messages of at most cap bytes. */
static struct stream run(size_t cap)
{
	struct stream s = { 0 };
	size_t len;
	while ((len = xfr_next(&x, msg, cap)) > 0) {
		ck_assert_uint_le(len, cap);
		ldns_pkt *p = NULL;
		ck_assert_int_eq(ldns_wire2pkt(&p, msg, len), LDNS_STATUS_OK);
		ck_assert_uint_eq(ldns_pkt_id(p), 0x4242);
		ck_assert(ldns_pkt_qr(p) && ldns_pkt_aa(p));
		ck_assert_uint_eq(ldns_pkt_qdcount(p), 1);
		ldns_rr_list *an = ldns_pkt_answer(p);
		for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
			char *t = ldns_rr2str(ldns_rr_list_rr(an, i));
			s.rrs = realloc(s.rrs, (s.count + 1) * sizeof(*s.rrs));
			s.rrs[s.count++] = lower_dup(t);
			free(t);
		}
		ldns_pkt_free(p);
		s.messages++;
		ck_assert_uint_lt(s.messages, 100000);
	}
	ck_assert(xfr_is_done(&x));
	return s;
}

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool is_soa(const char *t) { return strstr(t, "\tsoa\t") != NULL; }

static struct zone_build *load(struct zone **out)
{
	uint8_t apex[DNAME_MAX_LEN];
	char err[256];
	dname_from_text(apex, "global");
	struct zone_build *b = zone_build_new(apex, 30);
	ck_assert_int_eq(zonefile_load(b, ZONE_FILE, 300, err, sizeof(err)), 0);
	*out = zone_build_freeze(b, err, sizeof(err));
	ck_assert_msg(*out != NULL, "%s", err);
	return b;
}

START_TEST(test_axfr_has_every_record)
{
	struct zone *z;
	struct zone_build *b = load(&z);
	/* the file as ldns reads it */
	FILE *f = fopen(ZONE_FILE, "r");
	ck_assert_ptr_nonnull(f);
	ldns_zone *lz = NULL;
	ldns_rdf *origin = ldns_dname_new_frm_str("global.");
	ck_assert_int_eq(ldns_zone_new_frm_fp(&lz, f, origin, 300, LDNS_RR_CLASS_IN), LDNS_STATUS_OK);
	fclose(f);
	ldns_rr_list *rrs = ldns_zone_rrs(lz);
	size_t want_count = ldns_rr_list_rr_count(rrs);
	char **want = calloc(want_count, sizeof(*want));
	for (size_t i = 0; i < want_count; i++) {
		char *t = ldns_rr2str(ldns_rr_list_rr(rrs, i));
		want[i] = lower_dup(t);
		free(t);
	}
	qsort(want, want_count, sizeof(*want), str_cmp);

	uint8_t pkt[512];
	struct wire_query q;
	make_query(&q, pkt, "GLOBAL", WIRE_TYPE_AXFR);
	ck_assert(xfr_init(&x, z, NULL, &q, false, 0));
	ck_assert_int_eq(x.kind, XFR_AXFR);
	struct stream s = run(2048);
	ck_assert_uint_gt(s.messages, 2);
	ck_assert_uint_eq(s.count, want_count + 2); /* ldns keeps the SOA apart */
	ck_assert(is_soa(s.rrs[0]));
	ck_assert_str_eq(s.rrs[0], s.rrs[s.count - 1]);
	ck_assert_uint_eq(x.records, s.count);
	/* the SOA only at both ends */
	for (size_t i = 1; i + 1 < s.count; i++)
		ck_assert_msg(!is_soa(s.rrs[i]), "SOA inside the transfer: %s", s.rrs[i]);
	char **got = s.rrs + 1;
	qsort(got, s.count - 2, sizeof(*got), str_cmp);
	char *t = ldns_rr2str(ldns_zone_soa(lz));
	char *file_soa = lower_dup(t);
	free(t);
	ck_assert_str_eq(file_soa, s.rrs[0]);
	free(file_soa);
	size_t wi = 0, gi = 0;
	while (wi < want_count || gi < s.count - 2) {
		ck_assert_msg(wi < want_count && gi < s.count - 2 && strcmp(want[wi], got[gi]) == 0,
			      "want %s got %s", wi < want_count ? want[wi] : "(end)",
			      gi < s.count - 2 ? got[gi] : "(end)");
		wi++;
		gi++;
	}
	/* one large message holds it all */
	ck_assert(xfr_init(&x, z, NULL, &q, false, 0));
	struct stream one = run(XFR_MESSAGE_MAX);
	ck_assert_uint_eq(one.messages, 1);
	ck_assert_uint_eq(one.count, s.count);
	stream_free(&one);
	stream_free(&s);
	for (size_t i = 0; i < want_count; i++)
		free(want[i]);
	free(want);
	ldns_zone_deep_free(lz);
	ldns_rdf_deep_free(origin);
	zone_unref(z);
	zone_build_free(b);
}
END_TEST

/* SOA and NS at the apex, as a zone without a file gets them (zone_apex.h):
 * one nameserver outside the zone, so it needs no glue. */
static int add_apex(struct zone_build *b, uint32_t serial)
{
	struct zone_apex_ns ns = { .address_count = 0 };
	dname_from_text(ns.name, "ns.example");
	return zone_apex_add(b, &ns, 1, 30, serial);
}

/* A zone in 65 parts: N names with an A each, plus SOA and NS. */
#define N 3000
static struct zone_build *many_names(uint32_t serial)
{
	uint8_t apex[DNAME_MAX_LEN], owner[DNAME_MAX_LEN];
	dname_from_text(apex, "global");
	struct zone_build *b = zone_build_new(apex, 30);
	ck_assert_int_eq(add_apex(b, serial), 0);
	for (unsigned i = 0; i < N; i++) {
		char name[64];
		snprintf(name, sizeof(name), "svc-%u.ns-%u.global", i, i % 50);
		dname_from_text(owner, name);
		uint8_t a[4] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		ck_assert_int_eq(zone_build_add(b, owner, WIRE_TYPE_A, 30, a, 4), 0);
	}
	return b;
}

static struct zone *freeze(struct zone_build *b, uint32_t serial)
{
	char err[256];
	zone_build_set_serial(b, serial);
	struct zone *z = zone_build_freeze(b, err, sizeof(err));
	ck_assert_msg(z != NULL, "%s", err);
	return z;
}

static void change(struct zone_build *b, const char *name, bool is_add, uint8_t last)
{
	uint8_t owner[DNAME_MAX_LEN];
	dname_from_text(owner, name);
	uint8_t a[4] = { 192, 0, 2, last };
	ck_assert_int_eq(is_add ? zone_build_add(b, owner, WIRE_TYPE_A, 30, a, 4)
				: zone_build_remove(b, owner, WIRE_TYPE_A, a, 4),
			 0);
}

START_TEST(test_journal_and_ixfr)
{
	size_t mem0 = journal_memory_bytes();
	struct zone_build *b = many_names(100);
	struct zone *z1 = freeze(b, 100);
	ck_assert_uint_eq(z1->part_count, 1 + ZONE_PARTS);
	change(b, "svc-7.ns-7.global", true, 7); /* a second address */
	change(b, "new.ns-1.global", true, 9);   /* a new name */
	struct zone *z2 = freeze(b, 101);
	struct journal_diff *d = journal_diff_new(z1, z2);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->from_serial, 100);
	ck_assert_uint_eq(d->to_serial, 101);
	ck_assert_uint_eq(d->removed_count, 0);
	ck_assert_uint_eq(d->added_count, 2);
	ck_assert_uint_gt(journal_memory_bytes(), mem0);
	struct journal *j1 = journal_append(NULL, d, 1 << 20);
	ck_assert_uint_eq(j1->count, 1);

	change(b, "svc-7.ns-7.global", false, 7);
	change(b, "new.ns-1.global", false, 9);
	change(b, "other.ns-2.global", true, 10);
	struct zone *z3 = freeze(b, 102);
	d = journal_diff_new(z2, z3);
	ck_assert_uint_eq(d->removed_count, 2);
	ck_assert_uint_eq(d->added_count, 1);
	struct journal *j2 = journal_append(j1, d, 1 << 20);
	ck_assert_uint_eq(j2->count, 2);

	uint8_t pkt[512];
	struct wire_query q;
	make_query(&q, pkt, "global", WIRE_TYPE_IXFR);
	/* from 100: two differences */
	ck_assert(xfr_init(&x, z3, j2, &q, true, 100));
	ck_assert_int_eq(x.kind, XFR_IXFR_DIFF);
	struct stream s = run(XFR_MESSAGE_MAX);
	/* SOA 102; SOA 100, nothing removed, SOA 101, two added; SOA 101, two
	 * removed, SOA 102, one added; SOA 102 */
	ck_assert_uint_eq(s.count, 11);
	ck_assert(is_soa(s.rrs[0]) && strstr(s.rrs[0], " 102 "));
	ck_assert(is_soa(s.rrs[1]) && strstr(s.rrs[1], " 100 "));
	ck_assert(is_soa(s.rrs[2]) && strstr(s.rrs[2], " 101 "));
	ck_assert_ptr_nonnull(
		strstr(s.rrs[3], "svc-7.ns-7.global.") ? s.rrs[3] : strstr(s.rrs[4], "svc-7.ns-7.global."));
	ck_assert(is_soa(s.rrs[5]) && strstr(s.rrs[5], " 101 "));
	ck_assert(strstr(s.rrs[6], "192.0.2.") && strstr(s.rrs[7], "192.0.2."));
	ck_assert(is_soa(s.rrs[8]) && strstr(s.rrs[8], " 102 "));
	ck_assert_ptr_nonnull(strstr(s.rrs[9], "other.ns-2.global.\t30\tin\ta\t192.0.2.10"));
	ck_assert(is_soa(s.rrs[10]) && strstr(s.rrs[10], " 102 "));
	stream_free(&s);
	ck_assert_uint_eq(x.records, 11);
	/* from 101: one difference */
	ck_assert(xfr_init(&x, z3, j2, &q, true, 101));
	ck_assert_int_eq(x.kind, XFR_IXFR_DIFF);
	s = run(XFR_MESSAGE_MAX);
	ck_assert_uint_eq(s.count, 7);
	stream_free(&s);
	/* current (and newer: RFC 1982) */
	ck_assert(xfr_init(&x, z3, j2, &q, true, 102));
	ck_assert_int_eq(x.kind, XFR_IXFR_CURRENT);
	s = run(XFR_MESSAGE_MAX);
	ck_assert_uint_eq(s.count, 1);
	ck_assert(is_soa(s.rrs[0]));
	stream_free(&s);
	ck_assert(xfr_init(&x, z3, j2, &q, true, 105));
	ck_assert_int_eq(x.kind, XFR_IXFR_CURRENT);
	/* unknown or too old: the whole zone, AXFR-style */
	ck_assert(xfr_init(&x, z3, j2, &q, true, 99));
	ck_assert_int_eq(x.kind, XFR_IXFR_FULL);
	s = run(XFR_MESSAGE_MAX);
	ck_assert_uint_eq(s.count, N + 1 + 1 + 2); /* names, other, NS, SOA twice */
	ck_assert(is_soa(s.rrs[0]) && is_soa(s.rrs[s.count - 1]));
	stream_free(&s);

	/* a limit below two differences keeps the newest only */
	d = journal_diff_new(z2, z3);
	struct journal *j3 = journal_append(j1, d, d->bytes + 1);
	ck_assert_uint_eq(j3->count, 1);
	size_t at;
	ck_assert(!journal_find(j3, 100, &at));
	ck_assert(journal_find(j3, 101, &at));
	/* below one: none, so IXFR sends the whole zone */
	struct journal *j4 = journal_append(j1, journal_diff_new(z2, z3), 16);
	ck_assert_uint_eq(j4->count, 0);
	ck_assert(xfr_init(&x, z3, j4, &q, true, 101));
	ck_assert_int_eq(x.kind, XFR_IXFR_FULL);
	/* a serial that did not advance resets the journal */
	struct journal *j5 = journal_append(j2, journal_diff_new(z3, z3), 1 << 20);
	ck_assert_uint_eq(j5->count, 0);

	journal_unref(j1);
	journal_unref(j2);
	journal_unref(j3);
	journal_unref(j4);
	journal_unref(j5);
	ck_assert_uint_eq(journal_memory_bytes(), mem0);
	zone_unref(z1);
	zone_unref(z2);
	zone_unref(z3);
	zone_build_free(b);
}
END_TEST

/* A transfer in progress keeps showing the zone it started from while the
 * builder changes and new versions are frozen (and the old one is released
 * by everyone but the transfer). */
START_TEST(test_transfer_keeps_its_version)
{
	struct zone_build *b = many_names(50);
	struct zone *z1 = freeze(b, 50);
	uint8_t pkt[512];
	struct wire_query q;
	make_query(&q, pkt, "global", WIRE_TYPE_AXFR);
	ck_assert(xfr_init(&x, z1, NULL, &q, false, 0));
	struct stream want = run(XFR_MESSAGE_MAX);
	ck_assert(xfr_init(&x, z1, NULL, &q, false, 0));
	/* one message out, then the zone moves on twice */
	size_t len = xfr_next(&x, msg, XFR_MESSAGE_MAX);
	ck_assert_uint_gt(len, 0);
	ldns_pkt *first = NULL;
	ck_assert_int_eq(ldns_wire2pkt(&first, msg, len), LDNS_STATUS_OK);
	size_t first_count = ldns_rr_list_rr_count(ldns_pkt_answer(first));
	ldns_pkt_free(first);
	change(b, "svc-1.ns-1.global", true, 77);
	change(b, "added.ns-9.global", true, 78);
	struct zone *z2 = freeze(b, 51);
	zone_unref(z2);
	struct stream rest = run(XFR_MESSAGE_MAX);
	ck_assert_uint_eq(first_count + rest.count, want.count);
	for (size_t i = 0; i < rest.count; i++) {
		ck_assert_ptr_null(strstr(rest.rrs[i], "192.0.2."));
		ck_assert_str_eq(rest.rrs[i], want.rrs[first_count + i]);
	}
	ck_assert(strstr(rest.rrs[rest.count - 1], " 50 ")); /* the closing SOA: still serial 50 */
	stream_free(&rest);
	stream_free(&want);
	zone_unref(z1);
	zone_build_free(b);
}
END_TEST

START_TEST(test_big_axfr_compresses)
{
	struct zone_build *b = many_names(7);
	struct zone *z = freeze(b, 7);
	uint8_t pkt[512];
	struct wire_query q;
	make_query(&q, pkt, "global", WIRE_TYPE_AXFR);
	ck_assert(xfr_init(&x, z, NULL, &q, false, 0));
	struct stream s = run(XFR_MESSAGE_MAX);
	ck_assert_uint_eq(s.count, N + 3);
	/* every owner compressed against its namespace: well under the
	 * uncompressed 2 x 20 + 14 bytes a record */
	ck_assert_uint_lt(x.bytes, (size_t)N * 30);
	stream_free(&s);
	zone_unref(z);
	zone_build_free(b);
}
END_TEST

START_TEST(test_ixfr_serial_parser)
{
	/* "global IXFR" with "global SOA ... serial 77" in authority */
	uint8_t p[256];
	size_t n = 0;
	memset(p, 0, 12);
	wire_write_u16(p + 4, 1);
	wire_write_u16(p + 8, 1);
	n = 12;
	memcpy(p + n, "\6global", 8);
	n += 8;
	wire_write_u16(p + n, WIRE_TYPE_IXFR);
	wire_write_u16(p + n + 2, 1);
	n += 4;
	wire_write_u16(p + n, 0xC00C);
	wire_write_u16(p + n + 2, WIRE_TYPE_SOA);
	wire_write_u16(p + n + 4, 1);
	wire_write_u32(p + n + 6, 0);
	wire_write_u16(p + n + 10, 2 + 2 + 20);
	n += 12;
	wire_write_u16(p + n, 0xC00C);
	wire_write_u16(p + n + 2, 0xC00C);
	n += 4;
	memset(p + n, 0, 20);
	wire_write_u32(p + n, 77);
	n += 20;
	uint32_t serial = 0;
	ck_assert_int_eq(xfr_ixfr_serial(p, n, &serial), 0);
	ck_assert_uint_eq(serial, 77);
	for (size_t cut = 0; cut < n; cut++)
		ck_assert_int_ne(xfr_ixfr_serial(p, cut, &serial), 0);
	/* rdata one byte short of the SOA layout */
	wire_write_u16(p + 34, 23);
	ck_assert_int_eq(xfr_ixfr_serial(p, n - 1, &serial), DNSD_EPARSE);
	wire_write_u16(p + 34, 24);
	/* not an SOA */
	wire_write_u16(p + 26, WIRE_TYPE_A);
	ck_assert_int_eq(xfr_ixfr_serial(p, n, &serial), DNSD_EPARSE);
	wire_write_u16(p + 26, WIRE_TYPE_SOA);
	/* two records */
	wire_write_u16(p + 8, 2);
	ck_assert_int_eq(xfr_ixfr_serial(p, n, &serial), DNSD_EPARSE);
	/* none */
	wire_write_u16(p + 8, 0);
	ck_assert_int_eq(xfr_ixfr_serial(p, 24, &serial), DNSD_ENOENT);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("xfr");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_axfr_has_every_record);
	tcase_add_test(tc, test_journal_and_ixfr);
	tcase_add_test(tc, test_transfer_keeps_its_version);
	tcase_add_test(tc, test_big_axfr_compresses);
	tcase_add_test(tc, test_ixfr_serial_parser);
	suite_add_tcase(s, tc);
	return s;
}
