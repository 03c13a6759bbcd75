/* SPDX-License-Identifier: BSD-3-Clause
 * test_zone_mem.c - the frozen zone's bytes per name (issue #14), measured
 * with zone_mem.h on the shape of k8s_bench.py's zone: N ServiceEntries,
 * each one host "svc-K.ns-(K%100).global" with one A, one AAAA and an SRV
 * "_http._tcp.<host>" -> "0 0 80 <host>" (so three names: the host, the
 * SRV owner and the "_tcp" empty non-terminal). Fails when the zone takes
 * more than ZONE_BYTES_PER_ENTRY_MAX bytes an entry, and checks answers to a
 * battery of queries (every name's A, AAAA, SRV, TXT, NS, SOA, ANY and PTR,
 * names below and beside them, with and without EDNS) byte for byte against
 * a digest of the known-good form.
 * ZONE_MEM_N (default 10000) sets N; ZONE_MEM_PRINT=1 prints the table. */
#include <arpa/inet.h>
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "dns/wire.h"
#include "query/answer.h"
#include "util/err.h"
#include "zone/zone_build.h"
#include "zone/zone_mem.h"
#include "unit_zone.h"

static const struct config empty_cfg;
static const struct snapshot_settings unit_st = { .udp_payload_max = 1232 };

/* the bound this test enforces, bytes of frozen zone per ServiceEntry
 * (378 at 10,000 entries, 370 at 100,000; 1,579 and 1,027 before the
 * compact form) */
#define ZONE_BYTES_PER_ENTRY_MAX 420
/* the bound on the builder's bytes per ServiceEntry, all of it: names,
 * RRsets, records, the name table */
#define BUILDER_BYTES_PER_ENTRY_MAX 170
/* the battery's answers, byte for byte, as the zone form before compaction
 * (17ab49e) gave them: a change of the form must not change one byte; a
 * change of what is rendered updates this on purpose */
#define BATTERY_DIGEST 0xe95935b7910d2009ull

static const uint8_t soa_rdata[] = { 3,   'n', 's', '1', 6,   'g', 'l', 'o', 'b', 'a', 'l', 0,   10,
				     'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r', 6,   'g', 'l',
				     'o', 'b', 'a', 'l', 0,   0,   0,   0,   7,   0,   0,   14,  16,
				     0,   0,   2,   88,  0,   1,   81,  128, 0,   0,   0,   30 };

static void host_text(char *out, size_t len, unsigned k)
{
	snprintf(out, len, "svc-%u.ns-%u.global", k, k % 100);
}

static void add_entry(struct zone_build *b, unsigned k)
{
	char text[160], srv_text[200];
	uint8_t host[DNAME_MAX_LEN], srv[DNAME_MAX_LEN], rd[6 + DNAME_MAX_LEN];
	host_text(text, sizeof(text), k);
	dname_from_text(host, text);
	snprintf(srv_text, sizeof(srv_text), "_http._tcp.%s", text);
	dname_from_text(srv, srv_text);
	uint8_t a[4] = { 10, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k };
	uint8_t aaaa[16] = {
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k
	};
	ck_assert_int_eq(zone_build_add(b, host, WIRE_TYPE_A, 30, a, 4), 0);
	ck_assert_int_eq(zone_build_add(b, host, WIRE_TYPE_AAAA, 30, aaaa, 16), 0);
	rd[0] = rd[1] = rd[2] = rd[3] = 0;
	rd[4] = 0;
	rd[5] = 80;
	size_t hl = dname_from_text(rd + 6, text);
	ck_assert_int_eq(zone_build_add(b, srv, WIRE_TYPE_SRV, 30, rd, (uint16_t)(6 + hl)), 0);
}

static struct zone_build *new_builder(void)
{
	uint8_t apex[DNAME_MAX_LEN], ns1[DNAME_MAX_LEN];
	dname_from_text(apex, "global");
	dname_from_text(ns1, "ns1.global");
	struct zone_build *b = zone_build_new(apex, 30);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(zone_build_add(b, apex, WIRE_TYPE_SOA, 300, soa_rdata, sizeof(soa_rdata)), 0);
	ck_assert_int_eq(zone_build_add(b, apex, WIRE_TYPE_NS, 300, ns1, (uint16_t)dname_len(ns1)), 0);
	uint8_t lo[4] = { 127, 0, 0, 1 };
	ck_assert_int_eq(zone_build_add(b, ns1, WIRE_TYPE_A, 300, lo, 4), 0);
	return b;
}

static uint64_t fnv64(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* A digest of the answers to a battery over the first names of the zone. */
static uint64_t battery_digest(struct zone *z, unsigned entries, size_t *positive)
{
	static const uint16_t types[] = { WIRE_TYPE_A,  WIRE_TYPE_AAAA, WIRE_TYPE_SRV, WIRE_TYPE_TXT,
					  WIRE_TYPE_NS, WIRE_TYPE_SOA,  255,           WIRE_TYPE_PTR };
	struct snapshot *s = unit_snapshot(&empty_cfg, &unit_st, z);
	uint8_t out[4096];
	uint64_t h = 0xcbf29ce484222325ull;
	*positive = 0;
	for (unsigned k = 0; k < entries; k++) {
		char host[160], name[220];
		host_text(host, sizeof(host), k);
		static const char *prefixes[] = { "", "_http._tcp.", "_tcp.", "nope.", "x._tcp.", "" };
		for (size_t f = 0; f < sizeof(prefixes) / sizeof(prefixes[0]); f++) {
			if (f == 5)
				snprintf(name, sizeof(name), "SvC-%s", host + 4);
			else
				snprintf(name, sizeof(name), "%s%s", prefixes[f], host);
			for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
				size_t len = unit_answer(s, name, types[t], k % 2 ? 1232 : 0, false, out,
							 sizeof(out), NULL);
				ck_assert_uint_gt(len, 12);
				h = fnv64(h, out, len);
				*positive += (out[6] | out[7]) != 0;
			}
		}
	}
	const char *extra[] = { "global", "ns1.global", "ns-3.global", "nope.global", "x.ns-3.global" };
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			size_t len = unit_answer(s, extra[i], types[t], 1232, false, out, sizeof(out), NULL);
			h = fnv64(h, out, len);
		}
	snapshot_free(s);
	return h;
}

static void print_table(const struct zone_mem *m, unsigned n, const struct zone *z)
{
	static const char *kinds[] = { "empty non-terminal", "A+AAAA owner", "SRV owner", "PTR owner",
				       "other (apex...)" };
	size_t total = zone_mem_total(m), items = 0, names = 0;
	fprintf(stderr, "zone_mem: %u entries, %zu names, %zu parts, %zu bytes = %.1f B/name, %.1f B/entry\n",
		n, z->node_count, m->parts, total, (double)total / (double)z->node_count, (double)total / n);
	fprintf(stderr, "| kind | names | node | name | types | blob structs | blob data | relocs |\n");
	fprintf(stderr, "|---|---|---|---|---|---|---|---|\n");
	for (int i = 0; i < ZONE_MEM_KINDS; i++) {
		const struct zone_mem_kind_bytes *k = &m->kind[i];
		if (!k->names)
			continue;
		fprintf(stderr, "| %s | %zu | %zu | %zu | %zu | %zu | %zu | %zu |\n", kinds[i], k->names,
			k->node, k->name, k->types, k->blob_structs, k->blob_data, k->relocs);
		items += k->node + k->types + k->blob_structs + k->blob_data + k->relocs;
		names += k->name;
	}
	fprintf(stderr, "hash tables %zu (%zu slots, %.2f per name); part structs %zu; zone level %zu\n",
		m->table, m->table_slots, (double)m->table_slots / (double)z->node_count, m->part_structs,
		m->zone_level);
	/* what is used beyond the items: the names (stored once when one is a
	 * suffix of another), alignment and unused node slots */
	fprintf(stderr,
		"arenas: %zu chunks, %zu reserved, %zu used; tail slack %zu; names as stored + padding + "
		"unused node slots %zu (names as strings %zu)\n",
		m->arena_chunks, m->arena_reserved, m->arena_used, m->arena_reserved - m->arena_used,
		m->arena_used - items - m->table, names);
	fprintf(stderr, "blob pointers %zu, distinct blobs %zu\n", m->blob_refs, m->blobs);
}

/* A builder with ZONE_MEM_N (default 10,000) entries; their count into *n. */
static struct zone_build *builder_of_entries(unsigned *n)
{
	const char *env = getenv("ZONE_MEM_N");
	*n = env ? (unsigned)strtoul(env, NULL, 10) : 10000;
	struct zone_build *b = new_builder();
	for (unsigned k = 0; k < *n; k++)
		add_entry(b, k);
	return b;
}

START_TEST(test_bytes_per_entry)
{
	unsigned n;
	struct zone_build *b = builder_of_entries(&n);
	char err[256];
	struct zone *z = zone_build_freeze(b, err, sizeof(err));
	ck_assert_msg(z != NULL, "%s", err);
	ck_assert_uint_eq(z->node_count, 3u * n + 100 + 2);
	struct zone_mem m = { 0 };
	ck_assert_int_eq(zone_mem_measure(z, &m), 0);
	if (getenv("ZONE_MEM_PRINT"))
		print_table(&m, n, z);
	size_t total = zone_mem_total(&m);
	ck_assert_msg(total <= (size_t)n * ZONE_BYTES_PER_ENTRY_MAX, "%zu bytes for %u entries: over %d each",
		      total, n, ZONE_BYTES_PER_ENTRY_MAX);
	size_t positive;
	uint64_t h = battery_digest(z, n < 200 ? n : 200, &positive);
	if (getenv("ZONE_MEM_PRINT"))
		fprintf(stderr, "battery digest %016llx, %zu positive\n", (unsigned long long)h, positive);
	ck_assert_uint_gt(positive, 200 * 3);
	if (n >= 200)
		ck_assert_msg(h == BATTERY_DIGEST, "answers changed: digest %016llx", (unsigned long long)h);
	zone_unref(z);
	zone_build_free(b);
}
END_TEST

/* The builder itself, on the same shape: what a Kubernetes feed keeps
 * standing between freezes. */
START_TEST(test_builder_bytes_per_entry)
{
	unsigned n;
	struct zone_build *b = builder_of_entries(&n);
	size_t in_use = 0, mapped = 0;
	zone_build_memory(b, &in_use, &mapped);
	if (getenv("ZONE_MEM_PRINT"))
		fprintf(stderr,
			"builder: %u entries, %zu bytes in use (%.1f B/entry), %zu mapped (%.1f B/entry)\n",
			n, in_use, (double)in_use / n, mapped, (double)mapped / n);
	ck_assert_msg(in_use <= (size_t)n * BUILDER_BYTES_PER_ENTRY_MAX,
		      "%zu bytes for %u entries: over %d each", in_use, n, BUILDER_BYTES_PER_ENTRY_MAX);
	zone_build_free(b);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("zone_mem");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_bytes_per_entry);
	tcase_add_test(tc, test_builder_bytes_per_entry);
	suite_add_tcase(s, tc);
	return s;
}
