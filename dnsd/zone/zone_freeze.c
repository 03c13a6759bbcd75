/* SPDX-License-Identifier: BSD-3-Clause
 * zone_freeze.c - zone_build_freeze(): checks the records, lays the zone out
 * in parts (sharing every part no change touched with the last zone) and has
 * zone_render.c render the answers of the parts it built. Changes no record,
 * only their order (sorted, so that answers are deterministic). */
#include "zone/zone_build.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "util/err.h"
#include "util/slots.h"
#include "zone/zone_build_impl.h"
#include "zone/zone_render.h"

/* Adds a node for name (lower case) to the part being built unless present;
 * returns its index. */
static long freeze_add_name(struct freeze *f, const uint8_t *lname, size_t len, struct build_node *bn)
{
	struct zone_part *p = f->part;
	uint32_t hash = dname_hash(lname, len);
	uint32_t i = hash & p->table_mask;
	for (;;) {
		struct zone_slot s = p->table[i];
		uint32_t at = zone_slot_index_plus1(s);
		if (at == 0)
			break;
		if (zone_slot_matches(s, hash)) {
			struct zone_node *n = &p->nodes[at - 1];
			if (n->name_len == len && memcmp(n->name, lname, len) == 0) {
				if (bn)
					f->bnodes[at - 1] = bn;
				return (long)at - 1;
			}
		}
		i = (i + 1) & p->table_mask;
	}
	if (p->node_count == f->cap)
		return -1; /* sized up front: cannot happen */
	size_t idx = p->node_count++;
	struct zone_node *n = &p->nodes[idx];
	memset(n, 0, sizeof(*n));
	n->name = arena_memdup(&p->arena, lname, len);
	if (!n->name)
		return -1;
	n->name_len = (uint8_t)len;
	f->bnodes[idx] = bn;
	p->table[i] = zone_slot_make(hash, idx);
	return (long)idx;
}

/* Writes "<name>: <what>" into the caller's error buffer. */
static int freeze_fail(struct freeze *f, const uint8_t *name, const char *what)
{
	char text[DNAME_MAX_TEXT];
	dname_to_text(text, sizeof(text), name);
	snprintf(f->err, f->errlen, "%s: %s", text, what);
	return DNSD_EZONE;
}

/* True when the freeze renders part pi (rebuild: bit p-1 for hashed part p;
 * part 0 is always rendered). */
static bool part_rebuilt(const struct zone_partset *rebuild, unsigned pi)
{
	return pi == 0 || zone_partset_has(rebuild, pi);
}

/* RFC 1034 §3.6.2 / RFC 2181 §10.1: CNAME stands alone; one SOA at the apex.
 * Checks the nodes of the parts to be rebuilt: the others have not changed
 * since the last freeze checked them. (The store keeps records in answer
 * order: nothing to sort.) */
static int freeze_check(struct freeze *f, const struct zone_partset *rebuild)
{
	struct zone_build *b = f->b;
	const struct build_node *apex = build_lookup(b, b->apex);
	struct build_rrset soa, cname;
	if (!apex || !node_rrset(apex, WIRE_TYPE_SOA, &soa))
		return freeze_fail(f, b->apex, "no SOA record at the zone apex");
	if (soa.count != 1)
		return freeze_fail(f, b->apex, "more than one SOA record");
	if (!node_has_type(apex, WIRE_TYPE_NS))
		return freeze_fail(f, b->apex, "no NS records at the zone apex");
	if (node_has_type(apex, WIRE_TYPE_CNAME))
		return freeze_fail(f, b->apex, "CNAME at the zone apex");
	for (unsigned pi = 0; pi <= ZONE_PARTS; pi++) {
		if (!part_rebuilt(rebuild, pi))
			continue;
		FOR_TABLE_NODES(&b->tables[pi], n)
		{
			if (node_rrset(n, WIRE_TYPE_CNAME, &cname) &&
			    (cname.count > 1 || node_rrset_count(n) > 1))
				return freeze_fail(f, n->lname,
						   "CNAME and other data (RFC 1034 section 3.6.2)");
			if (n->name_len != b->apex_len && node_has_type(n, WIRE_TYPE_SOA))
				return freeze_fail(f, n->lname, "SOA record below the zone apex");
		}
	}
	/* stored whole (SOA rdata ends in numbers): rdata points into the node */
	uint8_t scratch[BUILD_RR_SCRATCH];
	build_rr_decode(apex, soa.begin, &f->soa, scratch);
	uint32_t minimum = wire_read_u32(f->soa.rdata + f->soa.rdlen - 4);
	uint32_t soa_ttl = f->soa.ttl;
	f->neg_ttl = soa_ttl < minimum ? soa_ttl : minimum;
	return 0;
}

static struct zone *zone_alloc(const uint8_t *apex)
{
	struct zone *z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	atomic_init(&z->refs, 1);
	z->apex_len = (uint8_t)dname_len(apex);
	dname_lower(z->apex, apex, z->apex_len);
	z->apex_labels = (uint8_t)dname_label_count(z->apex);
	dname_to_text(z->name_text, sizeof(z->name_text), z->apex);
	z->stats_slot = slots_get(&slots_zones, z->name_text);
	arena_init(&z->arena, 4096);
	return z;
}

/* An empty part with room for max_nodes names. */
static struct zone_part *part_alloc(size_t max_nodes)
{
	struct zone_part *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	atomic_init(&p->refs, 1);
	/* names, nodes and their answers: about 256 bytes a name */
	size_t chunk = max_nodes * 256;
	arena_init(&p->arena, chunk < 4096 ? 4096 : chunk > 1024 * 1024 ? 1024 * 1024 : chunk);
	uint32_t tsize = 16;
	while (tsize < max_nodes * 2)
		tsize *= 2;
	p->nodes = max_nodes ? arena_alloc(&p->arena, max_nodes * sizeof(*p->nodes)) : NULL;
	p->table = arena_alloc(&p->arena, tsize * sizeof(*p->table));
	if ((max_nodes && !p->nodes) || !p->table) {
		zone_part_unref(p);
		return NULL;
	}
	memset(p->table, 0, tsize * sizeof(*p->table));
	p->table_mask = tsize - 1;
	return p;
}

struct zone *zone_new_pending(const uint8_t *apex)
{
	struct zone *z = zone_alloc(apex);
	if (!z)
		return NULL;
	z->is_pending = true;
	z->part_count = 1;
	z->parts[0] = part_alloc(0);
	if (!z->parts[0]) {
		zone_unref(z);
		return NULL;
	}
	return z;
}

/* The builder nodes that go into part pi: with one part, all of them. */
#define FOR_PART_NODES(f, pi, n)                                          \
	for (unsigned pi_ = (f)->z->part_count == 1 ? 0 : (pi);           \
	     pi_ <= ((f)->z->part_count == 1 ? ZONE_PARTS : (pi)); pi_++) \
	FOR_TABLE_NODES(&(f)->b->tables[pi_], n)

/* Builds part pi's names (each name plus its empty non-terminals down from
 * the apex; names in a hashed part share its label below the apex, so they
 * all land in the same part) into a new f->part. */
static int build_part_names(struct freeze *f, unsigned pi)
{
	struct zone *z = f->z;
	/* room for the names, their empty non-terminals and the apex: an
	 * ancestor that is also one of the previous name's is not counted
	 * again (names sharing a parent usually come one after another) */
	size_t max_nodes = 1;
	const struct build_node *prev = NULL;
	FOR_PART_NODES(f, pi, bn) {
		max_nodes++;
		for (size_t off = (size_t)bn->lname[0] + 1; bn->name_len - off > z->apex_len;
		     off += (size_t)bn->lname[off] + 1) {
			if (prev && dname_is_subdomain(prev->lname, prev->name_len, bn->lname + off,
						       bn->name_len - off))
				break;
			max_nodes++;
		}
		prev = bn;
	}
	if (max_nodes > ZONE_PART_NODES_MAX) {
		snprintf(f->err, f->errlen, "zone %s: more than %u names in one part", z->name_text,
			 (unsigned)ZONE_PART_NODES_MAX);
		return DNSD_ELIMIT;
	}
	f->part = part_alloc(max_nodes);
	f->bnodes = calloc(max_nodes ? max_nodes : 1, sizeof(*f->bnodes));
	if (!f->part || !f->bnodes)
		return DNSD_ENOMEM;
	z->parts[pi] = f->part;
	f->cap = max_nodes;
	FOR_PART_NODES(f, pi, bn) {
		if (freeze_add_name(f, bn->lname, bn->name_len, bn) < 0)
			return DNSD_ENOMEM;
		/* the apex itself lives in part 0: stop above it in hashed parts */
		for (size_t off = (size_t)bn->lname[0] + 1;
		     bn->name_len - off > z->apex_len ||
		     (z->part_count == 1 && bn->name_len - off == z->apex_len);
		     off += (size_t)bn->lname[off] + 1)
			if (freeze_add_name(f, bn->lname + off, bn->name_len - off, NULL) < 0)
				return DNSD_ENOMEM;
	}
	return 0;
}

/* The records of the part just built (its names' records). */
static size_t part_records(const struct freeze *f)
{
	size_t n = 0;
	for (size_t i = 0; i < f->part->node_count; i++) {
		const struct build_node *bn = f->bnodes[i];
		struct build_rrset set;
		for (const uint8_t *pos = bn ? node_records(bn) : NULL;
		     bn && node_rrset_next(bn, &pos, &set);)
			n += set.count;
	}
	return n;
}

/* Structure inside the part just built: wildcards (a "*.x" node and x share
 * a part unless x is the apex, handled by the caller), cuts and CNAME flags. */
static void part_structure(struct freeze *f)
{
	struct zone *z = f->z;
	struct zone_part *p = f->part;
	bool has_cuts = false;
	for (size_t i = 0; i < p->node_count; i++) {
		struct zone_node *n = &p->nodes[i];
		struct build_node *bn = f->bnodes[i];
		if (bn && n->name_len != z->apex_len && node_has_type(bn, WIRE_TYPE_NS)) {
			n->flags |= ZONE_NODE_CUT;
			has_cuts = true;
		}
		if (bn && node_has_type(bn, WIRE_TYPE_CNAME))
			n->flags |= ZONE_NODE_CNAME;
		if (n->name[0] == 1 && n->name[1] == '*' &&
		    (z->part_count == 1 || n->name_len - 2u > z->apex_len)) {
			struct zone_node *parent = (struct zone_node *)zone_part_lookup(
				p, n->name + 2, n->name_len - 2u, dname_hash(n->name + 2, n->name_len - 2u));
			if (parent)
				parent->link = (uint32_t)i + 1;
		}
	}
	/* delegations only exist in one-part zones: every lookup stays in p */
	for (size_t i = 0; has_cuts && i < p->node_count; i++) {
		struct zone_node *n = &p->nodes[i];
		/* the topmost cut: walk suffixes from just below the apex downwards */
		size_t offs[DNAME_MAX_LABELS], count = 0;
		for (size_t off = 0; n->name_len - off > z->apex_len; off += (size_t)n->name[off] + 1)
			offs[count++] = off;
		while (count-- > 0) {
			const struct zone_node *a = zone_part_lookup(
				p, n->name + offs[count], n->name_len - offs[count],
				dname_hash(n->name + offs[count], n->name_len - offs[count]));
			if (a && (a->flags & ZONE_NODE_CUT)) {
				/* a wildcard at or below a cut is never reached */
				n->link = (uint32_t)(a - p->nodes) + 1;
				n->flags |= ZONE_NODE_BELOW_CUT;
				break;
			}
		}
	}
	/* a delegation below another one is occluded: no referral of its own
	 * (the walk above goes from the top, so clearing afterwards is safe) */
	for (size_t i = 0; has_cuts && i < p->node_count; i++) {
		struct zone_node *n = &p->nodes[i];
		if ((n->flags & ZONE_NODE_CUT) && n->link != i + 1)
			n->flags &= (uint8_t)~ZONE_NODE_CUT;
	}
}

/* The parts one freeze builds anew, with their builder nodes. */
struct freeze_built {
	struct zone_part *parts[1 + ZONE_PARTS];
	struct build_node **bnodes[1 + ZONE_PARTS];
	unsigned index[1 + ZONE_PARTS];
	bool is_rendered[1 + ZONE_PARTS];
	size_t count;
};

/* Partitioned unless answers may follow data anywhere (CNAME chains,
 * delegations). Incremental when the last zone has the same layout: then
 * only changed parts, and parts whose answers carry their data, are
 * rendered again; the rest are shared with the last zone. Returns the part
 * count; *rebuild gets the hashed parts to build. */
static unsigned freeze_plan(const struct zone_build *b, struct zone_partset *rebuild)
{
	unsigned part_count = b->cname_sets == 0 && b->cut_sets == 0 ? 1 + ZONE_PARTS : 1;
	const struct zone *last = b->last;
	*rebuild = zone_partset_all();
	if (last && last->part_count == part_count && part_count > 1) {
		*rebuild = b->dirty;
		for (unsigned pi = 1; pi <= ZONE_PARTS; pi++)
			if (zone_partset_meets(&last->parts[pi]->deps, &b->dirty))
				zone_partset_add(rebuild, pi);
	}
	return part_count;
}

/* Puts every part of f->z in place: shared with the last zone, or built
 * anew and listed in built: names and structure, and in a zone in parts
 * also the answers (a one-part zone's come later, once every name is in
 * place for CNAME chasing). */
static int freeze_parts(struct freeze *f, const struct zone_partset *rebuild, struct freeze_built *built)
{
	struct zone *z = f->z;
	for (unsigned pi = 0; pi < z->part_count; pi++) {
		if (!part_rebuilt(rebuild, pi)) {
			z->parts[pi] = f->b->last->parts[pi];
			zone_part_ref(z->parts[pi]);
			continue;
		}
		/* records kept elsewhere come in for the part; in a one-part
		 * zone every part came in before the check */
		int rc = build_fill(f->b, pi);
		if (rc == 0)
			rc = build_part_names(f, pi);
		if (rc == 0)
			f->part->record_count = part_records(f);
		built->bnodes[built->count] = f->bnodes; /* freed through built from here */
		built->parts[built->count] = f->part;
		built->index[built->count++] = pi;
		if (rc == 0)
			part_structure(f);
		/* in a zone in parts no answer reads another part's nodes (no
		 * CNAME chains, no delegations; additional data comes from the
		 * builder), so each part is rendered and compacted at once: its
		 * building arena is freed before the next part's is taken and
		 * reuses the same memory, instead of all of them being held at
		 * once and leaving holes between the compacted blocks */
		if (rc == 0 && z->part_count > 1) {
			rc = zone_render_part(f, pi);
			if (rc == 0)
				rc = zone_part_compact(f->part);
			if (rc == 0) {
				built->is_rendered[built->count - 1] = true;
				free(f->bnodes);
				built->bnodes[built->count - 1] = NULL;
			}
			/* rendered: what came in for it (and for parts its
			 * additional data looked into) goes again, so at most a
			 * part's records are held at once */
			for (unsigned q = 1; q <= ZONE_PARTS; q++)
				build_unfill(f->b, q);
		}
		f->bnodes = NULL;
		f->part = NULL;
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The apex's wildcard, "*.<apex>", lives in a hashed part. */
static void link_apex_wildcard(struct zone *z)
{
	uint8_t wild[DNAME_MAX_LEN];
	if ((size_t)z->apex_len + 2 > DNAME_MAX_LEN)
		return;
	wild[0] = 1;
	wild[1] = '*';
	memcpy(wild + 2, z->apex, z->apex_len);
	size_t wl = z->apex_len + 2u;
	struct zone_node *apex = (struct zone_node *)zone_part_lookup(z->parts[0], z->apex, z->apex_len,
								      dname_hash(z->apex, z->apex_len));
	z->apex_wildcard = zone_lookup(z, wild, wl, dname_hash(wild, wl));
	if (apex && z->apex_wildcard)
		apex->flags |= ZONE_NODE_APEX_WILD;
}

/* Renders the answers of the parts built, then the zone's negative answers. */
static int freeze_render(struct freeze *f, const struct freeze_built *built)
{
	/* every part is in place, so CNAME chasing may look anywhere */
	for (size_t i = 0; i < built->count; i++) {
		if (built->is_rendered[i])
			continue;
		f->part = built->parts[i];
		f->bnodes = built->bnodes[i];
		int rc = zone_render_part(f, built->index[i]);
		f->bnodes = NULL;
		if (rc == 0)
			rc = zone_part_compact(built->parts[i]);
		if (rc != 0)
			return rc;
	}
	f->part = NULL;
	/* compaction moved the nodes */
	if (f->z->part_count > 1)
		link_apex_wildcard(f->z);
	f->arena = &f->z->arena;
	if (zone_render_negative(f, WIRE_RCODE_NXDOMAIN, &f->z->nxdomain) != 0 ||
	    zone_render_negative(f, WIRE_RCODE_NOERROR, &f->z->nodata) != 0)
		return DNSD_ENOMEM;
	return 0;
}

struct zone *zone_build_freeze(struct zone_build *b, char *err, size_t errlen)
{
	struct freeze f = { .b = b, .err = err, .errlen = errlen };
	struct freeze_built built = { .count = 0 };
	err[0] = '\0';
	if (zone_build_unindex(b) != 0) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct zone_partset rebuild, all = zone_partset_all();
	unsigned part_count = freeze_plan(b, &rebuild);
	struct zone_partset dirty = b->dirty;
	b->is_freezing = true;
	f.r = zone_render_new(b);
	f.z = zone_alloc(b->apex);
	if (!f.r || !f.z) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* the caller's records (zone_build_set_fill): the apex's now, for the
	 * check; in a zone in parts each other part's as it is built, in a
	 * one-part zone (CNAME chains may lead anywhere) all of them now */
	for (unsigned pi = 0; pi <= (part_count == 1 ? ZONE_PARTS : 0); pi++)
		if (build_fill(b, pi) != 0) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	if (freeze_check(&f, part_count == 1 ? &all : &rebuild) != 0)
		goto fail;
	struct zone *z = f.z;
	z->serial = wire_read_u32(f.soa.rdata + f.soa.rdlen - 20);
	z->part_count = part_count;
	if (freeze_parts(&f, &rebuild, &built) != 0)
		goto oom;
	if (part_count > 1)
		link_apex_wildcard(z);
	if (freeze_render(&f, &built) != 0)
		goto oom;
	for (unsigned pi = 0; pi < part_count; pi++) {
		z->node_count += z->parts[pi]->node_count;
		z->record_count += z->parts[pi]->record_count;
	}
	for (size_t i = 0; i < built.count; i++)
		free(built.bnodes[i]);
	zone_render_free(f.r);
	build_unfill_all(b);
	b->is_freezing = false;
	b->dirty = (struct zone_partset){ 0 };
	zone_unref(b->last);
	b->last = z;
	zone_ref(z);
	return z;
oom:
	if (!err[0]) /* unless a limit said why */
		snprintf(err, errlen, "zone %s: out of memory or answer too large", f.z->name_text);
fail:
	for (size_t i = 0; i < built.count; i++)
		free(built.bnodes[i]);
	free(f.bnodes);
	zone_render_free(f.r);
	zone_unref(f.z);
	build_unfill_all(b);
	b->is_freezing = false;
	b->dirty = dirty; /* filling marked parts; the next freeze retries these */
	return NULL;
}
