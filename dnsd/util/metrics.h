/* SPDX-License-Identifier: BSD-3-Clause
 * metrics.h - the one way counters reach /metrics: a registry of collectors,
 * which metrics_write() runs in the order they were registered, and the
 * writers for the Prometheus text exposition format (0.0.4) they use. Never
 * on the query path: collectors read counters that their owners bump with
 * relaxed atomics. */
#ifndef DNSD_METRICS_H
#define DNSD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum metrics_type {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
};

/* One label pair of a sample; the value is escaped when written. */
struct metrics_label {
	const char *name;
	const char *value;
};

/* One exposition being written: the stream, and the families whose HELP and
 * TYPE lines it has written (each family gets them once). Embedded by the
 * caller: metrics_out_init() / metrics_out_clear(). Only file and
 * is_continued are for callers to read or set. */
struct metrics_out {
	FILE *file;
	/* Samples only, no HELP/TYPE: for code that appends to families which
	 * an earlier writer on the same stream has already headed. */
	bool is_continued;
	char **families;
	size_t family_count, family_cap;
};

void metrics_out_init(struct metrics_out *m, FILE *file);
void metrics_out_clear(struct metrics_out *m);

/* Writes "# HELP name help" and "# TYPE name type" unless this writer has
 * already written them for name. The samples of a family follow it. */
void metrics_family(struct metrics_out *m, const char *name, enum metrics_type type, const char *help);
/* One sample: name{label="value",...} value. labels may be NULL when
 * label_count is 0. */
void metrics_sample(struct metrics_out *m, const char *name, const struct metrics_label *labels,
		    size_t label_count, uint64_t value);
void metrics_sample_int(struct metrics_out *m, const char *name, const struct metrics_label *labels,
			size_t label_count, int64_t value);
/* A sample with a fractional value (seconds, bytes as Prometheus clients
 * give them), written exactly ("%.17g"). */
void metrics_sample_double(struct metrics_out *m, const char *name, const struct metrics_label *labels,
			   size_t label_count, double value);
/* A family of one unlabelled sample: metrics_family() and metrics_sample(). */
void metrics_single(struct metrics_out *m, const char *name, enum metrics_type type, const char *help,
		    uint64_t value);
/* The samples of one histogram (its family written first with
 * METRICS_HISTOGRAM): counts[i] observations fell at or below bounds[i] and
 * above the bound before it, counts[bound_count] above every bound. Writes
 * the cumulative name_bucket{...,le="bound"} samples, le="+Inf", then
 * name_sum (sum, in the unit of the bounds) and name_count. */
void metrics_histogram(struct metrics_out *m, const char *name, const struct metrics_label *labels,
		       size_t label_count, const double *bounds, const uint64_t *counts, size_t bound_count,
		       double sum);

/* Writes one exposition's worth of samples through m. ctx is what was
 * registered with it. */
typedef void metrics_collect_fn(void *ctx, struct metrics_out *m);

/* Adds a collector under name (copied), after those registered before it.
 * 0, DNSD_EEXIST if name is registered, DNSD_EINVAL or DNSD_ENOMEM. Any
 * thread; not from inside a collector. */
int metrics_register(const char *name, metrics_collect_fn *collect, void *ctx);
/* Removes the collector registered under name (nothing if none is). Once it
 * returns the collector is not running and will not run again, so its ctx
 * may be freed. Any thread; not from inside a collector. */
void metrics_unregister(const char *name);

/* Runs every collector, in the order they were registered, into one writer
 * on out: a whole /metrics exposition. Scrapes are serialised. */
void metrics_write(FILE *out);

#endif
