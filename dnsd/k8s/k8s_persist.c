/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_persist.c - a Kubernetes source's last known state: the stale start
 * and the debounced, atomic writes of its state file. */
#include "k8s/k8s_persist.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "k8s/k8s_state.h"
#include "util/err.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/thread_prio.h"

struct k8s_persist {
	struct k8s_watch *w;
	char *dir;
	uint32_t stale_start_timeout_ms, write_interval_ms;
	int change_fd; /* the source writes to it after every change */
	int stop_fd;
	pthread_t thread;
	bool has_thread;
	struct k8s_state *saved; /* read at start; freed once used or outdated */
	_Atomic uint64_t saves, save_errors;
	_Atomic int64_t saved_unix; /* the last write that succeeded */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void utc_text(char *out, size_t len, int64_t unix_s)
{
	time_t t = (time_t)unix_s;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void drain(int fd)
{
	uint64_t n;
	ssize_t r = read(fd, &n, sizeof(n));
	(void)r;
}

/* Waits up to timeout_ms (-1: for ever) for a stop (true) or a change. */
static bool wait_for(struct k8s_persist *p, int timeout_ms, bool *is_changed)
{
	struct pollfd fds[2] = { { .fd = p->stop_fd, .events = POLLIN },
				 { .fd = p->change_fd, .events = POLLIN } };
	int n = poll(fds, 2, timeout_ms);
	if (n > 0 && (fds[0].revents & POLLIN))
		return true;
	if (n > 0 && (fds[1].revents & POLLIN)) {
		drain(p->change_fd);
		*is_changed = true;
	}
	return false;
}

struct k8s_persist *k8s_persist_new(struct k8s_watch *w, const char *dir, uint32_t stale_start_timeout_ms,
				    uint32_t write_interval_ms, char *err, size_t errlen)
{
	struct k8s_persist *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->w = w;
	p->stale_start_timeout_ms = stale_start_timeout_ms;
	p->write_interval_ms = write_interval_ms;
	p->dir = strdup(dir);
	p->change_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!p->dir || p->change_fd < 0 || p->stop_fd < 0) {
		snprintf(err, errlen, "kubernetes %s: state: out of resources", k8s_watch_name(w));
		k8s_persist_free(p);
		return NULL;
	}
	k8s_watch_keep_state(w, p->change_fd);
	return p;
}

/* Reads the state file; logs what it found once. */
static void load_saved(struct k8s_persist *p)
{
	const char *name = k8s_watch_name(p->w);
	char err[512];
	struct k8s_state *st = NULL;
	int rc = k8s_state_load(&st, p->dir, name, err, sizeof(err));
	if (rc == DNSD_ENOENT) {
		log_info("kubernetes %s: no saved state yet (%s)", name, err);
		return;
	}
	if (rc == 0)
		rc = k8s_watch_check_state(p->w, st, err, sizeof(err));
	if (rc != 0) {
		log_warn("kubernetes %s: ignoring saved state: %s", name, err);
		k8s_state_free(st);
		return;
	}
	char when[32];
	utc_text(when, sizeof(when), k8s_state_saved_unix(st));
	log_info("kubernetes %s: saved state from %s (%zu ServiceEntries) is served if the API has not been "
		 "listed within %u ms",
		 name, when, k8s_state_object_count(st), p->stale_start_timeout_ms);
	p->saved = st;
}

/* The start: wait for the first LIST until the timeout, then serve the saved
 * state if there is one. Returns true when stopped meanwhile. */
static bool stale_start(struct k8s_persist *p, bool *is_changed)
{
	const char *name = k8s_watch_name(p->w);
	uint64_t deadline = now_ms() + p->stale_start_timeout_ms;
	for (;;) {
		if (k8s_watch_is_synced(p->w))
			return false;
		uint64_t now = now_ms();
		if (now >= deadline)
			break;
		if (wait_for(p, (int)(deadline - now), is_changed))
			return true;
	}
	if (!p->saved) {
		log_warn("kubernetes %s: no LIST within %u ms and no usable saved state; its zones answer "
			 "SERVFAIL "
			 "until the API server answers",
			 name, p->stale_start_timeout_ms);
		return false;
	}
	char when[32];
	utc_text(when, sizeof(when), k8s_state_saved_unix(p->saved));
	size_t n = k8s_watch_restore_state(p->w, p->saved);
	if (!k8s_watch_stale_since(p->w))
		return false; /* the LIST completed just now after all */
	log_warn("kubernetes %s: no LIST within %u ms; serving the state saved at %s (%zu ServiceEntries, "
		 "resourceVersion %s), marked stale until a LIST succeeds",
		 name, p->stale_start_timeout_ms, when, n,
		 k8s_state_cursor_count(p->saved) ? k8s_state_cursor_resource_version(p->saved, 0) : "-");
	return false;
}

/* Writes the source's state if it holds a listed one. */
static void save(struct k8s_persist *p, bool *is_error_logged)
{
	struct k8s_state *st = NULL;
	int rc = k8s_watch_export_state(p->w, &st);
	if (rc == DNSD_EAGAIN)
		return; /* not listed yet, or serving saved entries: nothing new to keep */
	char err[512];
	int64_t now = (int64_t)time(NULL);
	if (rc == 0)
		rc = k8s_state_save(st, p->dir, now, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "%s", dnsd_strerror(rc));
	k8s_state_free(st);
	if (rc != 0) {
		atomic_fetch_add(&p->save_errors, 1);
		if (!*is_error_logged)
			log_error("kubernetes %s: cannot save state: %s (retrying after the next change)",
				  k8s_watch_name(p->w), err);
		*is_error_logged = true;
		return;
	}
	if (*is_error_logged)
		log_info("kubernetes %s: state saved again", k8s_watch_name(p->w));
	*is_error_logged = false;
	atomic_fetch_add(&p->saves, 1);
	atomic_store(&p->saved_unix, now);
}

static void *persist_main(void *arg)
{
	struct k8s_persist *p = arg;
	thread_prio_background("dnsd-k8s-state");
	bool is_changed = false, is_error_logged = false;
	bool is_stopped = stale_start(p, &is_changed);
	k8s_state_free(p->saved);
	p->saved = NULL;
	/* a LIST may have completed before the thread started waiting */
	is_changed = true;
	uint64_t last_write = 0;
	while (!is_stopped) {
		if (!is_changed && wait_for(p, -1, &is_changed))
			break;
		if (!is_changed)
			continue;
		/* debounce: at most one write per interval; changes meanwhile join it */
		uint64_t now = now_ms();
		if (last_write && now < last_write + p->write_interval_ms &&
		    wait_for(p, (int)(last_write + p->write_interval_ms - now), &is_changed))
			break;
		is_changed = false;
		save(p, &is_error_logged);
		last_write = now_ms();
	}
	/* stopping: what changed since the last write is kept too */
	bool is_late_change = false;
	wait_for(p, 0, &is_late_change);
	if (is_changed || is_late_change)
		save(p, &is_error_logged);
	return NULL;
}

int k8s_persist_start(struct k8s_persist *p)
{
	load_saved(p);
	if (pthread_create(&p->thread, NULL, persist_main, p) != 0)
		return DNSD_EIO;
	p->has_thread = true;
	return 0;
}

void k8s_persist_stop(struct k8s_persist *p)
{
	if (!p || !p->has_thread)
		return;
	uint64_t one = 1;
	ssize_t n = write(p->stop_fd, &one, sizeof(one));
	(void)n;
	pthread_join(p->thread, NULL);
	p->has_thread = false;
}

void k8s_persist_free(struct k8s_persist *p)
{
	if (!p)
		return;
	k8s_persist_stop(p);
	k8s_state_free(p->saved);
	if (p->change_fd >= 0)
		close(p->change_fd);
	if (p->stop_fd >= 0)
		close(p->stop_fd);
	free(p->dir);
	free(p);
}

void k8s_persist_collect_metrics(struct k8s_persist *const *persists, size_t count, struct metrics_out *m)
{
	static const struct {
		const char *name;
		enum metrics_type type;
		const char *help;
	} families[] = {
		{ "dnsd_kubernetes_state_saves_total", METRICS_COUNTER, "State files written (state-dir)." },
		{ "dnsd_kubernetes_state_save_errors_total", METRICS_COUNTER,
		  "State file writes that failed." },
		{ "dnsd_kubernetes_state_saved_timestamp_seconds", METRICS_GAUGE,
		  "When the last state file was written; 0 = none yet." },
	};
	bool is_any = false;
	for (size_t i = 0; i < count; i++)
		is_any = is_any || persists[i];
	if (!is_any)
		return;
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		metrics_family(m, families[f].name, families[f].type, families[f].help);
		for (size_t i = 0; i < count; i++) {
			const struct k8s_persist *p = persists[i];
			if (!p)
				continue;
			const struct metrics_label cluster = { "cluster", k8s_watch_name(p->w) };
			int64_t v = f == 0   ? (int64_t)atomic_load(&p->saves)
				    : f == 1 ? (int64_t)atomic_load(&p->save_errors)
					     : atomic_load(&p->saved_unix);
			metrics_sample_int(m, families[f].name, &cluster, 1, v);
		}
	}
}
