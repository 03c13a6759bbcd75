/* SPDX-License-Identifier: BSD-3-Clause
 * xfr_policy.h - who may transfer which zone, and whom to NOTIFY: the TSIG
 * keys, each view's keys (a transfer signed with a key is served from the
 * view that lists it, as BIND's match-clients { key k; }), and per view and
 * zone the allow-transfer list (prefixes and key names; loopback only when
 * none is configured) and the notify targets. Built from the configuration
 * once per load, immutable afterwards, and carried by the snapshot it was
 * built with, so that view indexes always agree. Reference-counted. */
#ifndef DNSD_XFR_POLICY_H
#define DNSD_XFR_POLICY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf/config.h"
#include "dns/tsig.h"

struct xfr_notify_target {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int key;       /* index into keys, -1 = unsigned */
	char text[64]; /* as configured, for logs */
};

struct xfr_zone_policy {
	size_t view;
	uint8_t apex[DNAME_MAX_LEN]; /* lower case */
	uint8_t apex_len;
	bool is_default_allow; /* no allow-transfer: loopback only */
	struct config_prefix *allow;
	size_t allow_count;
	int *allow_keys; /* key indexes */
	size_t allow_key_count;
	struct xfr_notify_target *notify;
	size_t notify_count;
};

struct xfr_policy {
	_Atomic unsigned refs;
	struct tsig_key *keys;
	size_t key_count;
	size_t view_count;
	int **view_keys; /* per view: key indexes that select it */
	size_t *view_key_count;
	struct xfr_zone_policy *zones;
	size_t zone_count;
	size_t journal_limit_bytes;
};

/* An empty policy for view_count views (every zone: loopback may transfer,
 * nobody is notified). NULL when out of memory. */
struct xfr_policy *xfr_policy_new(size_t view_count, size_t journal_limit_bytes);
void xfr_policy_ref(struct xfr_policy *p);
void xfr_policy_unref(struct xfr_policy *p);

/* Builders, for the loader: 0, DNSD_EEXIST (a second key by that name),
 * DNSD_ENOENT (an unknown key name) or DNSD_ENOMEM. */
int xfr_policy_add_key(struct xfr_policy *p, const struct tsig_key *key);
int xfr_policy_add_view_key(struct xfr_policy *p, size_t view, const char *key_name);
/* The zone's entry in a view, created empty (default allow) if absent. */
struct xfr_zone_policy *xfr_policy_zone_add(struct xfr_policy *p, size_t view, const uint8_t *apex);
/* "10.0.0.0/8", "::1", "key xfr-a". */
int xfr_policy_zone_allow(struct xfr_policy *p, struct xfr_zone_policy *z, const char *entry);
/* "127.0.0.1:5300" or "127.0.0.1:5300 key xfr-a". */
int xfr_policy_zone_notify(struct xfr_policy *p, struct xfr_zone_policy *z, const char *entry);

/* The policy of a configuration, for the views of the table built from it
 * (view_table_new(cfg)). NULL with "file:line: reason" in err. */
struct view_table;
struct xfr_policy *xfr_policy_from_config(const struct config *cfg, const struct view_table *views, char *err,
					  size_t errlen);

/* Lookups, from any thread. */
int xfr_policy_find_key(const struct xfr_policy *p, const uint8_t *name, size_t len);
/* The first view listing key, or -1. */
int xfr_policy_view_for_key(const struct xfr_policy *p, int key);
/* Does view v have keys of its own (then unsigned transfers do not select it)? */
bool xfr_policy_view_has_keys(const struct xfr_policy *p, size_t view);
const struct xfr_zone_policy *xfr_policy_zone(const struct xfr_policy *p, size_t view, const uint8_t *apex,
					      size_t apex_len);
/* May client (key: verified key index or -1) transfer the zone? z NULL
 * means no policy entry: the default, loopback only. */
bool xfr_policy_allows(const struct xfr_zone_policy *z, const struct sockaddr *client, int key);

#endif
