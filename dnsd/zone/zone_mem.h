/* SPDX-License-Identifier: BSD-3-Clause
 * zone_mem.h - where a frozen zone's bytes go, for benchmarks and tests
 * (issue #14): node structs, names, type arrays, blob structs, blob data,
 * relocs, hash tables, arena slack and per-part overhead, by kind of name.
 * Deterministic (sizes, not RSS); walks the whole zone, so never on the
 * query path. */
#ifndef DNSD_ZONE_MEM_H
#define DNSD_ZONE_MEM_H

#include <stddef.h>

#include "zone/zone.h"

/* The kinds of names a zone holds. */
enum zone_mem_kind {
	ZONE_MEM_ENT,     /* empty non-terminal: no records */
	ZONE_MEM_ADDRESS, /* A and/or AAAA only */
	ZONE_MEM_SRV,     /* SRV only */
	ZONE_MEM_PTR,     /* PTR only (reverse zones) */
	ZONE_MEM_OTHER,   /* anything else (the apex, CNAMEs, mixed) */
	ZONE_MEM_KINDS
};

struct zone_mem_kind_bytes {
	size_t names;
	size_t node;         /* struct zone_node */
	size_t name;         /* owner names */
	size_t types;        /* the types arrays */
	size_t blob_structs; /* struct zone_blob, each counted once */
	size_t blob_data;    /* rendered wire bytes, each distinct array once */
	size_t relocs;       /* reloc arrays, each distinct array once */
};

struct zone_mem {
	struct zone_mem_kind_bytes kind[ZONE_MEM_KINDS];
	size_t parts;          /* distinct parts */
	size_t part_structs;   /* struct zone_part */
	size_t table;          /* hash table slots */
	size_t table_slots;    /* their number */
	size_t arena_reserved; /* the parts' arena chunks */
	size_t arena_used;     /* ... of which handed out */
	size_t arena_chunks;
	size_t zone_level; /* struct zone and its arena (the negative answers) */
	size_t blob_refs;  /* blob pointers followed (types, other, any, referral) */
	size_t blobs;      /* distinct blob structs among them */
};

/* Adds z's bytes to *m (zero it first to measure one zone). Allocates a
 * scratch set to count shared blobs once; returns 0 or DNSD_ENOMEM. */
int zone_mem_measure(const struct zone *z, struct zone_mem *m);

/* The bytes the zone takes in all: parts' arenas, part structs and the
 * zone level (everything else in *m lies inside the arenas). */
size_t zone_mem_total(const struct zone_mem *m);

#endif
