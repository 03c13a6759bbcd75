/* SPDX-License-Identifier: BSD-3-Clause
 * zone_apex.c - apex NS and SOA from nameservers: or synthesized from the
 * listen addresses. */
#include "zone/zone_apex.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/wire.h"
#include "util/err.h"

static void name_text(char *out, size_t cap, const uint8_t *name)
{
	if (dname_to_text(out, cap, name) < 0)
		snprintf(out, cap, "?");
}

int zone_apex_check(const uint8_t *apex, const struct zone_apex_ns *ns, size_t count, char *err,
		    size_t errlen)
{
	size_t apex_len = dname_len(apex);
	char apex_text[DNAME_MAX_TEXT], text[DNAME_MAX_TEXT];
	name_text(apex_text, sizeof(apex_text), apex);
	if (count == 0 || count > ZONE_APEX_NS_MAX) {
		snprintf(err, errlen, "nameservers: give 1 to %d names", ZONE_APEX_NS_MAX);
		return DNSD_EINVAL;
	}
	for (size_t i = 0; i < count; i++) {
		const uint8_t *n = ns[i].name;
		size_t len = dname_len(n);
		name_text(text, sizeof(text), n);
		for (size_t j = 0; j < i; j++) {
			if (dname_equal(ns[j].name, n)) {
				snprintf(err, errlen, "nameservers[%zu]: %s is listed twice", i, text);
				return DNSD_EINVAL;
			}
		}
		bool is_inside = dname_is_subdomain(n, len, apex, apex_len);
		if (is_inside && ns[i].address_count == 0) {
			snprintf(err, errlen,
				 "nameservers[%zu]: %s is inside zone %s and needs addresses (its glue)", i,
				 text, apex_text);
			return DNSD_EINVAL;
		}
		if (!is_inside && ns[i].address_count > 0) {
			snprintf(err, errlen,
				 "nameservers[%zu]: %s is outside zone %s: its addresses belong in its own "
				 "zone, "
				 "not here",
				 i, text, apex_text);
			return DNSD_EINVAL;
		}
		if (len == apex_len) {
			snprintf(err, errlen,
				 "nameservers[%zu]: the apex %s itself cannot be a nameserver name", i, text);
			return DNSD_EINVAL;
		}
	}
	return 0;
}

/* Appends a wire name to rdata at *pos. */
static void put_name(uint8_t *rdata, size_t *pos, const uint8_t *name)
{
	size_t len = dname_len(name);
	memcpy(rdata + *pos, name, len);
	*pos += len;
}

/* "hostmaster." + base, or DNSD_ERANGE if it does not fit. */
static int hostmaster_of(uint8_t *out, const uint8_t *base)
{
	size_t len = dname_len(base);
	if (len + 11 > DNAME_MAX_LEN)
		return DNSD_ERANGE;
	out[0] = 10;
	memcpy(out + 1, "hostmaster", 10);
	memcpy(out + 11, base, len);
	return (int)(len + 11);
}

int zone_apex_add(struct zone_build *b, const struct zone_apex_ns *ns, size_t count, uint32_t ttl_s,
		  uint32_t serial)
{
	const uint8_t *apex = zone_build_apex(b);
	size_t apex_len = dname_len(apex);
	for (size_t i = 0; i < count; i++) {
		int rc = zone_build_add(b, apex, WIRE_TYPE_NS, ttl_s, ns[i].name,
					(uint16_t)dname_len(ns[i].name));
		if (rc != 0)
			return rc;
		if (!dname_is_subdomain(ns[i].name, dname_len(ns[i].name), apex, apex_len))
			continue;
		for (size_t a = 0; a < ns[i].address_count; a++) {
			const struct zone_apex_addr *ad = &ns[i].addresses[a];
			bool is_v4 = ad->family == AF_INET;
			rc = zone_build_add(b, ns[i].name, is_v4 ? WIRE_TYPE_A : WIRE_TYPE_AAAA, ttl_s,
					    ad->addr, is_v4 ? 4 : 16);
			if (rc != 0)
				return rc;
		}
	}
	if (zone_build_has_soa(b) || count == 0)
		return 0;
	uint8_t rdata[2 * DNAME_MAX_LEN + 20], rname[DNAME_MAX_LEN];
	/* RFC 1035 §3.3.13; Zonemaster SYNTAX06 wants the RNAME's mail domain to
	 * hold a dot, which "hostmaster.global." (hostmaster@global) lacks */
	int rl = hostmaster_of(rname, dname_label_count(apex) >= 2 ? apex : ns[0].name);
	if (rl < 0)
		rl = hostmaster_of(rname, apex);
	if (rl < 0)
		return rl;
	size_t p = 0;
	put_name(rdata, &p, ns[0].name);
	put_name(rdata, &p, rname);
	const uint32_t fields[5] = { serial, ZONE_APEX_REFRESH_S, ZONE_APEX_RETRY_S, ZONE_APEX_EXPIRE_S,
				     ZONE_APEX_MINIMUM_S };
	for (int i = 0; i < 5; i++, p += 4)
		wire_write_u32(rdata + p, fields[i]);
	return zone_build_add(b, apex, WIRE_TYPE_SOA, ttl_s, rdata, (uint16_t)p);
}

size_t zone_apex_default(const uint8_t *apex, const struct zone_apex_addr *addrs, size_t addr_count,
			 struct zone_apex_ns *out, size_t cap)
{
	size_t apex_len = dname_len(apex), n = 0;
	for (size_t i = 0; i < addr_count && n < cap && n < ZONE_APEX_NS_MAX; i++) {
		char label[8];
		int ll = snprintf(label, sizeof(label), "ns%zu", n + 1);
		if (apex_len + 1 + (size_t)ll > DNAME_MAX_LEN)
			return 0;
		struct zone_apex_ns *o = &out[n++];
		o->name[0] = (uint8_t)ll;
		memcpy(o->name + 1, label, (size_t)ll);
		memcpy(o->name + 1 + ll, apex, apex_len);
		o->addresses = &addrs[i];
		o->address_count = 1;
	}
	return n;
}

static bool addr_add(struct zone_apex_addr *out, size_t *n, size_t cap, int family, const void *addr)
{
	struct zone_apex_addr a = { .family = family };
	memcpy(a.addr, addr, family == AF_INET ? 4 : 16);
	for (size_t i = 0; i < *n; i++)
		if (out[i].family == a.family && memcmp(out[i].addr, a.addr, 16) == 0)
			return true;
	if (*n >= cap)
		return false;
	out[(*n)++] = a;
	return true;
}

static bool is_wildcard(const struct sockaddr_storage *ss, int *family)
{
	*family = ss->ss_family;
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return false;
}

/* Interface addresses of the wanted families (AF_UNSPEC = both): first the
 * ordinary ones; loopback and link-local only when there is nothing else. */
static void add_interfaces(struct zone_apex_addr *out, size_t *n, size_t cap, int family)
{
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) != 0)
		return;
	for (int pass = 0; pass < 2; pass++) {
		size_t before = *n;
		for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
			if (!i->ifa_addr)
				continue;
			int f = i->ifa_addr->sa_family;
			if ((f != AF_INET && f != AF_INET6) || (family != AF_UNSPEC && family != f))
				continue;
			const void *addr;
			bool is_local;
			if (f == AF_INET) {
				const struct in_addr *a4 =
					&((const struct sockaddr_in *)i->ifa_addr)->sin_addr;
				addr = a4;
				is_local = (ntohl(a4->s_addr) >> 24) == 127;
			} else {
				const struct in6_addr *a6 =
					&((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
				addr = a6;
				is_local = IN6_IS_ADDR_LOOPBACK(a6) || IN6_IS_ADDR_LINKLOCAL(a6);
			}
			if (is_local == (pass == 0))
				continue;
			addr_add(out, n, cap, f, addr);
		}
		if (pass == 0 && *n > before)
			break;
	}
	freeifaddrs(ifa);
}

size_t zone_apex_listen_addresses(const struct config_addr *listen, size_t listen_count,
				  struct zone_apex_addr *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < listen_count; i++) {
		const struct sockaddr_storage *ss = &listen[i].ss;
		int family;
		if (is_wildcard(ss, &family)) {
			/* "[::]" with IPV6_V6ONLY off takes IPv4 too (config.h) */
			add_interfaces(out, &n, cap, family == AF_INET6 ? AF_UNSPEC : AF_INET);
		} else if (family == AF_INET) {
			addr_add(out, &n, cap, AF_INET, &((const struct sockaddr_in *)ss)->sin_addr);
		} else if (family == AF_INET6) {
			const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
			if (IN6_IS_ADDR_V4MAPPED(a6))
				addr_add(out, &n, cap, AF_INET, a6->s6_addr + 12);
			else
				addr_add(out, &n, cap, AF_INET6, a6);
		}
	}
	if (n == 0 && listen_count == 0) {
		/* no socket at all (a configuration built by hand): loopback */
		static const uint8_t lo[4] = { 127, 0, 0, 1 };
		addr_add(out, &n, cap, AF_INET, lo);
	}
	return n;
}
