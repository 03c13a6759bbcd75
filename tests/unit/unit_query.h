/* SPDX-License-Identifier: BSD-3-Clause
 * unit_query.h - a query in wire form and a snapshot serving one zone, for
 * the unit tests (through unit_zone.h) and the benches (answer_bench.c,
 * zone_build_bench.c). Header only: the benches are built without Check. */
#ifndef DNSD_UNIT_QUERY_H
#define DNSD_UNIT_QUERY_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf/config.h"
#include "dns/wire.h"
#include "query/answer.h"
#include "zone/snapshot.h"
#include "zone/view.h"
#include "zone/zone.h"

/* A query (id 0x1234, RD clear) for name (text, no trailing dot) and type,
 * class IN; with an OPT of payload udp_size holding opts when udp_size is
 * not 0. out must hold 512 bytes plus opts_len. Returns its length. */
static inline size_t unit_query(uint8_t *out, const char *name, uint16_t type, uint16_t udp_size,
				const uint8_t *opts, size_t opts_len)
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

/* A snapshot of cfg's views (an empty config: one default view) with z as
 * the only zone of each (one reference per view taken); NULL when out of
 * memory. */
static inline struct snapshot *unit_snapshot_of(const struct config *cfg, const struct snapshot_settings *st,
						struct zone *z)
{
	struct view_table *views = view_table_new(cfg);
	struct snapshot *s = views ? snapshot_new(views, st) : NULL;
	if (views)
		view_table_unref(views);
	for (size_t i = 0; s && i < s->view_count; i++)
		s->sets[i] = zone_set_new(&z, 1);
	return s;
}

/* The answer of s to unit_query(name, type, udp_size) from 127.0.0.1:5353,
 * over TCP or UDP, into out (cap bytes); returns its length (0: dropped).
 * info (may be NULL) gets what answer_query() says of it. */
static inline size_t unit_answer(const struct snapshot *s, const char *name, uint16_t type, uint16_t udp_size,
				 bool is_tcp, uint8_t *out, size_t cap, struct answer_info *info)
{
	uint8_t q[512];
	size_t len = unit_query(q, name, type, udp_size, NULL, 0);
	struct sockaddr_in cl = { .sin_family = AF_INET,
				  .sin_port = htons(5353),
				  .sin_addr.s_addr = htonl(0x7F000001) };
	struct answer_request req = { .pkt = q,
				      .len = len,
				      .is_tcp = is_tcp,
				      .client = (struct sockaddr *)&cl,
				      .local = (struct sockaddr *)&cl };
	struct answer_info scratch;
	return answer_query(s, &req, out, cap, info ? info : &scratch);
}

#endif
