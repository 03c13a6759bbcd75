/* SPDX-License-Identifier: BSD-3-Clause
 * catalog.c - zone files -> builders -> frozen zones -> per-view zone sets. */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dname.h"
#include "err.h"
#include "log.h"
#include "zone_build.h"
#include "zonefile.h"

struct catalog_zone {
	const struct config_zone *cz;
	struct zone_build *builder;
	struct zone *frozen;           /* one reference held */
};

struct catalog {
	const struct config *cfg;
	struct catalog_zone *zones;
	size_t zone_count;
	struct view_table *views;      /* one reference held */
};

static int catalog_zone_load(struct catalog_zone *z, char *err, size_t errlen)
{
	uint8_t apex[DNAME_MAX_LEN];
	if (dname_from_text(apex, z->cz->name) < 0) {
		snprintf(err, errlen, "zone %s: not a valid domain name", z->cz->name);
		return DNSD_EINVAL;
	}
	z->builder = zone_build_new(apex, z->cz->ttl_s);
	if (!z->builder) {
		snprintf(err, errlen, "zone %s: out of memory", z->cz->name);
		return DNSD_ENOMEM;
	}
	if (z->cz->file) {
		int rc = zonefile_load(z->builder, z->cz->file, z->cz->ttl_s, err, errlen);
		if (rc != 0)
			return rc;
	}
	/* a zone without a file (fed by Kubernetes) still needs SOA and NS;
	 * the serial starts from the clock so it only moves forward across restarts */
	int rc = zone_build_add_default_soa(z->builder, (uint32_t)time(NULL));
	if (rc != 0) {
		snprintf(err, errlen, "zone %s: %s", z->cz->name, dnsd_strerror(rc));
		return rc;
	}
	char ferr[256];
	z->frozen = zone_build_freeze(z->builder, ferr, sizeof(ferr));
	if (!z->frozen) {
		snprintf(err, errlen, "%s: %s", z->cz->file ? z->cz->file : z->cz->name, ferr);
		return DNSD_EZONE;
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
	c->cfg = cfg;
	c->zones = calloc(cfg->zones_count ? cfg->zones_count : 1, sizeof(*c->zones));
	c->views = view_table_new(cfg);
	if (!c->zones || !c->views) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->zone_count = cfg->zones_count;
	for (size_t i = 0; i < cfg->zones_count; i++) {
		c->zones[i].cz = &cfg->zones[i];
		if (catalog_zone_load(&c->zones[i], err, errlen) != 0)
			goto fail;
	}
	return c;
fail:
	catalog_free(c);
	return NULL;
}

void catalog_free(struct catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->zone_count; i++) {
		zone_build_free(c->zones[i].builder);
		zone_unref(c->zones[i].frozen);
	}
	free(c->zones);
	if (c->views)
		view_table_unref(c->views);
	free(c);
}

static struct catalog_zone *catalog_find(struct catalog *c, const char *name)
{
	for (size_t i = 0; i < c->zone_count; i++)
		if (strcmp(c->zones[i].cz->name, name) == 0)
			return &c->zones[i];
	return NULL;
}

struct snapshot *catalog_snapshot(struct catalog *c, char *err, size_t errlen)
{
	const struct config *cfg = c->cfg;
	struct snapshot_settings settings = {
		.udp_payload_max = cfg->udp_payload_max,
		.is_chaos_enabled = cfg->chaos_enabled,
		.is_query_log = cfg->log_queries,
	};
	struct snapshot *s = snapshot_new(c->views, &settings);
	struct zone **list = calloc(c->zone_count ? c->zone_count : 1, sizeof(*list));
	if (!s || !list)
		goto oom;
	for (size_t v = 0; v < s->view_count; v++) {
		size_t n = 0;
		if (cfg->views_count == 0) {
			for (size_t i = 0; i < c->zone_count; i++)
				list[n++] = c->zones[i].frozen;
		} else {
			const struct config_view *cv = &cfg->views[v];
			if (cv->zones_count == 0) {
				for (size_t i = 0; i < c->zone_count; i++)
					list[n++] = c->zones[i].frozen;
			}
			for (size_t j = 0; j < cv->zones_count; j++) {
				struct catalog_zone *z = catalog_find(c, cv->zones[j]);
				if (!z) {
					snprintf(err, errlen, "view %s: unknown zone %s", cv->name, cv->zones[j]);
					goto fail;
				}
				list[n++] = z->frozen;
			}
		}
		s->sets[v] = zone_set_new(list, n);
		if (!s->sets[v])
			goto oom;
	}
	free(list);
	return s;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	free(list);
	snapshot_free(s);
	return NULL;
}

size_t catalog_zone_count(const struct catalog *c) { return c->zone_count; }

size_t catalog_record_count(const struct catalog *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->zone_count; i++)
		n += c->zones[i].frozen ? c->zones[i].frozen->record_count : 0;
	return n;
}
