/* SPDX-License-Identifier: BSD-3-Clause
 * zonefile.h - RFC 1035 master files, parsed by ldns, fed into a zone builder;
 * and a configured zone's first builder. Loading only: nothing here freezes,
 * publishes or runs on the query path. */
#ifndef DNSD_ZONEFILE_H
#define DNSD_ZONEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "zone/zone_build.h"

/* Reads path (origin = the builder's apex, default TTL default_ttl_s) and
 * adds every record. Records must be class IN and at or below the apex.
 * On failure returns a negative dnsd_err with "file:line: reason" in err; the
 * builder may then hold part of the file and should be discarded. */
int zonefile_load(struct zone_build *b, const char *path, uint32_t default_ttl_s, char *err,
		  size_t errlen);

/* A builder for configured zone cz (apex: its name in wire form) holding its
 * file's records, if it has a file, and a default SOA and NS if they did not
 * give one (a zone fed only by Kubernetes has no file). The caller frees it
 * with zone_build_free(); NULL with "file:line: reason" in err on failure. */
struct zone_build *zonefile_builder_new(const struct config_zone *cz, const uint8_t *apex, char *err,
					size_t errlen);

#endif
