/* SPDX-License-Identifier: BSD-3-Clause
 * tsig.h - TSIG (RFC 8945) with HMAC-SHA256 and HMAC-SHA512 (OpenSSL):
 * find and parse the TSIG record of a message, verify a request, sign a
 * response or a request, including the rules for a stream of messages
 * (§5.3.1: each later message covers the previous MAC and the timers only).
 * Not for the UDP query path: the HMAC contexts are OpenSSL's and allocate.
 * Any thread may call these; a struct tsig_stream belongs to one caller. */
#ifndef DNSD_TSIG_H
#define DNSD_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dname.h"

#define TSIG_MAC_MAX 64 /* SHA-512 */
#define TSIG_SECRET_MAX 256
#define TSIG_FUDGE_DEFAULT 300 /* RFC 8945 §10: 300 s recommended */
#define TSIG_OTHER_MAX 6       /* only BADTIME's server time is ever sent */
/* the largest TSIG record we write: key name, algorithm "hmac-sha512.", MAC */
#define TSIG_RR_MAX (DNAME_MAX_LEN + 10 + 13 + 10 + TSIG_MAC_MAX + 6 + TSIG_OTHER_MAX)

enum tsig_algorithm { TSIG_HMAC_SHA256 = 1, TSIG_HMAC_SHA512 = 2 };

/* TSIG error codes (RFC 8945 §3, the Error field; rcode NOTAUTH with them). */
enum tsig_error {
	TSIG_OK = 0,
	TSIG_BADSIG = 16,
	TSIG_BADKEY = 17,
	TSIG_BADTIME = 18,
	TSIG_BADTRUNC = 22,
};
#define TSIG_RCODE_NOTAUTH 9

struct tsig_key {
	uint8_t name[DNAME_MAX_LEN]; /* lower-case wire form */
	uint8_t name_len;
	enum tsig_algorithm algorithm;
	uint8_t secret[TSIG_SECRET_MAX];
	size_t secret_len;
	char name_text[DNAME_MAX_TEXT]; /* "xfr-a." for logs */
};

/* A parsed TSIG record; the pointers borrow the message. */
struct tsig_rr {
	size_t offset;                   /* where the record starts in the message */
	uint8_t key_name[DNAME_MAX_LEN]; /* lower case */
	uint8_t key_name_len;
	uint8_t algorithm_name[DNAME_MAX_LEN]; /* lower case */
	uint8_t algorithm_name_len;
	uint64_t time_signed; /* 48 bits, seconds since the epoch */
	uint16_t fudge;
	const uint8_t *mac;
	uint16_t mac_len;
	uint16_t original_id;
	uint16_t error;
	const uint8_t *other;
	uint16_t other_len;
};

/* Fills key from a name ("xfr-a" or "xfr-a."), an algorithm name
 * ("hmac-sha256", "hmac-sha512", with or without the trailing dot) and the
 * secret in base64. Returns 0, DNSD_EINVAL (bad name or algorithm) or
 * DNSD_EPARSE (bad base64, or an empty secret). */
int tsig_key_init(struct tsig_key *key, const char *name, const char *algorithm, const char *secret_b64);

/* The algorithm for a lower-case wire algorithm name; 0 when unknown. */
enum tsig_algorithm tsig_algorithm_from_name(const uint8_t *name, size_t len);
/* The digest length in bytes of an algorithm (32 or 64). */
size_t tsig_mac_len(enum tsig_algorithm algorithm);

/* Finds the TSIG record of msg. RFC 8945 §5.1: it must be the last record of
 * the additional section, class ANY, TTL 0. Returns 0 with *rr filled,
 * DNSD_ENOENT when the message has no TSIG record, DNSD_EPARSE when the
 * message is malformed or the TSIG record is not last, is duplicated or
 * malformed. Never reads past len. */
int tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *rr);

/* The state of one signed conversation: a request and its response stream
 * (AXFR/IXFR answers, RFC 8945 §5.3.1), or a request we sent (NOTIFY). */
struct tsig_stream {
	const struct tsig_key *key;      /* borrowed */
	uint8_t prior_mac[TSIG_MAC_MAX]; /* the last MAC sent or checked */
	uint16_t prior_mac_len;
	uint64_t time_signed; /* of the request */
	uint16_t fudge;
	unsigned messages; /* messages signed in this stream */
};

/* Verifies the request msg (whose TSIG record is rr, from tsig_find) with
 * key at time now (seconds since the epoch). Returns TSIG_OK, TSIG_BADKEY
 * (algorithm differs from the key's), TSIG_BADSIG, TSIG_BADTIME or
 * TSIG_BADTRUNC. On TSIG_OK and TSIG_BADTIME, stream is ready to sign the
 * response(s); otherwise the response goes unsigned (RFC 8945 §5.3.2). */
enum tsig_error tsig_verify_request(struct tsig_stream *stream, const struct tsig_key *key,
				    const uint8_t *msg, size_t len, const struct tsig_rr *rr, uint64_t now);

/* Appends a TSIG record signing msg (len bytes, room for cap) and bumps its
 * ARCOUNT. The first message of a response covers the request's MAC and
 * every TSIG variable; later ones the previous MAC, the message and the
 * timers (§5.3.1). error is TSIG_OK or TSIG_BADTIME (then Other Data holds
 * now and the request's Time Signed is echoed, §5.2.3). Without a verified
 * request (stream->prior_mac_len 0) this signs a request (NOTIFY).
 * Returns 0, or DNSD_ERANGE when the record does not fit. */
int tsig_sign(struct tsig_stream *stream, uint8_t *msg, size_t *len, size_t cap, uint64_t now,
	      enum tsig_error error);

/* Appends an unsigned TSIG record carrying error (BADKEY, BADSIG,
 * BADTRUNC) for the request's key and algorithm names: the answer to a
 * request that failed verification (RFC 8945 §5.3.2: MAC empty). */
int tsig_append_error(uint8_t *msg, size_t *len, size_t cap, const struct tsig_rr *request,
		      enum tsig_error error);

/* Starts a stream for a request we sign ourselves (NOTIFY). */
void tsig_stream_init(struct tsig_stream *stream, const struct tsig_key *key, uint16_t fudge);

/* Verifies a response to a request signed through stream (tsig_sign), as a
 * client does: the MAC covers the request MAC, the response and every TSIG
 * variable. Returns TSIG_OK or the error found (the response's own Error
 * field when the server reported one). */
enum tsig_error tsig_verify_response(struct tsig_stream *stream, const uint8_t *msg, size_t len,
				     const struct tsig_rr *rr, uint64_t now);

/* "BADSIG", "BADKEY", ... for logs. */
const char *tsig_error_text(enum tsig_error error);

#endif
