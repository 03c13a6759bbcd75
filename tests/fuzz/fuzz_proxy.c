/* SPDX-License-Identifier: BSD-3-Clause
 * fuzz_proxy.c - PROXY protocol v2 headers (server/proxy.c) on arbitrary
 * bytes, as a UDP datagram (the whole input) and as the start of a TCP stream
 * arriving a byte at a time: whatever the bytes, the parser returns without
 * reading past them; a peer outside the allowlist never has a header
 * honoured, nor one inside it a message without one; a header it accepts
 * lies within the bytes and carries an IP address (or is LOCAL); and every
 * shorter prefix of an accepted header is "incomplete" (so the TCP path
 * waits for it rather than refusing it early).
 * The corpus (corpus/proxy/) starts from headers captured from dnsdist 1.7
 * (UDP and TCP, IPv4 and IPv6, TLVs, LOCAL health checks) and HAProxy 2.6
 * send-proxy-v2, plus hostile variants. */
#include <arpa/inet.h>
#include <stdlib.h>

#include "server/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header hdr;
	/* the decision of the UDP and TCP paths, for a peer in and out of the
	 * allowlist: a peer outside never gets its header honoured */
	for (int allowed = 0; allowed < 2; allowed++)
		for (int stream = 0; stream < 2; stream++) {
			enum proxy_verdict v = proxy_classify(&hdr, allowed, stream, data, size);
			if (!allowed && (v == PROXY_VERDICT_PROXIED || v == PROXY_VERDICT_LOCAL ||
					 v == PROXY_VERDICT_MISSING || v == PROXY_VERDICT_MALFORMED))
				abort();
			if (allowed && v == PROXY_VERDICT_DIRECT)
				abort();
			if (!stream && v == PROXY_VERDICT_WAIT)
				abort();
		}
	enum proxy_status st = proxy_parse(&hdr, data, size);
	if (st == PROXY_MALFORMED && !hdr.why)
		abort();
	if (st == PROXY_NONE && proxy_has_signature(data, size))
		abort();
	if (st != PROXY_OK)
		return 0;
	if (hdr.len < PROXY_HEADER_MIN || hdr.len > size || hdr.len > PROXY_HEADER_MAX)
		abort();
	if (!proxy_has_signature(data, size))
		abort();
	if (!hdr.is_local) {
		int fs = hdr.source.ss_family, fd = hdr.destination.ss_family;
		if ((fs != AF_INET && fs != AF_INET6) || fs != fd)
			abort();
		/* the allowlist takes whatever the header carried */
		struct config_prefix p[2] = {
			{ .family = AF_INET, .addr = { 127, 0, 0, 0 }, .len = 8 },
			{ .family = AF_INET6, .addr = { [15] = 1 }, .len = 128, .is_negated = true },
		};
		struct proxy_allowlist allow = { p, 2 };
		(void)proxy_is_allowed(&allow, (const struct sockaddr *)&hdr.source);
	}
	/* TCP: the bytes come in pieces; no prefix of the header is refused */
	size_t checked = hdr.len < 64 ? hdr.len : 64;
	for (size_t k = 0; k < checked; k++) {
		struct proxy_header part;
		if (proxy_parse(&part, data, k) != PROXY_INCOMPLETE)
			abort();
	}
	struct proxy_header part;
	if (proxy_parse(&part, data, hdr.len - 1) != PROXY_INCOMPLETE)
		abort();
	return 0;
}
