/* SPDX-License-Identifier: BSD-3-Clause
 * server.c - the workers and the server's lifecycle: every listening address
 * bound by every worker at start-up, a libevent thread per worker for TCP
 * (tcp.c) and a thread per worker and address for UDP (udp.c), and the
 * ordered stop (UDP first, then TCP drained). Answers nothing itself. */
#include "server/server.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/server_internal.h"
#include "server/stats.h"
#include "util/err.h"
#include "util/log.h"

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

static uint16_t addr_port(const struct config_addr *a)
{
	return ntohs(a->ss.ss_family == AF_INET ? ((const struct sockaddr_in *)&a->ss)->sin_port
						: ((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

/* a's port, in the sockaddr and in the text ("127.0.0.1:0" -> "127.0.0.1:40123"). */
static void addr_set_port(struct config_addr *a, const char *configured, uint16_t port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
	const char *colon = strrchr(configured, ':');
	int host_len = colon ? (int)(colon - configured) : 0;
	snprintf(a->text, sizeof(a->text), "%.*s:%u", host_len, configured, (unsigned)port);
}

/* Binds w's UDP and TCP sockets for listen address i. A port 0 is chosen by
 * the kernel for worker 0's UDP socket; its TCP socket and the other
 * workers' then bind that port (tried again with a new port, a few times,
 * should TCP find it taken). */
static int worker_bind(struct server *s, struct worker *w, size_t i, const char *configured, char *err,
		       size_t errlen)
{
	struct config_addr *a = &s->listen[i];
	bool is_port0 = w->id == 0 && addr_port(a) == 0;
	for (int attempt = 0;; attempt++) {
		struct server_stats *udp_stats = w->stats + s->listen_count + i;
		udp_stats->listen = (unsigned)i;
		udp_stats->is_tcp = false;
		int rc = udp_socket_init(&w->udp[i], s, udp_stats, a, err, errlen);
		if (rc != 0)
			return rc;
		if (is_port0) {
			const struct sockaddr_storage *l = &w->udp[i].local;
			addr_set_port(a, configured,
				      ntohs(l->ss_family == AF_INET
						    ? ((const struct sockaddr_in *)l)->sin_port
						    : ((const struct sockaddr_in6 *)l)->sin6_port));
		}
		struct server_stats *tcp_stats = w->stats + i;
		tcp_stats->listen = (unsigned)i;
		tcp_stats->is_tcp = true;
		rc = tcp_listener_init(&w->tcp[i], w, tcp_stats, a, err, errlen);
		if (rc == 0 || !is_port0 || attempt == 15)
			return rc;
		tcp_listener_clear(&w->tcp[i]);
		udp_socket_clear(&w->udp[i]);
		w->tcp[i] = (struct tcp_listener){ .fd = -1 };
		w->udp[i] = (struct udp_socket){ .fd = -1 };
		addr_set_port(a, configured, 0);
	}
}

static int worker_init(struct server *s, struct worker *w, const struct config *cfg, char *err, size_t errlen)
{
	w->s = s;
	w->listen_count = cfg->listen_count;
	w->idle_timeout_ms = cfg->tcp_idle_timeout_ms;
	w->io_timeout_ms = cfg->tcp_io_timeout_ms;
	w->conn_max_per_client = cfg->tcp_max_connections_per_client;
	w->output_max = cfg->tcp_output_buffer_max / s->worker_count;
	w->in_flight_max = cfg->tcp_in_flight_max / s->worker_count;
	w->conn_max = (cfg->tcp_max_connections + s->worker_count - 1) / s->worker_count;
	if (w->conn_max == 0)
		w->conn_max = 1;
	/* stats: one per TCP listener (the first also counts the worker's
	 * connections), then one per UDP socket */
	w->stats = &s->stats[w->id * 2 * cfg->listen_count];
	w->base = event_base_new();
	w->udp = calloc(cfg->listen_count, sizeof(*w->udp));
	w->tcp = calloc(cfg->listen_count, sizeof(*w->tcp));
	for (size_t i = 0; i < cfg->listen_count; i++) {
		if (w->udp)
			w->udp[i].fd = -1; /* so that worker_clear() closes only what was opened */
		if (w->tcp)
			w->tcp[i].fd = -1;
	}
	if (!w->base || !w->udp || !w->tcp) {
		snprintf(err, errlen, "out of memory");
		return DNSD_ENOMEM;
	}
	for (size_t i = 0; i < cfg->listen_count; i++) {
		int rc = worker_bind(s, w, i, cfg->listen[i].text, err, errlen);
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
static void use_pthreads(void) { evthread_use_pthreads(); }

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
	s->udp_io = cfg->udp_io;
	s->udp_batch_wait_us = cfg->udp_batch_wait_us;
	if (cfg->proxy_protocol_count) {
		s->proxy_prefixes = calloc(cfg->proxy_protocol_count, sizeof(*s->proxy_prefixes));
		if (!s->proxy_prefixes) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		memcpy(s->proxy_prefixes, cfg->proxy_protocol,
		       cfg->proxy_protocol_count * sizeof(*s->proxy_prefixes));
		s->proxy = (struct proxy_allowlist){ s->proxy_prefixes, cfg->proxy_protocol_count };
	}
	struct rrl *rrl;
	if (rrl_new(&rrl, cfg, err, errlen) != 0)
		goto fail;
	atomic_store(&s->rrl, rrl);
	unsigned n = cfg->workers;
	if (n == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus > 0 ? (unsigned)cpus : 1;
	}
	s->worker_count = n;
	s->listen = calloc(cfg->listen_count ? cfg->listen_count : 1, sizeof(*s->listen));
	if (s->listen)
		memcpy(s->listen, cfg->listen, cfg->listen_count * sizeof(*s->listen));
	s->workers = calloc(n, sizeof(*s->workers));
	s->stats_count = n * 2 * (unsigned)cfg->listen_count;
	s->stats = calloc(s->stats_count, sizeof(*s->stats));
	if (!s->workers || !s->stats || !s->listen) {
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
	free(s->listen);
	free(s->proxy_prefixes);
	rrl_free(atomic_load(&s->rrl));
	free(s);
}

int server_set_rrl(struct server *s, const struct config *cfg, char *err, size_t errlen)
{
	struct rrl *next;
	int rc = rrl_new(&next, cfg, err, errlen);
	if (rc != 0)
		return rc;
	/* the UDP threads load s->rrl inside their publish read sections
	 * (udp_answer): once every section open at the exchange has ended, no
	 * thread holds the old table */
	struct rrl *prev = atomic_exchange(&s->rrl, next);
	publish_lock();
	publish_synchronize(s->publish);
	publish_unlock();
	rrl_free(prev);
	if (cfg->rrl_responses_per_second)
		log_info("reload: rrl now %u responses/s (errors %u/s, nxdomains %u/s, slip %u%s)",
			 cfg->rrl_responses_per_second,
			 cfg->rrl_errors_per_second ? cfg->rrl_errors_per_second
						    : cfg->rrl_responses_per_second,
			 cfg->rrl_nxdomains_per_second ? cfg->rrl_nxdomains_per_second
						       : cfg->rrl_responses_per_second,
			 cfg->rrl_slip, cfg->rrl_is_log_only ? ", log-only" : "");
	else
		log_info("reload: rrl now off");
	return 0;
}

unsigned server_worker_count(const struct server *s) { return s->worker_count; }

size_t server_listen_count(const struct server *s) { return s->listen_count; }

const char *server_listen_text(const struct server *s, size_t i)
{
	return i < s->listen_count ? s->listen[i].text : NULL;
}
