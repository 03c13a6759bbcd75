/* SPDX-License-Identifier: BSD-3-Clause
 * xfr.c - AXFR and IXFR response streams from a frozen zone and its journal.
 *
 * AXFR (RFC 5936 §2.2): SOA, every other record, SOA again. IXFR (RFC 1995
 * §4): the current SOA, then per difference the old SOA, the records that
 * left, the new SOA and the records that arrived, then the current SOA; a
 * single SOA when the client is current; the whole zone, AXFR-style, when
 * the journal cannot answer. No allocation: the state lives in struct xfr. */
#include "query/xfr.h"

#include <string.h>

#include "util/err.h"

enum stage { ST_SOA_FIRST, ST_RECORDS, ST_DIFFS, ST_SOA_LAST, ST_DONE };

struct msg {
	struct xfr *x;
	uint8_t *buf;
	size_t len, cap;
	uint16_t ancount;
};

static uint32_t name_hash(const uint8_t *name, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ name[i]) * 16777619u;
	return h ? h : 1;
}

static struct xfr_comp_slot *comp_find(struct xfr *x, const uint8_t *lname, size_t len, uint32_t h)
{
	for (uint32_t i = h & (XFR_COMP_SLOTS - 1), n = 0; n < XFR_COMP_SLOTS;
	     i = (i + 1) & (XFR_COMP_SLOTS - 1), n++) {
		struct xfr_comp_slot *s = &x->slots[i];
		if (s->gen != x->gen)
			return s; /* empty: where it would go */
		if (s->hash == h && s->len == len && memcmp(x->names + s->store, lname, len) == 0)
			return s;
	}
	return NULL;
}

static void comp_reset(struct xfr *x)
{
	x->gen++;
	if (x->gen == 0) {
		memset(x->slots, 0, sizeof(x->slots));
		x->gen = 1;
		x->prev_gen = 0;
	}
	x->store_len = 0;
}

static void write_pointer(struct msg *m, size_t target)
{
	wire_write_u16(m->buf + m->len, (uint16_t)(0xC000u | target));
	m->len += 2;
}

static void prev_set(struct xfr *x, const uint8_t *name, size_t len, size_t off, size_t tail_off)
{
	x->prev_gen = x->gen;
	x->prev_len = (uint8_t)len;
	memcpy(x->prev, name, len);
	/* RFC 1035 §4.1.4: a pointer has 14 bits of offset */
	x->prev_off = off <= 0x3FFF ? (uint16_t)off : 0;
	x->prev_tail_off = tail_off <= 0x3FFF ? (uint16_t)tail_off : 0;
}

/* The fast paths, against the last name written: the same name (a pointer
 * to it) or a sibling, the same bytes after the first label (that label and
 * a pointer to the last name's tail). Byte equality, so a name that differs
 * only in case takes the table's path. Such a name is not added to the
 * table: the last name's entries already cover its tail. */
static bool write_name_like_prev(struct msg *m, const uint8_t *name, size_t len)
{
	struct xfr *x = m->x;
	if (x->prev_gen != x->gen || name[0] == 0 || x->prev_len < 2)
		return false;
	if (len == x->prev_len && x->prev_off && memcmp(name, x->prev, len) == 0) {
		write_pointer(m, x->prev_off);
		return true;
	}
	size_t l0 = (size_t)name[0] + 1, p0 = (size_t)x->prev[0] + 1;
	if (!x->prev_tail_off || len - l0 != x->prev_len - p0 ||
	    memcmp(name + l0, x->prev + p0, len - l0) != 0)
		return false;
	size_t at = m->len, tail = x->prev_tail_off;
	memcpy(m->buf + m->len, name, l0);
	m->len += l0;
	write_pointer(m, tail);
	prev_set(x, name, len, at, tail);
	return true;
}

/* Writes name (wire form, any case, len bytes), compressed against names
 * already in the message when may_compress, and makes its suffixes targets
 * for later names. */
static void write_name_len(struct msg *m, const uint8_t *name, size_t len, bool may_compress)
{
	struct xfr *x = m->x;
	if (may_compress && write_name_like_prev(m, name, len))
		return;
	uint8_t lname[DNAME_MAX_LEN];
	dname_lower(lname, name, len);
	/* one lower-case copy per name; suffix entries point into it */
	size_t store = SIZE_MAX;
	if (x->store_len + len <= XFR_COMP_STORE) {
		store = x->store_len;
		memcpy(x->names + store, lname, len);
	}
	bool has_stored = false;
	size_t off = 0, at = m->len, tail_off = 0;
	while (name[off] != 0) {
		size_t slen = len - off;
		uint32_t h = name_hash(lname + off, slen);
		struct xfr_comp_slot *s = comp_find(x, lname + off, slen, h);
		if (may_compress && s && s->gen == x->gen) {
			if (off == 0)
				at = s->offset; /* the whole name is there; its tail unknown */
			else if (tail_off == 0 && name[name[0] + 1] != 0)
				tail_off = s->offset;
			write_pointer(m, s->offset);
			if (has_stored)
				x->store_len += len;
			prev_set(x, name, len, at, tail_off);
			return;
		}
		/* RFC 1035 §4.1.4: a pointer has 14 bits of offset */
		if (s && s->gen != x->gen && m->len <= 0x3FFF && store != SIZE_MAX) {
			s->gen = x->gen;
			s->hash = h;
			s->len = (uint8_t)slen;
			s->offset = (uint16_t)m->len;
			s->store = (uint16_t)(store + off);
			has_stored = true;
		}
		if (off != 0 && tail_off == 0 && name[name[0] + 1] != 0)
			tail_off = m->len;
		size_t l = name[off];
		memcpy(m->buf + m->len, name + off, l + 1);
		m->len += l + 1;
		off += l + 1;
	}
	m->buf[m->len++] = 0;
	if (has_stored)
		x->store_len += len;
	prev_set(x, name, len, at, tail_off);
}

static void write_name(struct msg *m, const uint8_t *name, bool may_compress)
{
	write_name_len(m, name, dname_len(name), may_compress);
}

/* Appends one record if it fits (judged uncompressed, so no rollback). */
static bool write_rr(struct msg *m, const struct zone_rr *rr)
{
	if (m->len + rr->owner_len + 10 + rr->rdlen > m->cap)
		return false;
	write_name_len(m, rr->owner, rr->owner_len, true);
	uint8_t *h = m->buf + m->len;
	wire_write_u16(h, rr->type);
	wire_write_u16(h + 2, WIRE_CLASS_IN);
	wire_write_u32(h + 4, rr->ttl_s);
	m->len += 10;
	size_t start = m->len;
	const uint8_t *rd = rr->rdata;
	size_t n;
	/* RFC 3597 §4: compression only in the RFC 1035 types' rdata */
	switch (rr->type) {
	case WIRE_TYPE_NS:
	case WIRE_TYPE_CNAME:
	case WIRE_TYPE_PTR: write_name(m, rd, true); break;
	case WIRE_TYPE_MX:
		memcpy(m->buf + m->len, rd, 2);
		m->len += 2;
		write_name(m, rd + 2, true);
		break;
	case WIRE_TYPE_SOA:
		n = dname_len(rd);
		write_name(m, rd, true);
		write_name(m, rd + n, true);
		n += dname_len(rd + n);
		memcpy(m->buf + m->len, rd + n, 20);
		m->len += 20;
		break;
	default: memcpy(m->buf + m->len, rd, rr->rdlen); m->len += rr->rdlen;
	}
	wire_write_u16(h + 8, (uint16_t)(m->len - start));
	m->ancount++;
	m->x->records++;
	return true;
}

static bool write_soa(struct msg *m, const uint8_t *rdata, uint16_t rdlen, uint32_t ttl_s)
{
	const struct zone *z = m->x->zone;
	struct zone_rr rr = { .owner = z->apex,
			      .owner_len = z->apex_len,
			      .type = WIRE_TYPE_SOA,
			      .ttl_s = ttl_s,
			      .rdlen = rdlen,
			      .rdata = rdata };
	return write_rr(m, &rr);
}

bool xfr_init(struct xfr *x, const struct zone *z, const struct journal *j, const struct wire_query *q,
	      bool has_client_serial, uint32_t client_serial)
{
	x->zone = z;
	x->journal = j;
	x->soa_len = (uint16_t)zone_soa(z, x->soa, &x->soa_ttl_s);
	if (!x->soa_len)
		return false;
	x->id = q->id;
	x->flags = q->flags & (WIRE_FLAG_RD | WIRE_FLAG_CD);
	x->question_len = (uint16_t)q->question_len;
	memcpy(x->question, q->pkt + WIRE_HEADER_LEN, q->question_len);
	x->has_opt = q->has_opt;
	x->opt_udp_size = 1232;
	x->has_cookie = false;
	x->stage = ST_SOA_FIRST;
	x->part = 0;
	x->node = 0;
	x->type = 0;
	x->has_reader = false;
	x->has_pending = false;
	x->diff = 0;
	x->diff_section = 0;
	x->messages = x->records = x->bytes = 0;
	x->gen = 0;
	x->prev_gen = 0;
	memset(x->slots, 0, sizeof(x->slots));
	x->kind = XFR_AXFR;
	if (q->qtype == WIRE_TYPE_IXFR) {
		size_t index;
		if (has_client_serial && !serial_gt(z->serial, client_serial))
			x->kind = XFR_IXFR_CURRENT;
		else if (has_client_serial && journal_find(j, client_serial, &index)) {
			x->kind = XFR_IXFR_DIFF;
			x->diff = index;
		} else
			x->kind = XFR_IXFR_FULL;
	}
	return true;
}

bool xfr_is_done(const struct xfr *x) { return x->stage == ST_DONE; }

/* The next record of the zone walk (apex SOA excluded), or false at its end. */
static bool walk_next(struct xfr *x, struct zone_rr *out)
{
	const struct zone *z = x->zone;
	for (;;) {
		if (x->has_reader) {
			if (zone_rrset_reader_next(&x->reader, out))
				return true;
			x->has_reader = false;
			x->type++;
		}
		if (x->part >= z->part_count)
			return false;
		const struct zone_part *p = z->parts[x->part];
		if (x->node >= p->node_count) {
			x->part++;
			x->node = 0;
			x->type = 0;
			continue;
		}
		const struct zone_node *n = &p->nodes[x->node];
		if (x->type >= n->type_count) {
			x->node++;
			x->type = 0;
			continue;
		}
		bool is_apex_soa = zone_node_types(n)[x->type] == WIRE_TYPE_SOA && n->name_len == z->apex_len;
		if (!is_apex_soa && zone_rrset_reader_init(&x->reader, n, x->type))
			x->has_reader = true;
		else
			x->type++;
	}
}

/* The next record of the journal's differences, SOAs included. */
static bool diffs_next(struct xfr *x, struct zone_rr *out)
{
	const struct journal *j = x->journal;
	const struct zone *z = x->zone;
	while (x->diff < j->count) {
		const struct journal_diff *d = j->diffs[x->diff];
		switch (x->diff_section) {
		case 0:
			*out = (struct zone_rr){ .owner = z->apex,
						 .owner_len = z->apex_len,
						 .type = WIRE_TYPE_SOA,
						 .ttl_s = d->from_soa_ttl_s,
						 .rdlen = d->from_soa_len,
						 .rdata = d->from_soa };
			x->cursor = (struct journal_cursor){ d->removed, d->removed + d->removed_len };
			x->diff_section = 1;
			return true;
		case 1:
			if (journal_cursor_next(&x->cursor, out))
				return true;
			*out = (struct zone_rr){ .owner = z->apex,
						 .owner_len = z->apex_len,
						 .type = WIRE_TYPE_SOA,
						 .ttl_s = d->to_soa_ttl_s,
						 .rdlen = d->to_soa_len,
						 .rdata = d->to_soa };
			x->cursor = (struct journal_cursor){ d->added, d->added + d->added_len };
			x->diff_section = 2;
			return true;
		default:
			if (journal_cursor_next(&x->cursor, out))
				return true;
			x->diff++;
			x->diff_section = 0;
		}
	}
	return false;
}

void xfr_set_cookie(struct xfr *x, const uint8_t cookie[COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN])
{
	if (!x->has_opt)
		return;
	memcpy(x->cookie, cookie, sizeof(x->cookie));
	x->has_cookie = true;
}

size_t xfr_next(struct xfr *x, uint8_t *out, size_t cap)
{
	if (x->stage == ST_DONE)
		return 0;
	if (cap > 65535)
		cap = 65535;
	struct msg m = { .x = x, .buf = out, .cap = cap };
	size_t opt = x->has_opt ? WIRE_OPT_LEN + (x->has_cookie ? 4 + sizeof(x->cookie) : 0) : 0;
	if (cap < WIRE_HEADER_LEN + x->question_len + opt + 64)
		return 0;
	m.cap -= opt;
	comp_reset(x);
	memcpy(out + WIRE_HEADER_LEN, x->question, x->question_len);
	m.len = WIRE_HEADER_LEN + x->question_len;
	/* the question's name is a target for compression like any other */
	{
		size_t qn = x->question_len - 4;
		uint8_t lname[DNAME_MAX_LEN];
		dname_lower(lname, x->question, qn);
		memcpy(x->names, lname, qn);
		x->store_len = qn;
		for (size_t off = 0; lname[off] != 0; off += (size_t)lname[off] + 1) {
			uint32_t h = name_hash(lname + off, qn - off);
			struct xfr_comp_slot *s = comp_find(x, lname + off, qn - off, h);
			if (s && s->gen != x->gen) {
				*s = (struct xfr_comp_slot){ .hash = h,
							     .gen = x->gen,
							     .len = (uint8_t)(qn - off),
							     .offset = (uint16_t)(WIRE_HEADER_LEN + off),
							     .store = (uint16_t)off };
			}
		}
	}
	for (;;) {
		if (x->stage == ST_SOA_FIRST) {
			if (!write_soa(&m, x->soa, x->soa_len, x->soa_ttl_s))
				break;
			x->stage = x->kind == XFR_IXFR_CURRENT ? ST_DONE
				   : x->kind == XFR_IXFR_DIFF  ? ST_DIFFS
							       : ST_RECORDS;
			continue;
		}
		if (x->stage == ST_RECORDS || x->stage == ST_DIFFS) {
			if (!x->has_pending) {
				bool more = x->stage == ST_RECORDS ? walk_next(x, &x->pending)
								   : diffs_next(x, &x->pending);
				if (!more) {
					x->stage = ST_SOA_LAST;
					continue;
				}
				x->has_pending = true;
			}
			if (!write_rr(&m, &x->pending))
				break;
			x->has_pending = false;
			continue;
		}
		if (x->stage == ST_SOA_LAST) {
			if (!write_soa(&m, x->soa, x->soa_len, x->soa_ttl_s))
				break;
			x->stage = ST_DONE;
		}
		break;
	}
	if (m.ancount == 0)
		return 0; /* a record larger than any message: cannot happen under 64 KiB */
	wire_write_u16(out, x->id);
	wire_write_u16(out + 2, (uint16_t)(WIRE_FLAG_QR | WIRE_FLAG_AA | x->flags));
	wire_write_u16(out + 4, 1);
	wire_write_u16(out + 6, m.ancount);
	wire_write_u16(out + 8, 0);
	wire_write_u16(out + 10, opt ? 1 : 0);
	if (opt) {
		uint8_t *o = out + m.len;
		m.len += wire_write_opt(o, x->opt_udp_size, 0, false, NULL, 0);
		if (x->has_cookie)
			m.len += wire_opt_append(o, WIRE_EDNS_OPTION_COOKIE, x->cookie, sizeof(x->cookie));
	}
	x->messages++;
	x->bytes += m.len;
	return m.len;
}

/* Skips a possibly compressed name; false if malformed. */
static bool skip_name(const uint8_t *p, size_t len, size_t *pos)
{
	size_t i = *pos;
	for (unsigned n = 0; n < DNAME_MAX_LABELS; n++) {
		if (i >= len)
			return false;
		uint8_t l = p[i];
		if (l == 0) {
			*pos = i + 1;
			return true;
		}
		if ((l & 0xC0) == 0xC0) {
			if (i + 2 > len)
				return false;
			*pos = i + 2;
			return true;
		}
		if (l & 0xC0)
			return false;
		i += (size_t)l + 1;
	}
	return false;
}

int xfr_ixfr_serial(const uint8_t *pkt, size_t len, uint32_t *serial)
{
	if (len < WIRE_HEADER_LEN || wire_read_u16(pkt + 4) != 1 || wire_read_u16(pkt + 6) != 0)
		return DNSD_EPARSE;
	unsigned ns = wire_read_u16(pkt + 8);
	if (ns == 0)
		return DNSD_ENOENT;
	if (ns != 1)
		return DNSD_EPARSE;
	size_t pos = WIRE_HEADER_LEN;
	if (!skip_name(pkt, len, &pos) || pos + 4 > len)
		return DNSD_EPARSE;
	pos += 4;
	if (!skip_name(pkt, len, &pos) || pos + 10 > len)
		return DNSD_EPARSE;
	uint16_t type = wire_read_u16(pkt + pos);
	uint16_t rdlen = wire_read_u16(pkt + pos + 8);
	size_t rd = pos + 10;
	if (type != WIRE_TYPE_SOA || rd + rdlen > len)
		return DNSD_EPARSE;
	size_t p = rd;
	if (!skip_name(pkt, rd + rdlen, &p) || !skip_name(pkt, rd + rdlen, &p) || p + 20 != rd + rdlen)
		return DNSD_EPARSE;
	*serial = wire_read_u32(pkt + p);
	return 0;
}
