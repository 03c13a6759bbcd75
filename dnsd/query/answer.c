/* SPDX-License-Identifier: BSD-3-Clause
 * answer.c - builds the response for one query from a published snapshot.
 * No I/O, no allocation. Like NSD's query_process, a checklist of early
 * returns, each named after the rule that decides it; answers themselves were
 * rendered when the zone was frozen (zone_render.c) and are only copied and
 * patched here. */
#include "query/answer.h"

#include <netinet/in.h>
#include <string.h>

#include "conf/addr.h"

#define DNSD_VERSION_TEXT "dnsd " DNSD_VERSION

struct reply {
	const struct wire_query *q;
	const struct snapshot *snap;
	uint8_t *out;
	size_t cap;
	size_t max_len; /* the size this reply must fit */
	bool is_tcp;
	uint8_t ecs_scope;
	struct answer_info *info;
	/* EDNS options the reply carries besides ECS and NSID; the three flags
	 * are adjacent bytes, so resetting them is cheap */
	int8_t ede;             /* enum wire_ede: an Extended DNS Error (RFC 8914), WIRE_EDE_NONE for none */
	bool has_server_cookie; /* the query had a COOKIE: echo it with our server cookie */
	bool has_keepalive;     /* TCP, and the client asked: send our idle timeout */
	uint16_t keepalive;     /* in units of 100 ms (RFC 7828 §3.1) */
	const char *ede_text;
	size_t ede_text_len;
	uint8_t server_cookie[COOKIE_SERVER_LEN];
};

/* Size limit: RFC 1035 §4.2.1 512 bytes without EDNS; with EDNS the smaller of
 * the requestor's payload size and ours (RFC 6891 §6.2.5); 65535 over TCP. */
static size_t reply_limit(const struct wire_query *q, const struct snapshot *snap, bool is_tcp, size_t cap)
{
	size_t max = 512;
	if (is_tcp)
		max = 65535;
	else if (q->has_opt)
		max = q->udp_size < snap->settings.udp_payload_max ? q->udp_size
								   : snap->settings.udp_payload_max;
	if (max < 512)
		max = 512;
	return max < cap ? max : cap;
}

/* RFC 5001 §2.1: NSID only when asked for, and only when turned on. */
static bool has_nsid(const struct reply *r)
{
	return r->q->has_nsid && r->snap && r->snap->settings.is_nsid_enabled;
}

static size_t opt_len(const struct reply *r)
{
	if (!r->q->has_opt)
		return 0;
	return WIRE_OPT_LEN + (r->q->has_ecs ? 8 + ((size_t)r->q->ecs.source_len + 7) / 8 : 0) +
	       (has_nsid(r) ? 4 + (size_t)r->snap->settings.identity_len : 0) +
	       (r->has_server_cookie ? 4 + COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN : 0) +
	       (r->has_keepalive ? 4 + 2 : 0) + (r->ede != WIRE_EDE_NONE ? 6 + r->ede_text_len : 0);
}

/* Header: ID, QR, opcode, RD and CD copied (RFC 1035 §4.1.1, RFC 6840 §5.9),
 * RA clear since we never recurse. RD, CD, AD, RA and AA are defined only for
 * opcode QUERY, so a reply to any other opcode (NOTIMP) has them all clear:
 * the rule the ISC EDNS compliance test ("opcode") checks. */
static void write_header(struct reply *r, uint16_t flags, uint8_t rcode, uint16_t qdcount, uint16_t ancount,
			 uint16_t nscount, uint16_t arcount)
{
	const struct wire_query *q = r->q;
	uint8_t *h = r->out;
	wire_write_u16(h, q->id);
	uint16_t copied = q->opcode == 0 ? q->flags & (WIRE_FLAG_RD | WIRE_FLAG_CD) : 0;
	uint16_t f = WIRE_FLAG_QR | (uint16_t)(q->opcode << 11) | copied | flags | (rcode & 0xF);
	wire_write_u16(h + 2, f);
	wire_write_u16(h + 4, qdcount);
	wire_write_u16(h + 6, ancount);
	wire_write_u16(h + 8, nscount);
	wire_write_u16(h + 10, arcount);
	r->info->rcode = rcode;
	r->info->is_truncated = (flags & WIRE_FLAG_TC) != 0;
}

static size_t write_opt(struct reply *r, size_t pos, uint8_t ext_rcode)
{
	const struct wire_query *q = r->q;
	uint8_t *opt = r->out + pos;
	size_t len = wire_write_opt(opt, r->snap ? r->snap->settings.udp_payload_max : 1232, ext_rcode,
				    q->is_do, q->has_ecs ? &q->ecs : NULL, r->ecs_scope);
	if (has_nsid(r))
		len += wire_opt_append(opt, WIRE_EDNS_OPTION_NSID, r->snap->settings.identity,
				       r->snap->settings.identity_len);
	if (r->has_server_cookie) {
		/* RFC 7873 §5.2.3: the client cookie echoed, then ours */
		uint8_t cookie[COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN];
		memcpy(cookie, q->cookie, COOKIE_CLIENT_LEN);
		memcpy(cookie + COOKIE_CLIENT_LEN, r->server_cookie, COOKIE_SERVER_LEN);
		len += wire_opt_append(opt, WIRE_EDNS_OPTION_COOKIE, cookie, sizeof(cookie));
	}
	if (r->has_keepalive) {
		uint8_t timeout[2];
		wire_write_u16(timeout, r->keepalive);
		len += wire_opt_append(opt, WIRE_EDNS_OPTION_KEEPALIVE, timeout, sizeof(timeout));
	}
	if (r->ede != WIRE_EDE_NONE) {
		len += wire_opt_append_ede(opt, (uint16_t)r->ede, r->ede_text, r->ede_text_len);
		r->info->ede = r->ede;
	}
	return pos + len;
}

/* A reply with no records: errors, REFUSED, SERVFAIL, TC. The question is
 * echoed when it was parsed; OPT is added when the query had one. */
static size_t reply_empty(struct reply *r, uint16_t flags, uint8_t rcode)
{
	const struct wire_query *q = r->q;
	bool has_question = q->has_question && WIRE_HEADER_LEN + q->question_len <= r->cap;
	size_t pos = WIRE_HEADER_LEN;
	if (has_question) {
		memcpy(r->out + pos, q->pkt + WIRE_HEADER_LEN, q->question_len);
		pos += q->question_len;
	}
	bool has_opt = q->has_opt && pos + opt_len(r) <= r->cap;
	write_header(r, flags, rcode & 0xF, has_question, 0, 0, has_opt);
	if (has_opt)
		pos = write_opt(r, pos, (uint8_t)(rcode >> 4));
	r->info->rcode = rcode;
	return pos;
}

/* reply_empty() with an Extended DNS Error (RFC 8914), sent when the query
 * had EDNS: text names what the operator should look at. */
static size_t reply_error(struct reply *r, uint8_t rcode, enum wire_ede ede, const char *text)
{
	r->ede = (int8_t)ede;
	r->ede_text = text;
	r->ede_text_len = strlen(text);
	return reply_empty(r, 0, rcode);
}

/* Copies a pre-rendered blob after the question and patches the compression
 * pointers that depend on the question's length. */
static size_t reply_blob(struct reply *r, const struct zone_blob *b)
{
	const struct wire_query *q = r->q;
	size_t qlen = q->question_len;
	size_t base = WIRE_HEADER_LEN + qlen;
	size_t olen = opt_len(r);
	uint16_t flags = (b->flags & ZONE_BLOB_AA) ? WIRE_FLAG_AA : 0;
	size_t body = b->len;
	uint16_t arcount = b->arcount;
	size_t relocs = b->reloc_count;
	/* an RRset larger than any message: never a partial RRset posing as the
	 * whole one. Over UDP it is truncated below like any large answer; over
	 * TCP there is nothing to retry with, so SERVFAIL (as Knot answers). */
	if ((b->flags & ZONE_BLOB_TOO_LARGE) && r->is_tcp)
		return reply_error(r, WIRE_RCODE_SERVFAIL, WIRE_EDE_OTHER, "RRset too large for one message");
	if (base + body + olen > r->max_len || (b->flags & ZONE_BLOB_TOO_LARGE)) {
		/* RFC 2181 §9: drop additional data first; TC only when required
		 * records (or in-domain glue, RFC 9471) do not fit */
		body = b->an_ns_len;
		arcount = 0;
		relocs = b->reloc_an_ns_count;
		if (base + body + olen > r->max_len ||
		    (b->flags & (ZONE_BLOB_GLUE_REQUIRED | ZONE_BLOB_TOO_LARGE)))
			return reply_empty(r, flags | WIRE_FLAG_TC, b->rcode);
	}
	memcpy(r->out + WIRE_HEADER_LEN, q->pkt + WIRE_HEADER_LEN, qlen);
	uint8_t *dst = r->out + base;
	memcpy(dst, b->data, body);
	const uint32_t *rel_at = relocs ? zone_blob_relocs(b) : NULL;
	for (size_t i = 0; i < relocs; i++) {
		uint32_t rel = rel_at[i];
		uint8_t *p = dst + (rel & 0xFFFFu);
		uint16_t v = wire_read_u16(p) & 0x3FFF;
		size_t target = (rel & ZONE_RELOC_QTAIL) ? (size_t)WIRE_HEADER_LEN + q->qname_len - v
							 : base + v;
		wire_write_u16(p, (uint16_t)(0xC000u | target));
	}
	size_t pos = base + body;
	write_header(r, flags, b->rcode, 1, b->ancount, b->nscount, (uint16_t)(arcount + (olen > 0)));
	if (olen)
		pos = write_opt(r, pos, 0);
	return pos;
}

static bool qname_is(const struct wire_query *q, const uint8_t *name, size_t len)
{
	return q->qname_len == len && memcmp(q->qname, name, len) == 0;
}

/* CHAOS class TXT: with chaos on, version.dnsd, view.dnsd (which view
 * answered), and the conventional version.bind / version.server; with
 * id-server on, id.server (RFC 4892 §2.1) and its forerunner hostname.bind
 * name the replica. Anything else is REFUSED. */
static size_t reply_chaos(struct reply *r, int view)
{
	const struct wire_query *q = r->q;
	const struct snapshot_settings *st = &r->snap->settings;
	static const uint8_t version_dnsd[] = "\7version\4dnsd";
	static const uint8_t version_bind[] = "\7version\4bind";
	static const uint8_t version_server[] = "\7version\6server";
	static const uint8_t view_dnsd[] = "\4view\4dnsd";
	static const uint8_t id_server[] = "\2id\6server";
	static const uint8_t hostname_bind[] = "\10hostname\4bind";
	const char *text = NULL;
	size_t tlen = 0;
	r->info->writer = ANSWER_WRITER_CHAOS;
	if (q->qtype == WIRE_TYPE_TXT || q->qtype == WIRE_TYPE_ANY) {
		if (st->is_chaos_enabled && (qname_is(q, version_dnsd, sizeof(version_dnsd)) ||
					     qname_is(q, version_bind, sizeof(version_bind)) ||
					     qname_is(q, version_server, sizeof(version_server)))) {
			text = DNSD_VERSION_TEXT;
			tlen = strlen(text);
		} else if (st->is_chaos_enabled && qname_is(q, view_dnsd, sizeof(view_dnsd))) {
			text = view >= 0 ? r->snap->views->views[view].name : "";
			tlen = strlen(text);
		} else if (st->is_id_server_enabled && (qname_is(q, id_server, sizeof(id_server)) ||
							qname_is(q, hostname_bind, sizeof(hostname_bind)))) {
			text = (const char *)st->identity;
			tlen = st->identity_len;
		}
	}
	if (!text) {
		r->info->writer = ANSWER_WRITER_SERVER;
		return reply_error(r, WIRE_RCODE_REFUSED, WIRE_EDE_PROHIBITED, "CHAOS name not served");
	}
	size_t base = WIRE_HEADER_LEN + q->question_len;
	size_t olen = opt_len(r);
	if (base + 12 + 1 + tlen + olen > r->max_len)
		return reply_empty(r, WIRE_FLAG_TC, WIRE_RCODE_NOERROR);
	memcpy(r->out + WIRE_HEADER_LEN, q->pkt + WIRE_HEADER_LEN, q->question_len);
	uint8_t *p = r->out + base;
	wire_write_u16(p, 0xC000 | WIRE_HEADER_LEN);
	wire_write_u16(p + 2, WIRE_TYPE_TXT);
	wire_write_u16(p + 4, WIRE_CLASS_CH);
	wire_write_u32(p + 6, 0);
	wire_write_u16(p + 10, (uint16_t)(1 + tlen));
	p[12] = (uint8_t)tlen;
	memcpy(p + 13, text, tlen);
	size_t pos = base + 13 + tlen;
	write_header(r, WIRE_FLAG_AA, WIRE_RCODE_NOERROR, 1, 1, 0, olen > 0);
	if (olen)
		pos = write_opt(r, pos, 0);
	return pos;
}

/* RFC 1034 §4.3.2 with RFC 4592 wildcards, over a pre-rendered zone. */
static size_t reply_from_zone(struct reply *r, const struct zone *z)
{
	const struct wire_query *q = r->q;
	uint16_t qtype = q->qtype;
	const uint8_t *qname = q->qname;
	size_t qlen = q->qname_len;
	/* every name looked up below is qname or one of its suffixes: all but
	 * the apex share the label below the apex, so they share a zone part */
	unsigned stop = q->label_count - z->apex_labels;
	const struct zone_part *below = z->parts[0];
	if (z->part_count > 1 && stop > 0)
		below = z->parts[1 + zone_label_part(qname + q->label_off[stop - 1])];
	const struct zone_part *at = stop > 0 ? below : z->parts[0];
	const struct zone_node *n = zone_part_lookup(at, qname, qlen, dname_hash(qname, qlen));
	if (n) {
		const struct zone_node *cut = zone_node_cut(at, n);
		if (cut) {
			/* RFC 4035 §3.1.4.1: DS at a cut belongs to the parent side */
			if (!(cut == n && qtype == WIRE_TYPE_DS))
				return reply_blob(r, zone_node_referral(cut));
		}
		if (qtype == WIRE_TYPE_ANY) {
			const struct zone_blob *any = zone_node_any(n);
			return reply_blob(r, any ? any : z->nodata);
		}
		const struct zone_blob *b = zone_node_find_type(n, qtype);
		if (b)
			return reply_blob(r, b);
		const struct zone_blob *other = zone_node_other(n);
		return reply_blob(r, other ? other : z->nodata);
	}
	/* closest encloser: strip labels until a name exists (the apex does) */
	for (unsigned i = 1; i <= stop; i++) {
		const uint8_t *suffix = qname + q->label_off[i];
		size_t slen = qlen - q->label_off[i];
		const struct zone_part *cp = i < stop ? below : z->parts[0];
		const struct zone_node *ce = zone_part_lookup(cp, suffix, slen, dname_hash(suffix, slen));
		if (!ce)
			continue;
		const struct zone_node *cut = zone_node_cut(cp, ce);
		if (cut)
			return reply_blob(r, zone_node_referral(cut));
		const struct zone_node *w = zone_node_wildcard(z, cp, ce);
		if (!w)
			break;
		/* RFC 4592 §3.3.1: synthesise from "*.<closest encloser>" */
		if (qtype == WIRE_TYPE_ANY) {
			const struct zone_blob *any = zone_node_any(w);
			return reply_blob(r, any ? any : z->nodata);
		}
		const struct zone_blob *b = zone_node_find_type(w, qtype);
		if (b)
			return reply_blob(r, b);
		const struct zone_blob *other = zone_node_other(w);
		return reply_blob(r, other ? other : z->nodata);
	}
	return reply_blob(r, z->nxdomain);
}

/* cookie-allow: the first prefix that holds the client decides ("!"
 * excludes); none: cookie-require applies. */
static bool cookie_is_exempt(const struct snapshot_settings *st, const struct sockaddr *client)
{
	if (!client)
		return false;
	int family = client->sa_family;
	const uint8_t *addr = NULL;
	unsigned bits = 0;
	if (family == AF_INET) {
		addr = (const uint8_t *)&((const struct sockaddr_in *)client)->sin_addr;
		bits = 32;
	} else if (family == AF_INET6) {
		addr = ((const struct sockaddr_in6 *)client)->sin6_addr.s6_addr;
		bits = 128;
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)addr)) {
			family = AF_INET;
			addr += 12;
			bits = 32;
		}
	} else {
		return false;
	}
	for (unsigned i = 0; i < st->cookie_allow_count; i++)
		if (config_prefix_match(&st->cookie_allow[i], family, addr, bits))
			return !st->cookie_allow[i].is_negated;
	return false;
}

/* RFC 7873 §5.2: judge the COOKIE option and make ours for the reply.
 * Returns 0 to go on answering, or the length of the reply that ends the
 * query (cookie-require: TC without a cookie, BADCOOKIE with a bad one). */
static size_t reply_cookies(struct reply *r, const struct answer_request *req)
{
	const struct wire_query *q = r->q;
	const struct snapshot_settings *st = &r->snap->settings;
	enum cookie_verdict v = COOKIE_NONE;
	if (q->has_option_work && q->has_cookie) {
		v = cookie_check(&st->cookie_secrets, q->cookie, q->cookie + COOKIE_CLIENT_LEN,
				 q->cookie_len - COOKIE_CLIENT_LEN, req->client, req->now_s);
		/* §5.2.3-5.2.5: every reply to a cookie carries a fresh server cookie */
		cookie_make(r->server_cookie, st->cookie_secrets.current, q->cookie, req->client, req->now_s);
		r->has_server_cookie = true;
	}
	r->info->cookie = (uint8_t)v;
	/* TCP's handshake already proves the address (RFC 7873 §5.2): never required */
	if (!st->is_cookie_required || req->is_tcp || v == COOKIE_VALID || cookie_is_exempt(st, req->client))
		return 0;
	/* §5.2.1: no cookie at all; TC sends the client to TCP, where it is answered */
	if (v == COOKIE_NONE) {
		r->info->is_cookie_missing = true;
		return reply_empty(r, WIRE_FLAG_TC, WIRE_RCODE_NOERROR);
	}
	/* §5.2.3 / §5.2.4: BADCOOKIE with a fresh cookie, which the retry carries */
	return reply_empty(r, 0, WIRE_RCODE_BADCOOKIE);
}

/* REFUSED for a name no zone of view holds: Prohibited when another view
 * serves it (a split-horizon policy), else Not Authoritative. */
static size_t reply_not_ours(struct reply *r, int view)
{
	const struct wire_query *q = r->q;
	for (size_t v = 0; v < r->snap->view_count; v++) {
		const struct zone_set *set = r->snap->sets[v];
		if ((int)v != view && set && zone_set_find(set, q->qname, q->qname_len))
			return reply_error(r, WIRE_RCODE_REFUSED, WIRE_EDE_PROHIBITED,
					   "name not served to this client's view");
	}
	return reply_error(r, WIRE_RCODE_REFUSED, WIRE_EDE_NOT_AUTHORITATIVE, "no zone for this name");
}

/* forced_view >= 0: that view answers, whoever asks (answer_query_view). */
static size_t answer_build(const struct snapshot *snap, const struct answer_request *req, uint8_t *out,
			   size_t cap, struct answer_info *info, int forced_view)
{
	struct wire_query *q = &info->query;
	info->is_dropped = false;
	info->is_transfer = false;
	info->is_truncated = false;
	info->rcode = 0;
	info->view = -1;
	info->zone = NULL;
	info->writer = ANSWER_WRITER_SERVER;
	info->ede = WIRE_EDE_NONE;
	info->cookie = COOKIE_NONE;
	info->is_cookie_missing = false;
	enum wire_status st = wire_parse_query(q, req->pkt, req->len);
	info->qtype = q->has_question ? q->qtype : 0;
	/* field by field: the EDNS option buffers stay unwritten until used */
	struct reply r;
	r.q = q;
	r.snap = snap;
	r.out = out;
	r.cap = cap;
	r.info = info;
	r.is_tcp = req->is_tcp;
	r.ecs_scope = 0;
	r.ede = WIRE_EDE_NONE;
	r.has_server_cookie = false;
	r.has_keepalive = false;
	r.max_len = cap < 512 ? cap : 512;

	if (st == WIRE_DROP || cap < 512) {
		info->is_dropped = true;
		return 0;
	}
	if (snap)
		r.max_len = reply_limit(q, snap, req->is_tcp, cap);
	if (st == WIRE_NOTIMP)
		return reply_empty(&r, 0, WIRE_RCODE_NOTIMP);
	if (st == WIRE_FORMERR)
		return reply_empty(&r, 0, WIRE_RCODE_FORMERR);
	if (st == WIRE_BADVERS)
		return reply_empty(&r, 0, WIRE_RCODE_BADVERS);
	if (!snap)
		return reply_error(&r, WIRE_RCODE_SERVFAIL, WIRE_EDE_NOT_READY, "nothing published yet");
	if (q->has_option_work | snap->settings.is_cookie_required) {
		/* RFC 7828 §3.2.1: edns-tcp-keepalive over UDP is FORMERR */
		if (q->has_option_work && q->has_keepalive) {
			if (!req->is_tcp)
				return reply_empty(&r, 0, WIRE_RCODE_FORMERR);
			uint32_t units = req->tcp_idle_timeout_ms / 100;
			r.keepalive = (uint16_t)(units > 0xFFFF ? 0xFFFF : units);
			r.has_keepalive = true;
		}
		size_t len = reply_cookies(&r, req);
		if (len)
			return len;
	}
	/* zone transfers and signed requests are the server's (transfer.h):
	 * they need TSIG, state across messages and access control */
	if ((q->has_tsig || q->qtype == WIRE_TYPE_AXFR || q->qtype == WIRE_TYPE_IXFR) && !req->has_view) {
		info->is_transfer = true;
		return 0;
	}

	int view = forced_view >= 0 && (size_t)forced_view < snap->view_count ? forced_view
		   : req->has_view                                            ? req->view
				   : view_select(snap->views, req->client, req->local,
						 q->has_ecs ? &q->ecs : NULL, &r.ecs_scope);
	info->view = view;
	if (q->qclass == WIRE_CLASS_CH &&
	    (snap->settings.is_chaos_enabled || snap->settings.is_id_server_enabled))
		return reply_chaos(&r, view);
	if (view < 0)
		return reply_error(&r, WIRE_RCODE_REFUSED, WIRE_EDE_PROHIBITED,
				   "no view matches this client");
	if (q->qclass != WIRE_CLASS_IN)
		return reply_error(&r, WIRE_RCODE_REFUSED, WIRE_EDE_PROHIBITED, "only class IN is served");
	/* a transfer type in a signed query that transfer.c handed back */
	if (q->qtype == WIRE_TYPE_AXFR || q->qtype == WIRE_TYPE_IXFR)
		return reply_error(&r, WIRE_RCODE_REFUSED, WIRE_EDE_PROHIBITED, "transfer refused");
	/* RFC 6891 §6.1.1: OPT is a pseudo-RR, never a question */
	if (q->qtype == WIRE_TYPE_OPT)
		return reply_empty(&r, 0, WIRE_RCODE_FORMERR);
	if (q->qtype == WIRE_TYPE_MAILA || q->qtype == WIRE_TYPE_MAILB || q->qtype == WIRE_TYPE_TSIG)
		return reply_empty(&r, 0, WIRE_RCODE_NOTIMP);

	const struct zone_set *set = snap->sets[view];
	const struct zone *z = set ? zone_set_find(set, q->qname, q->qname_len) : NULL;
	/* not ours, including ". NS" (CoreDNS's health probe): REFUSED, AA clear */
	if (!z)
		return reply_not_ours(&r, view);
	info->zone = z;
	info->writer = ANSWER_WRITER_ZONE;
	if (z->is_pending | z->is_stale) {
		r.ede_text = z->ede_text;
		r.ede_text_len = z->ede_text_len;
		if (z->is_pending) {
			r.ede = WIRE_EDE_NOT_READY;
			return reply_empty(&r, 0, WIRE_RCODE_SERVFAIL);
		}
		/* RFC 8914 §4.4: answers from a source's saved state say so */
		r.ede = WIRE_EDE_STALE_ANSWER;
	}
	return reply_from_zone(&r, z);
}

size_t answer_query(const struct snapshot *snap, const struct answer_request *req, uint8_t *out, size_t cap,
		    struct answer_info *info)
{
	size_t len = answer_build(snap, req, out, cap, info, -1);
	info->reply_len = (uint32_t)len;
	return len;
}

size_t answer_query_view(const struct snapshot *snap, size_t view, const struct answer_request *req,
			 uint8_t *out, size_t cap, struct answer_info *info)
{
	size_t len = answer_build(snap, req, out, cap, info, (int)view);
	info->reply_len = (uint32_t)len;
	return len;
}
