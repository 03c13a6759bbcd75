/* SPDX-License-Identifier: BSD-3-Clause
 * main.c - command line, start-up order, signals. Wires the modules together
 * and does nothing else: config -> catalog (zones) -> first publication ->
 * server (sockets, then privileges dropped) -> admin and sources -> main
 * loop -> shutdown in reverse. Builds, swaps and frees no snapshot itself. */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "conf/config.h"
#include "conf/filewatch.h"
#include "k8s/k8s_persist.h"
#include "k8s/k8s_watch.h"
#include "k8s/se_explain.h"
#include "k8s/se_registry.h"
#include "server/admin.h"
#include "server/notify.h"
#include "server/server.h"
#include "server/transfer.h"
#include "util/err.h"
#include "util/file.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/thread_prio.h"
#include "zone/catalog.h"
#include "zone/publish.h"
#include "zone/publisher.h"

#define DEFAULT_CONFIG "/etc/dnsd/dnsd.yaml"
#define DRAIN_MS 2000
/* A file change reloads after this much quiet, so that a burst of writes
 * (an editor, several files of one ConfigMap update) is one reload. */
#define FILE_QUIET_MS 100

struct daemon {
	const char *config_path;
	struct config *cfg;
	struct catalog *catalog;
	struct server *server;
	struct admin *admin;
	struct event_base *base;
	struct event *signals[3];      /* SIGHUP, SIGTERM, SIGINT */
	struct k8s_watch **watches;    /* one per kubernetes source */
	struct k8s_persist **persists; /* its last known state with state-dir, else NULL */
	size_t watch_count;
	struct se_registry *registry;  /* every source's hosts, for /names and conflicts */
	const struct config *next_cfg; /* a reload's configuration while the sources move over */
	struct event *ready_timer;     /* until READY=1 has been sent */
	struct event *lameduck_timer;  /* armed by SIGTERM: ends lameduck */
	bool is_lameduck;              /* SIGTERM came: /ready fails, queries are still answered */
	struct filewatch *files;       /* the config and zone files (reload-on-change), or NULL */
	struct event *files_ev;        /* files' descriptor readable */
	struct event *files_timer;     /* FILE_QUIET_MS after a change: reload */
	char changed[4096];            /* the first file that changed since the last reload */
	struct notifier *notifier;     /* NOTIFY after each publication */
};

/* catalog_published_fn: secondaries hear of every change. */
static void published_hook(void *ctx, const struct snapshot *s)
{
	struct daemon *d = ctx;
	notify_snapshot(d->notifier, s);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: dnsd [-c FILE] [-t] [-p] [-V] [-h]\n"
		     "  -c FILE  configuration file (default " DEFAULT_CONFIG ")\n"
		     "  -t       check the configuration and zone files, then exit 0 or 1\n"
		     "  -p       print every option with its default and help, then exit\n"
		     "  -V       print the version\n"
		     "  -h       this help\n"
		     "dnsd runs in the foreground and logs to stderr.\n");
}

/* Loads config and zones; on success *cfg and *cat are new. On failure the
 * message ("file:line: reason") is logged and left in err. */
static int load_all(const char *path, struct config **cfg, struct catalog **cat, char *err, size_t errlen)
{
	*cfg = NULL;
	*cat = NULL;
	int rc = config_load(path, cfg, err, errlen);
	if (rc != 0) {
		log_error("%s", err);
		return rc;
	}
	*cat = catalog_new(*cfg, err, errlen);
	if (!*cat) {
		log_error("%s", err);
		config_free(*cfg);
		*cfg = NULL;
		return DNSD_EINVAL;
	}
	return 0;
}

/* Settings that live in sockets and threads need a restart to change. */
static void warn_restart_only(const struct config *old, const struct config *new)
{
	bool same = old->listen_count == new->listen_count && old->workers == new->workers &&
		    old->tcp_idle_timeout_ms == new->tcp_idle_timeout_ms &&
		    old->tcp_max_connections == new->tcp_max_connections;
	for (size_t i = 0; same && i < old->listen_count; i++)
		same = strcmp(old->listen[i].text, new->listen[i].text) == 0;
	if (!same)
		log_warn("reload: listen, workers and tcp settings take effect after a restart");
	/* the UDP threads choose their I/O once, at start */
	if (old->udp_io != new->udp_io || old->udp_batch_wait_us != new->udp_batch_wait_us)
		log_warn("reload: udp-io and udp-batch-wait-us take effect after a restart");
	/* the PROXY allowlist is copied into the server at start */
	same = old->proxy_protocol_count == new->proxy_protocol_count;
	for (size_t i = 0; same && i < old->proxy_protocol_count; i++) {
		const struct config_prefix *x = &old->proxy_protocol[i], *y = &new->proxy_protocol[i];
		same = x->family == y->family && x->len == y->len && x->is_negated == y->is_negated &&
		       memcmp(x->addr, y->addr, sizeof(x->addr)) == 0;
	}
	if (!same)
		log_warn("reload: proxy-protocol takes effect after a restart");
	/* the sources' state writers live across reloads, as the sources do */
	same = ((!old->state_dir && !new->state_dir) ||
		(old->state_dir && new->state_dir &&strcmp(old->state_dir, new->state_dir) == 0)) &&
	       old->stale_start_timeout_ms == new->stale_start_timeout_ms &&
	       old->state_write_interval_ms == new->state_write_interval_ms;
	if (!same)
		log_warn("reload: state-dir, stale-start-timeout-ms and state-write-interval-ms take effect "
			 "after a restart");
}

/* The Kubernetes sources live across reloads (their threads hold the
 * watched state); changing them needs a restart. */
static bool same_sources(const struct config *a, const struct config *b)
{
	if (a->kubernetes_count != b->kubernetes_count)
		return false;
	for (size_t i = 0; i < a->kubernetes_count; i++) {
		const struct config_kubernetes *x = &a->kubernetes[i], *y = &b->kubernetes[i];
#define SAME(f) ((!x->f && !y->f) || (x->f && y->f && strcmp(x->f, y->f) == 0))
		if (!SAME(name) || !SAME(kubeconfig) || !SAME(context) || !SAME(api_version) ||
		    x->is_in_cluster != y->is_in_cluster || x->namespaces_count != y->namespaces_count)
			return false;
#undef SAME
		for (size_t j = 0; j < x->namespaces_count; j++)
			if (strcmp(x->namespaces[j], y->namespaces[j]) != 0)
				return false;
	}
	return true;
}

/* publisher_attach_fn: the Kubernetes sources move to the new catalog. */
static void attach_sources(void *ctx, struct catalog *next)
{
	struct daemon *d = ctx;
	for (size_t i = 0; i < d->watch_count; i++)
		k8s_watch_set_catalog(d->watches[i], next, &d->next_cfg->kubernetes[i]);
}

static void watch_files(struct daemon *d);

/* SIGHUP, or a changed file (sniproxy/NSD style): build everything aside,
 * then swap; on any error keep serving the old state. trigger says why, for
 * the log and /status. */
static void reload(struct daemon *d, const char *trigger)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct config *cfg;
	struct catalog *cat;
	char err[1024] = "";
	/* this reload reads every file as it is now: a change waiting for its
	 * quiet period needs no reload of its own */
	if (d->files_timer)
		evtimer_del(d->files_timer);
	d->changed[0] = '\0';
	log_info("reload (%s): reading %s", trigger, d->config_path);
	admin_notify("RELOADING=1");
	if (load_all(d->config_path, &cfg, &cat, err, sizeof(err)) != 0)
		goto fail;
	if (!same_sources(d->cfg, cfg)) {
		snprintf(err, sizeof(err), "%s: the kubernetes sources changed; that needs a restart",
			 d->config_path);
		log_error("reload: %s", err);
		catalog_free(cat);
		config_free(cfg);
		goto fail;
	}
	warn_restart_only(d->cfg, cfg);
	log_set_level(cfg->log_level);
	thread_prio_set_background_nice((int)cfg->background_nice);
	catalog_set_publish_hook(cat, published_hook, d);
	d->next_cfg = cfg;
	uint64_t generation = publisher_take_over(d->catalog, cat, attach_sources, d);
	d->next_cfg = NULL;
	/* rrl: a new table swapped in under the UDP threads (server_set_rrl);
	 * unchanged settings keep the table and its buckets */
	if (!config_rrl_equal(d->cfg, cfg)) {
		char rerr[256];
		if (server_set_rrl(d->server, cfg, rerr, sizeof(rerr)) != 0)
			log_error("reload: %s; keeping the previous rrl settings", rerr);
	}
	config_free(d->cfg);
	d->cfg = cfg;
	d->catalog = cat;
	malloc_trim(0);
	admin_note_reload(d->admin, true, trigger, NULL);
	admin_notify("READY=1");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("reload: done, generation %llu, %zu zones, %zu records, %.1f ms",
		 (unsigned long long)generation, catalog_zone_count(cat), catalog_record_count(cat),
		 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	watch_files(d);
	return;
fail:
	log_error("reload failed: keeping the previous configuration and zones");
	admin_note_reload(d->admin, false, trigger, err);
	admin_notify("READY=1");
	watch_files(d); /* the config in force, and the file that failed, are watched */
}

/* ---------- reload on change ---------- */

/* Watches the config file and the zone files of the config in force. */
static void watch_files(struct daemon *d)
{
	if (!d->files)
		return;
	const char **paths = calloc(d->cfg->zones_count + 1, sizeof(*paths));
	if (!paths) {
		log_error("reload-on-change: out of memory");
		return;
	}
	size_t n = 0;
	paths[n++] = d->config_path;
	for (size_t i = 0; i < d->cfg->zones_count; i++)
		if (d->cfg->zones[i].file)
			paths[n++] = d->cfg->zones[i].file;
	char err[512];
	if (filewatch_set(d->files, paths, n, err, sizeof(err)) != 0)
		log_warn("reload-on-change: %s", err);
	free(paths);
}

static void files_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	char trigger[sizeof(d->changed) + 16];
	snprintf(trigger, sizeof(trigger), "%s changed", d->changed);
	reload(d, trigger);
}

static void files_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	char path[sizeof(d->changed)];
	int rc = filewatch_read(d->files, path, sizeof(path));
	if (rc < 0) {
		log_warn("reload-on-change: reading inotify events: %s", dnsd_strerror(rc));
		return;
	}
	if (rc == 0)
		return;
	log_info("reload: %s changed", path);
	/* the watch only stats; what the reload reads goes through the opener
	 * (util/file.h), which refuses a target replaced by a directory, a FIFO
	 * or a device at once: say so now, naming it (the reload then fails,
	 * counted in dnsd_reload_failures_total, and the running state stays) */
	char ferr[sizeof(path) + 64];
	int frc = file_check_regular(path, SIZE_MAX, ferr, sizeof(ferr));
	if (frc != 0 && frc != DNSD_ENOENT)
		log_error("reload-on-change: %s; the reload will refuse it and keep the running state", ferr);
	if (!d->changed[0])
		snprintf(d->changed, sizeof(d->changed), "%s", path);
	struct timeval tv = { 0, FILE_QUIET_MS * 1000 };
	evtimer_add(d->files_timer, &tv); /* re-armed: the quiet period starts again */
}

/* reload-on-change: inotify on the files, their events on the main loop. */
static void start_file_watch(struct daemon *d)
{
	if (!d->cfg->is_reload_on_change)
		return;
	char err[256];
	d->files = filewatch_new(err, sizeof(err));
	if (!d->files) {
		log_warn("reload-on-change: %s; reload with SIGHUP", err);
		return;
	}
	d->files_ev = event_new(d->base, filewatch_fd(d->files), EV_READ | EV_PERSIST, files_cb, d);
	d->files_timer = evtimer_new(d->base, files_timer_cb, d);
	if (!d->files_ev || !d->files_timer || event_add(d->files_ev, NULL) != 0) {
		log_warn("reload-on-change: out of memory; reload with SIGHUP");
		return;
	}
	watch_files(d);
}

/* Names the sources that serve saved state into why; false if none does. */
static bool stale_sources(const struct daemon *d, char *why, size_t why_len)
{
	size_t off = 0;
	for (size_t i = 0; i < d->watch_count; i++) {
		int64_t since = k8s_watch_stale_since(d->watches[i]);
		if (!since)
			continue;
		char when[32];
		time_t t = (time_t)since;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		int n = snprintf(why + off, off < why_len ? why_len - off : 0,
				 "%skubernetes %s stale since %s", off ? ", " : "",
				 k8s_watch_name(d->watches[i]), when);
		if (n > 0)
			off += (size_t)n;
	}
	return off > 0;
}

/* Serving saved state counts as ready (README "Last known state"): those
 * answers are the last the API gave, and an unready replica would take all
 * of them away during the outage they are kept for. The body says which
 * sources are stale. */
static bool ready_hook(void *arg, char *why, size_t why_len)
{
	struct daemon *d = arg;
	if (d->is_lameduck) {
		snprintf(why, why_len, "lameduck: shutting down, still answering");
		return false;
	}
	if (!catalog_is_ready(d->catalog, why, why_len))
		return false;
	stale_sources(d, why, why_len);
	return true;
}

static void kv_time(struct jsonw *w, const char *key, int64_t unix_ms)
{
	jsonw_key(w, key);
	if (unix_ms <= 0) {
		jsonw_null(w);
		return;
	}
	char text[40];
	admin_format_time(unix_ms, text, sizeof(text));
	jsonw_string(w, text);
}

/* /status's "kubernetes": one object per source. */
static void sources_status(void *arg, struct jsonw *w)
{
	struct daemon *d = arg;
	jsonw_array_begin(w);
	for (size_t i = 0; i < d->watch_count; i++) {
		struct k8s_watch_status *st = malloc(sizeof(*st));
		if (!st)
			break;
		k8s_watch_get_status(d->watches[i], st);
		jsonw_object_begin(w);
		jsonw_kv_string(w, "name", st->name);
		jsonw_kv_string(w, "server", st->server);
		jsonw_key(w, "synced");
		jsonw_bool(w, st->is_synced);
		jsonw_kv_string(w, "api_version", st->api_version);
		jsonw_kv_string(w, "resource_version",
				st->reflector_count ? st->reflectors[0].resource_version : "");
		jsonw_kv_uint(w, "serviceentries", st->serviceentries);
		jsonw_key(w, "skipped");
		jsonw_object_begin(w);
		jsonw_kv_uint(w, "total", st->skipped);
		jsonw_object_end(w);
		jsonw_key(w, "dropped");
		jsonw_object_begin(w);
		for (size_t r = 0; r < SE_DROP_REASONS; r++)
			jsonw_kv_uint(w, se_drop_reason_name((enum se_drop_reason)r), st->dropped[r]);
		jsonw_object_end(w);
		kv_time(w, "stale_since", st->stale_since_ms);
		jsonw_kv_uint(w, "errors", st->errors);
		jsonw_key(w, "failing");
		jsonw_bool(w, st->is_failing);
		jsonw_key(w, "last_error");
		if (st->last_error[0]) {
			jsonw_object_begin(w);
			kv_time(w, "time", st->last_error_ms);
			jsonw_kv_string(w, "message", st->last_error);
			jsonw_object_end(w);
		} else {
			jsonw_null(w);
		}
		kv_time(w, "last_event", st->last_event_ms);
		kv_time(w, "last_sync", st->last_sync_ms);
		jsonw_key(w, "namespaces");
		jsonw_array_begin(w);
		for (size_t r = 0; r < st->reflector_count; r++) {
			jsonw_object_begin(w);
			jsonw_kv_string(w, "namespace", st->reflectors[r].namespace_);
			jsonw_key(w, "synced");
			jsonw_bool(w, st->reflectors[r].is_synced);
			jsonw_kv_string(w, "resource_version", st->reflectors[r].resource_version);
			jsonw_object_end(w);
		}
		jsonw_array_end(w);
		jsonw_object_end(w);
		free(st);
	}
	jsonw_array_end(w);
}

/* The sources' and the publisher's metric families; /metrics runs it on
 * the main loop, the thread that swaps d->catalog on reload. */
static void collect_sources(void *arg, struct metrics_out *m)
{
	struct daemon *d = arg;
	k8s_watch_collect_metrics(d->watches, d->watch_count, m);
	k8s_persist_collect_metrics(d->persists, d->watch_count, m);
	catalog_collect_metrics(d->catalog, m);
	if (d->watch_count) {
		metrics_single(m, "dnsd_kubernetes_host_conflicts_total", METRICS_COUNTER,
			       "Hosts that gained another (cluster, namespace) owner, each logged once.",
			       se_registry_conflicts_total(d->registry));
		metrics_single(m, "dnsd_kubernetes_conflicting_hosts", METRICS_GAUGE,
			       "Hosts published by more than one (cluster, namespace) now.",
			       se_registry_conflicting_hosts(d->registry));
		metrics_single(m, "dnsd_kubernetes_registry_bytes", METRICS_GAUGE,
			       "Bytes of the host registry (conflicts, /names): items, nodes, hash table.",
			       se_registry_bytes(d->registry));
	}
}

/* /names: the sources of one served record: zone file lines and the apex
 * dnsd made, from the catalog; ServiceEntries, from the registry. Main loop
 * (the thread that swaps d->catalog on reload). */
static void names_sources(void *arg, size_t view, const struct zone *z, const uint8_t *owner, uint16_t type,
			  const uint8_t *rdata, uint16_t rdlen, struct jsonw *w)
{
	struct daemon *d = arg;
	if (!z)
		return;
	catalog_explain_record(d->catalog, view, z->apex, owner, type, rdata, rdlen, w);
	uint64_t clusters;
	uint32_t ttl_s;
	if (d->registry && catalog_explain_zone(d->catalog, view, z->apex, &clusters, &ttl_s) && clusters)
		se_explain_sources(d->registry, clusters, z->apex, ttl_s, owner, type, rdata, rdlen, w);
}

static void names_dropped(void *arg, const char *name, struct jsonw *w)
{
	struct daemon *d = arg;
	if (d->registry)
		se_explain_dropped(d->registry, name, w);
}

/* systemd's READY=1 waits for the zones and every source's first sync. */
static void ready_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	char why[256];
	if (!catalog_is_ready(d->catalog, why, sizeof(why))) {
		struct timeval tv = { 0, 50 * 1000 };
		evtimer_add(d->ready_timer, &tv);
		return;
	}
	if (stale_sources(d, why, sizeof(why)))
		log_info("ready: every zone is built; %s (saved state)", why);
	else
		log_info("ready: every zone is built and every source synced");
	admin_notify("READY=1");
}

static void lameduck_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	log_info("lameduck over, draining");
	event_base_loopbreak(d->base);
}

/* SIGTERM (Kubernetes, systemd) with lameduck-ms > 0: /ready fails at once,
 * so that endpoints and probes take the replica out, while UDP and TCP keep
 * answering for lameduck-ms (kube-proxy and the forwarders may still send
 * here for a while); then the drain. SIGINT (Ctrl-C), a second SIGTERM, or
 * lameduck-ms: 0 drain at once. */
static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct daemon *d = arg;
	if (sig == SIGHUP) {
		reload(d, "SIGHUP");
		return;
	}
	const char *name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
	if (sig == SIGTERM && !d->is_lameduck && d->cfg->lameduck_ms > 0) {
		d->is_lameduck = true;
		admin_set_lameduck(d->admin, true);
		admin_notify("STOPPING=1");
		log_info("received SIGTERM: lameduck for %u ms (/ready fails, queries are answered), then "
			 "draining",
			 (unsigned)d->cfg->lameduck_ms);
		struct timeval tv = { d->cfg->lameduck_ms / 1000, (d->cfg->lameduck_ms % 1000) * 1000 };
		if (d->lameduck_timer && evtimer_add(d->lameduck_timer, &tv) == 0)
			return;
	}
	log_info("received %s, %s", name, d->is_lameduck ? "lameduck cut short, draining" : "draining");
	admin_notify("STOPPING=1");
	event_base_loopbreak(d->base);
}

/* Resolves `user:` to a uid and gid: "name" through NSS, then straight from
 * /etc/passwd (a static binary in a FROM scratch image has no NSS modules to
 * load), or numeric "uid" / "uid:gid" (gid defaults to uid). */
static int resolve_user(const char *user, uid_t *uid, gid_t *gid)
{
	char *end;
	errno = 0;
	unsigned long u = strtoul(user, &end, 10);
	if (end != user && errno == 0 && u < UINT32_MAX && (*end == '\0' || *end == ':')) {
		unsigned long g = u;
		if (*end == ':') {
			const char *gs = end + 1;
			g = strtoul(gs, &end, 10);
			if (end == gs || *end || errno || g >= UINT32_MAX)
				return DNSD_EINVAL;
		}
		*uid = (uid_t)u;
		*gid = (gid_t)g;
		return 0;
	}
	struct passwd *pw = getpwnam(user);
	if (pw) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		return 0;
	}
	/* the one opener (util/file.h): a regular file, 16 MiB at most */
	char why[512];
	int fd = file_open_regular("/etc/passwd", 0, 16u << 20, why, sizeof(why));
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		else
			log_warn("user %s: %s", user, why);
		return DNSD_ENOENT;
	}
	int rc = DNSD_ENOENT;
	while ((pw = fgetpwent(f)) != NULL) {
		if (strcmp(pw->pw_name, user) == 0) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* Written aside and renamed, so a reader never sees a partial file. */
static int write_pid_file(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		log_error("pid-file %s: %s", path, strerror(errno));
		return DNSD_EIO;
	}
	return 0;
}

static int drop_privileges(const char *user)
{
	if (getuid() != 0 || !user || !*user)
		return 0;
	uid_t uid;
	gid_t gid;
	if (resolve_user(user, &uid, &gid) != 0) {
		log_error("user %s: no such user (give a name from /etc/passwd or uid[:gid])", user);
		return DNSD_ENOENT;
	}
	if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
		log_error("cannot drop privileges to %s: %s", user, strerror(errno));
		return DNSD_EIO;
	}
	log_info("running as %s (uid %u, gid %u)", user, (unsigned)uid, (unsigned)gid);
	return 0;
}

/* ---------- start-up ---------- */

/* Returns -1 to go on, or the exit status (-p, -V, -h, a usage error). */
static int parse_args(int argc, char **argv, struct daemon *d, bool *is_check)
{
	int opt;
	while ((opt = getopt(argc, argv, "c:tpVh")) != -1) {
		switch (opt) {
		case 'c': d->config_path = optarg; break;
		case 't': *is_check = true; break;
		case 'p': config_print_reference(stdout); return 0;
		case 'V': printf("dnsd %s\n", DNSD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

static void tune_malloc(void)
{
	/* ldns takes and frees some 200 KiB of buffers per record it parses;
	 * with glibc's default 128 KiB of slack kept at the heap top, every
	 * record grew and trimmed the heap (two brk() calls a record: a third of
	 * a zone's load time). 1 MiB of slack ends that; malloc_trim() after
	 * loading still returns what is free. Setting it turns off glibc's
	 * moving mmap threshold, so that is set too: blocks up to 4 MiB (a LIST
	 * page) come from the heap and are reused instead of being mapped,
	 * faulted in and unmapped every time; up to 2 MiB free at the top of
	 * an arena is kept for the next one. It was 8 MiB: a thread's arena
	 * (not the main one) is trimmed only when a free leaves more than this
	 * at its top (malloc_trim() does not trim it), so the publisher's and
	 * the watch thread's arenas kept up to 8 MiB each after churn
	 * settled (issue #14's soak: +20-21 % over a fresh start with 8 MiB,
	 * +7-11 % with 2; page faults per publication under churn 337 and 386,
	 * one run each on the loaded machine). (Zone parts' arena chunks are
	 * mapped and cached by util/arena.c itself.)
	 * One malloc arena for every thread: malloc_trim() trims the top only
	 * of the main arena, so each thread arena kept up to the trim threshold
	 * resident at its top once changes settled (the publisher's 1.2 MB in
	 * the soak). Interleaved, 3 soaks each, the IXFR journal aside: +4.1 /
	 * +5.5 / +7.4 % over a fresh start with four arenas, +5.9 / +2.3 /
	 * +2.7 % with one, and the fresh start 0.7 MB smaller; CPU the same
	 * within the noise (README "Latest: stop 14's figures"). The query path
	 * never allocates, so the arena's lock is taken by the watch, publisher
	 * and admin threads and TCP set-up only. */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_TOP_PAD, 1024 * 1024);
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 2 * 1024 * 1024);
}

/* state-dir: a folder, created (0700) when missing. With is_check (-t)
 * nothing is created: a missing folder is only mentioned (it may be a volume
 * that exists in the pod only). DNSD_EINVAL when the path is something else,
 * DNSD_EIO when it cannot be made; both are logged here. */
static int check_state_dir(const struct config *cfg, bool is_check)
{
	struct stat sb;
	if (!cfg->state_dir || !cfg->kubernetes_count)
		return 0;
	if (stat(cfg->state_dir, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
		log_error("state-dir %s: not a folder%s", cfg->state_dir,
			  is_check ? "" : "; running without saved state");
		return DNSD_EINVAL;
	}
	if (stat(cfg->state_dir, &sb) == 0)
		return 0;
	if (is_check) {
		printf("state-dir %s does not exist yet; dnsd creates it at start\n", cfg->state_dir);
		return 0;
	}
	if (mkdir(cfg->state_dir, 0700) != 0) {
		log_error("state-dir %s: cannot create it: %s; running without saved state", cfg->state_dir,
			  strerror(errno));
		return DNSD_EIO;
	}
	log_info("state-dir %s: created", cfg->state_dir);
	return 0;
}

/* -t: the configuration and zones have loaded; check that every source's
 * credentials load too, print a summary, and return the exit status. */
static int check_only(struct daemon *d)
{
	for (size_t i = 0; i < d->cfg->kubernetes_count; i++) {
		char kerr[512];
		if (d->cfg->kubernetes[i].is_in_cluster && !getenv("KUBERNETES_SERVICE_HOST")) {
			printf("kubernetes %s: in-cluster credentials can only be checked in a pod\n",
			       d->cfg->kubernetes[i].name);
			continue;
		}
		struct k8s_watch *w = k8s_watch_new(&d->cfg->kubernetes[i], (unsigned)i, d->catalog, NULL,
						    kerr, sizeof(kerr));
		if (!w) {
			log_error("%s", kerr);
			return 1;
		}
		k8s_watch_free(w);
	}
	if (check_state_dir(d->cfg, true) != 0)
		return 1;
	printf("%s: ok (%zu zones, %zu records)\n", d->config_path, catalog_zone_count(d->catalog),
	       catalog_record_count(d->catalog));
	catalog_free(d->catalog);
	config_free(d->cfg);
	return 0;
}

/* Threads started with these blocked leave SIGHUP, SIGTERM and SIGINT to the
 * main loop. */
static void block_signals(sigset_t *old)
{
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, old);
}

/* The zones go out before the sockets open; privileges are dropped once the
 * sockets are bound, before any worker runs. */
static int start_server(struct daemon *d)
{
	char err[512];
	d->notifier = notify_new(d->cfg->notify_attempts, d->cfg->notify_retry_ms);
	if (!d->notifier || notify_start(d->notifier) != 0) {
		log_error("cannot start the NOTIFY thread");
		return 1;
	}
	catalog_set_publish_hook(d->catalog, published_hook, d);
	if (publisher_publish_first(d->catalog, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return 1;
	}
	d->server = server_new(d->cfg, &publish_global, err, sizeof(err));
	if (!d->server) {
		log_error("%s", err);
		return 1;
	}
	if (d->cfg->pid_file && write_pid_file(d->cfg->pid_file) != 0)
		return 1;
	if (drop_privileges(d->cfg->user) != 0)
		return 1;
	sigset_t old;
	block_signals(&old);
	if (server_start(d->server) != 0) {
		log_error("cannot start worker threads");
		return 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

/* The main loop: signals, then the admin endpoints. */
static int start_loop(struct daemon *d)
{
	static const int sigs[3] = { SIGHUP, SIGTERM, SIGINT };
	d->base = event_base_new();
	if (!d->base) {
		log_error("out of memory");
		return 1;
	}
	for (int i = 0; i < 3; i++) {
		d->signals[i] = evsignal_new(d->base, sigs[i], signal_cb, d);
		if (!d->signals[i]) {
			log_error("out of memory");
			return 1;
		}
	}
	for (int i = 0; i < 3; i++)
		event_add(d->signals[i], NULL);
	char err[512];
	struct admin_hooks hooks = {
		.is_ready = ready_hook,
		.sources_status = sources_status,
		.config_path = d->config_path,
		.ctx = d,
		.names = { .sources = names_sources, .dropped = names_dropped, .ctx = d }
	};
	d->admin = admin_new(d->base, d->cfg->metrics_listen, d->cfg->health_listen, d->server, &hooks, err,
			     sizeof(err));
	if (!d->admin) {
		log_error("%s", err);
		return 1;
	}
	if (metrics_register("sources", collect_sources, d) != 0 ||
	    metrics_register("transfers", transfer_collect_metrics, NULL) != 0 ||
	    metrics_register("notify", notify_collect_metrics, d->notifier) != 0) {
		log_error("out of memory");
		return 1;
	}
	for (size_t i = 0; i < server_listen_count(d->server); i++)
		log_info("listening on %s (UDP and TCP)", server_listen_text(d->server, i));
	/* "ready" is logged once every source has synced (ready_timer_cb) */
	log_info("dnsd %s started: %u workers, %zu zones, %zu records", DNSD_VERSION,
		 server_worker_count(d->server), catalog_zone_count(d->catalog),
		 catalog_record_count(d->catalog));
	return 0;
}

/* The Kubernetes sources and the publisher, with the signals blocked. */
static int start_sources(struct daemon *d)
{
	char err[512];
	size_t n = d->cfg->kubernetes_count ? d->cfg->kubernetes_count : 1;
	d->watches = calloc(n, sizeof(*d->watches));
	d->persists = calloc(n, sizeof(*d->persists));
	d->registry = se_registry_new(se_registry_describe_serviceentry);
	if (!d->watches || !d->persists || !d->registry)
		return 1;
	/* saved state is an aid: a bad state-dir is logged, never a reason not to serve */
	const char *state_dir = check_state_dir(d->cfg, false) == 0 ? d->cfg->state_dir : NULL;
	sigset_t old;
	block_signals(&old);
	for (size_t i = 0; i < d->cfg->kubernetes_count; i++) {
		struct k8s_watch *w = k8s_watch_new(&d->cfg->kubernetes[i], (unsigned)i, d->catalog,
						    d->registry, err, sizeof(err));
		struct k8s_persist *p = NULL;
		if (w && state_dir) {
			p = k8s_persist_new(w, state_dir, d->cfg->stale_start_timeout_ms,
					    d->cfg->state_write_interval_ms, err, sizeof(err));
			if (!p) {
				k8s_watch_free(w);
				w = NULL;
			}
		}
		if (!w) {
			log_error("%s", err);
			return 1;
		}
		d->watches[i] = w;
		d->persists[i] = p;
		d->watch_count++;
		/* the stale timeout counts from the source's start */
		if (k8s_watch_start(w) != 0 || (p && k8s_persist_start(p) != 0)) {
			log_error("cannot start a kubernetes source thread");
			return 1;
		}
	}
	publisher_start(d->catalog);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

/* ---------- run and shut down ---------- */

/* Serves until SIGTERM or SIGINT; READY=1 goes out once the sources synced. */
static void run(struct daemon *d)
{
	catalog_drop_file_builders(d->catalog);
	malloc_trim(0); /* give the builders' pages back */
	d->ready_timer = evtimer_new(d->base, ready_timer_cb, d);
	d->lameduck_timer = evtimer_new(d->base, lameduck_timer_cb, d);
	start_file_watch(d);
	ready_timer_cb(-1, 0, d);
	event_base_dispatch(d->base);
}

/* Start-up in reverse: sources, the publisher, admin, workers (draining TCP
 * answers), the loop, the last snapshot, the zones. */
static void shut_down(struct daemon *d)
{
	metrics_unregister("sources");
	metrics_unregister("transfers");
	metrics_unregister("notify");
	/* the last state write needs its source alive */
	for (size_t i = 0; i < d->watch_count; i++)
		k8s_persist_stop(d->persists[i]);
	/* the publisher reads the sources' entries when it renders: it stops
	 * before they are freed */
	publisher_stop(d->catalog);
	for (size_t i = 0; i < d->watch_count; i++) {
		k8s_watch_free(d->watches[i]);
		k8s_persist_free(d->persists[i]);
	}
	free(d->watches);
	free(d->persists);
	se_registry_free(d->registry);
	notify_free(d->notifier);
	event_free(d->ready_timer);
	if (d->lameduck_timer)
		event_free(d->lameduck_timer);
	if (d->files_ev)
		event_free(d->files_ev);
	if (d->files_timer)
		event_free(d->files_timer);
	filewatch_free(d->files);
	admin_free(d->admin);
	server_stop(d->server, DRAIN_MS);
	server_free(d->server);
	for (int i = 0; i < 3; i++)
		event_free(d->signals[i]);
	event_base_free(d->base);
	publish_lock();
	publish_clear(&publish_global);
	publish_unlock();
	catalog_free(d->catalog);
	if (d->cfg->pid_file)
		unlink(d->cfg->pid_file);
	config_free(d->cfg);
	log_info("stopped");
}

int main(int argc, char **argv)
{
	struct daemon d = { .config_path = DEFAULT_CONFIG };
	bool is_check = false;
	int rc = parse_args(argc, argv, &d, &is_check);
	if (rc >= 0)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	tune_malloc();
	char err[1024];
	if (load_all(d.config_path, &d.cfg, &d.catalog, err, sizeof(err)) != 0)
		return 1;
	if (is_check)
		return check_only(&d);
	log_set_level(d.cfg->log_level);
	thread_prio_set_background_nice((int)d.cfg->background_nice);
	if (start_server(&d) != 0 || start_loop(&d) != 0 || start_sources(&d) != 0)
		return 1;
	run(&d);
	shut_down(&d);
	return 0;
}
