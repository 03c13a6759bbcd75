/* SPDX-License-Identifier: BSD-3-Clause
 * zone_records.c - decodes the answer section of a pre-rendered blob back
 * into records. The blob is what follows the question of a reply whose
 * question name is the node's own name, so its compression pointers resolve
 * as in answer.c: relocs mark pointers into a suffix of the question name
 * (ZONE_RELOC_QTAIL) or into the blob; a pointer without a reloc is final
 * (the blob answers this name only): 0xC00C the question name itself, else a
 * suffix of it, or a name earlier in the blob. */
#include "zone/zone_records.h"

#include <string.h>

#include "dns/wire.h"

/* The reloc entry of the pointer at blob offset pos, or NULL (relocs are
 * pushed in rendering order, so sorted by offset). */
static const uint32_t *find_reloc(const struct zone_blob *b, size_t pos)
{
	size_t lo = 0, hi = b->reloc_count;
	const uint32_t *relocs = zone_blob_relocs(b);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		size_t off = relocs[mid] & 0xFFFFu;
		if (off == pos)
			return &relocs[mid];
		if (off < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Decodes the name at blob offset *pos into dst; advances *pos past it.
 * Returns the name's length, 0 if it does not decode. */
static size_t decode_name(const struct zone_node *n, const struct zone_blob *b, size_t *pos, uint8_t *dst)
{
	const uint8_t *data = b->data;
	size_t p = *pos, out = 0, end = 0;
	bool jumped = false;
	for (unsigned hops = 0; hops < DNAME_MAX_LABELS; hops++) {
		if (p >= b->len)
			return 0;
		uint8_t l = data[p];
		if ((l & 0xC0) == 0xC0) {
			if (p + 2 > b->len)
				return 0;
			size_t v = (size_t)(l & 0x3F) << 8 | data[p + 1];
			if (!jumped)
				end = p + 2;
			jumped = true;
			const uint32_t *rel = find_reloc(b, p);
			size_t q;
			if (rel && (*rel & ZONE_RELOC_QTAIL))
				q = n->name_len - v; /* a suffix of the question name */
			else if (rel) {
				if (v >= p)
					return 0;
				p = v; /* an earlier name in the blob */
				continue;
			} else if (v >= WIRE_HEADER_LEN && v < WIRE_HEADER_LEN + (size_t)n->name_len) {
				q = v - WIRE_HEADER_LEN; /* the question name, or a suffix of it */
			} else if (v >= WIRE_HEADER_LEN + (size_t)n->name_len + 4u) {
				/* a final pointer into the blob (a name's own answers) */
				v -= WIRE_HEADER_LEN + (size_t)n->name_len + 4u;
				if (v >= p)
					return 0;
				p = v;
				continue;
			} else
				return 0;
			if (q >= n->name_len || out + n->name_len - q > DNAME_MAX_LEN)
				return 0;
			memcpy(dst + out, n->name + q, n->name_len - q);
			*pos = end;
			return out + n->name_len - q;
		}
		if (l & 0xC0 || out + l + 1 > DNAME_MAX_LEN || p + l + 1 > b->len)
			return 0;
		memcpy(dst + out, data + p, (size_t)l + 1);
		out += (size_t)l + 1;
		p += (size_t)l + 1;
		if (l == 0) {
			*pos = jumped ? end : p;
			return out;
		}
	}
	return 0;
}

bool zone_node_owns_type(const struct zone_node *n, uint16_t i)
{
	if (i >= n->type_count || n->blobs[i].ancount == 0)
		return false;
	if (n->flags & ZONE_NODE_CNAME)
		return zone_node_types(n)[i] == WIRE_TYPE_CNAME;
	return true;
}

bool zone_rrset_reader_init(struct zone_rrset_reader *r, const struct zone_node *n, uint16_t type_index)
{
	if (!zone_node_owns_type(n, type_index))
		return false;
	r->node = n;
	r->blob = &n->blobs[type_index];
	r->pos = 0;
	r->left = r->blob->ancount;
	r->type = zone_node_types(n)[type_index];
	return true;
}

bool zone_rrset_reader_next(struct zone_rrset_reader *r, struct zone_rr *out)
{
	const struct zone_blob *b = r->blob;
	if (r->left == 0)
		return false;
	r->left--;
	size_t p = r->pos;
	if (p + 12 <= b->len && b->data[p] == 0xC0 && b->data[p + 1] == WIRE_HEADER_LEN &&
	    !find_reloc(b, p)) {
		p += 2; /* the owner as rendered: the question name, the node's own */
	} else {
		uint8_t owner[DNAME_MAX_LEN];
		size_t olen = decode_name(r->node, b, &p, owner);
		if (olen == 0 || olen != r->node->name_len || memcmp(owner, r->node->name, olen) != 0)
			goto bad;
	}
	if (p + 10 > b->len)
		goto bad;
	uint16_t type = wire_read_u16(b->data + p);
	uint16_t rdlen = wire_read_u16(b->data + p + 8);
	size_t rd = p + 10;
	if (type != r->type || rd + rdlen > b->len)
		goto bad;
	out->owner = r->node->name;
	out->owner_len = r->node->name_len;
	out->type = type;
	out->ttl_s = wire_read_u32(b->data + p + 4);
	r->pos = rd + rdlen;
	/* RFC 3597 §4: zone_build compressed names in these types' rdata only */
	size_t q = rd, n = 0, k;
	switch (type) {
	case WIRE_TYPE_NS:
	case WIRE_TYPE_CNAME:
	case WIRE_TYPE_PTR: n = decode_name(r->node, b, &q, r->scratch); break;
	case WIRE_TYPE_MX:
		memcpy(r->scratch, b->data + q, 2);
		q += 2;
		k = decode_name(r->node, b, &q, r->scratch + 2);
		n = k ? k + 2 : 0;
		break;
	case WIRE_TYPE_SOA:
		n = decode_name(r->node, b, &q, r->scratch);
		k = n ? decode_name(r->node, b, &q, r->scratch + n) : 0;
		if (!k || q + 20 != r->pos) {
			n = 0;
			break;
		}
		memcpy(r->scratch + n + k, b->data + q, 20);
		n += k + 20;
		q += 20;
		break;
	default:
		out->rdata = b->data + rd;
		out->rdlen = rdlen;
		return true;
	}
	if (n == 0 || q != r->pos)
		goto bad;
	out->rdata = r->scratch;
	out->rdlen = (uint16_t)n;
	return true;
bad:
	r->left = 0;
	return false;
}

bool zone_rrset_equal(const struct zone_node *a, uint16_t ai, const struct zone_node *b, uint16_t bi)
{
	const struct zone_blob *x = &a->blobs[ai], *y = &b->blobs[bi];
	if (zone_node_types(a)[ai] != zone_node_types(b)[bi])
		return false;
	if (x->ancount == y->ancount && x->nscount == 0 && y->nscount == 0 && x->an_ns_len == y->an_ns_len &&
	    x->reloc_an_ns_count == y->reloc_an_ns_count && a->name_len == b->name_len &&
	    memcmp(x->data, y->data, x->an_ns_len) == 0 &&
	    (x->reloc_an_ns_count == 0 ||
	     memcmp(zone_blob_relocs(x), zone_blob_relocs(y), x->reloc_an_ns_count * sizeof(uint32_t)) == 0))
		return true;
	struct zone_rrset_reader ra, rb;
	if (!zone_rrset_reader_init(&ra, a, ai) || !zone_rrset_reader_init(&rb, b, bi))
		return false;
	struct zone_rr p, q;
	for (;;) {
		bool has_p = zone_rrset_reader_next(&ra, &p), has_q = zone_rrset_reader_next(&rb, &q);
		if (!has_p || !has_q)
			return has_p == has_q;
		if (p.ttl_s != q.ttl_s || p.rdlen != q.rdlen || memcmp(p.rdata, q.rdata, p.rdlen) != 0)
			return false;
	}
}

size_t zone_soa(const struct zone *z, uint8_t *buf, uint32_t *ttl_s)
{
	if (z->is_pending)
		return 0;
	const struct zone_node *apex = zone_part_lookup(z->parts[0], z->apex, z->apex_len,
							dname_hash(z->apex, z->apex_len));
	if (!apex)
		return 0;
	for (uint16_t i = 0; i < apex->type_count; i++) {
		if (zone_node_types(apex)[i] != WIRE_TYPE_SOA)
			continue;
		struct zone_rrset_reader r;
		struct zone_rr rr;
		if (!zone_rrset_reader_init(&r, apex, i) || !zone_rrset_reader_next(&r, &rr))
			return 0;
		memcpy(buf, rr.rdata, rr.rdlen);
		*ttl_s = rr.ttl_s;
		return rr.rdlen;
	}
	return 0;
}
