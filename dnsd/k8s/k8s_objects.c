/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_objects.c - the entries one reflector holds, by namespace/name, and
 * how a change to them reaches the registry and the catalog: upsert, remove,
 * the verdicts of the source's policy and the drops they log. Called with
 * the source's lock held; no requests, no threads of its own. */
#include "k8s/k8s_watch.h"
#include "k8s/k8s_watch_impl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"
#include "k8s/json.h"
#include "k8s/k8s_client.h"
#include "k8s/k8s_state.h"
#include "k8s/se_policy.h"
#include "k8s/se_pack.h"
#include "k8s/se_registry.h"
#include "k8s/se_zone.h"
#include "k8s/serviceentry.h"

/* ---------- the entries one reflector holds, by namespace/name ---------- */

/* issue #14: 80 bytes from malloc each, with the key copied, before; then 40 */
_Static_assert(sizeof(struct object) == 32, "struct object is 32 bytes on LP64");

uint32_t objmap_hash(const char *namespace_, const char *name)
{
	uint32_t h = hash_fnv1a_update(HASH_FNV1A_INIT, namespace_, strlen(namespace_));
	h = hash_fnv1a_update(h, "/", 1);
	return hash_fnv1a_update(h, name, strlen(name)) & ((1u << OBJMAP_HASH_BITS) - 1);
}

struct object *objmap_get(const struct objmap *m, const char *namespace_, const char *name, uint32_t hash)
{
	if (!m->bucket_count)
		return NULL;
	for (struct object *o = m->buckets[hash & (m->bucket_count - 1)]; o; o = o->next)
		if (o->hash == hash && strcmp(se_name(o->se), name) == 0 &&
		    strcmp(se_namespace(o->se), namespace_) == 0)
			return o;
	return NULL;
}

static int objmap_grow(struct objmap *m)
{
	size_t n = m->bucket_count ? m->bucket_count * 2 : 1024;
	struct object **b = calloc(n, sizeof(*b));
	if (!b)
		return DNSD_ENOMEM;
	for (size_t i = 0; i < m->bucket_count; i++) {
		struct object *o = m->buckets[i];
		while (o) {
			struct object *next = o->next;
			o->next = b[o->hash & (n - 1)];
			b[o->hash & (n - 1)] = o;
			o = next;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->bucket_count = n;
	return 0;
}

struct object *objmap_put(struct k8s_watch *w, struct objmap *m, struct serviceentry *se)
{
	/* up to two objects a bucket: 0.5 MB of buckets for 100,000 (issue #14) */
	if (m->count + 1 > 2 * m->bucket_count && objmap_grow(m) != 0)
		return NULL;
	size_t size = w->is_keeping_state ? sizeof(struct object) : OBJECT_SIZE_WITHOUT_STATE;
	struct object *o = slab_alloc(&w->object_slab, size);
	if (!o)
		return NULL;
	memset(o, 0, size);
	o->se = se;
	o->hash = objmap_hash(se_namespace(se), se_name(se));
	o->has_state = w->is_keeping_state;
	size_t i = o->hash & (m->bucket_count - 1);
	o->next = m->buckets[i];
	m->buckets[i] = o;
	m->count++;
	return o;
}

void objmap_unlink(struct objmap *m, struct object *victim)
{
	struct object **p = &m->buckets[victim->hash & (m->bucket_count - 1)];
	while (*p != victim)
		p = &(*p)->next;
	*p = victim->next;
	m->count--;
}

void object_free(struct k8s_watch *w, struct object *o)
{
	k8s_watch_se_free(w, o->se);
	if (o->has_state)
		free(o->state_line);
	slab_free(&w->object_slab, o, o->has_state ? sizeof(*o) : OBJECT_SIZE_WITHOUT_STATE);
}

void objmap_clear(struct k8s_watch *w, struct objmap *m)
{
	for (size_t i = 0; i < m->bucket_count; i++) {
		struct object *o = m->buckets[i];
		while (o) {
			struct object *next = o->next;
			object_free(w, o);
			o = next;
		}
	}
	free(m->buckets);
	memset(m, 0, sizeof(*m));
}

struct serviceentry *k8s_watch_pack(struct k8s_watch *w, struct serviceentry *se)
{
	if (!se || se->packed_size)
		return se;
	pthread_mutex_lock(&w->pack_lock);
	struct serviceentry *packed = se_pack(&w->pack, se);
	pthread_mutex_unlock(&w->pack_lock);
	return packed ? packed : se; /* out of memory: held as parsed */
}

void k8s_watch_se_free(struct k8s_watch *w, struct serviceentry *se)
{
	if (!se || !se->packed_size) {
		serviceentry_free(se);
		return;
	}
	pthread_mutex_lock(&w->pack_lock);
	se_pack_free(&w->pack, se);
	/* the last entry gone (a delete of everything, a relist to nothing):
	 * its chunks go back to the system, not to the free lists */
	if (w->pack.in_use == 0)
		slab_clear(&w->pack);
	else if (slab_release_due(&w->pack)) /* a burst of deletes: its wholly free chunks go */
		slab_release(&w->pack);
	pthread_mutex_unlock(&w->pack_lock);
}

void k8s_watch_compact_locked(struct k8s_watch *w)
{
	pthread_mutex_lock(&w->pack_lock);
	if (w->lists_packing || !slab_compact_due(&w->pack)) {
		pthread_mutex_unlock(&w->pack_lock);
		return;
	}
	slab_evacuate_begin(&w->pack);
	for (size_t i = 0; i < w->reflector_count; i++) {
		struct objmap *m = &w->reflectors[i].objects;
		for (size_t b = 0; b < m->bucket_count; b++)
			for (struct object *o = m->buckets[b]; o; o = o->next) {
				struct serviceentry *se = o->se;
				if (!se->packed_size || !slab_is_evacuating(&w->pack, se, se->packed_size))
					continue;
				struct serviceentry *moved = se_pack_move(&w->pack, se);
				if (!moved)
					continue; /* out of memory: its chunk stays */
				if (w->registry) {
					struct se_registry_item it;
					k8s_watch_registry_item(w, moved, &it);
					se_registry_move(w->registry, se, &it);
				}
				/* the catalog reads entries when it renders their part */
				if (w->sink)
					catalog_move(w->sink, w->cluster, se, moved);
				o->se = moved;
				se_pack_free_moved(&w->pack, se);
			}
	}
	slab_evacuate_end(&w->pack);
	pthread_mutex_unlock(&w->pack_lock);
	k8s_watch_count(&w->stats.pack_compactions);
}

/* ---------- changes: verdicts, drops, registry, catalog ---------- */

void k8s_watch_count_drop(struct k8s_watch *w, enum se_drop_reason r)
{
	if ((unsigned)r < SE_DROP_REASONS)
		k8s_watch_count(&w->stats.dropped[r]);
}

bool k8s_watch_drops_have(const struct se_drops *d, const struct se_drop *x)
{
	for (size_t i = 0; d && i < d->count; i++) {
		const struct se_drop *y = &d->items[i];
		if (y->reason == x->reason && strcmp(y->field, x->field) == 0 &&
		    strcmp(y->value, x->value) == 0 && strcmp(y->host, x->host) == 0)
			return true;
	}
	return false;
}

/* Logs (warn) and counts what se drops: everything for a new object or a
 * new generation; for another version of the same generation (a status
 * update) only what old did not drop already. Once per generation, so a
 * relist or a status write does not repeat it. */
static void k8s_watch_report_drops(struct k8s_watch *w, const struct serviceentry *old_se,
				   const struct serviceentry *se)
{
	bool is_same_generation = old_se && old_se->generation == se->generation && se->generation != 0;
	struct se_drops parsed = se_parse_drops(se),
			old_parsed = old_se ? se_parse_drops(old_se) : (struct se_drops){ 0 };
	const struct se_drops *lists[2] = { &parsed, &se->verdict_drops };
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->count; i++) {
			const struct se_drop *x = &lists[l]->items[i];
			if (is_same_generation && (k8s_watch_drops_have(&old_parsed, x) ||
						   k8s_watch_drops_have(&old_se->verdict_drops, x)))
				continue;
			char line[SE_DROP_FIELD_MAX + SE_DROP_VALUE_MAX + SE_DROP_MESSAGE_MAX + 32];
			se_drop_format(x, line, sizeof(line));
			log_warn("kubernetes %s: ServiceEntry %s/%s (generation %lld): %s; skipped", w->name,
				 se_namespace(se), se_name(se), (long long)se->generation, line);
			k8s_watch_count_drop(w, x->reason);
			if (x->reason == SE_DROP_MALFORMED)
				k8s_watch_count(&w->stats.skipped);
		}
	}
}

void k8s_watch_registry_item(const struct k8s_watch *w, const struct serviceentry *se,
			     struct se_registry_item *it)
{
	*it = (struct se_registry_item){ .cluster = w->cluster, .cluster_name = w->name, .entry = se };
	se_registry_describe_serviceentry(se, it);
}

/* Registers the change and sends it to the catalog; records the catalog
 * refused (a host beside a zone file's CNAME, say) are reported like the
 * parser's drops. */
static void k8s_watch_register_locked(struct k8s_watch *w, const struct serviceentry *old_se,
				      const struct serviceentry *new_se)
{
	if (!w->registry)
		return;
	struct se_registry_item a, b;
	if (old_se)
		k8s_watch_registry_item(w, old_se, &a);
	if (new_se)
		k8s_watch_registry_item(w, new_se, &b);
	if (se_registry_update(w->registry, old_se ? &a : NULL, new_se ? &b : NULL) != 0)
		log_warn("kubernetes %s: out of memory registering hosts for /names", w->name);
}

static void k8s_watch_apply_locked(struct k8s_watch *w, const struct serviceentry *old_se,
				   const struct serviceentry *new_se)
{
	k8s_watch_register_locked(w, old_se, new_se);
	size_t refused = catalog_apply(w->sink, w->cluster, se_zone_records, old_se, new_se);
	if (refused && new_se) {
		log_warn("kubernetes %s: ServiceEntry %s/%s (generation %lld): records \"%zu\": "
			 "invalid-record: the zone "
			 "refused them (beside a CNAME, or invalid data); skipped",
			 w->name, se_namespace(new_se), se_name(new_se), (long long)new_se->generation,
			 refused);
		k8s_watch_count_drop(w, SE_DROP_INVALID_RECORD);
	}
}

/* The zones the sink lets this source feed, for the verdicts. */
void k8s_watch_load_apexes_locked(struct k8s_watch *w)
{
	const uint8_t *list[WATCH_ZONES_MAX];
	size_t n = catalog_cluster_zones(w->sink, w->cluster, list, WATCH_ZONES_MAX);
	for (size_t i = 0; i < n; i++) {
		memcpy(w->apexes[i], list[i], dname_len(list[i]));
		w->apex_ptrs[i] = w->apexes[i];
	}
	w->apex_count = n;
}

void k8s_watch_judge_locked(struct k8s_watch *w, struct serviceentry *se)
{
	if (se_policy_judge(&w->policy, se, w->apex_ptrs, w->apex_count) != 0)
		log_warn("kubernetes %s: ServiceEntry %s/%s: out of memory judging it", w->name,
			 se_namespace(se), se_name(se));
}

/* ADDED or MODIFIED: replace what we hold under the entry's key. Takes
 * ownership of se and of line (its state line, may be NULL). Returns the
 * object, or NULL when out of memory. */
struct object *k8s_watch_upsert_locked(struct reflector *r, struct serviceentry *se, char *line,
				       size_t line_len)
{
	struct k8s_watch *w = r->w;
	struct object *o = objmap_get(&r->objects, se_namespace(se), se_name(se),
				      objmap_hash(se_namespace(se), se_name(se)));
	k8s_watch_judge_locked(w, se);
	k8s_watch_report_drops(w, o ? o->se : NULL, se);
	se = k8s_watch_pack(w, se);
	if (o) {
		if (se_pack_same_records(o->se, se)) {
			/* a status write, a new resourceVersion of the same records:
			 * the catalog has nothing to change or publish, only the
			 * entry to read from now on */
			k8s_watch_register_locked(w, o->se, se);
			if (w->sink)
				catalog_move(w->sink, w->cluster, o->se, se);
		} else {
			k8s_watch_apply_locked(w, o->se, se);
		}
		k8s_watch_se_free(w, o->se);
		o->se = se;
		object_set_state_line(o, line, line_len);
		o->is_from_state = false;
		o->is_seen = true;
		k8s_watch_compact_locked(w);
		return o;
	}
	k8s_watch_apply_locked(w, NULL, se);
	o = objmap_put(w, &r->objects, se);
	if (!o) {
		k8s_watch_apply_locked(w, se, NULL);
		k8s_watch_se_free(w, se);
		free(line);
		return NULL;
	}
	object_set_state_line(o, line, line_len);
	o->is_seen = true;
	atomic_fetch_add(&w->stats.objects, 1);
	return o;
}

/* Withdraws o's records from the catalog and forgets o. */
void k8s_watch_remove_locked(struct reflector *r, struct object *o)
{
	struct k8s_watch *w = r->w;
	k8s_watch_apply_locked(w, o->se, NULL);
	objmap_unlink(&r->objects, o);
	object_free(w, o);
	atomic_fetch_sub(&w->stats.objects, 1);
	k8s_watch_compact_locked(w);
}

void k8s_watch_delete_locked(struct reflector *r, const char *ns, const char *name)
{
	struct object *o = objmap_get(&r->objects, ns, name, objmap_hash(ns, name));
	if (o)
		k8s_watch_remove_locked(r, o);
}
