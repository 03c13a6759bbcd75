/* SPDX-License-Identifier: BSD-3-Clause
 * unit_zone.h - what the answer and /names unit tests share: a zone frozen
 * from a test zone file, a snapshot serving one zone in every view, and a
 * query in wire form. Linked into every unit test binary beside
 * check_main.o. Failures stop the test (ck_assert). */
#ifndef DNSD_UNIT_ZONE_H
#define DNSD_UNIT_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
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
/* A query (id 0x1234, RD clear) for name (text, no trailing dot) and type,
 * class IN; with an OPT of payload udp_size holding opts when udp_size is
 * not 0. out must hold 512 bytes plus opts_len. Returns its length. */
size_t unit_query(uint8_t *out, const char *name, uint16_t type, uint16_t udp_size, const uint8_t *opts,
		  size_t opts_len);

#endif
