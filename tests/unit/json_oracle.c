/* SPDX-License-Identifier: BSD-3-Clause
 * json_oracle.c - jansson as the oracle for test_json.c: a canonical text of
 * a document (keys sorted, strings hex, numbers as doubles). A separate
 * translation unit because jansson's header and ours share names. */
#include <jansson.h>
#include "json_oracle.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int kcmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static void put(FILE *o, json_t *v)
{
	if (json_is_null(v))
		fputs("n", o);
	else if (json_is_true(v))
		fputs("t", o);
	else if (json_is_false(v))
		fputs("f", o);
	else if (json_is_number(v)) {
		double d = json_number_value(v);
		fprintf(o, "#%.17g", d == 0 ? 0.0 : d);
	} else if (json_is_string(v)) {
		const unsigned char *s = (const unsigned char *)json_string_value(v);
		size_t l = json_string_length(v);
		fputc('"', o);
		for (size_t i = 0; i < l; i++)
			fprintf(o, "%02x", s[i]);
		fputc('"', o);
	} else if (json_is_array(v)) {
		fputc('[', o);
		for (size_t i = 0; i < json_array_size(v); i++) {
			put(o, json_array_get(v, i));
			fputc(',', o);
		}
		fputc(']', o);
	} else {
		size_t n = json_object_size(v);
		const char **k = malloc((n + 1) * sizeof *k);
		size_t m = 0;
		const char *key;
		json_t *x;
		json_object_foreach(v, key, x) k[m++] = key;
		qsort(k, m, sizeof *k, kcmp);
		fputc('{', o);
		for (size_t i = 0; i < m; i++) {
			for (const char *p = k[i]; *p; p++)
				fprintf(o, "%02x", (unsigned char)*p);
			fputc(':', o);
			put(o, json_object_get(v, k[i]));
			fputc(',', o);
		}
		fputc('}', o);
		free(k);
	}
}
char *oracle_canon(const char *t, size_t n, char *why, size_t wl)
{
	json_error_t e;
	json_t *j = json_loadb(t, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	if (!j) {
		snprintf(why, wl, "%s", e.text);
		return NULL;
	}
	char *buf;
	size_t len;
	FILE *o = open_memstream(&buf, &len);
	put(o, j);
	fclose(o);
	json_decref(j);
	return buf;
}
