/* SPDX-License-Identifier: BSD-3-Clause
 * fileindex.c - (owner, record) -> zone file line. */
#include "zone/fileindex.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/wire.h"
#include "util/array.h"
#include "util/err.h"

struct fileindex_entry {
	uint32_t owner_hash;
	uint32_t rr_hash; /* type and rdata */
	uint32_t line;
};

struct zone_fileindex {
	char *path;
	struct fileindex_entry *entries;
	size_t count, cap;
	bool is_sealed;
};

struct zone_fileindex *zone_fileindex_new(const char *path)
{
	struct zone_fileindex *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->path = strdup(path ? path : "");
	if (!x->path) {
		free(x);
		return NULL;
	}
	return x;
}

void zone_fileindex_free(struct zone_fileindex *x)
{
	if (!x)
		return;
	free(x->entries);
	free(x->path);
	free(x);
}

static uint32_t fnv(uint32_t h, const uint8_t *p, size_t len, bool is_folded)
{
	for (size_t i = 0; i < len; i++) {
		h ^= is_folded ? dname_lower_table[p[i]] : p[i];
		h *= 16777619u;
	}
	return h;
}

/* Types whose rdata carries domain names (RFC 1035, 2782, 6672): folded,
 * since a rendered answer may spell them in the case of another occurrence
 * (compression). Their other bytes (preferences, ports) fold too: at worst
 * two records share a hash. */
static bool has_names(uint16_t type)
{
	switch (type) {
	case WIRE_TYPE_NS:
	case WIRE_TYPE_CNAME:
	case WIRE_TYPE_SOA:
	case WIRE_TYPE_PTR:
	case WIRE_TYPE_MX:
	case WIRE_TYPE_SRV:
	case WIRE_TYPE_DNAME: return true;
	default: return false;
	}
}

static void hashes(const uint8_t *owner, uint16_t type, const uint8_t *rdata, uint16_t rdlen, uint32_t *oh,
		   uint32_t *rh)
{
	*oh = fnv(2166136261u, owner, dname_len(owner), true);
	uint8_t t[2] = { (uint8_t)(type >> 8), (uint8_t)type };
	uint32_t h = fnv(2166136261u, t, 2, false);
	if (type == WIRE_TYPE_SOA && rdlen >= 20) {
		/* the serial is the publisher's to bump: the SOA is the file's whatever it says */
		h = fnv(h, rdata, rdlen - 20u, true);
		*rh = fnv(h, rdata + rdlen - 16, 16, false);
		return;
	}
	*rh = fnv(h, rdata, rdlen, has_names(type));
}

int zone_fileindex_add(struct zone_fileindex *x, const uint8_t *owner, uint16_t type, const uint8_t *rdata,
		       uint16_t rdlen, uint32_t line)
{
	if (ARRAY_RESERVE_ONE(x->entries, &x->cap, x->count, 256) != 0)
		return DNSD_ENOMEM;
	struct fileindex_entry *e = &x->entries[x->count++];
	hashes(owner, type, rdata, rdlen, &e->owner_hash, &e->rr_hash);
	e->line = line;
	x->is_sealed = false;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct fileindex_entry *x = a, *y = b;
	if (x->owner_hash != y->owner_hash)
		return x->owner_hash < y->owner_hash ? -1 : 1;
	if (x->rr_hash != y->rr_hash)
		return x->rr_hash < y->rr_hash ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

void zone_fileindex_seal(struct zone_fileindex *x)
{
	qsort(x->entries, x->count, sizeof(*x->entries), entry_cmp);
	if (x->count < x->cap) {
		/* give back what the doubling left over */
		struct fileindex_entry *n = realloc(x->entries, (x->count ? x->count : 1) * sizeof(*n));
		if (n) {
			x->entries = n;
			x->cap = x->count ? x->count : 1;
		}
	}
	x->is_sealed = true;
}

size_t zone_fileindex_find(const struct zone_fileindex *x, const uint8_t *owner, uint16_t type,
			   const uint8_t *rdata, uint16_t rdlen, uint32_t *lines, size_t cap)
{
	if (!x || !x->is_sealed)
		return 0;
	uint32_t oh, rh;
	hashes(owner, type, rdata, rdlen, &oh, &rh);
	/* the first entry not less than (oh, rh) */
	size_t lo = 0, hi = x->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct fileindex_entry *e = &x->entries[mid];
		if (e->owner_hash < oh || (e->owner_hash == oh && e->rr_hash < rh))
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t n = 0;
	for (size_t i = lo; i < x->count && x->entries[i].owner_hash == oh && x->entries[i].rr_hash == rh;
	     i++) {
		if (n < cap)
			lines[n] = x->entries[i].line;
		n++;
	}
	return n;
}

const char *zone_fileindex_path(const struct zone_fileindex *x) { return x->path; }

size_t zone_fileindex_bytes(const struct zone_fileindex *x)
{
	return x ? sizeof(*x) + x->cap * sizeof(*x->entries) + strlen(x->path) + 1 : 0;
}
