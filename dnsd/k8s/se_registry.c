/* SPDX-License-Identifier: BSD-3-Clause
 * se_registry.c - host -> the held ServiceEntries naming it, across sources.
 *
 * A chained hash table of (host, entry) nodes, one per host of an entry;
 * a node keeps only the entry, the host's index and the cluster's index
 * (the cluster's name is in a table by index): the rest (namespace, name,
 * hosts, verdicts) is read from the entry when needed (the describe
 * function). Nodes come from the registry's own slab (util/slab.h: 24 bytes
 * each, no malloc header, and not scattered among the JSON the source
 * threads parse). Hosts with
 * thousands of owners are not a case worth optimising: owner sets are
 * computed by walking one chain. */
#include "k8s/se_registry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "k8s/se_pack.h"
#include "k8s/serviceentry.h"
#include "util/array.h"
#include "util/err.h"
#include "util/log.h"
#include "util/slab.h"

struct reg_node {
	struct reg_node *next;
	const void *entry;
	uint32_t hash;
	uint16_t host_index; /* its host: the entry's host number host_index */
	uint16_t cluster;
};

_Static_assert(sizeof(struct reg_node) == 24, "a registry node is 24 bytes on LP64");

struct se_registry {
	se_registry_describe_fn *describe;
	pthread_mutex_t lock;
	struct slab slab;           /* nodes */
	const char **cluster_names; /* by cluster index; borrowed */
	size_t cluster_names_count, cluster_names_cap;
	struct reg_node **buckets;
	size_t bucket_count; /* power of two */
	size_t node_count;
	uint64_t conflicts_total;
	size_t conflicting_hosts;
};

#define OWNERS_MAX 16 /* owners listed in a conflict's log line */

static uint32_t host_hash(const char *host) { return dname_hash((const uint8_t *)host, strlen(host)); }

static const char *serviceentry_host(const void *entry, size_t i) { return se_host(entry, i); }

static bool serviceentry_served(const void *entry, size_t i) { return se_host_is_served(entry, i); }

void se_registry_describe_serviceentry(const void *entry, struct se_registry_item *out)
{
	const struct serviceentry *se = entry;
	out->namespace_ = se_namespace(se);
	out->name = se_name(se);
	out->host = serviceentry_host;
	out->is_served = serviceentry_served;
	out->hosts_count = se->hosts_count;
}

/* The whole item of node x, read from its entry. */
static void item_of(const struct se_registry *r, const struct reg_node *x, struct se_registry_item *out)
{
	*out = (struct se_registry_item){ .cluster = x->cluster,
					  .cluster_name = r->cluster_names[x->cluster],
					  .entry = x->entry };
	r->describe(x->entry, out);
}

struct se_registry *se_registry_new(se_registry_describe_fn *describe)
{
	struct se_registry *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->describe = describe;
	r->bucket_count = 1024;
	r->buckets = calloc(r->bucket_count, sizeof(*r->buckets));
	if (!r->buckets) {
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	slab_init(&r->slab);
	return r;
}

void se_registry_free(struct se_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->bucket_count; i++) {
		struct reg_node *n = r->buckets[i];
		while (n) {
			struct reg_node *next = n->next;
			slab_free(&r->slab, n, sizeof(*n));
			n = next;
		}
	}
	slab_clear(&r->slab);
	free(r->cluster_names);
	free(r->buckets);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void grow(struct se_registry *r)
{
	size_t n = r->bucket_count * 2;
	struct reg_node **b = calloc(n, sizeof(*b));
	if (!b)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < r->bucket_count; i++) {
		struct reg_node *x = r->buckets[i];
		while (x) {
			struct reg_node *next = x->next;
			x->next = b[x->hash & (n - 1)];
			b[x->hash & (n - 1)] = x;
			x = next;
		}
	}
	free(r->buckets);
	r->buckets = b;
	r->bucket_count = n;
}

static bool same_owner(const struct se_registry_item *a, const struct se_registry_item *b)
{
	return a->cluster == b->cluster && strcmp(a->namespace_, b->namespace_) == 0;
}

/* The distinct owners serving host now, the first cap of them in out.
 * Returns their number; past cap owners are no longer told apart, so the
 * number may be too high then (only logs and the gauge use it). */
static size_t owners_of(const struct se_registry *r, const char *host, uint32_t hash,
			struct se_registry_item *out, size_t cap)
{
	size_t n = 0;
	for (const struct reg_node *x = r->buckets[hash & (r->bucket_count - 1)]; x; x = x->next) {
		if (x->hash != hash)
			continue;
		struct se_registry_item it;
		item_of(r, x, &it);
		if (strcmp(it.host(it.entry, x->host_index), host) != 0 ||
		    !it.is_served(it.entry, x->host_index))
			continue;
		bool seen = false;
		for (size_t i = 0; i < n && i < cap && !seen; i++)
			seen = same_owner(&out[i], &it);
		if (seen)
			continue;
		if (n < cap)
			out[n] = it;
		n++;
	}
	return n;
}

static void unlink_item(struct se_registry *r, const struct se_registry_item *it)
{
	for (size_t h = 0; h < it->hosts_count; h++) {
		uint32_t hash = host_hash(it->host(it->entry, h));
		struct reg_node **p = &r->buckets[hash & (r->bucket_count - 1)];
		while (*p) {
			struct reg_node *x = *p;
			if (x->entry == it->entry && x->host_index == h) {
				*p = x->next;
				slab_free(&r->slab, x, sizeof(*x));
				r->node_count--;
				break;
			}
			p = &x->next;
		}
	}
}

static int link_item(struct se_registry *r, const struct se_registry_item *it)
{
	if (it->hosts_count == 0) /* nothing to find it by; a node would be its only owner */
		return 0;
	/* a ServiceEntry keeps at most 65,536 hosts (serviceentry.c); sources are few */
	if (it->hosts_count > UINT16_MAX + 1u || it->cluster > UINT16_MAX)
		return DNSD_EINVAL;
	while (r->cluster_names_count <= it->cluster) {
		if (ARRAY_RESERVE_ONE(r->cluster_names, &r->cluster_names_cap, r->cluster_names_count, 4) !=
		    0)
			return DNSD_ENOMEM;
		r->cluster_names[r->cluster_names_count++] = NULL;
	}
	r->cluster_names[it->cluster] = it->cluster_name;
	for (size_t h = 0; h < it->hosts_count; h++) {
		struct reg_node *x = slab_alloc(&r->slab, sizeof(*x));
		if (!x) {
			unlink_item(r, it);
			return DNSD_ENOMEM;
		}
		*x = (struct reg_node){ .hash = host_hash(it->host(it->entry, h)),
					.host_index = (uint16_t)h,
					.cluster = (uint16_t)it->cluster,
					.entry = it->entry };
		/* append: visits follow registration order within a chain */
		struct reg_node **p = &r->buckets[x->hash & (r->bucket_count - 1)];
		while (*p)
			p = &(*p)->next;
		*p = x;
		r->node_count++;
	}
	/* two nodes a bucket on average: chains stay short, and 100,000
	 * entries take 0.5 MB of buckets, not 1 MB (issue #14) */
	if (r->node_count > 2 * r->bucket_count)
		grow(r);
	return 0;
}

static void log_conflict(const char *host, const struct se_registry_item *owners, size_t n)
{
	char list[1024];
	size_t off = 0;
	for (size_t i = 0; i < n && i < OWNERS_MAX && off < sizeof(list); i++) {
		int w = snprintf(list + off, sizeof(list) - off, "%s%s %s/%s", i ? ", " : "",
				 owners[i].cluster_name, owners[i].namespace_, owners[i].name);
		if (w > 0)
			off += (size_t)w;
	}
	log_info("kubernetes: host %s is published by %zu owners (conflict; serving the union): %s%s", host,
		 n, list, n > OWNERS_MAX ? ", ..." : "");
}

/* The distinct hosts of old and new, in order. seen is scratch of
 * seen_cap (a power of two, over twice the hosts) slots: a hash set, so an
 * entry naming 65,536 hosts costs as many lookups, not their square. */
static size_t touched_hosts(const struct se_registry_item *old_item, const struct se_registry_item *new_item,
			    const char **out, const char **seen, size_t seen_cap)
{
	size_t n = 0;
	const struct se_registry_item *items[2] = { old_item, new_item };
	for (int k = 0; k < 2; k++) {
		for (size_t h = 0; items[k] && h < items[k]->hosts_count; h++) {
			const char *host = items[k]->host(items[k]->entry, h);
			size_t i = host_hash(host) & (seen_cap - 1);
			while (seen[i] && strcmp(seen[i], host) != 0)
				i = (i + 1) & (seen_cap - 1);
			if (seen[i])
				continue;
			seen[i] = host;
			out[n++] = host;
		}
	}
	return n;
}

int se_registry_update(struct se_registry *r, const struct se_registry_item *old_item,
		       const struct se_registry_item *new_item)
{
	size_t cap = (old_item ? old_item->hosts_count : 0) + (new_item ? new_item->hosts_count : 0);
	size_t seen_cap = 16;
	while (seen_cap < 2 * cap + 1)
		seen_cap *= 2;
	const char **hosts = calloc(cap ? cap : 1, sizeof(*hosts));
	const char **seen = calloc(seen_cap, sizeof(*seen));
	bool *was = calloc(cap ? cap : 1, sizeof(*was)), *had = calloc(cap ? cap : 1, sizeof(*had));
	if (!hosts || !seen || !was || !had) {
		free(hosts);
		free(seen);
		free(was);
		free(had);
		return DNSD_ENOMEM;
	}
	pthread_mutex_lock(&r->lock);
	size_t n = touched_hosts(old_item, new_item, hosts, seen, seen_cap);
	free(seen);
	for (size_t i = 0; i < n; i++) {
		/* before: in conflict? already served by new's owner (old's, the
		 * same object, included: an update is no newcomer)? */
		struct se_registry_item owners[OWNERS_MAX];
		size_t k = owners_of(r, hosts[i], host_hash(hosts[i]), owners, OWNERS_MAX);
		was[i] = k >= 2;
		for (size_t j = 0; new_item && j < k && j < OWNERS_MAX; j++)
			had[i] = had[i] || same_owner(&owners[j], new_item);
	}
	if (old_item)
		unlink_item(r, old_item);
	int rc = new_item ? link_item(r, new_item) : 0;
	if (rc != 0 && old_item)
		link_item(r, old_item); /* best effort: back as before */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct se_registry_item owners[OWNERS_MAX];
		size_t k = owners_of(r, hosts[i], host_hash(hosts[i]), owners, OWNERS_MAX);
		bool is = k >= 2;
		r->conflicting_hosts += is && !was[i];
		r->conflicting_hosts -= !is && was[i];
		bool is_joined = false; /* new's owner serves it now and did not before */
		for (size_t j = 0; new_item && !had[i] && j < k && j < OWNERS_MAX; j++)
			is_joined = is_joined || same_owner(&owners[j], new_item);
		if (is && is_joined) {
			log_conflict(hosts[i], owners, k);
			r->conflicts_total++;
		}
	}
	pthread_mutex_unlock(&r->lock);
	free(hosts);
	free(was);
	free(had);
	return rc;
}

void se_registry_move(struct se_registry *r, const void *old_entry, const struct se_registry_item *item)
{
	pthread_mutex_lock(&r->lock);
	/* each node is rewritten in place: the visiting order stays */
	for (size_t h = 0; h < item->hosts_count; h++) {
		uint32_t hash = host_hash(item->host(item->entry, h));
		for (struct reg_node *x = r->buckets[hash & (r->bucket_count - 1)]; x; x = x->next) {
			if (x->entry == old_entry && x->host_index == h) {
				x->entry = item->entry;
				break;
			}
		}
	}
	pthread_mutex_unlock(&r->lock);
}

void se_registry_visit_host(struct se_registry *r, const char *host, se_registry_visit_fn *fn, void *ctx)
{
	pthread_mutex_lock(&r->lock);
	uint32_t hash = host_hash(host);
	for (const struct reg_node *x = r->buckets[hash & (r->bucket_count - 1)]; x; x = x->next) {
		if (x->hash != hash)
			continue;
		struct se_registry_item it;
		item_of(r, x, &it);
		if (strcmp(it.host(it.entry, x->host_index), host) == 0)
			fn(ctx, &it, x->host_index);
	}
	pthread_mutex_unlock(&r->lock);
}

void se_registry_visit_all(struct se_registry *r, se_registry_visit_fn *fn, void *ctx)
{
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->bucket_count; i++)
		for (const struct reg_node *x = r->buckets[i]; x; x = x->next)
			if (x->host_index == 0) {
				struct se_registry_item it;
				item_of(r, x, &it);
				fn(ctx, &it, 0);
			}
	pthread_mutex_unlock(&r->lock);
}

size_t se_registry_bytes(struct se_registry *r)
{
	pthread_mutex_lock(&r->lock);
	size_t n = r->slab.in_use + r->bucket_count * sizeof(*r->buckets) +
		   r->cluster_names_cap * sizeof(*r->cluster_names);
	pthread_mutex_unlock(&r->lock);
	return n;
}

uint64_t se_registry_conflicts_total(struct se_registry *r)
{
	pthread_mutex_lock(&r->lock);
	uint64_t n = r->conflicts_total;
	pthread_mutex_unlock(&r->lock);
	return n;
}

size_t se_registry_conflicting_hosts(struct se_registry *r)
{
	pthread_mutex_lock(&r->lock);
	size_t n = r->conflicting_hosts;
	pthread_mutex_unlock(&r->lock);
	return n;
}
