/* SPDX-License-Identifier: BSD-3-Clause
 * test_se_pack.c - a packed ServiceEntry reads like the parsed one (every
 * field, the records se_zone makes), takes one block, keeps its verdicts
 * changeable, and se_pack_same_records tells record changes from others. */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/json.h"
#include "k8s/se_pack.h"
#include "k8s/se_zone.h"
#include "k8s/serviceentry.h"
#include "util/slab.h"

static struct serviceentry *decode(const char *text)
{
	struct json_doc *doc;
	struct json_error jerr;
	ck_assert_int_eq(json_parse(text, strlen(text), &doc, &jerr), 0);
	struct serviceentry *se = NULL;
	char err[256];
	serviceentry_from_json(json_doc_root(doc), &se, err, sizeof(err));
	json_doc_free(doc);
	ck_assert_ptr_nonnull(se);
	return se;
}

/* The records of se in zone "global.", as one text. */
struct rec_text {
	char text[4096];
	size_t len;
};

static void add_rec(void *ctx, const uint8_t *owner, uint16_t type, uint32_t ttl_s, const uint8_t *rdata,
		    uint16_t rdlen)
{
	struct rec_text *t = ctx;
	t->len += (size_t)snprintf(t->text + t->len, sizeof(t->text) - t->len, "%s %u %u %u|", owner, type,
				   ttl_s, rdlen);
	for (uint16_t i = 0; i < rdlen && t->len < sizeof(t->text) - 3; i++)
		t->len += (size_t)snprintf(t->text + t->len, sizeof(t->text) - t->len, "%02x", rdata[i]);
}

static void records_of(const struct serviceentry *se, struct rec_text *t)
{
	static const uint8_t apex[] = "\6global";
	memset(t, 0, sizeof(*t));
	se_zone_records(se, apex, 30, add_rec, t);
}

static const char entry[] =
	"{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"db\",\"resourceVersion\":\"42\",\"generation\":3},"
	"\"spec\":{\"hosts\":[\"db.ns1.global\",\"db-ro.ns1.global\",\"Bad Host\"],"
	"\"exportTo\":[\".\",\"ns2\"],"
	"\"addresses\":[\"240.0.0.1\",\"2001:db8::1\",\"10.0.0.0/8\"],"
	"\"ports\":[{\"name\":\"tcp-db\",\"number\":5432,\"protocol\":\"TCP\"},"
	"{\"name\":\"http\",\"number\":80,\"protocol\":\"HTTP\"},{\"name\":\"x\",\"number\":0}]}}";

START_TEST(test_pack_reads_like_parsed)
{
	struct slab s;
	slab_init(&s);
	struct serviceentry *parsed = decode(entry);
	struct serviceentry *ref = decode(entry);
	ck_assert_uint_gt(parsed->drops.count, 0); /* the bad host, range and port */
	parsed->host_is_served[1] = false;         /* a verdict made before packing */
	ref->host_is_served[1] = false;
	struct rec_text want, got;
	records_of(ref, &want);
	size_t size = se_pack_size(parsed);
	struct serviceentry *p = se_pack(&s, parsed);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->packed_size, size);
	ck_assert_uint_eq(s.in_use, size);
	/* every pointer lies inside the one block */
	const char *lo = (const char *)p, *hi = lo + size;
	ck_assert(p->hosts[0] > lo && p->hosts[0] < hi);
	ck_assert(p->ports > (struct se_port *)lo && (const char *)(p->ports + p->ports_count) <= hi);
	ck_assert_uint_gt(p->ports_count, 0);
	for (size_t i = 0; i < p->ports_count; i++)
		ck_assert(p->ports[i].name > lo && p->ports[i].name < hi && p->ports[i].protocol > lo &&
			  p->ports[i].protocol < hi);
	ck_assert_str_eq(p->namespace_, "ns1");
	ck_assert_str_eq(p->name, "db");
	ck_assert_str_eq(p->resource_version, "42");
	ck_assert_int_eq(p->generation, 3);
	ck_assert_uint_eq(p->hosts_count, ref->hosts_count);
	for (size_t i = 0; i < p->hosts_count; i++) {
		ck_assert_str_eq(p->hosts[i], ref->hosts[i]);
		ck_assert_uint_eq(p->host_fields[i], ref->host_fields[i]);
		ck_assert(p->host_is_served[i] == ref->host_is_served[i]);
	}
	ck_assert_uint_eq(p->export_to_count, 2);
	ck_assert_str_eq(p->export_to[1], "ns2");
	ck_assert(se_drops_equal(&p->drops, &ref->drops));
	records_of(p, &got);
	ck_assert_str_eq(got.text, want.text);
	ck_assert_uint_gt(got.len, 0);
	ck_assert(se_pack_same_records(p, ref));
	/* verdicts change in place after packing; the verdict drops are the
	 * packed entry's own malloc'd array */
	p->host_is_served[1] = true;
	ck_assert(!se_pack_same_records(p, ref));
	se_drops_add(&p->verdict_drops, SE_DROP_HOST_POLICY, "spec.hosts[0]", "x", 1, NULL, "test");
	ck_assert_uint_eq(p->verdict_drops.count, 1);
	se_pack_free(&s, p);
	ck_assert_uint_eq(s.in_use, 0);
	se_pack_free(&s, ref); /* a parsed one goes to serviceentry_free */
	se_pack_free(&s, NULL);
	slab_clear(&s);
}
END_TEST

START_TEST(test_same_records)
{
	struct serviceentry *a = decode(entry);
	/* another resourceVersion and generation, a status, the same records */
	struct serviceentry *b = decode(
		"{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"db\",\"resourceVersion\":\"43\","
		"\"generation\":4},"
		"\"status\":{\"x\":1},"
		"\"spec\":{\"hosts\":[\"db.ns1.global\",\"db-ro.ns1.global\",\"Bad Host\"],"
		"\"exportTo\":[\".\",\"ns2\"],"
		"\"addresses\":[\"240.0.0.1\",\"2001:db8::1\",\"10.0.0.0/8\"],"
		"\"ports\":[{\"name\":\"tcp-db\",\"number\":5432,\"protocol\":\"TCP\"},"
		"{\"name\":\"http\",\"number\":80,\"protocol\":\"HTTP\"},{\"name\":\"x\",\"number\":0}]}}");
	ck_assert(se_pack_same_records(a, b));
	/* one address changes */
	struct serviceentry *c = decode(
		"{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"db\"},"
		"\"spec\":{\"hosts\":[\"db.ns1.global\",\"db-ro.ns1.global\",\"Bad Host\"],"
		"\"addresses\":[\"240.0.0.2\",\"2001:db8::1\"],"
		"\"ports\":[{\"name\":\"tcp-db\",\"number\":5432,\"protocol\":\"TCP\"},"
		"{\"name\":\"http\",\"number\":80,\"protocol\":\"HTTP\"}]}}");
	ck_assert(!se_pack_same_records(a, c));
	/* one port's protocol changes */
	struct serviceentry *d = decode(
		"{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"db\"},"
		"\"spec\":{\"hosts\":[\"db.ns1.global\",\"db-ro.ns1.global\",\"Bad Host\"],"
		"\"addresses\":[\"240.0.0.1\",\"2001:db8::1\"],"
		"\"ports\":[{\"name\":\"tcp-db\",\"number\":5432,\"protocol\":\"UDP\"},"
		"{\"name\":\"http\",\"number\":80,\"protocol\":\"HTTP\"}]}}");
	ck_assert(!se_pack_same_records(a, d));
	serviceentry_free(a);
	serviceentry_free(b);
	serviceentry_free(c);
	serviceentry_free(d);
}
END_TEST

START_TEST(test_pack_many_reuses_and_clears)
{
	/* 1,000 packed and freed in turns: the slab reuses freed blocks */
	struct slab s;
	slab_init(&s);
	struct serviceentry *held[100];
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 100; i++) {
			held[i] = se_pack(&s, decode(entry));
			ck_assert_ptr_nonnull(held[i]);
		}
		size_t in_use = s.in_use;
		ck_assert_uint_eq(in_use, 100 * held[0]->packed_size);
		for (int i = 0; i < 100; i++)
			se_pack_free(&s, held[i]);
		ck_assert_uint_eq(s.in_use, 0);
	}
	slab_clear(&s);
}
END_TEST

/* A move (compaction) gives a copy in a block of its own that reads like
 * the original, pointers inside the new block only, the verdict drops
 * carried over; freeing the old block leaves the copy whole. */
START_TEST(test_move_is_a_whole_copy)
{
	struct slab s;
	slab_init(&s);
	struct serviceentry *ref = decode(entry);
	struct serviceentry *p = se_pack(&s, decode(entry));
	ck_assert_ptr_nonnull(p);
	p->host_is_served[1] = false;
	ref->host_is_served[1] = false;
	se_drops_add(&p->verdict_drops, SE_DROP_HOST_POLICY, "spec.hosts[1]", "x", 1, NULL, "test");
	size_t size = p->packed_size;
	struct serviceentry *q = se_pack_move(&s, p);
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_ne(q, p);
	ck_assert_uint_eq(q->packed_size, size);
	ck_assert_uint_eq(s.in_use, 2 * size);
	const char *lo = (const char *)q, *hi = lo + size;
	ck_assert(q->namespace_ > lo && q->namespace_ < hi && q->name > lo && q->name < hi);
	ck_assert(q->resource_version > lo && q->resource_version < hi);
	for (size_t i = 0; i < q->hosts_count; i++)
		ck_assert(q->hosts[i] > lo && q->hosts[i] < hi);
	ck_assert((const char *)q->host_is_served > lo && (const char *)q->host_is_served < hi);
	ck_assert((const char *)q->drops.items > lo && (const char *)q->drops.items < hi);
	for (size_t i = 0; i < q->export_to_count; i++)
		ck_assert(q->export_to[i] > lo && q->export_to[i] < hi);
	for (size_t i = 0; i < q->ports_count; i++)
		ck_assert(q->ports[i].name > lo && q->ports[i].name < hi);
	/* the old block freed and overwritten by its next user: the copy
	 * does not notice */
	se_pack_free_moved(&s, p);
	ck_assert_uint_eq(s.in_use, size);
	void *reuse = slab_alloc(&s, size);
	ck_assert_ptr_nonnull(reuse);
	memset(reuse, 0x5a, size);
	struct rec_text want, got;
	records_of(ref, &want);
	records_of(q, &got);
	ck_assert_str_eq(got.text, want.text);
	ck_assert(se_pack_same_records(q, ref));
	ck_assert_str_eq(q->namespace_, "ns1");
	ck_assert_str_eq(q->resource_version, "42");
	ck_assert(se_drops_equal(&q->drops, &ref->drops));
	ck_assert_uint_eq(q->verdict_drops.count, 1);
	ck_assert_str_eq(q->verdict_drops.items[0].field, "spec.hosts[1]");
	se_pack_free(&s, q);
	slab_free(&s, reuse, size);
	ck_assert_uint_eq(s.in_use, 0);
	serviceentry_free(ref);
	slab_clear(&s);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("se_pack");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_pack_reads_like_parsed);
	tcase_add_test(tc, test_same_records);
	tcase_add_test(tc, test_pack_many_reuses_and_clears);
	tcase_add_test(tc, test_move_is_a_whole_copy);
	suite_add_tcase(s, tc);
	return s;
}
