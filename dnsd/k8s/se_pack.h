/* SPDX-License-Identifier: BSD-3-Clause
 * se_pack.h - a held ServiceEntry in one block from a slab (util/slab.h), in
 * a compact layout of its own (se_pack.c: 16-bit offsets instead of
 * pointers, addresses in 4 or 16 bytes, a known port protocol as a code), so
 * that a source holding 100,000 entries keeps one small object per entry,
 * outside the malloc heap the LIST's short-lived JSON goes through. What
 * reconciliation, the catalog and /names read (namespace/name,
 * resourceVersion, generation, hosts, verdicts, addresses, ports, exportTo,
 * drops) is all there; the JSON and its parse tree are not.
 *
 * A held entry is packed or, when it could not be packed, as parsed: read
 * either through the accessors below (serviceentry.h says which fields both
 * forms have). Only its verdicts change after packing (se_policy_judge
 * writes them with se_host_set_served() and replaces verdict_drops, which
 * stays a malloc'd array of its own). No locks: the slab's owner
 * serialises calls on it. */
#ifndef DNSD_SE_PACK_H
#define DNSD_SE_PACK_H

#include <stdbool.h>
#include <stddef.h>

#include "k8s/serviceentry.h"
#include "util/slab.h"

/* The bytes se (as parsed) would take packed; 0 when it cannot be packed:
 * its hosts, addresses and strings over 64 KiB together, or an address of
 * the 65,536th host (such an entry is held as parsed). */
size_t se_pack_size(const struct serviceentry *se);
/* A packed copy of se from s; on success se is freed (its verdict drops move
 * to the copy) and the copy returned, to be freed with se_pack_free(). NULL
 * when out of memory or se cannot be packed (se_pack_size() 0), se
 * untouched. se must not be packed already. */
struct serviceentry *se_pack(struct slab *s, struct serviceentry *se);
/* A copy of the packed se in a new block of s, for compaction (slab.h
 * slab_evacuate_begin()): the verdict drops' array moves to it. The caller
 * repoints every reference to se (the reflector's object, the registry's
 * item), then frees se with se_pack_free_moved(). NULL when out of memory,
 * se untouched. */
struct serviceentry *se_pack_move(struct slab *s, const struct serviceentry *se);
void se_pack_free_moved(struct slab *s, struct serviceentry *se);
/* Would a and b put the same records into every zone: the same hosts with
 * the same verdicts, addresses and ports? (Drops, resourceVersion and
 * generation aside.) Either form. */
bool se_pack_same_records(const struct serviceentry *a, const struct serviceentry *b);
/* Frees se, packed (from s) or not (serviceentry_free()); accepts NULL. */
void se_pack_free(struct slab *s, struct serviceentry *se);

/* ---------- reading an entry of either form ----------
 * Strings are borrowed from the entry: valid while it is held (a
 * compaction moves it: se_pack_move()). Indexes below the matching count. */
const char *se_namespace(const struct serviceentry *se);
const char *se_name(const struct serviceentry *se);
/* NULL when absent. */
const char *se_resource_version(const struct serviceentry *se);
const char *se_host(const struct serviceentry *se, size_t i);
/* The host's index in spec.hosts, for field paths. */
unsigned se_host_field(const struct serviceentry *se, size_t i);
bool se_host_is_served(const struct serviceentry *se, size_t i);
void se_host_set_served(struct serviceentry *se, size_t i, bool is_served);
struct se_addr se_address(const struct serviceentry *se, size_t i);
/* The port; its name and protocol are borrowed like the strings above. */
struct se_port se_port(const struct serviceentry *se, size_t i);
const char *se_export_to(const struct serviceentry *se, size_t i);
/* The parser's drops (items borrowed). */
struct se_drops se_parse_drops(const struct serviceentry *se);

#endif
