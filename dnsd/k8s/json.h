/* SPDX-License-Identifier: BSD-3-Clause
 * json.h - a strict RFC 8259 parser building a read-only tree in one arena
 * per document. Values nested deeper than JSON_DEPTH_MAX are validated (up
 * to JSON_NESTING_MAX, the limit of Go's encoding/json, which the API server
 * decodes with) but not kept: they read as JSON_ELIDED. No caller needs them
 * (a ServiceEntry's spec is shallow; Istio keeps unknown fields in status),
 * and one such object must not make a LIST or a watch undecodable. Why our own: libyaml rejects legal JSON the
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
#define JSON_NESTING_MAX 10000

/* JSON_ELIDED: an array or object nested deeper than JSON_DEPTH_MAX, valid
 * but not kept (no members, no elements). */
enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
	JSON_ELIDED
};

struct json_value;
struct json_doc;

struct json_error {
	size_t offset;         /* byte offset of the problem */
	unsigned line, column; /* 1-based */
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
const struct json_value *json_object_at(const struct json_value *v, size_t i, const char **key,
					size_t *key_len);
size_t json_array_count(const struct json_value *v);
const struct json_value *json_array_at(const struct json_value *v, size_t i);
/* The decoded string (NUL-terminated; may contain NUL when len says so), or
 * NULL when v is not a string. */
const char *json_get_string(const struct json_value *v, size_t *len);
/* The number's source text (valid JSON, as received), or NULL when v is not
 * a number: what k8s_state writes back. */
const char *json_number_text(const struct json_value *v);
/* Integer value: DNSD_ERANGE when it has a fraction/exponent or does not fit. */
int json_get_int64(const struct json_value *v, int64_t *out);
int json_get_double(const struct json_value *v, double *out);
/* Follows object keys: json_get_path(v, "metadata", "name", NULL). */
const struct json_value *json_get_path(const struct json_value *v, ...);

/* Scanning without parsing: the extent of values found by balancing
 * brackets and quotes only (no validation, no nesting limit, no
 * allocation), so that one undecodable item of a LIST page or watch event
 * can be told apart from the rest and parsed, or reported, on its own. */
struct json_span {
	const char *text;
	size_t len;
};
/* The value of member key of the object that text holds (the first if
 * repeated, keys compared as written, without unescaping). 0 with *out set,
 * DNSD_ENOENT without such a member, DNSD_EPARSE when text is not shaped
 * like an object. */
int json_scan_member(const char *text, size_t len, const char *key, struct json_span *out);
/* Steps through the elements of the array that text holds: *pos starts at
 * 0. Returns 1 with *out set to the next element, 0 after the last,
 * DNSD_EPARSE when text is not shaped like an array. */
int json_scan_next(const char *text, size_t len, size_t *pos, struct json_span *out);

#endif
