/* SPDX-License-Identifier: BSD-3-Clause
 * test_names.c - the /names document over a fixture snapshot (two views,
 * one serving tests/data/zones/unit.zone, one serving nothing): answers per
 * type through the real answer path, the sources hook asked for every
 * served record with its owner, type and uncompressed rdata, the drops
 * hook, bad names. The output is parsed back with dnsd's JSON parser. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "conf/config.h"
#include "dns/wire.h"
#include "k8s/json.h"
#include "server/names.h"
#include "zone/zone_apex.h"
#include "zone/zone_build.h"
#include "zone/zonefile.h"
#include "unit_zone.h"

static struct snapshot *snap;
static struct zone_build *builder, *builder2;

static void setup(void)
{
	struct zone *z = unit_zone_load("tests/data/zones/unit.zone", &builder);
	struct config_view views[3] = { { .name = "one" }, { .name = "two" }, { .name = "three" } };
	struct config cfg = { .views = views, .views_count = 3 };
	struct view_table *vt = view_table_new(&cfg);
	struct snapshot_settings st = { .udp_payload_max = 1232 };
	snap = snapshot_new(vt, &st);
	view_table_unref(vt);
	snap->sets[0] = zone_set_new(&z, 1);
	zone_unref(z);
	/* view two: its own zone global, with one name of another address */
	uint8_t apex[DNAME_MAX_LEN];
	char err[256];
	dname_from_text(apex, "global");
	builder2 = zone_build_new(apex, 30);
	static const struct zone_apex_addr lo = { .family = AF_INET, .addr = { 127, 0, 0, 1 } };
	struct zone_apex_ns ns = { .addresses = &lo, .address_count = 1 };
	dname_from_text(ns.name, "ns1.global");
	ck_assert_int_eq(zone_apex_add(builder2, &ns, 1, 30, 1), 0);
	uint8_t owner[DNAME_MAX_LEN];
	dname_from_text(owner, "messenger.default.global");
	static const uint8_t a[4] = { 10, 9, 9, 9 };
	ck_assert_int_eq(zone_build_add(builder2, owner, WIRE_TYPE_A, 30, a, 4), 0);
	struct zone *z2 = zone_build_freeze(builder2, err, sizeof(err));
	ck_assert_msg(z2 != NULL, "%s", err);
	snap->sets[1] = zone_set_new(&z2, 1);
	zone_unref(z2);
	snap->sets[2] = zone_set_new(NULL, 0);
}

static void teardown(void)
{
	snapshot_free(snap);
	zone_build_free(builder);
	zone_build_free(builder2);
}

/* What the hooks were asked. */
static char asked[64][300];
static size_t asked_count;

static void sources(void *ctx, size_t view, const struct zone *z, const uint8_t *owner, uint16_t type,
		    const uint8_t *rdata, uint16_t rdlen, struct jsonw *w)
{
	ck_assert_ptr_eq(ctx, &asked);
	ck_assert_ptr_nonnull(z);
	char o[DNAME_MAX_TEXT];
	dname_to_text(o, sizeof(o), owner);
	ck_assert_uint_lt(asked_count, 64);
	int n = snprintf(asked[asked_count++], 300, "%zu %s %u", view, o, type);
	for (uint16_t i = 0; i < rdlen && n < 290; i++)
		n += snprintf(asked[asked_count - 1] + n, 300 - (size_t)n, "%s%u", i ? "." : " ", rdata[i]);
	jsonw_object_begin(w);
	jsonw_kv_string(w, "kind", "test");
	jsonw_object_end(w);
}

static void dropped(void *ctx, const char *name, struct jsonw *w)
{
	(void)ctx;
	if (strcmp(name, "messenger.default.global") != 0)
		return;
	jsonw_object_begin(w);
	jsonw_kv_string(w, "reason", "cidr");
	jsonw_object_end(w);
}

static const struct names_hooks hooks = { .sources = sources, .dropped = dropped, .ctx = &asked };

static struct json_doc *doc;

static const struct json_value *explain(const char *name, int want_status)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	asked_count = 0;
	ck_assert_int_eq(names_explain(snap, name, &hooks, out), want_status);
	fclose(out);
	struct json_error err;
	json_doc_free(doc);
	doc = NULL;
	ck_assert_msg(json_parse(text, len, &doc, &err) == 0, "bad JSON (%s): %s", err.msg, text);
	free(text);
	return json_doc_root(doc);
}

static const char *str(const struct json_value *v)
{
	const char *s = json_get_string(v, NULL);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* The answer object for type in view object v, or NULL. */
static const struct json_value *answer_for(const struct json_value *v, const char *type)
{
	const struct json_value *answers = json_get(v, "answers");
	for (size_t i = 0; i < json_array_count(answers); i++)
		if (strcmp(str(json_get(json_array_at(answers, i), "type")), type) == 0)
			return json_array_at(answers, i);
	return NULL;
}

START_TEST(test_positive_with_sources)
{
	const struct json_value *root = explain("Messenger.Default.GLOBAL", 200);
	ck_assert_str_eq(str(json_get(root, "name")), "messenger.default.global.");
	const struct json_value *views = json_get(root, "views");
	ck_assert_uint_eq(json_array_count(views), 3);
	const struct json_value *one = json_array_at(views, 0), *two = json_array_at(views, 1),
				*three = json_array_at(views, 2);
	ck_assert_str_eq(str(json_get(one, "view")), "one");
	ck_assert_str_eq(str(json_get(one, "zone")), "global.");
	const struct json_value *a = answer_for(one, "A");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(str(json_get(a, "rcode")), "NOERROR");
	const struct json_value *recs = json_get(a, "records");
	ck_assert_uint_eq(json_array_count(recs), 1);
	const struct json_value *r = json_array_at(recs, 0);
	ck_assert_str_eq(str(json_get(r, "data")), "127.127.42.69");
	ck_assert_str_eq(str(json_get(r, "owner")), "messenger.default.global.");
	int64_t ttl;
	ck_assert_int_eq(json_get_int64(json_get(r, "ttl"), &ttl), 0);
	ck_assert_int_eq(ttl, 300);
	ck_assert_str_eq(str(json_get(json_array_at(json_get(r, "sources"), 0), "kind")), "test");
	ck_assert_ptr_nonnull(answer_for(one, "AAAA"));
	ck_assert_uint_eq(json_array_count(json_get(answer_for(one, "AAAA"), "records")), 1);
	/* probes that found nothing are left out */
	ck_assert_ptr_null(answer_for(one, "MX"));
	/* view two answers from its own zone, whoever asks */
	const struct json_value *a2 = json_get(answer_for(two, "A"), "records");
	ck_assert_uint_eq(json_array_count(a2), 1);
	ck_assert_str_eq(str(json_get(json_array_at(a2, 0), "data")), "10.9.9.9");
	ck_assert_str_eq(str(json_get(answer_for(two, "AAAA"), "rcode")), "NOERROR");
	ck_assert_uint_eq(json_array_count(json_get(answer_for(two, "AAAA"), "records")), 0);
	/* the hook saw each record: view, owner (lower case), type, rdata */
	ck_assert_uint_eq(asked_count, 3);
	ck_assert_str_eq(asked[0], "0 messenger.default.global. 1 127.127.42.69");
	ck_assert_str_eq(asked[1], "0 messenger.default.global. 28 32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.105");
	ck_assert_str_eq(asked[2], "1 messenger.default.global. 1 10.9.9.9");
	/* a view without the zone */
	ck_assert_int_eq(json_type(json_get(three, "zone")), JSON_NULL);
	ck_assert_str_eq(str(json_get(three, "rcode")), "REFUSED");
	/* the drops hook */
	const struct json_value *d = json_get(root, "dropped");
	ck_assert_uint_eq(json_array_count(d), 1);
	ck_assert_str_eq(str(json_get(json_array_at(d, 0), "reason")), "cidr");
}
END_TEST

START_TEST(test_negative_srv_cname_wildcard)
{
	const struct json_value *one = json_array_at(json_get(explain("nosuch.global.", 200), "views"), 0);
	ck_assert_str_eq(str(json_get(answer_for(one, "A"), "rcode")), "NXDOMAIN");
	ck_assert_uint_eq(json_array_count(json_get(answer_for(one, "A"), "records")), 0);
	ck_assert_uint_eq(json_array_count(json_get(json_doc_root(doc), "dropped")), 0);

	one = json_array_at(json_get(explain("_http1._tcp.messenger.default.global", 200), "views"), 0);
	const struct json_value *srv = answer_for(one, "SRV");
	ck_assert_ptr_nonnull(srv);
	ck_assert_str_eq(str(json_get(json_array_at(json_get(srv, "records"), 0), "data")),
			 "0 0 3000 messenger.default.global.");
	ck_assert_str_eq(str(json_get(answer_for(one, "A"), "rcode")), "NOERROR"); /* NODATA */
	/* SRV rdata reaches the hook uncompressed: priority, weight, port, target */
	bool seen = false;
	for (size_t i = 0; i < asked_count; i++)
		seen = seen || strcmp(asked[i], "0 _http1._tcp.messenger.default.global. 33 "
						"0.0.0.0.11.184.9.109.101.115.115.101.110.103.101.114.7.100."
						"101.102.97.117.108.116.6.103.108.111.98.97.108.0") == 0;
	ck_assert_msg(seen, "SRV not asked: %s", asked_count ? asked[0] : "(none)");

	/* a CNAME chain: every record of the answer, each with its own owner */
	one = json_array_at(json_get(explain("alias.global", 200), "views"), 0);
	const struct json_value *recs = json_get(answer_for(one, "A"), "records");
	ck_assert_uint_eq(json_array_count(recs), 3);
	ck_assert_str_eq(str(json_get(json_array_at(recs, 0), "type")), "CNAME");
	ck_assert_str_eq(str(json_get(json_array_at(recs, 2), "owner")), "messenger.default.global.");

	/* a wildcard: the synthesized owner is the name asked */
	one = json_array_at(json_get(explain("x.wild.global", 200), "views"), 0);
	ck_assert_str_eq(str(json_get(json_array_at(json_get(answer_for(one, "A"), "records"), 0), "owner")),
			 "x.wild.global.");
	ck_assert_ptr_nonnull(answer_for(one, "TXT"));

	/* below a delegation: a referral */
	one = json_array_at(json_get(explain("host.sub.global", 200), "views"), 0);
	ck_assert_ptr_nonnull(json_get(answer_for(one, "A"), "referral"));
}
END_TEST

START_TEST(test_bad_names)
{
	char big[100];
	memset(big, 'a', 70);
	strcpy(big + 70, ".global");
	const char *bad[] = { "", "a..b", big,
			      "."
			      "." };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct json_value *root = explain(bad[i], 400);
		ck_assert_ptr_nonnull(json_get_string(json_get(root, "error"), NULL));
	}
	/* nothing published yet: no views, still a document */
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	ck_assert_int_eq(names_explain(NULL, "a.global", &hooks, out), 200);
	fclose(out);
	ck_assert_msg(strstr(text, "\"views\":[]") != NULL, "%s", text);
	free(text);
}
END_TEST

static void free_doc(void)
{
	json_doc_free(doc);
	doc = NULL;
}

Suite *unit_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tc, NULL, free_doc);
	tcase_add_test(tc, test_positive_with_sources);
	tcase_add_test(tc, test_negative_srv_cname_wildcard);
	tcase_add_test(tc, test_bad_names);
	suite_add_tcase(s, tc);
	return s;
}
