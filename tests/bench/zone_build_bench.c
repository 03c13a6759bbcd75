/* SPDX-License-Identifier: BSD-3-Clause
 * zone_build_bench.c - the cost of one name with many records (issue #15):
 * writes a zone file with N records of one type at big.global, loads it,
 * freezes it, answers big.global over UDP and TCP, adds every record a
 * second time (a second contribution, as a second ServiceEntry with the same
 * addresses would), removes them all twice (the first drops a contribution,
 * the second the record) and freezes the zone without the name. Each phase
 * is a function of its own, so that callgrind gives its instructions:
 *   valgrind --tool=callgrind build/release/bench/zone_build_bench a 2000
 *   callgrind_annotate --inclusive=yes callgrind.out.PID | grep phase_
 * (tests/bench/big_name_callgrind.py runs the matrix). KIND: a, aaaa, txt
 * (distinct strings). Also prints each phase's CPU time, for sizes too slow
 * for callgrind. Builds against libdnsd.a (the Makefile's bench target). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../unit/unit_query.h"
#include "conf/config.h"
#include "query/answer.h"
#include "zone/snapshot.h"
#include "zone/view.h"
#include "zone/zone.h"
#include "zone/zone_build.h"
#include "zone/zonefile.h"

#define BIG "big.global"

static const uint8_t big_wire[] = "\003big\006global";

/* The i-th record's rdata (and its text in a zone file); returns rdlen. */
static uint16_t record(const char *kind, long i, uint8_t *rd, char *text, size_t text_len)
{
	if (strcmp(kind, "a") == 0) {
		uint32_t a = 0x0A000000u | (uint32_t)i;
		rd[0] = (uint8_t)(a >> 24), rd[1] = (uint8_t)(a >> 16), rd[2] = (uint8_t)(a >> 8), rd[3] = (uint8_t)a;
		snprintf(text, text_len, "A %u.%u.%u.%u", rd[0], rd[1], rd[2], rd[3]);
		return 4;
	}
	if (strcmp(kind, "aaaa") == 0) {
		memset(rd, 0, 16);
		rd[0] = 0x20, rd[1] = 0x01, rd[2] = 0x0d, rd[3] = 0xb8;
		rd[12] = (uint8_t)(i >> 24), rd[13] = (uint8_t)(i >> 16), rd[14] = (uint8_t)(i >> 8), rd[15] = (uint8_t)i;
		snprintf(text, text_len, "AAAA 2001:db8::%x:%x", (unsigned)(i >> 16), (unsigned)(i & 0xFFFF));
		return 16;
	}
	int n = snprintf((char *)rd + 1, 32, "r%ld", i);
	rd[0] = (uint8_t)n;
	snprintf(text, text_len, "TXT \"r%ld\"", i);
	return (uint16_t)(n + 1);
}

static uint16_t kind_type(const char *kind)
{
	return strcmp(kind, "a") == 0 ? WIRE_TYPE_A : strcmp(kind, "aaaa") == 0 ? WIRE_TYPE_AAAA : WIRE_TYPE_TXT;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) int phase_load(struct zone_build *b, const char *path);
__attribute__((noinline)) struct zone *phase_freeze(struct zone_build *b);
__attribute__((noinline)) void phase_answer(struct zone *z, uint16_t type);
__attribute__((noinline)) int phase_add_again(struct zone_build *b, const char *kind, long n);
__attribute__((noinline)) int phase_remove(struct zone_build *b, const char *kind, long n);

int phase_load(struct zone_build *b, const char *path)
{
	char err[512];
	int rc = zonefile_load(b, path, 30, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "%s\n", err);
	return rc;
}

struct zone *phase_freeze(struct zone_build *b)
{
	char err[512] = "";
	struct zone *z = zone_build_freeze(b, err, sizeof(err));
	if (!z)
		fprintf(stderr, "freeze: %s\n", err);
	return z;
}

void phase_answer(struct zone *z, uint16_t type)
{
	struct config cfg = { 0 };
	struct snapshot_settings st = { .udp_payload_max = 1232 };
	struct snapshot *s = unit_snapshot_of(&cfg, &st, z);
	if (!s)
		abort();
	static uint8_t out[65535];
	for (int tcp = 0; tcp < 2; tcp++) {
		struct answer_info info;
		size_t n = unit_answer(s, BIG, type, 4096, tcp, out, tcp ? sizeof(out) : 4096, &info);
		printf("  answer over %s: %zu bytes, rcode %u, tc %d, ancount %u\n", tcp ? "TCP" : "UDP", n,
		       info.rcode, info.is_truncated, n >= 12 ? (unsigned)(out[6] << 8 | out[7]) : 0);
	}
	snapshot_free(s);
}

int phase_add_again(struct zone_build *b, const char *kind, long n)
{
	uint8_t rd[64];
	char text[64];
	for (long i = 0; i < n; i++) {
		uint16_t rdlen = record(kind, i, rd, text, sizeof(text));
		if (zone_build_add(b, big_wire, kind_type(kind), 30, rd, rdlen) != 0)
			return -1;
	}
	return 0;
}

int phase_remove(struct zone_build *b, const char *kind, long n)
{
	uint8_t rd[64];
	char text[64];
	for (int round = 0; round < 2; round++)
		for (long i = 0; i < n; i++) {
			uint16_t rdlen = record(kind, i, rd, text, sizeof(text));
			if (zone_build_remove(b, big_wire, kind_type(kind), rd, rdlen) != 0)
				return -1;
		}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: zone_build_bench a|aaaa|txt N [DIR]\n");
		return 2;
	}
	const char *kind = argv[1];
	long n = atol(argv[2]);
	const char *dir = argc > 3 ? argv[3] : "/tmp";
	char path[512];
	snprintf(path, sizeof(path), "%s/zone_build_bench.%ld.zone", dir, (long)getpid());
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 1;
	}
	fprintf(f, "$ORIGIN global.\n$TTL 30\n@ SOA ns.global. hostmaster.global. 1 3600 600 86400 30\n"
		   "@ NS ns.global.\nns A 192.0.2.53\n");
	uint8_t rd[64];
	char text[64];
	for (long i = 0; i < n; i++) {
		record(kind, i, rd, text, sizeof(text));
		fprintf(f, "big %s\n", text);
	}
	fclose(f);

	uint8_t apex[DNAME_MAX_LEN];
	dname_from_text(apex, "global");
	struct zone_build *b = zone_build_new(apex, 30);
	double t0 = cpu_s();
	int rc = phase_load(b, path);
	unlink(path);
	if (rc != 0)
		return 1;
	double t1 = cpu_s();
	struct zone *z = phase_freeze(b);
	if (!z)
		return 1;
	double t2 = cpu_s();
	printf("%s x %ld at " BIG ": %zu records at the name\n", kind, n,
	       zone_build_rrset_size(b, big_wire, kind_type(kind)));
	phase_answer(z, kind_type(kind));
	zone_unref(z);
	double t3 = cpu_s();
	if (phase_add_again(b, kind, n) != 0 || phase_remove(b, kind, n) != 0) {
		fprintf(stderr, "add/remove failed\n");
		return 1;
	}
	double t4 = cpu_s();
	if (zone_build_rrset_count(b, big_wire) != 0) {
		fprintf(stderr, "the name is still there\n");
		return 1;
	}
	z = phase_freeze(b);
	if (!z)
		return 1;
	zone_unref(z);
	double t5 = cpu_s();
	printf("  cpu s: load %.3f, freeze %.3f, answer %.3f, add again + remove twice %.3f, freeze %.3f\n",
	       t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4);
	zone_build_free(b);
	return 0;
}
