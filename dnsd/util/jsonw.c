/* SPDX-License-Identifier: BSD-3-Clause
 * jsonw.c - streaming JSON writer. */
#include "util/jsonw.h"

#include <inttypes.h>
#include <string.h>

void jsonw_init(struct jsonw *w, FILE *out) { *w = (struct jsonw){ .out = out }; }

/* Before any value or key: the comma that separates it from the last. */
static void separate(struct jsonw *w)
{
	if (w->is_after_key) {
		w->is_after_key = false;
		return;
	}
	if (w->has_item[w->depth])
		fputc(',', w->out);
	w->has_item[w->depth] = true;
}

static void begin(struct jsonw *w, char c)
{
	separate(w);
	fputc(c, w->out);
	if (w->depth + 1 < JSONW_DEPTH_MAX)
		w->depth++;
	w->has_item[w->depth] = false;
}

static void end(struct jsonw *w, char c)
{
	fputc(c, w->out);
	if (w->depth > 0)
		w->depth--;
}

void jsonw_object_begin(struct jsonw *w) { begin(w, '{'); }
void jsonw_object_end(struct jsonw *w) { end(w, '}'); }
void jsonw_array_begin(struct jsonw *w) { begin(w, '['); }
void jsonw_array_end(struct jsonw *w) { end(w, ']'); }

static void quoted(FILE *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
		} else if (c == '\n') {
			fputs("\\n", out);
		} else if (c == '\t') {
			fputs("\\t", out);
		} else if (c < 0x20 || c >= 0x7f) {
			/* RFC 8259 §7; bytes >= 0x80 as Latin-1 code points, so the
			 * document stays valid UTF-8 whatever the input was */
			fprintf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		} else {
			fputc(c, out);
		}
	}
	fputc('"', out);
}

void jsonw_key(struct jsonw *w, const char *key)
{
	separate(w);
	quoted(w->out, key, strlen(key));
	fputc(':', w->out);
	w->is_after_key = true;
}

void jsonw_string_len(struct jsonw *w, const char *s, size_t len)
{
	separate(w);
	quoted(w->out, s, len);
}

void jsonw_string(struct jsonw *w, const char *s)
{
	if (!s) {
		jsonw_null(w);
		return;
	}
	jsonw_string_len(w, s, strlen(s));
}

void jsonw_uint(struct jsonw *w, uint64_t v)
{
	separate(w);
	fprintf(w->out, "%" PRIu64, v);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	separate(w);
	fprintf(w->out, "%" PRId64, v);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	separate(w);
	fputs(v ? "true" : "false", w->out);
}

void jsonw_null(struct jsonw *w)
{
	separate(w);
	fputs("null", w->out);
}

void jsonw_kv_string(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_string(w, s);
}

void jsonw_kv_uint(struct jsonw *w, const char *key, uint64_t v)
{
	jsonw_key(w, key);
	jsonw_uint(w, v);
}
