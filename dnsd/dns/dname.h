/* SPDX-License-Identifier: BSD-3-Clause
 * dname.h - domain names in uncompressed wire form: conversion to and from
 * presentation form, case folding, hashing and suffix tests. Pure functions,
 * no allocation; safe on the query path. */
#ifndef DNSD_DNAME_H
#define DNSD_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hash.h"

#define DNAME_MAX_LEN 255    /* RFC 1035 §3.1: wire length including the root label */
#define DNAME_MAX_LABELS 128 /* 127 one-byte labels plus the root */
#define DNAME_MAX_TEXT 1024  /* presentation form with \DDD escapes, plus NUL */

extern const uint8_t dname_lower_table[256];

/* Converts "messenger.default.global" or "messenger.default.global." (\. and
 * \DDD escapes allowed; "@" and "" are not names) into wire form. Returns the
 * wire length (>= 1) or a negative dnsd_err. dst must hold DNAME_MAX_LEN bytes. */
int dname_from_text(uint8_t *dst, const char *text);

/* Writes the presentation form with a trailing dot ("." for the root) into
 * dst; returns the text length, or a negative dnsd_err if it does not fit. */
int dname_to_text(char *dst, size_t cap, const uint8_t *name);

/* Length of a valid uncompressed wire name (trusted input). */
size_t dname_len(const uint8_t *name);

/* Number of labels, not counting the root. */
unsigned dname_label_count(const uint8_t *name);

/* Copies len bytes of a wire name, folding ASCII letters to lower case. */
void dname_lower(uint8_t *dst, const uint8_t *src, size_t len);

/* Case-insensitive equality of two wire names. */
bool dname_equal(const uint8_t *a, const uint8_t *b);

/* True when name equals apex or lies below it; both in lower case wire form. */
bool dname_is_subdomain(const uint8_t *name, size_t name_len, const uint8_t *apex, size_t apex_len);

/* The hash of len bytes of a lower-case wire name (FNV-1a, util/hash.h):
 * the key of the zone's name tables. */
static inline uint32_t dname_hash(const uint8_t *name, size_t len) { return hash_fnv1a(name, len); }

/* Canonical ordering (RFC 4034 §6.1) of two lower-case wire names: <0, 0, >0. */
int dname_compare(const uint8_t *a, const uint8_t *b);

#endif
