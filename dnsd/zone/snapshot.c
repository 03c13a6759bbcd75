/* SPDX-License-Identifier: BSD-3-Clause
 * snapshot.c - the snapshot's lifetime and its assembly from per-view zone
 * lists. Never swaps or reads the published pointer: that is publish.c. */
#include "zone/snapshot.h"

#include <stdio.h>
#include <stdlib.h>

struct snapshot *snapshot_new(struct view_table *views, const struct snapshot_settings *settings)
{
	size_t n = views->count;
	struct snapshot *s = calloc(1, sizeof(*s) + n * sizeof(s->sets[0]));
	if (!s)
		return NULL;
	view_table_ref(views);
	s->views = views;
	s->settings = *settings;
	s->view_count = n;
	return s;
}

void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->view_count; i++)
		zone_set_free(s->sets[i]);
	view_table_unref(s->views);
	free(s);
}

struct snapshot *snapshot_assemble(const struct config *cfg, struct view_table *views, size_t zones_max,
				   snapshot_zones_fn *zones_of, void *ctx, char *err, size_t errlen)
{
	struct snapshot_settings settings = {
		.udp_payload_max = cfg->udp_payload_max,
		.is_chaos_enabled = cfg->chaos_enabled,
		.is_query_log = cfg->log_queries,
	};
	struct snapshot *s = snapshot_new(views, &settings);
	struct zone **zones = calloc(zones_max ? zones_max : 1, sizeof(*zones));
	if (!s || !zones)
		goto oom;
	for (size_t v = 0; v < s->view_count; v++) {
		size_t n = zones_of(ctx, v, zones);
		s->sets[v] = zone_set_new(zones, n);
		if (!s->sets[v])
			goto oom;
	}
	free(zones);
	return s;
oom:
	snprintf(err, errlen, "out of memory");
	free(zones);
	snapshot_free(s);
	return NULL;
}
