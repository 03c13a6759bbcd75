/* SPDX-License-Identifier: BSD-3-Clause
 * histogram.h - a histogram that any thread may observe into and a
 * collector reads at scrape time (relaxed atomics: each count and the sum
 * are whole; a scrape racing an observation may see one and not the other,
 * as Prometheus clients allow). For events off the query path, such as a
 * watch event's time to publication; the query path keeps per-thread
 * counters of its own. No allocation. */
#ifndef DNSD_HISTOGRAM_H
#define DNSD_HISTOGRAM_H

#include <stdatomic.h>
#include <stdint.h>

#define HISTOGRAM_BOUNDS_MAX 24

/* Embedded by its owner; histogram_init() before use. bounds is borrowed
 * and must outlive it (a static table). */
struct histogram {
	const double *bounds; /* upper bounds, ascending */
	unsigned bound_count;
	_Atomic uint64_t counts[HISTOGRAM_BOUNDS_MAX + 1]; /* the last: above every bound */
	_Atomic uint64_t sum_nano;                         /* the sum of observations, in billionths */
};

/* bound_count <= HISTOGRAM_BOUNDS_MAX (an assertion: a programming error). */
void histogram_init(struct histogram *h, const double *bounds, unsigned bound_count);
/* Counts value (>= 0; negative values count as 0) in the first bucket whose
 * bound is >= value, as Prometheus's le does. Any thread. */
void histogram_observe(struct histogram *h, double value);
/* Copies the per-bucket counts (bound_count + 1 of them, not cumulative)
 * into counts and returns the sum. */
double histogram_read(const struct histogram *h, uint64_t *counts);

#endif
