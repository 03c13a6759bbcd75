/* SPDX-License-Identifier: BSD-3-Clause
 * test_slab.c - the builder's size-class allocator: objects keep their
 * contents while others of every class come and go, freed objects are
 * reused by their class, realloc moves contents, large objects work. */
#include <check.h>

#include "check_main.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/slab.h"

#define OBJS 3000

static void fill(uint8_t *p, size_t size, unsigned seed)
{
	for (size_t i = 0; i < size; i++)
		p[i] = (uint8_t)(seed * 31 + i);
}

static int intact(const uint8_t *p, size_t size, unsigned seed)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != (uint8_t)(seed * 31 + i))
			return 0;
	return 1;
}

START_TEST(objects_keep_contents_under_churn)
{
	static uint8_t *obj[OBJS];
	static size_t size[OBJS];
	struct slab s;
	slab_init(&s);
	unsigned rng = 7;
	size_t expect = 0;
	for (unsigned round = 0; round < 20000; round++) {
		rng = rng * 1103515245u + 12345u;
		unsigned i = (rng >> 8) % OBJS;
		if (obj[i]) {
			ck_assert_msg(intact(obj[i], size[i], i), "object %u (%zu bytes) was overwritten", i,
				      size[i]);
			if (rng & 1) {
				size_t ns = 1 + (rng >> 20) % 300;
				uint8_t *q = slab_realloc(&s, obj[i], size[i], ns);
				ck_assert_ptr_nonnull(q);
				size_t keep = ns < size[i] ? ns : size[i];
				ck_assert(intact(q, keep, i));
				expect = expect - size[i] + ns;
				obj[i] = q;
				size[i] = ns;
				fill(q, ns, i);
			} else {
				slab_free(&s, obj[i], size[i]);
				expect -= size[i];
				obj[i] = NULL;
			}
		} else {
			size[i] = 1 + (rng >> 16) % 400; /* some above SLAB_MAX: malloc */
			obj[i] = slab_alloc(&s, size[i]);
			ck_assert_ptr_nonnull(obj[i]);
			ck_assert_uint_eq((uintptr_t)obj[i] % 8, 0);
			fill(obj[i], size[i], i);
			expect += size[i];
		}
		ck_assert_uint_eq(s.in_use, expect);
	}
	for (unsigned i = 0; i < OBJS; i++)
		if (obj[i]) {
			ck_assert(intact(obj[i], size[i], i));
			slab_free(&s, obj[i], size[i]);
			obj[i] = NULL;
		}
	ck_assert_uint_eq(s.in_use, 0);
	slab_clear(&s);
}
END_TEST

#if !defined(__SANITIZE_ADDRESS__)
/* (under ASan every object comes from malloc, which reuses as it likes) */
START_TEST(freed_objects_are_reused_by_their_class)
{
	struct slab s;
	slab_init(&s);
	void *a = slab_alloc(&s, 20), *b = slab_alloc(&s, 24), *c = slab_alloc(&s, 40);
	slab_free(&s, a, 20);
	slab_free(&s, c, 40);
	ck_assert_ptr_eq(slab_alloc(&s, 17), a); /* 17..24: a's class */
	ck_assert_ptr_eq(slab_alloc(&s, 33), c);
	ck_assert_ptr_ne(slab_alloc(&s, 24), b); /* b is still in use */
	/* growing within a class keeps the object */
	ck_assert_ptr_eq(slab_realloc(&s, b, 24, 18), b);
	slab_clear(&s);
}
END_TEST

/* After a large transient, the chunks none of whose objects is in use go
 * back (issue #14); the objects still in use keep their contents, and no
 * object of an unmapped chunk is handed out again (it would fault). */
START_TEST(wholly_free_chunks_released)
{
	enum { N = 100000 };
	static uint8_t *obj[N];
	struct slab s;
	slab_init(&s);
	for (unsigned i = 0; i < N; i++) {
		size_t size = 16 + (i % 13) * 8; /* 16..112 bytes: several classes */
		obj[i] = slab_alloc(&s, size);
		ck_assert_ptr_nonnull(obj[i]);
		fill(obj[i], size, i);
	}
	size_t mapped = s.mapped;
	ck_assert_uint_ge(mapped, 5u << 20);
	ck_assert(!slab_release_due(&s));
	/* keep the first 200: the oldest chunk stays partly in use */
	for (unsigned i = 0; i < N; i++)
		if (i >= 200) {
			slab_free(&s, obj[i], 16 + (i % 13) * 8);
			obj[i] = NULL;
		}
	ck_assert(slab_release_due(&s));
	size_t released = slab_release(&s);
	ck_assert_uint_eq(s.mapped, mapped - released);
	ck_assert_msg(s.mapped < mapped / 2, "%zu of %zu bytes still mapped", s.mapped, mapped);
	ck_assert(!slab_release_due(&s));
	for (unsigned i = 0; i < 200; i++)
		ck_assert(intact(obj[i], 16 + (i % 13) * 8, i));
	/* every free object left is writable: allocate and fill them all again */
	for (unsigned i = 0; i < N; i++)
		if (!obj[i]) {
			obj[i] = slab_alloc(&s, 16 + (i % 13) * 8);
			ck_assert_ptr_nonnull(obj[i]);
			fill(obj[i], 16 + (i % 13) * 8, i);
		}
	for (unsigned i = 0; i < N; i++)
		ck_assert(intact(obj[i], 16 + (i % 13) * 8, i));
	ck_assert_uint_eq(slab_release(&s), 0); /* everything in use */
	slab_clear(&s);
}
END_TEST

/* Every other object freed leaves every chunk half used: slab_release()
 * finds none wholly free, and compaction is due. Evacuating moves the
 * survivors (contents intact) out of the sparse chunks, which go back:
 * what is mapped ends near what is in use, as if freshly allocated. */
START_TEST(evacuation_gives_back_half_used_chunks)
{
	enum { N = 60000 };
	static uint8_t *obj[N];
	struct slab s;
	slab_init(&s);
	for (unsigned i = 0; i < N; i++) {
		obj[i] = slab_alloc(&s, 16 + (i % 13) * 8);
		ck_assert_ptr_nonnull(obj[i]);
		fill(obj[i], 16 + (i % 13) * 8, i);
	}
	ck_assert(!slab_compact_due(&s));
	for (unsigned i = 0; i < N; i += 2) {
		slab_free(&s, obj[i], 16 + (i % 13) * 8);
		obj[i] = NULL;
	}
	ck_assert_uint_eq(slab_release(&s), 0); /* no chunk wholly free */
	ck_assert(slab_compact_due(&s));
	size_t mapped = s.mapped, in_use = s.in_use;
	size_t moving = slab_evacuate_begin(&s);
	ck_assert_uint_ge(moving, in_use / 2);
	size_t moved = 0;
	for (unsigned i = 1; i < N; i += 2) {
		size_t size = 16 + (i % 13) * 8;
		if (!slab_is_evacuating(&s, obj[i], size))
			continue;
		uint8_t *q = slab_alloc(&s, size);
		ck_assert_ptr_nonnull(q);
		ck_assert(!slab_is_evacuating(&s, q, size)); /* never into a chunk that goes */
		memcpy(q, obj[i], size);
		slab_free(&s, obj[i], size);
		obj[i] = q;
		moved++;
	}
	ck_assert_uint_gt(moved, 0);
	ck_assert_uint_gt(slab_evacuate_end(&s), mapped / 2);
	ck_assert_uint_eq(s.in_use, in_use);
	ck_assert_msg(s.mapped < mapped * 2 / 3, "%zu of %zu bytes still mapped", s.mapped, mapped);
	ck_assert_msg(slab_holes(&s) <= in_use / 16 + SLAB_COMPACT_SLACK, "%zu bytes of holes for %zu in use",
		      slab_holes(&s), in_use);
	ck_assert(!slab_compact_due(&s));
	for (unsigned i = 1; i < N; i += 2)
		ck_assert(intact(obj[i], 16 + (i % 13) * 8, i));
	/* the free objects left are writable and none is handed out twice */
	for (unsigned i = 0; i < N; i += 2) {
		obj[i] = slab_alloc(&s, 16 + (i % 13) * 8);
		ck_assert_ptr_nonnull(obj[i]);
		fill(obj[i], 16 + (i % 13) * 8, i);
	}
	for (unsigned i = 0; i < N; i++)
		ck_assert(intact(obj[i], 16 + (i % 13) * 8, i));
	slab_clear(&s);
}
END_TEST
#endif

Suite *unit_suite(void)
{
	Suite *su = suite_create("slab");
	TCase *tc = tcase_create("slab");
	tcase_add_test(tc, objects_keep_contents_under_churn);
#if !defined(__SANITIZE_ADDRESS__)
	tcase_add_test(tc, freed_objects_are_reused_by_their_class);
	tcase_add_test(tc, wholly_free_chunks_released);
	tcase_add_test(tc, evacuation_gives_back_half_used_chunks);
#endif
	suite_add_tcase(su, tc);
	return su;
}
