/* SPDX-License-Identifier: BSD-3-Clause
 * fuzz_transfer.c - the primary's request handling (server/transfer.c) on
 * arbitrary bytes: TSIG parsing and verification with two keys, view choice
 * by key, allow-transfer, the IXFR authority SOA, and every message of the
 * resulting AXFR/IXFR stream, over UDP and TCP, against the fixture zone
 * tests/data/zones/unit.zone. Every reply must fit its buffer and every
 * stream must end. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "dns/tsig.h"
#include "server/transfer.h"
#include "fuzz_fixture.h"

static struct snapshot *snap;

static void init(void)
{
	uint8_t apex[DNAME_MAX_LEN];
	struct snapshot_settings st = { .udp_payload_max = 1232 };
	snap = fuzz_fixture_snapshot("fuzz_transfer", "a", &st, apex);
	/* keys "xfr-a" (view a) and "xfr-b"; the secret of tsig_vectors.h */
	struct xfr_policy *pol = xfr_policy_new(2, 1 << 20);
	struct tsig_key k;
	static const char *secret = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
	if (!pol || tsig_key_init(&k, "xfr-a", "hmac-sha256", secret) != 0 ||
	    xfr_policy_add_key(pol, &k) != 0 || tsig_key_init(&k, "xfr-b", "hmac-sha512", secret) != 0 ||
	    xfr_policy_add_key(pol, &k) != 0 || xfr_policy_add_view_key(pol, 0, "xfr-a") != 0)
		abort();
	struct xfr_zone_policy *zp = xfr_policy_zone_add(pol, 0, apex);
	if (!zp || xfr_policy_zone_allow(pol, zp, "key xfr-a") != 0)
		abort();
	snap->xfr = pol;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535];
	if (!snap)
		init();
	struct sockaddr_in cl = { .sin_family = AF_INET,
				  .sin_port = htons(5353),
				  .sin_addr.s_addr = htonl(0x7F000001) };
	struct answer_request req = { .pkt = data,
				      .len = size,
				      .client = (struct sockaddr *)&cl,
				      .local = (struct sockaddr *)&cl };
	for (int tcp = 0; tcp < 2; tcp++) {
		req.is_tcp = tcp;
		size_t cap = tcp ? sizeof(out) : 4096;
		struct answer_info info;
		size_t len = answer_query(snap, &req, out, cap, &info);
		if (!info.is_transfer)
			continue;
		struct transfer *t = NULL;
		len = 0;
		enum transfer_verdict v = transfer_begin(snap, snap->xfr, &req, out, cap, &len, &t, &info);
		if (len > cap)
			abort();
		if (v != TRANSFER_STREAM)
			continue;
		for (unsigned i = 0; i < 100000; i++) {
			size_t n = transfer_next(t, out, sizeof(out));
			if (n > sizeof(out))
				abort();
			if (n == 0)
				break;
		}
		if (!transfer_is_done(t))
			abort();
		transfer_free(t);
	}
	return 0;
}
