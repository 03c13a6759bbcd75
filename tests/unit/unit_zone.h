/* SPDX-License-Identifier: BSD-3-Clause
 * unit_zone.h - what the answer and /names unit tests share: a zone frozen
 * from a test zone file, a snapshot serving one zone in every view, and a
 * query in wire form (unit_query.h). Linked into every unit test binary beside
 * check_main.o. Failures stop the test (ck_assert). */
#ifndef DNSD_UNIT_ZONE_H
#define DNSD_UNIT_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "unit_query.h"
#include "zone/snapshot.h"
#include "zone/zone.h"
#include "zone/zone_build.h"

/* The zone "global." (default TTL 30) loaded from file (relative to the
 * repository root) and frozen; *builder gets the builder (zone_build_free()
 * it), the zone is one reference (zone_unref() it). */
struct zone *unit_zone_load(const char *file, struct zone_build **builder);
/* A snapshot of cfg's views (an empty config: one default view) with
 * settings st, z (a reference of its own) in every view. */
struct snapshot *unit_snapshot(const struct config *cfg, const struct snapshot_settings *st, struct zone *z);

#endif
