/* SPDX-License-Identifier: BSD-3-Clause
 * json.c - strict RFC 8259 parser. Values are parsed onto a scratch stack
 * and each array or object is copied into the arena, contiguous, when it
 * closes: O(1) indexing, one arena per document, no malloc per value. */
#include "k8s/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/array.h"
#include "util/err.h"

struct json_member;

struct json_value {
	uint8_t type;
	uint32_t count; /* members, elements or string bytes */
	union {
		const char *str;                   /* JSON_STRING, JSON_NUMBER (text) */
		const struct json_value *items;    /* JSON_ARRAY */
		const struct json_member *members; /* JSON_OBJECT */
	} u;
};

struct json_member {
	const char *key;
	uint32_t key_len;
	struct json_value value;
};

struct json_doc {
	struct arena arena;
	struct json_value root;
};

struct parser {
	const uint8_t *p, *start, *end;
	struct arena *arena;
	struct json_error *err;
	/* scratch stack of members (arrays use the value part only) */
	struct json_member *stack;
	size_t top, cap;
	unsigned depth;
};

static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parser *ps, const char *fmt, ...)
{
	struct json_error *e = ps->err;
	e->offset = (size_t)(ps->p - ps->start);
	e->line = 1;
	e->column = 1;
	for (const uint8_t *q = ps->start; q < ps->p && q < ps->end; q++) {
		if (*q == '\n') {
			e->line++;
			e->column = 1;
		} else {
			e->column++;
		}
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return DNSD_EPARSE;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int push(struct parser *ps, struct json_member **out)
{
	if (ARRAY_RESERVE_ONE(ps->stack, &ps->cap, ps->top, 256) != 0)
		return DNSD_ENOMEM;
	*out = &ps->stack[ps->top++];
	return 0;
}

/* Length of a valid UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const uint8_t *p, const uint8_t *end)
{
	uint8_t c = p[0];
	size_t n;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

static int hex4(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		uint8_t c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(uint8_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xC0 | cp >> 6);
		o[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xE0 | cp >> 12);
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (uint8_t)(0xF0 | cp >> 18);
	o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

/* A string at ps->p (on the opening quote): decoded into the arena. The
 * decoded form is never longer than the source, which bounds the copy. */
static int parse_string(struct parser *ps, const char **out, uint32_t *out_len)
{
	const uint8_t *s = ++ps->p;
	/* fast scan: plain ASCII up to the closing quote */
	const uint8_t *q = s;
	while (q < ps->end && *q != '"' && *q != '\\' && *q >= 0x20 && *q < 0x80)
		q++;
	if (q < ps->end && *q == '"') {
		size_t n = (size_t)(q - s);
		if (n > UINT32_MAX)
			return fail(ps, "string too long");
		char *d = arena_alloc_bytes(ps->arena, n + 1);
		if (!d)
			return DNSD_ENOMEM;
		memcpy(d, s, n);
		d[n] = '\0';
		*out = d;
		*out_len = (uint32_t)n;
		ps->p = q + 1;
		return 0;
	}
	/* slow path: escapes and UTF-8; find the end first to size the copy */
	const uint8_t *e = q;
	while (e < ps->end && *e != '"') {
		if (*e == '\\')
			e++;
		e++;
	}
	if (e >= ps->end) {
		ps->p = ps->end;
		return fail(ps, "unterminated string");
	}
	uint8_t *d = arena_alloc_bytes(ps->arena, (size_t)(e - s) + 1);
	if (!d)
		return DNSD_ENOMEM;
	size_t n = 0;
	const uint8_t *p = s;
	while (p < e) {
		uint8_t c = *p;
		if (c < 0x20) {
			ps->p = p;
			return fail(ps, "control character in string");
		}
		if (c == '\\') {
			uint8_t x = p[1];
			p += 2;
			switch (x) {
			case '"': d[n++] = '"'; break;
			case '\\': d[n++] = '\\'; break;
			case '/': d[n++] = '/'; break;
			case 'b': d[n++] = '\b'; break;
			case 'f': d[n++] = '\f'; break;
			case 'n': d[n++] = '\n'; break;
			case 'r': d[n++] = '\r'; break;
			case 't': d[n++] = '\t'; break;
			case 'u': {
				uint32_t cp, lo;
				if (e - p < 4 || hex4(p, &cp) != 0) {
					ps->p = p;
					return fail(ps, "bad \\u escape");
				}
				p += 4;
				if (cp >= 0xDC00 && cp <= 0xDFFF) {
					ps->p = p;
					return fail(ps, "lone low surrogate");
				}
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					/* RFC 8259 §7: a pair of escapes for astral characters */
					if (e - p < 6 || p[0] != '\\' || p[1] != 'u' ||
					    hex4(p + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
						ps->p = p;
						return fail(ps, "unpaired high surrogate");
					}
					p += 6;
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				}
				n += put_utf8(d + n, cp);
				break;
			}
			default:
				ps->p = p - 1;
				return fail(ps, "bad escape \\%c", x >= 0x20 && x < 0x7F ? x : '?');
			}
			continue;
		}
		size_t l = utf8_len(p, e);
		if (l == 0) {
			ps->p = p;
			return fail(ps, "invalid UTF-8");
		}
		memcpy(d + n, p, l);
		n += l;
		p += l;
	}
	d[n] = '\0';
	*out = (const char *)d;
	*out_len = (uint32_t)n;
	ps->p = e + 1;
	return 0;
}

/* RFC 8259 §6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int parse_number(struct parser *ps, struct json_value *v)
{
	const uint8_t *s = ps->p, *p = s, *end = ps->end;
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0') {
		p++;
	} else if (p < end && *p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		ps->p = p;
		return fail(ps, "bad number");
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9') {
			ps->p = p;
			return fail(ps, "bad number: digit expected after '.'");
		}
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9') {
			ps->p = p;
			return fail(ps, "bad number: digit expected in exponent");
		}
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	char *text = arena_alloc_bytes(ps->arena, (size_t)(p - s) + 1);
	if (!text)
		return DNSD_ENOMEM;
	memcpy(text, s, (size_t)(p - s));
	text[p - s] = '\0';
	v->type = JSON_NUMBER;
	v->count = (uint32_t)(p - s);
	v->u.str = text;
	ps->p = p;
	return 0;
}

static int parse_value(struct parser *ps, struct json_value *v);

static int skip_key(struct parser *ps)
{
	const char *key;
	uint32_t key_len;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '"')
		return fail(ps, "object key expected");
	int rc = parse_string(ps, &key, &key_len);
	if (rc != 0)
		return rc;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != ':')
		return fail(ps, "':' expected");
	ps->p++;
	return 0;
}

/* Validates the container at ps->p, ps->depth levels down, without keeping
 * it. Iterative, one byte of stack per level, so that nesting as deep as
 * the API server accepts costs no recursion. Scalars inside go through the
 * ordinary parsers (their text lands in the arena, bounded by the input). */
static int skip_container(struct parser *ps)
{
	char closers[JSON_NESTING_MAX];
	size_t depth = 0;
	int rc;
	for (;;) {
		/* at the start of a value */
		skip_ws(ps);
		if (ps->p >= ps->end)
			return fail(ps, "unexpected end of input");
		if (*ps->p == '{' || *ps->p == '[') {
			if (ps->depth + depth >= JSON_NESTING_MAX)
				return fail(ps, "nesting deeper than %d", JSON_NESTING_MAX);
			bool is_object = *ps->p == '{';
			closers[depth++] = is_object ? '}' : ']';
			ps->p++;
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == closers[depth - 1]) {
				ps->p++;
				depth--;
			} else {
				if (is_object && (rc = skip_key(ps)) != 0)
					return rc;
				continue;
			}
		} else {
			struct json_value scalar;
			if ((rc = parse_value(ps, &scalar)) != 0)
				return rc;
		}
		/* after a value: close containers until a ',' starts the next */
		for (;;) {
			if (depth == 0)
				return 0;
			skip_ws(ps);
			if (ps->p >= ps->end)
				return fail(ps, "unexpected end of input");
			if (*ps->p == closers[depth - 1]) {
				ps->p++;
				depth--;
				continue;
			}
			if (*ps->p != ',')
				return fail(ps, "',' or '%c' expected", closers[depth - 1]);
			ps->p++;
			if (closers[depth - 1] == '}' && (rc = skip_key(ps)) != 0)
				return rc;
			break;
		}
	}
}

/* Copies the members above base off the stack into the arena. */
static int close_container(struct parser *ps, size_t base, struct json_value *v, bool is_object)
{
	size_t n = ps->top - base;
	if (n > UINT32_MAX)
		return fail(ps, "too many elements");
	v->count = (uint32_t)n;
	if (is_object) {
		struct json_member *m = n ? arena_alloc(ps->arena, n * sizeof(*m)) : NULL;
		if (n && !m)
			return DNSD_ENOMEM;
		if (n)
			memcpy(m, ps->stack + base, n * sizeof(*m));
		v->u.members = m;
	} else {
		struct json_value *a = n ? arena_alloc(ps->arena, n * sizeof(*a)) : NULL;
		if (n && !a)
			return DNSD_ENOMEM;
		for (size_t i = 0; i < n; i++)
			a[i] = ps->stack[base + i].value;
		v->u.items = a;
	}
	ps->top = base;
	return 0;
}

static int parse_container(struct parser *ps, struct json_value *v, bool is_object)
{
	if (ps->depth >= JSON_DEPTH_MAX) {
		v->type = JSON_ELIDED;
		v->count = 0;
		return skip_container(ps);
	}
	ps->depth++;
	char close = is_object ? '}' : ']';
	size_t base = ps->top;
	v->type = is_object ? JSON_OBJECT : JSON_ARRAY;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return close_container(ps, base, v, is_object);
	}
	for (;;) {
		struct json_member *m;
		int rc = push(ps, &m);
		if (rc != 0)
			return rc;
		size_t slot = ps->top - 1;
		if (is_object) {
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, "object key expected");
			const char *key = NULL; /* parse_string() sets both on success; */
			uint32_t key_len = 0;   /* clang-analyzer cannot see it */
			if ((rc = parse_string(ps, &key, &key_len)) != 0)
				return rc;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, "':' expected");
			ps->p++;
			ps->stack[slot].key = key;
			ps->stack[slot].key_len = key_len;
		}
		struct json_value child;
		if ((rc = parse_value(ps, &child)) != 0)
			return rc;
		ps->stack[slot].value = child; /* the stack may have moved */
		skip_ws(ps);
		if (ps->p >= ps->end)
			return fail(ps, "unexpected end of input");
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == close) {
			ps->p++;
			break;
		}
		return fail(ps, "',' or '%c' expected", close);
	}
	ps->depth--;
	return close_container(ps, base, v, is_object);
}

static int parse_literal(struct parser *ps, const char *word, size_t len, enum json_type type,
			 struct json_value *v)
{
	if ((size_t)(ps->end - ps->p) < len || memcmp(ps->p, word, len) != 0)
		return fail(ps, "unexpected character");
	ps->p += len;
	v->type = (uint8_t)type;
	v->count = 0;
	return 0;
}

static int parse_value(struct parser *ps, struct json_value *v)
{
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of input");
	switch (*ps->p) {
	case '{': return parse_container(ps, v, true);
	case '[': return parse_container(ps, v, false);
	case '"': {
		v->type = JSON_STRING;
		return parse_string(ps, &v->u.str, &v->count);
	}
	case 't': return parse_literal(ps, "true", 4, JSON_TRUE, v);
	case 'f': return parse_literal(ps, "false", 5, JSON_FALSE, v);
	case 'n': return parse_literal(ps, "null", 4, JSON_NULL, v);
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return parse_number(ps, v);
		return fail(ps, "unexpected character");
	}
}

int json_parse(const char *text, size_t len, struct json_doc **out, struct json_error *err)
{
	struct json_error dummy;
	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	*out = NULL;
	struct json_doc *doc = malloc(sizeof(*doc));
	if (!doc) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return DNSD_ENOMEM;
	}
	arena_init(&doc->arena, len < 4096 ? 4096 : (len < (1u << 20) ? len : (1u << 20)));
	struct parser ps = { .p = (const uint8_t *)text,
			     .start = (const uint8_t *)text,
			     .end = (const uint8_t *)text + len,
			     .arena = &doc->arena,
			     .err = err };
	int rc = parse_value(&ps, &doc->root);
	if (rc == 0) {
		skip_ws(&ps);
		if (ps.p != ps.end)
			rc = fail(&ps, "trailing characters after the JSON value");
	}
	if (rc == DNSD_ENOMEM && !err->msg[0])
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	free(ps.stack);
	if (rc != 0) {
		json_doc_free(doc);
		return rc;
	}
	*out = doc;
	return 0;
}

void json_doc_free(struct json_doc *doc)
{
	if (!doc)
		return;
	arena_clear(&doc->arena);
	free(doc);
}

const struct json_value *json_doc_root(const struct json_doc *doc) { return doc ? &doc->root : NULL; }
enum json_type json_type(const struct json_value *v) { return v ? (enum json_type)v->type : JSON_NULL; }

const struct json_value *json_get(const struct json_value *v, const char *key)
{
	if (!v || v->type != JSON_OBJECT)
		return NULL;
	size_t klen = strlen(key);
	for (uint32_t i = 0; i < v->count; i++) {
		const struct json_member *m = &v->u.members[i];
		if (m->key_len == klen && memcmp(m->key, key, klen) == 0)
			return &m->value;
	}
	return NULL;
}

size_t json_object_count(const struct json_value *v) { return v && v->type == JSON_OBJECT ? v->count : 0; }

const struct json_value *json_object_at(const struct json_value *v, size_t i, const char **key,
					size_t *key_len)
{
	if (!v || v->type != JSON_OBJECT || i >= v->count)
		return NULL;
	if (key)
		*key = v->u.members[i].key;
	if (key_len)
		*key_len = v->u.members[i].key_len;
	return &v->u.members[i].value;
}

size_t json_array_count(const struct json_value *v) { return v && v->type == JSON_ARRAY ? v->count : 0; }

const struct json_value *json_array_at(const struct json_value *v, size_t i)
{
	return v && v->type == JSON_ARRAY && i < v->count ? &v->u.items[i] : NULL;
}

const char *json_get_string(const struct json_value *v, size_t *len)
{
	if (!v || v->type != JSON_STRING)
		return NULL;
	if (len)
		*len = v->count;
	return v->u.str;
}

const char *json_number_text(const struct json_value *v)
{
	return v && v->type == JSON_NUMBER ? v->u.str : NULL;
}

int json_get_int64(const struct json_value *v, int64_t *out)
{
	if (!v || v->type != JSON_NUMBER)
		return DNSD_EINVAL;
	if (strpbrk(v->u.str, ".eE"))
		return DNSD_ERANGE;
	errno = 0;
	char *end;
	long long x = strtoll(v->u.str, &end, 10);
	if (errno == ERANGE || *end)
		return DNSD_ERANGE;
	*out = x;
	return 0;
}

int json_get_double(const struct json_value *v, double *out)
{
	if (!v || v->type != JSON_NUMBER)
		return DNSD_EINVAL;
	errno = 0;
	double d = strtod(v->u.str, NULL);
	if (errno == ERANGE)
		return DNSD_ERANGE;
	*out = d;
	return 0;
}

const struct json_value *json_get_path(const struct json_value *v, ...)
{
	va_list ap;
	va_start(ap, v);
	const char *key;
	while (v && (key = va_arg(ap, const char *)) != NULL)
		v = json_get(v, key);
	va_end(ap);
	return v;
}

/* The end of the value starting at p (after leading whitespace): strings
 * and brackets balanced, nothing else checked. NULL when it does not end. */
static const char *scan_value(const char *p, const char *end)
{
	size_t depth = 0;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p >= end)
		return NULL;
	do {
		char c = *p;
		if (c == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= end)
				return NULL;
			p++;
		} else if (c == '{' || c == '[') {
			depth++;
			p++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return NULL;
			depth--;
			p++;
		} else if (depth > 0) {
			p++;
		} else {
			/* a scalar at the top: up to a delimiter */
			while (p < end && !strchr(",]} \t\r\n", *p))
				p++;
		}
	} while (depth > 0 && p < end);
	return depth == 0 ? p : NULL;
}

static const char *scan_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

int json_scan_member(const char *text, size_t len, const char *key, struct json_span *out)
{
	const char *p = scan_ws(text, text + len), *end = text + len;
	size_t klen = strlen(key);
	if (p >= end || *p != '{')
		return DNSD_EPARSE;
	p = scan_ws(p + 1, end);
	if (p < end && *p == '}')
		return DNSD_ENOENT;
	for (;;) {
		const char *k = scan_ws(p, end);
		if (k >= end || *k != '"')
			return DNSD_EPARSE;
		const char *ke = scan_value(k, end);
		if (!ke)
			return DNSD_EPARSE;
		p = scan_ws(ke, end);
		if (p >= end || *p != ':')
			return DNSD_EPARSE;
		const char *v = scan_ws(p + 1, end);
		const char *ve = scan_value(v, end);
		if (!ve || ve == v)
			return DNSD_EPARSE;
		if ((size_t)(ke - k) == klen + 2 && memcmp(k + 1, key, klen) == 0) {
			out->text = v;
			out->len = (size_t)(ve - v);
			return 0;
		}
		p = scan_ws(ve, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		return p < end && *p == '}' ? DNSD_ENOENT : DNSD_EPARSE;
	}
}

int json_scan_next(const char *text, size_t len, size_t *pos, struct json_span *out)
{
	const char *end = text + len, *p;
	if (*pos == SIZE_MAX)
		return 0; /* the closing bracket was seen */
	if (*pos == 0) {
		p = scan_ws(text, end);
		if (p >= end || *p != '[')
			return DNSD_EPARSE;
		p = scan_ws(p + 1, end);
	} else {
		p = scan_ws(text + *pos, end);
		if (p < end && *p == ',')
			p = scan_ws(p + 1, end);
		else if (p >= end || *p != ']')
			return DNSD_EPARSE;
	}
	if (p < end && *p == ']') {
		*pos = SIZE_MAX;
		return 0;
	}
	const char *e = scan_value(p, end);
	if (!e || e == p)
		return DNSD_EPARSE;
	out->text = p;
	out->len = (size_t)(e - p);
	*pos = (size_t)(e - text);
	return 1;
}
