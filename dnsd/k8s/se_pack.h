/* SPDX-License-Identifier: BSD-3-Clause
 * se_pack.h - a held ServiceEntry in one block: the struct, its arrays and
 * its strings copied into a single allocation from a slab (util/slab.h), so
 * that a source holding 100,000 entries keeps one object per entry, outside
 * the malloc heap the LIST's short-lived JSON goes through, instead of a
 * dozen malloc pieces each. What reconciliation, the catalog and /names read
 * (namespace/name, resourceVersion, generation, hosts, verdicts, addresses,
 * ports, exportTo, drops) is all there; the JSON and its parse tree are not.
 *
 * A packed entry is read like any other struct serviceentry. Only its
 * verdicts change after packing (se_policy_judge writes host_is_served in
 * place and replaces verdict_drops, which stays a malloc'd array of its own).
 * No locks: the slab's owner serialises calls on it. */
#ifndef DNSD_SE_PACK_H
#define DNSD_SE_PACK_H

#include <stdbool.h>
#include <stddef.h>

#include "k8s/serviceentry.h"
#include "util/slab.h"

/* The bytes se would take packed. */
size_t se_pack_size(const struct serviceentry *se);
/* A packed copy of se from s; on success se is freed (its verdict drops move
 * to the copy) and the copy returned, to be freed with se_pack_free(). NULL
 * when out of memory, se untouched. se must not be packed already. */
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
 * generation aside.) */
bool se_pack_same_records(const struct serviceentry *a, const struct serviceentry *b);
/* Frees se, packed (from s) or not (serviceentry_free()); accepts NULL. */
void se_pack_free(struct slab *s, struct serviceentry *se);

#endif
