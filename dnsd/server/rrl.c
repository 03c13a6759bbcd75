/* SPDX-License-Identifier: BSD-3-Clause
 * rrl.c - response rate limiting (rrl.h). A bucket is two 64-bit atomics:
 * its key, and its state (the time it was last refilled, in ms, and its
 * tokens, in thousandths of a response). A refill adds rate tokens per
 * second up to a burst of one second's worth; each response takes one. A
 * key that is not the bucket's takes the bucket over, full (the table is
 * a cache: a busy prefix keeps its bucket, a one-off one gives it up). */
#include "server/rrl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "conf/addr.h"
#include "dns/wire.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"
#include "zone/zone.h"

#define RRL_TOKEN 1000u       /* one response, in thousandths */
#define RRL_LOG_INTERVAL_S 10 /* at most one log line per UDP thread this often */
#define RRL_CAS_TRIES 4

struct rrl_bucket {
	_Atomic uint64_t key;   /* 0 = never used */
	_Atomic uint64_t state; /* (time_ms << 32) | tokens */
};

struct rrl {
	uint32_t rate[RRL_KIND_COUNT]; /* responses per second */
	uint32_t slip;                 /* 0 = drop all; 1 = slip all; n = every nth */
	uint8_t prefix4, prefix6;
	bool is_log_only;
	struct config_prefix *exempt;
	size_t exempt_count;
	uint32_t seed[2];
	uint64_t epoch_ns; /* times are ms since this */
	size_t mask;       /* bucket count - 1 */
	struct rrl_bucket *buckets;
};

const char *rrl_kind_name(enum rrl_kind kind)
{
	static const char *const names[RRL_KIND_COUNT] = { "response", "nxdomain", "error" };
	return kind < RRL_KIND_COUNT ? names[kind] : "?";
}

int rrl_new(struct rrl **out, const struct config *cfg, char *err, size_t errlen)
{
	*out = NULL;
	if (cfg->rrl_responses_per_second == 0)
		return 0;
	struct rrl *r = calloc(1, sizeof(*r));
	if (!r)
		goto nomem;
	uint32_t rps = cfg->rrl_responses_per_second;
	r->rate[RRL_KIND_RESPONSE] = rps;
	r->rate[RRL_KIND_NXDOMAIN] = cfg->rrl_nxdomains_per_second ? cfg->rrl_nxdomains_per_second : rps;
	r->rate[RRL_KIND_ERROR] = cfg->rrl_errors_per_second ? cfg->rrl_errors_per_second : rps;
	r->slip = cfg->rrl_slip;
	r->prefix4 = (uint8_t)cfg->rrl_ipv4_prefix_length;
	r->prefix6 = (uint8_t)cfg->rrl_ipv6_prefix_length;
	r->is_log_only = cfg->rrl_is_log_only;
	if (cfg->rrl_exempt_count) {
		r->exempt = calloc(cfg->rrl_exempt_count, sizeof(*r->exempt));
		if (!r->exempt)
			goto nomem;
		memcpy(r->exempt, cfg->rrl_exempt, cfg->rrl_exempt_count * sizeof(*r->exempt));
		r->exempt_count = cfg->rrl_exempt_count;
	}
	size_t n = 1;
	while (n < cfg->rrl_table_size)
		n <<= 1;
	r->mask = n - 1;
	r->buckets = calloc(n, sizeof(*r->buckets));
	if (!r->buckets)
		goto nomem;
	if (getrandom(r->seed, sizeof(r->seed), 0) != (ssize_t)sizeof(r->seed)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		r->seed[0] = (uint32_t)ts.tv_nsec ^ HASH_FNV1A_INIT;
		r->seed[1] = (uint32_t)ts.tv_sec * HASH_FNV1A_PRIME;
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	r->epoch_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	*out = r;
	return 0;
nomem:
	rrl_free(r);
	snprintf(err, errlen, "rrl: out of memory for %u buckets", cfg->rrl_table_size);
	return DNSD_ENOMEM;
}

void rrl_free(struct rrl *r)
{
	if (!r)
		return;
	free(r->buckets);
	free(r->exempt);
	free(r);
}

/* The client's family (IPv4-mapped is IPv4) and address bytes. */
static int rrl_client(const struct sockaddr *sa, const uint8_t **addr)
{
	if (sa->sa_family == AF_INET) {
		*addr = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
		return AF_INET;
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	*addr = (const uint8_t *)a6;
	if (IN6_IS_ADDR_V4MAPPED(a6)) {
		*addr += 12;
		return AF_INET;
	}
	return AF_INET6;
}

static bool rrl_is_exempt(const struct rrl *r, int family, const uint8_t *addr)
{
	for (size_t i = 0; i < r->exempt_count; i++)
		if (config_prefix_match(&r->exempt[i], family, addr, family == AF_INET ? 32 : 128))
			return !r->exempt[i].is_negated;
	return false;
}

static enum rrl_kind rrl_kind_of(const struct answer_info *info)
{
	if (info->rcode == WIRE_RCODE_NXDOMAIN)
		return RRL_KIND_NXDOMAIN;
	if (info->rcode != WIRE_RCODE_NOERROR)
		return RRL_KIND_ERROR;
	return RRL_KIND_RESPONSE;
}

/* Takes one token from the bucket of key; false when it has none. */
static bool rrl_take(struct rrl *r, uint64_t key, uint32_t rate, uint32_t now_ms)
{
	struct rrl_bucket *b = &r->buckets[(key >> 32) & r->mask];
	uint64_t burst = (uint64_t)rate * RRL_TOKEN;
	if (atomic_load_explicit(&b->key, memory_order_relaxed) != key) {
		/* a new owner starts full, less this response */
		atomic_store_explicit(&b->key, key, memory_order_relaxed);
		atomic_store_explicit(&b->state, ((uint64_t)now_ms << 32) | (burst - RRL_TOKEN),
				      memory_order_relaxed);
		return true;
	}
	for (int i = 0; i < RRL_CAS_TRIES; i++) {
		uint64_t s = atomic_load_explicit(&b->state, memory_order_relaxed);
		uint32_t last_ms = (uint32_t)(s >> 32);
		uint64_t tokens = (uint32_t)s;
		uint32_t elapsed = now_ms - last_ms; /* wraps after 49 days: at worst one full refill */
		if (elapsed > 1000)
			elapsed = 1000;             /* a second refills the burst */
		tokens += (uint64_t)elapsed * rate; /* rate per s = rate thousandths per ms */
		if (tokens > burst)
			tokens = burst;
		bool is_ok = tokens >= RRL_TOKEN;
		if (is_ok)
			tokens -= RRL_TOKEN;
		uint64_t next = ((uint64_t)now_ms << 32) | tokens;
		if (atomic_compare_exchange_weak_explicit(&b->state, &s, next, memory_order_relaxed,
							  memory_order_relaxed))
			return is_ok;
	}
	return true; /* contended: never hold a reply for a counter */
}

static void rrl_log(const struct rrl *r, struct rrl_thread *t, int family, const uint8_t *prefix,
		    enum rrl_kind kind, uint64_t now_ns)
{
	t->since_log++;
	int64_t now_s = (int64_t)(now_ns / 1000000000u);
	if (t->logged_s != 0 && now_s - t->logged_s < RRL_LOG_INTERVAL_S)
		return;
	char text[INET6_ADDRSTRLEN];
	if (!inet_ntop(family, prefix, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	/* the limits as the config names them (responses-, nxdomains-, errors-per-second) */
	static const char *const what[RRL_KIND_COUNT] = { "responses", "NXDOMAIN responses",
							  "error responses" };
	log_warn("rrl: %s %s to %s/%u over %u/s (%llu limited by this thread since its last "
		 "line; dnsd_rrl_limited_total)",
		 r->is_log_only ? "would limit (log-only)" : "limiting",
		 kind < RRL_KIND_COUNT ? what[kind] : "?", text, family == AF_INET ? r->prefix4 : r->prefix6,
		 r->rate[kind], (unsigned long long)t->since_log);
	t->logged_s = now_s ? now_s : 1;
	t->since_log = 0;
}

enum rrl_verdict rrl_check(struct rrl *r, struct rrl_thread *t, const struct sockaddr *client,
			   const struct answer_info *info, uint64_t now_ns, enum rrl_kind *kind)
{
	*kind = rrl_kind_of(info);
	const uint8_t *addr;
	int family = rrl_client(client, &addr);
	if (!family || rrl_is_exempt(r, family, addr))
		return RRL_PASS;
	/* the client's prefix, host bits cleared */
	uint8_t prefix[16] = { 0 };
	unsigned bits = family == AF_INET ? r->prefix4 : r->prefix6;
	memcpy(prefix, addr, (bits + 7) / 8);
	if (bits % 8)
		prefix[bits / 8] &= (uint8_t)(0xff << (8 - bits % 8));
	uint8_t tag[2] = { (uint8_t)family, (uint8_t)*kind };
	uint32_t h[2];
	for (int i = 0; i < 2; i++) {
		uint32_t x = hash_fnv1a_update(r->seed[i], tag, sizeof(tag));
		x = hash_fnv1a_update(x, prefix, family == AF_INET ? 4 : 16);
		if (*kind == RRL_KIND_RESPONSE && info->query.has_question) {
			x = hash_fnv1a_update(x, info->query.qname, info->query.qname_len);
			x = hash_fnv1a_update(x, &info->query.qtype, sizeof(info->query.qtype));
		} else if (*kind == RRL_KIND_NXDOMAIN && info->zone) {
			x = hash_fnv1a_update(x, info->zone->apex, info->zone->apex_len);
		}
		h[i] = x;
	}
	uint64_t key = ((uint64_t)h[1] << 32 | h[0]) | 1; /* never 0, the unused bucket */
	uint32_t now_ms = (uint32_t)((now_ns - r->epoch_ns) / 1000000u);
	if (rrl_take(r, key, r->rate[*kind], now_ms))
		return RRL_PASS;
	rrl_log(r, t, family, prefix, *kind, now_ns);
	if (r->is_log_only)
		return RRL_LOG_ONLY;
	t->limited++;
	if (r->slip != 0 && t->limited % r->slip == 0)
		return RRL_SLIP;
	return RRL_DROP;
}

/* The end of the name at off in the reply (compressed or not), 0 if it
 * runs past len. */
static size_t rrl_skip_name(const uint8_t *buf, size_t len, size_t off)
{
	while (off < len) {
		uint8_t c = buf[off];
		if (c == 0)
			return off + 1;
		if ((c & 0xC0) == 0xC0)
			return off + 2 <= len ? off + 2 : 0;
		off += 1u + c;
	}
	return 0;
}

/* Where the reply's OPT record starts (its owner byte) and its length: the
 * records after the question are walked (the slip path only). false when
 * there is none. */
static bool rrl_find_opt(const uint8_t *buf, size_t len, size_t off, size_t *opt, size_t *opt_len)
{
	unsigned records = (unsigned)wire_read_u16(buf + 6) + wire_read_u16(buf + 8) +
			   wire_read_u16(buf + 10);
	for (unsigned i = 0; i < records; i++) {
		size_t start = off;
		off = rrl_skip_name(buf, len, off);
		if (off == 0 || off + 10 > len)
			return false;
		uint16_t type = wire_read_u16(buf + off);
		size_t end = off + 10 + wire_read_u16(buf + off + 8);
		if (end > len)
			return false;
		if (type == WIRE_TYPE_OPT) {
			*opt = start;
			*opt_len = end - start;
			return true;
		}
		off = end;
	}
	return false;
}

size_t rrl_slip_reply(uint8_t *buf, size_t len, const struct answer_info *info)
{
	size_t keep = WIRE_HEADER_LEN;
	if (info->query.has_question && WIRE_HEADER_LEN + info->query.question_len <= len &&
	    wire_read_u16(buf + 4) == 1)
		keep += info->query.question_len;
	if (len < WIRE_HEADER_LEN)
		return len;
	/* the reply's OPT stays (its payload size, extended rcode, cookie): a TC
	 * without one would tell an EDNS client that the server lost EDNS */
	size_t opt = 0, opt_len = 0;
	bool has_opt = (keep > WIRE_HEADER_LEN || wire_read_u16(buf + 4) == 0) &&
		       rrl_find_opt(buf, len, keep, &opt, &opt_len);
	buf[2] |= 0x02; /* TC */
	wire_write_u16(buf + 4, keep > WIRE_HEADER_LEN ? 1 : 0);
	wire_write_u16(buf + 6, 0);
	wire_write_u16(buf + 8, 0);
	wire_write_u16(buf + 10, has_opt ? 1 : 0);
	if (has_opt) {
		memmove(buf + keep, buf + opt, opt_len);
		keep += opt_len;
	}
	return keep;
}
