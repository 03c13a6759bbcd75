/* SPDX-License-Identifier: BSD-3-Clause
 * se_zone.h - the records one ServiceEntry contributes to one zone. Pure and
 * deterministic: called once to add an entry's records and once, with the
 * same entry, to remove them (catalog_records_fn). */
#ifndef DNSD_SE_ZONE_H
#define DNSD_SE_ZONE_H

#include "zone/catalog.h"

/* item is a const struct serviceentry *. For each host at or below apex that
 * the source serves (host_is_served; a malformed stand-in has none):
 *  - A / AAAA per address that belongs to the host (status.addresses[].host)
 *    or to every host (spec.addresses, and status elements without host);
 *  - SRV "_<port name>._tcp.<host>" ("_udp" for UDP ports, se_protocol.h)
 *    -> "0 0 <port> <host>" per port (not for wildcard hosts);
 *  - a wildcard host "*.x.global" becomes the RFC 4592 wildcard owner.
 * When apex is under in-addr.arpa or ip6.arpa: a PTR from each address's
 * reverse name (when under apex) to each served host it belongs to. */
void se_zone_records(const void *item, const uint8_t *apex, uint32_t ttl_s, catalog_emit_fn *emit,
		     void *emit_ctx);

#endif
