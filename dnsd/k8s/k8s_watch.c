/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_watch.c - list + watch of Istio ServiceEntries for one source: the
 * entries each reflector holds, and the reflector threads that keep them in
 * step with the API server. Changes go to the catalog as (old, new) pairs;
 * nothing here builds zones or touches a published snapshot. The structs
 * live in k8s_watch_impl.h, shared with k8s_watch_state.c (the source's last
 * known state). */
#include "k8s/k8s_watch.h"
#include "k8s/k8s_watch_impl.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "dns/dname.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/histogram.h"
#include "k8s/json.h"
#include "k8s/k8s_client.h"
#include "k8s/k8s_state.h"
#include "k8s/kubeconfig.h"
#include "util/log.h"
#include "util/metrics.h"
#include "k8s/se_policy.h"
#include "k8s/se_registry.h"
#include "k8s/se_zone.h"
#include "k8s/serviceentry.h"

#define LIST_PAGE_LIMIT 500
#define REQUEST_TIMEOUT_MS 60000
#define WATCH_TIMEOUT_MIN_S 300
/* Watches that fail at one resourceVersion before we relist instead. */
#define WATCH_SAME_RV_FAILURES 3

/* ---------- the entries one reflector holds, by namespace/name ---------- */

static struct object *objmap_get(const struct objmap *m, const char *key, uint32_t hash)
{
	if (!m->bucket_count)
		return NULL;
	for (struct object *o = m->buckets[hash & (m->bucket_count - 1)]; o; o = o->next)
		if (o->hash == hash && strcmp(o->key, key) == 0)
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

/* Takes ownership of key and se. */
static struct object *objmap_put(struct objmap *m, char *key, struct serviceentry *se)
{
	if (m->count + 1 > m->bucket_count && objmap_grow(m) != 0)
		return NULL;
	struct object *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->key = key;
	o->hash = hash_fnv1a_str(key);
	o->se = se;
	size_t i = o->hash & (m->bucket_count - 1);
	o->next = m->buckets[i];
	m->buckets[i] = o;
	m->count++;
	return o;
}

static void objmap_unlink(struct objmap *m, struct object *victim)
{
	struct object **p = &m->buckets[victim->hash & (m->bucket_count - 1)];
	while (*p != victim)
		p = &(*p)->next;
	*p = victim->next;
	m->count--;
}

static void object_free(struct object *o)
{
	serviceentry_free(o->se);
	free(o->state_line);
	free(o->key);
	free(o);
}

static void objmap_clear(struct objmap *m)
{
	for (size_t i = 0; i < m->bucket_count; i++) {
		struct object *o = m->buckets[i];
		while (o) {
			struct object *next = o->next;
			object_free(o);
			o = next;
		}
	}
	free(m->buckets);
	memset(m, 0, sizeof(*m));
}

/* ---------- reflector ---------- */

/* Seconds from a watch event's arrival to its publication (CoreDNS's
 * kubernetes_dns_programming_duration_seconds has 1 ms to ~17 min; changes
 * here are served in milliseconds). */
static const double programming_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
};

static int64_t unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool is_stopped(const struct k8s_watch *w)
{
	struct pollfd p = { .fd = w->stop_fd, .events = POLLIN };
	return poll(&p, 1, 0) > 0;
}

/* Sleeps ms, returning early (true) when stopped. */
static bool pause_ms(const struct k8s_watch *w, uint32_t ms)
{
	struct pollfd p = { .fd = w->stop_fd, .events = POLLIN };
	return poll(&p, 1, (int)ms) > 0;
}

/* A request failed: logged once here, with its cause (HTTP status and the
 * API's message, or the address and errno, or OpenSSL's reason), counted,
 * and kept for /status. */
__attribute__((format(printf, 2, 3))) static void note_failure(struct k8s_watch *w, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("kubernetes %s: %s", w->name, msg);
	k8s_watch_count(&w->stats.request_errors);
	pthread_mutex_lock(&w->status_lock);
	w->is_failing = true;
	w->failures++;
	snprintf(w->last_error, sizeof(w->last_error), "%s", msg);
	w->last_error_ms = unix_ms();
	pthread_mutex_unlock(&w->status_lock);
}

/* Why a request without an HTTP status failed: what the client saw. */
static const char *transport_error(const struct k8s_client *c, int rc)
{
	const char *e = k8s_client_error(c);
	return e && *e ? e : dnsd_strerror(rc);
}

/* A LIST, a bookmark or an event came through; the first after failures
 * says so, once. */
static void note_sync(struct k8s_watch *w)
{
	atomic_store_explicit(&w->stats.last_sync_unix, (int64_t)time(NULL), memory_order_relaxed);
	pthread_mutex_lock(&w->status_lock);
	if (w->is_failing) {
		log_info("kubernetes %s: recovered: the API answers again after %u failed attempt%s (last: "
			 "%s)",
			 w->name, w->failures, w->failures == 1 ? "" : "s", w->last_error);
		w->is_failing = false;
		w->failures = 0;
	}
	pthread_mutex_unlock(&w->status_lock);
}

static void count_drop(struct k8s_watch *w, enum se_drop_reason r)
{
	if ((unsigned)r < SE_DROP_REASONS)
		k8s_watch_count(&w->stats.dropped[r]);
}

static bool drops_have(const struct se_drops *d, const struct se_drop *x)
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
static void report_drops(struct k8s_watch *w, const struct serviceentry *old_se,
			 const struct serviceentry *se)
{
	bool is_same_generation = old_se && old_se->generation == se->generation && se->generation != 0;
	const struct se_drops *lists[2] = { &se->drops, &se->verdict_drops };
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->count; i++) {
			const struct se_drop *x = &lists[l]->items[i];
			if (is_same_generation &&
			    (drops_have(&old_se->drops, x) || drops_have(&old_se->verdict_drops, x)))
				continue;
			char line[SE_DROP_FIELD_MAX + SE_DROP_VALUE_MAX + SE_DROP_MESSAGE_MAX + 32];
			se_drop_format(x, line, sizeof(line));
			log_warn("kubernetes %s: ServiceEntry %s/%s (generation %lld): %s; skipped", w->name,
				 se->namespace_, se->name, (long long)se->generation, line);
			count_drop(w, x->reason);
			if (x->reason == SE_DROP_MALFORMED)
				k8s_watch_count(&w->stats.skipped);
		}
	}
}

static void registry_item(const struct k8s_watch *w, const struct serviceentry *se,
			  struct se_registry_item *it)
{
	*it = (struct se_registry_item){ .cluster = w->cluster,
					 .cluster_name = w->name,
					 .entry = se,
					 .namespace_ = se->namespace_,
					 .name = se->name,
					 .hosts = (const char *const *)se->hosts,
					 .is_served = se->host_is_served,
					 .hosts_count = se->hosts_count };
}

/* Registers the change and sends it to the catalog; records the catalog
 * refused (a host beside a zone file's CNAME, say) are reported like the
 * parser's drops. */
static void apply_locked(struct k8s_watch *w, const struct serviceentry *old_se,
			 const struct serviceentry *new_se)
{
	if (w->registry) {
		struct se_registry_item a, b;
		if (old_se)
			registry_item(w, old_se, &a);
		if (new_se)
			registry_item(w, new_se, &b);
		if (se_registry_update(w->registry, old_se ? &a : NULL, new_se ? &b : NULL) != 0)
			log_warn("kubernetes %s: out of memory registering hosts for /names", w->name);
	}
	size_t refused = catalog_apply(w->sink, w->cluster, se_zone_records, old_se, new_se);
	if (refused && new_se) {
		log_warn("kubernetes %s: ServiceEntry %s/%s (generation %lld): records \"%zu\": "
			 "invalid-record: the zone "
			 "refused them (beside a CNAME, or invalid data); skipped",
			 w->name, new_se->namespace_, new_se->name, (long long)new_se->generation, refused);
		count_drop(w, SE_DROP_INVALID_RECORD);
	}
}

/* Tells the state writer that what the source holds changed. */
static void notify_change(struct k8s_watch *w)
{
	if (w->change_fd < 0)
		return;
	uint64_t one = 1;
	ssize_t n = write(w->change_fd, &one, sizeof(one));
	(void)n;
}

/* The state line of obj, as the API sent it; NULL without state-dir (or
 * out of memory, which then keeps the state from being saved). */
static char *state_line_of(const struct k8s_watch *w, const struct json_value *obj, size_t *len)
{
	char *line = NULL;
	*len = 0;
	if (w->is_keeping_state && k8s_state_encode_object(&line, len, obj) != 0)
		return NULL;
	return line;
}

/* The zones the sink lets this source feed, for the verdicts. */
static void load_apexes_locked(struct k8s_watch *w)
{
	const uint8_t *list[WATCH_ZONES_MAX];
	size_t n = catalog_cluster_zones(w->sink, w->cluster, list, WATCH_ZONES_MAX);
	for (size_t i = 0; i < n; i++) {
		memcpy(w->apexes[i], list[i], dname_len(list[i]));
		w->apex_ptrs[i] = w->apexes[i];
	}
	w->apex_count = n;
}

static void judge_locked(struct k8s_watch *w, struct serviceentry *se)
{
	if (se_policy_judge(&w->policy, se, w->apex_ptrs, w->apex_count) != 0)
		log_warn("kubernetes %s: ServiceEntry %s/%s: out of memory judging it", w->name,
			 se->namespace_, se->name);
}

static int set_policy(struct k8s_watch *w, const struct config_kubernetes *ck)
{
	char **trusted = calloc(ck->trusted_namespaces_count ? ck->trusted_namespaces_count : 1,
				sizeof(*trusted));
	if (!trusted)
		return DNSD_ENOMEM;
	for (size_t i = 0; i < ck->trusted_namespaces_count; i++) {
		trusted[i] = strdup(ck->trusted_namespaces[i]);
		if (!trusted[i]) {
			while (i--)
				free(trusted[i]);
			free(trusted);
			return DNSD_ENOMEM;
		}
	}
	for (size_t i = 0; i < w->trusted_count; i++)
		free(w->trusted[i]);
	free(w->trusted);
	w->trusted = trusted;
	w->trusted_count = ck->trusted_namespaces_count;
	w->policy = (struct se_policy){
		.host = ck->host_policy == CONFIG_HOST_POLICY_ANY ? SE_HOST_POLICY_ANY
								  : SE_HOST_POLICY_NAMESPACE,
		.trusted_namespaces = (const char *const *)w->trusted,
		.trusted_count = w->trusted_count,
		.export_to = ck->export_to == CONFIG_EXPORT_TO_IGNORE ? SE_EXPORT_IGNORE
								      : SE_EXPORT_REQUIRE_ALL,
	};
	return 0;
}

static char *object_key(const struct serviceentry *se)
{
	size_t n = strlen(se->namespace_) + strlen(se->name) + 2;
	char *k = malloc(n);
	if (k)
		snprintf(k, n, "%s/%s", se->namespace_, se->name);
	return k;
}

/* ADDED or MODIFIED: replace what we hold under the entry's key. Takes
 * ownership of se and of line (its state line, may be NULL). Returns the
 * object, or NULL when out of memory. */
struct object *k8s_watch_upsert_locked(struct reflector *r, struct serviceentry *se, char *line,
				       size_t line_len)
{
	struct k8s_watch *w = r->w;
	char *key = object_key(se);
	if (!key) {
		serviceentry_free(se);
		free(line);
		return NULL;
	}
	struct object *o = objmap_get(&r->objects, key, hash_fnv1a_str(key));
	judge_locked(w, se);
	report_drops(w, o ? o->se : NULL, se);
	if (o) {
		free(key);
		apply_locked(w, o->se, se);
		serviceentry_free(o->se);
		free(o->state_line);
		o->se = se;
		o->state_line = line;
		o->state_len = line_len;
		o->is_from_state = false;
		o->is_seen = true;
		return o;
	}
	apply_locked(w, NULL, se);
	o = objmap_put(&r->objects, key, se);
	if (!o) {
		apply_locked(w, se, NULL);
		free(key);
		serviceentry_free(se);
		free(line);
		return NULL;
	}
	o->state_line = line;
	o->state_len = line_len;
	o->is_seen = true;
	atomic_fetch_add(&w->stats.objects, 1);
	return o;
}

/* Withdraws o's records from the catalog and forgets o. */
static void remove_locked(struct reflector *r, struct object *o)
{
	struct k8s_watch *w = r->w;
	apply_locked(w, o->se, NULL);
	objmap_unlink(&r->objects, o);
	object_free(o);
	atomic_fetch_sub(&w->stats.objects, 1);
}

static void delete_locked(struct reflector *r, const char *ns, const char *name)
{
	char key[512];
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	struct object *o = objmap_get(&r->objects, key, hash_fnv1a_str(key));
	if (o)
		remove_locked(r, o);
}

/* Has every reflector of w finished its first list? */
static bool all_synced_locked(const struct k8s_watch *w)
{
	for (size_t i = 0; i < w->reflector_count; i++)
		if (!w->reflectors[i].is_synced)
			return false;
	return true;
}

/* May the zones w feeds answer: has every reflector listed, or restored
 * its saved entries? */
static bool all_serving_locked(const struct k8s_watch *w)
{
	for (size_t i = 0; i < w->reflector_count; i++)
		if (!w->reflectors[i].is_synced && !w->reflectors[i].is_stale)
			return false;
	return true;
}

static void collection_path(const struct reflector *r, char *out, size_t len)
{
	if (r->namespace_)
		snprintf(out, len, "/apis/networking.istio.io/%s/namespaces/%s/serviceentries", r->w->version,
			 r->namespace_);
	else
		snprintf(out, len, "/apis/networking.istio.io/%s/serviceentries", r->w->version);
}

/* The Status message of an error body, for logs. */
static void status_message(const struct k8s_response *resp, char *out, size_t len)
{
	snprintf(out, len, "HTTP %d", resp->status);
	struct json_doc *doc = NULL;
	struct json_error jerr;
	if (resp->body && json_parse(resp->body, resp->body_len, &doc, &jerr) == 0) {
		const struct json_value *m = json_get(json_doc_root(doc), "message");
		size_t mlen;
		const char *s = m ? json_get_string(m, &mlen) : NULL;
		if (s)
			snprintf(out, len, "HTTP %d: %s", resp->status, s);
	} else if (resp->body && resp->body_len) {
		/* e.g. the text/plain body of an API Priority and Fairness 429 */
		snprintf(out, len, "HTTP %d: %.*s", resp->status,
			 (int)(resp->body_len > 200 ? 200 : resp->body_len), resp->body);
		out[strcspn(out, "\n")] = '\0';
	}
	json_doc_free(doc);
}

/* Discovery: the first of v1, v1beta1, v1alpha3 that the group serves. */
static int discover_version(struct reflector *r)
{
	struct k8s_watch *w = r->w;
	if (w->api_version[0]) {
		snprintf(w->version, sizeof(w->version), "%s", w->api_version);
		pthread_mutex_lock(&w->status_lock);
		snprintf(w->status_version, sizeof(w->status_version), "%s", w->api_version);
		pthread_mutex_unlock(&w->status_lock);
		return 0;
	}
	struct k8s_response resp = { 0 };
	int rc = k8s_client_get(r->list_client, "/apis/networking.istio.io", &resp, REQUEST_TIMEOUT_MS);
	if (rc == 0 && resp.status != 200) {
		char msg[300];
		status_message(&resp, msg, sizeof(msg));
		if (resp.status == 404)
			note_failure(w,
				     "no ServiceEntry API on %s: networking.istio.io is not served (%s); is "
				     "Istio installed?",
				     w->auth.host, msg);
		else
			note_failure(w, "discovery of networking.istio.io: %s%s", msg,
				     resp.status == 401 ? " (check the token or client certificate)"
				     : resp.status == 403
					     ? " (RBAC: dnsd needs get/list/watch on serviceentries)"
					     : "");
		rc = resp.status == 404 ? DNSD_ENOENT : DNSD_EHTTP;
	} else if (rc != 0) {
		note_failure(w, "discovery of networking.istio.io: %s", transport_error(r->list_client, rc));
	}
	if (rc != 0) {
		k8s_response_clear(&resp);
		return rc;
	}
	struct json_doc *doc = NULL;
	struct json_error jerr;
	rc = DNSD_EPARSE;
	if (json_parse(resp.body, resp.body_len, &doc, &jerr) == 0) {
		const struct json_value *versions = json_get(json_doc_root(doc), "versions");
		static const char *const wanted[] = { "v1", "v1beta1", "v1alpha3" };
		for (size_t k = 0; k < 3 && rc != 0; k++) {
			for (size_t i = 0; versions && i < json_array_count(versions); i++) {
				const struct json_value *v = json_get(json_array_at(versions, i), "version");
				size_t len;
				const char *s = v ? json_get_string(v, &len) : NULL;
				if (s && strcmp(s, wanted[k]) == 0) {
					snprintf(w->version, sizeof(w->version), "%s", wanted[k]);
					pthread_mutex_lock(&w->status_lock);
					snprintf(w->status_version, sizeof(w->status_version), "%s",
						 wanted[k]);
					pthread_mutex_unlock(&w->status_lock);
					rc = 0;
					break;
				}
			}
		}
	}
	if (rc != 0)
		note_failure(
			w,
			"no ServiceEntry API on %s: networking.istio.io serves none of v1, v1beta1, v1alpha3",
			w->auth.host);
	else
		log_info("kubernetes %s: using networking.istio.io/%s", w->name, w->version);
	json_doc_free(doc);
	k8s_response_clear(&resp);
	return rc;
}

/* "namespace/name at resourceVersion N" of an object that may not parse:
 * its metadata alone, found by scanning, for the log. */
static void object_identity(struct json_span obj, char *out, size_t len)
{
	struct json_span meta;
	struct json_doc *doc = NULL;
	snprintf(out, len, "(no readable metadata)");
	if (json_scan_member(obj.text, obj.len, "metadata", &meta) != 0 ||
	    json_parse(meta.text, meta.len, &doc, NULL) != 0)
		return;
	const struct json_value *m = json_doc_root(doc);
	const char *ns = json_get_string(json_get(m, "namespace"), NULL);
	const char *name = json_get_string(json_get(m, "name"), NULL);
	const char *rv = json_get_string(json_get(m, "resourceVersion"), NULL);
	snprintf(out, len, "%s/%s at resourceVersion %s", ns ? ns : "?", name ? name : "?", rv ? rv : "?");
	json_doc_free(doc);
}

/* One page of a LIST: GET it, keep the list's resourceVersion in rv and its
 * continue token in cont ("" after the last page), and decode its items
 * into fresh. Items that are not usable ServiceEntries are skipped, logged
 * and counted; the rest of the page still counts. */
static int list_page(struct reflector *r, const char *base, char *cont, size_t cont_len, char *rv,
		     size_t rv_len, struct objmap *fresh)
{
	struct k8s_watch *w = r->w;
	char path[4096];
	if (cont[0])
		snprintf(path, sizeof(path), "%s?limit=%d&continue=%s", base, LIST_PAGE_LIMIT, cont);
	else
		snprintf(path, sizeof(path), "%s?limit=%d", base, LIST_PAGE_LIMIT);
	struct k8s_response resp = { 0 };
	int rc = k8s_client_get(r->list_client, path, &resp, REQUEST_TIMEOUT_MS);
	if (rc == 0 && resp.status != 200) {
		char msg[300];
		status_message(&resp, msg, sizeof(msg));
		if (resp.status == 410) /* an expired continue token: the list starts over */
			log_info("kubernetes %s: list %s: %s; listing again", w->name, base, msg);
		else
			note_failure(w, "list %s: %s", base, msg);
		r->backoff_retry_after_s = resp.retry_after_s;
		rc = resp.status == 410 ? DNSD_EGONE : resp.status == 401 ? DNSD_EAUTH : DNSD_EHTTP;
	} else if (rc != 0) {
		note_failure(w, "list %s: %s", base, transport_error(r->list_client, rc));
	}
	if (rc != 0) {
		k8s_response_clear(&resp);
		return rc;
	}
	/* Each item is parsed on its own: one that is not JSON costs only
	 * itself, and only one object's tree is held at a time. */
	struct json_span meta_span, items_span, item;
	struct json_doc *doc = NULL;
	struct json_error jerr;
	if (json_scan_member(resp.body, resp.body_len, "items", &items_span) != 0 ||
	    json_scan_member(resp.body, resp.body_len, "metadata", &meta_span) != 0 ||
	    json_parse(meta_span.text, meta_span.len, &doc, &jerr) != 0) {
		note_failure(w, "list %s: not a ServiceEntryList (truncated or not JSON)", base);
		k8s_response_clear(&resp);
		return DNSD_EPARSE;
	}
	const struct json_value *meta = json_doc_root(doc);
	size_t slen;
	const struct json_value *v = json_get(meta, "resourceVersion");
	const char *s = v ? json_get_string(v, &slen) : NULL;
	if (s)
		snprintf(rv, rv_len, "%s", s);
	v = json_get(meta, "continue");
	s = v ? json_get_string(v, &slen) : NULL;
	snprintf(cont, cont_len, "%s", s ? s : "");
	json_doc_free(doc);
	size_t pos = 0;
	int more;
	while (rc == 0 && (more = json_scan_next(items_span.text, items_span.len, &pos, &item)) == 1) {
		struct serviceentry *se = NULL;
		char err[256];
		if (json_parse(item.text, item.len, &doc, &jerr) != 0) {
			char who[400];
			object_identity(item, who, sizeof(who));
			log_warn("kubernetes %s: skipping ServiceEntry %s: bad JSON at byte %zu: %s", w->name,
				 who, jerr.offset, jerr.msg);
			k8s_watch_count(&w->stats.undecodable);
			k8s_watch_count(&w->stats.skipped);
			continue;
		}
		if (serviceentry_from_json(json_doc_root(doc), &se, err, sizeof(err)) != 0 && !se) {
			/* no namespace/name to hold it by (a stand-in is held, so its
			 * reason is reported once, not at every relist) */
			json_doc_free(doc);
			log_warn("kubernetes %s: skipping ServiceEntry: %s", w->name, err);
			k8s_watch_count(&w->stats.skipped);
			count_drop(w, SE_DROP_MALFORMED);
			continue;
		}
		char *key = object_key(se);
		struct object *f = key ? objmap_put(fresh, key, se) : NULL;
		if (!f) {
			json_doc_free(doc);
			free(key);
			serviceentry_free(se);
			rc = DNSD_ENOMEM;
			continue;
		}
		f->state_line = state_line_of(w, json_doc_root(doc), &f->state_len);
		json_doc_free(doc);
	}
	if (rc == 0 && more < 0) {
		log_warn("kubernetes %s: list %s: the items array is cut short", w->name, base);
		rc = DNSD_EPARSE;
	}
	k8s_response_clear(&resp);
	return rc;
}

/* The diff of a relist: entries in fresh become ours (an entry whose
 * resourceVersion did not change is not touched, unless it was restored from
 * the state file: a rebuilt API server may number differently), and ours
 * that fresh lacks are deleted. Empties fresh. */
static void list_merge_locked(struct reflector *r, struct objmap *fresh)
{
	for (size_t i = 0; i < r->objects.bucket_count; i++)
		for (struct object *o = r->objects.buckets[i]; o; o = o->next)
			o->is_seen = false;
	for (size_t i = 0; i < fresh->bucket_count; i++) {
		struct object *f = fresh->buckets[i];
		while (f) {
			struct object *next = f->next;
			struct object *o = objmap_get(&r->objects, f->key, f->hash);
			if (o && !o->is_from_state && o->se->resource_version && f->se->resource_version &&
			    strcmp(o->se->resource_version, f->se->resource_version) == 0) {
				o->is_seen = true;
				serviceentry_free(f->se);
				free(f->state_line);
			} else {
				k8s_watch_upsert_locked(r, f->se, f->state_line, f->state_len);
			}
			free(f->key);
			free(f);
			f = next;
		}
		fresh->buckets[i] = NULL;
	}
	objmap_clear(fresh);
	for (size_t i = 0; i < r->objects.bucket_count; i++) {
		struct object *o = r->objects.buckets[i];
		while (o) {
			struct object *next = o->next;
			if (!o->is_seen)
				remove_locked(r, o);
			o = next;
		}
	}
}

/* A full LIST, page by page, then one diff against what we hold: entries
 * that did not change are not touched, so a relist costs the catalog only
 * the real differences. The first list of every reflector marks the
 * cluster synced in the catalog. */
static int do_list(struct reflector *r)
{
	struct k8s_watch *w = r->w;
	char base[512], cont[2048] = "", rv[128] = "";
	collection_path(r, base, sizeof(base));
	struct objmap fresh = { 0 };
	int rc;
	do
		rc = list_page(r, base, cont, sizeof(cont), rv, sizeof(rv), &fresh);
	while (rc == 0 && cont[0]);
	if (rc != 0) {
		objmap_clear(&fresh);
		return rc;
	}
	pthread_mutex_lock(&w->lock);
	list_merge_locked(r, &fresh);
	snprintf(r->rv, sizeof(r->rv), "%s", rv);
	pthread_mutex_lock(&w->status_lock);
	snprintf(r->status_rv, sizeof(r->status_rv), "%s", rv);
	pthread_mutex_unlock(&w->status_lock);
	bool was_synced = r->is_synced, was_stale = r->is_stale;
	r->is_synced = true;
	r->is_stale = false;
	if (!was_synced && all_serving_locked(w))
		catalog_cluster_synced(w->sink, w->cluster);
	bool is_any_stale = false;
	for (size_t i = 0; i < w->reflector_count; i++)
		is_any_stale = is_any_stale || w->reflectors[i].is_stale;
	if (!is_any_stale)
		atomic_store(&w->stale_since_unix, 0);
	if (was_stale && !is_any_stale)
		catalog_cluster_stale(w->sink, w->cluster, false);
	size_t count = r->objects.count;
	pthread_mutex_unlock(&w->lock);
	note_sync(w);
	notify_change(w);
	if (!was_synced)
		log_info("kubernetes %s: listed %zu ServiceEntries%s%s at resourceVersion %s%s", w->name,
			 count, r->namespace_ ? " in " : "", r->namespace_ ? r->namespace_ : "", rv,
			 was_stale ? "; replaces the saved state" : "");
	return 0;
}

/* Keeps obj's metadata.resourceVersion, where a resumed watch starts. Under
 * the lock: the state writer reads it (k8s_watch_export_state()). */
static void note_resource_version(struct reflector *r, const struct json_value *obj)
{
	const struct json_value *v = json_get_path(obj, "metadata", "resourceVersion", NULL);
	size_t len;
	const char *s = v ? json_get_string(v, &len) : NULL;
	if (!s)
		return;
	pthread_mutex_lock(&r->w->lock);
	snprintf(r->rv, sizeof(r->rv), "%s", s);
	pthread_mutex_unlock(&r->w->lock);
	pthread_mutex_lock(&r->w->status_lock);
	snprintf(r->status_rv, sizeof(r->status_rv), "%s", s);
	pthread_mutex_unlock(&r->w->status_lock);
}

/* An ERROR event carries a Status object: 410 Gone means our
 * resourceVersion is too old and only a relist helps. Always ends the stream. */
static int watch_error(struct reflector *r, const struct json_value *obj)
{
	struct k8s_watch *w = r->w;
	k8s_watch_count(&w->stats.error_events);
	int64_t code = 0;
	const struct json_value *cv = json_get(obj, "code");
	if (cv)
		json_get_int64(cv, &code);
	const struct json_value *mv = json_get(obj, "message");
	size_t mlen;
	const char *msg = mv ? json_get_string(mv, &mlen) : NULL;
	log_info("kubernetes %s: watch ERROR %lld: %s", w->name, (long long)code, msg ? msg : "");
	if (code == 410)
		r->is_relist_needed = true;
	return 1;
}

/* ADDED, MODIFIED or DELETED (type[0] tells them apart). An object that is
 * not a usable ServiceEntry is held as a stand-in without records (see
 * serviceentry_from_json), or, without even a namespace and name, skipped. */
static void watch_change(struct reflector *r, const char *type, const struct json_value *obj,
			 uint64_t arrival_ns)
{
	struct k8s_watch *w = r->w;
	note_resource_version(r, obj);
	struct serviceentry *se = NULL;
	char err[256];
	if (serviceentry_from_json(obj, &se, err, sizeof(err)) != 0 && !se) {
		log_warn("kubernetes %s: skipping ServiceEntry: %s", w->name, err);
		k8s_watch_count(&w->stats.skipped);
		count_drop(w, SE_DROP_MALFORMED);
		if (type[0] != 'D')
			return;
		const struct json_value *ns = json_get_path(obj, "metadata", "namespace", NULL);
		const struct json_value *nm = json_get_path(obj, "metadata", "name", NULL);
		size_t l1, l2;
		const char *a = ns ? json_get_string(ns, &l1) : NULL,
			   *b = nm ? json_get_string(nm, &l2) : NULL;
		if (a && b) {
			pthread_mutex_lock(&w->lock);
			delete_locked(r, a, b);
			pthread_mutex_unlock(&w->lock);
			notify_change(w);
		}
		return;
	}
	size_t state_len = 0;
	char *state_line = type[0] == 'D' ? NULL : state_line_of(w, obj, &state_len);
	pthread_mutex_lock(&w->lock);
	if (type[0] == 'D') {
		k8s_watch_count(&w->stats.events_deleted);
		delete_locked(r, se->namespace_, se->name);
		serviceentry_free(se);
	} else {
		k8s_watch_count(type[0] == 'A' ? &w->stats.events_added : &w->stats.events_modified);
		k8s_watch_upsert_locked(r, se, state_line, state_len);
	}
	/* its wait for the publication that serves it is observed then */
	catalog_note_event(w->sink, arrival_ns, &w->programming);
	pthread_mutex_unlock(&w->lock);
	notify_change(w);
	pthread_mutex_lock(&w->status_lock);
	w->last_event_ms = unix_ms();
	pthread_mutex_unlock(&w->status_lock);
}

/* A watch line that is not JSON. Lines are framed by newlines, so the next
 * one is read whatever this one holds: reopening from the same
 * resourceVersion would only bring it back. An event whose object can be
 * told (by scanning) is skipped like a malformed ServiceEntry, and its
 * resourceVersion kept; a DELETED one still removes what it names. */
static int watch_line_undecodable(struct reflector *r, const char *line, size_t len,
				  const struct json_error *jerr)
{
	struct k8s_watch *w = r->w;
	struct json_span obj, type;
	char who[400] = "";
	struct json_doc *meta = NULL;
	k8s_watch_count(&w->stats.undecodable);
	if (json_scan_member(line, len, "object", &obj) == 0 &&
	    json_scan_member(line, len, "type", &type) == 0) {
		object_identity(obj, who, sizeof(who));
		struct json_span ms;
		if (json_scan_member(obj.text, obj.len, "metadata", &ms) == 0 &&
		    json_parse(ms.text, ms.len, &meta, NULL) == 0) {
			const struct json_value *m = json_doc_root(meta);
			const char *ns = json_get_string(json_get(m, "namespace"), NULL);
			const char *name = json_get_string(json_get(m, "name"), NULL);
			const char *rv = json_get_string(json_get(m, "resourceVersion"), NULL);
			if (rv) {
				snprintf(r->rv, sizeof(r->rv), "%s", rv);
				pthread_mutex_lock(&w->status_lock);
				snprintf(r->status_rv, sizeof(r->status_rv), "%s", rv);
				pthread_mutex_unlock(&w->status_lock);
			}
			if (ns && name && type.len == 9 && memcmp(type.text, "\"DELETED\"", 9) == 0) {
				pthread_mutex_lock(&w->lock);
				delete_locked(r, ns, name);
				pthread_mutex_unlock(&w->lock);
			}
			json_doc_free(meta);
		}
		k8s_watch_count(&w->stats.skipped);
		log_warn("kubernetes %s: skipping ServiceEntry %s in a watch event: bad JSON at byte %zu: %s",
			 w->name, who, jerr->offset, jerr->msg);
		return 0;
	}
	log_warn("kubernetes %s: skipping a watch line that is not JSON (%zu bytes, at byte %zu: %s) after "
		 "resourceVersion %s",
		 w->name, len, jerr->offset, jerr->msg, r->rv);
	return 0;
}

/* One line of the watch stream: {"type": ..., "object": {...}}. Returns 1
 * to end the stream (an ERROR event), 0 to read on. Unknown event types,
 * and lines that are not events, are skipped. */
static int watch_line(void *ctx, const char *line, size_t len)
{
	struct reflector *r = ctx;
	struct k8s_watch *w = r->w;
	struct json_doc *doc = NULL;
	struct json_error jerr;
	if (len == 0)
		return 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t arrival_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	r->stream_lines++;
	if (json_parse(line, len, &doc, &jerr) != 0)
		return watch_line_undecodable(r, line, len, &jerr);
	const struct json_value *root = json_doc_root(doc);
	const struct json_value *tv = json_get(root, "type");
	const struct json_value *obj = json_get(root, "object");
	size_t tlen;
	const char *type = tv ? json_get_string(tv, &tlen) : NULL;
	int stop = 0;
	if (!type || !obj) {
		/* valid JSON, but no event: the framing still holds, read on */
		log_warn("kubernetes %s: skipping a watch line that is not an event (%zu bytes) after "
			 "resourceVersion %s",
			 w->name, len, r->rv);
		k8s_watch_count(&w->stats.undecodable);
	} else if (strcmp(type, "ERROR") == 0) {
		stop = watch_error(r, obj);
	} else if (strcmp(type, "BOOKMARK") == 0) {
		note_resource_version(r, obj);
		k8s_watch_count(&w->stats.bookmarks);
		note_sync(w);
	} else if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0 ||
		   strcmp(type, "DELETED") == 0) {
		watch_change(r, type, obj, arrival_ns);
		note_sync(w);
	}
	json_doc_free(doc);
	return stop;
}

/* Waits out the back-off; true when stopped meanwhile. */
static bool back_off(struct reflector *r, uint32_t retry_after_s)
{
	uint32_t ms = k8s_backoff_next_ms(&r->backoff, retry_after_s);
	log_debug("kubernetes %s: retrying in %u ms", r->w->name, ms);
	return pause_ms(r->w, ms);
}

static void *reflector_main(void *arg)
{
	struct reflector *r = arg;
	struct k8s_watch *w = r->w;
	while (!is_stopped(w) && discover_version(r) != 0) {
		if (back_off(r, 0))
			return NULL;
	}
	bool is_list_needed = true;
	while (!is_stopped(w)) {
		if (is_list_needed) {
			r->backoff_retry_after_s = 0;
			int rc = do_list(r);
			if (rc == DNSD_EGONE) {
				/* an expired continue token: start the list over at once */
				k8s_watch_count(&w->stats.relists);
				continue;
			}
			if (rc != 0) {
				/* counted and logged where it failed */
				if (back_off(r, r->backoff_retry_after_s))
					break;
				continue;
			}
			is_list_needed = false;
			k8s_backoff_reset(&r->backoff);
		}
		char base[512], path[1024];
		collection_path(r, base, sizeof(base));
		uint32_t timeout_s = WATCH_TIMEOUT_MIN_S + (uint32_t)(rand() % WATCH_TIMEOUT_MIN_S);
		snprintf(path, sizeof(path),
			 "%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%u", base,
			 r->rv, timeout_s);
		r->is_relist_needed = false;
		r->stream_lines = 0;
		k8s_watch_count(&w->stats.watches);
		struct k8s_response status = { 0 };
		int rc = k8s_client_watch(r->watch_client, path, watch_line, r, (timeout_s + 60) * 1000u,
					  &status);
		if (is_stopped(w)) {
			k8s_response_clear(&status);
			break;
		}
		if (r->is_relist_needed || rc == DNSD_EGONE) {
			k8s_watch_count(&w->stats.relists);
			is_list_needed = true;
			k8s_response_clear(&status);
			continue;
		}
		if (rc == 0 && status.status == 200) {
			/* the server ended the stream (timeoutSeconds): resume */
			k8s_backoff_reset(&r->backoff);
			k8s_response_clear(&status);
			continue;
		}
		if (status.status == 200 && r->stream_lines > 0) {
			/* the stream worked before it broke (an apiserver or load
			 * balancer went away): not a reason to slow down further */
			k8s_backoff_reset(&r->backoff);
		}
		if (status.status == 200) {
			note_failure(w, "watch stream broken (%s); resuming from resourceVersion %s",
				     rc < 0 ? transport_error(r->watch_client, rc) : "ended early", r->rv);
		} else if (status.status) {
			char msg[300];
			status_message(&status, msg, sizeof(msg));
			note_failure(w, "watch: %s", msg);
		} else if (rc != 0 && rc != 1) {
			note_failure(w, "watch: %s", transport_error(r->watch_client, rc));
		} else {
			k8s_watch_count(
				&w->stats.request_errors); /* a bad event line: logged by watch_line */
		}
		/* a watch that keeps failing where it starts would loop forever on
		 * whatever waits there: after a few tries relist, still backing off */
		if (strcmp(r->failed_rv, r->rv) == 0) {
			r->failed_count++;
		} else {
			snprintf(r->failed_rv, sizeof(r->failed_rv), "%s", r->rv);
			r->failed_count = 1;
		}
		if (r->failed_count >= WATCH_SAME_RV_FAILURES) {
			log_warn("kubernetes %s: watch failed %u times at resourceVersion %s; relisting",
				 w->name, r->failed_count, r->rv);
			r->failed_count = 0;
			r->failed_rv[0] = '\0';
			k8s_watch_count(&w->stats.relists);
			is_list_needed = true;
		}
		uint32_t retry_after = status.retry_after_s;
		k8s_response_clear(&status);
		if (back_off(r, retry_after))
			break;
	}
	return NULL;
}

struct k8s_watch *k8s_watch_new(const struct config_kubernetes *ck, unsigned cluster, struct catalog *sink,
				struct se_registry *registry, char *err, size_t errlen)
{
	struct k8s_watch *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->cluster = cluster;
	snprintf(w->api_version, sizeof(w->api_version), "%s", ck->api_version ? ck->api_version : "");
	w->sink = sink;
	w->registry = registry;
	w->stop_fd = -1;
	w->change_fd = -1;
	snprintf(w->name, sizeof(w->name), "%s", ck->name);
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->status_lock, NULL);
	histogram_init(&w->programming, programming_bounds,
		       sizeof(programming_bounds) / sizeof(programming_bounds[0]));
	if (set_policy(w, ck) != 0) {
		snprintf(err, errlen, "kubernetes %s: out of memory", ck->name);
		goto fail;
	}
	load_apexes_locked(w);
	char why[512];
	int rc = ck->is_in_cluster ? k8s_auth_in_cluster(&w->auth, why, sizeof(why))
				   : kubeconfig_load(&w->auth, ck->kubeconfig, ck->context, why, sizeof(why));
	if (rc != 0) {
		snprintf(err, errlen, "kubernetes %s: %s", ck->name, why);
		goto fail;
	}
	snprintf(w->auth.name, sizeof(w->auth.name), "%s", ck->name);
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->reflector_count = ck->namespaces_count ? ck->namespaces_count : 1;
	w->reflectors = calloc(w->reflector_count, sizeof(*w->reflectors));
	if (w->stop_fd < 0 || !w->reflectors) {
		snprintf(err, errlen, "kubernetes %s: out of resources", ck->name);
		goto fail;
	}
	for (size_t i = 0; i < w->reflector_count; i++) {
		struct reflector *r = &w->reflectors[i];
		r->w = w;
		/* copied: the configuration may be replaced by a reload */
		r->namespace_ = ck->namespaces_count ? strdup(ck->namespaces[i]) : NULL;
		k8s_backoff_init(&r->backoff);
		r->list_client = k8s_client_new(&w->auth, w->stop_fd, why, sizeof(why));
		r->watch_client = r->list_client ? k8s_client_new(&w->auth, w->stop_fd, why, sizeof(why))
						 : NULL;
		if (!r->watch_client) {
			snprintf(err, errlen, "kubernetes %s: %s", ck->name, why);
			goto fail;
		}
	}
	return w;
fail:
	k8s_watch_free(w);
	return NULL;
}

int k8s_watch_start(struct k8s_watch *w)
{
	for (size_t i = 0; i < w->reflector_count; i++) {
		struct reflector *r = &w->reflectors[i];
		if (pthread_create(&r->thread, NULL, reflector_main, r) != 0)
			return DNSD_EIO;
		r->has_thread = true;
	}
	return 0;
}

/* Aborts blocked requests and joins the threads. */
static void k8s_watch_stop(struct k8s_watch *w)
{
	if (!w || w->stop_fd < 0)
		return;
	uint64_t one = 1;
	ssize_t n = write(w->stop_fd, &one, sizeof(one));
	(void)n;
	for (size_t i = 0; i < w->reflector_count; i++) {
		if (w->reflectors[i].has_thread)
			pthread_join(w->reflectors[i].thread, NULL);
		w->reflectors[i].has_thread = false;
	}
}

void k8s_watch_free(struct k8s_watch *w)
{
	if (!w)
		return;
	k8s_watch_stop(w);
	for (size_t i = 0; w->reflectors && i < w->reflector_count; i++) {
		struct reflector *r = &w->reflectors[i];
		k8s_client_free(r->list_client);
		k8s_client_free(r->watch_client);
		for (size_t b = 0; w->registry && b < r->objects.bucket_count; b++)
			for (struct object *o = r->objects.buckets[b]; o; o = o->next) {
				struct se_registry_item it;
				registry_item(w, o->se, &it);
				se_registry_update(w->registry, &it, NULL);
			}
		objmap_clear(&r->objects);
		free(r->namespace_);
	}
	free(w->reflectors);
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	k8s_auth_clear(&w->auth);
	for (size_t i = 0; i < w->trusted_count; i++)
		free(w->trusted[i]);
	free(w->trusted);
	pthread_mutex_destroy(&w->lock);
	pthread_mutex_destroy(&w->status_lock);
	free(w);
}

void k8s_watch_set_catalog(struct k8s_watch *w, struct catalog *c, const struct config_kubernetes *ck)
{
	pthread_mutex_lock(&w->lock);
	if (set_policy(w, ck) != 0)
		log_error("kubernetes %s: out of memory: keeping the previous host policy", w->name);
	w->sink = c;
	load_apexes_locked(w);
	for (size_t i = 0; i < w->reflector_count; i++) {
		struct reflector *r = &w->reflectors[i];
		for (size_t b = 0; b < r->objects.bucket_count; b++)
			for (struct object *o = r->objects.buckets[b]; o; o = o->next) {
				/* judged again: the policy or the zones may have changed;
				 * out of the registry while its verdicts change */
				struct se_registry_item it;
				registry_item(w, o->se, &it);
				if (w->registry)
					se_registry_update(w->registry, &it, NULL);
				struct se_drops before = { 0 };
				for (size_t k = 0; k < o->se->verdict_drops.count; k++) {
					const struct se_drop *x = &o->se->verdict_drops.items[k];
					se_drops_add(&before, x->reason, x->field, x->value, strlen(x->value),
						     x->host, "%s", x->message);
				}
				judge_locked(w, o->se);
				/* what the new rules refuse that the old did not */
				for (size_t k = 0; k < o->se->verdict_drops.count; k++) {
					const struct se_drop *x = &o->se->verdict_drops.items[k];
					if (drops_have(&before, x))
						continue;
					char line[SE_DROP_FIELD_MAX + SE_DROP_VALUE_MAX +
						  SE_DROP_MESSAGE_MAX + 32];
					se_drop_format(x, line, sizeof(line));
					log_warn("kubernetes %s: ServiceEntry %s/%s (generation %lld): %s; "
						 "skipped",
						 w->name, o->se->namespace_, o->se->name,
						 (long long)o->se->generation, line);
					count_drop(w, x->reason);
				}
				se_drops_clear(&before);
				if (w->registry)
					se_registry_update(w->registry, NULL, &it);
				catalog_apply(c, w->cluster, se_zone_records, NULL, o->se);
			}
	}
	if (atomic_load(&w->stale_since_unix))
		catalog_cluster_stale(c, w->cluster, true);
	if (all_serving_locked(w))
		catalog_cluster_synced(c, w->cluster);
	pthread_mutex_unlock(&w->lock);
}

bool k8s_watch_is_synced(const struct k8s_watch *w)
{
	pthread_mutex_lock((pthread_mutex_t *)&w->lock);
	bool all = all_synced_locked(w);
	pthread_mutex_unlock((pthread_mutex_t *)&w->lock);
	return all;
}

void k8s_watch_get_status(struct k8s_watch *w, struct k8s_watch_status *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", w->name);
	snprintf(out->server, sizeof(out->server), "%s", w->auth.server ? w->auth.server : "");
	pthread_mutex_lock(&w->lock);
	out->is_synced = all_synced_locked(w);
	out->reflector_count = w->reflector_count < K8S_WATCH_STATUS_REFLECTORS ? w->reflector_count
										: K8S_WATCH_STATUS_REFLECTORS;
	for (size_t i = 0; i < out->reflector_count; i++) {
		snprintf(out->reflectors[i].namespace_, sizeof(out->reflectors[i].namespace_), "%s",
			 w->reflectors[i].namespace_ ? w->reflectors[i].namespace_ : "");
		out->reflectors[i].is_synced = w->reflectors[i].is_synced;
	}
	pthread_mutex_unlock(&w->lock);
	pthread_mutex_lock(&w->status_lock);
	if (w->status_version[0])
		snprintf(out->api_version, sizeof(out->api_version), "networking.istio.io/%s",
			 w->status_version);
	for (size_t i = 0; i < out->reflector_count; i++)
		snprintf(out->reflectors[i].resource_version, sizeof(out->reflectors[i].resource_version),
			 "%s", w->reflectors[i].status_rv);
	snprintf(out->last_error, sizeof(out->last_error), "%s", w->last_error);
	out->last_error_ms = w->last_error_ms;
	out->last_event_ms = w->last_event_ms;
	out->is_failing = w->is_failing;
	pthread_mutex_unlock(&w->status_lock);
	out->serviceentries = atomic_load_explicit(&w->stats.objects, memory_order_relaxed);
	out->skipped = atomic_load_explicit(&w->stats.skipped, memory_order_relaxed);
	for (size_t r = 0; r < SE_DROP_REASONS; r++)
		out->dropped[r] = atomic_load_explicit(&w->stats.dropped[r], memory_order_relaxed);
	out->stale_since_ms = k8s_watch_stale_since(w) * 1000;
	out->errors = atomic_load_explicit(&w->stats.request_errors, memory_order_relaxed);
	out->last_sync_ms = atomic_load_explicit(&w->stats.last_sync_unix, memory_order_relaxed) * 1000;
}

const char *k8s_watch_name(const struct k8s_watch *w) { return w->name; }

#define LOAD(w, x) atomic_load_explicit(&(w)->stats.x, memory_order_relaxed)

/* One counter or gauge per source: its value for w. */
struct watch_family {
	const char *name;
	enum metrics_type type;
	const char *help;
	int64_t (*value)(const struct k8s_watch *w);
};

static int64_t errors_of(const struct k8s_watch *w) { return (int64_t)LOAD(w, request_errors); }
static int64_t relists_of(const struct k8s_watch *w) { return (int64_t)LOAD(w, relists); }
static int64_t watches_of(const struct k8s_watch *w) { return (int64_t)LOAD(w, watches); }
static int64_t objects_of(const struct k8s_watch *w) { return (int64_t)LOAD(w, objects); }
static int64_t skipped_of(const struct k8s_watch *w) { return (int64_t)LOAD(w, skipped); }
static int64_t undecodable_of(const struct k8s_watch *w) { return (int64_t)LOAD(w, undecodable); }
static int64_t last_sync_of(const struct k8s_watch *w) { return LOAD(w, last_sync_unix); }
static int64_t synced_of(const struct k8s_watch *w) { return k8s_watch_is_synced(w) ? 1 : 0; }
static int64_t stale_of(const struct k8s_watch *w) { return k8s_watch_stale_since(w) ? 1 : 0; }
static int64_t stale_since_of(const struct k8s_watch *w) { return k8s_watch_stale_since(w); }

static const struct watch_family watch_families[] = {
	{ "dnsd_kubernetes_errors_total", METRICS_COUNTER, "Failed API requests and broken watch streams.",
	  errors_of },
	{ "dnsd_kubernetes_relists_total", METRICS_COUNTER,
	  "Relists after 410 Gone, an expired continue token or repeated watch failures.", relists_of },
	{ "dnsd_kubernetes_watches_total", METRICS_COUNTER, "Watch requests opened.", watches_of },
	{ "dnsd_kubernetes_serviceentries", METRICS_GAUGE, "ServiceEntries held.", objects_of },
	{ "dnsd_kubernetes_serviceentries_skipped_total", METRICS_COUNTER,
	  "Malformed ServiceEntries skipped.", skipped_of },
	{ "dnsd_kubernetes_undecodable_total", METRICS_COUNTER,
	  "List items and watch lines that were not JSON, skipped.", undecodable_of },
	{ "dnsd_kubernetes_last_sync_timestamp_seconds", METRICS_GAUGE,
	  "Last successful list or watch event.", last_sync_of },
	{ "dnsd_kubernetes_synced", METRICS_GAUGE, "1 once the first list completed.", synced_of },
	{ "dnsd_kubernetes_stale", METRICS_GAUGE,
	  "1 while the source serves entries saved by an earlier run (state-dir), no LIST yet.", stale_of },
	{ "dnsd_kubernetes_stale_since_timestamp_seconds", METRICS_GAUGE,
	  "When the source started serving saved entries; 0 when it serves none.", stale_since_of },
};

void k8s_watch_collect_metrics(struct k8s_watch *const *watches, size_t count, struct metrics_out *m)
{
	if (count == 0)
		return;
	/* the exposition format wants each family's samples together:
	 * family by family, one sample per source */
	static const char events[] = "dnsd_kubernetes_events_total";
	metrics_family(m, events, METRICS_COUNTER, "Watch events received, by cluster and type.");
	for (size_t i = 0; i < count; i++) {
		const struct k8s_watch *w = watches[i];
		const struct {
			const char *type;
			uint64_t count;
		} by_type[] = {
			{ "ADDED", LOAD(w, events_added) },     { "MODIFIED", LOAD(w, events_modified) },
			{ "DELETED", LOAD(w, events_deleted) }, { "BOOKMARK", LOAD(w, bookmarks) },
			{ "ERROR", LOAD(w, error_events) },
		};
		for (size_t k = 0; k < sizeof(by_type) / sizeof(by_type[0]); k++) {
			const struct metrics_label labels[] = { { "cluster", w->name },
								{ "type", by_type[k].type } };
			metrics_sample(m, events, labels, 2, by_type[k].count);
		}
	}
	static const char dropped[] = "dnsd_kubernetes_dropped_total";
	metrics_family(m, dropped, METRICS_COUNTER,
		       "Pieces of ServiceEntries not served, by cluster and reason (each logged at warn once "
		       "per object generation).");
	for (size_t i = 0; i < count; i++)
		for (int r = 0; r < SE_DROP_REASONS; r++) {
			const struct metrics_label labels[] = {
				{ "cluster", watches[i]->name },
				{ "reason", se_drop_reason_name((enum se_drop_reason)r) }
			};
			metrics_sample(m, dropped, labels, 2, LOAD(watches[i], dropped[r]));
		}
	for (size_t f = 0; f < sizeof(watch_families) / sizeof(watch_families[0]); f++) {
		const struct watch_family *wf = &watch_families[f];
		metrics_family(m, wf->name, wf->type, wf->help);
		for (size_t i = 0; i < count; i++) {
			const struct metrics_label cluster = { "cluster", watches[i]->name };
			metrics_sample_int(m, wf->name, &cluster, 1, wf->value(watches[i]));
		}
	}
	static const char programming[] = "dnsd_kubernetes_programming_duration_seconds";
	metrics_family(m, programming, METRICS_HISTOGRAM,
		       "Time from a watch event's arrival to the publication of the first snapshot that "
		       "serves it, by cluster.");
	for (size_t i = 0; i < count; i++) {
		const struct metrics_label cluster = { "cluster", watches[i]->name };
		uint64_t counts[sizeof(programming_bounds) / sizeof(programming_bounds[0]) + 1];
		double sum = histogram_read(&watches[i]->programming, counts);
		metrics_histogram(m, programming, &cluster, 1, programming_bounds, counts,
				  sizeof(programming_bounds) / sizeof(programming_bounds[0]), sum);
	}
}
#undef LOAD
