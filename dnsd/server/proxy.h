/* SPDX-License-Identifier: BSD-3-Clause
 * proxy.h - the PROXY protocol version 2 header (HAProxy's "PROXY protocol"
 * specification, section 2.2: the binary form) that a load balancer such as
 * dnsdist (useProxyProtocol) or HAProxy (send-proxy-v2) puts in front of a
 * UDP datagram or at the start of a TCP stream to carry the original client's
 * source and destination addresses, and the allowlist of peers that may send
 * one. Pure: no allocation, no I/O, no locks; it runs on the UDP and TCP paths
 * of the workers. Version 1 (the text form) is not accepted. */
#ifndef DNSD_PROXY_H
#define DNSD_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/addr.h"

#define PROXY_SIGNATURE_LEN 12
#define PROXY_HEADER_MIN 16 /* signature, version/command, family/transport, length */
/* The longest header dnsd accepts, TLVs included (the protocol allows 16 +
 * 65535). dnsdist and HAProxy send 28 (IPv4) or 52 (IPv6) bytes plus the TLVs
 * they are told to add; a longer one is refused as malformed. */
#define PROXY_HEADER_MAX 4096

extern const uint8_t proxy_signature[PROXY_SIGNATURE_LEN];

enum proxy_status {
	PROXY_OK = 0,     /* a complete, valid header: the result is filled in */
	PROXY_NONE,       /* the bytes do not start with the version 2 signature */
	PROXY_INCOMPLETE, /* a valid beginning of a header: more bytes are needed (TCP) */
	PROXY_MALFORMED,  /* a version 2 signature, then something dnsd refuses */
};

/* One parsed header. */
struct proxy_header {
	size_t len; /* bytes the header takes, TLVs included: the DNS data follows */
	/* LOCAL command (health checks of dnsdist and HAProxy): the sender speaks
	 * for itself, so the connection's own addresses stand and source and
	 * destination are not filled in (spec §2.2). */
	bool is_local;
	bool is_stream; /* transport STREAM (TCP); otherwise DGRAM, or LOCAL */
	/* PROXY command: the original client's address and the address it sent
	 * to, as AF_INET or AF_INET6 socket addresses with their ports. */
	struct sockaddr_storage source;
	struct sockaddr_storage destination;
	const char *why; /* PROXY_MALFORMED: a static reason (tests, fuzzing) */
};

/* Parses the header at the start of buf. Never reads past len.
 * PROXY_INCOMPLETE means buf is shorter than the header it starts; with the
 * whole datagram in hand (UDP) the caller treats that as malformed. Refused
 * (PROXY_MALFORMED): a version other than 2, a command other than LOCAL and
 * PROXY, a PROXY command for an unspecified, UNIX or unknown family or
 * transport (dnsd needs the client's IP address to choose its view), an
 * address block shorter than its family needs, TLVs that do not add up to the
 * length, and headers longer than PROXY_HEADER_MAX. TLVs are skipped. */
enum proxy_status proxy_parse(struct proxy_header *hdr, const uint8_t *buf, size_t len);

/* Does buf start with the version 2 signature? The check for peers that may
 * not send a header; the first byte rules out nearly every DNS message. */
static inline bool proxy_has_signature(const uint8_t *buf, size_t len)
{
	return len >= PROXY_SIGNATURE_LEN && buf[0] == proxy_signature[0] &&
	       memcmp(buf, proxy_signature, PROXY_SIGNATURE_LEN) == 0;
}

/* What the UDP and TCP paths do with what a peer sent first. */
enum proxy_verdict {
	PROXY_VERDICT_DIRECT = 0,  /* no header and none required: the peer is the client */
	PROXY_VERDICT_PROXIED,     /* a PROXY header: hdr's source and destination stand for the peer's */
	PROXY_VERDICT_LOCAL,       /* a LOCAL header (health check): the peer speaks for itself */
	PROXY_VERDICT_WAIT,        /* TCP: too few bytes yet to decide */
	PROXY_VERDICT_NOT_ALLOWED, /* a header from a peer outside the allowlist: drop, count */
	PROXY_VERDICT_MISSING,     /* no header from a peer inside it: drop, count */
	PROXY_VERDICT_MALFORMED,   /* a header dnsd refuses (UDP: or a truncated one): drop, count */
};

enum proxy_verdict proxy_classify_slow(struct proxy_header *hdr, bool is_allowed, bool is_stream,
				       const uint8_t *buf, size_t len);

/* Decides on the first bytes of a datagram (the whole of it) or of a TCP
 * stream (what has arrived so far). is_allowed: proxy_is_allowed() for the
 * peer. A peer inside the allowlist must start with a header; one outside it
 * must not, so that no client can claim another's address. For the direct
 * path the cost is one byte compare: nearly no DNS message starts with 0x0D. */
static inline enum proxy_verdict proxy_classify(struct proxy_header *hdr, bool is_allowed, bool is_stream,
						const uint8_t *buf, size_t len)
{
	if (!is_allowed && len > 0 && buf[0] != proxy_signature[0])
		return PROXY_VERDICT_DIRECT;
	return proxy_classify_slow(hdr, is_allowed, is_stream, buf, len);
}

/* The peers that may, and then must, send a header: the `proxy-protocol:`
 * prefixes, first match wins, "!prefix" excludes. Borrowed from the
 * configuration, which outlives the server. */
struct proxy_allowlist {
	const struct config_prefix *prefixes;
	size_t count;
};

/* Is peer (the address the datagram or connection came from) a proxy that
 * must send a header? An IPv4-mapped IPv6 peer (::ffff:a.b.c.d, seen on a
 * dual-stack listener) is matched as the IPv4 address. False for an empty
 * allowlist. */
bool proxy_is_allowed(const struct proxy_allowlist *allow, const struct sockaddr *peer);

#endif
