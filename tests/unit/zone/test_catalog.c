/* SPDX-License-Identifier: BSD-3-Clause
 * test_catalog.c - dynamic feeds: a zone fed by clusters is pending (SERVFAIL)
 * until every cluster synced, applies add/remove contributions, bumps its
 * serial per publication, and each view gets only its own clusters' data. */
#include <arpa/inet.h>
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "query/answer.h"
#include "zone/catalog.h"
#include "zone/journal.h"
#include "zone/publish.h"
#include "zone/publisher.h"
#include "dns/wire.h"

/* a stand-in source object: one host with one IPv4 address */
struct item {
	const char *host;
	uint8_t addr[4];
};

static void item_records(const void *p, const uint8_t *apex, uint32_t ttl_s, catalog_emit_fn *emit, void *ctx)
{
	const struct item *it = p;
	uint8_t owner[DNAME_MAX_LEN];
	int len = dname_from_text(owner, it->host);
	if (len < 0 || !dname_is_subdomain(owner, (size_t)len, apex, dname_len(apex)))
		return;
	emit(ctx, owner, WIRE_TYPE_A, ttl_s, it->addr, 4);
}

static char *names_mesh1[] = { "mesh-1" };
static char *names_mesh2[] = { "mesh-2" };
static char *names_both[] = { "mesh-1", "mesh-2" };
static char *zone_global[] = { "global" };

static struct config_kubernetes clusters[2] = { { .name = "mesh-1" }, { .name = "mesh-2" } };
static struct config_zone zones[1] = {
	{ .name = "global", .ttl_s = 30, .kubernetes = names_both, .kubernetes_count = 2 },
};

/* rcode and first A address for name, as the given client sees it */
static int ask(const char *name, const char *client, uint8_t *addr_out)
{
	uint8_t q[512] = { 0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	int len = dname_from_text(q + 12, name);
	size_t n = 12 + (size_t)len;
	wire_write_u16(q + n, WIRE_TYPE_A);
	wire_write_u16(q + n + 2, WIRE_CLASS_IN);
	n += 4;
	struct sockaddr_in cl = { .sin_family = AF_INET };
	inet_pton(AF_INET, client, &cl.sin_addr);
	struct answer_request req = { .pkt = q,
				      .len = n,
				      .client = (struct sockaddr *)&cl,
				      .local = (struct sockaddr *)&cl };
	static uint8_t out[4096];
	struct answer_info info;
	struct publish_reader *r = publish_reader_register(&publish_global);
	const struct snapshot *s = publish_read_begin(&publish_global, r);
	size_t rlen = answer_query(s, &req, out, sizeof(out), &info);
	publish_read_end(r);
	publish_reader_unregister(r);
	ck_assert_uint_gt(rlen, 12);
	if (addr_out && wire_read_u16(out + 6) > 0)
		memcpy(addr_out, out + rlen - 4, 4); /* one A record, last in the message */
	return out[3] & 0xF;
}

static struct catalog *start(struct config *cfg)
{
	char err[256];
	struct catalog *c = catalog_new(cfg, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	struct snapshot *s = catalog_snapshot(c, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	publish_lock();
	publish_swap(&publish_global, s);
	publish_unlock();
	return c;
}

/* The zone "global" fed by mesh-1 and mesh-2. */
static struct config two_clusters(void)
{
	return (struct config){ .zones = zones,
				.zones_count = 1,
				.kubernetes = clusters,
				.kubernetes_count = 2,
				.udp_payload_max = 1232,
				.journal_size = 1 << 20 };
}

START_TEST(test_pending_until_all_synced)
{
	struct config cfg = { .zones = zones,
			      .zones_count = 1,
			      .kubernetes = clusters,
			      .kubernetes_count = 2,
			      .udp_payload_max = 1232,
			      .journal_size = 1 << 20,
			      .serial_replica = 7 };
	struct catalog *c = start(&cfg);
	char why[256];
	ck_assert(!catalog_is_ready(c, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "mesh-1"));
	ck_assert_int_eq(ask("svc.default.global", "127.0.0.1", NULL), WIRE_RCODE_SERVFAIL);
	/* Not Ready's EXTRA-TEXT names the clusters awaited (RFC 8914) */
	ck_assert_str_eq(publish_current(&publish_global)->sets[0]->zones[0]->ede_text,
			 "kubernetes mesh-1, mesh-2 not synced");

	struct item a = { "svc.default.global", { 10, 0, 0, 1 } };
	struct item b = { "svc.default.global", { 10, 0, 0, 2 } };
	struct item other = { "svc.default.example.com", { 10, 0, 0, 3 } };
	catalog_apply(c, 0, item_records, NULL, &a);
	catalog_apply(c, 0, item_records, NULL, &other); /* outside the zone: ignored */
	catalog_cluster_synced(c, 0);
	publisher_flush(c);
	ck_assert_int_eq(ask("svc.default.global", "127.0.0.1", NULL), WIRE_RCODE_SERVFAIL);
	/* ... and only those still awaited */
	const struct zone *pz = publish_current(&publish_global)->sets[0]->zones[0];
	ck_assert(pz->is_pending);
	ck_assert_str_eq(pz->ede_text, "kubernetes mesh-2 not synced");
	ck_assert_uint_eq(pz->ede_text_len, strlen("kubernetes mesh-2 not synced"));
	catalog_apply(c, 1, item_records, NULL, &b);
	catalog_apply(c, 1, item_records, NULL, &a); /* same record from two clusters */
	catalog_cluster_synced(c, 1);
	publisher_flush(c);
	ck_assert(catalog_is_ready(c, why, sizeof(why)));
	uint8_t addr[4];
	ck_assert_int_eq(ask("svc.default.global", "127.0.0.1", addr), WIRE_RCODE_NOERROR);
	uint64_t gen = publish_current(&publish_global)->generation;
	uint32_t serial = publish_current(&publish_global)->sets[0]->zones[0]->serial;

	/* cluster 0 deletes a: still there through cluster 1's copy, so the
	 * records net to nothing: no publication, the same serial, no journal
	 * entry (secondaries get no empty IXFR) */
	catalog_apply(c, 0, item_records, &a, NULL);
	publisher_flush(c);
	ck_assert_uint_eq(publish_current(&publish_global)->generation, gen);
	ck_assert_uint_eq(publish_current(&publish_global)->sets[0]->zones[0]->serial, serial);
	/* a real change after it: a greater serial (RFC 1982), with the
	 * replica's low byte kept, and its difference in the journal */
	struct item c3 = { "svc3.default.global", { 10, 0, 0, 3 } };
	catalog_apply(c, 0, item_records, NULL, &c3);
	publisher_flush(c);
	ck_assert_uint_gt(publish_current(&publish_global)->generation, gen);
	const struct zone *z1 = publish_current(&publish_global)->sets[0]->zones[0];
	ck_assert(serial_gt(z1->serial, serial));
	ck_assert_uint_eq(z1->serial & 0xFF, 7);
	ck_assert_uint_eq(serial & 0xFF, 7);
	ck_assert_ptr_nonnull(z1->journal);
	ck_assert_uint_eq(z1->journal->count, 1);
	ck_assert_uint_eq(z1->journal->diffs[0]->from_serial, serial);
	ck_assert_uint_eq(z1->journal->diffs[0]->to_serial, z1->serial);
	ck_assert_uint_eq(z1->journal->diffs[0]->removed_count, 0);
	ck_assert_uint_eq(z1->journal->diffs[0]->added_count, 1);
	catalog_apply(c, 0, item_records, &c3, NULL);
	publisher_flush(c);
	ck_assert_int_eq(ask("svc.default.global", "127.0.0.1", NULL), WIRE_RCODE_NOERROR);
	catalog_apply(c, 1, item_records, &a, NULL);
	catalog_apply(c, 1, item_records, &b, NULL);
	publisher_flush(c);
	ck_assert_int_eq(ask("svc.default.global", "127.0.0.1", NULL), WIRE_RCODE_NXDOMAIN);
	const struct zone *fresh = publish_current(&publish_global)->sets[0]->zones[0];
	ck_assert(!fresh->is_stale);
	uint32_t fresh_serial = fresh->serial;
	const struct journal *fresh_journal = fresh->journal;
	size_t fresh_diffs = fresh_journal ? fresh_journal->count : 0;
	ck_assert_uint_gt(fresh_diffs, 0);
	/* a cluster serving saved state marks the zone stale, and unmarks it;
	 * the records are the same, so is the serial, and nothing is journalled
	 * (a new serial would give secondaries an IXFR that changes nothing) */
	catalog_cluster_stale(c, 1, true);
	publisher_flush(c);
	const struct zone *sz = publish_current(&publish_global)->sets[0]->zones[0];
	ck_assert(sz->is_stale);
	ck_assert_str_eq(sz->ede_text, "kubernetes mesh-2 down: saved state served");
	ck_assert_uint_eq(sz->serial, fresh_serial);
	ck_assert_ptr_eq(sz->journal, fresh_journal);
	ck_assert_uint_eq(sz->journal->count, fresh_diffs);
	catalog_cluster_stale(c, 1, false);
	publisher_flush(c);
	const struct zone *uz = publish_current(&publish_global)->sets[0]->zones[0];
	ck_assert(!uz->is_stale);
	ck_assert_uint_eq(uz->serial, fresh_serial);
	ck_assert_uint_eq(uz->journal->count, fresh_diffs);
	/* a change after it takes the next serial and one difference more */
	catalog_apply(c, 1, item_records, NULL, &b);
	publisher_flush(c);
	const struct zone *nz = publish_current(&publish_global)->sets[0]->zones[0];
	ck_assert(serial_gt(nz->serial, fresh_serial));
	ck_assert_uint_eq(nz->journal->count, fresh_diffs + 1);
	ck_assert_uint_eq(nz->journal->diffs[fresh_diffs]->from_serial, fresh_serial);
	ck_assert_uint_eq(nz->journal->diffs[fresh_diffs]->added_count, 1);
	catalog_free(c);
}
END_TEST

/* A relist's diff lands as one publication: while the cluster is held, its
 * additions and deletions are not frozen, so no snapshot serves both the old
 * set and the new (the test of a relist to a completely different set). */
START_TEST(test_held_cluster_publishes_whole_diff)
{
	struct config cfg = two_clusters();
	struct catalog *c = start(&cfg);
	struct item old = { "old.default.global", { 10, 0, 0, 1 } };
	struct item new = { "new.default.global", { 10, 0, 0, 2 } };
	catalog_apply(c, 0, item_records, NULL, &old);
	catalog_cluster_synced(c, 0);
	catalog_cluster_synced(c, 1);
	publisher_flush(c);
	ck_assert_int_eq(ask("old.default.global", "127.0.0.1", NULL), WIRE_RCODE_NOERROR);
	uint64_t gen = publish_current(&publish_global)->generation;

	catalog_hold(c, 0);
	catalog_apply(c, 0, item_records, NULL, &new);
	publisher_flush(c);
	ck_assert_int_eq(ask("new.default.global", "127.0.0.1", NULL), WIRE_RCODE_NXDOMAIN);
	catalog_apply(c, 0, item_records, &old, NULL);
	publisher_flush(c);
	ck_assert_int_eq(ask("old.default.global", "127.0.0.1", NULL), WIRE_RCODE_NOERROR);
	ck_assert_uint_eq(publish_current(&publish_global)->generation, gen);
	catalog_release(c, 0);
	publisher_flush(c);
	ck_assert_uint_gt(publish_current(&publish_global)->generation, gen);
	ck_assert_int_eq(ask("new.default.global", "127.0.0.1", NULL), WIRE_RCODE_NOERROR);
	ck_assert_int_eq(ask("old.default.global", "127.0.0.1", NULL), WIRE_RCODE_NXDOMAIN);
	/* one publication, one journal entry: both changes in it */
	const struct zone *z = publish_current(&publish_global)->sets[0]->zones[0];
	ck_assert_ptr_nonnull(z->journal);
	const struct journal_diff *d = z->journal->diffs[z->journal->count - 1];
	ck_assert_uint_eq(d->added_count, 1);
	ck_assert_uint_eq(d->removed_count, 1);
	catalog_free(c);
}
END_TEST

/* A feed's builder keeps no source records (issue #14): a freeze asks the
 * items of each part it renders. Every item is answered, the zone counts
 * them, an item that moved (catalog_move) is read where it went, and a
 * part re-rendered after the move does not read the old copy. */
START_TEST(test_records_rendered_from_items)
{
	struct config cfg = two_clusters();
	struct catalog *c = start(&cfg);
	enum { N = 300 };
	static struct item items[N];
	static char hosts[N][64];
	for (int i = 0; i < N; i++) {
		snprintf(hosts[i], sizeof(hosts[i]), "svc-%d.ns-%d.global", i, i % 97);
		items[i] = (struct item){ hosts[i], { 10, 1, (uint8_t)(i >> 8), (uint8_t)i } };
		catalog_apply(c, 0, item_records, NULL, &items[i]);
	}
	catalog_cluster_synced(c, 0);
	catalog_cluster_synced(c, 1);
	publisher_flush(c);
	const struct zone *z = publish_current(&publish_global)->sets[0]->zones[0];
	ck_assert_uint_gt(z->part_count, 1);
	/* N addresses, and the apex's SOA, NS and its address the zone made up */
	ck_assert_uint_eq(z->record_count, N + 3);
	for (int i = 0; i < N; i++) {
		uint8_t addr[4];
		ck_assert_int_eq(ask(hosts[i], "127.0.0.1", addr), WIRE_RCODE_NOERROR);
		ck_assert_uint_eq(addr[3], (uint8_t)i);
	}
	/* items[5] moves; its old copy is overwritten, as a freed block is */
	static struct item moved;
	moved = items[5];
	catalog_move(c, 0, &items[5], &moved);
	items[5] = (struct item){ "gone.default.global", { 192, 0, 2, 1 } };
	/* a change in the same part (same namespace) renders that part again */
	static struct item beside = { "beside.ns-5.global", { 10, 9, 9, 9 } };
	catalog_apply(c, 0, item_records, NULL, &beside);
	publisher_flush(c);
	uint8_t addr[4];
	ck_assert_int_eq(ask("svc-5.ns-5.global", "127.0.0.1", addr), WIRE_RCODE_NOERROR);
	ck_assert_uint_eq(addr[3], 5);
	ck_assert_int_eq(ask("gone.default.global", "127.0.0.1", NULL), WIRE_RCODE_NXDOMAIN);
	ck_assert_int_eq(ask("beside.ns-5.global", "127.0.0.1", NULL), WIRE_RCODE_NOERROR);
	/* and it leaves through the copy */
	catalog_apply(c, 0, item_records, &moved, NULL);
	publisher_flush(c);
	ck_assert_int_eq(ask("svc-5.ns-5.global", "127.0.0.1", NULL), WIRE_RCODE_NXDOMAIN);
	ck_assert_uint_eq(publish_current(&publish_global)->sets[0]->zones[0]->record_count, N + 3);
	catalog_free(c);
}
END_TEST

START_TEST(test_views_get_their_own_clusters)
{
	struct config_prefix p1 = { .family = AF_INET, .addr = { 127, 0, 0, 11 }, .len = 32 };
	struct config_prefix p2 = { .family = AF_INET, .addr = { 127, 0, 0, 12 }, .len = 32 };
	struct config_view views[2] = {
		{ .name = "mesh-1",
		  .match_clients = &p1,
		  .match_clients_count = 1,
		  .zones = zone_global,
		  .zones_count = 1,
		  .kubernetes = names_mesh1,
		  .kubernetes_count = 1 },
		{ .name = "mesh-2",
		  .match_clients = &p2,
		  .match_clients_count = 1,
		  .zones = zone_global,
		  .zones_count = 1,
		  .kubernetes = names_mesh2,
		  .kubernetes_count = 1 },
	};
	struct config_zone z = { .name = "global", .ttl_s = 30 };
	struct config cfg = { .zones = &z,
			      .zones_count = 1,
			      .kubernetes = clusters,
			      .kubernetes_count = 2,
			      .views = views,
			      .views_count = 2,
			      .udp_payload_max = 1232 };
	struct catalog *c = start(&cfg);
	ck_assert_int_eq(publisher_start(c), 0);
	struct item m1 = { "messenger.default.global", { 127, 127, 42, 69 } };
	struct item m2 = { "messenger.default.global", { 127, 127, 42, 70 } };
	catalog_apply(c, 0, item_records, NULL, &m1);
	catalog_apply(c, 1, item_records, NULL, &m2);
	catalog_cluster_synced(c, 0);
	catalog_cluster_synced(c, 1);
	/* the publisher thread publishes within a few ms: poll with a deadline */
	uint8_t addr[4] = { 0 };
	for (int i = 0; i < 2000 && ask("messenger.default.global", "127.0.0.12", addr) != 0; i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	ck_assert_int_eq(ask("messenger.default.global", "127.0.0.11", addr), WIRE_RCODE_NOERROR);
	ck_assert_uint_eq(addr[3], 69);
	ck_assert_int_eq(ask("messenger.default.global", "127.0.0.12", addr), WIRE_RCODE_NOERROR);
	ck_assert_uint_eq(addr[3], 70);
	ck_assert_int_eq(ask("messenger.default.global", "127.0.0.13", NULL), WIRE_RCODE_REFUSED);
	catalog_free(c);
}
END_TEST

/* "zones: []" is a view that serves nothing: its clients get REFUSED, not
 * every zone (the catalog used to treat an empty list as "all zones"). */
START_TEST(test_view_with_no_zones_refuses)
{
	struct config_prefix p1 = { .family = AF_INET, .addr = { 127, 0, 0, 11 }, .len = 32 };
	struct config_view views[2] = {
		{ .name = "mesh-1",
		  .match_clients = &p1,
		  .match_clients_count = 1,
		  .zones = zone_global,
		  .zones_count = 1 },
		{ .name = "default" },
	};
	struct config_zone z = { .name = "global", .ttl_s = 30 };
	struct config cfg = { .zones = &z,
			      .zones_count = 1,
			      .views = views,
			      .views_count = 2,
			      .udp_payload_max = 1232 };
	struct catalog *c = start(&cfg);
	ck_assert_int_eq(ask("global", "127.0.0.11", NULL), WIRE_RCODE_NOERROR);
	ck_assert_int_eq(ask("global", "127.0.0.13", NULL), WIRE_RCODE_REFUSED);
	catalog_free(c);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("feeds");
	tcase_add_test(tc, test_pending_until_all_synced);
	tcase_add_test(tc, test_held_cluster_publishes_whole_diff);
	tcase_add_test(tc, test_records_rendered_from_items);
	tcase_add_test(tc, test_views_get_their_own_clusters);
	tcase_add_test(tc, test_view_with_no_zones_refuses);
	suite_add_tcase(s, tc);
	return s;
}
