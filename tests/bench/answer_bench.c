/* SPDX-License-Identifier: BSD-3-Clause
 * answer_bench.c - answer_query() on one query, N times, against
 * tests/data/zones/unit.zone: for instruction counts per query under
 * callgrind (deterministic, unlike timings on a shared machine):
 *   valgrind --tool=callgrind --toggle-collect=answer_query \
 *     build/release/answer_bench KIND 100000
 * KIND: a (A, no EDNS), a-edns (A with an empty OPT), nx-edns (NXDOMAIN),
 * refused-edns (outside every zone), cookie (A with a client cookie),
 * keepalive (A over TCP with edns-tcp-keepalive). Builds against
 * libdnsd.a: cc -Idnsd tests/bench/answer_bench.c build/release/libdnsd.a ... */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/answer.h"
#include "../unit/unit_query.h"
#include "zone/zone_build.h"
#include "zone/zonefile.h"


int main(int argc, char **argv)
{
	const char *kind = argc > 1 ? argv[1] : "a";
	long n = argc > 2 ? atol(argv[2]) : 100000;
	uint8_t apex[DNAME_MAX_LEN];
	char err[256];
	dname_from_text(apex, "global");
	struct zone_build *b = zone_build_new(apex, 30);
	if (zonefile_load(b, "tests/data/zones/unit.zone", 30, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct zone *z = zone_build_freeze(b, err, sizeof(err));
	struct config cfg = { 0 };
	struct snapshot_settings st = { .udp_payload_max = 1232 };
	struct snapshot *s = unit_snapshot_of(&cfg, &st, z);
	if (!s)
		abort();
	static const uint8_t cookie[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t keepalive[] = { 0, 11, 0, 0 };
	uint8_t q[512];
	size_t len;
	bool is_tcp = false;
	if (strcmp(kind, "a") == 0)
		len = unit_query(q, "messenger.default.global", WIRE_TYPE_A, 0, NULL, 0);
	else if (strcmp(kind, "a-edns") == 0)
		len = unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, NULL, 0);
	else if (strcmp(kind, "nx-edns") == 0)
		len = unit_query(q, "nope.global", WIRE_TYPE_A, 1232, NULL, 0);
	else if (strcmp(kind, "refused-edns") == 0)
		len = unit_query(q, "example.org", WIRE_TYPE_A, 1232, NULL, 0);
	else if (strcmp(kind, "cookie") == 0)
		len = unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, cookie, sizeof(cookie));
	else if (strcmp(kind, "keepalive") == 0) {
		len = unit_query(q, "messenger.default.global", WIRE_TYPE_A, 1232, keepalive, sizeof(keepalive));
		is_tcp = true;
	} else {
		fprintf(stderr, "unknown kind %s\n", kind);
		return 2;
	}
	struct sockaddr_in cl = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7F000001) };
	struct answer_request req = {
		.pkt = q, .len = len, .is_tcp = is_tcp, .client = (struct sockaddr *)&cl, .local = (struct sockaddr *)&cl
	};
	static uint8_t out[65535];
	struct answer_info info;
	size_t total = 0;
	for (long i = 0; i < n; i++)
		total += answer_query(s, &req, out, is_tcp ? sizeof(out) : 4096, &info);
	printf("%s: %ld queries, %zu bytes each, rcode %u\n", kind, n, n ? total / (size_t)n : 0, info.rcode);
	snapshot_free(s);
	zone_unref(z);
	zone_build_free(b);
	return 0;
}
