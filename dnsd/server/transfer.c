/* SPDX-License-Identifier: BSD-3-Clause
 * transfer.c - access control, TSIG and the transfer streams of the
 * primary. The order of checks follows RFC 8945 §5.2 (key, MAC, time) and
 * then RFC 5936 §2.2 / RFC 1995: a view, a zone whose apex is the qname,
 * the zone's allow-transfer, then the kind of answer. */
#include "server/transfer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/tsig.h"
#include "query/xfr.h"
#include "util/err.h"
#include "util/log.h"
#include "util/metrics.h"
#include "zone/journal.h"

struct transfer_stats transfer_stats;

struct transfer {
	struct zone *zone; /* one reference held */
	bool has_tsig;
	bool is_stream;      /* over TCP: counted completed or aborted */
	struct tsig_key key; /* a copy: a reload may free the policy */
	struct tsig_stream tsig;
	char client[INET6_ADDRSTRLEN + 8];
	struct timespec started;
	struct xfr x;
};

static void stat_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static void client_text(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof(host));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof(host));
	snprintf(buf, len, "%s", host);
}

/* The COOKIE option of a transfer's replies (RFC 7873 §5.2.3: every reply
 * to a query with one): the client cookie, then a fresh server cookie. */
struct transfer_cookie {
	bool has_cookie;
	uint8_t bytes[COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN];
};

/* A reply without records: the question echoed, rcode, an OPT when the
 * request had EDNS and there is something to say: the Extended DNS Error
 * Prohibited (RFC 8914 §4.19) when ede_text is set, the server cookie when
 * the request had a COOKIE option; then TSIG, last (RFC 8945 §5.3: after the
 * OPT, its MAC covering it): signed when the request verified (or BADTIME),
 * an unsigned error record for BADKEY/BADSIG (RFC 8945 §5.3.2). */
static size_t reply_simple_ede(const struct wire_query *q, uint8_t *out, size_t cap, uint8_t rcode,
			       uint16_t flags, struct tsig_stream *ts, const struct tsig_rr *rr,
			       enum tsig_error te, const char *ede_text, const struct transfer_cookie *ck)
{
	size_t len = WIRE_HEADER_LEN;
	bool has_question = q->has_question && WIRE_HEADER_LEN + q->question_len + TSIG_RR_MAX <= cap;
	size_t text_len = ede_text ? strlen(ede_text) : 0;
	bool has_cookie = ck && ck->has_cookie;
	bool has_opt = (ede_text || has_cookie) && q->has_opt &&
		       WIRE_HEADER_LEN + q->question_len + WIRE_OPT_LEN + (ede_text ? 6 + text_len : 0) +
				       (has_cookie ? 4 + sizeof(ck->bytes) : 0) + TSIG_RR_MAX <=
			       cap;
	wire_write_u16(out, q->id);
	wire_write_u16(out + 2,
		       (uint16_t)(WIRE_FLAG_QR | (uint16_t)(q->opcode << 11) |
				  (q->flags & (WIRE_FLAG_RD | WIRE_FLAG_CD)) | flags | (rcode & 0xF)));
	wire_write_u16(out + 4, has_question);
	wire_write_u16(out + 6, 0);
	wire_write_u16(out + 8, 0);
	wire_write_u16(out + 10, has_opt);
	if (has_question) {
		memcpy(out + len, q->pkt + WIRE_HEADER_LEN, q->question_len);
		len += q->question_len;
	}
	if (has_opt) {
		uint8_t *opt = out + len;
		len += wire_write_opt(opt, 1232, (uint8_t)(rcode >> 4), q->is_do, NULL, 0);
		if (has_cookie)
			len += wire_opt_append(opt, WIRE_EDNS_OPTION_COOKIE, ck->bytes, sizeof(ck->bytes));
		if (ede_text)
			len += wire_opt_append_ede(opt, WIRE_EDE_PROHIBITED, ede_text, text_len);
	}
	uint64_t now = (uint64_t)time(NULL);
	if (ts && ts->key && (te == TSIG_OK || te == TSIG_BADTIME))
		tsig_sign(ts, out, &len, cap, now, te);
	else if (rr && te != TSIG_OK)
		tsig_append_error(out, &len, cap, rr, te);
	return len;
}

static size_t reply_simple(const struct wire_query *q, uint8_t *out, size_t cap, uint8_t rcode,
			   uint16_t flags, struct tsig_stream *ts, const struct tsig_rr *rr,
			   enum tsig_error te, const struct transfer_cookie *ck)
{
	return reply_simple_ede(q, out, cap, rcode, flags, ts, rr, te, NULL, ck);
}

/* Refusals and TSIG failures are logged within a limit each (log.h): any
 * client can cause them at will. */
static struct log_limit refusal_log_limit, tsig_log_limit;

/* " (N more not logged: log limit)" when held, else "" */
static const char *held_text(uint64_t held, char *buf, size_t len)
{
	if (!held)
		return "";
	snprintf(buf, len, " (%llu more since the last such line not logged: at most %d a second)",
		 (unsigned long long)held, LOG_LIMIT_LINES);
	return buf;
}

static void log_refusal(const char *why, const struct wire_query *q, const char *client, const char *view,
			const char *key)
{
	uint64_t held;
	if (!log_limit_pass(&refusal_log_limit, &held))
		return;
	char zone[DNAME_MAX_TEXT], more[96];
	dname_to_text(zone, sizeof(zone), q->qname);
	log_warn("transfer refused: %s: client=%s qtype=%s zone=%s view=%s key=%s%s", why, client,
		 q->qtype == WIRE_TYPE_AXFR   ? "AXFR"
		 : q->qtype == WIRE_TYPE_IXFR ? "IXFR"
					      : "other",
		 zone, view ? view : "-", key ? key : "-", held_text(held, more, sizeof(more)));
}

enum transfer_verdict transfer_begin(const struct snapshot *snap, const struct xfr_policy *policy,
				     const struct answer_request *req, uint8_t *out, size_t cap, size_t *len,
				     struct transfer **t, struct answer_info *info)
{
	struct wire_query *q = &info->query;
	*t = NULL;
	if (!snap || wire_parse_query(q, req->pkt, req->len) != WIRE_OK)
		return TRANSFER_NONE; /* answer_query() says FORMERR, NOTIMP, ... */
	bool is_xfr = (q->qtype == WIRE_TYPE_AXFR || q->qtype == WIRE_TYPE_IXFR) &&
		      q->qclass == WIRE_CLASS_IN;
	if (!is_xfr && !q->has_tsig)
		return TRANSFER_NONE;
	info->is_dropped = false;
	info->is_truncated = false;
	info->ede = WIRE_EDE_NONE;
	info->qtype = q->qtype;
	info->view = -1;
	info->zone = NULL;
	char client[INET6_ADDRSTRLEN + 8];
	client_text(req->client, client, sizeof(client));
	/* RFC 7873 §5.2.3: every reply to a query with a COOKIE option carries
	 * ours, the refusals and every message of the transfer included */
	struct transfer_cookie ck = { .has_cookie = q->has_option_work && q->has_cookie && q->has_opt };
	if (ck.has_cookie) {
		memcpy(ck.bytes, q->cookie, COOKIE_CLIENT_LEN);
		cookie_make(ck.bytes + COOKIE_CLIENT_LEN, snap->settings.cookie_secrets.current, q->cookie,
			    req->client, req->now_s);
	}

	/* RFC 8945 §5.2: the key, the MAC, then the time */
	int key = -1;
	struct tsig_stream ts = { 0 };
	struct tsig_rr rr;
	if (q->has_tsig) {
		if (tsig_find(req->pkt, req->len, &rr) != 0) {
			*len = reply_simple(q, out, cap, WIRE_RCODE_FORMERR, 0, NULL, NULL, TSIG_OK, &ck);
			info->rcode = WIRE_RCODE_FORMERR;
			return TRANSFER_REPLY;
		}
		key = xfr_policy_find_key(policy, rr.key_name, rr.key_name_len);
		enum tsig_error te = key < 0 ? TSIG_BADKEY
					     : tsig_verify_request(&ts, &policy->keys[key], req->pkt,
								   req->len, &rr, (uint64_t)time(NULL));
		uint64_t held;
		if (te != TSIG_OK && log_limit_pass(&tsig_log_limit, &held)) {
			char kname[DNAME_MAX_TEXT], more[96];
			dname_to_text(kname, sizeof(kname), rr.key_name);
			log_warn("tsig: %s from %s, key %s%s", tsig_error_text(te), client, kname,
				 held_text(held, more, sizeof(more)));
		}
		if (te != TSIG_OK) {
			stat_add(te == TSIG_BADKEY    ? &transfer_stats.tsig_badkey
				 : te == TSIG_BADTIME ? &transfer_stats.tsig_badtime
						      : &transfer_stats.tsig_badsig,
				 1);
			*len = reply_simple(q, out, cap, TSIG_RCODE_NOTAUTH, 0, &ts, &rr, te, &ck);
			info->rcode = TSIG_RCODE_NOTAUTH;
			return TRANSFER_REPLY;
		}
		stat_add(&transfer_stats.tsig_ok, 1);
	}
	const char *key_name = key >= 0 ? policy->keys[key].name_text : NULL;

	/* the view: the key's, else the client's address (views with keys of
	 * their own serve only those keys' transfers) */
	int view = key >= 0 ? xfr_policy_view_for_key(policy, key) : -1;
	if (view < 0) {
		uint8_t scope;
		view = view_select(snap->views, req->client, req->local, NULL, &scope);
		if (view >= 0 && key < 0 && is_xfr && xfr_policy_view_has_keys(policy, (size_t)view))
			view = -1;
	}
	info->view = view;
	if (!is_xfr) {
		/* a signed query (a secondary's SOA check): the key's view, signed */
		struct answer_request r2 = *req;
		r2.has_view = true; /* -1: no view, REFUSED */
		r2.view = view;
		size_t room = cap - TSIG_RR_MAX;
		size_t n = answer_query(snap, &r2, out, room, info);
		*len = n;
		if (n == 0)
			return TRANSFER_REPLY;
		*len = n;
		tsig_sign(&ts, out, len, cap, (uint64_t)time(NULL), TSIG_OK);
		return TRANSFER_REPLY;
	}
	const char *view_name = view >= 0 ? snap->views->views[view].name : NULL;
	if (view < 0) {
		log_refusal("no view", q, client, NULL, key_name);
		stat_add(&transfer_stats.refused, 1);
		*len = reply_simple_ede(q, out, cap, WIRE_RCODE_REFUSED, 0, &ts, NULL, TSIG_OK,
					"transfer refused: no view matches this client", &ck);
		info->ede = q->has_opt ? WIRE_EDE_PROHIBITED : WIRE_EDE_NONE;
		info->rcode = WIRE_RCODE_REFUSED;
		return TRANSFER_REPLY;
	}
	const struct zone_set *set = snap->sets[view];
	const struct zone *z = set ? zone_set_find(set, q->qname, q->qname_len) : NULL;
	info->zone = z;
	/* RFC 5936 §2.2.1: not authoritative for a zone of that name */
	if (!z || z->apex_len != q->qname_len) {
		log_refusal("not a zone apex", q, client, view_name, key_name);
		stat_add(&transfer_stats.refused, 1);
		*len = reply_simple(q, out, cap, TSIG_RCODE_NOTAUTH, 0, &ts, NULL, TSIG_OK, &ck);
		info->rcode = TSIG_RCODE_NOTAUTH;
		return TRANSFER_REPLY;
	}
	const struct xfr_zone_policy *zp = xfr_policy_zone(policy, (size_t)view, z->apex, z->apex_len);
	if (!xfr_policy_allows(zp, req->client, key)) {
		log_refusal("not in allow-transfer", q, client, view_name, key_name);
		stat_add(&transfer_stats.refused, 1);
		*len = reply_simple_ede(q, out, cap, WIRE_RCODE_REFUSED, 0, &ts, NULL, TSIG_OK,
					"transfer refused: not in allow-transfer", &ck);
		info->ede = q->has_opt ? WIRE_EDE_PROHIBITED : WIRE_EDE_NONE;
		info->rcode = WIRE_RCODE_REFUSED;
		return TRANSFER_REPLY;
	}
	/* RFC 5936 §4.2: AXFR is a TCP affair */
	if (!req->is_tcp && q->qtype == WIRE_TYPE_AXFR) {
		stat_add(&transfer_stats.refused, 1);
		*len = reply_simple_ede(q, out, cap, WIRE_RCODE_REFUSED, 0, &ts, NULL, TSIG_OK,
					"AXFR is served over TCP only", &ck);
		info->ede = q->has_opt ? WIRE_EDE_PROHIBITED : WIRE_EDE_NONE;
		info->rcode = WIRE_RCODE_REFUSED;
		return TRANSFER_REPLY;
	}
	if (z->is_pending) {
		*len = reply_simple(q, out, cap, WIRE_RCODE_SERVFAIL, 0, &ts, NULL, TSIG_OK, &ck);
		info->rcode = WIRE_RCODE_SERVFAIL;
		return TRANSFER_REPLY;
	}
	uint32_t serial = 0;
	bool has_serial = false;
	if (q->qtype == WIRE_TYPE_IXFR) {
		int rc = xfr_ixfr_serial(req->pkt, req->len, &serial);
		if (rc == DNSD_EPARSE) {
			*len = reply_simple(q, out, cap, WIRE_RCODE_FORMERR, 0, &ts, NULL, TSIG_OK, &ck);
			info->rcode = WIRE_RCODE_FORMERR;
			return TRANSFER_REPLY;
		}
		has_serial = rc == 0;
	}
	struct transfer *x = calloc(1, sizeof(*x));
	if (!x) {
		*len = reply_simple(q, out, cap, WIRE_RCODE_SERVFAIL, 0, &ts, NULL, TSIG_OK, &ck);
		info->rcode = WIRE_RCODE_SERVFAIL;
		return TRANSFER_REPLY;
	}
	x->zone = (struct zone *)z;
	zone_ref(x->zone);
	if (key >= 0) {
		x->has_tsig = true;
		x->key = policy->keys[key];
		x->tsig = ts;
		x->tsig.key = &x->key;
	}
	snprintf(x->client, sizeof(x->client), "%s", client);
	clock_gettime(CLOCK_MONOTONIC, &x->started);
	xfr_init(&x->x, z, z->journal, q, has_serial, serial);
	if (ck.has_cookie)
		xfr_set_cookie(&x->x, ck.bytes);
	info->rcode = WIRE_RCODE_NOERROR;
	static const char *const kinds[] = { "AXFR", "IXFR current", "IXFR from journal",
					     "IXFR as full zone" };
	char from[24] = "";
	if (has_serial)
		snprintf(from, sizeof(from), " from %u", serial);
	log_info("transfer %s zone %s view %s serial %u%s to %s key %s", kinds[x->x.kind], z->name_text,
		 view_name, z->serial, from, client, key_name ? key_name : "-");
	stat_add(x->x.kind == XFR_AXFR           ? &transfer_stats.axfr
		 : x->x.kind == XFR_IXFR_DIFF    ? &transfer_stats.ixfr_diff
		 : x->x.kind == XFR_IXFR_CURRENT ? &transfer_stats.ixfr_current
						 : &transfer_stats.ixfr_full,
		 1);
	stat_add(&transfer_stats.active, 1);
	if (req->is_tcp) {
		x->is_stream = true;
		*t = x;
		return TRANSFER_STREAM;
	}
	/* RFC 1995 §2: over UDP the whole answer if it fits one datagram, else
	 * "a single SOA record of the server's current version to inform the
	 * client that a TCP query should be initiated", with TC set as well:
	 * BIND and kdig read the SOA (an empty TC answer is an error to kdig),
	 * NSD and dnspython also take TC as the cue to retry over TCP. */
	size_t limit = q->has_opt && q->udp_size > 512 ? q->udp_size : 512;
	if (limit > snap->settings.udp_payload_max)
		limit = snap->settings.udp_payload_max < 512 ? 512 : snap->settings.udp_payload_max;
	if (limit > cap)
		limit = cap;
	size_t room = limit - (x->has_tsig ? TSIG_RR_MAX : 0);
	size_t n = xfr_next(&x->x, out, room);
	if (n > 0 && xfr_is_done(&x->x)) {
		if (x->has_tsig)
			tsig_sign(&x->tsig, out, &n, limit, (uint64_t)time(NULL), TSIG_OK);
		*len = n;
	} else {
		stat_add(&transfer_stats.ixfr_udp_tc, 1);
		xfr_init(&x->x, z, z->journal, q, true, z->serial);
		if (ck.has_cookie)
			xfr_set_cookie(&x->x, ck.bytes);
		n = xfr_next(&x->x, out, room);
		if (n >= WIRE_HEADER_LEN) {
			wire_write_u16(out + 2, (uint16_t)(wire_read_u16(out + 2) | WIRE_FLAG_TC));
			if (x->has_tsig)
				tsig_sign(&x->tsig, out, &n, limit, (uint64_t)time(NULL), TSIG_OK);
			*len = n;
		} else {
			*len = reply_simple(q, out, cap, WIRE_RCODE_NOERROR, WIRE_FLAG_AA | WIRE_FLAG_TC,
					    x->has_tsig ? &x->tsig : NULL, NULL, TSIG_OK, &ck);
		}
		info->is_truncated = true;
	}
	transfer_free(x);
	return TRANSFER_REPLY;
}

size_t transfer_next(struct transfer *t, uint8_t *out, size_t cap)
{
	size_t room = cap - (t->has_tsig ? TSIG_RR_MAX : 0);
	size_t len = xfr_next(&t->x, out, room > XFR_MESSAGE_MAX ? XFR_MESSAGE_MAX : room);
	if (len == 0)
		return 0;
	if (t->has_tsig && tsig_sign(&t->tsig, out, &len, cap, (uint64_t)time(NULL), TSIG_OK) != 0)
		return 0;
	stat_add(&transfer_stats.messages, 1);
	stat_add(&transfer_stats.bytes, len);
	return len;
}

size_t transfer_message_room(void) { return XFR_MESSAGE_MAX + TSIG_RR_MAX; }

bool transfer_is_done(const struct transfer *t) { return xfr_is_done(&t->x); }

void transfer_free(struct transfer *t)
{
	if (!t)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - t->started.tv_sec) * 1e3 +
		    (double)(now.tv_nsec - t->started.tv_nsec) / 1e6;
	stat_add(&transfer_stats.records, t->x.records);
	if (!t->is_stream) {
		/* one datagram (UDP IXFR): nothing to complete */
	} else if (xfr_is_done(&t->x)) {
		stat_add(&transfer_stats.completed, 1);
		log_info("transfer zone %s to %s done: %zu messages, %zu records, %zu bytes, %.1f ms",
			 t->zone->name_text, t->client, t->x.messages, t->x.records, t->x.bytes, ms);
	} else {
		stat_add(&transfer_stats.aborted, 1);
		log_info("transfer zone %s to %s aborted after %zu messages, %.1f ms", t->zone->name_text,
			 t->client, t->x.messages, ms);
	}
	atomic_fetch_sub_explicit(&transfer_stats.active, 1, memory_order_relaxed);
	zone_unref(t->zone);
	free(t);
}

static uint64_t load(const _Atomic uint64_t *v) { return atomic_load_explicit(v, memory_order_relaxed); }

/* One labelled sample per row. */
static void samples(struct metrics_out *m, const char *name, const char *const (*labels)[2],
		    size_t label_count, const uint64_t *values, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct metrics_label l[2];
		for (size_t j = 0; j < label_count; j++)
			l[j] = (struct metrics_label){ j == 0 ? (label_count == 2 ? "type" : "result")
							      : "result",
						       labels[i][j] };
		metrics_sample(m, name, l, label_count, values[i]);
	}
}

void transfer_collect_metrics(void *ctx, struct metrics_out *m)
{
	(void)ctx;
	const struct transfer_stats *t = &transfer_stats;
	static const char *const kinds[][2] = {
		{ "AXFR", "full" },    { "IXFR", "journal" },       { "IXFR", "full" },
		{ "IXFR", "current" }, { "IXFR", "udp_truncated" }, { "any", "refused" },
	};
	uint64_t kv[] = { load(&t->axfr),         load(&t->ixfr_diff),   load(&t->ixfr_full),
			  load(&t->ixfr_current), load(&t->ixfr_udp_tc), load(&t->refused) };
	metrics_family(m, "dnsd_xfr_requests_total", METRICS_COUNTER,
		       "Zone transfer requests by type and how they were answered.");
	samples(m, "dnsd_xfr_requests_total", kinds, 2, kv, 6);
	static const char *const outcomes[][2] = { { "completed", NULL }, { "aborted", NULL } };
	uint64_t ov[] = { load(&t->completed), load(&t->aborted) };
	metrics_family(m, "dnsd_xfr_streams_total", METRICS_COUNTER, "TCP transfer streams by outcome.");
	for (size_t i = 0; i < 2; i++) {
		struct metrics_label l = { "outcome", outcomes[i][0] };
		metrics_sample(m, "dnsd_xfr_streams_total", &l, 1, ov[i]);
	}
	metrics_single(m, "dnsd_xfr_active", METRICS_GAUGE, "Transfers being sent now.", load(&t->active));
	metrics_single(m, "dnsd_xfr_messages_total", METRICS_COUNTER, "Transfer messages sent.",
		       load(&t->messages));
	metrics_single(m, "dnsd_xfr_bytes_total", METRICS_COUNTER, "Transfer bytes sent.", load(&t->bytes));
	metrics_single(m, "dnsd_xfr_records_total", METRICS_COUNTER, "Records sent in transfers.",
		       load(&t->records));
	static const char *const results[][2] = { { "ok", NULL },
						  { "BADKEY", NULL },
						  { "BADSIG", NULL },
						  { "BADTIME", NULL } };
	uint64_t rv[] = { load(&t->tsig_ok), load(&t->tsig_badkey), load(&t->tsig_badsig),
			  load(&t->tsig_badtime) };
	metrics_family(m, "dnsd_tsig_requests_total", METRICS_COUNTER,
		       "TSIG-signed requests by verification result.");
	samples(m, "dnsd_tsig_requests_total", results, 1, rv, 4);
	metrics_single(m, "dnsd_journal_bytes", METRICS_GAUGE,
		       "Memory held by the IXFR journals of every zone and view.", journal_memory_bytes());
}
