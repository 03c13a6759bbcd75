/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_watch_state.c - a Kubernetes source's entries to and from its last
 * known state (k8s_state.h): what k8s_persist.c saves, and the restore that
 * lets the zones it feeds answer before the first LIST. No file I/O here. */
#include "k8s/k8s_watch.h"
#include "k8s/k8s_watch_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "k8s/json.h"
#include "k8s/k8s_state.h"
#include "k8s/se_pack.h"
#include "util/err.h"
#include "util/log.h"

void k8s_watch_keep_state(struct k8s_watch *w, int change_fd)
{
	w->is_keeping_state = true;
	w->change_fd = change_fd;
}

int64_t k8s_watch_stale_since(const struct k8s_watch *w) { return atomic_load(&w->stale_since_unix); }

/* Copies every state line under the lock (a memcpy per entry; the watch
 * threads wait that long, the query path never). */
int k8s_watch_export_state(struct k8s_watch *w, struct k8s_state **out)
{
	*out = NULL;
	pthread_mutex_lock(&w->lock);
	int rc = 0;
	for (size_t i = 0; i < w->reflector_count; i++)
		if (!w->reflectors[i].is_synced || w->reflectors[i].is_stale)
			rc = DNSD_EAGAIN;
	struct k8s_state *st = rc == 0 ? k8s_state_new(w->name) : NULL;
	if (rc == 0 && !st)
		rc = DNSD_ENOMEM;
	for (size_t i = 0; rc == 0 && i < w->reflector_count; i++) {
		struct reflector *r = &w->reflectors[i];
		rc = k8s_state_add_cursor(st, r->namespace_, r->rv[0] ? r->rv : "0");
		for (size_t b = 0; rc == 0 && b < r->objects.bucket_count; b++)
			for (struct object *o = r->objects.buckets[b]; rc == 0 && o; o = o->next)
				rc = object_state_line(o)
					     ? k8s_state_add_object(st, o->state_line, o->state_len)
					     : DNSD_ENOMEM;
	}
	pthread_mutex_unlock(&w->lock);
	if (rc != 0) {
		k8s_state_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

int k8s_watch_check_state(const struct k8s_watch *w, const struct k8s_state *st, char *err, size_t errlen)
{
	size_t n = k8s_state_cursor_count(st);
	bool is_same = n == w->reflector_count;
	for (size_t i = 0; is_same && i < n; i++) {
		const char *ns = k8s_state_cursor_namespace(st, i);
		bool is_found = false;
		for (size_t j = 0; j < w->reflector_count && !is_found; j++) {
			const char *mine = w->reflectors[j].namespace_;
			is_found = (!ns && !mine) || (ns && mine && strcmp(ns, mine) == 0);
		}
		is_same = is_found;
	}
	if (is_same)
		return 0;
	snprintf(err, errlen,
		 "saved for other namespaces than this source watches (%zu lists saved, %zu configured)", n,
		 w->reflector_count);
	return DNSD_EINVAL;
}

/* The reflector that holds entries of namespace ns, or NULL. */
static struct reflector *reflector_for(struct k8s_watch *w, const char *ns)
{
	for (size_t i = 0; i < w->reflector_count; i++)
		if (!w->reflectors[i].namespace_ || strcmp(w->reflectors[i].namespace_, ns) == 0)
			return &w->reflectors[i];
	return NULL;
}

/* One saved entry into the reflector of its namespace, if that has not
 * listed meanwhile. 0, or DNSD_EPARSE with the reason in err. */
static int restore_one_locked(struct k8s_watch *w, const char *text, size_t len, bool *is_restored, char *err,
			      size_t errlen)
{
	struct json_doc *doc = NULL;
	struct json_error jerr;
	struct serviceentry *se = NULL;
	*is_restored = false;
	if (json_parse(text, len, &doc, &jerr) != 0) {
		snprintf(err, errlen, "bad JSON at column %u: %s", jerr.column, jerr.msg);
		return DNSD_EPARSE;
	}
	int rc = serviceentry_from_json(json_doc_root(doc), &se, err, errlen);
	json_doc_free(doc);
	if (rc != 0) {
		serviceentry_free(se); /* a malformed entry comes back with *out set */
		return DNSD_EPARSE;
	}
	struct reflector *r = reflector_for(w, se_namespace(se));
	char *line = r && !r->is_synced ? strndup(text, len) : NULL;
	if (!line) {
		serviceentry_free(se);
		return 0;
	}
	struct object *o = k8s_watch_upsert_locked(r, se, line, len);
	if (o) {
		o->is_from_state = true;
		*is_restored = true;
	}
	return 0;
}

size_t k8s_watch_restore_state(struct k8s_watch *w, const struct k8s_state *st)
{
	size_t restored = 0;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < k8s_state_object_count(st); i++) {
		size_t len;
		const char *text = k8s_state_object_at(st, i, &len);
		char err[256];
		bool is_restored;
		if (restore_one_locked(w, text, len, &is_restored, err, sizeof(err)) != 0) {
			log_warn("kubernetes %s: skipping saved ServiceEntry %zu: %s", w->name, i + 1, err);
			k8s_watch_count(&w->stats.skipped);
		}
		restored += is_restored;
	}
	bool is_any_stale = false;
	for (size_t i = 0; i < w->reflector_count; i++)
		if (!w->reflectors[i].is_synced) {
			w->reflectors[i].is_stale = true;
			is_any_stale = true;
		}
	if (is_any_stale) {
		atomic_store(&w->stale_since_unix, (int64_t)time(NULL));
		catalog_cluster_stale(w->sink, w->cluster, true);
		catalog_cluster_synced(w->sink, w->cluster);
	}
	pthread_mutex_unlock(&w->lock);
	return restored;
}
