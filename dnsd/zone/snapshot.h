/* SPDX-License-Identifier: BSD-3-Clause
 * snapshot.h - what the query path reads: the views, one zone set per view
 * and the settings that travel with a reload, immutable once published.
 * Made here (or by hand, in tests); once published, only publish.c swaps or
 * frees one. */
#ifndef DNSD_SNAPSHOT_H
#define DNSD_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "dns/cookie.h"
#include "zone/view.h"
#include "zone/xfr_policy.h"
#include "zone/zone.h"

#define SNAPSHOT_COOKIE_ALLOW_MAX CONFIG_COOKIE_ALLOW_MAX

/* Query-path settings that change with a reload travel with the snapshot. */
struct snapshot_settings {
	uint16_t udp_payload_max;
	bool is_chaos_enabled;
	bool is_query_log;
	bool is_nsid_enabled;      /* nsid: answer RFC 5001 NSID with identity */
	bool is_id_server_enabled; /* id-server: CH TXT id.server / hostname.bind */
	uint8_t identity_len;
	uint8_t identity[255]; /* identity:, else $HOSTNAME, else the host name */
	/* DNS Cookies (RFC 7873, RFC 9018): the secrets (cookie-secret-file:,
	 * else the one generated at start), and cookie-require: with its
	 * cookie-allow: prefixes (first match decides; "!" excludes) */
	struct cookie_secrets cookie_secrets;
	bool is_cookie_required;
	uint8_t cookie_allow_count;
	struct config_prefix cookie_allow[SNAPSHOT_COOKIE_ALLOW_MAX];
};

struct snapshot {
	struct view_table *views; /* one reference held */
	struct xfr_policy *xfr;   /* transfer access and keys (xfr_policy.h); one reference, or NULL */
	struct snapshot_settings settings;
	uint64_t generation; /* set by publish_swap(): 1, 2, ... */
	size_t view_count;
	struct zone_set *sets[]; /* one per view; owned; NULL serves nothing */
};

/* A new snapshot with no zone sets yet (the caller fills sets[]); takes a
 * reference to views. NULL when out of memory. */
struct snapshot *snapshot_new(struct view_table *views, const struct snapshot_settings *settings);
/* Frees the zone sets and drops the views reference; accepts NULL. Only for
 * a snapshot that was never published: publish.c frees published ones. */
void snapshot_free(struct snapshot *s);

/* Writes into out (room for zones_max) the zones view serves, in the order
 * zone_set_find() should see them, and returns how many; borrowed. */
typedef size_t snapshot_zones_fn(void *ctx, size_t view, struct zone **out);

/* A snapshot of views with cfg's query-path settings whose view v serves
 * what zones_of(ctx, v, ...) names (at most zones_max zones a view). The
 * caller publishes or frees it; NULL with err when out of memory. */
struct snapshot *snapshot_assemble(const struct config *cfg, struct view_table *views, size_t zones_max,
				   snapshot_zones_fn *zones_of, void *ctx, char *err, size_t errlen);

#endif
