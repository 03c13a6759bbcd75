/* SPDX-License-Identifier: BSD-3-Clause
 * serial.h - SOA serials: RFC 1982 comparison, and the serials dnsd gives
 * the zones it feeds from Kubernetes. Pure functions (serial_replica_from_host
 * reads the host name once). */
#ifndef DNSD_SERIAL_H
#define DNSD_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 1982: is serial a greater than b? */
static inline bool serial_gt(uint32_t a, uint32_t b) { return a != b && (uint32_t)(a - b) < 0x80000000u; }

/* The serial after prev (0: none yet) at wall-clock time now_ms, for the
 * replica byte replica: the clock in quarter seconds in the upper 24 bits,
 * replica in the low byte, and always greater than prev (README "Zone
 * transfers" says why). */
uint32_t serial_next(uint32_t prev, uint64_t now_ms, uint8_t replica);

/* The wall clock in milliseconds, for serial_next(). */
uint64_t serial_clock_ms(void);

/* A replica byte from the host name (a pod's name is unique in its
 * Deployment): FNV-1a, folded to 8 bits. */
uint8_t serial_replica_from_host(void);

#endif
