/* SPDX-License-Identifier: BSD-3-Clause
 * zone.h - the immutable snapshot of a zone: a hash index of names whose
 * answers were pre-rendered to wire format at build time (zone_build.c).
 * Lookup only; nothing here allocates, locks or calls ldns. A snapshot never
 * changes once published; readers hold it under publish.h's rules. */
#ifndef DNSD_ZONE_H
#define DNSD_ZONE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "dname.h"

/* A pre-rendered response tail: the answer, authority and additional
 * sections that follow the question. Compression pointers in data that
 * depend on the question's length are listed in relocs and fixed up per
 * query (see zone_blob_copy()). */
#define ZONE_RELOC_QTAIL 0x10000u  /* target = 12 + qname_len - value (a suffix of the qname) */
                                   /* otherwise target = 12 + question_len + value (in the blob) */
#define ZONE_BLOB_AA 0x01          /* authoritative data */
#define ZONE_BLOB_GLUE_REQUIRED 0x02  /* RFC 9471: TC=1 if the additional glue does not fit */

struct zone_blob {
	const uint8_t *data;
	const uint32_t *relocs;    /* low 16 bits: offset of a 2-byte pointer in data */
	uint16_t len;              /* bytes of data */
	uint16_t an_ns_len;        /* answer + authority bytes: additional may be cut here */
	uint16_t ancount, nscount, arcount;
	uint16_t reloc_count;
	uint16_t reloc_an_ns_count;   /* relocs (sorted) that lie below an_ns_len */
	uint8_t rcode;
	uint8_t flags;             /* ZONE_BLOB_* */
};

#define ZONE_NODE_CUT 0x01         /* a delegation point (NS below the apex) */
#define ZONE_NODE_CNAME 0x02

struct zone_node {
	const uint8_t *name;       /* lower-case wire form */
	uint32_t hash;
	uint8_t name_len;
	uint8_t flags;             /* ZONE_NODE_* */
	uint16_t type_count;
	const uint16_t *types;     /* ascending qtypes that have a positive answer */
	const struct zone_blob *blobs;      /* parallel to types */
	const struct zone_blob *other;      /* other qtypes; NULL = the zone's NODATA */
	const struct zone_blob *any;        /* RFC 8482 answer to ANY; NULL = NODATA */
	const struct zone_blob *referral;   /* when flags has ZONE_NODE_CUT */
	const struct zone_node *wildcard;   /* the "*.<name>" child, or NULL */
	const struct zone_node *cut;        /* topmost delegation at or above, or NULL */
};

struct zone_slot {
	uint32_t hash;
	uint32_t index_plus1;      /* 0 = empty */
};

struct zone {
	_Atomic unsigned refs;     /* zone sets sharing this zone */
	uint8_t apex[DNAME_MAX_LEN];   /* lower case */
	uint8_t apex_len;
	uint8_t apex_labels;
	bool is_pending;           /* waiting for its first Kubernetes sync: SERVFAIL */
	uint32_t serial;
	const struct zone_blob *nxdomain;   /* RFC 2308 §2.1: NXDOMAIN + SOA */
	const struct zone_blob *nodata;     /* RFC 2308 §2.2: NOERROR + SOA */
	struct zone_node *nodes;
	size_t node_count;         /* names including empty non-terminals */
	size_t record_count;       /* resource records */
	struct zone_slot *table;
	uint32_t table_mask;
	struct arena arena;        /* owns everything above */
	char name_text[DNAME_MAX_TEXT];   /* "global." for logs and metrics */
};

/* A snapshot for one view: the zones it serves. Immutable once published. */
struct zone_set {
	size_t count;
	struct zone *zones[];
};

/* Exact match of a lower-case wire name; NULL if absent. */
static inline const struct zone_node *zone_lookup(const struct zone *z, const uint8_t *name,
						  size_t len, uint32_t hash)
{
	uint32_t i = hash & z->table_mask;
	for (;;) {
		const struct zone_slot *s = &z->table[i];
		if (s->index_plus1 == 0)
			return NULL;
		if (s->hash == hash) {
			const struct zone_node *n = &z->nodes[s->index_plus1 - 1];
			if (n->name_len == len && memcmp(n->name, name, len) == 0)
				return n;
		}
		i = (i + 1) & z->table_mask;
	}
}

/* The positive answer of node for qtype, or NULL. */
static inline const struct zone_blob *zone_node_find_type(const struct zone_node *n, uint16_t qtype)
{
	for (uint16_t i = 0; i < n->type_count; i++)
		if (n->types[i] == qtype)
			return &n->blobs[i];
	return NULL;
}

/* Takes a reference / drops one, freeing the zone with the last. */
void zone_ref(struct zone *z);
void zone_unref(struct zone *z);

/* A new set holding a reference to each zone; NULL when out of memory. */
struct zone_set *zone_set_new(struct zone *const *zones, size_t count);
/* Drops the set's zone references and frees it; accepts NULL. */
void zone_set_free(struct zone_set *set);
/* The zone whose apex is the longest suffix of qname (lower case), or NULL. */
const struct zone *zone_set_find(const struct zone_set *set, const uint8_t *qname, size_t qname_len);

#endif
