/* SPDX-License-Identifier: BSD-3-Clause
 * se_explain.h - the Kubernetes half of /names: which held ServiceEntries
 * made a served record, and what they dropped for a name. Reads the
 * registry (se_registry.h) under its lock; writes JSON objects into an
 * array the caller has open. The admin's thread; never the query path. */
#ifndef DNSD_SE_EXPLAIN_H
#define DNSD_SE_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "k8s/se_registry.h"
#include "util/jsonw.h"

/* For the record (owner lower-case wire, type, rdata) served in the zone at
 * apex (with its ttl), one {"kind": "kubernetes", "cluster", "namespace",
 * "name", "resourceVersion", "generation"} per entry of a cluster in
 * clusters (bit i = cluster i) whose records for that zone include it
 * (directly, or through its wildcard host). */
void se_explain_sources(struct se_registry *r, uint64_t clusters, const uint8_t *apex, uint32_t ttl_s,
			const uint8_t *owner, uint16_t type, const uint8_t *rdata, uint16_t rdlen,
			struct jsonw *w);

/* For name (lower case, no trailing dot; an SRV owner counts for its host),
 * one object per drop of an entry naming it: {"cluster", "namespace",
 * "name", "resourceVersion", "generation", "field", "value", "reason",
 * "message"}. */
void se_explain_dropped(struct se_registry *r, const char *name, struct jsonw *w);

#endif
