/* SPDX-License-Identifier: BSD-3-Clause
 * unit_query.h - a query in wire form, for the unit tests (through
 * unit_zone.h) and tests/bench/answer_bench.c. Header only: the bench is
 * built without Check. */
#ifndef DNSD_UNIT_QUERY_H
#define DNSD_UNIT_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns/wire.h"

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

#endif
