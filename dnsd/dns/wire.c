/* SPDX-License-Identifier: BSD-3-Clause
 * wire.c - strict query parser. Stricter than ldns_wire2pkt on purpose: that
 * accepts two OPTs, OPT in the answer section, forward compression pointers,
 * QDCOUNT 0 or 2 and trailing garbage, all of which we answer with FORMERR. */
#include "dns/wire.h"

/* Parses an uncompressed name at pkt[*pos] into dst (lower case). Returns its
 * wire length, or 0 when it is malformed: a compression pointer or extended
 * label type (RFC 6891 §5), a label > 63 or a name > 255 bytes. */
static size_t parse_plain_name(struct wire_query *q, size_t *pos)
{
	const uint8_t *pkt = q->pkt;
	size_t p = *pos, out = 0;
	unsigned labels = 0;
	for (;;) {
		if (p >= q->len)
			return 0;
		uint8_t l = pkt[p];
		if (l == 0)
			break;
		if (l & 0xC0)
			return 0; /* pointer or 0x40/0x80 label type in a question */
		if (out + 1 + l + 1 > DNAME_MAX_LEN || p + 1 + l > q->len)
			return 0;
		q->label_off[labels++] = (uint8_t)out;
		q->qname[out++] = l;
		for (uint8_t i = 0; i < l; i++)
			q->qname[out++] = dname_lower_table[pkt[p + 1 + i]];
		p += 1 + l;
	}
	q->qname[out++] = 0;
	q->label_off[labels] = (uint8_t)(out - 1); /* the root label, for suffix walks */
	q->label_count = (uint8_t)labels;
	*pos = p + 1;
	return out;
}

/* Skips a possibly compressed name in a resource record. RFC 1035 §4.1.4
 * allows pointers to earlier occurrences only; we require every pointer to go
 * strictly backwards, which also rules out loops. Returns false if malformed. */
static bool skip_name(const uint8_t *pkt, size_t len, size_t *pos, bool *is_root)
{
	size_t p = *pos, total = 0;
	bool jumped = false;
	size_t end = 0;
	size_t limit = p; /* a pointer must target below this */
	*is_root = pkt[p < len ? p : 0] == 0 && p < len;
	for (;;) {
		if (p >= len)
			return false;
		uint8_t l = pkt[p];
		if (l == 0) {
			if (!jumped)
				end = p + 1;
			break;
		}
		if ((l & 0xC0) == 0xC0) {
			if (p + 1 >= len)
				return false;
			size_t target = (size_t)(l & 0x3F) << 8 | pkt[p + 1];
			if (target >= limit)
				return false; /* forward or self pointer */
			if (!jumped)
				end = p + 2;
			jumped = true;
			limit = target;
			p = target;
			continue;
		}
		if (l & 0xC0)
			return false;
		total += (size_t)l + 1;
		if (total + 1 > DNAME_MAX_LEN || p + 1 + l > len)
			return false;
		p += 1 + l;
	}
	*pos = end;
	return true;
}

/* RFC 7871 §6: FAMILY, SOURCE PREFIX-LENGTH, SCOPE PREFIX-LENGTH, ADDRESS
 * truncated to the source prefix with the unused bits zero. */
static bool parse_ecs(struct wire_query *q, const uint8_t *opt, uint16_t optlen)
{
	if (q->has_ecs || optlen < 4)
		return false;
	uint16_t family = wire_read_u16(opt);
	uint8_t source = opt[2], scope = opt[3];
	unsigned max_bits = family == 1 ? 32 : family == 2 ? 128 : 0;
	if (max_bits == 0 || source > max_bits || scope != 0)
		return false;
	size_t addr_len = ((size_t)source + 7) / 8;
	if (optlen != 4 + addr_len)
		return false;
	if (addr_len > 0 && (source % 8) != 0) {
		uint8_t mask = (uint8_t)(0xFF >> (source % 8));
		if (opt[4 + addr_len - 1] & mask)
			return false;
	}
	q->has_ecs = true;
	q->ecs.family = family;
	q->ecs.source_len = source;
	q->ecs.scope_len = scope;
	memset(q->ecs.addr, 0, sizeof(q->ecs.addr));
	memcpy(q->ecs.addr, opt + 4, addr_len);
	return true;
}

static bool parse_opt(struct wire_query *q, uint16_t rclass, uint32_t ttl, const uint8_t *rdata,
		      uint16_t rdlen)
{
	if (q->has_opt)
		return false; /* RFC 6891 §6.1.1: more than one OPT is FORMERR */
	q->has_opt = true;
	q->udp_size = rclass < 512 ? 512 : rclass; /* §6.2.3: below 512 means 512 */
	q->edns_version = (uint8_t)(ttl >> 16);
	q->is_do = (ttl & 0x8000u) != 0;
	q->has_cookie = false;
	q->has_keepalive = false;
	size_t p = 0;
	while (p < rdlen) {
		if (rdlen - p < 4)
			return false;
		uint16_t code = wire_read_u16(rdata + p);
		uint16_t optlen = wire_read_u16(rdata + p + 2);
		p += 4;
		if (optlen > rdlen - p)
			return false;
		if (code == WIRE_EDNS_OPTION_ECS && !parse_ecs(q, rdata + p, optlen))
			return false;
		/* RFC 5001 §2.1: the requestor sends it empty; a payload is
		 * ignored, as BIND and Knot do */
		if (code == WIRE_EDNS_OPTION_NSID)
			q->has_nsid = true;
		/* RFC 7873 §5.2.2: a COOKIE of another length is FORMERR; only
		 * the first one counts (§5.2) */
		if (code == WIRE_EDNS_OPTION_COOKIE) {
			if (optlen != 8 && (optlen < 16 || optlen > 40))
				return false;
			if (!q->has_cookie) {
				q->has_cookie = true;
				q->has_option_work = true;
				q->cookie = rdata + p;
				q->cookie_len = (uint8_t)optlen;
			}
		}
		/* RFC 7828 §3.2.1: a client sends it without a TIMEOUT */
		if (code == WIRE_EDNS_OPTION_KEEPALIVE) {
			if (optlen != 0)
				return false;
			q->has_keepalive = true;
			q->has_option_work = true;
		}
		/* other options (padding, ...) are ignored, not echoed */
		p += optlen;
	}
	return true;
}

enum wire_status wire_parse_query(struct wire_query *q, const uint8_t *pkt, size_t len)
{
	q->pkt = pkt;
	q->len = len;
	q->has_question = false;
	q->question_len = 0;
	q->qname_len = 0;
	q->has_opt = false;
	q->has_ecs = false;
	q->has_nsid = false;
	q->has_option_work = false;
	q->has_tsig = false;
	q->is_do = false;
	q->edns_version = 0;
	q->udp_size = 512;
	if (len < WIRE_HEADER_LEN)
		return WIRE_DROP;
	q->id = wire_read_u16(pkt);
	q->flags = wire_read_u16(pkt + 2);
	q->opcode = (uint8_t)((q->flags >> 11) & 0xF);
	if (q->flags & WIRE_FLAG_QR)
		return WIRE_DROP; /* never answer a response: reflection loops */
	uint16_t qdcount = wire_read_u16(pkt + 4);
	uint16_t ancount = wire_read_u16(pkt + 6);
	uint16_t nscount = wire_read_u16(pkt + 8);
	uint16_t arcount = wire_read_u16(pkt + 10);

	size_t pos = WIRE_HEADER_LEN;
	if (qdcount == 1) {
		size_t name_len = parse_plain_name(q, &pos);
		if (name_len > 0 && len - pos >= 4) {
			q->qname_len = (uint8_t)name_len;
			q->qtype = wire_read_u16(pkt + pos);
			q->qclass = wire_read_u16(pkt + pos + 2);
			pos += 4;
			q->has_question = true;
			q->question_len = pos - WIRE_HEADER_LEN;
		}
	}
	if (q->opcode != 0)
		return WIRE_NOTIMP;
	if (qdcount != 1 || !q->has_question)
		return WIRE_FORMERR;
	/* A query carries nothing in answer or authority (an OPT there is
	 * FORMERR by RFC 6891 §6.1.1 too), except IXFR's one authority SOA
	 * (RFC 1995 §3), which xfr_ixfr_serial() reads. */
	bool is_ixfr_soa = q->qtype == WIRE_TYPE_IXFR && nscount == 1;
	if (ancount != 0 || (nscount != 0 && !is_ixfr_soa))
		return WIRE_FORMERR;
	for (unsigned i = 0; i < (unsigned)arcount + is_ixfr_soa; i++) {
		bool is_root;
		if (!skip_name(pkt, len, &pos, &is_root))
			return WIRE_FORMERR;
		if (len - pos < 10)
			return WIRE_FORMERR;
		uint16_t rtype = wire_read_u16(pkt + pos);
		uint16_t rclass = wire_read_u16(pkt + pos + 2);
		uint32_t ttl = wire_read_u32(pkt + pos + 4);
		uint16_t rdlen = wire_read_u16(pkt + pos + 8);
		pos += 10;
		if (rdlen > len - pos)
			return WIRE_FORMERR;
		if (is_ixfr_soa && i == 0) {
			if (rtype != WIRE_TYPE_SOA)
				return WIRE_FORMERR;
		} else if (rtype == WIRE_TYPE_OPT) {
			if (!is_root || !parse_opt(q, rclass, ttl, pkt + pos, rdlen))
				return WIRE_FORMERR;
		} else if (rtype == WIRE_TYPE_TSIG) {
			/* RFC 8945 §5.1: the last record; dns/tsig.c checks it */
			if (i + 1u != (unsigned)arcount + is_ixfr_soa)
				return WIRE_FORMERR;
			q->has_tsig = true;
		}
		pos += rdlen;
	}
	if (pos != len)
		return WIRE_FORMERR; /* trailing garbage */
	if (q->has_opt && q->edns_version > 0)
		return WIRE_BADVERS;
	return WIRE_OK;
}

size_t wire_write_opt(uint8_t *out, uint16_t udp_size, uint8_t ext_rcode, bool is_do,
		      const struct wire_ecs *ecs, uint8_t scope_len)
{
	out[0] = 0; /* root owner */
	wire_write_u16(out + 1, WIRE_TYPE_OPT);
	wire_write_u16(out + 3, udp_size);
	out[5] = ext_rcode;
	out[6] = 0; /* version 0 */
	wire_write_u16(out + 7, is_do ? 0x8000u : 0);
	size_t rdlen = 0;
	if (ecs) {
		/* RFC 7871 §7.2.1: echo FAMILY, SOURCE PREFIX-LENGTH and ADDRESS, set SCOPE */
		size_t addr_len = ((size_t)ecs->source_len + 7) / 8;
		uint8_t *o = out + WIRE_OPT_LEN;
		wire_write_u16(o, WIRE_EDNS_OPTION_ECS);
		wire_write_u16(o + 2, (uint16_t)(4 + addr_len));
		wire_write_u16(o + 4, ecs->family);
		o[6] = ecs->source_len;
		o[7] = scope_len;
		memcpy(o + 8, ecs->addr, addr_len);
		rdlen = 8 + addr_len;
	}
	wire_write_u16(out + 9, (uint16_t)rdlen);
	return WIRE_OPT_LEN + rdlen;
}

size_t wire_opt_append(uint8_t *opt, uint16_t code, const uint8_t *data, uint16_t len)
{
	uint16_t rdlen = wire_read_u16(opt + 9);
	uint8_t *o = opt + WIRE_OPT_LEN + rdlen;
	wire_write_u16(o, code);
	wire_write_u16(o + 2, len);
	if (len)
		memcpy(o + 4, data, len);
	wire_write_u16(opt + 9, (uint16_t)(rdlen + 4 + len));
	return 4 + (size_t)len;
}

size_t wire_opt_append_ede(uint8_t *opt, uint16_t info_code, const char *text, size_t text_len)
{
	uint16_t rdlen = wire_read_u16(opt + 9);
	uint8_t *o = opt + WIRE_OPT_LEN + rdlen;
	wire_write_u16(o, WIRE_EDNS_OPTION_EDE);
	wire_write_u16(o + 2, (uint16_t)(2 + text_len));
	wire_write_u16(o + 4, info_code);
	if (text_len)
		memcpy(o + 6, text, text_len);
	wire_write_u16(opt + 9, (uint16_t)(rdlen + 6 + text_len));
	return 6 + text_len;
}
