/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_watch.c - list + watch of Istio ServiceEntries for one source: its
 * lifetime and the reflector threads that keep it in step with the API
 * server (the entries: k8s_objects.c; LIST: k8s_list.c; watch lines:
 * k8s_stream.c; /metrics: k8s_watch_metrics.c). Changes go to the catalog as (old, new) pairs;
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
#include "util/thread_prio.h"
#include "k8s/se_policy.h"
#include "k8s/se_registry.h"
#include "k8s/se_zone.h"
#include "k8s/se_pack.h"
#include "k8s/serviceentry.h"

#define WATCH_TIMEOUT_MIN_S 300
/* Watches that fail at one resourceVersion before we relist instead. */
#define WATCH_SAME_RV_FAILURES 3

/* ---------- reflector ---------- */

int64_t k8s_watch_unix_ms(void)
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
__attribute__((format(printf, 2, 3))) void k8s_watch_note_failure(struct k8s_watch *w, const char *fmt, ...)
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
	w->last_error_ms = k8s_watch_unix_ms();
	pthread_mutex_unlock(&w->status_lock);
}

/* Why a request without an HTTP status failed: what the client saw. */
const char *k8s_watch_transport_error(const struct k8s_client *c, int rc)
{
	const char *e = k8s_client_error(c);
	return e && *e ? e : dnsd_strerror(rc);
}

/* A LIST, a bookmark or an event came through; the first after failures
 * says so, once. */
void k8s_watch_note_sync(struct k8s_watch *w)
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

/* Tells the state writer that what the source holds changed. */
void k8s_watch_notify_change(struct k8s_watch *w)
{
	if (w->change_fd < 0)
		return;
	uint64_t one = 1;
	ssize_t n = write(w->change_fd, &one, sizeof(one));
	(void)n;
}

/* The state line of obj, as the API sent it; NULL without state-dir (or
 * out of memory, which then keeps the state from being saved). */
char *k8s_watch_state_line_of(const struct k8s_watch *w, const struct json_value *obj, size_t *len)
{
	char *line = NULL;
	*len = 0;
	if (w->is_keeping_state && k8s_state_encode_object(&line, len, obj) != 0)
		return NULL;
	return line;
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

/* Has every reflector of w finished its first list? */
bool k8s_watch_all_synced_locked(const struct k8s_watch *w)
{
	for (size_t i = 0; i < w->reflector_count; i++)
		if (!w->reflectors[i].is_synced)
			return false;
	return true;
}

/* May the zones w feeds answer: has every reflector listed, or restored
 * its saved entries? */
bool k8s_watch_all_serving_locked(const struct k8s_watch *w)
{
	for (size_t i = 0; i < w->reflector_count; i++)
		if (!w->reflectors[i].is_synced && !w->reflectors[i].is_stale)
			return false;
	return true;
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
	thread_prio_background("dnsd-k8s-watch");
	while (!is_stopped(w) && k8s_list_discover_version(r) != 0) {
		if (back_off(r, 0))
			return NULL;
	}
	bool is_list_needed = true;
	while (!is_stopped(w)) {
		if (is_list_needed) {
			r->backoff_retry_after_s = 0;
			int rc = k8s_list_do(r);
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
		k8s_watch_collection_path(r, base, sizeof(base));
		uint32_t timeout_s = WATCH_TIMEOUT_MIN_S + (uint32_t)(rand() % WATCH_TIMEOUT_MIN_S);
		snprintf(path, sizeof(path),
			 "%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%u", base,
			 r->rv, timeout_s);
		r->is_relist_needed = false;
		r->stream_lines = 0;
		k8s_watch_count(&w->stats.watches);
		struct k8s_response status = { 0 };
		int rc = k8s_client_watch(r->watch_client, path, k8s_stream_line, r, (timeout_s + 60) * 1000u,
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
			k8s_watch_note_failure(
				w, "watch stream broken (%s); resuming from resourceVersion %s",
				rc < 0 ? k8s_watch_transport_error(r->watch_client, rc) : "ended early",
				r->rv);
		} else if (status.status) {
			char msg[300];
			k8s_watch_status_message(&status, msg, sizeof(msg));
			k8s_watch_note_failure(w, "watch: %s", msg);
		} else if (rc != 0 && rc != 1) {
			k8s_watch_note_failure(w, "watch: %s",
					       k8s_watch_transport_error(r->watch_client, rc));
		} else {
			k8s_watch_count(
				&w->stats.request_errors); /* a bad event line: logged by k8s_stream_line */
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
	pthread_mutex_init(&w->pack_lock, NULL);
	slab_init(&w->pack);
	slab_init(&w->object_slab);
	histogram_init(&w->programming, k8s_watch_programming_bounds, K8S_WATCH_PROGRAMMING_BOUNDS);
	if (set_policy(w, ck) != 0) {
		snprintf(err, errlen, "kubernetes %s: out of memory", ck->name);
		goto fail;
	}
	k8s_watch_load_apexes_locked(w);
	char why[512];
	int rc = ck->is_in_cluster ? k8s_auth_in_cluster(&w->auth, why, sizeof(why))
				   : kubeconfig_load(&w->auth, ck->kubeconfig, ck->context, why, sizeof(why));
	if (rc != 0) {
		snprintf(err, errlen, "kubernetes %s: %s", ck->name, why);
		goto fail;
	}
	snprintf(w->auth.name, sizeof(w->auth.name), "%s", ck->name);
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	size_t count = ck->namespaces_count ? ck->namespaces_count : 1;
	w->reflectors = calloc(count, sizeof(*w->reflectors));
	/* counted only once allocated: k8s_watch_free() walks them */
	w->reflector_count = w->reflectors ? count : 0;
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
				k8s_watch_registry_item(w, o->se, &it);
				se_registry_update(w->registry, &it, NULL);
			}
		objmap_clear(w, &r->objects);
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
	slab_clear(&w->pack);
	slab_clear(&w->object_slab);
	pthread_mutex_destroy(&w->pack_lock);
	free(w);
}

void k8s_watch_set_catalog(struct k8s_watch *w, struct catalog *c, const struct config_kubernetes *ck)
{
	pthread_mutex_lock(&w->lock);
	if (set_policy(w, ck) != 0)
		log_error("kubernetes %s: out of memory: keeping the previous host policy", w->name);
	w->sink = c;
	k8s_watch_load_apexes_locked(w);
	for (size_t i = 0; i < w->reflector_count; i++) {
		struct reflector *r = &w->reflectors[i];
		for (size_t b = 0; b < r->objects.bucket_count; b++)
			for (struct object *o = r->objects.buckets[b]; o; o = o->next) {
				/* judged again: the policy or the zones may have changed;
				 * out of the registry while its verdicts change */
				struct se_registry_item it;
				k8s_watch_registry_item(w, o->se, &it);
				if (w->registry)
					se_registry_update(w->registry, &it, NULL);
				struct se_drops before = { 0 };
				for (size_t k = 0; k < o->se->verdict_drops.count; k++) {
					const struct se_drop *x = &o->se->verdict_drops.items[k];
					se_drops_add(&before, x->reason, x->field, x->value, strlen(x->value),
						     x->host, "%s", x->message);
				}
				k8s_watch_judge_locked(w, o->se);
				/* what the new rules refuse that the old did not */
				for (size_t k = 0; k < o->se->verdict_drops.count; k++) {
					const struct se_drop *x = &o->se->verdict_drops.items[k];
					if (k8s_watch_drops_have(&before, x))
						continue;
					char line[SE_DROP_FIELD_MAX + SE_DROP_VALUE_MAX +
						  SE_DROP_MESSAGE_MAX + 32];
					se_drop_format(x, line, sizeof(line));
					log_warn("kubernetes %s: ServiceEntry %s/%s (generation %lld): %s; "
						 "skipped",
						 w->name, se_namespace(o->se), se_name(o->se),
						 (long long)o->se->generation, line);
					k8s_watch_count_drop(w, x->reason);
				}
				se_drops_clear(&before);
				if (w->registry)
					se_registry_update(w->registry, NULL, &it);
				catalog_apply(c, w->cluster, se_zone_records, NULL, o->se);
			}
	}
	if (atomic_load(&w->stale_since_unix))
		catalog_cluster_stale(c, w->cluster, true);
	if (k8s_watch_all_serving_locked(w))
		catalog_cluster_synced(c, w->cluster);
	pthread_mutex_unlock(&w->lock);
}

bool k8s_watch_is_synced(const struct k8s_watch *w)
{
	return atomic_load(&((struct k8s_watch *)w)->is_all_synced);
}

void k8s_watch_get_status(struct k8s_watch *w, struct k8s_watch_status *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", w->name);
	snprintf(out->server, sizeof(out->server), "%s", w->auth.server ? w->auth.server : "");
	/* not under w->lock, which a relist holds while it merges */
	out->is_synced = k8s_watch_is_synced(w);
	out->reflector_count = w->reflector_count < K8S_WATCH_STATUS_REFLECTORS ? w->reflector_count
										: K8S_WATCH_STATUS_REFLECTORS;
	pthread_mutex_lock(&w->status_lock);
	for (size_t i = 0; i < out->reflector_count; i++) {
		snprintf(out->reflectors[i].namespace_, sizeof(out->reflectors[i].namespace_), "%s",
			 w->reflectors[i].namespace_ ? w->reflectors[i].namespace_ : "");
		out->reflectors[i].is_synced = w->reflectors[i].is_synced;
	}
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
