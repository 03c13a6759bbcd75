/* SPDX-License-Identifier: BSD-3-Clause
 * catalog.c - view x zone routing: which zone serves each view, and the
 * feeds that Kubernetes objects change. Loads and freezes a configuration's
 * zones once (zonefile.c); runs no thread and publishes nothing itself
 * (publisher.c does both).
 *
 * A zone that no cluster feeds is frozen once and shared by every view. A
 * (view, zone) pair fed by clusters gets a feed (struct catalog_feed):
 * changes mark it dirty and wake the publisher. */
#include "zone/catalog.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "util/array.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/jsonw.h"
#include "zone/catalog_impl.h"
#include "zone/journal.h"
#include "zone/serial.h"
#include "zone/publisher.h"
#include "zone/zonefile.h"

/* Adds name (text) as a member of catalog zone b: "<id>.zones.<catalog> PTR
 * name." with a stable id, a hash of the name (RFC 9432 §4.2). */
static int catalog_add_member(struct zone_build *b, const uint8_t *apex, const char *name)
{
	uint8_t owner[DNAME_MAX_LEN], target[DNAME_MAX_LEN];
	int tl = dname_from_text(target, name);
	size_t al = dname_len(apex);
	if (tl < 0 || 1 + 16 + 6 + al > DNAME_MAX_LEN)
		return DNSD_EINVAL;
	uint64_t h = 14695981039346656037ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	owner[0] = 16;
	snprintf((char *)owner + 1, 17, "%016llx", (unsigned long long)h);
	memcpy(owner + 17, "\5zones", 6);
	memcpy(owner + 23, apex, al);
	return zone_build_add(b, owner, WIRE_TYPE_PTR, 0, target, (uint16_t)tl);
}

/* An RFC 9432 catalog zone: SOA and NS "invalid.", version 2, and a PTR for
 * each zone of the views the entry serves (every zone without views). */
static struct zone_build *catalog_build_catalog(const struct config *cfg, const struct config_zone *cz,
						const uint8_t *apex, uint32_t serial, char *err,
						size_t errlen)
{
	struct zone_build *b = zone_build_new(apex, 0);
	if (!b) {
		snprintf(err, errlen, "catalog zone %s: out of memory", cz->name);
		return NULL;
	}
	uint8_t rd[64];
	static const uint8_t invalid[] = "\7invalid";
	memcpy(rd, invalid, sizeof(invalid));
	memcpy(rd + sizeof(invalid), invalid, sizeof(invalid));
	uint32_t fields[5] = { serial, 3600, 600, 2147483646, 0 };
	for (int i = 0; i < 5; i++)
		wire_write_u32(rd + 2 * sizeof(invalid) + 4 * i, fields[i]);
	uint8_t version[DNAME_MAX_LEN];
	size_t al = dname_len(apex);
	memcpy(version, "\7version", 8);
	memcpy(version + 8, apex, al);
	int rc = zone_build_add(b, apex, WIRE_TYPE_SOA, 0, rd, (uint16_t)(2 * sizeof(invalid) + 20));
	if (rc == 0)
		rc = zone_build_add(b, apex, WIRE_TYPE_NS, 0, invalid, sizeof(invalid));
	if (rc == 0 && 8 + al <= DNAME_MAX_LEN)
		rc = zone_build_add(b, version, WIRE_TYPE_TXT, 0, (const uint8_t *)"\0012", 2);
	for (size_t i = 0; rc == 0 && i < cfg->zones_count; i++) {
		const struct config_zone *m = &cfg->zones[i];
		if (m->is_catalog)
			continue;
		bool is_member = cfg->views_count == 0;
		for (size_t v = 0; !is_member && v < cfg->views_count; v++) {
			if (!config_zone_in_view(cz, cfg->views[v].name))
				continue;
			for (size_t j = 0; j < cfg->views[v].zones_count; j++)
				if (strcmp(cfg->views[v].zones[j], m->name) == 0)
					is_member = true;
		}
		/* a name declared once per view is one member (the add counts twice) */
		if (is_member && catalog_add_member(b, apex, m->name) == DNSD_EINVAL)
			rc = DNSD_EINVAL;
	}
	if (rc != 0) {
		snprintf(err, errlen, "catalog zone %s: %s", cz->name, dnsd_strerror(rc));
		zone_build_free(b);
		return NULL;
	}
	return b;
}

/* The zone's apex NS set: its nameservers: entries, or one name per
 * address dnsd listens on; checked against the zone. */
static int catalog_apex_set(struct catalog_zone *z, const struct config *cfg, char *err, size_t errlen)
{
	const struct config_zone *cz = z->cz;
	if (cz->nameservers_count == 0) {
		z->is_apex_synthesized = true;
		size_t na = zone_apex_listen_addresses(cfg->listen, cfg->listen_count, z->apex_addrs,
						       ZONE_APEX_NS_MAX);
		z->apex_ns_count = zone_apex_default(z->apex, z->apex_addrs, na, z->apex_ns,
						     ZONE_APEX_NS_MAX);
		if (z->apex_ns_count > 0)
			return 0;
		snprintf(err, errlen,
			 "%s:%d: zone %s: no address to name a nameserver after; give nameservers:",
			 cfg->path, cz->line, cz->name);
		return DNSD_EINVAL;
	}
	if (cz->nameservers_count > ZONE_APEX_NS_MAX) {
		snprintf(err, errlen, "%s:%d: zone %s: at most %d nameservers", cfg->path, cz->line, cz->name,
			 ZONE_APEX_NS_MAX);
		return DNSD_EINVAL;
	}
	size_t na = 0, cap = sizeof(z->apex_addrs) / sizeof(z->apex_addrs[0]);
	for (size_t i = 0; i < cz->nameservers_count; i++) {
		const struct config_nameserver *ns = &cz->nameservers[i];
		struct zone_apex_ns *o = &z->apex_ns[i];
		if (dname_from_text(o->name, ns->name) < 0) {
			snprintf(err, errlen, "%s:%d: zone %s: nameservers[%zu]: '%s' is not a domain name",
				 cfg->path, ns->line, cz->name, i, ns->name);
			return DNSD_EINVAL;
		}
		o->addresses = &z->apex_addrs[na];
		for (size_t a = 0; a < ns->addresses_count; a++) {
			if (na == cap) {
				snprintf(err, errlen, "%s:%d: zone %s: at most %zu nameserver addresses",
					 cfg->path, ns->line, cz->name, cap);
				return DNSD_EINVAL;
			}
			z->apex_addrs[na].family = ns->addresses[a].family;
			memcpy(z->apex_addrs[na].addr, ns->addresses[a].addr, 16);
			na++;
			o->address_count++;
		}
	}
	z->apex_ns_count = cz->nameservers_count;
	char why[256];
	if (zone_apex_check(z->apex, z->apex_ns, z->apex_ns_count, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s:%d: zone %s: %s", cfg->path, cz->line, cz->name, why);
		return DNSD_EINVAL;
	}
	return 0;
}

static int catalog_zone_load(struct catalog *c, struct catalog_zone *z, char *err, size_t errlen)
{
	if (dname_from_text(z->apex, z->cz->name) < 0) {
		snprintf(err, errlen, "zone %s: not a valid domain name", z->cz->name);
		return DNSD_EINVAL;
	}
	if (z->cz->is_catalog) {
		z->builder = catalog_build_catalog(
			c->cfg, z->cz, z->apex, serial_next(0, serial_clock_ms(), c->replica), err, errlen);
	} else {
		int arc = catalog_apex_set(z, c->cfg, err, errlen);
		if (arc != 0)
			return arc;
		if (z->cz->file && !(z->fileindex = zone_fileindex_new(z->cz->file))) {
			snprintf(err, errlen, "zone %s: out of memory", z->cz->name);
			return DNSD_ENOMEM;
		}
		z->builder = zonefile_builder_new(z->cz, z->apex, z->apex_ns, z->apex_ns_count, z->fileindex,
						  &z->made, err, errlen);
	}
	if (!z->builder)
		return DNSD_EZONE;
	if (z->fileindex)
		zone_fileindex_seal(z->fileindex);
	char ferr[256];
	z->frozen = zone_build_freeze(z->builder, ferr, sizeof(ferr));
	if (!z->frozen) {
		snprintf(err, errlen, "%s: %s", z->cz->file ? z->cz->file : z->cz->name, ferr);
		return DNSD_EZONE;
	}
	return 0;
}

static long cluster_index(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->kubernetes_count; i++)
		if (strcmp(cfg->kubernetes[i].name, name) == 0)
			return (long)i;
	return -1;
}

static uint64_t cluster_mask(const struct config *cfg, char *const *names, size_t count)
{
	uint64_t m = 0;
	for (size_t i = 0; i < count; i++) {
		long k = cluster_index(cfg, names[i]);
		if (k >= 0 && k < CATALOG_CLUSTERS_MAX)
			m |= 1ull << k;
	}
	return m;
}

/* Which clusters feed zone z in view v: with views, the view's clusters,
 * narrowed to the zone's own list when it has one; without views, the
 * zone's list. */
static uint64_t feed_clusters(const struct config *cfg, size_t v, const struct config_zone *cz)
{
	uint64_t zone_mask = cluster_mask(cfg, cz->kubernetes, cz->kubernetes_count);
	if (cfg->views_count == 0)
		return zone_mask;
	const struct config_view *cv = &cfg->views[v];
	uint64_t view_mask = cluster_mask(cfg, cv->kubernetes, cv->kubernetes_count);
	return cz->kubernetes_count ? (view_mask & zone_mask) : view_mask;
}

/* The entry of zone name that serves view v: a name may have one entry per
 * view (config.c checks that their views are disjoint). */
static struct catalog_zone *catalog_find(struct catalog *c, size_t v, const char *name)
{
	for (size_t i = 0; i < c->zone_count; i++)
		if (strcmp(c->zones[i].cz->name, name) == 0 &&
		    config_zone_in_view(c->zones[i].cz, c->views->views[v].name))
			return &c->zones[i];
	return NULL;
}

/* The zones view v serves, in configuration order. config.c has already
 * filled in every zone for a view without a zones: key, so an empty list
 * here is "zones: []": a view that serves nothing (REFUSED). */
static size_t view_zones(struct catalog *c, size_t v, struct catalog_zone **out)
{
	const struct config *cfg = c->cfg;
	size_t n = 0;
	if (cfg->views_count == 0) {
		for (size_t i = 0; i < c->zone_count; i++)
			out[n++] = &c->zones[i];
		return n;
	}
	const struct config_view *cv = &cfg->views[v];
	for (size_t j = 0; j < cv->zones_count; j++) {
		struct catalog_zone *z = catalog_find(c, v, cv->zones[j]);
		if (z)
			out[n++] = z;
	}
	return n;
}

void catalog_ede_text(const struct catalog *c, uint64_t mask, const char *suffix, struct zone *z)
{
	size_t cap = sizeof(z->ede_text);
	size_t n = (size_t)snprintf(z->ede_text, cap, "kubernetes");
	const char *sep = " ";
	for (unsigned i = 0; i < c->cluster_count && n < cap; i++)
		if (mask & (1ull << i)) {
			n += (size_t)snprintf(z->ede_text + n, cap - n, "%s%s", sep,
					      c->cfg->kubernetes[i].name);
			sep = ", ";
		}
	if (n < cap)
		n += (size_t)snprintf(z->ede_text + n, cap - n, "%s", suffix);
	z->ede_text_len = (uint8_t)(n < cap ? n : cap - 1);
}

static zone_build_fill_fn feed_fill;

static int catalog_feeds_init(struct catalog *c, char *err, size_t errlen)
{
	size_t nviews = c->views->count;
	struct catalog_zone **list = c->view_list;
	c->feeds = calloc(nviews * (c->zone_count ? c->zone_count : 1), sizeof(*c->feeds));
	if (!c->feeds) {
		snprintf(err, errlen, "out of memory");
		return DNSD_ENOMEM;
	}
	for (size_t v = 0; v < nviews; v++) {
		size_t n = view_zones(c, v, list);
		for (size_t j = 0; j < n; j++) {
			uint64_t mask = feed_clusters(c->cfg, v, list[j]->cz);
			if (!mask)
				continue;
			struct catalog_feed *f = &c->feeds[c->feed_count++];
			f->view = v;
			f->zone = list[j];
			f->clusters = mask;
			f->pending = zone_new_pending(list[j]->apex);
			if (f->pending)
				catalog_ede_text(c, mask, " not synced", f->pending);
			if (f->pending)
				f->builder = zonefile_builder_new(list[j]->cz, list[j]->apex,
								  list[j]->apex_ns, list[j]->apex_ns_count,
								  NULL, NULL, err, errlen);
			else
				snprintf(err, errlen, "out of memory");
			if (!f->builder)
				return DNSD_EZONE;
			f->catalog = c;
			zone_build_set_fill(f->builder, feed_fill, f);
			/* a Kubernetes-fed zone's serial is serial.h's, not the file's */
			f->serial = 0;
		}
	}
	return 0;
}

struct catalog *catalog_new(const struct config *cfg, char *err, size_t errlen)
{
	struct catalog *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->cfg = cfg;
	c->cluster_count = (unsigned)cfg->kubernetes_count;
	if (c->cluster_count > CATALOG_CLUSTERS_MAX) {
		snprintf(err, errlen, "at most %d kubernetes sources are supported", CATALOG_CLUSTERS_MAX);
		goto fail;
	}
	c->zones = calloc(cfg->zones_count ? cfg->zones_count : 1, sizeof(*c->zones));
	c->view_list = calloc(cfg->zones_count ? cfg->zones_count : 1, sizeof(*c->view_list));
	c->views = view_table_new(cfg);
	if (!c->zones || !c->view_list || !c->views) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->zone_count = cfg->zones_count;
	c->replica = cfg->serial_replica < 256 ? (uint8_t)cfg->serial_replica : serial_replica_from_host();
	for (size_t i = 0; i < cfg->zones_count; i++) {
		c->zones[i].cz = &cfg->zones[i];
		if (catalog_zone_load(c, &c->zones[i], err, errlen) != 0)
			goto fail;
	}
	if (catalog_feeds_init(c, err, errlen) != 0)
		goto fail;
	c->policy = xfr_policy_from_config(cfg, c->views, err, errlen);
	if (!c->policy)
		goto fail;
	return c;
fail:
	catalog_free(c);
	return NULL;
}

void catalog_free(struct catalog *c)
{
	if (!c)
		return;
	publisher_stop(c);
	for (size_t i = 0; i < c->zone_count; i++) {
		zone_build_free(c->zones[i].builder);
		zone_unref(c->zones[i].frozen);
		zone_fileindex_free(c->zones[i].fileindex);
	}
	for (size_t i = 0; i < c->feed_count; i++) {
		zone_build_free(c->feeds[i].builder);
		feed_items_clear(&c->feeds[i].items);
		zone_unref(c->feeds[i].frozen);
		zone_unref(c->feeds[i].pending);
		zone_unref(c->feeds[i].inherited);
	}
	xfr_policy_unref(c->policy);
	free(c->feeds);
	free(c->events);
	free(c->view_list);
	free(c->zones);
	if (c->views)
		view_table_unref(c->views);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c);
}

/* What serves zone z in view v: its feed's latest freeze, the SERVFAIL
 * stand-in until the feed's clusters synced, or the zone file's freeze. */
static struct zone *serving_zone(struct catalog *c, size_t v, struct catalog_zone *z)
{
	for (size_t i = 0; i < c->feed_count; i++) {
		struct catalog_feed *f = &c->feeds[i];
		if (f->view == v && f->zone == z)
			return f->frozen ? f->frozen : f->pending;
	}
	return z->frozen;
}

/* snapshot_zones_fn: the zones serving view v, for snapshot_assemble(). */
static size_t serving_zones(void *ctx, size_t v, struct zone **out)
{
	struct catalog *c = ctx;
	size_t n = view_zones(c, v, c->view_list);
	for (size_t j = 0; j < n; j++)
		out[j] = serving_zone(c, v, c->view_list[j]);
	return n;
}

struct snapshot *catalog_snapshot_locked(struct catalog *c, char *err, size_t errlen)
{
	struct snapshot *s = snapshot_assemble(c->cfg, c->views, c->zone_count, serving_zones, c, err,
					       errlen);
	if (s && c->policy) {
		s->xfr = c->policy;
		xfr_policy_ref(c->policy);
	}
	return s;
}

struct snapshot *catalog_snapshot(struct catalog *c, char *err, size_t errlen)
{
	pthread_mutex_lock(&c->lock);
	struct snapshot *s = catalog_snapshot_locked(c, err, errlen);
	pthread_mutex_unlock(&c->lock);
	return s;
}

/* ---------- dynamic sources ---------- */

/* The parts of a zone an object's records fall in (bit p of parts[p / 64]),
 * and how many of them the zone refuses. */
struct parts_ctx {
	const struct zone_build *b;
	const uint8_t *apex;
	size_t apex_len;
	uint64_t parts[(ZONE_PARTS + 64) / 64]; /* part 0 too */
	size_t refused;
};

static void emit_part(void *arg, const uint8_t *owner, uint16_t type, uint32_t ttl_s, const uint8_t *rdata,
		      uint16_t rdlen)
{
	(void)ttl_s;
	struct parts_ctx *e = arg;
	if (zone_build_check(e->b, owner, type, rdata, rdlen) != 0) {
		e->refused++;
		return;
	}
	uint8_t lname[DNAME_MAX_LEN];
	size_t len = dname_len(owner);
	dname_lower(lname, owner, len);
	unsigned p = zone_part_index(e->apex_len, lname, len);
	e->parts[p / 64] |= 1ull << (p % 64);
}

static struct parts_ctx item_parts(const struct catalog_feed *f, catalog_records_fn *fn, const void *item)
{
	struct parts_ctx e = { .b = f->builder, .apex = f->zone->apex, .apex_len = dname_len(f->zone->apex) };
	fn(item, f->zone->apex, f->zone->cz->ttl_s, emit_part, &e);
	return e;
}

#define FOR_PARTS(e, p)                            \
	for (unsigned p = 0; p <= ZONE_PARTS; p++) \
		if ((e).parts[p / 64] & (1ull << (p % 64)))

/* zone_build_fill_fn: the records of the objects listed for part, each
 * added or removed; those of other parts are left out. */
struct fill_ctx {
	struct zone_build *b;
	size_t apex_len;
	unsigned part;
	bool is_add;
};

static void emit_fill(void *arg, const uint8_t *owner, uint16_t type, uint32_t ttl_s, const uint8_t *rdata,
		      uint16_t rdlen)
{
	struct fill_ctx *e = arg;
	uint8_t lname[DNAME_MAX_LEN];
	size_t len = dname_len(owner);
	if (len < 1 || len > DNAME_MAX_LEN)
		return;
	dname_lower(lname, owner, len);
	if (zone_part_index(e->apex_len, lname, len) != e->part)
		return;
	/* refused ones were counted when the object came (catalog_apply) */
	if (e->is_add)
		(void)zone_build_add(e->b, owner, type, ttl_s, rdata, rdlen);
	else
		(void)zone_build_remove(e->b, owner, type, rdata, rdlen);
}

static void feed_fill(void *ctx, struct zone_build *b, unsigned part, bool is_add)
{
	struct catalog_feed *f = ctx;
	struct fill_ctx e = { .b = b, .apex_len = dname_len(f->zone->apex), .part = part, .is_add = is_add };
	const struct feed_part_items *p = &f->items.parts[part];
	for (size_t i = 0; i < p->count; i++) {
		uint64_t key = p->keys[i];
		f->catalog->records_fn[feed_key_cluster(key)](feed_key_item(key), f->zone->apex,
							      f->zone->cz->ttl_s, emit_fill, &e);
	}
}

size_t catalog_apply(struct catalog *c, unsigned cluster, catalog_records_fn *fn, const void *old_item,
		     const void *new_item)
{
	size_t refused = 0;
	pthread_mutex_lock(&c->lock);
	c->records_fn[cluster] = fn;
	for (size_t i = 0; i < c->feed_count; i++) {
		struct catalog_feed *f = &c->feeds[i];
		if (!(f->clusters & (1ull << cluster)))
			continue;
		if (old_item) {
			struct parts_ctx e = item_parts(f, fn, old_item);
			FOR_PARTS(e, p)
			{
				feed_items_remove(&f->items, p, feed_item_key(cluster, old_item));
				zone_build_mark_dirty(f->builder, p);
			}
		}
		if (new_item) {
			struct parts_ctx e = item_parts(f, fn, new_item);
			uint64_t key = feed_item_key(cluster, new_item);
			FOR_PARTS(e, p)
			{
				if (!key || feed_items_add(&f->items, p, key) != 0) {
					e.refused++; /* out of memory: its records in this part are lost */
					continue;
				}
				zone_build_mark_dirty(f->builder, p);
			}
			if (e.refused > refused)
				refused = e.refused;
		}
		f->is_dirty = true;
		f->dirty_by |= 1ull << cluster;
		c->is_dirty = true;
	}
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return refused;
}

void catalog_move(struct catalog *c, unsigned cluster, const void *from, const void *to)
{
	pthread_mutex_lock(&c->lock);
	catalog_records_fn *fn = c->records_fn[cluster];
	for (size_t i = 0; fn && i < c->feed_count; i++) {
		struct catalog_feed *f = &c->feeds[i];
		if (!(f->clusters & (1ull << cluster)))
			continue;
		struct parts_ctx e = item_parts(f, fn, to);
		FOR_PARTS(e, p)
		feed_items_replace(&f->items, p, feed_item_key(cluster, from), feed_item_key(cluster, to));
	}
	pthread_mutex_unlock(&c->lock);
}

/* Appends e; out of memory, an observation is lost and nothing else.
 * c->lock held. */
static void event_push_locked(struct catalog *c, struct catalog_event e)
{
	if (ARRAY_RESERVE_ONE(c->events, &c->event_cap, c->event_count, 64) != 0)
		return;
	c->events[c->event_count++] = e;
}

void catalog_note_event(struct catalog *c, uint64_t arrival_ns, struct histogram *h)
{
	pthread_mutex_lock(&c->lock);
	event_push_locked(c, (struct catalog_event){ .arrival_ns = arrival_ns, .h = h });
	pthread_mutex_unlock(&c->lock);
}

void catalog_move_events(struct catalog *to, struct catalog *from)
{
	pthread_mutex_lock(&from->lock);
	struct catalog_event *events = from->events;
	size_t count = from->event_count;
	from->events = NULL;
	from->event_count = from->event_cap = 0;
	pthread_mutex_unlock(&from->lock);
	pthread_mutex_lock(&to->lock);
	for (size_t i = 0; i < count; i++)
		event_push_locked(to, events[i]);
	pthread_mutex_unlock(&to->lock);
	free(events);
}

void catalog_hold(struct catalog *c, unsigned cluster)
{
	pthread_mutex_lock(&c->lock);
	c->held |= 1ull << cluster;
	pthread_mutex_unlock(&c->lock);
}

void catalog_release(struct catalog *c, unsigned cluster)
{
	pthread_mutex_lock(&c->lock);
	c->held &= ~(1ull << cluster);
	/* what the publisher skipped meanwhile */
	for (size_t i = 0; i < c->feed_count; i++)
		if (c->feeds[i].is_dirty || c->feeds[i].is_flag_dirty)
			c->is_dirty = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void catalog_cluster_synced(struct catalog *c, unsigned cluster)
{
	pthread_mutex_lock(&c->lock);
	if (!(c->synced & (1ull << cluster))) {
		c->synced |= 1ull << cluster;
		for (size_t i = 0; i < c->feed_count; i++) {
			struct catalog_feed *f = &c->feeds[i];
			if (!(f->clusters & (1ull << cluster)))
				continue;
			f->is_dirty = true;
			f->dirty_by |= 1ull << cluster;
			/* still waiting for others: Not Ready names only those (a new
			 * stand-in, since a published zone never changes) */
			uint64_t waiting = f->clusters & ~c->synced;
			struct zone *p = waiting && !f->frozen ? zone_new_pending(f->zone->apex) : NULL;
			if (p) {
				catalog_ede_text(c, waiting, " not synced", p);
				zone_unref(f->pending);
				f->pending = p;
				c->is_pending_changed = true;
			}
		}
		c->is_dirty = true;
		pthread_cond_signal(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
}

void catalog_cluster_stale(struct catalog *c, unsigned cluster, bool is_stale)
{
	pthread_mutex_lock(&c->lock);
	uint64_t bit = 1ull << cluster;
	if (((c->stale & bit) != 0) != is_stale) {
		c->stale = is_stale ? c->stale | bit : c->stale & ~bit;
		/* refreeze its zones: the flag travels with the zone (a zone
		 * already frozen keeps its serial: publisher.c) */
		for (size_t i = 0; i < c->feed_count; i++)
			if (c->feeds[i].clusters & bit) {
				if (c->feeds[i].frozen)
					c->feeds[i].is_flag_dirty = true;
				else
					c->feeds[i].is_dirty = true;
				c->feeds[i].dirty_by |= bit;
			}
		c->is_dirty = true;
		pthread_cond_signal(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
}

bool catalog_is_ready(struct catalog *c, char *why, size_t why_len)
{
	pthread_mutex_lock(&c->lock);
	bool ready = true;
	size_t off = 0;
	if (why_len)
		why[0] = '\0';
	for (unsigned i = 0; i < c->cluster_count; i++) {
		if (c->synced & (1ull << i))
			continue;
		ready = false;
		int n = snprintf(why + off, off < why_len ? why_len - off : 0, "%skubernetes %s not synced",
				 off ? ", " : "", c->cfg->kubernetes[i].name);
		if (n > 0)
			off += (size_t)n;
	}
	/* a feed whose clusters synced but whose first freeze failed is not ready either */
	for (size_t i = 0; ready && i < c->feed_count; i++)
		if (!c->feeds[i].frozen) {
			ready = false;
			snprintf(why, why_len, "zone %s not built yet", c->feeds[i].zone->cz->name);
		}
	pthread_mutex_unlock(&c->lock);
	return ready;
}

uint64_t catalog_publish_count(const struct catalog *c)
{
	return __atomic_load_n(&c->publications, __ATOMIC_RELAXED);
}

/* ---------- totals and memory ---------- */

void catalog_collect_metrics(struct catalog *c, struct metrics_out *m)
{
	metrics_single(m, "dnsd_publications_total", METRICS_COUNTER,
		       "Snapshots published after source changes.", catalog_publish_count(c));
	metrics_single(
		m, "dnsd_memory_settles_total", METRICS_COUNTER,
		"Times memory was given back (zone builders' free chunks, zone parts' unused chunk tails, "
		"the arena cache, malloc_trim) "
		"once no publication came for a second.",
		__atomic_load_n(&c->settles, __ATOMIC_RELAXED));
	metrics_single(m, "dnsd_memory_settled", METRICS_GAUGE,
		       "1 when memory was given back after the last publication, 0 until it is.",
		       __atomic_load_n(&c->settled_publications, __ATOMIC_RELAXED) ==
			       catalog_publish_count(c));
	size_t in_use = 0, mapped = 0, items = 0;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->feed_count; i++) {
		if (c->feeds[i].builder)
			zone_build_memory(c->feeds[i].builder, &in_use, &mapped);
		items += feed_items_bytes(&c->feeds[i].items);
	}
	pthread_mutex_unlock(&c->lock);
	metrics_single(m, "dnsd_zone_feed_items_bytes", METRICS_GAUGE,
		       "Kubernetes feeds' lists of the objects giving each zone part records (8 bytes "
		       "an object a part): their records are rendered from the objects, not kept twice.",
		       items);
	const char *name = "dnsd_zone_builder_bytes";
	metrics_family(
		m, name, METRICS_GAUGE,
		"Kubernetes feeds' zone builders: bytes of names, records and name tables in use, and "
		"of slab chunks mapped for them plus the tables (free-list memory is the difference).");
	metrics_sample(m, name, &(struct metrics_label){ "state", "in_use" }, 1, in_use);
	metrics_sample(m, name, &(struct metrics_label){ "state", "mapped" }, 1, mapped);
}

size_t catalog_zone_count(const struct catalog *c) { return c->zone_count; }

size_t catalog_record_count(const struct catalog *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->zone_count; i++)
		n += c->zones[i].frozen ? c->zones[i].frozen->record_count : 0;
	return n;
}

void catalog_drop_file_builders(struct catalog *c)
{
	for (size_t i = 0; i < c->zone_count; i++) {
		zone_build_free(c->zones[i].builder);
		c->zones[i].builder = NULL;
	}
}

void catalog_set_publish_hook(struct catalog *c, catalog_published_fn *fn, void *ctx)
{
	pthread_mutex_lock(&c->lock);
	c->on_publish = fn;
	c->on_publish_ctx = ctx;
	pthread_mutex_unlock(&c->lock);
}

/* The zone that view name / zone name had in catalog old, or NULL. */
static struct zone *old_zone(struct catalog *old, const char *view, const char *zone)
{
	for (size_t v = 0; v < old->views->count; v++) {
		if (strcmp(old->views->views[v].name, view) != 0)
			continue;
		struct catalog_zone *z = catalog_find(old, v, zone);
		return z ? serving_zone(old, v, z) : NULL;
	}
	return NULL;
}

void catalog_inherit(struct catalog *c, struct catalog *old)
{
	pthread_mutex_lock(&old->lock);
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->feed_count; i++) {
		struct catalog_feed *f = &c->feeds[i];
		struct zone *o = old_zone(old, c->views->views[f->view].name, f->zone->cz->name);
		if (!o || o->is_pending)
			continue;
		if (serial_gt(o->serial, f->serial))
			f->serial = o->serial;
		zone_unref(f->inherited);
		f->inherited = o;
		zone_ref(o);
	}
	/* zones frozen at load (files, catalogs): their history continues too */
	for (size_t i = 0; i < c->zone_count; i++) {
		struct catalog_zone *z = &c->zones[i];
		for (size_t v = 0; z->frozen && v < c->views->count; v++) {
			if (!config_zone_in_view(z->cz, c->views->views[v].name))
				continue;
			struct zone *o = old_zone(old, c->views->views[v].name, z->cz->name);
			if (o && !o->is_pending && o != z->frozen && !z->frozen->journal) {
				if (o->serial == z->frozen->serial)
					log_warn("zone %s: reloaded with serial %u unchanged; secondaries "
						 "keep the old "
						 "data until it increases",
						 z->cz->name, o->serial);
				z->frozen->journal = journal_append(
					o->journal, journal_diff_new(o, z->frozen), c->cfg->journal_size);
			}
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&old->lock);
}

/* ---------- what feeds a zone, for the sources and /names ---------- */

size_t catalog_cluster_zones(const struct catalog *c, unsigned cluster, const uint8_t **apexes, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < c->feed_count && n < cap; i++) {
		const struct catalog_feed *f = &c->feeds[i];
		if (cluster >= CATALOG_CLUSTERS_MAX || !(f->clusters & (1ull << cluster)))
			continue;
		bool seen = false;
		for (size_t j = 0; j < n && !seen; j++)
			seen = dname_equal(apexes[j], f->zone->apex);
		if (!seen)
			apexes[n++] = f->zone->apex;
	}
	return n;
}

/* The zone entry of view v whose apex is apex. */
static const struct catalog_zone *entry_of(const struct catalog *c, size_t v, const uint8_t *apex)
{
	if (v >= c->views->count)
		return NULL;
	for (size_t i = 0; i < c->zone_count; i++)
		if (dname_equal(c->zones[i].apex, apex) &&
		    (c->cfg->views_count == 0 ||
		     config_zone_in_view(c->zones[i].cz, c->views->views[v].name)))
			return &c->zones[i];
	return NULL;
}

bool catalog_explain_zone(const struct catalog *c, size_t view, const uint8_t *apex, uint64_t *clusters,
			  uint32_t *ttl_s)
{
	const struct catalog_zone *z = entry_of(c, view, apex);
	if (!z)
		return false;
	*clusters = 0;
	for (size_t i = 0; i < c->feed_count; i++)
		if (c->feeds[i].view == view && c->feeds[i].zone == z)
			*clusters = c->feeds[i].clusters;
	*ttl_s = z->cz->ttl_s;
	return true;
}

/* Is (owner, type, rdata) one of the apex records dnsd made for z? */
static bool is_apex_record(const struct catalog_zone *z, const uint8_t *owner, uint16_t type,
			   const uint8_t *rdata, uint16_t rdlen)
{
	bool is_apex = dname_equal(owner, z->apex);
	if (type == WIRE_TYPE_SOA)
		return is_apex && (z->made & ZONEFILE_MADE_SOA);
	if (!(z->made & ZONEFILE_MADE_NS))
		return false;
	for (size_t i = 0; i < z->apex_ns_count; i++) {
		const struct zone_apex_ns *ns = &z->apex_ns[i];
		if (type == WIRE_TYPE_NS && is_apex && rdlen == dname_len(ns->name) &&
		    dname_equal(rdata, ns->name))
			return true;
		if ((type == WIRE_TYPE_A || type == WIRE_TYPE_AAAA) && dname_equal(owner, ns->name))
			for (size_t a = 0; a < ns->address_count; a++)
				if (rdlen == (ns->addresses[a].family == AF_INET ? 4 : 16) &&
				    memcmp(rdata, ns->addresses[a].addr, rdlen) == 0)
					return true;
	}
	return false;
}

void catalog_explain_record(const struct catalog *c, size_t view, const uint8_t *apex, const uint8_t *owner,
			    uint16_t type, const uint8_t *rdata, uint16_t rdlen, struct jsonw *w)
{
	const struct catalog_zone *z = entry_of(c, view, apex);
	if (!z)
		return;
	if (is_apex_record(z, owner, type, rdata, rdlen)) {
		jsonw_object_begin(w);
		if (z->is_apex_synthesized) {
			jsonw_kv_string(w, "kind", "synthesized");
			jsonw_kv_string(w, "why",
					type == WIRE_TYPE_SOA ? "the zone has no SOA of its own: MNAME the "
								"first nameserver, Zonemaster's timers"
							      : "no nameservers: for the zone: ns1.<zone>.. "
								"one per address dnsd listens on");
		} else {
			jsonw_kv_string(w, "kind", "nameservers");
			jsonw_kv_string(w, "file", c->cfg->path);
			jsonw_kv_uint(w, "line", (uint64_t)z->cz->line);
		}
		jsonw_object_end(w);
	}
	uint32_t lines[16];
	size_t n = zone_fileindex_find(z->fileindex, owner, type, rdata, rdlen, lines, 16);
	/* a record synthesized from a wildcard: the wildcard's lines */
	for (const uint8_t *p = owner; n == 0 && *p && dname_len(p) > dname_len(z->apex); p += p[0] + 1) {
		uint8_t wild[DNAME_MAX_LEN];
		const uint8_t *parent = p + p[0] + 1;
		size_t pl = dname_len(parent);
		if (pl + 2 > DNAME_MAX_LEN)
			break;
		wild[0] = 1;
		wild[1] = '*';
		memcpy(wild + 2, parent, pl);
		n = zone_fileindex_find(z->fileindex, wild, type, rdata, rdlen, lines, 16);
	}
	for (size_t i = 0; i < n && i < 16; i++) {
		jsonw_object_begin(w);
		jsonw_kv_string(w, "kind", "file");
		jsonw_kv_string(w, "file", zone_fileindex_path(z->fileindex));
		jsonw_kv_uint(w, "line", lines[i]);
		jsonw_object_end(w);
	}
}
