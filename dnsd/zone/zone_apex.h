/* SPDX-License-Identifier: BSD-3-Clause
 * zone_apex.h - the apex SOA and NS of a zone that has no zone file (or one
 * without SOA): from the zone's `nameservers:` or, when none are given,
 * synthesized from the addresses dnsd answers on, so that the apex NS always
 * names servers that resolve (README "Nameservers and the synthesized
 * apex"). Runs in the store's build step, never on the query path. */
#ifndef DNSD_ZONE_APEX_H
#define DNSD_ZONE_APEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "dns/dname.h"
#include "zone/zone_build.h"

/* SOA timers of a synthesized SOA: Zonemaster's recommendations (ZONE02,
 * ZONE04, ZONE05, ZONE06). The SOA's own TTL is the zone's ttl, so negative
 * answers are cached for min(TTL, MINIMUM) = ttl (RFC 2308 §5). */
#define ZONE_APEX_REFRESH_S 14400
#define ZONE_APEX_RETRY_S 3600
#define ZONE_APEX_EXPIRE_S 1209600
#define ZONE_APEX_MINIMUM_S 300
/* Most nameservers a zone lists (synthesized or given). */
#define ZONE_APEX_NS_MAX 16

struct zone_apex_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
};

struct zone_apex_ns {
	uint8_t name[DNAME_MAX_LEN];            /* lower-case wire form */
	const struct zone_apex_addr *addresses; /* borrowed */
	size_t address_count;
};

/* Checks a nameserver set against the zone at apex (lower-case wire form):
 * at least one, at most ZONE_APEX_NS_MAX, no name twice, addresses for every
 * name inside the zone (they are its glue) and none for names outside it
 * (dnsd cannot serve them). Returns 0, or DNSD_EINVAL with the reason in err
 * ("nameservers[1]: ns1.global. is inside zone global. and needs addresses"). */
int zone_apex_check(const uint8_t *apex, const struct zone_apex_ns *ns, size_t count, char *err,
		    size_t errlen);

/* Adds to b the apex NS RRset (the names, in order) and the A/AAAA of each
 * in-zone nameserver; then, when b has no SOA yet, the SOA: MNAME the first
 * nameserver, RNAME hostmaster.<apex> (hostmaster.<MNAME> when the apex has
 * fewer than two labels: the RNAME's mail domain needs a dot), the serial
 * given and the ZONE_APEX_* timers. All records have TTL ttl_s. The set must
 * have passed zone_apex_check(). Returns 0 or a dnsd_err from zone_build. */
int zone_apex_add(struct zone_build *b, const struct zone_apex_ns *ns, size_t count, uint32_t ttl_s,
		  uint32_t serial);

/* The synthesized set: "ns1.<apex>" .. "nsN.<apex>", one per address of
 * addrs (distinct addresses, in order; at most cap and ZONE_APEX_NS_MAX).
 * out[i].addresses points into addrs. Returns N (0 when addrs is empty or a
 * name would not fit). */
size_t zone_apex_default(const uint8_t *apex, const struct zone_apex_addr *addrs, size_t addr_count,
			 struct zone_apex_ns *out, size_t cap);

/* The addresses dnsd answers on, for zone_apex_default(): each specific
 * listen address, in order; a wildcard one (0.0.0.0, ::) stands for the
 * machine's interface addresses (getifaddrs), leaving out loopback and IPv6
 * link-local ones unless there is nothing else. Distinct; at most cap;
 * 127.0.0.1 when listen is empty. Returns how many were written. */
size_t zone_apex_listen_addresses(const struct config_addr *listen, size_t listen_count,
				  struct zone_apex_addr *out, size_t cap);

#endif
