/* SPDX-License-Identifier: BSD-3-Clause
 * catalog.h - which zones each view serves and what feeds them. Loads the
 * zone files of a configuration into builders, freezes them and assembles a
 * snapshot (one zone set per view) ready for publish_swap(). A zone that no
 * view-specific source changes is frozen once and shared by every view. */
#ifndef DNSD_CATALOG_H
#define DNSD_CATALOG_H

#include <stddef.h>

#include "config.h"
#include "publish.h"

struct catalog;

/* Loads every zone file of cfg and checks it. NULL on failure with
 * "file:line: reason" in err; nothing is published then. The catalog keeps
 * a pointer to cfg, which must outlive it. */
struct catalog *catalog_new(const struct config *cfg, char *err, size_t errlen);
void catalog_free(struct catalog *c);

/* A new snapshot of the catalog's current state; the caller publishes or
 * frees it. NULL with err on failure. */
struct snapshot *catalog_snapshot(struct catalog *c, char *err, size_t errlen);

/* Totals for logs: zones and records across all views. */
size_t catalog_zone_count(const struct catalog *c);
size_t catalog_record_count(const struct catalog *c);

#endif
