/* SPDX-License-Identifier: BSD-3-Clause
 * metrics.c - the collector registry and the Prometheus text format writers,
 * see metrics.h. Formats what collectors hand it; it keeps no counters. */
#include "util/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/err.h"

/* ---------- text format writers ---------- */

static const char *const type_names[] = {
	[METRICS_COUNTER] = "counter",
	[METRICS_GAUGE] = "gauge",
	[METRICS_HISTOGRAM] = "histogram",
};

void metrics_out_init(struct metrics_out *m, FILE *file) { *m = (struct metrics_out){ .file = file }; }

void metrics_out_clear(struct metrics_out *m)
{
	for (size_t i = 0; i < m->family_count; i++)
		free(m->families[i]);
	free(m->families);
	m->families = NULL;
	m->family_count = m->family_cap = 0;
}

/* True the first time name is seen by m. Out of memory, it answers true:
 * a repeated HELP/TYPE is better than a family without one. */
static bool family_is_new(struct metrics_out *m, const char *name)
{
	for (size_t i = 0; i < m->family_count; i++)
		if (strcmp(m->families[i], name) == 0)
			return false;
	if (ARRAY_RESERVE_ONE(m->families, &m->family_cap, m->family_count, 32) != 0)
		return true;
	char *copy = strdup(name);
	if (copy)
		m->families[m->family_count++] = copy;
	return true;
}

/* The exposition format escapes backslash and newline in HELP text, and
 * those and the double quote in label values. */
static void write_escaped(FILE *f, const char *text, bool is_label_value)
{
	for (const char *p = text; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '"' && is_label_value)
			fputs("\\\"", f);
		else
			fputc(*p, f);
	}
}

void metrics_family(struct metrics_out *m, const char *name, enum metrics_type type, const char *help)
{
	if (m->is_continued || !family_is_new(m, name))
		return;
	fprintf(m->file, "# HELP %s ", name);
	write_escaped(m->file, help, false);
	fprintf(m->file, "\n# TYPE %s %s\n", name, type_names[type]);
}

/* name{labels[,le="..."]}, the part of a sample line before its value. */
static void write_series(FILE *f, const char *name, const char *suffix, const struct metrics_label *labels,
			 size_t label_count, const char *le)
{
	fputs(name, f);
	fputs(suffix, f);
	if (label_count == 0 && !le)
		return;
	fputc('{', f);
	for (size_t i = 0; i < label_count; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "", labels[i].name);
		write_escaped(f, labels[i].value, true);
		fputc('"', f);
	}
	if (le)
		fprintf(f, "%sle=\"%s\"", label_count ? "," : "", le);
	fputc('}', f);
}

void metrics_sample(struct metrics_out *m, const char *name, const struct metrics_label *labels,
		    size_t label_count, uint64_t value)
{
	write_series(m->file, name, "", labels, label_count, NULL);
	fprintf(m->file, " %llu\n", (unsigned long long)value);
}

void metrics_sample_int(struct metrics_out *m, const char *name, const struct metrics_label *labels,
			size_t label_count, int64_t value)
{
	write_series(m->file, name, "", labels, label_count, NULL);
	fprintf(m->file, " %lld\n", (long long)value);
}

void metrics_sample_double(struct metrics_out *m, const char *name, const struct metrics_label *labels,
			   size_t label_count, double value)
{
	write_series(m->file, name, "", labels, label_count, NULL);
	fprintf(m->file, " %.17g\n", value);
}

void metrics_single(struct metrics_out *m, const char *name, enum metrics_type type, const char *help,
		    uint64_t value)
{
	metrics_family(m, name, type, help);
	metrics_sample(m, name, NULL, 0, value);
}

void metrics_histogram(struct metrics_out *m, const char *name, const struct metrics_label *labels,
		       size_t label_count, const double *bounds, const uint64_t *counts, size_t bound_count,
		       double sum)
{
	uint64_t cumulative = 0;
	for (size_t i = 0; i <= bound_count; i++) {
		char le[32] = "+Inf";
		if (i < bound_count)
			snprintf(le, sizeof(le), "%g", bounds[i]);
		cumulative += counts[i];
		write_series(m->file, name, "_bucket", labels, label_count, le);
		fprintf(m->file, " %llu\n", (unsigned long long)cumulative);
	}
	write_series(m->file, name, "_sum", labels, label_count, NULL);
	fprintf(m->file, " %.9f\n", sum);
	write_series(m->file, name, "_count", labels, label_count, NULL);
	fprintf(m->file, " %llu\n", (unsigned long long)cumulative);
}

/* ---------- collector registry ---------- */

struct collector {
	char *name;
	metrics_collect_fn *collect;
	void *ctx;
	struct collector *next;
};

/* The lock is held while collectors run, so that metrics_unregister()
 * returns only once its collector is not running. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct collector *registry; /* in registration order */

int metrics_register(const char *name, metrics_collect_fn *collect, void *ctx)
{
	if (!name || !collect)
		return DNSD_EINVAL;
	struct collector *c = calloc(1, sizeof(*c));
	if (!c || !(c->name = strdup(name))) {
		free(c);
		return DNSD_ENOMEM;
	}
	c->collect = collect;
	c->ctx = ctx;
	pthread_mutex_lock(&registry_lock);
	struct collector **tail = &registry;
	for (; *tail; tail = &(*tail)->next) {
		if (strcmp((*tail)->name, name) == 0) {
			pthread_mutex_unlock(&registry_lock);
			free(c->name);
			free(c);
			return DNSD_EEXIST;
		}
	}
	*tail = c;
	pthread_mutex_unlock(&registry_lock);
	return 0;
}

void metrics_unregister(const char *name)
{
	pthread_mutex_lock(&registry_lock);
	struct collector *found = NULL;
	for (struct collector **p = &registry; *p; p = &(*p)->next) {
		if (strcmp((*p)->name, name) == 0) {
			found = *p;
			*p = found->next;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	if (found) {
		free(found->name);
		free(found);
	}
}

void metrics_write(FILE *out)
{
	struct metrics_out m;
	metrics_out_init(&m, out);
	pthread_mutex_lock(&registry_lock);
	for (struct collector *c = registry; c; c = c->next)
		c->collect(c->ctx, &m);
	pthread_mutex_unlock(&registry_lock);
	metrics_out_clear(&m);
}
