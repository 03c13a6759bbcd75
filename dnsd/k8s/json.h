/* SPDX-License-Identifier: BSD-3-Clause
 * json.h - a strict RFC 8259 parser with a depth limit, building a read-only
 * tree in one arena per document. Why our own: libyaml rejects legal JSON the
 * API server sends (surrogate pairs, some control escapes, long keys), and
 * one such object would make a whole LIST unusable. Strings are decoded to
 * UTF-8 (surrogate pairs joined; lone surrogates rejected), NUL-terminated
 * and carry their length; invalid UTF-8 in the input is rejected. */
#ifndef DNSD_JSON_H
#define DNSD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_DEPTH_MAX 64

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_value;
struct json_doc;

struct json_error {
	size_t offset;        /* byte offset of the problem */
	unsigned line, column;   /* 1-based */
	char msg[96];
};

/* Parses exactly one JSON text (whitespace around it allowed). On success
 * *out is a new document (free with json_doc_free()); every value pointer
 * taken from it stays valid until then. Returns 0 or DNSD_EPARSE/ENOMEM
 * with err filled. */
int json_parse(const char *text, size_t len, struct json_doc **out, struct json_error *err);
void json_doc_free(struct json_doc *doc);
const struct json_value *json_doc_root(const struct json_doc *doc);

enum json_type json_type(const struct json_value *v);
/* The member named key of an object, the first if repeated; NULL if v is
 * NULL, not an object, or has no such member. */
const struct json_value *json_get(const struct json_value *v, const char *key);
size_t json_object_count(const struct json_value *v);
/* The i-th member of an object: its key (and key length) and value. */
const struct json_value *json_object_at(const struct json_value *v, size_t i, const char **key, size_t *key_len);
size_t json_array_count(const struct json_value *v);
const struct json_value *json_array_at(const struct json_value *v, size_t i);
/* The decoded string (NUL-terminated; may contain NUL when len says so), or
 * NULL when v is not a string. */
const char *json_get_string(const struct json_value *v, size_t *len);
/* Integer value: DNSD_ERANGE when it has a fraction/exponent or does not fit. */
int json_get_int64(const struct json_value *v, int64_t *out);
int json_get_double(const struct json_value *v, double *out);
/* Follows object keys: json_get_path(v, "metadata", "name", NULL). */
const struct json_value *json_get_path(const struct json_value *v, ...);

#endif
