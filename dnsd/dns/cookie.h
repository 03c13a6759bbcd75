/* SPDX-License-Identifier: BSD-3-Clause
 * cookie.h - DNS Cookies (RFC 7873) with the interoperable server cookie of
 * RFC 9018: Version 1 | Reserved (3) | Timestamp (4) | Hash (8), where Hash
 * is SipHash-2-4 under the server secret of Client Cookie | Version |
 * Reserved | Timestamp | Client-IP. Pure: no allocation, no I/O, no locks;
 * the query path calls it only for queries that carry a COOKIE option. */
#ifndef DNSD_COOKIE_H
#define DNSD_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/siphash.h"

#define COOKIE_CLIENT_LEN 8
#define COOKIE_SERVER_MIN 8
#define COOKIE_SERVER_MAX 32
#define COOKIE_SERVER_LEN 16 /* the RFC 9018 cookie dnsd makes */
/* RFC 9018 §4.3: a cookie is accepted up to an hour old and five minutes
 * ahead of our clock (anycast siblings' clocks); one older than half an
 * hour is replaced by a fresh one in the reply (dnsd always sends a fresh
 * one, which §4.3 allows). */
#define COOKIE_LIFETIME_S 3600
#define COOKIE_SKEW_S 300

/* The secrets a server checks cookies with: current makes every new
 * cookie, previous (when has_previous) is still accepted, so a rotation
 * does not turn every client's cookie into BADCOOKIE at once. */
struct cookie_secrets {
	uint8_t current[SIPHASH_KEY_LEN];
	uint8_t previous[SIPHASH_KEY_LEN];
	bool has_previous;
};

/* What a query's COOKIE option proved. */
enum cookie_verdict {
	COOKIE_NONE = 0,    /* no COOKIE option */
	COOKIE_CLIENT_ONLY, /* a client cookie alone (the first query) */
	COOKIE_VALID,       /* a server cookie we made for this client, in its lifetime */
	COOKIE_INVALID,     /* a server cookie we did not make, for another address, or expired */
};

/* Writes the RFC 9018 server cookie (COOKIE_SERVER_LEN bytes) for the
 * client cookie and address (AF_INET / AF_INET6; an IPv4-mapped IPv6
 * address counts as the IPv4 one) at Unix time now_s into out, under
 * secret. */
void cookie_make(uint8_t out[COOKIE_SERVER_LEN], const uint8_t secret[SIPHASH_KEY_LEN],
		 const uint8_t client_cookie[COOKIE_CLIENT_LEN], const struct sockaddr *client,
		 uint32_t now_s);

/* Judges a received server cookie (server_len bytes, as the option gave
 * them) for the client cookie and address at now_s: version 1, 16 bytes,
 * the timestamp within [now - COOKIE_LIFETIME_S, now + COOKIE_SKEW_S]
 * (serial arithmetic, RFC 1982, so 2106 is no cliff), and the hash made
 * with the current or the previous secret. */
enum cookie_verdict cookie_check(const struct cookie_secrets *secrets,
				 const uint8_t client_cookie[COOKIE_CLIENT_LEN], const uint8_t *server,
				 size_t server_len, const struct sockaddr *client, uint32_t now_s);

#endif
