/* SPDX-License-Identifier: BSD-3-Clause
 * main.c - command line, startup order, signals. Wires the modules together
 * and does nothing else: config -> catalog (zones) -> publish -> server
 * (sockets, then privileges dropped) -> admin and sources -> main loop. */
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
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "server/admin.h"
#include "zone/catalog.h"
#include "conf/config.h"
#include "util/err.h"
#include "k8s/k8s_watch.h"
#include "util/log.h"
#include "zone/publish.h"
#include "server/notify.h"
#include "server/server.h"
#include "server/transfer.h"
#include "zone/journal.h"

#define DEFAULT_CONFIG "/etc/dnsd/dnsd.yaml"
#define DRAIN_MS 2000

struct daemon {
	const char *config_path;
	struct config *cfg;
	struct catalog *catalog;
	struct server *server;
	struct admin *admin;
	struct event_base *base;
	struct k8s_watch **watches;    /* one per kubernetes source */
	size_t watch_count;
	struct event *ready_timer;     /* until READY=1 has been sent */
	unsigned reloads;
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

/* Loads config and zones; on success *cfg, *cat and *snap are new. */
static int load_all(const char *path, struct config **cfg, struct catalog **cat,
		    struct snapshot **snap)
{
	char err[1024];
	*cfg = NULL;
	*cat = NULL;
	*snap = NULL;
	int rc = config_load(path, cfg, err, sizeof(err));
	if (rc != 0) {
		log_error("%s", err);
		return rc;
	}
	*cat = catalog_new(*cfg, err, sizeof(err));
	if (!*cat) {
		log_error("%s", err);
		goto fail;
	}
	*snap = catalog_snapshot(*cat, err, sizeof(err));
	if (!*snap) {
		log_error("%s", err);
		goto fail;
	}
	return 0;
fail:
	catalog_free(*cat);
	config_free(*cfg);
	*cat = NULL;
	*cfg = NULL;
	return DNSD_EINVAL;
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

/* SIGHUP (sniproxy/NSD style): build everything aside, then swap; on any
 * error keep serving the old state. */
static void reload(struct daemon *d)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct config *cfg;
	struct catalog *cat;
	struct snapshot *snap;
	log_info("reload: reading %s", d->config_path);
	admin_notify("RELOADING=1");
	if (load_all(d->config_path, &cfg, &cat, &snap) != 0)
		goto fail;
	if (!same_sources(d->cfg, cfg)) {
		log_error("reload: the kubernetes sources changed; that needs a restart");
		snapshot_free(snap);
		catalog_free(cat);
		config_free(cfg);
		goto fail;
	}
	warn_restart_only(d->cfg, cfg);
	log_set_level(cfg->log_level);
	/* the old catalog stops publishing; the sources feed the new one what
	 * they hold, and it publishes with every zone already built */
	catalog_publisher_stop(d->catalog);
	catalog_inherit(cat, d->catalog);
	catalog_set_publish_hook(cat, published_hook, d);
	for (size_t i = 0; i < d->watch_count; i++)
		k8s_watch_set_catalog(d->watches[i], cat);
	snapshot_free(snap);
	catalog_publish(cat);
	catalog_publisher_start(cat);
	catalog_free(d->catalog);
	config_free(d->cfg);
	d->cfg = cfg;
	d->catalog = cat;
	catalog_drop_file_builders(cat);
	malloc_trim(0);
	d->reloads++;
	admin_count_reload(d->admin, true);
	admin_notify("READY=1");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("reload: done, generation %llu, %zu zones, %zu records, %.1f ms",
		 (unsigned long long)publish_current(&publish_global)->generation, catalog_zone_count(cat),
		 catalog_record_count(cat),
		 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	return;
fail:
	log_error("reload failed: keeping the previous configuration and zones");
	admin_count_reload(d->admin, false);
	admin_notify("READY=1");
}

static unsigned long long load(const _Atomic uint64_t *v)
{
	return (unsigned long long)atomic_load_explicit(v, memory_order_relaxed);
}

/* Zone transfers, TSIG, NOTIFY and the IXFR journal. */
static void write_xfr_metrics(const struct daemon *d, FILE *out)
{
	const struct transfer_stats *t = &transfer_stats;
	fprintf(out, "# HELP dnsd_xfr_requests_total Zone transfer requests by how they were answered.\n"
		     "# TYPE dnsd_xfr_requests_total counter\n"
		     "dnsd_xfr_requests_total{type=\"AXFR\",result=\"full\"} %llu\n"
		     "dnsd_xfr_requests_total{type=\"IXFR\",result=\"journal\"} %llu\n"
		     "dnsd_xfr_requests_total{type=\"IXFR\",result=\"full\"} %llu\n"
		     "dnsd_xfr_requests_total{type=\"IXFR\",result=\"current\"} %llu\n"
		     "dnsd_xfr_requests_total{type=\"IXFR\",result=\"udp_truncated\"} %llu\n"
		     "dnsd_xfr_requests_total{type=\"any\",result=\"refused\"} %llu\n",
		load(&t->axfr), load(&t->ixfr_diff), load(&t->ixfr_full), load(&t->ixfr_current),
		load(&t->ixfr_udp_tc), load(&t->refused));
	fprintf(out, "# HELP dnsd_xfr_streams_total TCP transfer streams by outcome.\n"
		     "# TYPE dnsd_xfr_streams_total counter\n"
		     "dnsd_xfr_streams_total{outcome=\"completed\"} %llu\n"
		     "dnsd_xfr_streams_total{outcome=\"aborted\"} %llu\n"
		     "# HELP dnsd_xfr_active Transfers being sent now.\n# TYPE dnsd_xfr_active gauge\n"
		     "dnsd_xfr_active %llu\n"
		     "# HELP dnsd_xfr_messages_total Transfer messages sent.\n# TYPE dnsd_xfr_messages_total counter\n"
		     "dnsd_xfr_messages_total %llu\n"
		     "# HELP dnsd_xfr_bytes_total Transfer bytes sent.\n# TYPE dnsd_xfr_bytes_total counter\n"
		     "dnsd_xfr_bytes_total %llu\n"
		     "# HELP dnsd_xfr_records_total Records sent in transfers.\n# TYPE dnsd_xfr_records_total counter\n"
		     "dnsd_xfr_records_total %llu\n",
		load(&t->completed), load(&t->aborted), load(&t->active), load(&t->messages), load(&t->bytes),
		load(&t->records));
	fprintf(out, "# HELP dnsd_tsig_requests_total TSIG-signed requests by verification result.\n"
		     "# TYPE dnsd_tsig_requests_total counter\n"
		     "dnsd_tsig_requests_total{result=\"ok\"} %llu\n"
		     "dnsd_tsig_requests_total{result=\"BADKEY\"} %llu\n"
		     "dnsd_tsig_requests_total{result=\"BADSIG\"} %llu\n"
		     "dnsd_tsig_requests_total{result=\"BADTIME\"} %llu\n",
		load(&t->tsig_ok), load(&t->tsig_badkey), load(&t->tsig_badsig), load(&t->tsig_badtime));
	const struct notify_stats *n = notify_get_stats(d->notifier);
	fprintf(out, "# HELP dnsd_notify_sent_total NOTIFY messages sent, retransmissions included.\n"
		     "# TYPE dnsd_notify_sent_total counter\ndnsd_notify_sent_total %llu\n"
		     "# HELP dnsd_notify_retries_total NOTIFY retransmissions.\n"
		     "# TYPE dnsd_notify_retries_total counter\ndnsd_notify_retries_total %llu\n"
		     "# HELP dnsd_notify_answered_total NOTIFYs a secondary acknowledged.\n"
		     "# TYPE dnsd_notify_answered_total counter\ndnsd_notify_answered_total %llu\n"
		     "# HELP dnsd_notify_failed_total NOTIFYs given up on or answered with an error.\n"
		     "# TYPE dnsd_notify_failed_total counter\ndnsd_notify_failed_total %llu\n"
		     "# HELP dnsd_notify_pending NOTIFYs waiting for an answer.\n"
		     "# TYPE dnsd_notify_pending gauge\ndnsd_notify_pending %llu\n",
		load(&n->sent), load(&n->retries), load(&n->answered), load(&n->failed), load(&n->pending));
	fprintf(out, "# HELP dnsd_journal_bytes Memory held by the IXFR journals of every zone and view.\n"
		     "# TYPE dnsd_journal_bytes gauge\ndnsd_journal_bytes %zu\n", journal_memory_bytes());
}

static bool ready_hook(void *arg, char *why, size_t why_len)
{
	struct daemon *d = arg;
	return catalog_is_ready(d->catalog, why, why_len);
}

static void metrics_hook(void *arg, FILE *out)
{
	struct daemon *d = arg;
	for (size_t i = 0; i < d->watch_count; i++)
		k8s_watch_write_metrics(d->watches[i], out, i == 0);
	fprintf(out, "# HELP dnsd_publications_total Snapshots published after source changes.\n"
		     "# TYPE dnsd_publications_total counter\ndnsd_publications_total %llu\n",
		(unsigned long long)catalog_publish_count(d->catalog));
	write_xfr_metrics(d, out);
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

int main(int argc, char **argv)
{
	struct daemon d = { .config_path = DEFAULT_CONFIG };
	bool is_check = false;
	int opt;
	while ((opt = getopt(argc, argv, "c:tpVh")) != -1) {
		switch (opt) {
		case 'c': d.config_path = optarg; break;
		case 't': is_check = true; break;
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
	signal(SIGPIPE, SIG_IGN);
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

	struct snapshot *snap;
	if (load_all(d.config_path, &d.cfg, &d.catalog, &snap) != 0)
		return 1;
	if (is_check) {
		for (size_t i = 0; i < d.cfg->kubernetes_count; i++) {
			char kerr[512];
			if (d.cfg->kubernetes[i].is_in_cluster && !getenv("KUBERNETES_SERVICE_HOST")) {
				printf("kubernetes %s: in-cluster credentials can only be checked in a pod\n",
				       d.cfg->kubernetes[i].name);
				continue;
			}
			struct k8s_watch *w = k8s_watch_new(&d.cfg->kubernetes[i], (unsigned)i, d.catalog, kerr, sizeof(kerr));
			if (!w) {
				log_error("%s", kerr);
				return 1;
			}
			k8s_watch_free(w);
		}
		printf("%s: ok (%zu zones, %zu records)\n", d.config_path, catalog_zone_count(d.catalog),
		       catalog_record_count(d.catalog));
		snapshot_free(snap);
		catalog_free(d.catalog);
		config_free(d.cfg);
		return 0;
	}
	log_set_level(d.cfg->log_level);
	publish_swap(&publish_global, snap);
	d.notifier = notify_new(d.cfg->notify_attempts, d.cfg->notify_retry_ms);
	if (!d.notifier || notify_start(d.notifier) != 0) {
		log_error("cannot start the NOTIFY thread");
		return 1;
	}
	notify_snapshot(d.notifier, snap);
	catalog_set_publish_hook(d.catalog, published_hook, &d);

	char err[512];
	d.server = server_new(d.cfg, &publish_global, err, sizeof(err));
	if (!d.server) {
		log_error("%s", err);
		return 1;
	}
	if (d.cfg->pid_file && write_pid_file(d.cfg->pid_file) != 0)
		return 1;
	if (drop_privileges(d.cfg->user) != 0)
		return 1;

	/* workers must not take the signals meant for the main loop */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (server_start(d.server) != 0) {
		log_error("cannot start worker threads");
		return 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	d.base = event_base_new();
	struct event *sighup = evsignal_new(d.base, SIGHUP, signal_cb, &d);
	struct event *sigterm = evsignal_new(d.base, SIGTERM, signal_cb, &d);
	struct event *sigint = evsignal_new(d.base, SIGINT, signal_cb, &d);
	if (!d.base || !sighup || !sigterm || !sigint) {
		log_error("out of memory");
		return 1;
	}
	event_add(sighup, NULL);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	struct admin_hooks hooks = { .is_ready = ready_hook, .metrics = metrics_hook, .ctx = &d };
	d.admin = admin_new(d.base, d.cfg->metrics_listen, d.cfg->health_listen, d.server, &hooks,
			    err, sizeof(err));
	if (!d.admin) {
		log_error("%s", err);
		return 1;
	}
	for (size_t i = 0; i < d.cfg->listen_count; i++)
		log_info("listening on %s (UDP and TCP)", d.cfg->listen[i].text);
	log_info("dnsd %s ready: %u workers, %zu zones, %zu records", DNSD_VERSION,
		 server_worker_count(d.server), catalog_zone_count(d.catalog),
		 catalog_record_count(d.catalog));

	d.watches = calloc(d.cfg->kubernetes_count ? d.cfg->kubernetes_count : 1, sizeof(*d.watches));
	if (!d.watches)
		return 1;
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (size_t i = 0; i < d.cfg->kubernetes_count; i++) {
		d.watches[i] = k8s_watch_new(&d.cfg->kubernetes[i], (unsigned)i, d.catalog, err, sizeof(err));
		if (!d.watches[i] || k8s_watch_start(d.watches[i]) != 0) {
			log_error("%s", d.watches[i] ? "cannot start a kubernetes source thread" : err);
			return 1;
		}
		d.watch_count++;
	}
	catalog_publisher_start(d.catalog);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	catalog_drop_file_builders(d.catalog);
	malloc_trim(0);   /* give the builders' pages back */
	d.ready_timer = evtimer_new(d.base, ready_timer_cb, &d);
	ready_timer_cb(-1, 0, &d);
	event_base_dispatch(d.base);

	for (size_t i = 0; i < d.watch_count; i++)
		k8s_watch_free(d.watches[i]);
	free(d.watches);
	catalog_publisher_stop(d.catalog);
	notify_free(d.notifier);
	event_free(d.ready_timer);
	admin_free(d.admin);
	server_stop(d.server, DRAIN_MS);
	server_free(d.server);
	event_free(sighup);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(d.base);
	publish_lock();
	struct snapshot *last = publish_current(&publish_global);
	atomic_store(&publish_global.current, NULL);
	publish_unlock();
	snapshot_free(last);
	catalog_free(d.catalog);
	if (d.cfg->pid_file)
		unlink(d.cfg->pid_file);
	config_free(d.cfg);
	log_info("stopped");
	return 0;
}
