/* SPDX-License-Identifier: BSD-3-Clause
 * histogram.c - see histogram.h. */
#include "util/histogram.h"

#include <assert.h>
#include <string.h>

void histogram_init(struct histogram *h, const double *bounds, unsigned bound_count)
{
	assert(bound_count <= HISTOGRAM_BOUNDS_MAX);
	h->bounds = bounds;
	h->bound_count = bound_count;
	for (unsigned i = 0; i <= HISTOGRAM_BOUNDS_MAX; i++)
		atomic_init(&h->counts[i], 0);
	atomic_init(&h->sum_nano, 0);
}

void histogram_observe(struct histogram *h, double value)
{
	if (!(value > 0))
		value = 0; /* negative or NaN: a clock that stepped back */
	unsigned b = 0;
	while (b < h->bound_count && value > h->bounds[b])
		b++;
	atomic_fetch_add_explicit(&h->counts[b], 1, memory_order_relaxed);
	double nano = value * 1e9;
	atomic_fetch_add_explicit(&h->sum_nano, nano < 1.8e19 ? (uint64_t)nano : UINT64_MAX / 2,
				  memory_order_relaxed);
}

double histogram_read(const struct histogram *h, uint64_t *counts)
{
	for (unsigned i = 0; i <= h->bound_count; i++)
		counts[i] = atomic_load_explicit(&h->counts[i], memory_order_relaxed);
	return (double)atomic_load_explicit(&h->sum_nano, memory_order_relaxed) / 1e9;
}
