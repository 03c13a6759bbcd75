/* SPDX-License-Identifier: BSD-3-Clause
 * jsonw.h - a streaming JSON writer (RFC 8259) onto a stdio stream, for the
 * admin endpoints that answer JSON (/names). Commas and escaping are its
 * job; the caller opens and closes what it writes. Output is always valid
 * JSON: control characters and bytes >= 0x80 are written as \u00XX (the
 * names and values we write are ASCII; anything else is shown, not lost).
 * One writer per stream and thread. */
#ifndef DNSD_JSONW_H
#define DNSD_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSONW_DEPTH_MAX 32

struct jsonw {
	FILE *out;
	unsigned depth;
	bool has_item[JSONW_DEPTH_MAX]; /* something written at this level: next needs a comma */
	bool is_after_key;              /* a key was written: the value follows without a comma */
};

void jsonw_init(struct jsonw *w, FILE *out);

void jsonw_object_begin(struct jsonw *w);
void jsonw_object_end(struct jsonw *w);
void jsonw_array_begin(struct jsonw *w);
void jsonw_array_end(struct jsonw *w);
/* A key inside an object; the next call writes its value. */
void jsonw_key(struct jsonw *w, const char *key);

void jsonw_string(struct jsonw *w, const char *s);
void jsonw_string_len(struct jsonw *w, const char *s, size_t len);
void jsonw_uint(struct jsonw *w, uint64_t v);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);

/* key + value in one call. */
void jsonw_kv_string(struct jsonw *w, const char *key, const char *s);
void jsonw_kv_uint(struct jsonw *w, const char *key, uint64_t v);

#endif
