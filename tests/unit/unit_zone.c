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

size_t unit_query(uint8_t *out, const char *name, uint16_t type, uint16_t udp_size, const uint8_t *opts,
		  size_t opts_len)
{
	memset(out, 0, 12);
	out[0] = 0x12, out[1] = 0x34;
	out[5] = 1;
	size_t pos = 12;
	for (const char *p = name; *p;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		out[pos++] = (uint8_t)l;
		memcpy(out + pos, p, l);
		pos += l;
		p += l + (dot ? 1 : 0);
	}
	out[pos++] = 0;
	wire_write_u16(out + pos, type);
	wire_write_u16(out + pos + 2, WIRE_CLASS_IN);
	pos += 4;
	if (udp_size) {
		out[11] = 1;
		out[pos] = 0;
		wire_write_u16(out + pos + 1, WIRE_TYPE_OPT);
		wire_write_u16(out + pos + 3, udp_size);
		wire_write_u32(out + pos + 5, 0);
		wire_write_u16(out + pos + 9, (uint16_t)opts_len);
		if (opts_len)
			memcpy(out + pos + 11, opts, opts_len);
		pos += 11 + opts_len;
	}
	return pos;
}
