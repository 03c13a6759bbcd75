/* SPDX-License-Identifier: BSD-3-Clause
 * cookie.c - RFC 9018 server cookies: made and checked, nothing stored. */
#include "dns/cookie.h"

#include <netinet/in.h>
#include <string.h>

#include "dns/wire.h"

/* Client Cookie | Version | Reserved | Timestamp | Client-IP: at most
 * 8 + 8 + 16 bytes. Returns the length. */
static size_t hash_input(uint8_t *buf, const uint8_t client_cookie[COOKIE_CLIENT_LEN], const uint8_t *head,
			 const struct sockaddr *client)
{
	memcpy(buf, client_cookie, COOKIE_CLIENT_LEN);
	memcpy(buf + COOKIE_CLIENT_LEN, head, 8);
	size_t len = COOKIE_CLIENT_LEN + 8;
	if (client && client->sa_family == AF_INET) {
		memcpy(buf + len, &((const struct sockaddr_in *)client)->sin_addr, 4);
		len += 4;
	} else if (client && client->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)client)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(buf + len, a->s6_addr + 12, 4);
			len += 4;
		} else {
			memcpy(buf + len, a->s6_addr, 16);
			len += 16;
		}
	}
	return len;
}

void cookie_make(uint8_t out[COOKIE_SERVER_LEN], const uint8_t secret[SIPHASH_KEY_LEN],
		 const uint8_t client_cookie[COOKIE_CLIENT_LEN], const struct sockaddr *client,
		 uint32_t now_s)
{
	out[0] = 1; /* version */
	out[1] = out[2] = out[3] = 0;
	wire_write_u32(out + 4, now_s);
	uint8_t buf[COOKIE_CLIENT_LEN + 8 + 16];
	size_t len = hash_input(buf, client_cookie, out, client);
	siphash24_bytes(out + 8, secret, buf, len);
}

static bool hash_matches(const uint8_t secret[SIPHASH_KEY_LEN], const uint8_t *input, size_t len,
			 const uint8_t *hash)
{
	uint8_t want[8];
	siphash24_bytes(want, secret, input, len);
	/* constant time: a timing oracle would leak the hash byte by byte */
	uint8_t diff = 0;
	for (unsigned i = 0; i < 8; i++)
		diff |= (uint8_t)(want[i] ^ hash[i]);
	return diff == 0;
}

enum cookie_verdict cookie_check(const struct cookie_secrets *secrets,
				 const uint8_t client_cookie[COOKIE_CLIENT_LEN], const uint8_t *server,
				 size_t server_len, const struct sockaddr *client, uint32_t now_s)
{
	if (server_len == 0)
		return COOKIE_CLIENT_ONLY;
	if (server_len != COOKIE_SERVER_LEN || server[0] != 1)
		return COOKIE_INVALID; /* not one of ours (another vendor's, or an old version) */
	uint32_t ts = wire_read_u32(server + 4);
	/* RFC 1982 serial arithmetic on the 32-bit timestamp */
	int32_t age = (int32_t)(now_s - ts);
	if (age > COOKIE_LIFETIME_S || age < -COOKIE_SKEW_S)
		return COOKIE_INVALID;
	uint8_t buf[COOKIE_CLIENT_LEN + 8 + 16];
	/* the reserved bytes as received are part of the hash (RFC 9018 §4.2) */
	size_t len = hash_input(buf, client_cookie, server, client);
	if (hash_matches(secrets->current, buf, len, server + 8))
		return COOKIE_VALID;
	if (secrets->has_previous && hash_matches(secrets->previous, buf, len, server + 8))
		return COOKIE_VALID;
	return COOKIE_INVALID;
}
