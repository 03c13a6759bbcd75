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
	struct view_table *views = view_table_new(cfg);
	ck_assert_ptr_nonnull(views);
	struct snapshot *s = snapshot_new(views, st);
	ck_assert_ptr_nonnull(s);
	view_table_unref(views);
	for (size_t i = 0; i < s->view_count; i++)
		s->sets[i] = zone_set_new(&z, 1);
	return s;
}
