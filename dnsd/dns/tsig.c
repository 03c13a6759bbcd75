/* SPDX-License-Identifier: BSD-3-Clause
 * tsig.c - RFC 8945 transaction signatures over OpenSSL's HMAC (EVP_MAC).
 * The MAC input is built piecewise (prior MAC, message with the original ID
 * and the TSIG record's ARCOUNT removed, TSIG variables) without copying the
 * message. */
#include "dns/tsig.h"

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#include "dns/wire.h"
#include "util/err.h"

static const uint8_t name_sha256[] = "\13hmac-sha256"; /* + the literal's NUL: the root */
static const uint8_t name_sha512[] = "\13hmac-sha512";

static EVP_MAC *hmac;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void) { hmac = EVP_MAC_fetch(NULL, "HMAC", NULL); }

enum tsig_algorithm tsig_algorithm_from_name(const uint8_t *name, size_t len)
{
	if (len == sizeof(name_sha256) && memcmp(name, name_sha256, len) == 0)
		return TSIG_HMAC_SHA256;
	if (len == sizeof(name_sha512) && memcmp(name, name_sha512, len) == 0)
		return TSIG_HMAC_SHA512;
	return 0;
}

size_t tsig_mac_len(enum tsig_algorithm algorithm) { return algorithm == TSIG_HMAC_SHA512 ? 64 : 32; }

static const uint8_t *algorithm_name(enum tsig_algorithm algorithm, size_t *len)
{
	*len = sizeof(name_sha256);
	return algorithm == TSIG_HMAC_SHA512 ? name_sha512 : name_sha256;
}

const char *tsig_error_text(enum tsig_error error)
{
	switch (error) {
	case TSIG_OK: return "NOERROR";
	case TSIG_BADSIG: return "BADSIG";
	case TSIG_BADKEY: return "BADKEY";
	case TSIG_BADTIME: return "BADTIME";
	case TSIG_BADTRUNC: return "BADTRUNC";
	}
	return "error";
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict RFC 4648 base64 (whitespace allowed, so that a file may end in a newline). */
static int b64_decode(uint8_t *dst, size_t cap, size_t *out_len, const char *src)
{
	uint32_t acc = 0;
	unsigned bits = 0, pad = 0;
	size_t n = 0, symbols = 0;
	for (const char *p = src; *p; p++) {
		if (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
			continue;
		if (*p == '=') {
			pad++;
			continue;
		}
		int v = b64_value(*p);
		if (v < 0 || pad)
			return DNSD_EPARSE;
		symbols++;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return DNSD_ERANGE;
			dst[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (pad > 2 || (symbols + pad) % 4 != 0 || bits >= 6 || (acc & ((1u << bits) - 1)) != 0)
		return DNSD_EPARSE;
	*out_len = n;
	return 0;
}

int tsig_key_init(struct tsig_key *key, const char *name, const char *algorithm, const char *secret_b64)
{
	memset(key, 0, sizeof(*key));
	int n = dname_from_text(key->name, name);
	if (n < 0)
		return DNSD_EINVAL;
	key->name_len = (uint8_t)n;
	dname_lower(key->name, key->name, key->name_len);
	dname_to_text(key->name_text, sizeof(key->name_text), key->name);
	uint8_t alg[DNAME_MAX_LEN];
	n = dname_from_text(alg, algorithm);
	if (n < 0)
		return DNSD_EINVAL;
	dname_lower(alg, alg, (size_t)n);
	key->algorithm = tsig_algorithm_from_name(alg, (size_t)n);
	if (!key->algorithm)
		return DNSD_EINVAL;
	if (b64_decode(key->secret, sizeof(key->secret), &key->secret_len, secret_b64) != 0 ||
	    key->secret_len == 0)
		return DNSD_EPARSE;
	return 0;
}

/* ---------- parsing ---------- */

/* Skips a possibly compressed name; false if malformed. */
static bool skip_name(const uint8_t *msg, size_t len, size_t *pos)
{
	size_t p = *pos;
	for (;;) {
		if (p >= len)
			return false;
		uint8_t l = msg[p];
		if (l == 0) {
			*pos = p + 1;
			return true;
		}
		if ((l & 0xC0) == 0xC0) {
			if (p + 2 > len)
				return false;
			*pos = p + 2;
			return true;
		}
		if (l & 0xC0)
			return false;
		p += (size_t)l + 1;
	}
}

/* Reads a name that may be compressed (pointers strictly backwards) into
 * dst in lower case; returns its length or 0. */
static size_t read_name(const uint8_t *msg, size_t len, size_t pos, uint8_t *dst)
{
	size_t out = 0, limit = pos;
	for (;;) {
		if (pos >= len)
			return 0;
		uint8_t l = msg[pos];
		if ((l & 0xC0) == 0xC0) {
			if (pos + 2 > len)
				return 0;
			size_t target = (size_t)(l & 0x3F) << 8 | msg[pos + 1];
			if (target >= limit)
				return 0;
			limit = pos = target;
			continue;
		}
		if (l & 0xC0)
			return 0;
		if (out + l + 1 > DNAME_MAX_LEN || pos + l + 1 > len)
			return 0;
		dname_lower(dst + out, msg + pos, (size_t)l + 1);
		out += (size_t)l + 1;
		if (l == 0)
			return out;
		pos += (size_t)l + 1;
	}
}

/* An uncompressed name in rdata (RFC 8945 §4.2: the algorithm name is not compressed). */
static size_t read_plain_name(const uint8_t *p, size_t avail, uint8_t *dst)
{
	size_t n = 0;
	for (;;) {
		if (n >= avail)
			return 0;
		uint8_t l = p[n];
		if (l & 0xC0 || n + l + 1 > avail || n + l + 1 > DNAME_MAX_LEN)
			return 0;
		dname_lower(dst + n, p + n, (size_t)l + 1);
		n += (size_t)l + 1;
		if (l == 0)
			return n;
	}
}

int tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *rr)
{
	if (len < WIRE_HEADER_LEN)
		return DNSD_EPARSE;
	unsigned qd = wire_read_u16(msg + 4);
	unsigned records = (unsigned)wire_read_u16(msg + 6) + wire_read_u16(msg + 8) +
			   wire_read_u16(msg + 10);
	unsigned ar = wire_read_u16(msg + 10);
	size_t pos = WIRE_HEADER_LEN;
	for (unsigned i = 0; i < qd; i++) {
		if (!skip_name(msg, len, &pos) || pos + 4 > len)
			return DNSD_EPARSE;
		pos += 4;
	}
	bool found = false;
	for (unsigned i = 0; i < records; i++) {
		size_t start = pos;
		if (!skip_name(msg, len, &pos) || pos + 10 > len)
			return DNSD_EPARSE;
		uint16_t type = wire_read_u16(msg + pos);
		uint16_t rdlen = wire_read_u16(msg + pos + 8);
		size_t rdata = pos + 10;
		if (rdata + rdlen > len)
			return DNSD_EPARSE;
		pos = rdata + rdlen;
		if (type != WIRE_TYPE_TSIG)
			continue;
		/* RFC 8945 §5.1: only one, the last record of the additional section */
		if (found || i + 1 != records || ar == 0)
			return DNSD_EPARSE;
		found = true;
		memset(rr, 0, sizeof(*rr));
		rr->offset = start;
		rr->key_name_len = (uint8_t)read_name(msg, len, start, rr->key_name);
		if (!rr->key_name_len)
			return DNSD_EPARSE;
		if (wire_read_u16(msg + rdata - 8) != WIRE_CLASS_ANY || wire_read_u32(msg + rdata - 6) != 0)
			return DNSD_EPARSE;
		size_t n = read_plain_name(msg + rdata, rdlen, rr->algorithm_name);
		if (!n)
			return DNSD_EPARSE;
		rr->algorithm_name_len = (uint8_t)n;
		const uint8_t *p = msg + rdata + n, *end = msg + rdata + rdlen;
		if (end - p < 10)
			return DNSD_EPARSE;
		rr->time_signed = (uint64_t)wire_read_u16(p) << 32 | wire_read_u32(p + 2);
		rr->fudge = wire_read_u16(p + 6);
		rr->mac_len = wire_read_u16(p + 8);
		p += 10;
		if (end - p < (ptrdiff_t)rr->mac_len + 6)
			return DNSD_EPARSE;
		rr->mac = p;
		p += rr->mac_len;
		rr->original_id = wire_read_u16(p);
		rr->error = wire_read_u16(p + 2);
		rr->other_len = wire_read_u16(p + 4);
		p += 6;
		if (end - p != (ptrdiff_t)rr->other_len)
			return DNSD_EPARSE;
		rr->other = p;
	}
	if (pos != len)
		return DNSD_EPARSE;
	return found ? 0 : DNSD_ENOENT;
}

/* ---------- MAC ---------- */

struct mac {
	EVP_MAC_CTX *ctx;
};

static int mac_begin(struct mac *m, const struct tsig_key *key)
{
	pthread_once(&hmac_once, hmac_fetch);
	if (!hmac)
		return DNSD_ENOTSUP;
	m->ctx = EVP_MAC_CTX_new(hmac);
	if (!m->ctx)
		return DNSD_ENOMEM;
	OSSL_PARAM params[2] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 key->algorithm == TSIG_HMAC_SHA512 ? "SHA512" : "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	if (!EVP_MAC_init(m->ctx, key->secret, key->secret_len, params)) {
		EVP_MAC_CTX_free(m->ctx);
		m->ctx = NULL;
		return DNSD_ENOTSUP;
	}
	return 0;
}

static void mac_add(struct mac *m, const void *data, size_t len)
{
	if (len)
		EVP_MAC_update(m->ctx, data, len);
}

static void mac_add_u16(struct mac *m, uint16_t v)
{
	uint8_t b[2];
	wire_write_u16(b, v);
	mac_add(m, b, 2);
}

static void mac_add_time(struct mac *m, uint64_t t, uint16_t fudge)
{
	uint8_t b[8];
	wire_write_u16(b, (uint16_t)(t >> 32));
	wire_write_u32(b + 2, (uint32_t)t);
	wire_write_u16(b + 6, fudge);
	mac_add(m, b, 8);
}

/* The message part: header with id and arcount replaced, then the rest up to end. */
static void mac_add_message(struct mac *m, const uint8_t *msg, size_t end, uint16_t id, uint16_t arcount)
{
	uint8_t h[WIRE_HEADER_LEN];
	memcpy(h, msg, WIRE_HEADER_LEN);
	wire_write_u16(h, id);
	wire_write_u16(h + 10, arcount);
	mac_add(m, h, WIRE_HEADER_LEN);
	mac_add(m, msg + WIRE_HEADER_LEN, end - WIRE_HEADER_LEN);
}

/* RFC 8945 §4.3.3: the TSIG variables, names in canonical (lower case) form. */
static void mac_add_variables(struct mac *m, const uint8_t *key_name, size_t key_len, const uint8_t *alg,
			      size_t alg_len, uint64_t time_signed, uint16_t fudge, uint16_t error,
			      const uint8_t *other, uint16_t other_len)
{
	uint8_t b[6];
	mac_add(m, key_name, key_len);
	wire_write_u16(b, WIRE_CLASS_ANY);
	wire_write_u32(b + 2, 0);
	mac_add(m, b, 6);
	mac_add(m, alg, alg_len);
	mac_add_time(m, time_signed, fudge);
	mac_add_u16(m, error);
	mac_add_u16(m, other_len);
	mac_add(m, other, other_len);
}

static size_t mac_end(struct mac *m, uint8_t *out)
{
	size_t n = 0;
	if (!EVP_MAC_final(m->ctx, out, &n, TSIG_MAC_MAX))
		n = 0;
	EVP_MAC_CTX_free(m->ctx);
	m->ctx = NULL;
	return n;
}

static bool time_is_within(uint64_t now, uint64_t signed_at, uint16_t fudge)
{
	uint64_t d = now > signed_at ? now - signed_at : signed_at - now;
	return d <= fudge;
}

/* Computes the MAC a received message rr should carry. prior: the MAC it
 * answers (responses) or NULL (requests). */
static size_t mac_of_received(const struct tsig_key *key, const uint8_t *msg, const struct tsig_rr *rr,
			      const uint8_t *prior, uint16_t prior_len, uint8_t *out)
{
	struct mac m;
	if (mac_begin(&m, key) != 0)
		return 0;
	if (prior) {
		mac_add_u16(&m, prior_len);
		mac_add(&m, prior, prior_len);
	}
	mac_add_message(&m, msg, rr->offset, rr->original_id, (uint16_t)(wire_read_u16(msg + 10) - 1));
	mac_add_variables(&m, rr->key_name, rr->key_name_len, rr->algorithm_name, rr->algorithm_name_len,
			  rr->time_signed, rr->fudge, rr->error, rr->other, rr->other_len);
	return mac_end(&m, out);
}

enum tsig_error tsig_verify_request(struct tsig_stream *stream, const struct tsig_key *key,
				    const uint8_t *msg, size_t len, const struct tsig_rr *rr, uint64_t now)
{
	(void)len;
	memset(stream, 0, sizeof(*stream));
	/* RFC 8945 §5.2.1: a key we hold under this name but with another algorithm is BADKEY */
	if (tsig_algorithm_from_name(rr->algorithm_name, rr->algorithm_name_len) != key->algorithm)
		return TSIG_BADKEY;
	size_t full = tsig_mac_len(key->algorithm);
	/* §5.2.2.1: we accept only untruncated MACs */
	if (rr->mac_len < full)
		return rr->mac_len >= full / 2 && rr->mac_len >= 10 ? TSIG_BADTRUNC : TSIG_BADSIG;
	if (rr->mac_len > full)
		return TSIG_BADSIG;
	uint8_t mac[TSIG_MAC_MAX];
	size_t n = mac_of_received(key, msg, rr, NULL, 0, mac);
	if (n != full || CRYPTO_memcmp(mac, rr->mac, full) != 0)
		return TSIG_BADSIG;
	stream->key = key;
	memcpy(stream->prior_mac, rr->mac, full);
	stream->prior_mac_len = (uint16_t)full;
	stream->time_signed = rr->time_signed;
	stream->fudge = rr->fudge;
	/* §5.2.3: the time is checked after the MAC */
	if (!time_is_within(now, rr->time_signed, rr->fudge))
		return TSIG_BADTIME;
	return TSIG_OK;
}

void tsig_stream_init(struct tsig_stream *stream, const struct tsig_key *key, uint16_t fudge)
{
	memset(stream, 0, sizeof(*stream));
	stream->key = key;
	stream->fudge = fudge;
}

static int append_rr(uint8_t *msg, size_t *len, size_t cap, const uint8_t *key_name, size_t key_len,
		     const uint8_t *alg, size_t alg_len, uint64_t time_signed, uint16_t fudge,
		     const uint8_t *mac, uint16_t mac_len, uint16_t error, const uint8_t *other,
		     uint16_t other_len)
{
	size_t rdlen = alg_len + 10 + mac_len + 6 + other_len;
	size_t need = key_len + 10 + rdlen;
	if (*len < WIRE_HEADER_LEN || *len + need > cap || wire_read_u16(msg + 10) == UINT16_MAX)
		return DNSD_ERANGE;
	uint8_t *p = msg + *len;
	memcpy(p, key_name, key_len);
	p += key_len;
	wire_write_u16(p, WIRE_TYPE_TSIG);
	wire_write_u16(p + 2, WIRE_CLASS_ANY);
	wire_write_u32(p + 4, 0);
	wire_write_u16(p + 8, (uint16_t)rdlen);
	p += 10;
	memcpy(p, alg, alg_len);
	p += alg_len;
	wire_write_u16(p, (uint16_t)(time_signed >> 32));
	wire_write_u32(p + 2, (uint32_t)time_signed);
	wire_write_u16(p + 6, fudge);
	wire_write_u16(p + 8, mac_len);
	p += 10;
	if (mac_len)
		memcpy(p, mac, mac_len);
	p += mac_len;
	memcpy(p, msg, 2); /* original ID */
	wire_write_u16(p + 2, error);
	wire_write_u16(p + 4, other_len);
	p += 6;
	if (other_len)
		memcpy(p, other, other_len);
	*len += need;
	wire_write_u16(msg + 10, (uint16_t)(wire_read_u16(msg + 10) + 1));
	return 0;
}

int tsig_sign(struct tsig_stream *stream, uint8_t *msg, size_t *len, size_t cap, uint64_t now,
	      enum tsig_error error)
{
	const struct tsig_key *key = stream->key;
	size_t alg_len;
	const uint8_t *alg = algorithm_name(key->algorithm, &alg_len);
	uint8_t other[TSIG_OTHER_MAX];
	uint16_t other_len = 0;
	uint64_t time_signed = now;
	if (error == TSIG_BADTIME) {
		/* §5.2.3: echo the request's time, ours goes into Other Data */
		time_signed = stream->time_signed;
		wire_write_u16(other, (uint16_t)(now >> 32));
		wire_write_u32(other + 2, (uint32_t)now);
		other_len = 6;
	}
	if (*len < WIRE_HEADER_LEN)
		return DNSD_ERANGE;
	struct mac m;
	int rc = mac_begin(&m, key);
	if (rc != 0)
		return rc;
	if (stream->prior_mac_len) {
		mac_add_u16(&m, stream->prior_mac_len);
		mac_add(&m, stream->prior_mac, stream->prior_mac_len);
	}
	mac_add_message(&m, msg, *len, wire_read_u16(msg), wire_read_u16(msg + 10));
	if (stream->messages > 0 && stream->prior_mac_len)
		mac_add_time(&m, time_signed, stream->fudge); /* §5.3.1: timers only */
	else
		mac_add_variables(&m, key->name, key->name_len, alg, alg_len, time_signed, stream->fudge,
				  (uint16_t)error, other, other_len);
	uint8_t mac[TSIG_MAC_MAX];
	size_t n = mac_end(&m, mac);
	if (n == 0)
		return DNSD_ENOTSUP;
	rc = append_rr(msg, len, cap, key->name, key->name_len, alg, alg_len, time_signed, stream->fudge, mac,
		       (uint16_t)n, (uint16_t)error, other, other_len);
	if (rc != 0)
		return rc;
	memcpy(stream->prior_mac, mac, n);
	stream->prior_mac_len = (uint16_t)n;
	if (stream->messages == 0 && !stream->time_signed)
		stream->time_signed = time_signed;
	stream->messages++;
	return 0;
}

int tsig_append_error(uint8_t *msg, size_t *len, size_t cap, const struct tsig_rr *request,
		      enum tsig_error error)
{
	return append_rr(msg, len, cap, request->key_name, request->key_name_len, request->algorithm_name,
			 request->algorithm_name_len, request->time_signed, request->fudge, NULL, 0,
			 (uint16_t)error, NULL, 0);
}

enum tsig_error tsig_verify_response(struct tsig_stream *stream, const uint8_t *msg, size_t len,
				     const struct tsig_rr *rr, uint64_t now)
{
	(void)len;
	const struct tsig_key *key = stream->key;
	if (rr->key_name_len != key->name_len || memcmp(rr->key_name, key->name, key->name_len) != 0 ||
	    tsig_algorithm_from_name(rr->algorithm_name, rr->algorithm_name_len) != key->algorithm)
		return TSIG_BADKEY;
	if (rr->error != TSIG_OK)
		return (enum tsig_error)rr->error;
	size_t full = tsig_mac_len(key->algorithm);
	if (rr->mac_len != full)
		return TSIG_BADSIG;
	uint8_t mac[TSIG_MAC_MAX];
	size_t n = mac_of_received(key, msg, rr, stream->prior_mac, stream->prior_mac_len, mac);
	if (n != full || CRYPTO_memcmp(mac, rr->mac, full) != 0)
		return TSIG_BADSIG;
	if (!time_is_within(now, rr->time_signed, rr->fudge))
		return TSIG_BADTIME;
	memcpy(stream->prior_mac, rr->mac, full);
	return TSIG_OK;
}
