/* SPDX-License-Identifier: BSD-3-Clause
 * zonefile.h - RFC 1035 master files, parsed by ldns, fed into a zone builder;
 * and a configured zone's first builder. Loading only: nothing here freezes,
 * publishes or runs on the query path. */
#ifndef DNSD_ZONEFILE_H
#define DNSD_ZONEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "zone/fileindex.h"
#include "zone/zone_apex.h"
#include "zone/zone_build.h"

/* The largest zone file read: 256 MiB (60,000 A records take about 2 MiB). */
#define ZONEFILE_MAX_LEN (256 << 20)

/* Reads path (origin = the builder's apex, default TTL default_ttl_s) and
 * adds every record. path must be a regular file of at most ZONEFILE_MAX_LEN
 * bytes; records must be class IN, at or below the apex, with TTLs of at most
 * 2^31-1, and keep the SOA and CNAME rules (one SOA, at the apex; no CNAME at
 * the apex or beside other data).
 * On failure returns a negative dnsd_err with "file:line: reason" in err; the
 * builder may then hold part of the file and should be discarded. */
int zonefile_load(struct zone_build *b, const char *path, uint32_t default_ttl_s, char *err, size_t errlen);
/* The same, noting the first line of each record in index (unsealed; the
 * caller seals it). */
int zonefile_load_indexed(struct zone_build *b, const char *path, uint32_t default_ttl_s,
			  struct zone_fileindex *index, char *err, size_t errlen);

/* What zonefile_builder_new() added itself. */
#define ZONEFILE_MADE_NS 0x01  /* the apex NS RRset and its glue, from ns */
#define ZONEFILE_MADE_SOA 0x02 /* the SOA */

/* A builder for configured zone cz (apex: its name in wire form) holding its
 * file's records, if it has a file (noted in index when given), and the apex
 * the file does not give (a zone fed only by Kubernetes has no file): the
 * NS RRset and glue of ns (cz's nameservers: or the synthesized set,
 * zone_apex.h) unless the file has apex NS, and an SOA unless it has one.
 * A file with apex NS but no SOA, and nameservers: beside apex NS in the
 * file, are errors. *made (may be NULL) says what was added. The caller
 * frees the builder with zone_build_free(); NULL with "file:line: reason"
 * in err on failure. */
struct zone_build *zonefile_builder_new(const struct config_zone *cz, const uint8_t *apex,
					const struct zone_apex_ns *ns, size_t ns_count,
					struct zone_fileindex *index, unsigned *made, char *err,
					size_t errlen);

#endif
