/* SPDX-License-Identifier: BSD-3-Clause
 * names.h - GET /names/<fqdn>: why dnsd answers what it answers for one
 * name, as JSON. For every view of the published snapshot: the zone that
 * holds the name, and for each type the name has (A and AAAA always) the
 * answer the query path gives in that view, each record with its sources;
 * then what the sources dropped for the name and why. Records come from the
 * real answer path (answer_query_view), so what /names shows is what a
 * client of that view is told. Sources and drops come from the modules that
 * made them, through hooks main.c wires (the server knows no sources).
 * Runs on the admin's event loop, never on the query path. */
#ifndef DNSD_NAMES_H
#define DNSD_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/jsonw.h"
#include "query/answer.h" /* struct snapshot, struct zone */

/* Writes the sources of one served record of view `view`, zone z (owner
 * lower case, rdata uncompressed), as JSON objects into the array the
 * caller has open. */
typedef void names_sources_fn(void *ctx, size_t view, const struct zone *z, const uint8_t *owner,
			      uint16_t type, const uint8_t *rdata, uint16_t rdlen, struct jsonw *w);
/* Writes, as JSON objects into the open array, what was dropped for name
 * (lower case, no trailing dot). */
typedef void names_dropped_fn(void *ctx, const char *name, struct jsonw *w);

struct names_hooks {
	names_sources_fn *sources; /* may be NULL: records without sources */
	names_dropped_fn *dropped; /* may be NULL */
	void *ctx;
};

/* Writes the document for the name in text form (any case, trailing dot
 * optional) to out; snap may be NULL (nothing published yet). Returns the
 * HTTP status: 200, or 400 with {"error": "..."} for a name that is not one. */
int names_explain(const struct snapshot *snap, const char *name_text, const struct names_hooks *hooks,
		  FILE *out);

#endif
