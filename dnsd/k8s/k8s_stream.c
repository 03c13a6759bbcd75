/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_stream.c - one line of a watch stream: ADDED, MODIFIED, DELETED,
 * BOOKMARK and ERROR events, and the lines that are none of them (skipped,
 * logged and counted; the stream reads on). */
#include "k8s/k8s_watch.h"
#include "k8s/k8s_watch_impl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

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
		k8s_watch_count_drop(w, SE_DROP_MALFORMED);
		if (type[0] != 'D')
			return;
		const struct json_value *ns = json_get_path(obj, "metadata", "namespace", NULL);
		const struct json_value *nm = json_get_path(obj, "metadata", "name", NULL);
		size_t l1, l2;
		const char *a = ns ? json_get_string(ns, &l1) : NULL,
			   *b = nm ? json_get_string(nm, &l2) : NULL;
		if (a && b) {
			pthread_mutex_lock(&w->lock);
			k8s_watch_delete_locked(r, a, b);
			pthread_mutex_unlock(&w->lock);
			k8s_watch_notify_change(w);
		}
		return;
	}
	size_t state_len = 0;
	char *state_line = type[0] == 'D' ? NULL : k8s_watch_state_line_of(w, obj, &state_len);
	pthread_mutex_lock(&w->lock);
	if (type[0] == 'D') {
		k8s_watch_count(&w->stats.events_deleted);
		k8s_watch_delete_locked(r, se_namespace(se), se_name(se));
		serviceentry_free(se);
	} else {
		k8s_watch_count(type[0] == 'A' ? &w->stats.events_added : &w->stats.events_modified);
		k8s_watch_upsert_locked(r, se, state_line, state_len);
	}
	/* its wait for the publication that serves it is observed then */
	catalog_note_event(w->sink, arrival_ns, &w->programming);
	pthread_mutex_unlock(&w->lock);
	k8s_watch_notify_change(w);
	pthread_mutex_lock(&w->status_lock);
	w->last_event_ms = k8s_watch_unix_ms();
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
		k8s_list_object_identity(obj, who, sizeof(who));
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
				k8s_watch_delete_locked(r, ns, name);
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
int k8s_stream_line(void *ctx, const char *line, size_t len)
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
		k8s_watch_note_sync(w);
	} else if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0 ||
		   strcmp(type, "DELETED") == 0) {
		watch_change(r, type, obj, arrival_ns);
		k8s_watch_note_sync(w);
	}
	json_doc_free(doc);
	return stop;
}
