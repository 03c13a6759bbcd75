/* SPDX-License-Identifier: BSD-3-Clause
 * se_zone.c - ServiceEntry -> resource records for one zone, handed to the
 * catalog's emit callback. No allocation, no I/O, no state between calls. */
#include "k8s/se_zone.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dname.h"
#include "k8s/se_pack.h"
#include "k8s/se_protocol.h"
#include "k8s/serviceentry.h"
#include "dns/wire.h"

/* Reverse name of an address: "69.42.127.127.in-addr.arpa." or the nibble
 * form under ip6.arpa. Returns the wire length. */
static int se_zone_reverse_name(uint8_t *out, int family, const uint8_t *addr)
{
	char text[128];
	size_t n = 0;
	static const char hex[] = "0123456789abcdef";
	if (family == AF_INET) {
		snprintf(text, sizeof(text), "%u.%u.%u.%u.in-addr.arpa", addr[3], addr[2], addr[1], addr[0]);
	} else {
		/* RFC 3596 §2.5: nibbles, least significant first */
		for (int i = 15; i >= 0; i--) {
			text[n++] = hex[addr[i] & 0xF];
			text[n++] = '.';
			text[n++] = hex[addr[i] >> 4];
			text[n++] = '.';
		}
		memcpy(text + n, "ip6.arpa", 9);
	}
	return dname_from_text(out, text);
}

static bool apex_is_reverse(const uint8_t *apex, size_t apex_len)
{
	static const uint8_t v4[] = "\7in-addr\4arpa";
	static const uint8_t v6[] = "\3ip6\4arpa";
	return dname_is_subdomain(apex, apex_len, v4, sizeof(v4)) ||
	       dname_is_subdomain(apex, apex_len, v6, sizeof(v6));
}

/* RFC 2782: "_<port name>._<transport>.<host>" -> priority 0, weight 0,
 * port, target the host (never compressed). */
static void emit_srv(const struct se_port *p, const uint8_t *host, size_t host_len, uint32_t ttl_s,
		     catalog_emit_fn *emit, void *ctx)
{
	uint8_t owner[DNAME_MAX_LEN];
	int ol = se_protocol_srv_owner(owner, p->name, p->protocol, host, host_len);
	if (ol < 0)
		return; /* the parser dropped such port names; a host too long for its SRV owner */
	uint8_t rdata[6 + DNAME_MAX_LEN];
	wire_write_u16(rdata, 0);
	wire_write_u16(rdata + 2, 0);
	wire_write_u16(rdata + 4, p->number);
	memcpy(rdata + 6, host, host_len);
	emit(ctx, owner, WIRE_TYPE_SRV, ttl_s, rdata, (uint16_t)(6 + host_len));
}

/* Does address a belong to host h? */
static bool address_is_for(const struct se_addr *a, size_t h) { return a->host < 0 || (size_t)a->host == h; }

void se_zone_records(const void *item, const uint8_t *apex, uint32_t ttl_s, catalog_emit_fn *emit,
		     void *emit_ctx)
{
	const struct serviceentry *se = item;
	size_t apex_len = dname_len(apex);
	bool is_reverse = apex_is_reverse(apex, apex_len);
	for (size_t h = 0; h < se->hosts_count; h++) {
		if (!se_host_is_served(se, h))
			continue;
		uint8_t host[DNAME_MAX_LEN];
		int hl = dname_from_text(host, se_host(se, h));
		if (hl < 0)
			continue;
		bool is_wildcard = host[0] == 1 && host[1] == '*';
		if (is_reverse) {
			if (is_wildcard)
				continue;
			for (size_t a = 0; a < se->addresses_count; a++) {
				struct se_addr ad = se_address(se, a);
				if (!address_is_for(&ad, h))
					continue;
				uint8_t rev[DNAME_MAX_LEN];
				int rl = se_zone_reverse_name(rev, ad.family, ad.addr);
				if (rl > 0 && dname_is_subdomain(rev, (size_t)rl, apex, apex_len))
					emit(emit_ctx, rev, WIRE_TYPE_PTR, ttl_s, host, (uint16_t)hl);
			}
			continue;
		}
		uint8_t lower[DNAME_MAX_LEN];
		dname_lower(lower, host, (size_t)hl);
		if (!dname_is_subdomain(lower, (size_t)hl, apex, apex_len))
			continue; /* a host of another zone */
		for (size_t a = 0; a < se->addresses_count; a++) {
			struct se_addr ad = se_address(se, a);
			if (!address_is_for(&ad, h))
				continue;
			if (ad.family == AF_INET)
				emit(emit_ctx, host, WIRE_TYPE_A, ttl_s, ad.addr, 4);
			else if (ad.family == AF_INET6)
				emit(emit_ctx, host, WIRE_TYPE_AAAA, ttl_s, ad.addr, 16);
		}
		if (is_wildcard)
			continue;
		for (size_t p = 0; p < se->ports_count; p++) {
			struct se_port port = se_port(se, p);
			emit_srv(&port, host, (size_t)hl, ttl_s, emit, emit_ctx);
		}
	}
}
