/* SPDX-License-Identifier: BSD-3-Clause
 * snapshot.c - the snapshot's lifetime and its assembly from per-view zone
 * lists. Never swaps or reads the published pointer: that is publish.c. */
#include "zone/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

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

/* The cookie secret made at start when no cookie-secret-file is set: one per
 * process, so a reload keeps every client's server cookie valid. Replicas
 * each have their own, so a client moved to another replica gets a fresh
 * cookie (or, with cookie-require, one BADCOOKIE round): share a
 * cookie-secret-file across replicas to avoid that. */
static uint8_t generated_secret[SIPHASH_KEY_LEN];
static pthread_once_t generated_once = PTHREAD_ONCE_INIT;

static void generate_secret(void)
{
	size_t got = 0;
	while (got < sizeof(generated_secret)) {
		ssize_t n = getrandom(generated_secret + got, sizeof(generated_secret) - got, 0);
		if (n <= 0) {
			/* never a predictable secret silently: say so, and mix in
			 * what is at hand (the cookie still binds to the address) */
			log_error("cookies: getrandom failed; the generated cookie secret is weak, set "
				  "cookie-secret-file");
			uint64_t mix = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull ^ (uint64_t)time(NULL);
			memcpy(generated_secret, &mix, sizeof(mix));
			return;
		}
		got += (size_t)n;
	}
}

static void settings_cookies(const struct config *cfg, struct snapshot_settings *st)
{
	if (cfg->has_cookie_secrets) {
		st->cookie_secrets = cfg->cookie_secrets;
	} else {
		pthread_once(&generated_once, generate_secret);
		memcpy(st->cookie_secrets.current, generated_secret, SIPHASH_KEY_LEN);
		st->cookie_secrets.has_previous = false;
	}
	st->is_cookie_required = cfg->is_cookie_required;
	size_t n = cfg->cookie_allow_count < SNAPSHOT_COOKIE_ALLOW_MAX ? cfg->cookie_allow_count
								       : SNAPSHOT_COOKIE_ALLOW_MAX;
	if (n)
		memcpy(st->cookie_allow, cfg->cookie_allow, n * sizeof(st->cookie_allow[0]));
	st->cookie_allow_count = (uint8_t)n;
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
	settings_cookies(cfg, &settings);
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
