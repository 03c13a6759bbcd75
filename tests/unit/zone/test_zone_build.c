/* SPDX-License-Identifier: BSD-3-Clause
 * test_zone_build.c - incremental freezes against full ones. A builder takes
 * random adds and removes (A, AAAA, SRV whose targets sit in other parts,
 * TXT, wildcards below names and at the apex) and is frozen after every
 * batch, re-rendering only the parts that changed; a fresh builder loaded
 * with the same records is frozen from scratch. Both zones must give
 * byte-identical answers to every query of a fixed battery. Then the same
 * with a CNAME added (the zone falls back to one part) and removed. */
#include <arpa/inet.h>
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query/answer.h"
#include "conf/config.h"
#include "util/err.h"
#include "dns/wire.h"
#include "zone/zone_build.h"
#include "zone/zone_records.h"
#include "zone/zonefile.h"
#include "unit_zone.h"

static const struct config empty_cfg;
static const struct snapshot_settings unit_st = { .udp_payload_max = 1232 };

#define NAMES 40
#define SERIAL 7

struct rec {
	char owner[128];
	uint16_t type;
	uint8_t rdata[300];
	uint16_t rdlen;
	int count; /* contributions currently in the builder */
};

static struct rec recs[400];
static size_t rec_count;
static unsigned rng = 12345;

static unsigned next(void)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 8) & 0xFFFFFF;
}

static void host_name(char *out, size_t len, unsigned i) { snprintf(out, len, "h%u.ns%u.global", i, i % 7); }

static void add_rec(const char *owner, uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
	ck_assert_uint_lt(rec_count, sizeof(recs) / sizeof(recs[0]));
	struct rec *r = &recs[rec_count++];
	snprintf(r->owner, sizeof(r->owner), "%s", owner);
	r->type = type;
	memcpy(r->rdata, rdata, rdlen);
	r->rdlen = rdlen;
}

/* The universe of records the random walk picks from. */
static void make_universe(void)
{
	char owner[128], target[128];
	uint8_t rd[300];
	for (unsigned i = 0; i < NAMES; i++) {
		host_name(owner, sizeof(owner), i);
		uint8_t a[4] = { 10, 0, (uint8_t)(i >> 8), (uint8_t)i };
		add_rec(owner, WIRE_TYPE_A, a, 4);
		uint8_t a2[4] = { 10, 1, 0, (uint8_t)i };
		add_rec(owner, WIRE_TYPE_A, a2, 4);
		uint8_t aaaa[16] = { 0x20, 0x01, 0x0d, 0xb8 };
		aaaa[15] = (uint8_t)i;
		add_rec(owner, WIRE_TYPE_AAAA, aaaa, 16);
		/* SRV whose target is another host, usually in another part */
		char srv[160];
		snprintf(srv, sizeof(srv), "_http._tcp.%s", owner);
		host_name(target, sizeof(target), (i * 7 + 3) % NAMES);
		rd[0] = 0, rd[1] = 0, rd[2] = 0, rd[3] = 0, rd[4] = 0x1F, rd[5] = 0x90;
		size_t tl = dname_from_text(rd + 6, target);
		add_rec(srv, WIRE_TYPE_SRV, rd, (uint16_t)(6 + tl));
		uint8_t txt[8] = { 6, 'h', 'e', 'l', 'l', 'o', '0' + (char)(i % 10) };
		add_rec(owner, WIRE_TYPE_TXT, txt, 7);
	}
	for (unsigned j = 0; j < 7; j++) {
		snprintf(owner, sizeof(owner), "*.ns%u.global", j);
		uint8_t a[4] = { 10, 9, 0, (uint8_t)j };
		add_rec(owner, WIRE_TYPE_A, a, 4);
	}
	uint8_t a[4] = { 10, 99, 0, 1 };
	add_rec("*.global", WIRE_TYPE_A, a, 4);
}

static int apply(struct zone_build *b, const struct rec *r, bool add)
{
	uint8_t owner[DNAME_MAX_LEN];
	dname_from_text(owner, r->owner);
	return add ? zone_build_add(b, owner, r->type, 30, r->rdata, r->rdlen)
		   : zone_build_remove(b, owner, r->type, r->rdata, r->rdlen);
}

static const uint8_t soa_rdata[] = { 2,   'n', 's', 6,   'g', 'l', 'o', 'b', 'a', 'l', 0,   10,  'h',
				     'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r', 6,   'g', 'l', 'o',
				     'b', 'a', 'l', 0,   0,   0,   0,   1,   0,   0,   14,  16,  0,
				     0,   2,   88,  0,   1,   81,  128, 0,   0,   0,   30 };

static struct zone_build *new_builder(void)
{
	uint8_t apex[DNAME_MAX_LEN];
	dname_from_text(apex, "global");
	struct zone_build *b = zone_build_new(apex, 30);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(zone_build_add(b, apex, WIRE_TYPE_SOA, 300, soa_rdata, sizeof(soa_rdata)), 0);
	ck_assert_int_eq(zone_build_add(b, apex, WIRE_TYPE_NS, 300, soa_rdata, 11), 0);
	return b;
}

/* Every name the universe knows, its ENTs, names under the wildcards and
 * names that do not exist, for several types. */
static void compare(struct zone *inc, struct zone *full, const char *when)
{
	static uint8_t a[65535], b[65535];
	struct snapshot *si = unit_snapshot(&empty_cfg, &unit_st, inc),
			*sf = unit_snapshot(&empty_cfg, &unit_st, full);
	static const uint16_t types[] = {
		WIRE_TYPE_A, WIRE_TYPE_AAAA, WIRE_TYPE_SRV, WIRE_TYPE_TXT, WIRE_TYPE_SOA, WIRE_TYPE_NS, 255
	};
	char extra[8][128];
	size_t nq = 0, positive = 0;
	for (size_t i = 0; i < rec_count + 8; i++) {
		const char *name;
		if (i < rec_count) {
			name = recs[i].owner;
		} else {
			static const char *more[] = {
				"global",       "ns3.global",     "nope.global",        "x.nope.global",
				"q.ns2.global", "a.b.ns5.global", "_tcp.h1.ns1.global", "h99.ns6.global"
			};
			snprintf(extra[i - rec_count], sizeof(extra[0]), "%s", more[i - rec_count]);
			name = extra[i - rec_count];
		}
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			size_t la = unit_answer(si, name, types[t], 0, true, a, sizeof(a), NULL);
			size_t lb = unit_answer(sf, name, types[t], 0, true, b, sizeof(b), NULL);
			ck_assert_msg(
				la == lb && memcmp(a, b, la) == 0,
				"%s: %s type %u: incremental answer (%zu bytes) differs from full (%zu)",
				when, name, types[t], la, lb);
			nq++;
			positive += la > 12 && (a[6] | a[7]) != 0;
		}
	}
	ck_assert_uint_eq(inc->node_count, full->node_count);
	ck_assert_uint_eq(inc->record_count, full->record_count);
	ck_assert_uint_gt(nq, 100);
	ck_assert_msg(inc->record_count < 40 || positive > 20,
		      "%s: only %zu answers with data: the battery lost its teeth", when, positive);
	snapshot_free(si);
	snapshot_free(sf);
}

static void check_round(struct zone_build *inc_b, const char *when, unsigned want_parts)
{
	char err[256];
	zone_build_set_serial(inc_b, SERIAL);
	struct zone *zi = zone_build_freeze(inc_b, err, sizeof(err));
	ck_assert_msg(zi != NULL, "%s", err);
	ck_assert_uint_eq(zi->part_count, want_parts);
	struct zone_build *fb = new_builder();
	for (size_t i = 0; i < rec_count; i++)
		for (int k = 0; k < recs[i].count; k++)
			ck_assert_int_eq(apply(fb, &recs[i], true), 0);
	zone_build_set_serial(fb, SERIAL);
	struct zone *zf = zone_build_freeze(fb, err, sizeof(err));
	ck_assert_msg(zf != NULL, "%s", err);
	compare(zi, zf, when);
	zone_unref(zi);
	zone_unref(zf);
	zone_build_free(fb);
}

START_TEST(incremental_equals_full)
{
	rec_count = 0;
	make_universe();
	struct zone_build *b = new_builder();
	check_round(b, "empty", 1 + ZONE_PARTS);
	char when[64];
	for (int round = 0; round < 60; round++) {
		int ops = 1 + (int)(next() % (round < 5 ? 40 : 4));
		for (int k = 0; k < ops; k++) {
			struct rec *r = &recs[next() % rec_count];
			bool add = r->count == 0 || (r->count < 2 && next() % 2);
			ck_assert_int_eq(apply(b, r, add), 0);
			r->count += add ? 1 : -1;
		}
		snprintf(when, sizeof(when), "round %d", round);
		check_round(b, when, 1 + ZONE_PARTS);
	}
	/* a CNAME makes answers follow data anywhere: one part, then back */
	uint8_t target[DNAME_MAX_LEN];
	size_t tl = dname_from_text(target, "h1.ns1.global");
	add_rec("alias.ns4.global", WIRE_TYPE_CNAME, target, (uint16_t)tl);
	struct rec *c = &recs[rec_count - 1];
	ck_assert_int_eq(apply(b, c, true), 0);
	c->count = 1;
	check_round(b, "with a CNAME", 1);
	ck_assert_int_eq(apply(b, c, false), 0);
	c->count = 0;
	check_round(b, "CNAME removed", 1 + ZONE_PARTS);
	for (int round = 0; round < 20; round++) {
		struct rec *r = &recs[next() % (rec_count - 1)];
		bool add = r->count == 0;
		ck_assert_int_eq(apply(b, r, add), 0);
		r->count += add ? 1 : -1;
		snprintf(when, sizeof(when), "after CNAME, round %d", round);
		check_round(b, when, 1 + ZONE_PARTS);
	}
	zone_build_free(b);
}
END_TEST

/* A part that did not change is shared with the previous zone, not copied. */
START_TEST(unchanged_parts_are_shared)
{
	char err[256];
	struct zone_build *b = new_builder();
	uint8_t owner[DNAME_MAX_LEN];
	uint8_t a[4] = { 10, 0, 0, 1 };
	dname_from_text(owner, "one.ns1.global");
	ck_assert_int_eq(zone_build_add(b, owner, WIRE_TYPE_A, 30, a, 4), 0);
	dname_from_text(owner, "two.ns2.global");
	ck_assert_int_eq(zone_build_add(b, owner, WIRE_TYPE_A, 30, a, 4), 0);
	struct zone *z1 = zone_build_freeze(b, err, sizeof(err));
	ck_assert_ptr_nonnull(z1);
	a[3] = 2;
	ck_assert_int_eq(zone_build_add(b, owner, WIRE_TYPE_A, 30, a, 4), 0);
	struct zone *z2 = zone_build_freeze(b, err, sizeof(err));
	ck_assert_ptr_nonnull(z2);
	unsigned shared = 0, p2 = zone_part_index(z2->apex_len, owner, dname_len(owner));
	for (unsigned i = 1; i < z2->part_count; i++)
		shared += z1->parts[i] == z2->parts[i];
	ck_assert_uint_eq(shared, ZONE_PARTS - 1);
	ck_assert_ptr_ne(z1->parts[p2], z2->parts[p2]);
	ck_assert_ptr_ne(z1->parts[0], z2->parts[0]); /* the apex: always rebuilt */
	zone_unref(z1);
	zone_unref(z2);
	zone_build_free(b);
}
END_TEST

/* The freeze sizes each part from the builder's names before it builds it,
 * counting an empty non-terminal shared with the previous name once. Names
 * whose parents alternate (a0.b0.c0, a1.b1.c1, a2.b2.c0, ...) must still
 * all fit, with one part and with many, and every empty non-terminal must
 * exist (NODATA) exactly once. */
START_TEST(interleaved_empty_non_terminals)
{
	char err[256], text[64];
	uint8_t owner[DNAME_MAX_LEN], buf[512];
	uint8_t a[4] = { 10, 0, 0, 1 };
	for (int with_cname = 0; with_cname < 2; with_cname++) {
		struct zone_build *b = new_builder();
		for (unsigned i = 0; i < 31; i++) {
			snprintf(text, sizeof(text), "a%u.b%u.c%u.global", i, i % 3, i % 2);
			dname_from_text(owner, text);
			a[3] = (uint8_t)i;
			ck_assert_int_eq(zone_build_add(b, owner, WIRE_TYPE_A, 30, a, 4), 0);
		}
		if (with_cname) {
			dname_from_text(owner, "alias.global");
			uint8_t target[DNAME_MAX_LEN];
			size_t tl = dname_from_text(target, "a1.b1.c1.global");
			ck_assert_int_eq(zone_build_add(b, owner, WIRE_TYPE_CNAME, 30, target, (uint16_t)tl),
					 0);
		}
		struct zone *z = zone_build_freeze(b, err, sizeof(err));
		ck_assert_msg(z != NULL, "%s", err);
		ck_assert_uint_eq(z->part_count, with_cname ? 1 : 1 + ZONE_PARTS);
		/* apex + 31 names + 6 bX.cY + 2 cY (+ alias) */
		ck_assert_uint_eq(z->node_count, 40u + (unsigned)with_cname);
		struct snapshot *s = unit_snapshot(&empty_cfg, &unit_st, z);
		for (unsigned y = 0; y < 2; y++)
			for (unsigned x = 0; x < 3; x++) {
				snprintf(text, sizeof(text), "b%u.c%u.global", x, y);
				size_t len = unit_answer(s, text, WIRE_TYPE_A, 0, true, buf, sizeof(buf),
							 NULL);
				ck_assert_uint_gt(len, 12);
				ck_assert_uint_eq(buf[3] & 0xF, 0);         /* NOERROR */
				ck_assert_uint_eq(buf[6] << 8 | buf[7], 0); /* no answer: NODATA */
				ck_assert_uint_eq(buf[8] << 8 | buf[9], 1); /* the SOA */
			}
		size_t len = unit_answer(s, "b0.c9.global", WIRE_TYPE_A, 0, true, buf, sizeof(buf), NULL);
		ck_assert_uint_gt(len, 12);
		ck_assert_uint_eq(buf[3] & 0xF, 3); /* NXDOMAIN */
		snapshot_free(s);
		zone_unref(z);
		zone_build_free(b);
	}
}
END_TEST

/* The records of type at owner in z, read back from its answers, as
 * "rdata-hex,rdata-hex,..." in the order the zone holds them. */
static void read_back(const struct zone *z, const char *owner, uint16_t type, char *out, size_t cap)
{
	uint8_t name[DNAME_MAX_LEN];
	size_t len = (size_t)dname_from_text(name, owner), n = 0;
	out[0] = '\0';
	const struct zone_node *node = zone_lookup(z, name, len, dname_hash(name, len));
	ck_assert_msg(node != NULL, "%s: no node", owner);
	for (uint16_t i = 0; i < node->type_count; i++) {
		struct zone_rrset_reader r;
		if (zone_node_types(node)[i] != type || !zone_rrset_reader_init(&r, node, i))
			continue;
		struct zone_rr rr;
		while (zone_rrset_reader_next(&r, &rr)) {
			for (uint16_t k = 0; k < rr.rdlen && n + 3 < cap; k++)
				n += (size_t)snprintf(out + n, cap - n, "%02x", rr.rdata[k]);
			if (n + 2 < cap)
				out[n++] = ',', out[n] = '\0';
		}
	}
}

static void hex(char *out, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * len] = '\0';
}

/* A name at the end of the rdata that is the owner's own name, or a
 * suffix of it, is kept by reference (zone_build_impl.h): it must read
 * back byte for byte, the same name spelt in another case must not be
 * taken for it, records come back in rdata order whatever the order they
 * came in, and contributions count: a record added twice stays until it is
 * removed twice. */
START_TEST(records_by_reference_read_back)
{
	char err[256], got[2048], want[2048], h1[600], h2[600];
	struct zone_build *b = new_builder();
	uint8_t owner[DNAME_MAX_LEN], rd[6 + DNAME_MAX_LEN], rd2[6 + DNAME_MAX_LEN];
	/* SRV at _http._tcp.h.ns1.global -> h.ns1.global (a suffix), and
	 * -> H.ns1.global (not byte for byte: stored whole) */
	dname_from_text(owner, "_http._tcp.h.ns1.global");
	memset(rd, 0, 6);
	rd[5] = 80;
	uint16_t l1 = (uint16_t)(6 + dname_from_text(rd + 6, "h.ns1.global"));
	memcpy(rd2, rd, 6);
	rd2[5] = 81;
	uint16_t l2 = (uint16_t)(6 + dname_from_text(rd2 + 6, "H.ns1.global"));
	ck_assert_int_eq(zone_build_add(b, owner, WIRE_TYPE_SRV, 30, rd2, l2), 0);
	ck_assert_int_eq(zone_build_add(b, owner, WIRE_TYPE_SRV, 30, rd, l1), 0);
	ck_assert_int_eq(zone_build_add(b, owner, WIRE_TYPE_SRV, 30, rd, l1), 0);
	ck_assert_uint_eq(zone_build_rrset_size(b, owner, WIRE_TYPE_SRV), 2);
	/* MX at m.ns3.global -> m.ns3.global itself */
	uint8_t mowner[DNAME_MAX_LEN], mx[2 + DNAME_MAX_LEN] = { 0, 10 };
	dname_from_text(mowner, "m.ns3.global");
	uint16_t ml = (uint16_t)(2 + dname_from_text(mx + 2, "m.ns3.global"));
	ck_assert_int_eq(zone_build_add(b, mowner, WIRE_TYPE_MX, 30, mx, ml), 0);
	/* A records in reverse order come back sorted */
	for (int i = 3; i >= 1; i--) {
		uint8_t a[4] = { 10, 0, 0, (uint8_t)i };
		ck_assert_int_eq(zone_build_add(b, mowner, WIRE_TYPE_A, 30, a, 4), 0);
	}
	struct zone *z = zone_build_freeze(b, err, sizeof(err));
	ck_assert_msg(z != NULL, "%s", err);
	read_back(z, "_http._tcp.h.ns1.global", WIRE_TYPE_SRV, got, sizeof(got));
	hex(h1, rd, l1);
	hex(h2, rd2, l2);
	snprintf(want, sizeof(want), "%s,%s,", h1, h2);
	ck_assert_str_eq(got, want);
	read_back(z, "m.ns3.global", WIRE_TYPE_MX, got, sizeof(got));
	hex(h1, mx, ml);
	snprintf(want, sizeof(want), "%s,", h1);
	ck_assert_str_eq(got, want);
	read_back(z, "m.ns3.global", WIRE_TYPE_A, got, sizeof(got));
	ck_assert_str_eq(got, "0a000001,0a000002,0a000003,");
	zone_unref(z);
	/* two contributions of rd: the first removal leaves it */
	ck_assert_int_eq(zone_build_remove(b, owner, WIRE_TYPE_SRV, rd, l1), 0);
	ck_assert_uint_eq(zone_build_rrset_size(b, owner, WIRE_TYPE_SRV), 2);
	ck_assert_int_eq(zone_build_remove(b, owner, WIRE_TYPE_SRV, rd, l1), 0);
	ck_assert_uint_eq(zone_build_rrset_size(b, owner, WIRE_TYPE_SRV), 1);
	ck_assert_int_eq(zone_build_remove(b, owner, WIRE_TYPE_SRV, rd, l1), DNSD_ENOENT);
	/* a CNAME whose target is a suffix of its owner (the zone goes to one part) */
	uint8_t cowner[DNAME_MAX_LEN], target[DNAME_MAX_LEN];
	dname_from_text(cowner, "x.y.ns2.global");
	uint16_t tl = (uint16_t)dname_from_text(target, "y.ns2.global");
	ck_assert_int_eq(zone_build_add(b, cowner, WIRE_TYPE_CNAME, 30, target, tl), 0);
	z = zone_build_freeze(b, err, sizeof(err));
	ck_assert_msg(z != NULL, "%s", err);
	read_back(z, "x.y.ns2.global", WIRE_TYPE_CNAME, got, sizeof(got));
	hex(h1, target, tl);
	snprintf(want, sizeof(want), "%s,", h1);
	ck_assert_str_eq(got, want);
	read_back(z, "_http._tcp.h.ns1.global", WIRE_TYPE_SRV, got, sizeof(got));
	snprintf(want, sizeof(want), "%s,", h2);
	ck_assert_str_eq(got, want);
	zone_unref(z);
	/* the last record of a name takes the name with it */
	ck_assert_int_eq(zone_build_remove(b, owner, WIRE_TYPE_SRV, rd2, l2), 0);
	ck_assert_uint_eq(zone_build_rrset_count(b, owner), 0);
	ck_assert_int_eq(zone_build_remove(b, owner, WIRE_TYPE_SRV, rd2, l2), DNSD_ENOENT);
	zone_build_free(b);
}
END_TEST

/* A record's header grows and shrinks with its contributions and TTL
 * (varints, zone_build_impl.h): past 127 contributions it takes a byte
 * more, and the records after it in the node must move with it intact. */
START_TEST(contributions_past_one_byte)
{
	char err[256], got[512];
	struct zone_build *b = new_builder();
	uint8_t owner[DNAME_MAX_LEN], a1[4] = { 10, 0, 0, 1 }, a2[4] = { 10, 0, 0, 2 };
	uint8_t aaaa[16] = { 0xfd, [15] = 9 };
	dname_from_text(owner, "many.ns4.global");
	ck_assert_int_eq(zone_build_add(b, owner, WIRE_TYPE_A, 300, a2, 4), 0);
	ck_assert_int_eq(zone_build_add(b, owner, WIRE_TYPE_AAAA, 300, aaaa, 16), 0);
	for (int i = 0; i < 300; i++) /* the TTL drops to 20 on the 200th */
		ck_assert_int_eq(zone_build_add(b, owner, WIRE_TYPE_A, i >= 199 ? 20 : 200000, a1, 4), 0);
	ck_assert_uint_eq(zone_build_rrset_size(b, owner, WIRE_TYPE_A), 2);
	for (int i = 0; i < 299; i++)
		ck_assert_int_eq(zone_build_remove(b, owner, WIRE_TYPE_A, a1, 4), 0);
	struct zone *z = zone_build_freeze(b, err, sizeof(err));
	ck_assert_msg(z != NULL, "%s", err);
	read_back(z, "many.ns4.global", WIRE_TYPE_A, got, sizeof(got));
	ck_assert_str_eq(got, "0a000001,0a000002,");
	read_back(z, "many.ns4.global", WIRE_TYPE_AAAA, got, sizeof(got));
	ck_assert_str_eq(got, "fd000000000000000000000000000009,");
	/* the RRset's TTL is its records' lowest */
	const struct zone_node *n = zone_lookup(z, owner, dname_len(owner),
						dname_hash(owner, dname_len(owner)));
	struct zone_rrset_reader r;
	struct zone_rr rr;
	ck_assert(zone_rrset_reader_init(&r, n, 0));
	ck_assert(zone_rrset_reader_next(&r, &rr));
	ck_assert_uint_eq(rr.ttl_s, 20);
	zone_unref(z);
	ck_assert_int_eq(zone_build_remove(b, owner, WIRE_TYPE_A, a1, 4), 0);
	ck_assert_uint_eq(zone_build_rrset_size(b, owner, WIRE_TYPE_A), 1);
	ck_assert_int_eq(zone_build_remove(b, owner, WIRE_TYPE_A, a1, 4), DNSD_ENOENT);
	ck_assert_uint_eq(zone_build_rrset_size(b, owner, WIRE_TYPE_AAAA), 1);
	zone_build_free(b);
}
END_TEST

/* One name with many records (issue #15): past BUILD_INDEX_MIN bytes its
 * adds and removes go through an index (zone_build_index.c) and its records
 * stay in arrival order until a freeze sorts them. A random walk of adds
 * (duplicates with lower and higher TTLs, contributions past 127), removes
 * (of records there and not there) and freezes at big.ns5.global, against a
 * model: every return code, zone_build_rrset_size() and rrset_count() as the
 * model says, and after each freeze every RRset's records and TTL in rdata
 * order. At the end every record is removed: the name goes. */
struct big_rec {
	uint16_t type;
	uint8_t rdata[40];
	uint16_t rdlen;
	uint32_t refs, ttl;
};

static int big_rec_cmp(const void *a, const void *b)
{
	const struct big_rec *x = a, *y = b;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	int c = memcmp(x->rdata, y->rdata, x->rdlen < y->rdlen ? x->rdlen : y->rdlen);
	return c ? c : (int)x->rdlen - (int)y->rdlen;
}

static void big_check(const struct zone *z, struct big_rec *model, size_t count, const char *owner)
{
	static const uint16_t types[] = { WIRE_TYPE_NS, WIRE_TYPE_MX, WIRE_TYPE_TXT, WIRE_TYPE_AAAA };
	static char got[40000], want[40000];
	struct big_rec *sorted = malloc(count * sizeof(*sorted) + 1);
	ck_assert_ptr_nonnull(sorted);
	memcpy(sorted, model, count * sizeof(*sorted));
	qsort(sorted, count, sizeof(*sorted), big_rec_cmp);
	uint8_t name[DNAME_MAX_LEN];
	size_t len = (size_t)dname_from_text(name, owner);
	const struct zone_node *node = zone_lookup(z, name, len, dname_hash(name, len));
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		size_t n = 0, live = 0;
		uint32_t ttl = UINT32_MAX;
		want[0] = '\0';
		for (size_t i = 0; i < count; i++) {
			if (sorted[i].type != types[t] || sorted[i].refs == 0)
				continue;
			for (uint16_t k = 0; k < sorted[i].rdlen; k++)
				n += (size_t)snprintf(want + n, sizeof(want) - n, "%02x", sorted[i].rdata[k]);
			want[n++] = ',', want[n] = '\0';
			ttl = sorted[i].ttl < ttl ? sorted[i].ttl : ttl;
			live++;
		}
		if (live == 0)
			continue;
		ck_assert_ptr_nonnull(node);
		read_back(z, owner, types[t], got, sizeof(got));
		ck_assert_msg(strcmp(got, want) == 0, "type %u: %zu records read back wrong", types[t], live);
		for (uint16_t i = 0; i < node->type_count; i++) {
			struct zone_rrset_reader r;
			struct zone_rr rr;
			if (zone_node_types(node)[i] == types[t] && zone_rrset_reader_init(&r, node, i) &&
			    zone_rrset_reader_next(&r, &rr))
				ck_assert_uint_eq(rr.ttl_s, ttl);
		}
	}
	free(sorted);
}

START_TEST(big_name_through_index)
{
	static struct big_rec model[1600];
	size_t count = 0;
	char err[256];
	const char *owner_text = "big.ns5.global";
	uint8_t owner[DNAME_MAX_LEN];
	dname_from_text(owner, owner_text);
	struct zone_build *b = new_builder();
	/* the universe: AAAA, TXT of distinct strings, MX whose target is the
	 * owner (kept by reference) or another name, NS (a delegation) */
	for (unsigned i = 0; i < 1600; i++) {
		struct big_rec *r = &model[count++];
		memset(r, 0, sizeof(*r));
		r->ttl = UINT32_MAX;
		if (i < 1000) {
			r->type = WIRE_TYPE_AAAA;
			r->rdlen = 16;
			r->rdata[0] = 0xfd, r->rdata[14] = (uint8_t)(i >> 8), r->rdata[15] = (uint8_t)i;
		} else if (i < 1400) {
			r->type = WIRE_TYPE_TXT;
			r->rdlen = (uint16_t)(1 +
					      snprintf((char *)r->rdata + 1, 30, "t%u", i * 7919u % 4000u));
			r->rdata[0] = (uint8_t)(r->rdlen - 1);
		} else if (i < 1590) {
			r->type = WIRE_TYPE_MX;
			r->rdata[1] = (uint8_t)i;
			r->rdata[0] = (uint8_t)(i >> 8);
			r->rdlen = (uint16_t)(2 + dname_from_text(r->rdata + 2,
								  i % 2 ? owner_text : "mx.ns1.global"));
		} else {
			r->type = WIRE_TYPE_NS;
			char ns[32];
			snprintf(ns, sizeof(ns), "n%u.ns1.global", i);
			r->rdlen = (uint16_t)dname_from_text(r->rdata, ns);
		}
	}
	unsigned freezes = 0;
	for (unsigned step = 0; step < 12000; step++) {
		struct big_rec *r = &model[next() % count];
		unsigned op = next() % 8;
		if (op < 5 || (op < 6 && r->refs < 200)) {
			/* the same record again and again: contributions past 127 */
			unsigned times = r->refs > 0 && next() % 16 == 0 ? 130 : 1;
			for (unsigned k = 0; k < times; k++) {
				uint32_t ttl = 30 + next() % 300000;
				ck_assert_int_eq(zone_build_add(b, owner, r->type, ttl, r->rdata, r->rdlen),
						 0);
				r->ttl = ttl < r->ttl ? ttl : r->ttl;
				r->refs++;
			}
		} else {
			int want = r->refs > 0 ? 0 : DNSD_ENOENT;
			ck_assert_int_eq(zone_build_remove(b, owner, r->type, r->rdata, r->rdlen), want);
			if (r->refs > 0 && --r->refs == 0)
				r->ttl = UINT32_MAX;
		}
		if (step % 1000 == 999) {
			size_t sizes[4] = { 0 }, types = 0;
			for (size_t i = 0; i < count; i++)
				if (model[i].refs)
					sizes[model[i].type == WIRE_TYPE_NS    ? 0
					      : model[i].type == WIRE_TYPE_MX  ? 1
					      : model[i].type == WIRE_TYPE_TXT ? 2
									       : 3]++;
			for (int k = 0; k < 4; k++)
				types += sizes[k] > 0;
			ck_assert_uint_eq(zone_build_rrset_size(b, owner, WIRE_TYPE_NS), sizes[0]);
			ck_assert_uint_eq(zone_build_rrset_size(b, owner, WIRE_TYPE_MX), sizes[1]);
			ck_assert_uint_eq(zone_build_rrset_size(b, owner, WIRE_TYPE_TXT), sizes[2]);
			ck_assert_uint_eq(zone_build_rrset_size(b, owner, WIRE_TYPE_AAAA), sizes[3]);
			ck_assert_uint_eq(zone_build_rrset_count(b, owner), types);
			if (step % 3000 == 2999) {
				struct zone *z = zone_build_freeze(b, err, sizeof(err));
				ck_assert_msg(z != NULL, "%s", err);
				big_check(z, model, count, owner_text);
				zone_unref(z);
				freezes++;
			}
		}
	}
	ck_assert_uint_eq(freezes, 4);
	/* every contribution out, in another order: the name goes */
	for (size_t i = count; i-- > 0;)
		for (; model[i].refs > 0; model[i].refs--)
			ck_assert_int_eq(
				zone_build_remove(b, owner, model[i].type, model[i].rdata, model[i].rdlen),
				0);
	ck_assert_int_eq(zone_build_remove(b, owner, model[0].type, model[0].rdata, model[0].rdlen),
			 DNSD_ENOENT);
	ck_assert_uint_eq(zone_build_rrset_count(b, owner), 0);
	struct zone *z = zone_build_freeze(b, err, sizeof(err));
	ck_assert_msg(z != NULL, "%s", err);
	ck_assert_ptr_null(zone_lookup(z, owner, dname_len(owner), dname_hash(owner, dname_len(owner))));
	ck_assert_uint_eq(z->record_count, 2); /* the apex SOA and NS */
	zone_unref(z);
	zone_build_free(b);
}
END_TEST

/* A zone file with 3,000 A records at one name and every one of them twice
 * more (duplicates count contributions, as before: no error, no record
 * more) loads; the name answers all 3,000 over TCP, in address order. */
START_TEST(big_name_zone_file_duplicates)
{
	char path[] = "/tmp/test_zone_build.XXXXXX", err[256];
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "$ORIGIN global.\n@ SOA ns hostmaster 1 3600 600 86400 30\n@ NS ns\nns A 192.0.2.1\n");
	for (int round = 0; round < 3; round++)
		for (unsigned i = 0; i < 3000; i++) {
			unsigned k = (i * 7919u) % 3000u;
			fprintf(f, "big A 10.0.%u.%u\n", k >> 8, k & 255);
		}
	fclose(f);
	uint8_t apex[DNAME_MAX_LEN], owner[DNAME_MAX_LEN];
	dname_from_text(apex, "global");
	dname_from_text(owner, "big.global");
	struct zone_build *b = zone_build_new(apex, 30);
	ck_assert_msg(zonefile_load(b, path, 30, err, sizeof(err)) == 0, "%s", err);
	unlink(path);
	ck_assert_uint_eq(zone_build_rrset_size(b, owner, WIRE_TYPE_A), 3000);
	struct zone *z = zone_build_freeze(b, err, sizeof(err));
	ck_assert_msg(z != NULL, "%s", err);
	ck_assert_uint_eq(z->record_count, 3003);
	static char got[40000];
	read_back(z, "big.global", WIRE_TYPE_A, got, sizeof(got));
	ck_assert_uint_eq(strlen(got), 3000 * 9);
	for (unsigned i = 0; i < 3000; i++) {
		char want[16];
		snprintf(want, sizeof(want), "0a00%02x%02x,", i >> 8, i & 255);
		ck_assert_msg(memcmp(got + 9 * i, want, 9) == 0, "record %u out of order", i);
	}
	static uint8_t out[65535];
	struct snapshot *s = unit_snapshot(&empty_cfg, &unit_st, z);
	size_t n = unit_answer(s, "big.global", WIRE_TYPE_A, 0, true, out, sizeof(out), NULL);
	ck_assert_uint_gt(n, 12);
	ck_assert_uint_eq((unsigned)(out[6] << 8 | out[7]), 3000);
	snapshot_free(s);
	zone_unref(z);
	zone_build_free(b);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("zone_build");
	TCase *tc = tcase_create("incremental");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, incremental_equals_full);
	tcase_add_test(tc, unchanged_parts_are_shared);
	tcase_add_test(tc, interleaved_empty_non_terminals);
	tcase_add_test(tc, records_by_reference_read_back);
	tcase_add_test(tc, contributions_past_one_byte);
	tcase_add_test(tc, big_name_through_index);
	tcase_add_test(tc, big_name_zone_file_duplicates);
	suite_add_tcase(s, tc);
	return s;
}
