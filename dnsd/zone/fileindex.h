/* SPDX-License-Identifier: BSD-3-Clause
 * fileindex.h - which line of a zone file each record came from, for
 * /names. 12 bytes a record: a hash of the owner, a hash of type and rdata,
 * the line; sorted once the file is loaded. A hash collision can only add a
 * line to an answer's sources, never lose one. Built by one thread, then
 * read-only (any thread) once sealed. */
#ifndef DNSD_FILEINDEX_H
#define DNSD_FILEINDEX_H

#include <stddef.h>
#include <stdint.h>

struct zone_fileindex;

/* An empty index for the file at path (copied, for messages). NULL when out
 * of memory. */
struct zone_fileindex *zone_fileindex_new(const char *path);
void zone_fileindex_free(struct zone_fileindex *x);

/* Notes that line holds (owner, type, rdata); owner in wire form, any case.
 * Before zone_fileindex_seal() only. Returns 0 or DNSD_ENOMEM. */
int zone_fileindex_add(struct zone_fileindex *x, const uint8_t *owner, uint16_t type, const uint8_t *rdata,
		       uint16_t rdlen, uint32_t line);
/* Sorts the index; afterwards only the functions below. */
void zone_fileindex_seal(struct zone_fileindex *x);

/* The lines (ascending) that hold (owner, type, rdata): writes up to cap of
 * them and returns how many there are. Names inside rdata compare without
 * regard to case, as they do in DNS; an SOA's serial is not compared (the
 * publisher bumps it). */
size_t zone_fileindex_find(const struct zone_fileindex *x, const uint8_t *owner, uint16_t type,
			   const uint8_t *rdata, uint16_t rdlen, uint32_t *lines, size_t cap);

const char *zone_fileindex_path(const struct zone_fileindex *x);
/* Bytes held, for logs. */
size_t zone_fileindex_bytes(const struct zone_fileindex *x);

#endif
