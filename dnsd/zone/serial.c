/* SPDX-License-Identifier: BSD-3-Clause
 * serial.c - serials of Kubernetes-fed zones (RFC 1982): the clock in
 * quarter seconds in the upper 24 bits, the replica in the low byte, so that
 * - they only increase, across publications and restarts: a restart starts
 *   from the clock, which is past every serial of the last run unless that
 *   run published more than four times a second for a while (then its
 *   serials ran ahead of the clock by a quarter second per extra one);
 * - two replicas fed by the same API never give one serial to different
 *   contents: their low bytes differ, so one replica's serials are never in
 *   the other's journal, and a secondary that moves between them gets the
 *   whole zone, never the other replica's difference;
 * - the wrap (2^24 quarter seconds, 48 days) leaves RFC 1982's window (24
 *   days) far beyond the SOA expire dnsd writes (1 day). */
#include "zone/serial.h"

#include <time.h>
#include <unistd.h>

#include "util/hash.h"

uint32_t serial_next(uint32_t prev, uint64_t now_ms, uint8_t replica)
{
	uint32_t clock = (uint32_t)((now_ms / 250) << 8) | replica;
	if (prev == 0)
		return clock;
	uint32_t next = (prev & ~0xFFu) | replica;
	if (!serial_gt(next, prev))
		next += 256;
	return serial_gt(clock, next) ? clock : next;
}

uint64_t serial_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint8_t serial_replica_from_host(void)
{
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	uint32_t h = hash_fnv1a_str(host);
	return (uint8_t)(h ^ h >> 8 ^ h >> 16 ^ h >> 24);
}
