/* SPDX-License-Identifier: BSD-3-Clause
 * zone_build.h - the mutable side of a zone. Sources (zone files, Kubernetes)
 * add and remove resource records; zone_build_freeze() checks the data and
 * renders every answer (each owner and type, referrals, negative answers) to
 * wire format in a new immutable struct zone. The builder stays usable, so a
 * watch stream can keep applying events to it and freeze again.
 * One thread at a time may use a builder; the zones it returns are shared.
 * zone_build.c keeps the records; zone_freeze.c and zone_render.c freeze. */
#ifndef DNSD_ZONE_BUILD_H
#define DNSD_ZONE_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zone/zone.h"

struct zone_build;

/* A builder for the zone at apex (wire form, any case); default_ttl_s is the
 * TTL of records added without one. NULL when out of memory. */
struct zone_build *zone_build_new(const uint8_t *apex, uint32_t default_ttl_s);
/* Frees the builder and its records; accepts NULL. Zones it froze live on. */
void zone_build_free(struct zone_build *b);
/* Gives back what a large transient left (issue #14): the slab's wholly
 * free chunks, and each part's name table beyond the size a fresh builder
 * holding the same names would have (an empty one wholly). Called once
 * changes settle, not between them. Returns the bytes given back. */
size_t zone_build_release(struct zone_build *b);
/* Adds the bytes in use (the slab's, and the name tables') and mapped (the
 * slab's chunks, and the tables) to *in_use and *mapped. */
void zone_build_memory(const struct zone_build *b, size_t *in_use, size_t *mapped);

/* Adds one record (class IN). owner must be at or below the apex; rdata is
 * uncompressed wire data and is validated for the types whose layout we know.
 * Adding a record that is already present counts a second contribution: it
 * stays until removed as many times (several ServiceEntries may give the same
 * address). Returns 0, DNSD_EINVAL (out of zone, bad rdata) or DNSD_ENOMEM. */
int zone_build_add(struct zone_build *b, const uint8_t *owner, uint16_t type, uint32_t ttl_s,
		   const uint8_t *rdata, uint16_t rdlen);
/* Removes one contribution of a record; DNSD_ENOENT if it is not there. */
int zone_build_remove(struct zone_build *b, const uint8_t *owner, uint16_t type, const uint8_t *rdata,
		      uint16_t rdlen);

/* Would zone_build_add() take the record (owner in the zone, rdata valid)?
 * 0 or DNSD_EINVAL; adds nothing. */
int zone_build_check(const struct zone_build *b, const uint8_t *owner, uint16_t type, const uint8_t *rdata,
		     uint16_t rdlen);

/* Records the builder does not keep (issue #14: a Kubernetes feed's, held
 * by their sources, feed_items.h): while zone_build_freeze() runs it calls
 * fn(ctx, b, part, true) for each part whose records it is about to read,
 * which adds them with zone_build_add(), and fn(ctx, b, part, false) once it
 * has rendered them, which removes the same records again. Between freezes
 * the builder holds its own records only; the caller says which parts
 * changed with zone_build_mark_dirty(). */
typedef void zone_build_fill_fn(void *ctx, struct zone_build *b, unsigned part, bool is_add);
void zone_build_set_fill(struct zone_build *b, zone_build_fill_fn *fn, void *ctx);
/* Part (zone.h's index) changed: the next freeze renders it again. */
void zone_build_mark_dirty(struct zone_build *b, unsigned part);

/* Does the apex have an SOA, an NS RRset (from a zone file, say)? A zone
 * without them gets its apex from zone_apex.h. */
bool zone_build_has_soa(const struct zone_build *b);
bool zone_build_has_apex_ns(const struct zone_build *b);
/* The SOA serial; set rewrites it (RFC 1982 arithmetic is the caller's job). */
uint32_t zone_build_serial(const struct zone_build *b);
void zone_build_set_serial(struct zone_build *b, uint32_t serial);
/* How many records of type the builder holds at owner (0: none), and how
 * many RRsets owner has in all. For loaders that report a rule broken at the
 * line that broke it; zone_build_freeze() checks the same rules again. */
size_t zone_build_rrset_size(const struct zone_build *b, const uint8_t *owner, uint16_t type);
size_t zone_build_rrset_count(const struct zone_build *b, const uint8_t *owner);
/* The apex, lower-case wire form; borrowed for the builder's lifetime. */
const uint8_t *zone_build_apex(const struct zone_build *b);

/* Checks the rules (one SOA, at the apex; NS at the apex; no CNAME beside
 * other data, no CNAME at the apex) and renders a new zone with one reference
 * held by the caller (drop it with zone_unref()). On failure returns NULL and
 * writes the reason into err. */
struct zone *zone_build_freeze(struct zone_build *b, char *err, size_t errlen);

/* A zone that answers SERVFAIL for every name: used until the first
 * Kubernetes sync of a zone has completed. */
struct zone *zone_new_pending(const uint8_t *apex);

#endif
