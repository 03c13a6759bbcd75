/* SPDX-License-Identifier: BSD-3-Clause
 * mnemonic.h - the presentation names of RR types, classes and rcodes
 * (IANA "DNS Parameters"), as dig, the query log and /metrics labels write
 * them: "AAAA", "NXDOMAIN", "CH"; RFC 3597's "TYPE65280" / "CLASS42" and
 * "RCODE12" for numbers without one. Pure tables: no allocation, no I/O,
 * usable on any thread. */
#ifndef DNSD_MNEMONIC_H
#define DNSD_MNEMONIC_H

#include <stddef.h>
#include <stdint.h>

/* Room for "TYPE65535" / "CLASS65535" / "RCODE4095" and the NUL. */
#define MNEMONIC_BUF_LEN 12

/* The mnemonic of type: a static string, or "TYPE<n>" written into buf
 * (MNEMONIC_BUF_LEN bytes) and buf returned. Never NULL. */
const char *mnemonic_type(uint16_t type, char *buf);
/* IN, CH, HS, NONE, ANY, or "CLASS<n>" in buf. */
const char *mnemonic_class(uint16_t qclass, char *buf);
/* The rcode including the extended bits of EDNS (RFC 6891 §6.1.3: 12 bits):
 * NOERROR ... BADCOOKIE, or "RCODE<n>" in buf. 16 is BADVERS (RFC 6891),
 * which BADSIG shares in TSIG's context. */
const char *mnemonic_rcode(unsigned rcode, char *buf);

#endif
