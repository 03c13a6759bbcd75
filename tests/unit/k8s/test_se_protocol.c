/* SPDX-License-Identifier: BSD-3-Clause
 * test_se_protocol.c - the Istio protocol -> SRV transport table, port-name
 * validation and SRV owner names. */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "dns/dname.h"
#include "k8s/se_protocol.h"
#include "util/err.h"

/* Every protocol Istio's ServiceEntry documents, in the spellings seen in
 * manifests, and what RFC 2782 / the Kubernetes DNS spec call its transport. */
static const struct {
	const char *protocol;
	const char *label;
	bool is_known;
} table[] = {
	{ "HTTP", "_tcp", true },     { "http", "_tcp", true },       { "HTTPS", "_tcp", true },
	{ "HTTP2", "_tcp", true },    { "GRPC", "_tcp", true },       { "grpc", "_tcp", true },
	{ "GRPC-WEB", "_tcp", true }, { "TLS", "_tcp", true },        { "TCP", "_tcp", true },
	{ "tcp", "_tcp", true },      { "MONGO", "_tcp", true },      { "MYSQL", "_tcp", true },
	{ "REDIS", "_tcp", true },    { "HTTP_PROXY", "_tcp", true }, { "UDP", "_udp", true },
	{ "udp", "_udp", true },      { "Udp", "_udp", true },        { "", "_tcp", false },
	{ "SCTP", "_tcp", false },    { "QUIC", "_tcp", false },      { "UDPX", "_tcp", false },
};

START_TEST(test_protocol_table)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		bool known = !table[i].is_known;
		enum se_transport t = se_protocol_transport(table[i].protocol, &known);
		ck_assert_msg(strcmp(se_transport_label(t), table[i].label) == 0, "%s -> %s, want %s",
			      table[i].protocol, se_transport_label(t), table[i].label);
		ck_assert_msg(known == table[i].is_known, "%s: known %d", table[i].protocol, known);
	}
	ck_assert_str_eq(se_transport_label(se_protocol_transport(NULL, NULL)), "_tcp");
}
END_TEST

START_TEST(test_port_names)
{
	static const char *const
		good[] = { "http1",
			   "h",
			   "0",
			   "grpc-web",
			   "a-b-c",
			   "tcp-8080",
			   "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk" /* 63 */ };
	static const char *const bad[] = {
		"",
		"HTTP1",
		"Http",
		"http_1",
		"-http",
		"http-",
		"ht.tp",
		"ht tp",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl" /* 64 */,
		"h\xc3\xa9"
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(se_port_name_is_label(good[i]), "'%s' should be a label", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!se_port_name_is_label(bad[i]), "'%s' should not be a label", bad[i]);
	ck_assert(!se_port_name_is_label(NULL));
}
END_TEST

static void owner_text(const char *port, const char *proto, const char *host, int want_rc, const char *want)
{
	uint8_t h[DNAME_MAX_LEN], out[DNAME_MAX_LEN];
	int hl = dname_from_text(h, host);
	ck_assert_int_gt(hl, 0);
	int rc = se_protocol_srv_owner(out, port, proto, h, (size_t)hl);
	ck_assert_msg(rc == want_rc || (want_rc > 0 && rc > 0), "%s/%s: rc %d, want %d", port, proto, rc,
		      want_rc);
	if (rc > 0) {
		char text[DNAME_MAX_TEXT];
		ck_assert_int_gt(dname_to_text(text, sizeof(text), out), 0);
		ck_assert_str_eq(text, want);
		ck_assert_uint_eq(dname_len(out), (size_t)rc);
	}
}

START_TEST(test_srv_owner)
{
	owner_text("http1", "HTTP", "messenger.default.global", 1, "_http1._tcp.messenger.default.global.");
	owner_text("grpc", "GRPC-WEB", "a.b.global", 1, "_grpc._tcp.a.b.global.");
	owner_text("dns", "UDP", "dns.infra.global", 1, "_dns._udp.dns.infra.global.");
	owner_text("redis", "", "r.ns.global", 1, "_redis._tcp.r.ns.global.");
	owner_text("HTTP1", "HTTP", "m.default.global", DNSD_EINVAL, NULL);
	owner_text("", "HTTP", "m.default.global", DNSD_EINVAL, NULL);
	/* 63 octets is a label, but "_" + 63 is not */
	owner_text("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk", "TCP", "m.global",
		   DNSD_ERANGE, NULL);
	/* a host so long that the two extra labels push the owner over 255 */
	char host[300];
	strcpy(host, "");
	for (int i = 0; i < 4; i++)
		strcat(host, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	strcat(host, "global");
	owner_text("http", "HTTP", host, DNSD_ERANGE, NULL);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("se_protocol");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_protocol_table);
	tcase_add_test(tc, test_port_names);
	tcase_add_test(tc, test_srv_owner);
	suite_add_tcase(s, tc);
	return s;
}
