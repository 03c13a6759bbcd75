/* SPDX-License-Identifier: BSD-3-Clause
 * fuzz_fixture.h - the snapshot the query and transfer harnesses answer
 * from: the zone "global." from $FUZZ_ZONE or tests/data/zones/unit.zone,
 * served in two views, the first chosen by client 10.2.0.0/16 (and ECS),
 * the second the default. Aborts if the fixture cannot be made (the fuzzer
 * must not run without it). Header only: each harness is built alone. */
#ifndef DNSD_FUZZ_FIXTURE_H
#define DNSD_FUZZ_FIXTURE_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "zone/snapshot.h"
#include "zone/view.h"
#include "zone/zone_build.h"
#include "zone/zonefile.h"

static inline struct snapshot *fuzz_fixture_snapshot(const char *harness, const char *first_view,
						     const struct snapshot_settings *st,
						     uint8_t apex[DNAME_MAX_LEN])
{
	char err[256];
	dname_from_text(apex, "global");
	struct zone_build *b = zone_build_new(apex, 30);
	const char *path = getenv("FUZZ_ZONE") ? getenv("FUZZ_ZONE") : "tests/data/zones/unit.zone";
	if (!b || zonefile_load(b, path, 30, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", harness, b ? err : "out of memory");
		abort();
	}
	struct zone *z = zone_build_freeze(b, err, sizeof(err));
	if (!z)
		abort();
	struct config_prefix p = { .family = AF_INET, .addr = { 10, 2, 0, 0 }, .len = 16 };
	struct config_view cv[2] = {
		{ .name = (char *)first_view, .match_clients = &p, .match_clients_count = 1 }, /* read only */
		{ .name = "default" },
	};
	struct config cfg = { .views = cv, .views_count = 2 };
	struct view_table *views = view_table_new(&cfg);
	struct snapshot *snap = views ? snapshot_new(views, st) : NULL;
	if (!snap)
		abort();
	view_table_unref(views);
	snap->sets[0] = zone_set_new(&z, 1);
	snap->sets[1] = zone_set_new(&z, 1);
	zone_unref(z);
	zone_build_free(b);
	return snap;
}

#endif
