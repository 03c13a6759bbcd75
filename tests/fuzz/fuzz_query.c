/* SPDX-License-Identifier: BSD-3-Clause
 * fuzz_query.c - the whole query path (wire parse, view choice, lookup,
 * response assembly) on arbitrary bytes, over UDP and TCP limits, against the
 * fixture zone tests/data/zones/unit.zone with two views (one by ECS), with
 * cookie-require off and on (DNS Cookies, edns-tcp-keepalive and Extended
 * DNS Errors all on the path). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "query/answer.h"
#include "fuzz_fixture.h"

static struct snapshot *snap;

static void init(void)
{
	uint8_t apex[DNAME_MAX_LEN];
	struct snapshot_settings st = { .udp_payload_max = 1232, .is_chaos_enabled = true };
	snap = fuzz_fixture_snapshot("fuzz_query", "ecs", &st, apex);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535];
	if (!snap)
		init();
	struct sockaddr_in cl = { .sin_family = AF_INET,
				  .sin_port = htons(5353),
				  .sin_addr.s_addr = htonl(0x7F00000B) };
	struct answer_request req = { .pkt = data,
				      .len = size,
				      .client = (struct sockaddr *)&cl,
				      .local = (struct sockaddr *)&cl,
				      .now_s = 1700000000,
				      .tcp_idle_timeout_ms = 10000 };
	struct answer_info info;
	size_t n = answer_query(snap, &req, out, 4096, &info);
	if (n > 4096)
		abort();
	/* the same over UDP with cookie-require on (a client outside the
	 * allowlist): TC or BADCOOKIE must fit the same limits */
	snap->settings.is_cookie_required = true;
	n = answer_query(snap, &req, out, 4096, &info);
	snap->settings.is_cookie_required = false;
	if (n > 4096 || (n && info.query.has_opt && n > 1232 && n > info.query.udp_size))
		abort();
	req.is_tcp = true;
	n = answer_query(snap, &req, out, sizeof(out), &info);
	if (n > sizeof(out))
		abort();
	return 0;
}
