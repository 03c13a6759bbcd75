/* SPDX-License-Identifier: BSD-3-Clause
 * catalog.c - zone files and Kubernetes objects -> builders -> frozen zones
 * -> one zone set per view -> snapshot.
 *
 * A zone that no cluster feeds is frozen once and shared by every view. A
 * (view, zone) pair fed by clusters gets a "feed": its own builder holding
 * the file's records plus the records of every object its clusters hold.
 * Changes mark feeds dirty; the publisher thread waits a few milliseconds so
 * a burst becomes one publication, freezes the dirty feeds (bumping their SOA
 * serial) and swaps in a new snapshot.
 *
 * Locking: c->lock guards feeds, synced and dirty; it is taken by source
 * threads (catalog_apply) and the publisher. publish_lock() is taken inside
 * it, never the other way round. */
#include "zone/catalog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns/dname.h"
#include "dns/wire.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/journal.h"
#include "zone/xfr_policy.h"
#include "zone/zone_build.h"
#include "zone/zonefile.h"

#define COALESCE_MS 5
#define CLUSTERS_MAX 64

struct catalog_zone {
	const struct config_zone *cz;
	uint8_t apex[DNAME_MAX_LEN];
	struct zone_build *builder;
	struct zone *frozen;           /* one reference held */
};

struct catalog_feed {
	size_t view;
	struct catalog_zone *zone;
	uint64_t clusters;             /* bit i: cluster i feeds this pair */
	struct zone_build *builder;
	struct zone *frozen;           /* NULL until every cluster synced */
	struct zone *pending;          /* the SERVFAIL stand-in until then */
	struct zone *inherited;        /* the previous catalog's zone (a reload): the first
	                                  freeze's journal continues from it; one reference */
	bool is_dirty;
	uint32_t serial;
};

struct catalog {
	const struct config *cfg;
	struct catalog_zone *zones;
	size_t zone_count;
	struct view_table *views;      /* one reference held */
	struct catalog_feed *feeds;
	size_t feed_count;
	unsigned cluster_count;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t synced;               /* bit i: cluster i listed once */
	bool is_dirty;
	bool is_stopping;
	bool has_thread;
	pthread_t thread;
	uint64_t publications;
	struct xfr_policy *policy;     /* transfer access, carried by every snapshot; one reference */
	uint8_t replica;               /* the low byte of Kubernetes-fed serials (serial_next) */
	catalog_published_fn *on_publish;
	void *on_publish_ctx;
};

/* Serials of Kubernetes-fed zones (RFC 1982): the clock in quarter seconds
 * in the upper 24 bits, the replica in the low byte, so that
 * - they only increase, across publications and restarts: a restart starts
 *   from the clock, which is past every serial of the last run unless that
 *   run published more than four times a second for a while (then its
 *   serials ran ahead of the clock by a quarter second per extra one);
 * - two replicas fed by the same API never give one serial to different
 *   contents: their low bytes differ, so one replica's serials are never in
 *   the other's journal, and a secondary that moves between them gets the
 *   whole zone, never the other replica's difference;
 * - the wrap (2^24 quarter seconds, 48 days) leaves RFC 1982's window (24
 *   days) far beyond the SOA expire dnsd writes (1 day). */
static uint32_t serial_next(uint32_t prev, uint64_t now_ms, uint8_t replica)
{
	uint32_t clock = (uint32_t)((now_ms / 250) << 8) | replica;
	if (prev == 0)
		return clock;
	uint32_t next = (prev & ~0xFFu) | replica;
	if (!serial_gt(next, prev))
		next += 256;
	return serial_gt(clock, next) ? clock : next;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The replica byte from the host name: a pod's name is unique in its
 * Deployment. FNV-1a, folded. */
static uint8_t serial_replica_from_host(void)
{
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	uint32_t h = 2166136261u;
	for (const char *p = host; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return (uint8_t)(h ^ h >> 8 ^ h >> 16 ^ h >> 24);
}

static int zone_builder_load(const struct config_zone *cz, const uint8_t *apex, struct zone_build **out,
			     char *err, size_t errlen)
{
	struct zone_build *b = zone_build_new(apex, cz->ttl_s);
	if (!b) {
		snprintf(err, errlen, "zone %s: out of memory", cz->name);
		return DNSD_ENOMEM;
	}
	if (cz->file) {
		int rc = zonefile_load(b, cz->file, cz->ttl_s, err, errlen);
		if (rc != 0) {
			zone_build_free(b);
			return rc;
		}
	}
	/* a zone without a file (fed by Kubernetes) still needs SOA and NS;
	 * the serial starts from the clock so it only moves forward across restarts */
	int rc = zone_build_add_default_soa(b, (uint32_t)time(NULL));
	if (rc != 0) {
		snprintf(err, errlen, "zone %s: %s", cz->name, dnsd_strerror(rc));
		zone_build_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

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
static int catalog_build_catalog(const struct config *cfg, const struct config_zone *cz, const uint8_t *apex,
				 uint32_t serial, struct zone_build **out, char *err, size_t errlen)
{
	struct zone_build *b = zone_build_new(apex, 0);
	if (!b)
		goto oom;
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
		/* a name declared once per view is one member */
		if (is_member && catalog_add_member(b, apex, m->name) == DNSD_EINVAL)
			rc = DNSD_EINVAL;
	}
	if (rc != 0) {
		snprintf(err, errlen, "catalog zone %s: %s", cz->name, dnsd_strerror(rc));
		zone_build_free(b);
		return rc;
	}
	*out = b;
	return 0;
oom:
	snprintf(err, errlen, "catalog zone %s: out of memory", cz->name);
	return DNSD_ENOMEM;
}

static int catalog_zone_load(struct catalog *c, struct catalog_zone *z, char *err, size_t errlen)
{
	if (dname_from_text(z->apex, z->cz->name) < 0) {
		snprintf(err, errlen, "zone %s: not a valid domain name", z->cz->name);
		return DNSD_EINVAL;
	}
	int rc = z->cz->is_catalog ? catalog_build_catalog(c->cfg, z->cz, z->apex, serial_next(0, wall_ms(), c->replica),
							   &z->builder, err, errlen)
				   : zone_builder_load(z->cz, z->apex, &z->builder, err, errlen);
	if (rc != 0)
		return rc;
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
		if (k >= 0 && k < CLUSTERS_MAX)
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

static int catalog_feeds_init(struct catalog *c, char *err, size_t errlen)
{
	size_t nviews = c->views->count;
	struct catalog_zone **list = calloc(c->zone_count ? c->zone_count : 1, sizeof(*list));
	c->feeds = calloc(nviews * (c->zone_count ? c->zone_count : 1), sizeof(*c->feeds));
	if (!list || !c->feeds) {
		free(list);
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
			int rc = f->pending ? zone_builder_load(list[j]->cz, list[j]->apex, &f->builder, err, errlen)
					    : DNSD_ENOMEM;
			if (rc != 0) {
				free(list);
				return rc;
			}
			/* a Kubernetes-fed zone's serial is serial_next()'s, not the file's */
			f->serial = 0;
		}
	}
	free(list);
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
	if (c->cluster_count > CLUSTERS_MAX) {
		snprintf(err, errlen, "at most %d kubernetes sources are supported", CLUSTERS_MAX);
		goto fail;
	}
	c->zones = calloc(cfg->zones_count ? cfg->zones_count : 1, sizeof(*c->zones));
	c->views = view_table_new(cfg);
	if (!c->zones || !c->views) {
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
	catalog_publisher_stop(c);
	for (size_t i = 0; i < c->zone_count; i++) {
		zone_build_free(c->zones[i].builder);
		zone_unref(c->zones[i].frozen);
	}
	for (size_t i = 0; i < c->feed_count; i++) {
		zone_build_free(c->feeds[i].builder);
		zone_unref(c->feeds[i].frozen);
		zone_unref(c->feeds[i].pending);
		zone_unref(c->feeds[i].inherited);
	}
	xfr_policy_unref(c->policy);
	free(c->feeds);
	free(c->zones);
	if (c->views)
		view_table_unref(c->views);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c);
}

static struct zone *serving_zone(struct catalog *c, size_t v, struct catalog_zone *z)
{
	for (size_t i = 0; i < c->feed_count; i++) {
		struct catalog_feed *f = &c->feeds[i];
		if (f->view == v && f->zone == z)
			return f->frozen ? f->frozen : f->pending;
	}
	return z->frozen;
}

static struct snapshot *snapshot_locked(struct catalog *c, char *err, size_t errlen)
{
	const struct config *cfg = c->cfg;
	struct snapshot_settings settings = {
		.udp_payload_max = cfg->udp_payload_max,
		.is_chaos_enabled = cfg->chaos_enabled,
		.is_query_log = cfg->log_queries,
	};
	struct snapshot *s = snapshot_new(c->views, &settings);
	if (s && c->policy) {
		s->xfr = c->policy;
		xfr_policy_ref(c->policy);
	}
	struct catalog_zone **list = calloc(c->zone_count ? c->zone_count : 1, sizeof(*list));
	struct zone **zones = calloc(c->zone_count ? c->zone_count : 1, sizeof(*zones));
	if (!s || !list || !zones)
		goto oom;
	for (size_t v = 0; v < s->view_count; v++) {
		size_t n = view_zones(c, v, list);
		for (size_t j = 0; j < n; j++)
			zones[j] = serving_zone(c, v, list[j]);
		s->sets[v] = zone_set_new(zones, n);
		if (!s->sets[v])
			goto oom;
	}
	free(list);
	free(zones);
	return s;
oom:
	snprintf(err, errlen, "out of memory");
	free(list);
	free(zones);
	snapshot_free(s);
	return NULL;
}

struct snapshot *catalog_snapshot(struct catalog *c, char *err, size_t errlen)
{
	pthread_mutex_lock(&c->lock);
	struct snapshot *s = snapshot_locked(c, err, errlen);
	pthread_mutex_unlock(&c->lock);
	return s;
}

/* ---------- dynamic sources ---------- */

struct emit_ctx {
	struct zone_build *b;
	bool is_add;
	size_t refused;
};

static void emit_record(void *arg, const uint8_t *owner, uint16_t type, uint32_t ttl_s,
			const uint8_t *rdata, uint16_t rdlen)
{
	struct emit_ctx *e = arg;
	int rc = e->is_add ? zone_build_add(e->b, owner, type, ttl_s, rdata, rdlen)
			   : zone_build_remove(e->b, owner, type, rdata, rdlen);
	if (rc != 0 && e->is_add)
		e->refused++;
}

size_t catalog_apply(struct catalog *c, unsigned cluster, catalog_records_fn *fn, const void *old_item,
		     const void *new_item)
{
	size_t refused = 0;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->feed_count; i++) {
		struct catalog_feed *f = &c->feeds[i];
		if (!(f->clusters & (1ull << cluster)))
			continue;
		const struct config_zone *cz = f->zone->cz;
		if (old_item) {
			struct emit_ctx e = { .b = f->builder, .is_add = false };
			fn(old_item, f->zone->apex, cz->ttl_s, emit_record, &e);
		}
		if (new_item) {
			struct emit_ctx e = { .b = f->builder, .is_add = true };
			fn(new_item, f->zone->apex, cz->ttl_s, emit_record, &e);
			if (e.refused > refused)
				refused = e.refused;
		}
		f->is_dirty = true;
		c->is_dirty = true;
	}
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return refused;
}

void catalog_cluster_synced(struct catalog *c, unsigned cluster)
{
	pthread_mutex_lock(&c->lock);
	if (!(c->synced & (1ull << cluster))) {
		c->synced |= 1ull << cluster;
		for (size_t i = 0; i < c->feed_count; i++)
			if (c->feeds[i].clusters & (1ull << cluster))
				c->feeds[i].is_dirty = true;
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

/* Freezes dirty feeds whose clusters have all synced, then publishes. Called
 * with c->lock held. */
static void publish_locked(struct catalog *c, bool is_forced)
{
	if (!c->is_dirty && !is_forced)
		return;
	c->is_dirty = false;
	bool is_changed = false;
	for (size_t i = 0; i < c->feed_count; i++) {
		struct catalog_feed *f = &c->feeds[i];
		if (!f->is_dirty || (f->clusters & ~c->synced))
			continue;
		f->is_dirty = false;
		f->serial = serial_next(f->serial, wall_ms(), c->replica);
		zone_build_set_serial(f->builder, f->serial);
		char err[256];
		struct zone *z = zone_build_freeze(f->builder, err, sizeof(err));
		if (!z) {
			log_error("zone %s (view %s): %s; keeping the previous version", f->zone->cz->name,
				  c->views->views[f->view].name, err);
			continue;
		}
		/* IXFR: what this publication changed, after the history so far */
		const struct zone *prev = f->frozen ? f->frozen : f->inherited;
		if (prev && !prev->is_pending)
			z->journal = journal_append(prev->journal, journal_diff_new(prev, z), c->cfg->journal_size);
		zone_unref(f->inherited);
		f->inherited = NULL;
		zone_unref(f->frozen);
		f->frozen = z;
		is_changed = true;
	}
	if (!is_changed && !is_forced)
		return;
	char err[256];
	struct snapshot *s = snapshot_locked(c, err, sizeof(err));
	if (!s) {
		log_error("publish: %s", err);
		return;
	}
	publish_lock();
	publish_swap(&publish_global, s);
	if (c->on_publish)
		c->on_publish(c->on_publish_ctx, s);
	publish_unlock();
	/* read without the lock by /metrics */
	__atomic_store_n(&c->publications, c->publications + 1, __ATOMIC_RELAXED);
}

void catalog_publish_pending(struct catalog *c)
{
	pthread_mutex_lock(&c->lock);
	publish_locked(c, false);
	pthread_mutex_unlock(&c->lock);
}

void catalog_publish(struct catalog *c)
{
	pthread_mutex_lock(&c->lock);
	publish_locked(c, true);
	pthread_mutex_unlock(&c->lock);
}

uint64_t catalog_publish_count(const struct catalog *c)
{
	return __atomic_load_n(&c->publications, __ATOMIC_RELAXED);
}

static void *publisher_main(void *arg)
{
	struct catalog *c = arg;
	pthread_mutex_lock(&c->lock);
	while (!c->is_stopping) {
		if (!c->is_dirty) {
			pthread_cond_wait(&c->cond, &c->lock);
			continue;
		}
		/* let a burst of events (a relist, a kubectl apply of many
		 * objects) land before freezing: one publication for all */
		pthread_mutex_unlock(&c->lock);
		struct timespec ts = { 0, COALESCE_MS * 1000000L };
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&c->lock);
		publish_locked(c, false);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int catalog_publisher_start(struct catalog *c)
{
	if (c->has_thread || c->feed_count == 0)
		return 0;
	c->is_stopping = false;
	if (pthread_create(&c->thread, NULL, publisher_main, c) != 0)
		return DNSD_EIO;
	c->has_thread = true;
	return 0;
}

void catalog_publisher_stop(struct catalog *c)
{
	if (!c->has_thread)
		return;
	pthread_mutex_lock(&c->lock);
	c->is_stopping = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->has_thread = false;
}

size_t catalog_zone_count(const struct catalog *c) { return c->zone_count; }

void catalog_drop_file_builders(struct catalog *c)
{
	for (size_t i = 0; i < c->zone_count; i++) {
		zone_build_free(c->zones[i].builder);
		c->zones[i].builder = NULL;
	}
}

size_t catalog_record_count(const struct catalog *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->zone_count; i++)
		n += c->zones[i].frozen ? c->zones[i].frozen->record_count : 0;
	return n;
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
	/* file-only zones were frozen at load: their history continues too */
	for (size_t i = 0; i < c->zone_count; i++) {
		struct catalog_zone *z = &c->zones[i];
		for (size_t v = 0; z->frozen && v < c->views->count; v++) {
			if (!config_zone_in_view(z->cz, c->views->views[v].name))
				continue;
			struct zone *o = old_zone(old, c->views->views[v].name, z->cz->name);
			if (o && !o->is_pending && o != z->frozen && !z->frozen->journal) {
				if (o->serial == z->frozen->serial)
					log_warn("zone %s: reloaded with serial %u unchanged; secondaries keep the old "
						 "data until it increases", z->cz->name, o->serial);
				z->frozen->journal = journal_append(o->journal, journal_diff_new(o, z->frozen),
								    c->cfg->journal_size);
			}
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&old->lock);
}
