/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_list.c - discovery of the served API version and the LIST of a
 * reflector: page by page (limit/continue), each item decoded on its own,
 * then one diff against what the reflector holds. */
#include "k8s/k8s_watch.h"
#include "k8s/k8s_watch_impl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"
#include "k8s/json.h"
#include "k8s/k8s_client.h"
#include "k8s/k8s_state.h"
#include "k8s/se_policy.h"
#include "k8s/se_registry.h"
#include "k8s/se_zone.h"
#include "k8s/se_pack.h"
#include "k8s/serviceentry.h"

#define LIST_PAGE_LIMIT 500

void k8s_watch_collection_path(const struct reflector *r, char *out, size_t len)
{
	if (r->namespace_)
		snprintf(out, len, "/apis/networking.istio.io/%s/namespaces/%s/serviceentries", r->w->version,
			 r->namespace_);
	else
		snprintf(out, len, "/apis/networking.istio.io/%s/serviceentries", r->w->version);
}

/* The Status message of an error body, for logs. */
void k8s_watch_status_message(const struct k8s_response *resp, char *out, size_t len)
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
int k8s_list_discover_version(struct reflector *r)
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
		k8s_watch_status_message(&resp, msg, sizeof(msg));
		if (resp.status == 404)
			k8s_watch_note_failure(
				w,
				"no ServiceEntry API on %s: networking.istio.io is not served (%s); is "
				"Istio installed?",
				w->auth.host, msg);
		else
			k8s_watch_note_failure(
				w, "discovery of networking.istio.io: %s%s", msg,
				resp.status == 401   ? " (check the token or client certificate)"
				: resp.status == 403 ? " (RBAC: dnsd needs get/list/watch on serviceentries)"
						     : "");
		rc = resp.status == 404 ? DNSD_ENOENT : DNSD_EHTTP;
	} else if (rc != 0) {
		k8s_watch_note_failure(w, "discovery of networking.istio.io: %s",
				       k8s_watch_transport_error(r->list_client, rc));
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
		k8s_watch_note_failure(
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
void k8s_list_object_identity(struct json_span obj, char *out, size_t len)
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

/* Does r hold se's namespace/name at its resourceVersion, listed (not
 * restored)? Then it is marked seen by this LIST. Only r's own thread
 * changes r's entries once r has listed (a restore fills only a reflector
 * that has not), so the answer holds until the merge. */
static bool is_unchanged(struct reflector *r, const struct serviceentry *se)
{
	if (!se_resource_version(se))
		return false;
	pthread_mutex_lock(&r->w->lock);
	struct object *o = objmap_get(&r->objects, se_namespace(se), se_name(se),
				      objmap_hash(se_namespace(se), se_name(se)));
	bool is_same = o && !o->is_from_state && se_resource_version(o->se) &&
		       strcmp(se_resource_version(o->se), se_resource_version(se)) == 0;
	if (is_same)
		o->is_seen = true;
	pthread_mutex_unlock(&r->w->lock);
	return is_same;
}

/* What a LIST brings that r does not hold as it is: new or changed
 * entries, packed, each with its state line. A plain array, freed after
 * the merge: nothing of it outlives the LIST. */
struct fresh_item {
	struct serviceentry *se;
	char *state_line;
	size_t state_len;
};

struct fresh {
	struct fresh_item *items;
	size_t count, cap;
};

static int fresh_add(struct fresh *f, struct serviceentry *se)
{
	if (ARRAY_RESERVE_ONE(f->items, &f->cap, f->count, 256) != 0)
		return DNSD_ENOMEM;
	f->items[f->count++] = (struct fresh_item){ .se = se };
	return 0;
}

static void fresh_clear(struct k8s_watch *w, struct fresh *f)
{
	for (size_t i = 0; i < f->count; i++) {
		k8s_watch_se_free(w, f->items[i].se);
		free(f->items[i].state_line);
	}
	free(f->items);
	*f = (struct fresh){ 0 };
}

/* One page of a LIST: GET it, keep the list's resourceVersion in rv and its
 * continue token in cont ("" after the last page), and decode its items
 * into fresh. Items that are not usable ServiceEntries are skipped, logged
 * and counted; the rest of the page still counts. */
static int list_page(struct reflector *r, const char *base, char *cont, size_t cont_len, char *rv,
		     size_t rv_len, struct fresh *fresh)
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
		k8s_watch_status_message(&resp, msg, sizeof(msg));
		if (resp.status == 410) /* an expired continue token: the list starts over */
			log_info("kubernetes %s: list %s: %s; listing again", w->name, base, msg);
		else
			k8s_watch_note_failure(w, "list %s: %s", base, msg);
		r->backoff_retry_after_s = resp.retry_after_s;
		rc = resp.status == 410 ? DNSD_EGONE : resp.status == 401 ? DNSD_EAUTH : DNSD_EHTTP;
	} else if (rc != 0) {
		k8s_watch_note_failure(w, "list %s: %s", base, k8s_watch_transport_error(r->list_client, rc));
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
		k8s_watch_note_failure(w, "list %s: not a ServiceEntryList (truncated or not JSON)", base);
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
			k8s_list_object_identity(item, who, sizeof(who));
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
			k8s_watch_count_drop(w, SE_DROP_MALFORMED);
			continue;
		}
		if (is_unchanged(r, se)) {
			/* held already as it is: marked seen, nothing kept */
			serviceentry_free(se);
			json_doc_free(doc);
			continue;
		}
		/* packed at once: a LIST of 100,000 holds no parsed entries */
		se = k8s_watch_pack(w, se);
		if (fresh_add(fresh, se) != 0) {
			json_doc_free(doc);
			k8s_watch_se_free(w, se);
			rc = DNSD_ENOMEM;
			continue;
		}
		struct fresh_item *f = &fresh->items[fresh->count - 1];
		f->state_line = k8s_watch_state_line_of(w, json_doc_root(doc), &f->state_len);
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
 * that the LIST did not mark seen (is_unchanged()) nor bring are deleted.
 * Empties fresh. */
static void list_merge_locked(struct reflector *r, struct fresh *fresh, size_t *upserted, size_t *removed)
{
	*upserted = *removed = 0;
	for (size_t i = 0; i < fresh->count; i++) {
		struct fresh_item *f = &fresh->items[i];
		struct object *o = objmap_get(&r->objects, se_namespace(f->se), se_name(f->se),
					      objmap_hash(se_namespace(f->se), se_name(f->se)));
		if (o && !o->is_from_state && se_resource_version(o->se) && se_resource_version(f->se) &&
		    strcmp(se_resource_version(o->se), se_resource_version(f->se)) == 0) {
			o->is_seen = true;
			k8s_watch_se_free(r->w, f->se);
			free(f->state_line);
		} else {
			k8s_watch_upsert_locked(r, f->se, f->state_line, f->state_len);
			++*upserted;
		}
	}
	fresh->count = 0; /* every item's entry and line were handed on */
	fresh_clear(r->w, fresh);
	for (size_t i = 0; i < r->objects.bucket_count; i++) {
		struct object *o = r->objects.buckets[i];
		while (o) {
			struct object *next = o->next;
			if (!o->is_seen) {
				k8s_watch_remove_locked(r, o);
				++*removed;
			}
			o = next;
		}
	}
}

static void set_lists_packing(struct k8s_watch *w, int delta)
{
	pthread_mutex_lock(&w->pack_lock);
	w->lists_packing += (unsigned)delta;
	pthread_mutex_unlock(&w->pack_lock);
}

/* A full LIST, page by page, then one diff against what we hold: entries
 * that did not change are not touched, so a relist costs the catalog only
 * the real differences. The first list of every reflector marks the
 * cluster synced in the catalog. */
int k8s_list_do(struct reflector *r)
{
	struct k8s_watch *w = r->w;
	char base[512], cont[2048] = "", rv[128] = "";
	k8s_watch_collection_path(r, base, sizeof(base));
	struct fresh fresh = { 0 };
	int rc;
	/* what this LIST finds unchanged it marks seen (is_unchanged()) */
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < r->objects.bucket_count; i++)
		for (struct object *o = r->objects.buckets[i]; o; o = o->next)
			o->is_seen = false;
	pthread_mutex_unlock(&w->lock);
	set_lists_packing(w, +1);
	do
		rc = list_page(r, base, cont, sizeof(cont), rv, sizeof(rv), &fresh);
	while (rc == 0 && cont[0]);
	if (rc != 0) {
		fresh_clear(w, &fresh);
		set_lists_packing(w, -1);
		return rc;
	}
	pthread_mutex_lock(&w->lock);
	size_t upserted, removed;
	/* one publication for the whole diff: its additions come before its
	 * deletions, and a snapshot of half of it would serve both the old set
	 * and the new (issue #14, a relist to a completely different set) */
	catalog_hold(w->sink, w->cluster);
	list_merge_locked(r, &fresh, &upserted, &removed);
	catalog_release(w->sink, w->cluster);
	/* the changed entries were packed before the old ones went: the
	 * holes those leave are moved out of now */
	set_lists_packing(w, -1);
	k8s_watch_compact_locked(w);
	snprintf(r->rv, sizeof(r->rv), "%s", rv);
	bool was_synced = r->is_synced, was_stale = r->is_stale;
	pthread_mutex_lock(&w->status_lock);
	snprintf(r->status_rv, sizeof(r->status_rv), "%s", rv);
	r->is_synced = true;
	pthread_mutex_unlock(&w->status_lock);
	if (k8s_watch_all_synced_locked(w))
		atomic_store(&w->is_all_synced, true);
	r->is_stale = false;
	if (!was_synced && k8s_watch_all_serving_locked(w))
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
	k8s_watch_note_sync(w);
	k8s_watch_notify_change(w);
	if (!was_synced)
		log_info("kubernetes %s: listed %zu ServiceEntries%s%s at resourceVersion %s%s", w->name,
			 count, r->namespace_ ? " in " : "", r->namespace_ ? r->namespace_ : "", rv,
			 was_stale ? "; replaces the saved state" : "");
	else
		log_info("kubernetes %s: relisted %zu ServiceEntries%s%s at resourceVersion %s: %zu new or "
			 "changed, %zu deleted",
			 w->name, count, r->namespace_ ? " in " : "", r->namespace_ ? r->namespace_ : "", rv,
			 upserted, removed);
	return 0;
}
