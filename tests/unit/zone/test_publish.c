/* SPDX-License-Identifier: BSD-3-Clause
 * test_publish.c - the epoch RCU (publish.c) on real snapshots: readers that
 * open and close read sections in a loop never hold a snapshot that has been
 * freed while a writer swaps thousands of times; a reader inside a read
 * section delays the reclamation of the snapshot it holds; reader slots
 * register and unregister; the first swap, onto no snapshot, and
 * publish_clear().
 *
 * How a freed snapshot is seen: each snapshot's one zone set holds a zone
 * from a ring that the test keeps a reference to, so a zone's reference
 * count is 2 while the snapshot that uses it lives and 1 once snapshot_free()
 * has run, and reading the count is safe either way. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "check_main.h"
#include "conf/config.h"
#include "zone/publish.h"
#include "zone/zone_build.h"

#define RING 64 /* zones the snapshots take in turn */
#define READERS 4
#define SWAPS 4000
#define DEADLINE_S 20 /* bounds every wait and the swap loop */

static struct publish pub;       /* this test's own, not publish_global */
static struct view_table *views; /* one implicit "default" view */
static struct zone *ring[RING];  /* one reference each held by the test */

static void setup(void)
{
	memset(&pub, 0, sizeof(pub));
	struct config cfg = { 0 };
	views = view_table_new(&cfg);
	ck_assert_ptr_nonnull(views);
	static const uint8_t apex[] = "\4test";
	for (unsigned k = 0; k < RING; k++) {
		ring[k] = zone_new_pending(apex);
		ck_assert_ptr_nonnull(ring[k]);
	}
}

static void teardown(void)
{
	publish_lock();
	publish_clear(&pub);
	publish_unlock();
	for (unsigned k = 0; k < RING; k++)
		zone_unref(ring[k]);
	view_table_unref(views);
}

/* A snapshot whose only view serves ring[k]. */
static struct snapshot *make_snapshot(unsigned k)
{
	struct snapshot_settings st = { .udp_payload_max = 1232 };
	struct snapshot *s = snapshot_new(views, &st);
	ck_assert_ptr_nonnull(s);
	s->sets[0] = zone_set_new(&ring[k], 1);
	ck_assert_ptr_nonnull(s->sets[0]);
	return s;
}

static unsigned refs(unsigned k) { return atomic_load(&ring[k]->refs); }

static uint64_t swap(struct snapshot *next)
{
	publish_lock();
	uint64_t generation = publish_swap(&pub, next);
	publish_unlock();
	return generation;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------- readers under a writer that swaps thousands of times ---------- */

struct reader {
	pthread_t thread;
	_Atomic unsigned long sections; /* read sections that held a snapshot */
	_Atomic unsigned long errors;   /* a held snapshot freed, or changed */
	bool has_slot;
};

static atomic_bool is_stopping;

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	struct publish_reader *r = publish_reader_register(&pub);
	rd->has_slot = r != NULL;
	uint64_t last_generation = 0;
	while (r && !atomic_load(&is_stopping)) {
		const struct snapshot *s = publish_read_begin(&pub, r);
		if (s) {
			struct zone *z = s->sets[0]->zones[0];
			uint64_t generation = s->generation;
			/* a reader never sees an older snapshot than before */
			if (generation < last_generation)
				atomic_fetch_add(&rd->errors, 1);
			last_generation = generation;
			/* hold it a while, as a worker does over a batch of packets */
			for (int i = 0; i < 4; i++) {
				if (atomic_load(&z->refs) != 2)
					atomic_fetch_add(&rd->errors, 1);
				sched_yield();
			}
			if (s->generation != generation || s->view_count != 1 || s->sets[0]->zones[0] != z ||
			    s->settings.udp_payload_max != 1232)
				atomic_fetch_add(&rd->errors, 1);
			atomic_fetch_add(&rd->sections, 1);
		}
		publish_read_end(r);
	}
	publish_reader_unregister(r);
	return NULL;
}

START_TEST(test_readers_never_hold_a_freed_snapshot)
{
	static struct reader readers[READERS];
	memset(readers, 0, sizeof(readers));
	atomic_store(&is_stopping, false);
	swap(make_snapshot(0));
	for (int i = 0; i < READERS; i++)
		ck_assert_int_eq(pthread_create(&readers[i].thread, NULL, reader_main, &readers[i]), 0);
	/* every reader is in its loop before the swaps start */
	double deadline = now_s() + DEADLINE_S;
	for (int i = 0; i < READERS; i++)
		while (atomic_load(&readers[i].sections) == 0 && now_s() < deadline)
			sched_yield();

	unsigned swaps = 0;
	for (unsigned i = 1; i <= SWAPS && now_s() < deadline; i++, swaps++) {
		uint64_t generation = swap(make_snapshot(i % RING));
		ck_assert_uint_eq(generation, i + 1);
		/* swap returns once the replaced snapshot is freed */
		ck_assert_uint_eq(refs((i - 1) % RING), 1);
		ck_assert_uint_eq(refs(i % RING), 2);
	}
	atomic_store(&is_stopping, true);
	unsigned long sections = 0;
	for (int i = 0; i < READERS; i++) {
		pthread_join(readers[i].thread, NULL);
		unsigned long held = atomic_load(&readers[i].sections);
		unsigned long errors = atomic_load(&readers[i].errors);
		ck_assert(readers[i].has_slot);
		ck_assert_uint_gt(held, 0);
		ck_assert_uint_eq(errors, 0);
		sections += held;
	}
	ck_assert_uint_gt(swaps, 100);
	ck_assert_uint_gt(sections, 0);
}
END_TEST

/* ---------- a held snapshot delays its reclamation ---------- */

struct writer {
	struct snapshot *next;
	atomic_bool is_done;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	swap(w->next);
	atomic_store(&w->is_done, true);
	return NULL;
}

START_TEST(test_reader_delays_reclamation)
{
	struct publish_reader *r = publish_reader_register(&pub);
	ck_assert_ptr_nonnull(r);
	swap(make_snapshot(0));
	const struct snapshot *held = publish_read_begin(&pub, r);
	ck_assert_ptr_nonnull(held);
	ck_assert_ptr_eq(held->sets[0]->zones[0], ring[0]);

	struct writer w = { .next = make_snapshot(1) };
	atomic_init(&w.is_done, false);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, writer_main, &w), 0);
	/* the writer has published next and now waits for this reader */
	double deadline = now_s() + DEADLINE_S;
	while (atomic_load(&pub.current) != w.next && now_s() < deadline)
		sched_yield();
	ck_assert_ptr_eq(atomic_load(&pub.current), w.next);
	/* however long the section lasts, the snapshot it holds stays */
	double until = now_s() + 0.05;
	while (now_s() < until) {
		bool is_done = atomic_load(&w.is_done);
		ck_assert(!is_done);
		ck_assert_uint_eq(refs(0), 2);
		sched_yield();
	}
	ck_assert_ptr_eq(held->sets[0]->zones[0], ring[0]);
	ck_assert_uint_eq(held->generation, 1);

	publish_read_end(r);
	bool is_done = false;
	while (!(is_done = atomic_load(&w.is_done)) && now_s() < deadline)
		sched_yield();
	ck_assert(is_done);
	pthread_join(t, NULL);
	ck_assert_uint_eq(refs(0), 1);
	ck_assert_uint_eq(refs(1), 2);
	/* the next read section gets the new snapshot */
	const struct snapshot *s = publish_read_begin(&pub, r);
	ck_assert_ptr_eq(s, w.next);
	ck_assert_uint_eq(s->generation, 2);
	publish_read_end(r);
	publish_reader_unregister(r);
}
END_TEST

/* ---------- reader slots ---------- */

START_TEST(test_reader_slots)
{
	static struct publish_reader *slots[PUBLISH_READERS_MAX];
	for (size_t i = 0; i < PUBLISH_READERS_MAX; i++) {
		slots[i] = publish_reader_register(&pub);
		ck_assert_ptr_nonnull(slots[i]);
		ck_assert_uint_eq(atomic_load(&slots[i]->epoch), 0);
		if (i > 0)
			ck_assert_ptr_ne(slots[i], slots[i - 1]);
	}
	ck_assert_ptr_null(publish_reader_register(&pub));
	/* a freed slot is handed out again */
	publish_reader_unregister(slots[7]);
	struct publish_reader *again = publish_reader_register(&pub);
	ck_assert_ptr_eq(again, slots[7]);
	publish_reader_unregister(NULL);

	/* a reader that leaves in the middle of a read section holds nothing up */
	swap(make_snapshot(0));
	ck_assert_ptr_nonnull(publish_read_begin(&pub, slots[3]));
	publish_reader_unregister(slots[3]);
	swap(make_snapshot(1));
	ck_assert_uint_eq(refs(0), 1);
	/* nor does a registered reader outside a read section */
	ck_assert_ptr_eq(publish_read_begin(&pub, slots[4]), atomic_load(&pub.current));
	publish_read_end(slots[4]);
	swap(make_snapshot(2));
	ck_assert_uint_eq(refs(1), 1);

	for (size_t i = 0; i < PUBLISH_READERS_MAX; i++)
		if (i != 3)
			publish_reader_unregister(slots[i]);
	ck_assert_ptr_nonnull(slots[0] = publish_reader_register(&pub));
	publish_reader_unregister(slots[0]);
}
END_TEST

/* ---------- the first swap and the last clear ---------- */

START_TEST(test_first_swap_and_clear)
{
	struct publish_reader *r = publish_reader_register(&pub);
	ck_assert_ptr_nonnull(r);
	/* nothing published yet: readers get NULL, the epoch is still 0 */
	ck_assert_ptr_null(publish_current(&pub));
	ck_assert_ptr_null(publish_read_begin(&pub, r));
	publish_read_end(r);
	ck_assert_uint_eq(swap(make_snapshot(0)), 1);
	ck_assert_uint_eq(refs(0), 2);
	ck_assert_uint_gt(atomic_load(&pub.epoch), 1);
	ck_assert_uint_eq(swap(make_snapshot(1)), 2);
	ck_assert_uint_eq(refs(0), 1);
	ck_assert_uint_eq(refs(1), 2);
	ck_assert_ptr_eq(publish_current(&pub)->sets[0]->zones[0], ring[1]);

	/* shutdown: the last snapshot goes, readers get NULL again */
	publish_lock();
	publish_clear(&pub);
	publish_unlock();
	ck_assert_ptr_null(publish_current(&pub));
	ck_assert_uint_eq(refs(1), 1);
	ck_assert_ptr_null(publish_read_begin(&pub, r));
	publish_read_end(r);
	publish_reader_unregister(r);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("publish");
	TCase *tc = tcase_create("rcu");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 3 * DEADLINE_S);
	tcase_add_test(tc, test_readers_never_hold_a_freed_snapshot);
	tcase_add_test(tc, test_reader_delays_reclamation);
	tcase_add_test(tc, test_reader_slots);
	tcase_add_test(tc, test_first_swap_and_clear);
	suite_add_tcase(s, tc);
	return s;
}
