/* SPDX-License-Identifier: BSD-3-Clause
 * unit_zone.c - the shared zone, snapshot and query fixtures (unit_zone.h). */
#include "unit_zone.h"

#include <check.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/wire.h"
#include "zone/view.h"
#include "zone/zonefile.h"

struct zone *unit_zone_load(const char *file, struct zone_build **builder)
{
	uint8_t apex[DNAME_MAX_LEN];
	char err[256];
	dname_from_text(apex, "global");
	*builder = zone_build_new(apex, 30);
	ck_assert_ptr_nonnull(*builder);
	ck_assert_msg(zonefile_load(*builder, file, 30, err, sizeof(err)) == 0, "%s: %s", file, err);
	struct zone *z = zone_build_freeze(*builder, err, sizeof(err));
	ck_assert_msg(z != NULL, "%s", err);
	return z;
}

struct snapshot *unit_snapshot(const struct config *cfg, const struct snapshot_settings *st, struct zone *z)
{
	struct snapshot *s = unit_snapshot_of(cfg, st, z);
	ck_assert_ptr_nonnull(s);
	return s;
}
