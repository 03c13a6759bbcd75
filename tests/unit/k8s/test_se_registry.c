/* SPDX-License-Identifier: BSD-3-Clause
 * test_se_registry.c - hosts -> entries across sources: visits, conflicts
 * (logged once per joining owner, counted), the conflict gauge. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "k8s/se_registry.h"

/* An entry with up to 4 hosts, all served unless told otherwise. */
struct fake_entry {
	const char *hosts[4];
	bool is_served[4];
	struct se_registry_item item;
};

static const char *fake_host(const void *entry, size_t i)
{
	return ((const struct fake_entry *)entry)->hosts[i];
}

static bool fake_served(const void *entry, size_t i)
{
	return ((const struct fake_entry *)entry)->is_served[i];
}

static struct fake_entry *entry(unsigned cluster, const char *ns, const char *name, const char *h0,
				const char *h1)
{
	struct fake_entry *e = calloc(1, sizeof(*e));
	e->hosts[0] = h0;
	e->hosts[1] = h1;
	e->is_served[0] = e->is_served[1] = true;
	e->item = (struct se_registry_item){ .cluster = cluster,
					     .cluster_name = cluster ? "mesh-2" : "mesh-1",
					     .entry = e,
					     .namespace_ = ns,
					     .name = name,
					     .host = fake_host,
					     .is_served = fake_served,
					     .hosts_count = h1 ? 2 : 1 };
	return e;
}

/* The registry keeps only the entry: the rest is read back through this. */
static void describe(const void *entry, struct se_registry_item *out)
{
	const struct fake_entry *e = entry;
	out->namespace_ = e->item.namespace_;
	out->name = e->item.name;
	out->host = e->item.host;
	out->is_served = e->item.is_served;
	out->hosts_count = e->item.hosts_count;
}

struct seen {
	char lines[16][128];
	size_t count;
};

static void record(void *ctx, const struct se_registry_item *item, size_t host_index)
{
	struct seen *s = ctx;
	ck_assert_uint_lt(s->count, 16);
	snprintf(s->lines[s->count++], 128, "%s %s/%s %s", item->cluster_name, item->namespace_, item->name,
		 item->host(item->entry, host_index));
}

START_TEST(test_visit)
{
	struct se_registry *r = se_registry_new(describe);
	struct fake_entry *a = entry(0, "default", "a", "x.default.global", "y.default.global");
	struct fake_entry *b = entry(1, "default", "b", "y.default.global", NULL);
	ck_assert_int_eq(se_registry_update(r, NULL, &a->item), 0);
	ck_assert_int_eq(se_registry_update(r, NULL, &b->item), 0);
	struct seen s = { 0 };
	se_registry_visit_host(r, "y.default.global", record, &s);
	ck_assert_uint_eq(s.count, 2);
	ck_assert_str_eq(s.lines[0], "mesh-1 default/a y.default.global");
	ck_assert_str_eq(s.lines[1], "mesh-2 default/b y.default.global");
	memset(&s, 0, sizeof(s));
	se_registry_visit_host(r, "nosuch.default.global", record, &s);
	ck_assert_uint_eq(s.count, 0);
	se_registry_visit_all(r, record, &s);
	ck_assert_uint_eq(s.count, 2); /* once per entry, not per host */
	/* removal */
	ck_assert_int_eq(se_registry_update(r, &a->item, NULL), 0);
	memset(&s, 0, sizeof(s));
	se_registry_visit_host(r, "x.default.global", record, &s);
	ck_assert_uint_eq(s.count, 0);
	se_registry_visit_host(r, "y.default.global", record, &s);
	ck_assert_uint_eq(s.count, 1);
	se_registry_free(r);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_conflicts)
{
	struct se_registry *r = se_registry_new(describe);
	/* two entries of one owner (cluster 0, namespace prod): no conflict */
	struct fake_entry *p1 = entry(0, "prod", "p1", "pay.prod.global", NULL);
	struct fake_entry *p2 = entry(0, "prod", "p2", "pay.prod.global", NULL);
	se_registry_update(r, NULL, &p1->item);
	se_registry_update(r, NULL, &p2->item);
	ck_assert_uint_eq(se_registry_conflicts_total(r), 0);
	ck_assert_uint_eq(se_registry_conflicting_hosts(r), 0);
	/* a refused (not served) host is no owner */
	struct fake_entry *sb = entry(0, "sandbox", "sb", "pay.prod.global", NULL);
	sb->is_served[0] = false;
	se_registry_update(r, NULL, &sb->item);
	ck_assert_uint_eq(se_registry_conflicts_total(r), 0);
	/* the same namespace in another cluster: a second owner */
	struct fake_entry *c2 = entry(1, "prod", "p1", "pay.prod.global", NULL);
	se_registry_update(r, NULL, &c2->item);
	ck_assert_uint_eq(se_registry_conflicts_total(r), 1);
	ck_assert_uint_eq(se_registry_conflicting_hosts(r), 1);
	/* an update by a known owner: nothing new */
	struct fake_entry *c2b = entry(1, "prod", "p1", "pay.prod.global", NULL);
	se_registry_update(r, &c2->item, &c2b->item);
	ck_assert_uint_eq(se_registry_conflicts_total(r), 1);
	ck_assert_uint_eq(se_registry_conflicting_hosts(r), 1);
	/* a third owner joins: logged and counted again; still one host */
	struct fake_entry *t = entry(0, "istio-system", "t", "pay.prod.global", "other.prod.global");
	se_registry_update(r, NULL, &t->item);
	ck_assert_uint_eq(se_registry_conflicts_total(r), 2);
	ck_assert_uint_eq(se_registry_conflicting_hosts(r), 1);
	/* owners leave: the gauge follows, the counter does not */
	se_registry_update(r, &c2b->item, NULL);
	se_registry_update(r, &t->item, NULL);
	ck_assert_uint_eq(se_registry_conflicting_hosts(r), 0);
	ck_assert_uint_eq(se_registry_conflicts_total(r), 2);
	/* a host named twice by one entry is not a conflict with itself */
	struct fake_entry *twice = entry(1, "x", "twice", "dup.x.global", "dup.x.global");
	se_registry_update(r, NULL, &twice->item);
	ck_assert_uint_eq(se_registry_conflicts_total(r), 2);
	ck_assert_uint_eq(se_registry_conflicting_hosts(r), 0);
	se_registry_free(r);
	free(p1);
	free(p2);
	free(sb);
	free(c2);
	free(c2b);
	free(t);
	free(twice);
}
END_TEST

START_TEST(test_many)
{
	/* enough hosts to grow the table; every one found again */
	struct se_registry *r = se_registry_new(describe);
	enum { N = 5000 };
	static char names[N][32];
	static struct fake_entry *e[N];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "svc-%d.ns-%d.global", i, i % 7);
		e[i] = entry(0, "ns", names[i], names[i], NULL);
		ck_assert_int_eq(se_registry_update(r, NULL, &e[i]->item), 0);
	}
	for (int i = 0; i < N; i++) {
		struct seen s = { 0 };
		se_registry_visit_host(r, names[i], record, &s);
		ck_assert_uint_eq(s.count, 1);
	}
	ck_assert_uint_eq(se_registry_conflicting_hosts(r), 0);
	/* what an entry with one host costs (issue #14): one 24-byte node (the
	 * entry, its host's and its cluster's index) from the registry's slab
	 * (a 24-byte item beside it before; 144 from malloc before that), the
	 * table, one slot for every one or two nodes, and the cluster names'
	 * table */
	size_t bytes = se_registry_bytes(r);
	ck_assert_uint_ge(bytes, N * 24u + N * 4u);
	ck_assert_uint_le(bytes, N * 24u + N * 8u + 64);
	for (int i = 0; i < N; i++) {
		se_registry_update(r, &e[i]->item, NULL);
		free(e[i]);
	}
	ck_assert_uint_eq(se_registry_bytes(r), bytes - N * 24u);
	se_registry_free(r);
}
END_TEST

START_TEST(test_no_hosts)
{
	/* an entry whose every host was dropped holds nothing (it leaked a
	 * registry item per update before: make asan, admin_status_json) */
	struct se_registry *r = se_registry_new(describe);
	struct fake_entry *e = entry(0, "default", "broken", "x.default.global", NULL);
	e->item.hosts_count = 0;
	ck_assert_int_eq(se_registry_update(r, NULL, &e->item), 0);
	struct seen s = { 0 };
	se_registry_visit_host(r, "x.default.global", record, &s);
	ck_assert_uint_eq(s.count, 0);
	/* the same object, now with its host */
	struct se_registry_item before = e->item;
	e->item.hosts_count = 1;
	ck_assert_int_eq(se_registry_update(r, &before, &e->item), 0);
	se_registry_visit_host(r, "x.default.global", record, &s);
	ck_assert_uint_eq(s.count, 1);
	struct se_registry_item with = e->item;
	e->item.hosts_count = 0;
	ck_assert_int_eq(se_registry_update(r, &with, &e->item), 0);
	memset(&s, 0, sizeof(s));
	se_registry_visit_host(r, "x.default.global", record, &s);
	ck_assert_uint_eq(s.count, 0);
	ck_assert_int_eq(se_registry_update(r, &e->item, NULL), 0);
	se_registry_free(r);
	free(e);
}
END_TEST

static void record_entry(void *ctx, const struct se_registry_item *item, size_t host_index)
{
	const void **out = ctx;
	(void)host_index;
	*out = item->entry;
}

/* A moved entry (compaction) is found at its new place, with its new
 * strings, in its old visiting order; the old copy can go at once. Its
 * conflict count does not change and nothing is logged as joining. */
START_TEST(test_move)
{
	struct se_registry *r = se_registry_new(describe);
	struct fake_entry *a = entry(0, "default", "a", "x.default.global", "y.default.global");
	struct fake_entry *b = entry(1, "other", "b", "y.default.global", NULL);
	ck_assert_int_eq(se_registry_update(r, NULL, &a->item), 0);
	ck_assert_int_eq(se_registry_update(r, NULL, &b->item), 0);
	ck_assert_uint_eq(se_registry_conflicting_hosts(r), 1);
	uint64_t conflicts = se_registry_conflicts_total(r);
	/* a's copy elsewhere: its own strings */
	struct fake_entry *moved = entry(0, strdup("default"), strdup("a"), strdup("x.default.global"),
					 strdup("y.default.global"));
	se_registry_move(r, a, &moved->item);
	const void *found = NULL;
	se_registry_visit_host(r, "x.default.global", record_entry, &found);
	ck_assert_ptr_eq(found, moved);
	/* the old copy's strings are gone: visits read the new ones */
	memset(a, 0, sizeof(*a));
	free(a);
	struct seen s = { 0 };
	se_registry_visit_host(r, "y.default.global", record, &s);
	ck_assert_uint_eq(s.count, 2);
	ck_assert_str_eq(s.lines[0], "mesh-1 default/a y.default.global"); /* still first */
	ck_assert_str_eq(s.lines[1], "mesh-2 other/b y.default.global");
	ck_assert_uint_eq(se_registry_conflicting_hosts(r), 1);
	ck_assert_uint_eq(se_registry_conflicts_total(r), conflicts);
	/* and it leaves by its new item */
	ck_assert_int_eq(se_registry_update(r, &moved->item, NULL), 0);
	memset(&s, 0, sizeof(s));
	se_registry_visit_host(r, "x.default.global", record, &s);
	ck_assert_uint_eq(s.count, 0);
	ck_assert_uint_eq(se_registry_conflicting_hosts(r), 0);
	ck_assert_int_eq(se_registry_update(r, &b->item, NULL), 0);
	se_registry_free(r);
	free((char *)moved->item.namespace_);
	free((char *)moved->item.name);
	free((char *)moved->hosts[0]);
	free((char *)moved->hosts[1]);
	free(moved);
	free(b);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("se_registry");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_visit);
	tcase_add_test(tc, test_conflicts);
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_no_hosts);
	tcase_add_test(tc, test_move);
	suite_add_tcase(s, tc);
	return s;
}
