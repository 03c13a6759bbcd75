/* SPDX-License-Identifier: BSD-3-Clause
 * se_registry.h - every host named by a held ServiceEntry of any Kubernetes
 * source, with the entries that name it: how dnsd notices conflicts (one
 * host published by several owners) and how /names finds, for a name, the
 * entries that made or dropped its records.
 *
 * Owners are (cluster, namespace) pairs; a host served by two or more is a
 * conflict. It is served as the union all the same, but logged once when an
 * owner joins (not again while the set of owners stays) and counted.
 *
 * The registry borrows: each registered item's entry and cluster name must
 * stay valid until the item is replaced or removed, and the entry must keep
 * describing the same namespace, name and hosts (the registry keeps only
 * the entry and reads the rest through its describe function). Thread-
 * safe: one mutex of its own, taken inside a source's lock (never the other
 * way round); visitors run with it held and must not call back in. */
#ifndef DNSD_SE_REGISTRY_H
#define DNSD_SE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct se_registry;

/* Host i (below hosts_count) of entry: lower case, no trailing dot; and
 * whether it is published (not dropped). */
typedef const char *se_registry_host_fn(const void *entry, size_t i);
typedef bool se_registry_served_fn(const void *entry, size_t i);

/* What one entry registers: every host it names, served or not. */
struct se_registry_item {
	unsigned cluster;         /* the source's index */
	const char *cluster_name; /* for logs; must outlive the item */
	const void *entry;        /* the caller's object, passed back to visitors */
	const char *namespace_;
	const char *name;
	se_registry_host_fn *host;
	se_registry_served_fn *is_served;
	size_t hosts_count;
};

/* Fills out's namespace_, name, host, is_served and hosts_count from
 * entry (the registry sets cluster, cluster_name and entry). Called with
 * the registry's lock held, for visits and conflict checks. */
typedef void se_registry_describe_fn(const void *entry, struct se_registry_item *out);
/* The describe function of entries that are struct serviceentry. */
void se_registry_describe_serviceentry(const void *entry, struct se_registry_item *out);

struct se_registry *se_registry_new(se_registry_describe_fn *describe);
void se_registry_free(struct se_registry *r);

/* old leaves, new arrives (either may be NULL; both describe the same
 * object when both are given). Logs a conflict for each host of new that
 * gains an owner it did not have while another owner serves it too. Returns
 * 0, DNSD_ENOMEM, or DNSD_EINVAL for a new item of over 65,536 hosts or a
 * cluster index over 65,535 (the registry is then as before). */
int se_registry_update(struct se_registry *r, const struct se_registry_item *old_item,
		       const struct se_registry_item *new_item);

/* The registered entry old_entry moved to item->entry (the same object
 * packed elsewhere, k8s_objects.c's compaction): it is read from there. No conflict changes, nothing logged; its
 * place in the visiting order stays. */
void se_registry_move(struct se_registry *r, const void *old_entry, const struct se_registry_item *item);

typedef void se_registry_visit_fn(void *ctx, const struct se_registry_item *item, size_t host_index);

/* Calls fn for every item that names host (lower case, no trailing dot),
 * with the index of host in it, in registration order. */
void se_registry_visit_host(struct se_registry *r, const char *host, se_registry_visit_fn *fn, void *ctx);
/* Calls fn once per registered item (host_index 0). */
void se_registry_visit_all(struct se_registry *r, se_registry_visit_fn *fn, void *ctx);

/* Bytes its nodes and tables take (an entry with one host: 24 and its
 * share of the hash table). */
size_t se_registry_bytes(struct se_registry *r);
/* Conflicts logged since the start, and hosts in conflict now. */
uint64_t se_registry_conflicts_total(struct se_registry *r);
size_t se_registry_conflicting_hosts(struct se_registry *r);

#endif
