/* SPDX-License-Identifier: BSD-3-Clause
 * server.c - the workers and the server's lifecycle: every listening address
 * bound by every worker at start-up, a libevent thread per worker for TCP
 * (tcp.c) and a thread per worker and address for UDP (udp.c), and the
 * ordered stop (UDP first, then TCP drained). Answers nothing itself. */
#include "server/server.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "server/server_internal.h"
#include "server/stats.h"
#include "util/err.h"

/* ---------- workers ---------- */

static void worker_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	w->is_stopping = true;
	tcp_drain(w);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	event_base_dispatch(w->base);
	return NULL;
}

static int worker_init(struct server *s, struct worker *w, const struct config *cfg, char *err,
		       size_t errlen)
{
	w->s = s;
	w->listen_count = cfg->listen_count;
	w->idle_timeout_ms = cfg->tcp_idle_timeout_ms;
	w->conn_max = (cfg->tcp_max_connections + s->worker_count - 1) / s->worker_count;
	if (w->conn_max == 0)
		w->conn_max = 1;
	/* stats: the worker's (TCP), then one per UDP socket */
	w->stats = &s->stats[w->id * (1 + cfg->listen_count)];
	w->base = event_base_new();
	w->udp = calloc(cfg->listen_count, sizeof(*w->udp));
	w->tcp = calloc(cfg->listen_count, sizeof(*w->tcp));
	for (size_t i = 0; i < cfg->listen_count; i++) {
		if (w->udp)
			w->udp[i].fd = -1;   /* so that worker_clear() closes only what was opened */
		if (w->tcp)
			w->tcp[i].fd = -1;
	}
	if (!w->base || !w->udp || !w->tcp) {
		snprintf(err, errlen, "out of memory");
		return DNSD_ENOMEM;
	}
	for (size_t i = 0; i < cfg->listen_count; i++) {
		const struct config_addr *a = &cfg->listen[i];
		int rc = udp_socket_init(&w->udp[i], s, w->stats + 1 + i, a, err, errlen);
		if (rc == 0)
			rc = tcp_listener_init(&w->tcp[i], w, a, err, errlen);
		if (rc != 0)
			return rc;
	}
	w->stop_ev = event_new(w->base, -1, 0, worker_stop_cb, w);
	if (!w->stop_ev || tcp_worker_init(w) != 0) {
		snprintf(err, errlen, "out of memory");
		return DNSD_ENOMEM;
	}
	return 0;
}

static void worker_clear(struct worker *w)
{
	tcp_worker_clear(w);
	for (size_t i = 0; i < w->listen_count; i++) {
		if (w->udp)
			udp_socket_clear(&w->udp[i]);
		if (w->tcp)
			tcp_listener_clear(&w->tcp[i]);
	}
	free(w->udp);
	free(w->tcp);
	if (w->stop_ev)
		event_free(w->stop_ev);
	if (w->base)
		event_base_free(w->base);
	publish_reader_unregister(w->reader);
}

/* ---------- the server ---------- */

/* Cross-thread event_active() (stop requests) needs libevent's locking. */
static void use_pthreads(void)
{
	evthread_use_pthreads();
}

struct server *server_new(const struct config *cfg, struct publish *publish, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, use_pthreads);
	struct server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->publish = publish;
	s->listen_count = cfg->listen_count;
	unsigned n = cfg->workers;
	if (n == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus > 0 ? (unsigned)cpus : 1;
	}
	s->worker_count = n;
	s->workers = calloc(n, sizeof(*s->workers));
	s->stats_count = n * (1 + (unsigned)cfg->listen_count);
	s->stats = calloc(s->stats_count, sizeof(*s->stats));
	if (!s->workers || !s->stats) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < n; i++) {
		struct worker *w = &s->workers[i];
		w->id = i;
		w->reader = publish_reader_register(publish);
		if (!w->reader) {
			snprintf(err, errlen, "too many workers");
			goto fail;
		}
		if (worker_init(s, w, cfg, err, errlen) != 0)
			goto fail;
	}
	return s;
fail:
	server_free(s);
	return NULL;
}

int server_start(struct server *s)
{
	for (unsigned i = 0; i < s->worker_count; i++) {
		struct worker *w = &s->workers[i];
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
			return DNSD_EIO;
		w->is_started = true;
		for (size_t j = 0; j < w->listen_count; j++)
			if (udp_socket_start(&w->udp[j]) != 0)
				return DNSD_EIO;
	}
	return 0;
}

void server_stop(struct server *s, unsigned drain_ms)
{
	/* UDP first: wake every thread, then join them */
	for (unsigned i = 0; i < s->worker_count; i++)
		for (size_t j = 0; j < s->workers[i].listen_count; j++)
			udp_socket_wake(&s->workers[i].udp[j]);
	for (unsigned i = 0; i < s->worker_count; i++)
		for (size_t j = 0; j < s->workers[i].listen_count; j++)
			udp_socket_join(&s->workers[i].udp[j]);
	for (unsigned i = 0; i < s->worker_count; i++) {
		struct worker *w = &s->workers[i];
		if (!w->is_started)
			continue;
		event_active(w->stop_ev, EV_TIMEOUT, 0);
		struct timeval tv = { drain_ms / 1000, (drain_ms % 1000) * 1000 };
		event_base_loopexit(w->base, &tv);
	}
	for (unsigned i = 0; i < s->worker_count; i++) {
		struct worker *w = &s->workers[i];
		if (w->is_started)
			pthread_join(w->thread, NULL);
		w->is_started = false;
	}
}

void server_free(struct server *s)
{
	if (!s)
		return;
	for (unsigned i = 0; s->workers && i < s->worker_count; i++)
		worker_clear(&s->workers[i]);
	free(s->workers);
	free(s->stats);
	free(s);
}

unsigned server_worker_count(const struct server *s) { return s->worker_count; }
