/* SPDX-License-Identifier: BSD-3-Clause
 * zone_build_impl.h - the record store's layout, private to the builder:
 * zone_build.c keeps it, zone_freeze.c and zone_render.c read it to render a
 * zone. Nothing outside those three files includes this. */
#ifndef DNSD_ZONE_BUILD_IMPL_H
#define DNSD_ZONE_BUILD_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "util/slab.h"
#include "zone/zone.h"
#include "zone/zone_build.h"

#define BLOB_MAX 65000 /* leaves room for header, question and OPT in 64 KiB */

/* The store is sized for large zones: every object comes from the builder's
 * slab (no malloc header), a name is stored once (lower case, in its node)
 * and an RRset of one record holds that record without a pointer array.
 * About 150 bytes a name with one A and one AAAA. */
struct build_rr {
	uint32_t refs; /* contributions; the record goes at 0 */
	uint32_t ttl;
	uint16_t rdlen;
	uint8_t rdata[];
};
#define RR_SIZE(rdlen) (offsetof(struct build_rr, rdata) + (rdlen))

struct build_rrset {
	uint16_t type;
	uint16_t count, cap; /* cap <= 1: the record is u.one */
	union {
		struct build_rr *one;
		struct build_rr **many;
	} u;
};

/* The records of an RRset as an array. */
static inline struct build_rr **set_rrs(const struct build_rrset *set)
{
	return set->cap <= 1 ? (struct build_rr **)&set->u.one : set->u.many;
}

struct build_node {
	struct build_rrset *rrsets;
	struct build_node *part_prev, *part_next; /* the nodes of one part */
	uint32_t hash;
	uint16_t rrset_count, rrset_cap;
	uint8_t name_len;
	uint8_t part;    /* zone part index (zone.h) */
	uint8_t lname[]; /* lower case, hash key */
};
#define NODE_SIZE(name_len) (offsetof(struct build_node, lname) + (name_len))

struct zone_build {
	uint8_t apex[DNAME_MAX_LEN];
	uint8_t apex_len;
	uint32_t default_ttl;
	struct build_node **table; /* open addressing on lname; NULL = empty */
	uint32_t table_mask;
	size_t node_count;
	size_t record_count;
	struct build_node *part_head[1 + ZONE_PARTS];
	struct slab slab; /* nodes, RRset arrays, records */
	/* incremental freezes: what changed since the last one */
	struct zone *last; /* the last zone frozen (a reference) */
	uint64_t dirty;    /* hashed parts changed: bit p-1 for part p */
	size_t cname_sets; /* CNAME RRsets: answers follow data across parts */
	size_t cut_sets;   /* NS RRsets below the apex */
	/* rendering scratch, reused between freezes */
	uint8_t *buf;
	uint32_t *relocs;
	size_t reloc_cap;
};

/* The RRset of type at n, or NULL. */
static inline struct build_rrset *node_rrset(const struct build_node *n, uint16_t type)
{
	for (uint16_t i = 0; i < n->rrset_count; i++)
		if (n->rrsets[i].type == type)
			return &n->rrsets[i];
	return NULL;
}

/* The node of name (wire form, any case), or NULL. */
const struct build_node *build_lookup(const struct zone_build *b, const uint8_t *name);

#endif
