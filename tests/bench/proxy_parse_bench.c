/* SPDX-License-Identifier: BSD-3-Clause
 * proxy_parse_bench.c - the CPU time the UDP path spends on PROXY v2 per
 * datagram (server/proxy.h), without the kernel's share that dominates a
 * query's cost: the allowlist check plus proxy_classify() of the header
 * dnsdist 1.7 sends, against proxy_classify() of a direct client's query (one
 * byte compare). CPU time (CLOCK_PROCESS_CPUTIME_ID), so that other load on
 * a shared machine does not count. Built and run by tests/bench/proxy_bench.py:
 *   proxy_parse_bench [ITERATIONS]   prints "proxied_ns=X direct_ns=Y" */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "server/proxy.h"

/* dnsdist, UDP, IPv4 client 127.0.0.11 -> 127.0.0.1:15300, then a query header */
static const uint8_t datagram[] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x12, 0x00, 0x0c,
	0x7f, 0x00, 0x00, 0x0b, 0x7f, 0x00, 0x00, 0x01, 0xb2, 0xfc, 0x3b, 0xc4,
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000000;
	struct config_prefix p;
	if (n <= 0 || config_prefix_parse(&p, "127.0.0.2") != 0)
		return 2;
	struct proxy_allowlist allow = { &p, 1 };
	struct sockaddr_in balancer = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000002) };
	struct sockaddr_in client = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f00000b) };
	struct proxy_header ph;
	volatile size_t sink = 0;
	double t0 = cpu_s();
	for (long i = 0; i < n; i++) {
		bool is_allowed = proxy_is_allowed(&allow, (const struct sockaddr *)&balancer);
		if (proxy_classify(&ph, is_allowed, false, datagram, sizeof(datagram)) == PROXY_VERDICT_PROXIED)
			sink += ph.len;
	}
	double t1 = cpu_s();
	for (long i = 0; i < n; i++) {
		/* the direct path as udp.c runs it: allowlist, then classify */
		bool is_allowed = proxy_is_allowed(&allow, (const struct sockaddr *)&client);
		sink += proxy_classify(&ph, is_allowed, false, datagram + 28, sizeof(datagram) - 28);
	}
	double t2 = cpu_s();
	if (sink != (size_t)n * 28)
		return 1;
	printf("proxied_ns=%.1f direct_ns=%.1f\n", (t1 - t0) / (double)n * 1e9, (t2 - t1) / (double)n * 1e9);
	return 0;
}
