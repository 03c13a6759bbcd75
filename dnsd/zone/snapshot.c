/* SPDX-License-Identifier: BSD-3-Clause
 * snapshot.c - the snapshot's lifetime and its assembly from per-view zone
 * lists. Never swaps or reads the published pointer: that is publish.c. */
#include "zone/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	xfr_policy_unref(s->xfr);
	free(s);
}

/* The identity NSID and id.server report: identity: as configured, else
 * $HOSTNAME (Kubernetes sets it to the pod name), else the host name. */
static void settings_identity(const struct config *cfg, struct snapshot_settings *st)
{
	char host[256] = "";
	const char *id = cfg->identity;
	if (!id || !*id)
		id = getenv("HOSTNAME");
	if (!id || !*id) {
		if (gethostname(host, sizeof(host) - 1) != 0)
			host[0] = '\0';
		id = host;
	}
	size_t len = strlen(id);
	if (len > sizeof(st->identity))
		len = sizeof(st->identity); /* a TXT string and NSID both fit 255 */
	memcpy(st->identity, id, len);
	st->identity_len = (uint8_t)len;
}

struct snapshot *snapshot_assemble(const struct config *cfg, struct view_table *views, size_t zones_max,
				   snapshot_zones_fn *zones_of, void *ctx, char *err, size_t errlen)
{
	struct snapshot_settings settings = {
		.udp_payload_max = cfg->udp_payload_max,
		.is_chaos_enabled = cfg->chaos_enabled,
		.is_query_log = cfg->log_queries,
		.is_nsid_enabled = cfg->is_nsid_enabled,
		.is_id_server_enabled = cfg->is_id_server_enabled,
	};
	if (settings.is_nsid_enabled || settings.is_id_server_enabled)
		settings_identity(cfg, &settings);
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
