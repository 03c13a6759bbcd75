/* SPDX-License-Identifier: BSD-3-Clause
 * test_serviceentry.c - ServiceEntry JSON -> struct, on the API server's
 * own fixtures and hand-made edge cases, and the records se_zone makes. */
#include <arpa/inet.h>
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "k8s/json.h"
#include "k8s/se_zone.h"
#include "k8s/serviceentry.h"
#include "dns/wire.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	static char buf[1 << 20];
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

static struct serviceentry *decode(const char *text, int want_rc, char *err, size_t errlen)
{
	struct json_doc *doc;
	struct json_error jerr;
	ck_assert_int_eq(json_parse(text, strlen(text), &doc, &jerr), 0);
	struct serviceentry *se = NULL;
	int rc = serviceentry_from_json(json_doc_root(doc), &se, err, errlen);
	ck_assert_msg(rc == want_rc, "rc %d, want %d (%s)", rc, want_rc, err);
	json_doc_free(doc);
	if (rc != 0) {
		/* an unusable entry comes back as a stand-in without records */
		ck_assert(!se || (se->is_malformed && se->hosts_count == 0));
		serviceentry_free(se);
		return NULL;
	}
	return se;
}

START_TEST(test_fixture_list)
{
	size_t len;
	char *text = slurp("tests/data/k8s/list-full.json", &len);
	struct json_doc *doc;
	struct json_error jerr;
	ck_assert_int_eq(json_parse(text, len, &doc, &jerr), 0);
	const struct json_value *items = json_get(json_doc_root(doc), "items");
	ck_assert_uint_eq(json_array_count(items), 4);
	char err[256];
	struct serviceentry *se[4];
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(serviceentry_from_json(json_array_at(items, i), &se[i], err, sizeof(err)),
				 0);
	/* bar/httpbin-bar: the classic .global remote service */
	ck_assert_str_eq(se[0]->namespace_, "bar");
	ck_assert_str_eq(se[0]->name, "httpbin-bar");
	ck_assert_str_eq(se[0]->resource_version, "41870");
	ck_assert_str_eq(se[0]->hosts[0], "httpbin.bar.global");
	ck_assert_uint_eq(se[0]->addresses_count, 1);
	ck_assert_uint_eq(se[0]->addresses[0].addr[0], 240);
	ck_assert_uint_eq(se[0]->ports_count, 2);
	ck_assert_str_eq(se[0]->ports[0].name, "http1");
	ck_assert_uint_eq(se[0]->ports[0].number, 8000);
	/* db/mysql: the /24 is skipped (with a warning), the IPv6 VIP kept */
	ck_assert_uint_eq(se[2]->hosts_count, 2);
	ck_assert_uint_eq(se[2]->addresses_count, 1);
	ck_assert_int_eq(se[2]->addresses[0].family, AF_INET6);
	ck_assert_uint_eq(se[2]->drops.count, 1);
	ck_assert_int_eq(se[2]->drops.items[0].reason, SE_DROP_CIDR);
	ck_assert_str_eq(se[2]->drops.items[0].value, "240.0.1.0/24");
	ck_assert_str_eq(se[2]->ports[0].protocol, "tcp"); /* "TCP" lower-cased */
	/* egress/wildcard-api: wildcard host, no addresses */
	ck_assert_str_eq(se[3]->hosts[0], "*.api.example.global");
	ck_assert_uint_eq(se[3]->addresses_count, 0);
	for (size_t i = 0; i < 4; i++)
		serviceentry_free(se[i]);
	json_doc_free(doc);
}
END_TEST

START_TEST(test_watch_events_fixture)
{
	size_t len;
	char *text = slurp("tests/data/k8s/watch-events.jsonl", &len);
	unsigned events = 0, entries = 0;
	for (char *line = text; line < text + len;) {
		char *nl = memchr(line, '\n', (size_t)(text + len - line));
		size_t l = nl ? (size_t)(nl - line) : (size_t)(text + len - line);
		struct json_doc *doc;
		struct json_error jerr;
		ck_assert_int_eq(json_parse(line, l, &doc, &jerr), 0);
		const char *type = json_get_string(json_get(json_doc_root(doc), "type"), NULL);
		ck_assert_ptr_nonnull(type);
		events++;
		if (strcmp(type, "BOOKMARK") != 0) {
			struct serviceentry *se;
			char err[256];
			ck_assert_int_eq(serviceentry_from_json(json_get(json_doc_root(doc), "object"), &se,
								err, sizeof(err)),
					 0);
			ck_assert_ptr_nonnull(se->resource_version);
			serviceentry_free(se);
			entries++;
		}
		json_doc_free(doc);
		line += l + 1;
	}
	ck_assert_uint_ge(events, 4);
	ck_assert_uint_ge(entries, 3);
}
END_TEST

START_TEST(test_rules)
{
	char err[256];
	struct serviceentry *se;
	/* /32 and /128 are single addresses (istiocoredns dropped them) */
	se = decode(
		"{\"metadata\":{\"namespace\":\"n\",\"name\":\"a\"},\"spec\":{\"hosts\":[\"A.N.Global.\"],"
		"\"addresses\":[\"10.0.0.1/32\",\"2001:db8::1/128\",\"10.0.0.1\",\"bogus\",7]}}",
		0, err, sizeof(err));
	ck_assert_str_eq(se->hosts[0], "a.n.global");
	ck_assert_uint_eq(se->addresses_count, 2); /* duplicate folded, junk skipped */
	ck_assert_uint_eq(se->drops.count, 2);
	serviceentry_free(se);
	/* no spec.addresses: Istio's auto-allocated status.addresses */
	se = decode(
		"{\"metadata\":{\"namespace\":\"n\",\"name\":\"b\"},\"spec\":{\"hosts\":[\"b.n.global\"]},"
		"\"status\":{\"addresses\":[{\"value\":\"240.240.0.7\",\"host\":\"b.n.global\"}]}}",
		0, err, sizeof(err));
	ck_assert_uint_eq(se->addresses_count, 1);
	ck_assert_uint_eq(se->addresses[0].addr[3], 7);
	serviceentry_free(se);
	/* one bad host among good ones is dropped; bad port numbers too */
	se = decode("{\"metadata\":{\"namespace\":\"n\",\"name\":\"c\"},\"spec\":{\"hosts\":[\"bad "
		    "host\",\"c.n.global\"],"
		    "\"ports\":[{\"number\":70000,\"name\":\"x\"},{\"number\":80,\"name\":\"http\","
		    "\"protocol\":\"HTTP\"}]}}",
		    0, err, sizeof(err));
	ck_assert_uint_eq(se->hosts_count, 1);
	ck_assert_uint_eq(se->ports_count, 1);
	ck_assert_str_eq(se->ports[0].protocol, "http");
	serviceentry_free(se);
	/* structurally broken entries are refused with namespace/name */
	decode("{\"metadata\":{\"namespace\":\"n\",\"name\":\"d\"},\"spec\":{\"hosts\":\"d.n.global\"}}",
	       DNSD_EPARSE, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "n/d: spec.hosts is not an array"));
	decode("{\"metadata\":{\"namespace\":\"n\",\"name\":\"e\"},\"spec\":[]}", DNSD_EPARSE, err,
	       sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "n/e"));
	decode("{\"metadata\":{\"name\":\"f\"},\"spec\":{\"hosts\":[\"f.global\"]}}", DNSD_EPARSE, err,
	       sizeof(err));
	decode("{\"metadata\":{\"namespace\":\"n\",\"name\":\"g\"},\"spec\":{\"hosts\":[\"..\",\"\"]}}",
	       DNSD_EPARSE, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "no valid host"));
}
END_TEST

struct collected {
	char lines[32][2400];
	size_t count;
};

static void collect(void *ctx, const uint8_t *owner, uint16_t type, uint32_t ttl_s, const uint8_t *rdata,
		    uint16_t rdlen)
{
	struct collected *c = ctx;
	char name[DNAME_MAX_TEXT], data[DNAME_MAX_TEXT] = "";
	dname_to_text(name, sizeof(name), owner);
	if (type == WIRE_TYPE_A)
		inet_ntop(AF_INET, rdata, data, sizeof(data));
	else if (type == WIRE_TYPE_AAAA)
		inet_ntop(AF_INET6, rdata, data, sizeof(data));
	else if (type == WIRE_TYPE_SRV) {
		char target[256];
		dname_to_text(target, sizeof(target), rdata + 6); /* test names are short */
		snprintf(data, sizeof(data), "%u %u %u %s", wire_read_u16(rdata), wire_read_u16(rdata + 2),
			 wire_read_u16(rdata + 4), target);
	} else if (type == WIRE_TYPE_PTR)
		dname_to_text(data, sizeof(data), rdata);
	(void)rdlen;
	ck_assert_uint_lt(c->count, 32);
	snprintf(c->lines[c->count++], sizeof(c->lines[0]), "%s %u %u %s", name, ttl_s, type, data);
}

START_TEST(test_records)
{
	char err[256];
	struct serviceentry *se = decode(
		"{\"metadata\":{\"namespace\":\"default\",\"name\":\"messenger\"},\"spec\":{"
		"\"hosts\":[\"messenger.default.global\",\"other.example.com\",\"*.wild.global\"],"
		"\"addresses\":[\"127.127.42.69\",\"2001:db8::69\"],"
		"\"ports\":[{\"number\":3000,\"name\":\"http1\",\"protocol\":\"HTTP\"}]}}",
		0, err, sizeof(err));
	uint8_t apex[DNAME_MAX_LEN];
	dname_from_text(apex, "global");
	struct collected c = { .count = 0 };
	se_zone_records(se, apex, 30, collect, &c);
	ck_assert_uint_eq(c.count, 5);
	ck_assert_str_eq(c.lines[0], "messenger.default.global. 30 1 127.127.42.69");
	ck_assert_str_eq(c.lines[1], "messenger.default.global. 30 28 2001:db8::69");
	ck_assert_str_eq(c.lines[2],
			 "_http1._tcp.messenger.default.global. 30 33 0 0 3000 messenger.default.global.");
	ck_assert_str_eq(c.lines[3], "*.wild.global. 30 1 127.127.42.69"); /* RFC 4592 wildcard, no SRV */
	ck_assert_str_eq(c.lines[4], "*.wild.global. 30 28 2001:db8::69");
	/* reverse zones get PTRs */
	dname_from_text(apex, "127.in-addr.arpa");
	c.count = 0;
	se_zone_records(se, apex, 30, collect, &c);
	ck_assert_uint_eq(c.count, 2);
	ck_assert_str_eq(c.lines[0], "69.42.127.127.in-addr.arpa. 30 12 messenger.default.global.");
	ck_assert_str_eq(c.lines[1], "69.42.127.127.in-addr.arpa. 30 12 other.example.com.");
	dname_from_text(apex, "8.b.d.0.1.0.0.2.ip6.arpa");
	c.count = 0;
	se_zone_records(se, apex, 30, collect, &c);
	ck_assert_uint_eq(c.count, 2);
	ck_assert_ptr_nonnull(strstr(
		c.lines[0], "9.6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."));
	serviceentry_free(se);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("serviceentry");
	TCase *tc = tcase_create("serviceentry");
	tcase_add_test(tc, test_fixture_list);
	tcase_add_test(tc, test_watch_events_fixture);
	tcase_add_test(tc, test_rules);
	tcase_add_test(tc, test_records);
	suite_add_tcase(s, tc);
	return s;
}
