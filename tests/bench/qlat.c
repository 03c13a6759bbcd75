/* SPDX-License-Identifier: BSD-3-Clause
 * qlat.c - a fixed-rate DNS/UDP client that records every query's latency
 * (dnsperf reports only an average and a deviation: not enough for p99.9).
 *
 *   qlat PORT RATE SECONDS NAMES_FILE [TIMEOUT_MS]
 *
 * Sends RATE A queries per second to 127.0.0.1:PORT for SECONDS, the names
 * taken in turn from NAMES_FILE (one per line), each at its own time on the
 * schedule (no catching up in bursts beyond what is due); a query is
 * answered when a reply with its ID arrives within TIMEOUT_MS
 * (default 1000). Prints one line:
 *   sent=N answered=N unanswered=N p50_us= p90_us= p99_us= p999_us= max_us= late_sends=N
 * where late_sends counts queries sent more than 1 ms behind schedule (the
 * client itself was starved). Bounded: at most 10^7 queries, 600 s. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define QLAT_MAX_QUERIES 10000000UL
#define QLAT_MAX_SECONDS 600
#define QLAT_IDS 65536

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The query for name with id: no EDNS, RD clear, A IN. */
static size_t make_query(uint8_t *out, uint16_t id, const char *name)
{
	size_t n = 0;
	out[n++] = (uint8_t)(id >> 8);
	out[n++] = (uint8_t)id;
	memset(out + n, 0, 10);
	out[5] = 1; /* qdcount */
	n += 10;
	const char *p = name;
	while (*p && *p != '.') {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (len == 0 || len > 63 || n + len + 6 > 300)
			break;
		out[n++] = (uint8_t)len;
		memcpy(out + n, p, len);
		n += len;
		p += len + (dot ? 1 : 0);
	}
	out[n++] = 0;
	out[n++] = 0;
	out[n++] = 1; /* A */
	out[n++] = 0;
	out[n++] = 1; /* IN */
	return n;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: qlat PORT RATE SECONDS NAMES_FILE [TIMEOUT_MS]\n");
		return 2;
	}
	int port = atoi(argv[1]);
	double rate = atof(argv[2]), seconds = atof(argv[3]);
	uint64_t timeout_ns = (argc > 5 ? (uint64_t)atoi(argv[5]) : 1000) * 1000000u;
	if (port <= 0 || port > 65535 || rate <= 0 || seconds <= 0 || seconds > QLAT_MAX_SECONDS ||
	    rate * seconds > QLAT_MAX_QUERIES) {
		fprintf(stderr, "qlat: bad arguments (at most %lu queries, %d s)\n", QLAT_MAX_QUERIES,
			QLAT_MAX_SECONDS);
		return 2;
	}
	FILE *f = fopen(argv[4], "r");
	if (!f) {
		perror(argv[4]);
		return 2;
	}
	size_t names_cap = 1024, names_count = 0;
	char **names = malloc(names_cap * sizeof(*names));
	char line[300];
	while (names && fgets(line, sizeof(line), f) && names_count < 10000000) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (!line[0])
			continue;
		if (names_count == names_cap) {
			names_cap *= 2;
			char **nn = realloc(names, names_cap * sizeof(*names));
			if (!nn)
				return 2;
			names = nn;
		}
		names[names_count++] = strdup(line);
	}
	fclose(f);
	if (!names_count) {
		fprintf(stderr, "qlat: no names in %s\n", argv[4]);
		return 2;
	}
	size_t total = (size_t)(rate * seconds);
	uint32_t *lat_us = malloc(total * sizeof(*lat_us)); /* UINT32_MAX: unanswered */
	uint64_t *sent_ns = malloc(total * sizeof(*sent_ns));
	int64_t *slot = malloc(QLAT_IDS * sizeof(*slot)); /* id -> query index, -1 none */
	if (!lat_us || !sent_ns || !slot)
		return 2;
	for (size_t i = 0; i < total; i++)
		lat_us[i] = UINT32_MAX;
	for (size_t i = 0; i < QLAT_IDS; i++)
		slot[i] = -1;

	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int size = 8 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		perror("qlat: socket");
		return 2;
	}
	uint64_t interval_ns = (uint64_t)(1e9 / rate);
	uint64_t start = now_ns() + 1000000;
	uint64_t end = start + (uint64_t)(seconds * 1e9);
	size_t next = 0, answered = 0, late = 0;
	uint8_t q[512], r[4096];
	for (;;) {
		uint64_t now = now_ns();
		/* every query due by now, each stamped when it actually leaves */
		while (next < total && start + next * interval_ns <= now) {
			uint16_t id = (uint16_t)next;
			size_t len = make_query(q, id, names[next % names_count]);
			uint64_t t = now_ns();
			if (t - (start + next * interval_ns) > 1000000)
				late++;
			sent_ns[next] = t;
			slot[id] = (int64_t)next;
			if (send(fd, q, len, 0) < 0 && errno != EAGAIN && errno != ECONNREFUSED)
				perror("qlat: send");
			next++;
		}
		for (;;) {
			ssize_t n = recv(fd, r, sizeof(r), 0);
			if (n < 0)
				break;
			uint64_t t = now_ns();
			if (n < 12)
				continue;
			uint16_t id = (uint16_t)(r[0] << 8 | r[1]);
			int64_t i = slot[id];
			if (i < 0 || lat_us[i] != UINT32_MAX || t - sent_ns[i] > timeout_ns)
				continue;
			lat_us[i] = (uint32_t)((t - sent_ns[i]) / 1000);
			answered++;
		}
		now = now_ns();
		if (next >= total && (answered == total || now > end + timeout_ns))
			break;
		uint64_t due = next < total ? start + next * interval_ns : end + timeout_ns;
		uint64_t wait = due > now ? due - now : 0;
		struct timespec ts = { (time_t)(wait / 1000000000u), (long)(wait % 1000000000u) };
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ppoll(&pfd, 1, &ts, NULL);
	}
	uint32_t *ok = malloc((answered ? answered : 1) * sizeof(*ok));
	size_t k = 0;
	for (size_t i = 0; i < total; i++)
		if (lat_us[i] != UINT32_MAX)
			ok[k++] = lat_us[i];
	qsort(ok, k, sizeof(*ok), cmp_u32);
#define PCT(p) (k ? ok[(size_t)((double)(k - 1) * (p))] : 0)
	printf("sent=%zu answered=%zu unanswered=%zu p50_us=%u p90_us=%u p99_us=%u p999_us=%u max_us=%u "
	       "late_sends=%zu\n",
	       total, answered, total - answered, PCT(0.50), PCT(0.90), PCT(0.99), PCT(0.999), k ? ok[k - 1] : 0,
	       late);
	return 0;
}
