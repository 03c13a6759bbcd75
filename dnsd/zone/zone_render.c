/* SPDX-License-Identifier: BSD-3-Clause
 * zone_render.c - renders a zone's answers to wire format, node by node, from
 * the builder's records (zone_build_impl.h) into the zone's arenas. Decides
 * no layout (zone_freeze.c does) and never changes the records.
 *
 * Rendering rules (the query path in answer.c only copies these bytes):
 * - a blob holds the sections after the question; the owner of an exact or
 *   wildcard answer is written as a pointer to the question name (0xC00C),
 *   so the client's spelling of the name comes back (RFC 4343);
 * - other names are compressed against suffixes of the question name
 *   (ZONE_RELOC_QTAIL) or against names earlier in the blob, both of which
 *   depend on the question's length and are fixed up per query;
 * - positive answers carry no authority section (as Knot does); NS, MX and
 *   SRV answers carry the targets' in-zone addresses as additional data;
 * - negative answers carry the SOA with TTL = min(SOA TTL, MINIMUM)
 *   (RFC 2308 §5). */
#include "zone/zone_render.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/wire.h"
#include "util/array.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/zone_build_impl.h"

#define CNAME_CHAIN_MAX 8
#define COMPRESS_TARGET_MAX (0x3FFF - 12 - DNAME_MAX_LEN - 4)

enum comp_kind { COMP_ABS, COMP_QTAIL, COMP_BLOB };

struct comp_entry {
	const uint8_t *name; /* lower-case suffix */
	uint8_t len;
	uint8_t kind;
	uint16_t value;
};

#define COMP_MAX 512
/* An additional section holds at most this many targets' addresses (16
 * bytes a record at least, in 64 KB) */
#define ADDITIONAL_TARGETS_MAX 4096

/* The answer being rendered: a buffer, its compression table and counts. */
struct render {
	struct zone_build *b;
	unsigned part;            /* the part being rendered; 0 with one part */
	struct zone_partset deps; /* hashed parts whose data went into its answers */
	uint8_t *buf;
	size_t len;
	size_t reloc_count;
	/* the question name's length when the blob answers one name only (a
	 * name's own answers, not a wildcard's, a referral's or the zone's
	 * negative ones): its pointers are then final, with no reloc (zone.h),
	 * 8 bytes less per SRV answer and nothing to fix up per query; 0: any */
	size_t qname_len;
	uint16_t ancount, nscount, arcount;
	bool is_full; /* a record did not fit: rest skipped */
	bool is_cut;  /* ... and it was in the answer or authority section */
	struct comp_entry comp[COMP_MAX];
	uint8_t comp_names[COMP_MAX][DNAME_MAX_LEN]; /* copies of blob names */
	size_t comp_count;
	/* render_additional(): the target nodes whose addresses went in */
	const struct build_node *done[ADDITIONAL_TARGETS_MAX];
};

static void render_reset(struct render *r)
{
	r->len = 0;
	r->reloc_count = 0;
	r->qname_len = 0;
	r->ancount = r->nscount = r->arcount = 0;
	r->is_full = false;
	r->is_cut = false;
	r->comp_count = 0;
}

static void comp_add(struct render *r, const uint8_t *lname, size_t len, enum comp_kind kind, uint16_t value)
{
	if (r->comp_count == COMP_MAX)
		return;
	struct comp_entry *e = &r->comp[r->comp_count];
	if (kind == COMP_BLOB) {
		memcpy(r->comp_names[r->comp_count], lname, len);
		lname = r->comp_names[r->comp_count];
	}
	e->name = lname;
	e->len = (uint8_t)len;
	e->kind = (uint8_t)kind;
	e->value = value;
	r->comp_count++;
}

/* Suffixes of known (lower case; its last bytes are the qname's) can be
 * pointed at from any blob: QTAIL entries. */
static void comp_add_qtail(struct render *r, const uint8_t *known, size_t known_len)
{
	for (size_t off = 0; off + 1 < known_len; off += (size_t)known[off] + 1)
		comp_add(r, known + off, known_len - off, COMP_QTAIL, (uint16_t)(known_len - off));
}

static int reloc_push(struct render *r, size_t pos, uint32_t kind)
{
	if (r->qname_len) {
		/* what answer.c's reply_blob() would make of it, for this qname */
		size_t v = wire_read_u16(r->buf + pos) & 0x3FFFu;
		size_t target = (kind & ZONE_RELOC_QTAIL) ? WIRE_HEADER_LEN + r->qname_len - v
							  : WIRE_HEADER_LEN + r->qname_len + 4u + v;
		if (target < 0x4000u) {
			wire_write_u16(r->buf + pos, (uint16_t)(0xC000u | target));
			return 0;
		}
	}
	struct zone_build *b = r->b;
	if (ARRAY_RESERVE_ONE(b->relocs, &b->reloc_cap, r->reloc_count, 64) != 0)
		return DNSD_ENOMEM;
	b->relocs[r->reloc_count++] = (uint32_t)pos | kind;
	return 0;
}

/* Writes name at the end of the buffer, compressed where allowed. */
static int render_name(struct render *r, const uint8_t *name, bool may_compress)
{
	size_t len = dname_len(name);
	uint8_t lname[DNAME_MAX_LEN];
	dname_lower(lname, name, len);
	size_t off = 0;
	while (name[off] != 0) {
		size_t slen = len - off;
		if (may_compress) {
			for (size_t i = 0; i < r->comp_count; i++) {
				const struct comp_entry *e = &r->comp[i];
				if (e->len != slen || memcmp(e->name, lname + off, slen) != 0)
					continue;
				if (r->len + 2 > BLOB_MAX)
					return DNSD_ERANGE;
				size_t pos = r->len;
				wire_write_u16(r->buf + pos, (uint16_t)(0xC000u | e->value));
				r->len += 2;
				if (e->kind == COMP_BLOB)
					return reloc_push(r, pos, 0);
				if (e->kind == COMP_QTAIL)
					return reloc_push(r, pos, ZONE_RELOC_QTAIL);
				return 0;
			}
		}
		size_t l = name[off];
		if (r->len + l + 1 > BLOB_MAX)
			return DNSD_ERANGE;
		if (r->len < COMPRESS_TARGET_MAX)
			comp_add(r, lname + off, slen, COMP_BLOB, (uint16_t)r->len);
		memcpy(r->buf + r->len, name + off, l + 1);
		r->len += l + 1;
		off += l + 1;
	}
	if (r->len + 1 > BLOB_MAX)
		return DNSD_ERANGE;
	r->buf[r->len++] = 0;
	return 0;
}

/* RFC 3597 §4: only the RFC 1035 types' names may be compressed. */
static int render_rdata(struct render *r, uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
	size_t n;
	int rc;
	switch (type) {
	case WIRE_TYPE_NS:
	case WIRE_TYPE_CNAME:
	case WIRE_TYPE_PTR: return render_name(r, rdata, true);
	case WIRE_TYPE_MX:
		if (r->len + 2 > BLOB_MAX)
			return DNSD_ERANGE;
		memcpy(r->buf + r->len, rdata, 2);
		r->len += 2;
		return render_name(r, rdata + 2, true);
	case WIRE_TYPE_SOA:
		n = dname_len(rdata);
		if ((rc = render_name(r, rdata, true)) != 0)
			return rc;
		if ((rc = render_name(r, rdata + n, true)) != 0)
			return rc;
		n += dname_len(rdata + n);
		if (r->len + 20 > BLOB_MAX)
			return DNSD_ERANGE;
		memcpy(r->buf + r->len, rdata + n, 20);
		r->len += 20;
		return 0;
	default:
		if (r->len + rdlen > BLOB_MAX)
			return DNSD_ERANGE;
		memcpy(r->buf + r->len, rdata, rdlen);
		r->len += rdlen;
		return 0;
	}
}

/* Appends one record; on overflow rolls back and marks the render full. */
static int render_rr(struct render *r, const uint8_t *owner, uint16_t type, uint32_t ttl,
		     const uint8_t *rdata, uint16_t rdlen)
{
	size_t mark = r->len, reloc_mark = r->reloc_count, comp_mark = r->comp_count;
	int rc = render_name(r, owner, true);
	if (rc == 0 && r->len + 10 > BLOB_MAX)
		rc = DNSD_ERANGE;
	if (rc == 0) {
		uint8_t *h = r->buf + r->len;
		wire_write_u16(h, type);
		wire_write_u16(h + 2, WIRE_CLASS_IN);
		wire_write_u32(h + 4, ttl);
		r->len += 10;
		size_t rd_start = r->len;
		rc = render_rdata(r, type, rdata, rdlen);
		if (rc == 0)
			wire_write_u16(h + 8, (uint16_t)(r->len - rd_start));
	}
	if (rc == DNSD_ERANGE) {
		r->len = mark;
		r->reloc_count = reloc_mark;
		r->comp_count = comp_mark;
		r->is_full = true;
	}
	return rc;
}

static uint32_t rrset_ttl(const struct build_rrset *set)
{
	uint32_t ttl = UINT32_MAX;
	for (const uint8_t *p = set->begin; p < set->end; p += build_rr_size(set->node, p)) {
		uint32_t t = build_rr_ttl(p);
		if (t < ttl)
			ttl = t;
	}
	return ttl;
}

/* Appends an RRset; returns the number of records written. */
static uint16_t render_rrset(struct render *r, const uint8_t *owner, const struct build_rrset *set)
{
	uint32_t ttl = set->count == 1 ? 0 : rrset_ttl(set);
	uint16_t n = 0;
	uint8_t scratch[BUILD_RR_SCRATCH];
	struct build_rr rr;
	for (const uint8_t *p = set->begin; rrset_rr(set, &p, &rr, scratch);) {
		if (render_rr(r, owner, set->type, set->count == 1 ? rr.ttl : ttl, rr.rdata, rr.rdlen) != 0) {
			r->is_cut = true;
			break;
		}
		n++;
	}
	return n;
}

/* The name a record of this type points at for additional processing. */
static const uint8_t *rdata_target(uint16_t type, const uint8_t *rdata)
{
	switch (type) {
	case WIRE_TYPE_NS: return rdata;
	case WIRE_TYPE_MX: return rdata + 2;
	case WIRE_TYPE_SRV: return rdata + 6;
	default: return NULL;
	}
}

/* Additional section: in-zone A and AAAA of NS/MX/SRV targets (RFC 1034 §4.3.2 step 6). */
static void render_additional(struct render *r, const struct build_rrset *set, bool *has_glue,
			      const uint8_t *cut)
{
	size_t cut_len = cut ? dname_len(cut) : 0, done_count = 0;
	uint8_t scratch[BUILD_RR_SCRATCH];
	struct build_rr rr;
	for (const uint8_t *p = set->begin; !r->is_full && rrset_rr(set, &p, &rr, scratch);) {
		const uint8_t *target = rdata_target(set->type, rr.rdata);
		if (!target)
			return;
		uint8_t lt[DNAME_MAX_LEN];
		size_t tl = dname_len(target);
		dname_lower(lt, target, tl);
		if (dname_is_subdomain(lt, tl, r->b->apex, r->b->apex_len)) {
			unsigned tp = zone_part_index(r->b->apex_len, lt, tl);
			if (r->part > 0 && tp > 0 && tp != r->part)
				zone_partset_add(&r->deps, tp);
			/* the target's part, when its records are kept elsewhere */
			if (build_fill(r->b, tp) != 0)
				continue;
		}
		const struct build_node *t = build_lookup(r->b, target);
		if (!t || (!node_has_type(t, WIRE_TYPE_A) && !node_has_type(t, WIRE_TYPE_AAAA)))
			continue;
		/* each target's addresses once: a name is one node, so the nodes
		 * done say it, and each took 16 bytes or more (comparing each
		 * target with every earlier record's was quadratic: 1,200 MX
		 * records took seconds under ASan in fuzz_zonefile) */
		bool seen = false;
		for (size_t i = 0; !seen && i < done_count; i++)
			seen = r->done[i] == t;
		if (seen)
			continue;
		if (done_count == ADDITIONAL_TARGETS_MAX)
			return;
		r->done[done_count++] = t;
		static const uint16_t addr_types[2] = { WIRE_TYPE_A, WIRE_TYPE_AAAA };
		for (int k = 0; k < 2; k++) {
			struct build_rrset a;
			if (!node_rrset(t, addr_types[k], &a))
				continue;
			bool is_cut = r->is_cut; /* additional data may be dropped (RFC 2181 §9) */
			r->arcount += render_rrset(r, target, &a);
			r->is_cut = is_cut;
			if (has_glue && cut && dname_is_subdomain(t->lname, t->name_len, cut, cut_len))
				*has_glue = true;
		}
	}
}

/* Copies the render into the zone's arena as a blob. */
static int blob_store(struct arena *arena, struct render *r, struct zone_blob *blob, size_t an_ns_len,
		      uint8_t rcode, uint8_t flags)
{
	/* the relocs follow the data, 4-aligned (zone_blob_relocs) */
	size_t data_len = r->reloc_count ? ((r->len + 3u) & ~(size_t)3u) : r->len;
	uint8_t *data = r->reloc_count ? arena_alloc(arena, data_len + r->reloc_count * sizeof(uint32_t))
				       : arena_alloc_bytes(arena, r->len);
	if (!data)
		return DNSD_ENOMEM;
	memcpy(data, r->buf, r->len);
	if (r->reloc_count)
		memcpy(data + data_len, r->b->relocs, r->reloc_count * sizeof(uint32_t));
	blob->data = data;
	blob->len = (uint16_t)r->len;
	blob->an_ns_len = (uint16_t)an_ns_len;
	blob->ancount = r->ancount;
	blob->nscount = r->nscount;
	blob->arcount = r->arcount;
	blob->reloc_count = (uint16_t)r->reloc_count;
	uint16_t below = 0;
	for (size_t i = 0; i < r->reloc_count; i++)
		if ((r->b->relocs[i] & 0xFFFFu) < an_ns_len)
			below++;
	blob->reloc_an_ns_count = below;
	blob->rcode = rcode;
	blob->flags = flags | (r->is_cut ? ZONE_BLOB_TOO_LARGE : 0);
	return 0;
}

/* Sets up compression for an answer whose owner is the question name: the
 * node's name ("*.x" for a wildcard) stands for the question, and the
 * suffixes of what the question surely ends with (x for a wildcard) may be
 * pointed at. */
static void render_begin(struct render *r, const struct zone_node *zn)
{
	render_reset(r);
	comp_add(r, zn->name, zn->name_len, COMP_ABS, WIRE_HEADER_LEN);
	const uint8_t *known = zn->name;
	size_t known_len = zn->name_len;
	if (zn->name[0] == 1 && zn->name[1] == '*') {
		known += 2;
		known_len -= 2;
	} else {
		r->qname_len = zn->name_len; /* only this name's queries get these */
	}
	comp_add_qtail(r, known, known_len);
}

/* The negative answer: the SOA in authority (RFC 2308 §3). */
static int render_negative_tail(struct freeze *f)
{
	struct render *r = f->r;
	size_t before = r->nscount;
	render_rr(r, f->z->apex, WIRE_TYPE_SOA, f->neg_ttl, f->soa.rdata, f->soa.rdlen);
	r->nscount = (uint16_t)(before + 1);
	return r->is_full ? DNSD_ERANGE : 0;
}

/* How a name resolves inside the zone, for CNAME chasing: the node holding
 * its data (possibly a wildcard), or NULL with *is_nxdomain, or NULL with
 * *is_out when the name is not answered from this zone's data: out of zone,
 * or at or below a delegation, in which case *cut is the delegation point. */
static const struct zone_node *freeze_resolve(const struct freeze *f, const uint8_t *name, bool *is_nxdomain,
					      bool *is_out, const struct zone_node **cut)
{
	*is_nxdomain = false;
	*is_out = false;
	*cut = NULL;
	uint8_t lname[DNAME_MAX_LEN];
	size_t len = dname_len(name);
	dname_lower(lname, name, len);
	if (!dname_is_subdomain(lname, len, f->z->apex, f->z->apex_len)) {
		*is_out = true;
		return NULL;
	}
	const struct zone_part *p = zone_name_part(f->z, lname, len);
	const struct zone_node *n = zone_part_lookup(p, lname, len, dname_hash(lname, len));
	if (n) {
		if (!zone_node_cut(p, n))
			return n;
		*is_out = true;
		*cut = zone_node_cut(p, n);
		return NULL;
	}
	/* closest encloser, then its wildcard (RFC 4592 §3.3.1) */
	for (size_t off = (size_t)lname[0] + 1; off < len; off += (size_t)lname[off] + 1) {
		const struct zone_part *cp = zone_name_part(f->z, lname + off, len - off);
		const struct zone_node *ce = zone_part_lookup(cp, lname + off, len - off,
							      dname_hash(lname + off, len - off));
		if (!ce)
			continue;
		if (zone_node_cut(cp, ce)) {
			*is_out = true;
			*cut = zone_node_cut(cp, ce);
			return NULL;
		}
		if (zone_node_wildcard(f->z, cp, ce))
			return zone_node_wildcard(f->z, cp, ce);
		break;
	}
	*is_nxdomain = true;
	return NULL;
}

static struct build_node *bnode_of(const struct freeze *f, const struct zone_node *n)
{
	return f->bnodes[n - f->part->nodes];
}

/* The target of node n's CNAME: its rdata is all name, so it is either
 * stored whole or is a suffix of n's own name, and lives as long as n. */
static const uint8_t *cname_target(const struct build_node *n)
{
	struct build_rrset set;
	struct build_rr rr;
	uint8_t scratch[BUILD_RR_SCRATCH]; /* not used: no prefix before the name */
	node_rrset(n, WIRE_TYPE_CNAME, &set);
	build_rr_decode(n, set.begin, &rr, scratch);
	return rr.tail == BUILD_RR_WHOLE ? set.begin + rr.header_len : n->lname + rr.tail;
}

/* Where a CNAME chain ends, followed once at build time. */
struct cname_chain {
	const struct build_node *links[CNAME_CHAIN_MAX]; /* the CNAME nodes after the first */
	const uint8_t *owners[CNAME_CHAIN_MAX + 1];      /* owners[i + 1]: links[i]'s name */
	size_t count;
	const uint8_t *target;       /* the name the last CNAME points at */
	const struct zone_node *end; /* what target resolves to, or NULL */
	const struct zone_node *cut; /* the delegation target is at or below, or NULL */
	bool is_nxdomain, is_out;    /* as freeze_resolve() says */
};

/* Follows the chain from bn (whose CNAME RRset is cset) until it leaves the
 * zone's CNAMEs, loops back or is CNAME_CHAIN_MAX long. */
static void cname_chase(const struct freeze *f, const struct build_node *bn, struct cname_chain *c)
{
	c->count = 0;
	c->target = cname_target(bn);
	c->owners[0] = NULL; /* the question name */
	for (;;) {
		c->end = freeze_resolve(f, c->target, &c->is_nxdomain, &c->is_out, &c->cut);
		if (!c->end || !(c->end->flags & ZONE_NODE_CNAME) || c->count + 1 >= CNAME_CHAIN_MAX)
			break;
		const struct build_node *eb = bnode_of(f, c->end);
		bool is_loop = eb == bn;
		for (size_t i = 0; i < c->count; i++)
			if (c->links[i] == eb)
				is_loop = true;
		if (is_loop)
			break;
		c->links[c->count] = eb;
		c->owners[c->count + 1] = c->target;
		c->count++;
		c->target = cname_target(eb);
	}
}

/* Starts an answer with the CNAME chain: the node's record, then one per link. */
static void render_chain(struct render *r, const struct zone_node *zn, const struct build_rrset *cset,
			 const struct cname_chain *c)
{
	render_begin(r, zn);
	r->ancount += render_rrset(r, zn->name, cset);
	for (size_t i = 0; i < c->count; i++) {
		struct build_rrset link;
		node_rrset(c->links[i], WIRE_TYPE_CNAME, &link);
		r->ancount += render_rrset(r, c->owners[i + 1], &link);
	}
}

/* The answer to a qtype the chain's end does not have: the chain, then what
 * the end gives (a referral, the negative answer, or nothing). */
static int render_cname_other(struct freeze *f, const struct zone_node *zn, const struct build_rrset *cset,
			      const struct cname_chain *c, struct zone_blob *blob)
{
	struct render *r = f->r;
	render_chain(r, zn, cset, c);
	uint8_t rcode = 0;
	size_t an_ns_len = 0;
	uint8_t blob_flags = ZONE_BLOB_AA;
	if (c->cut) {
		/* RFC 1034 §4.3.2: the chain restarts the lookup at its target,
		 * which step 3b answers with a referral: the cut's NS RRset in
		 * authority and its glue in additional (as Knot and NSD do). */
		struct build_rrset ns;
		node_rrset(bnode_of(f, c->cut), WIRE_TYPE_NS, &ns);
		r->nscount = render_rrset(r, c->cut->name, &ns);
		an_ns_len = r->len;
		bool has_glue = false;
		render_additional(r, &ns, &has_glue, c->cut->name);
		r->is_full = false;
		if (has_glue)
			blob_flags |= ZONE_BLOB_GLUE_REQUIRED;
	} else if (c->end && (c->end->flags & ZONE_NODE_CNAME)) {
		/* the chain loops (or is longer than we follow): there is no
		 * last name to deny, so no SOA (RFC 2308 §2.2 is about a name
		 * that exists without the type); Knot and NSD answer the same */
	} else if (!c->is_out) {
		render_negative_tail(f);
		rcode = c->is_nxdomain ? WIRE_RCODE_NXDOMAIN : WIRE_RCODE_NOERROR;
	}
	return blob_store(f->arena, r, blob, an_ns_len ? an_ns_len : r->len, rcode, blob_flags);
}

/* A node's types and blobs in one allocation, the types ending where the
 * blobs begin (zone_node_types()). */
static int node_area(struct freeze *f, uint16_t ntypes, size_t nblobs, uint16_t **types,
		     struct zone_blob **blobs)
{
	size_t tbytes = ((size_t)ntypes * sizeof(uint16_t) + 7u) & ~(size_t)7u;
	uint8_t *area = arena_alloc(f->arena, tbytes + nblobs * sizeof(struct zone_blob));
	if (!area)
		return DNSD_ENOMEM;
	*blobs = (struct zone_blob *)(void *)(area + tbytes);
	*types = (uint16_t *)(void *)(area + tbytes) - ntypes;
	return 0;
}

/* Sorts types ascending and blobs with them (a handful: insertion sort). */
static void sort_types(uint16_t *types, struct zone_blob *blobs, uint16_t count)
{
	for (uint16_t i = 1; i < count; i++) {
		for (uint16_t j = i; j > 0 && types[j - 1] > types[j]; j--) {
			uint16_t t = types[j];
			types[j] = types[j - 1];
			types[j - 1] = t;
			struct zone_blob bl = blobs[j];
			blobs[j] = blobs[j - 1];
			blobs[j - 1] = bl;
		}
	}
}

/* A CNAME node: the chain is followed at build time for each type present at
 * its end (RFC 1034 §3.6.2; RFC 6604 for the rcode of a chain). */
static int render_cname_node(struct freeze *f, struct zone_node *zn, struct build_node *bn)
{
	struct render *r = f->r;
	struct build_rrset cset_v;
	node_rrset(bn, WIRE_TYPE_CNAME, &cset_v);
	const struct build_rrset *cset = &cset_v;
	struct cname_chain c;
	cname_chase(f, bn, &c);
	const struct build_node *end_b = c.end && !(c.end->flags & ZONE_NODE_CNAME) ? bnode_of(f, c.end)
										    : NULL;
	uint16_t ntypes = (uint16_t)(1 + (end_b ? node_rrset_count(end_b) : 0));
	uint16_t *types;
	struct zone_blob *blobs;
	if (node_area(f, ntypes, ntypes + 1u, &types, &blobs) != 0)
		return DNSD_ENOMEM;

	/* qtype CNAME: just the record */
	uint16_t k = 0;
	render_begin(r, zn);
	r->ancount = render_rrset(r, zn->name, cset);
	types[k] = WIRE_TYPE_CNAME;
	if (blob_store(f->arena, r, &blobs[k++], r->len, 0, ZONE_BLOB_AA) != 0)
		return DNSD_ENOMEM;
	/* each type at the chain's end: the chain, then that RRset */
	struct build_rrset set;
	for (const uint8_t *pos = end_b ? node_records(end_b) : NULL;
	     end_b && node_rrset_next(end_b, &pos, &set);) {
		render_chain(r, zn, cset, &c);
		r->ancount += render_rrset(r, c.target, &set);
		types[k] = set.type;
		if (blob_store(f->arena, r, &blobs[k++], r->len, 0, ZONE_BLOB_AA) != 0)
			return DNSD_ENOMEM;
	}
	/* any other qtype */
	if (render_cname_other(f, zn, cset, &c, &blobs[k]) != 0)
		return DNSD_ENOMEM;
	/* keep types ascending (CNAME = 5 was placed first); k == ntypes */
	sort_types(types, blobs, k);
	zn->blobs = blobs;
	zn->type_count = k;
	/* RFC 8482 §4.2: ANY at a CNAME gets the CNAME (zone_node_any) */
	zn->flags |= ZONE_NODE_OTHER;
	return 0;
}

static int render_plain_node(struct freeze *f, struct zone_node *zn, struct build_node *bn)
{
	struct render *r = f->r;
	uint16_t ntypes = node_rrset_count(bn);
	bool has_referral = (zn->flags & ZONE_NODE_CUT) != 0;
	uint16_t *types;
	struct zone_blob *blobs;
	if (node_area(f, ntypes, ntypes + (has_referral ? 1u : 0u), &types, &blobs) != 0)
		return DNSD_ENOMEM;
	struct build_rrset set_v;
	const struct build_rrset *set = &set_v;
	uint16_t i = 0;
	for (const uint8_t *pos = node_records(bn); node_rrset_next(bn, &pos, &set_v); i++) {
		render_begin(r, zn);
		r->ancount = render_rrset(r, zn->name, set);
		size_t an_len = r->len;
		if (r->is_cut) {
			char name[DNAME_MAX_TEXT];
			dname_to_text(name, sizeof(name), zn->name);
			log_warn("%s type %u: %u records do not fit in one message; answered with SERVFAIL "
				 "over TCP",
				 name, (unsigned)set->type, (unsigned)set->count);
		}
		render_additional(r, set, NULL, NULL);
		r->is_full = false;
		types[i] = set->type;
		if (blob_store(f->arena, r, &blobs[i], an_len, 0, ZONE_BLOB_AA) != 0)
			return DNSD_ENOMEM;
	}
	if (has_referral)
		blobs[ntypes] = f->referral; /* render_referral() came first */
	zn->blobs = blobs;
	zn->type_count = ntypes;
	/* RFC 8482 §4.2: one RRset is enough; the lowest type is as good as any
	 * (zone_node_any) */
	return 0;
}

/* A delegation: NS in authority, glue in additional, AA clear (RFC 1034 §4.3.2). */
static int render_referral(struct freeze *f, struct zone_node *zn, struct build_node *bn)
{
	struct render *r = f->r;
	struct build_rrset ns;
	node_rrset(bn, WIRE_TYPE_NS, &ns);
	render_reset(r);
	comp_add_qtail(r, zn->name, zn->name_len);
	r->nscount = render_rrset(r, zn->name, &ns);
	size_t an_ns_len = r->len;
	bool has_glue = false;
	render_additional(r, &ns, &has_glue, zn->name);
	r->is_full = false;
	/* kept until render_plain_node() puts it after the node's answers */
	return blob_store(f->arena, r, &f->referral, an_ns_len, 0, has_glue ? ZONE_BLOB_GLUE_REQUIRED : 0);
}

int zone_render_negative(struct freeze *f, uint8_t rcode, const struct zone_blob **out)
{
	struct render *r = f->r;
	render_reset(r);
	comp_add_qtail(r, f->z->apex, f->z->apex_len);
	if (render_negative_tail(f) != 0)
		return DNSD_ERANGE;
	struct zone_blob *blob = arena_alloc(f->arena, sizeof(*blob));
	if (!blob || blob_store(f->arena, r, blob, r->len, rcode, ZONE_BLOB_AA) != 0)
		return DNSD_ENOMEM;
	*out = blob;
	return 0;
}

int zone_render_part(struct freeze *f, unsigned pi)
{
	struct zone_part *p = f->part;
	f->arena = &p->arena;
	f->r->part = f->z->part_count == 1 ? 0 : pi;
	f->r->deps = (struct zone_partset){ 0 };
	for (size_t i = 0; i < p->node_count; i++) {
		struct zone_node *n = &p->nodes[i];
		struct build_node *bn = f->bnodes[i];
		int rc = 0;
		const struct zone_node *cut = zone_node_cut(p, n);
		if (cut && cut != n) {
			/* occluded: below a delegation, every query gets the
			 * referral; its own records are rendered for zone
			 * transfers only (zone_records.h), glue included */
			if (bn && (rc = render_plain_node(f, n, bn)) != 0)
				return rc;
			continue;
		}
		if (n->flags & ZONE_NODE_CUT)
			rc = render_referral(f, n, bn);
		if (rc == 0 && bn)
			rc = (n->flags & ZONE_NODE_CNAME) ? render_cname_node(f, n, bn)
							  : render_plain_node(f, n, bn);
		if (rc != 0)
			return rc;
	}
	p->deps = f->r->deps;
	return 0;
}

struct render *zone_render_new(struct zone_build *b)
{
	struct render *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->b = b;
	r->buf = b->buf;
	return r;
}

void zone_render_free(struct render *r) { free(r); }
