/* SPDX-License-Identifier: BSD-3-Clause
 * test_arena.c - the bump allocator: objects keep their contents and
 * alignment, big objects get their own chunks; freed mapped chunks are
 * reused by the next arena without faulting their pages in again, the cache
 * stays under its bound and arena_cache_release() empties it (issue #14). */
#include <check.h>

#include "check_main.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/arena.h"

#define MIB (1024u * 1024u)

static long minor_faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Fills an arena of 1 MiB chunks with total bytes in objects of 1..4096
 * bytes and one big object of 300 KiB, touching every byte. */
static void fill(struct arena *a, size_t total)
{
	unsigned rng = 11;
	size_t done = 0;
	uint8_t *big = arena_alloc(a, 300 * 1024);
	ck_assert_ptr_nonnull(big);
	memset(big, 0x5a, 300 * 1024);
	while (done < total) {
		rng = rng * 1103515245u + 12345u;
		size_t n = 1 + (rng >> 16) % 4096;
		uint8_t *p = arena_alloc(a, n);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % 8, 0);
		memset(p, (int)(n & 0xff), n);
		done += n;
	}
}

START_TEST(objects_keep_contents)
{
	struct arena a;
	arena_init(&a, 0);
	uint8_t *obj[2000];
	size_t size[2000];
	for (unsigned i = 0; i < 2000; i++) {
		size[i] = i % 7 == 0 ? 20000 + i : 1 + i % 300; /* some over a quarter chunk */
		obj[i] = i % 2 ? arena_alloc(&a, size[i]) : arena_alloc_bytes(&a, size[i]);
		ck_assert_ptr_nonnull(obj[i]);
		if (i % 2)
			ck_assert_uint_eq((uintptr_t)obj[i] % 8, 0);
		memset(obj[i], (int)(i & 0xff), size[i]);
	}
	for (unsigned i = 0; i < 2000; i++) {
		size_t j = 0;
		while (j < size[i] && obj[i][j] == (uint8_t)(i & 0xff))
			j++;
		ck_assert_msg(j == size[i], "object %u byte %zu overwritten", i, j);
	}
	uint8_t *d = arena_memdup(&a, "abc", 3);
	ck_assert(d && memcmp(d, "abc", 3) == 0);
	ck_assert_ptr_nonnull(arena_alloc(&a, 0));
	arena_clear(&a);
	ck_assert_ptr_nonnull(arena_alloc(&a, 100)); /* usable again */
	arena_clear(&a);
}
END_TEST

START_TEST(freed_chunks_reused_without_faults)
{
	arena_cache_release();
	struct arena_stats s0, s1, s2;
	arena_stats_get(&s0);
	struct arena a;
	arena_init(&a, MIB);
	fill(&a, 8 * MIB);
	arena_stats_get(&s1);
	if (s1.mapped_bytes == s0.mapped_bytes) {
		/* AddressSanitizer: chunks from malloc, nothing cached */
		arena_clear(&a);
		return;
	}
	ck_assert_uint_ge(s1.mapped_bytes - s0.mapped_bytes, 8 * MIB);
	arena_clear(&a);
	arena_stats_get(&s1);
	ck_assert_uint_ge(s1.cached_bytes, 8 * MIB);
	/* the next freeze: the same shape again, from the cache */
	long f0 = minor_faults();
	arena_init(&a, MIB);
	fill(&a, 8 * MIB);
	long faults = minor_faults() - f0;
	arena_stats_get(&s2);
	ck_assert_uint_eq(s2.mapped_bytes, s1.mapped_bytes);
	ck_assert_uint_ge(s2.reused_bytes - s1.reused_bytes, 8 * MIB);
	/* fresh pages would be 2,100 faults (8.3 MiB of 4 KiB pages) */
	ck_assert_msg(faults < 100, "%ld page faults filling 8 MiB from cached chunks", faults);
	arena_clear(&a);
	arena_cache_release();
	arena_stats_get(&s2);
	ck_assert_uint_eq(s2.cached_bytes, 0);
	ck_assert_uint_ge(s2.unmapped_bytes - s1.unmapped_bytes, 8 * MIB);
}
END_TEST

START_TEST(cache_bounded)
{
	arena_cache_release();
	/* twice the bound in chunks of their own (mapped, never touched) */
	struct arena a[2];
	for (unsigned i = 0; i < 2; i++) {
		arena_init(&a[i], MIB);
		for (unsigned j = 0; j < ARENA_CACHE_MAX / MIB; j++)
			ck_assert_ptr_nonnull(arena_alloc(&a[i], MIB));
	}
	struct arena_stats s0, s1;
	arena_stats_get(&s0);
	for (unsigned i = 0; i < 2; i++)
		arena_clear(&a[i]);
	arena_stats_get(&s1);
	ck_assert_uint_le(s1.cached_bytes, ARENA_CACHE_MAX);
	if (s1.cached_bytes) /* not under AddressSanitizer */
		ck_assert_uint_gt(s1.unmapped_bytes, s0.unmapped_bytes);
	ck_assert_uint_eq(s1.live_bytes, 0);
	/* a publisher keeps what its last freeze took */
	arena_cache_trim(3 * MIB);
	arena_stats_get(&s1);
	ck_assert_uint_le(s1.cached_bytes, 3 * MIB);
	arena_cache_release();
}
END_TEST

/* Resident pages of [p, p + len) (mincore). */
static size_t resident_pages(const void *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = (uintptr_t)p & ~(uintptr_t)(page - 1);
	size_t n = ((uintptr_t)p + len - from + page - 1) / page, count = 0;
	unsigned char *vec = malloc(n);
	ck_assert_ptr_nonnull(vec);
	ck_assert_int_eq(mincore((void *)from, n * page, vec), 0);
	for (size_t i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

START_TEST(tails_of_reused_chunks_given_back)
{
	arena_cache_release();
	/* a 760 KiB object, written through, in a chunk of its own (the 768 KiB class) */
	struct arena a;
	arena_init(&a, 64);
	uint8_t *big = arena_alloc(&a, 760 * 1024);
	ck_assert_ptr_nonnull(big);
	memset(big, 0xA5, 760 * 1024);
	arena_clear(&a);
	struct arena_stats s1;
	arena_stats_get(&s1);
	if (s1.cached_bytes == 0) /* AddressSanitizer: chunks from malloc */
		return;
	/* a compacted part of 520 KiB gets that chunk back, its tail still resident */
	arena_init(&a, 64);
	uint8_t *part = arena_alloc(&a, 520 * 1024);
	ck_assert_ptr_nonnull(part);
	memset(part, 0x5A, 520 * 1024);
	struct arena_stats s2;
	arena_stats_get(&s2);
	ck_assert_uint_gt(s2.reused_bytes, s1.reused_bytes);
	uint8_t *tail = part + 520 * 1024;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t before = resident_pages(tail, 200 * 1024);
	ck_assert_uint_ge(before, 200 * 1024 / page - 1);
	size_t released = arena_release_tails(&a);
	ck_assert_uint_ge(released, 200 * 1024);
	ck_assert_uint_le(resident_pages(tail + page, 200 * 1024 - page), 0);
	/* the object itself is untouched */
	for (size_t i = 0; i < 520 * 1024; i += 4096)
		ck_assert_uint_eq(part[i], 0x5A);
	ck_assert_uint_eq(part[520 * 1024 - 1], 0x5A);
	arena_clear(&a);
	arena_cache_release();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, objects_keep_contents);
	tcase_add_test(tc, freed_chunks_reused_without_faults);
	tcase_add_test(tc, cache_bounded);
	tcase_add_test(tc, tails_of_reused_chunks_given_back);
	suite_add_tcase(s, tc);
	return s;
}
