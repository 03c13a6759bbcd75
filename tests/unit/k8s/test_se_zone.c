/* SPDX-License-Identifier: BSD-3-Clause
 * test_se_zone.c - ServiceEntry JSON -> records, the mapping the issue
 * fixed: every Istio protocol's SRV owner (a table), addresses that belong
 * to their host (status.addresses[].host), the source's verdicts
 * (host_is_served) and their drops (se_policy_judge). */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "dns/wire.h"
#include "k8s/json.h"
#include "k8s/se_policy.h"
#include "k8s/se_zone.h"
#include "k8s/serviceentry.h"
#include "util/err.h"

static struct serviceentry *decode(const char *text, int want_rc)
{
	struct json_doc *doc;
	struct json_error jerr;
	ck_assert_msg(json_parse(text, strlen(text), &doc, &jerr) == 0, "%s", jerr.msg);
	struct serviceentry *se = NULL;
	char err[256];
	int rc = serviceentry_from_json(json_doc_root(doc), &se, err, sizeof(err));
	ck_assert_msg(rc == want_rc, "rc %d, want %d (%s)", rc, want_rc, err);
	json_doc_free(doc);
	return se;
}

struct collected {
	char lines[64][1000];
	size_t count;
};

static void collect(void *ctx, const uint8_t *owner, uint16_t type, uint32_t ttl_s, const uint8_t *rdata,
		    uint16_t rdlen)
{
	struct collected *c = ctx;
	char name[256], data[600] = "";
	dname_to_text(name, sizeof(name), owner);
	if (type == WIRE_TYPE_A)
		inet_ntop(AF_INET, rdata, data, sizeof(data));
	else if (type == WIRE_TYPE_AAAA)
		inet_ntop(AF_INET6, rdata, data, sizeof(data));
	else if (type == WIRE_TYPE_SRV) {
		char target[256]; /* test names are short */
		dname_to_text(target, sizeof(target), rdata + 6);
		snprintf(data, sizeof(data), "%u %u %u %s", wire_read_u16(rdata), wire_read_u16(rdata + 2),
			 wire_read_u16(rdata + 4), target);
	} else if (type == WIRE_TYPE_PTR) {
		dname_to_text(data, sizeof(data), rdata);
	}
	(void)rdlen;
	(void)ttl_s;
	ck_assert_uint_lt(c->count, 64);
	snprintf(c->lines[c->count++], sizeof(c->lines[0]), "%s %s %s",
		 type == WIRE_TYPE_A      ? "A"
		 : type == WIRE_TYPE_AAAA ? "AAAA"
		 : type == WIRE_TYPE_SRV  ? "SRV"
					  : "PTR",
		 name, data);
}

static bool has_line(const struct collected *c, const char *want)
{
	for (size_t i = 0; i < c->count; i++)
		if (strcmp(c->lines[i], want) == 0)
			return true;
	return false;
}

static struct collected records(const struct serviceentry *se, const char *apex_text)
{
	uint8_t apex[DNAME_MAX_LEN];
	ck_assert_int_gt(dname_from_text(apex, apex_text), 0);
	struct collected c = { .count = 0 };
	se_zone_records(se, apex, 30, collect, &c);
	return c;
}

/* Istio protocol (as manifests spell it) -> the SRV owner's transport label. */
static const struct {
	const char *protocol;
	const char *transport;
} table[] = {
	{ "HTTP", "_tcp" },     { "HTTPS", "_tcp" }, { "HTTP2", "_tcp" }, { "GRPC", "_tcp" },
	{ "GRPC-WEB", "_tcp" }, { "TLS", "_tcp" },   { "TCP", "_tcp" },   { "MONGO", "_tcp" },
	{ "MYSQL", "_tcp" },    { "REDIS", "_tcp" }, { "UDP", "_udp" },   { "udp", "_udp" },
	{ "http", "_tcp" },     { "", "_tcp" },
};

START_TEST(test_srv_owner_per_protocol)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text),
			 "{\"metadata\":{\"namespace\":\"default\",\"name\":\"m\"},\"spec\":{"
			 "\"hosts\":[\"messenger.default.global\"],\"addresses\":[\"240.0.0.1\"],"
			 "\"ports\":[{\"number\":3000,\"name\":\"p%zu\"%s%s%s}]}}",
			 i, table[i].protocol[0] ? ",\"protocol\":\"" : "", table[i].protocol,
			 table[i].protocol[0] ? "\"" : "");
		struct serviceentry *se = decode(text, 0);
		struct collected c = records(se, "global");
		char want[256];
		snprintf(want, sizeof(want),
			 "SRV _p%zu.%s.messenger.default.global. 0 0 3000 messenger.default.global.", i,
			 table[i].transport);
		ck_assert_msg(has_line(&c, want), "%s: no '%s' (first: %s)", table[i].protocol, want,
			      c.count > 1 ? c.lines[1] : "-");
		ck_assert_uint_eq(c.count, 2); /* the A and the SRV, nothing else */
		serviceentry_free(se);
	}
}
END_TEST

START_TEST(test_port_names_and_numbers)
{
	struct serviceentry *se = decode(
		"{\"metadata\":{\"namespace\":\"default\",\"name\":\"m\"},\"spec\":{"
		"\"hosts\":[\"m.default.global\"],\"addresses\":[\"240.0.0.1\"],"
		"\"ports\":[{\"number\":80,\"name\":\"HTTP_X\",\"protocol\":\"HTTP\"},{\"number\":70000,"
		"\"name\":\"big\"},"
		"{\"number\":81,\"name\":\"ok\",\"protocol\":\"HTTP\"},{\"number\":82}]}}",
		0);
	ck_assert_uint_eq(se->ports_count, 1);
	ck_assert_str_eq(se->ports[0].name, "ok");
	ck_assert_uint_eq(se->drops.count, 3);
	ck_assert_int_eq(se->drops.items[0].reason, SE_DROP_PORT_NAME);
	ck_assert_str_eq(se->drops.items[0].field, "spec.ports[0].name");
	ck_assert_str_eq(se->drops.items[0].value, "HTTP_X");
	ck_assert_int_eq(se->drops.items[1].reason, SE_DROP_PORT_RANGE);
	ck_assert_str_eq(se->drops.items[1].field, "spec.ports[1].number");
	ck_assert_str_eq(se->drops.items[1].value, "70000");
	ck_assert_int_eq(se->drops.items[2].reason, SE_DROP_PORT_NAME); /* no name at all */
	ck_assert_str_eq(se->drops.items[2].value, "(absent)");
	struct collected c = records(se, "global");
	ck_assert_uint_eq(c.count, 2);
	ck_assert(has_line(&c, "SRV _ok._tcp.m.default.global. 0 0 81 m.default.global."));
	serviceentry_free(se);
}
END_TEST

START_TEST(test_status_addresses_per_host)
{
	struct serviceentry *se = decode(
		"{\"metadata\":{\"namespace\":\"default\",\"name\":\"multi\",\"generation\":3},\"spec\":{"
		"\"hosts\":[\"a.default.global\",\"B.default.global\",\"c.default.global\"]},"
		"\"status\":{\"addresses\":[{\"host\":\"a.default.global\",\"value\":\"240.240.0.5\"},"
		"{\"host\":\"b.default.global.\",\"value\":\"240.240.0.6\"},{\"host\":\"b.default.global\","
		"\"value\":\"2001:db8::6\"},"
		"{\"value\":\"240.240.0.9\"},{\"host\":\"zzz.default.global\",\"value\":\"240.240.0.99\"},"
		"{\"host\":\"a.default.global\",\"value\":\"240.240.0.0/24\"}]}}",
		0);
	ck_assert_int_eq(se->generation, 3);
	struct collected c = records(se, "global");
	ck_assert_uint_eq(c.count, 6);
	ck_assert(has_line(&c, "A a.default.global. 240.240.0.5"));
	ck_assert(has_line(&c, "A a.default.global. 240.240.0.9"));
	ck_assert(has_line(&c, "A b.default.global. 240.240.0.6"));
	ck_assert(has_line(&c, "AAAA b.default.global. 2001:db8::6"));
	ck_assert(has_line(&c, "A b.default.global. 240.240.0.9"));
	ck_assert(has_line(&c, "A c.default.global. 240.240.0.9"));
	ck_assert(!has_line(&c, "A a.default.global. 240.240.0.6"));
	ck_assert(!has_line(&c, "A c.default.global. 240.240.0.5"));
	/* the drops: a host that is not the entry's, a range for host a */
	ck_assert_uint_eq(se->drops.count, 2);
	ck_assert_int_eq(se->drops.items[0].reason, SE_DROP_ADDRESS_HOST);
	ck_assert_str_eq(se->drops.items[0].field, "status.addresses[4].host");
	ck_assert_str_eq(se->drops.items[0].host, "zzz.default.global");
	ck_assert_int_eq(se->drops.items[1].reason, SE_DROP_CIDR);
	ck_assert_str_eq(se->drops.items[1].field, "status.addresses[5].value");
	ck_assert_str_eq(se->drops.items[1].host, "a.default.global");
	/* PTRs follow the addresses' hosts too */
	c = records(se, "240.in-addr.arpa");
	ck_assert(has_line(&c, "PTR 5.0.240.240.in-addr.arpa. a.default.global."));
	ck_assert(!has_line(&c, "PTR 5.0.240.240.in-addr.arpa. b.default.global."));
	ck_assert(has_line(&c, "PTR 9.0.240.240.in-addr.arpa. c.default.global."));
	serviceentry_free(se);
	/* spec.addresses wins: status is not read at all */
	se = decode("{\"metadata\":{\"namespace\":\"n\",\"name\":\"b\"},\"spec\":{\"hosts\":[\"b.n.global\"],"
		    "\"addresses\":[\"240.1.1.1\"]},\"status\":{\"addresses\":[{\"host\":\"b.n.global\","
		    "\"value\":\"240.9.9.9\"}]}}",
		    0);
	c = records(se, "global");
	ck_assert_uint_eq(c.count, 1);
	ck_assert_str_eq(c.lines[0], "A b.n.global. 240.1.1.1");
	serviceentry_free(se);
}
END_TEST

START_TEST(test_hosts_and_malformed)
{
	struct serviceentry *se = decode("{\"metadata\":{\"namespace\":\"default\",\"name\":\"h\"},\"spec\":{"
					 "\"hosts\":[\"ok.default.global\",\"*\",\"Not A "
					 "Host\",7],\"addresses\":[\"240.0.0.1\",\"10.0.0.0/8\",true]}}",
					 0);
	ck_assert_uint_eq(se->hosts_count, 1);
	ck_assert_uint_eq(se->host_fields[0], 0);
	ck_assert_uint_eq(se->drops.count, 5);
	ck_assert_int_eq(se->drops.items[0].reason, SE_DROP_WILDCARD_HOST);
	ck_assert_int_eq(se->drops.items[1].reason, SE_DROP_BAD_HOST);
	ck_assert_str_eq(se->drops.items[1].value, "Not A Host");
	ck_assert_int_eq(se->drops.items[2].reason, SE_DROP_BAD_HOST);
	ck_assert_str_eq(se->drops.items[2].value, "7");
	ck_assert_int_eq(se->drops.items[3].reason, SE_DROP_CIDR);
	ck_assert_int_eq(se->drops.items[4].reason, SE_DROP_BAD_ADDRESS);
	ck_assert_str_eq(se->drops.items[4].field, "spec.addresses[2]");
	serviceentry_free(se);
	/* unusable as a whole: a stand-in that holds the reason */
	se = decode("{\"metadata\":{\"namespace\":\"n\",\"name\":\"d\",\"resourceVersion\":\"9\"},\"spec\":{"
		    "\"hosts\":\"d.n.global\"}}",
		    DNSD_EPARSE);
	ck_assert_ptr_nonnull(se);
	ck_assert(se->is_malformed);
	ck_assert_uint_eq(se->hosts_count, 0);
	ck_assert_str_eq(se->resource_version, "9");
	ck_assert_uint_eq(se->drops.count, 1);
	ck_assert_int_eq(se->drops.items[0].reason, SE_DROP_MALFORMED);
	ck_assert_str_eq(se->drops.items[0].field, "spec.hosts");
	struct collected c = records(se, "global");
	ck_assert_uint_eq(c.count, 0);
	serviceentry_free(se);
	/* without a name there is nothing to hold */
	ck_assert_ptr_null(decode("{\"metadata\":{},\"spec\":{\"hosts\":[\"x.global\"]}}", DNSD_EPARSE));
}
END_TEST

START_TEST(test_judge)
{
	static const char *const trusted[] = { "admiral-sync" };
	struct se_policy p = { .host = SE_HOST_POLICY_NAMESPACE,
			       .trusted_namespaces = trusted,
			       .trusted_count = 1,
			       .export_to = SE_EXPORT_REQUIRE_ALL };
	uint8_t global[DNAME_MAX_LEN], rev[DNAME_MAX_LEN];
	dname_from_text(global, "global");
	dname_from_text(rev, "240.in-addr.arpa");
	const uint8_t *apexes[] = { rev, global };
	struct serviceentry *se = decode(
		"{\"metadata\":{\"namespace\":\"sandbox\",\"name\":\"pay\"},\"spec\":{"
		"\"hosts\":[\"payments.prod.global\",\"box.sandbox.global\",\"x.example.com\"],\"addresses\":"
		"[\"240.0.1.1\"]}}",
		0);
	ck_assert_int_eq(se_policy_judge(&p, se, apexes, 2), 0);
	ck_assert(!se->host_is_served[0]);
	ck_assert(se->host_is_served[1]);
	ck_assert(!se->host_is_served[2]);
	ck_assert_uint_eq(se->verdict_drops.count, 2);
	ck_assert_int_eq(se->verdict_drops.items[0].reason, SE_DROP_HOST_POLICY);
	ck_assert_str_eq(se->verdict_drops.items[0].field, "spec.hosts[0]");
	ck_assert_str_eq(se->verdict_drops.items[0].host, "payments.prod.global");
	ck_assert_msg(strstr(se->verdict_drops.items[0].message, "belongs to namespace prod") != NULL, "%s",
		      se->verdict_drops.items[0].message);
	ck_assert_int_eq(se->verdict_drops.items[1].reason, SE_DROP_OUT_OF_ZONE);
	struct collected c = records(se, "global");
	ck_assert_uint_eq(c.count, 1);
	ck_assert_str_eq(c.lines[0], "A box.sandbox.global. 240.0.1.1");
	c = records(se, "240.in-addr.arpa"); /* no PTR to a refused host either */
	ck_assert_uint_eq(c.count, 1);
	ck_assert_str_eq(c.lines[0], "PTR 1.1.0.240.in-addr.arpa. box.sandbox.global.");
	/* judged again under another policy: verdicts replaced, not added */
	struct se_policy any = { .host = SE_HOST_POLICY_ANY };
	ck_assert_int_eq(se_policy_judge(&any, se, apexes, 2), 0);
	ck_assert(se->host_is_served[0]);
	ck_assert_uint_eq(se->verdict_drops.count, 1); /* still out of zone */
	serviceentry_free(se);
	/* exportTo ["."]: the whole entry */
	se = decode(
		"{\"metadata\":{\"namespace\":\"dot\",\"name\":\"p\"},\"spec\":{\"hosts\":[\"p.dot.global\"],"
		"\"exportTo\":[\".\"],\"addresses\":[\"240.0.4.1\"]}}",
		0);
	ck_assert_int_eq(se_policy_judge(&p, se, apexes, 2), 0);
	ck_assert(!se->host_is_served[0]);
	ck_assert_uint_eq(se->verdict_drops.count, 1);
	ck_assert_int_eq(se->verdict_drops.items[0].reason, SE_DROP_EXPORT_TO);
	ck_assert_str_eq(se->verdict_drops.items[0].value, "[\".\"]");
	ck_assert_uint_eq(records(se, "global").count, 0);
	struct se_policy ignore = p;
	ignore.export_to = SE_EXPORT_IGNORE;
	ck_assert_int_eq(se_policy_judge(&ignore, se, apexes, 2), 0);
	ck_assert(se->host_is_served[0]);
	ck_assert_uint_eq(records(se, "global").count, 1);
	serviceentry_free(se);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("se_zone");
	TCase *tc = tcase_create("mapping");
	tcase_add_test(tc, test_srv_owner_per_protocol);
	tcase_add_test(tc, test_port_names_and_numbers);
	tcase_add_test(tc, test_status_addresses_per_host);
	tcase_add_test(tc, test_hosts_and_malformed);
	tcase_add_test(tc, test_judge);
	suite_add_tcase(s, tc);
	return s;
}
