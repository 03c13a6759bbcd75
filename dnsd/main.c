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
#include "k8s/k8s_persist.h"
#include "k8s/k8s_watch.h"
#include "k8s/se_explain.h"
#include "k8s/se_registry.h"
#include "server/admin.h"
#include "server/notify.h"
#include "server/server.h"
#include "server/transfer.h"
#include "util/err.h"
#include "util/log.h"
#include "util/metrics.h"
#include "zone/catalog.h"
#include "zone/publish.h"
#include "zone/publisher.h"

#define DEFAULT_CONFIG "/etc/dnsd/dnsd.yaml"
#define DRAIN_MS 2000

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
	fprintf(out,
		"usage: dnsd [-c FILE] [-t] [-p] [-V] [-h]\n"
		"  -c FILE  configuration file (default " DEFAULT_CONFIG ")\n"
		"  -t       check the configuration and zone files, then exit 0 or 1\n"
		"  -p       print every option with its default and help, then exit\n"
		"  -V       print the version\n"
		"  -h       this help\n"
		"dnsd runs in the foreground and logs to stderr.\n");
}

/* Loads config and zones; on success *cfg and *cat are new. */
static int load_all(const char *path, struct config **cfg, struct catalog **cat)
{
	char err[1024];
	*cfg = NULL;
	*cat = NULL;
	int rc = config_load(path, cfg, err, sizeof(err));
	if (rc != 0) {
		log_error("%s", err);
		return rc;
	}
	*cat = catalog_new(*cfg, err, sizeof(err));
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
		(old->state_dir && new->state_dir && strcmp(old->state_dir, new->state_dir) == 0)) &&
	       old->stale_start_timeout_ms == new->stale_start_timeout_ms &&
	       old->state_write_interval_ms == new->state_write_interval_ms;
	if (!same)
		log_warn("reload: state-dir, stale-start-timeout-ms and state-write-interval-ms take effect after a restart");
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

/* SIGHUP (sniproxy/NSD style): build everything aside, then swap; on any
 * error keep serving the old state. */
static void reload(struct daemon *d)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct config *cfg;
	struct catalog *cat;
	log_info("reload: reading %s", d->config_path);
	admin_notify("RELOADING=1");
	if (load_all(d->config_path, &cfg, &cat) != 0)
		goto fail;
	if (!same_sources(d->cfg, cfg)) {
		log_error("reload: the kubernetes sources changed; that needs a restart");
		catalog_free(cat);
		config_free(cfg);
		goto fail;
	}
	warn_restart_only(d->cfg, cfg);
	log_set_level(cfg->log_level);
	catalog_set_publish_hook(cat, published_hook, d);
	d->next_cfg = cfg;
	uint64_t generation = publisher_take_over(d->catalog, cat, attach_sources, d);
	d->next_cfg = NULL;
	config_free(d->cfg);
	d->cfg = cfg;
	d->catalog = cat;
	malloc_trim(0);
	admin_count_reload(d->admin, true);
	admin_notify("READY=1");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("reload: done, generation %llu, %zu zones, %zu records, %.1f ms",
		 (unsigned long long)generation, catalog_zone_count(cat), catalog_record_count(cat),
		 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	return;
fail:
	log_error("reload failed: keeping the previous configuration and zones");
	admin_count_reload(d->admin, false);
	admin_notify("READY=1");
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
		int n = snprintf(why + off, off < why_len ? why_len - off : 0, "%skubernetes %s stale since %s",
				 off ? ", " : "", k8s_watch_name(d->watches[i]), when);
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
	if (!catalog_is_ready(d->catalog, why, why_len))
		return false;
	stale_sources(d, why, why_len);
	return true;
}

/* The sources' and the publisher's metric families; /metrics runs it on
 * the main loop, the thread that swaps d->catalog on reload. */
static void collect_sources(void *arg, struct metrics_out *m)
{
	struct daemon *d = arg;
	k8s_watch_collect_metrics(d->watches, d->watch_count, m);
	k8s_persist_collect_metrics(d->persists, d->watch_count, m);
	metrics_single(m, "dnsd_publications_total", METRICS_COUNTER,
		       "Snapshots published after source changes.", catalog_publish_count(d->catalog));
	if (d->watch_count) {
		metrics_single(m, "dnsd_kubernetes_host_conflicts_total", METRICS_COUNTER,
			       "Hosts that gained another (cluster, namespace) owner, each logged once.",
			       se_registry_conflicts_total(d->registry));
		metrics_single(m, "dnsd_kubernetes_conflicting_hosts", METRICS_GAUGE,
			       "Hosts published by more than one (cluster, namespace) now.",
			       se_registry_conflicting_hosts(d->registry));
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

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct daemon *d = arg;
	if (sig == SIGHUP) {
		reload(d);
		return;
	}
	log_info("received %s, draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
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
	FILE *f = fopen("/etc/passwd", "re");
	if (!f)
		return DNSD_ENOENT;
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
	 * moving mmap threshold, so that is set too: blocks up to 4 MiB (a zone
	 * part's arena, a LIST page) come from the heap and are reused from one
	 * freeze to the next instead of being mapped, faulted in and unmapped
	 * every time; up to 8 MiB free at the top is kept for the next one. */
	mallopt(M_TOP_PAD, 1024 * 1024);
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
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
		log_error("state-dir %s: not a folder%s", cfg->state_dir, is_check ? "" : "; running without saved state");
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
		struct k8s_watch *w = k8s_watch_new(&d->cfg->kubernetes[i], (unsigned)i, d->catalog, NULL, kerr,
						    sizeof(kerr));
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
	struct admin_hooks hooks = { .is_ready = ready_hook, .ctx = d,
				     .names = { .sources = names_sources, .dropped = names_dropped, .ctx = d } };
	d->admin = admin_new(d->base, d->cfg->metrics_listen, d->cfg->health_listen, d->server, &hooks,
			     err, sizeof(err));
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
	for (size_t i = 0; i < d->cfg->listen_count; i++)
		log_info("listening on %s (UDP and TCP)", d->cfg->listen[i].text);
	log_info("dnsd %s ready: %u workers, %zu zones, %zu records", DNSD_VERSION,
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
	d->registry = se_registry_new();
	if (!d->watches || !d->persists || !d->registry)
		return 1;
	/* saved state is an aid: a bad state-dir is logged, never a reason not to serve */
	const char *state_dir = check_state_dir(d->cfg, false) == 0 ? d->cfg->state_dir : NULL;
	sigset_t old;
	block_signals(&old);
	for (size_t i = 0; i < d->cfg->kubernetes_count; i++) {
		struct k8s_watch *w = k8s_watch_new(&d->cfg->kubernetes[i], (unsigned)i, d->catalog, d->registry, err,
						 sizeof(err));
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
	malloc_trim(0);   /* give the builders' pages back */
	d->ready_timer = evtimer_new(d->base, ready_timer_cb, d);
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
	for (size_t i = 0; i < d->watch_count; i++) {
		k8s_watch_free(d->watches[i]);
		k8s_persist_free(d->persists[i]);
	}
	free(d->watches);
	free(d->persists);
	se_registry_free(d->registry);
	publisher_stop(d->catalog);
	notify_free(d->notifier);
	event_free(d->ready_timer);
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
	if (load_all(d.config_path, &d.cfg, &d.catalog) != 0)
		return 1;
	if (is_check)
		return check_only(&d);
	log_set_level(d.cfg->log_level);
	if (start_server(&d) != 0 || start_loop(&d) != 0 || start_sources(&d) != 0)
		return 1;
	run(&d);
	shut_down(&d);
	return 0;
}
