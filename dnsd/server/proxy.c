/* SPDX-License-Identifier: BSD-3-Clause
 * proxy.c - PROXY protocol version 2 headers and the allowlist of peers that
 * may send them. Pure: no allocation, no I/O. */
#include "server/proxy.h"

#include <netinet/in.h>

/* spec §2.2: "\r\n\r\n\0\r\nQUIT\n" */
const uint8_t proxy_signature[PROXY_SIGNATURE_LEN] = {
	0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
};

enum {
	CMD_LOCAL = 0x0,
	CMD_PROXY = 0x1,
	FAM_UNSPEC = 0x0,
	FAM_INET = 0x1,
	FAM_INET6 = 0x2,
	FAM_UNIX = 0x3,
	TRANSPORT_UNSPEC = 0x0,
	TRANSPORT_STREAM = 0x1,
	TRANSPORT_DGRAM = 0x2,
	ADDR_INET_LEN = 12,  /* src, dst (4 each), src port, dst port */
	ADDR_INET6_LEN = 36, /* src, dst (16 each), src port, dst port */
	TLV_HEADER_LEN = 3,  /* type, length (2) */
};

static enum proxy_status malformed(struct proxy_header *hdr, const char *why)
{
	hdr->why = why;
	return PROXY_MALFORMED;
}

static void set_inet(struct sockaddr_storage *ss, const uint8_t *addr, const uint8_t *port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, addr, 4);
	memcpy(&sin->sin_port, port, 2); /* both in network order already */
}

static void set_inet6(struct sockaddr_storage *ss, const uint8_t *addr, const uint8_t *port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr, addr, 16);
	memcpy(&sin6->sin6_port, port, 2);
}

/* spec §2.2.7: TLVs fill the rest of the header exactly. */
static bool tlvs_are_framed(const uint8_t *p, size_t len)
{
	while (len > 0) {
		if (len < TLV_HEADER_LEN)
			return false;
		size_t vlen = (size_t)p[1] << 8 | p[2];
		if (vlen > len - TLV_HEADER_LEN)
			return false;
		p += TLV_HEADER_LEN + vlen;
		len -= TLV_HEADER_LEN + vlen;
	}
	return true;
}

enum proxy_status proxy_parse(struct proxy_header *hdr, const uint8_t *buf, size_t len)
{
	hdr->why = NULL;
	if (len == 0)
		return PROXY_INCOMPLETE;
	/* a prefix of the signature may still become a header (TCP) */
	size_t sig = len < PROXY_SIGNATURE_LEN ? len : PROXY_SIGNATURE_LEN;
	if (memcmp(buf, proxy_signature, sig) != 0)
		return PROXY_NONE;
	if (len < PROXY_HEADER_MIN)
		return PROXY_INCOMPLETE;
	/* the version and command byte, the family and transport byte, and
	 * the length are checked before waiting for the rest, so that a TCP
	 * peer cannot keep a connection waiting for a header that is bad */
	uint8_t version = buf[12] >> 4, command = buf[12] & 0x0F;
	uint8_t family = buf[13] >> 4, transport = buf[13] & 0x0F;
	size_t rest = (size_t)buf[14] << 8 | buf[15];
	if (version != 2)
		return malformed(hdr, "version is not 2");
	if (command != CMD_LOCAL && command != CMD_PROXY)
		return malformed(hdr, "unknown command");
	if (PROXY_HEADER_MIN + rest > PROXY_HEADER_MAX)
		return malformed(hdr, "header longer than dnsd accepts");
	size_t addr_len = 0;
	if (command == CMD_PROXY) {
		/* §2.2: the receiver may refuse UNSPEC and UNIX; dnsd must, because
		 * the view, the ECS answer and the ACLs need the client's address
		 * and the balancer's own would put every client in its view */
		if (family == FAM_INET)
			addr_len = ADDR_INET_LEN;
		else if (family == FAM_INET6)
			addr_len = ADDR_INET6_LEN;
		else if (family == FAM_UNSPEC || family == FAM_UNIX)
			return malformed(hdr, "PROXY command without an IP address");
		else
			return malformed(hdr, "unknown address family");
		if (transport != TRANSPORT_STREAM && transport != TRANSPORT_DGRAM)
			return malformed(hdr, "unknown transport");
		if (rest < addr_len)
			return malformed(hdr, "address block shorter than its family needs");
	} else if (family > FAM_UNIX || transport > TRANSPORT_DGRAM) {
		return malformed(hdr, "unknown address family or transport");
	}
	if (len < PROXY_HEADER_MIN + rest)
		return PROXY_INCOMPLETE;
	const uint8_t *p = buf + PROXY_HEADER_MIN;
	/* §2.2.7: TLVs follow the addresses. For LOCAL the whole block is to be
	 * discarded, addresses or not, so only PROXY's TLVs are checked. */
	if (command == CMD_PROXY && !tlvs_are_framed(p + addr_len, rest - addr_len))
		return malformed(hdr, "TLVs do not add up to the header length");
	hdr->len = PROXY_HEADER_MIN + rest;
	hdr->is_local = command == CMD_LOCAL;
	hdr->is_stream = transport == TRANSPORT_STREAM;
	if (hdr->is_local)
		return PROXY_OK;
	if (family == FAM_INET) {
		set_inet(&hdr->source, p, p + 8);
		set_inet(&hdr->destination, p + 4, p + 10);
	} else {
		set_inet6(&hdr->source, p, p + 32);
		set_inet6(&hdr->destination, p + 16, p + 34);
	}
	return PROXY_OK;
}

enum proxy_verdict proxy_classify_slow(struct proxy_header *hdr, bool is_allowed, bool is_stream,
				       const uint8_t *buf, size_t len)
{
	enum proxy_status st = proxy_parse(hdr, buf, len);
	if (!is_allowed) {
		/* a stream that so far matches the signature may still become one */
		if (st == PROXY_NONE)
			return PROXY_VERDICT_DIRECT;
		if (len < PROXY_SIGNATURE_LEN)
			return is_stream ? PROXY_VERDICT_WAIT : PROXY_VERDICT_DIRECT;
		return PROXY_VERDICT_NOT_ALLOWED;
	}
	switch (st) {
	case PROXY_OK: return hdr->is_local ? PROXY_VERDICT_LOCAL : PROXY_VERDICT_PROXIED;
	case PROXY_NONE: return PROXY_VERDICT_MISSING;
	case PROXY_INCOMPLETE: return is_stream ? PROXY_VERDICT_WAIT : PROXY_VERDICT_MALFORMED;
	case PROXY_MALFORMED: break;
	}
	return PROXY_VERDICT_MALFORMED;
}

bool proxy_is_allowed(const struct proxy_allowlist *allow, const struct sockaddr *peer)
{
	if (allow->count == 0)
		return false;
	int family = peer->sa_family;
	const uint8_t *addr;
	if (family == AF_INET) {
		addr = (const uint8_t *)&((const struct sockaddr_in *)peer)->sin_addr;
	} else if (family == AF_INET6) {
		addr = (const uint8_t *)&((const struct sockaddr_in6 *)peer)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)addr)) {
			family = AF_INET;
			addr += 12;
		}
	} else {
		return false;
	}
	for (size_t i = 0; i < allow->count; i++)
		if (config_prefix_match(&allow->prefixes[i], family, addr, family == AF_INET ? 32 : 128))
			return !allow->prefixes[i].is_negated;
	return false;
}
