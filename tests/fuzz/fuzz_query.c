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
#include "zone/zone_build.h"
#include "zone/zonefile.h"

static struct snapshot *snap;

static void init(void)
{
	uint8_t apex[DNAME_MAX_LEN];
	char err[256];
	dname_from_text(apex, "global");
	struct zone_build *b = zone_build_new(apex, 30);
	const char *path = getenv("FUZZ_ZONE") ? getenv("FUZZ_ZONE") : "tests/data/zones/unit.zone";
	if (zonefile_load(b, path, 30, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_query: %s\n", err);
		abort();
	}
	struct zone *z = zone_build_freeze(b, err, sizeof(err));
	if (!z)
		abort();
	struct config_prefix p = { .family = AF_INET, .addr = { 10, 2, 0, 0 }, .len = 16 };
	struct config_view cv[2] = {
		{ .name = "ecs", .match_clients = &p, .match_clients_count = 1 },
		{ .name = "default" },
	};
	struct config cfg = { .views = cv, .views_count = 2 };
	struct view_table *views = view_table_new(&cfg);
	struct snapshot_settings st = { .udp_payload_max = 1232, .is_chaos_enabled = true };
	snap = snapshot_new(views, &st);
	view_table_unref(views);
	snap->sets[0] = zone_set_new(&z, 1);
	snap->sets[1] = zone_set_new(&z, 1);
	zone_unref(z);
	zone_build_free(b);
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
