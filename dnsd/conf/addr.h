/* SPDX-License-Identifier: BSD-3-Clause
 * addr.h - the one home of addresses as the configuration writes them:
 * "IP:port" socket addresses (listen, match-destinations, metrics) and
 * client prefixes ("10.1.0.0/16", "!10.1.9.0/24", "any", a bare address),
 * and the test whether an address lies in a prefix. Parsing is pure (no
 * I/O, no logging); matching is inline and allocation-free for the query
 * path. The types keep their config_ names: the configuration holds them. */
#ifndef DNSD_ADDR_H
#define DNSD_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* An address:port such as "127.0.0.1:5353", "[::1]:53" or ":53" (all IPv4 and IPv6). */
struct config_addr {
	struct sockaddr_storage ss;
	socklen_t sslen;
	char text[64]; /* as written in the file, for logs */
};

/* A client prefix in match-clients: "10.1.0.0/16", "!10.1.9.0/24", "any", "::1". */
struct config_prefix {
	int family;       /* AF_INET or AF_INET6; 0 for "any" */
	uint8_t addr[16]; /* network bytes, host bits zero */
	uint8_t len;      /* prefix length in bits */
	bool is_negated;  /* "!" form: a match excludes the client */
};

/* Parses "127.0.0.1:53", "[::1]:53" or ":53" (the IPv6 wildcard, which with
 * IPV6_V6ONLY off takes IPv4 too) into dest. Only numeric addresses; the
 * port is required (1..65535); text must be shorter than dest->text.
 * Returns 0, DNSD_EINVAL or DNSD_ERANGE. */
int config_addr_parse(struct config_addr *dest, const char *text);

/* config_addr_parse() that also says why it failed: on failure *why points
 * to a static phrase such as "port is out of range 1..65535". */
int config_addr_parse_why(struct config_addr *dest, const char *text, const char **why);

/* config_addr_parse_why() for an address to bind (listen, metrics, health):
 * port 0 is allowed too, and means a port the kernel picks. */
int config_addr_parse_bind_why(struct config_addr *dest, const char *text, const char **why);

/* Parses "10.1.0.0/16", "!10.1.9.0/24", "any" (any case) or a bare address
 * (/32, /128) into dest. The length is decimal digits only; host bits set
 * beyond the length are an error (almost always a typo). Returns 0,
 * DNSD_EINVAL or DNSD_ERANGE (length too large). */
int config_prefix_parse(struct config_prefix *dest, const char *text);

/* config_prefix_parse() that also says why it failed, as config_addr_parse_why(). */
/* The address part alone: "10.1.2.3", "10.1.2.3/32", "2001:db8::/64" into
 * dest, host bits kept (a ServiceEntry address is one host, or a range that
 * has them set), no "!" nor "any". Shared by config_prefix_parse_why() and
 * the ServiceEntry decoder. Returns 0, DNSD_EINVAL or DNSD_ERANGE with *why. */
int config_cidr_parse_why(struct config_prefix *dest, const char *text, const char **why);

int config_prefix_parse_why(struct config_prefix *dest, const char *text, const char **why);

/* Does the address (family AF_INET or AF_INET6, network bytes, of which
 * the first addr_bits are known: 32 or 128 for a client address, the
 * SOURCE PREFIX-LENGTH for an ECS subnet) lie in p? "any" holds every
 * address; a subnet wider than p (addr_bits < p->len) cannot be said to
 * lie in it. Negation is the caller's business: this only tests the
 * prefix. No allocation, no locks: for the query path. */
static inline bool config_prefix_match(const struct config_prefix *p, int family, const uint8_t *addr,
				       unsigned addr_bits)
{
	if (p->family == 0)
		return true;
	if (p->family != family || p->len > addr_bits)
		return false;
	unsigned bytes = p->len / 8u, rest = p->len % 8u;
	if (memcmp(p->addr, addr, bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xFFu << (8 - rest));
	return (p->addr[bytes] & mask) == (addr[bytes] & mask);
}

#endif
