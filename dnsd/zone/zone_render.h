/* SPDX-License-Identifier: BSD-3-Clause
 * zone_render.h - the renderer's entry points, private to the builder:
 * zone_freeze.c lays a zone's parts out and calls these to fill in their
 * answers. Nothing outside zone_freeze.c and zone_render.c includes this. */
#ifndef DNSD_ZONE_RENDER_H
#define DNSD_ZONE_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "zone/zone.h"
#include "zone/zone_build.h"
#include "zone/zone_build_impl.h"

struct render;

/* The state of one zone_build_freeze(). */
struct freeze {
	struct zone_build *b;
	struct zone *z;             /* being built */
	struct render *r;           /* scratch, zone_render_new() */
	struct zone_part *part;     /* the part being built */
	struct arena *arena;        /* where blobs go: the part's, or the zone's */
	struct build_node **bnodes; /* parallel to part->nodes; NULL for empty non-terminals */
	size_t cap;                 /* room in part->nodes */
	struct build_rr soa;        /* the apex SOA record */
	uint32_t neg_ttl;           /* RFC 2308 §5: min(SOA TTL, MINIMUM) */
	struct zone_blob referral;  /* the delegation point's, until its node is stored */
	char *err;
	size_t errlen;
};

/* Scratch for rendering b's answers (about 150 KiB); NULL when out of
 * memory. Free accepts NULL. */
struct render *zone_render_new(struct zone_build *b);
void zone_render_free(struct render *r);

/* Renders every answer of f->part, part pi of f->z (every part already in
 * place, so a CNAME chain may be followed anywhere), into its arena, and
 * records in its deps which other parts its answers drew data from. */
int zone_render_part(struct freeze *f, unsigned pi);

/* The zone's negative answer with rcode (NXDOMAIN, or NOERROR for NODATA),
 * into f->arena. */
int zone_render_negative(struct freeze *f, uint8_t rcode, const struct zone_blob **out);

/* Moves part p's nodes, hash table, answers and names out of its building
 * arena into one block of exactly their size (zone_compact.c): no chunk
 * tail, no spare node slots, a table at most 3/4 full, each answer's relocs
 * beside its data, and a name that is a suffix of a longer one stored once
 * inside it. Node indices do not change; pointers into p do (the apex
 * wildcard must be linked again). Returns 0 or DNSD_ENOMEM (p unchanged). */
int zone_part_compact(struct zone_part *p);

#endif
