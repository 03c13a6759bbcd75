/* SPDX-License-Identifier: BSD-3-Clause
 * test_json.c - the strict JSON parser: a table of valid and invalid texts
 * (JSONTestSuite's y_/n_ categories), accessors, and a differential test
 * against jansson on the API-server fixtures and thousands of random
 * mutations of them (fixed seed, printed).
 *
 * Known, deliberate differences from jansson, normalised below:
 * - jansson refuses NUL in object keys; we accept it (keys carry a length);
 * - jansson refuses numbers that overflow a double or its integer type; we
 *   keep the number's text and only json_get_int64/_double report the range;
 * - jansson reads "-0" as integer 0, we as -0.0: compared as equal. */
#include <check.h>

#include "check_main.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "k8s/json.h"
#include "json_oracle.h"

struct text_case {
	const char *text;
	bool is_valid;
};

static const struct text_case cases[] = {
	{ "{}", true },
	{ "[]", true },
	{ "0", true },
	{ "-0", true },
	{ "1.5e-3", true },
	{ "-12.0E+2", true },
	{ "\"\"", true },
	{ "null", true },
	{ "true", true },
	{ "false", true },
	{ " [1, 2 ,3 ] ", true },
	{ "{\"a\":{\"b\":[null,true,false]}}", true },
	{ "\"\\ud83d\\ude00\"", true }, /* surrogate pair */
	{ "\"\\u0000\"", true },        /* NUL in a string */
	{ "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", true },
	{ "\"caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80\"", true },
	{ "{\"a\":1,\"a\":2}", true }, /* duplicates: first wins on lookup */
	{ "\"\\u00e9\"", true },
	{ "", false },
	{ " ", false },
	{ "[", false },
	{ "]", false },
	{ "{", false },
	{ "[1,]", false },
	{ "{\"a\":1,}", false },
	{ "[1 2]", false },
	{ "{\"a\" 1}", false },
	{ "{a:1}", false },
	{ "{'a':1}", false },
	{ "'x'", false },
	{ "01", false },
	{ "-", false },
	{ "1.", false },
	{ ".5", false },
	{ "1e", false },
	{ "1e+", false },
	{ "+1", false },
	{ "NaN", false },
	{ "Infinity", false },
	{ "nul", false },
	{ "truee", false },
	{ "[1] x", false },
	{ "{} {}", false },
	{ "\"abc", false },
	{ "\"\\x\"", false },
	{ "\"\\u12\"", false },
	{ "\"\\ud83d\"", false },        /* lone high surrogate */
	{ "\"\\ude00\"", false },        /* lone low surrogate */
	{ "\"\\ud83d\\u0041\"", false }, /* high + non-low */
	{ "\"\t\"", false },
	{ "\"\n\"", false }, /* raw control characters */
	{ "\"\xff\"", false },
	{ "\"\xc0\xaf\"", false },         /* invalid / overlong UTF-8 */
	{ "\"\xed\xa0\x80\"", false },     /* UTF-8-encoded surrogate */
	{ "\"\xf4\x90\x80\x80\"", false }, /* above U+10FFFF */
	{ "[1,,2]", false },
	{ "/* c */ 1", false },
	{ "[\"a\":1]", false },
};

START_TEST(test_table)
{
	const struct text_case *c = &cases[_i];
	struct json_doc *doc = NULL;
	struct json_error err;
	int rc = json_parse(c->text, strlen(c->text), &doc, &err);
	if (c->is_valid)
		ck_assert_msg(rc == 0, "'%s' rejected: %s", c->text, err.msg);
	else
		ck_assert_msg(rc == DNSD_EPARSE && doc == NULL, "'%s' accepted", c->text);
	json_doc_free(doc);
}
END_TEST

START_TEST(test_accessors)
{
	const char *text =
		"{\"metadata\":{\"name\":\"x\",\"n\":42,\"big\":123456789012345678901},"
		"\"items\":[1,\"two\",{\"k\":null}],\"s\":\"\\ud83d\\ude00\\u0000z\",\"a\":1,\"a\":2}";
	struct json_doc *doc;
	struct json_error err;
	ck_assert_int_eq(json_parse(text, strlen(text), &doc, &err), 0);
	const struct json_value *root = json_doc_root(doc);
	ck_assert_int_eq(json_type(root), JSON_OBJECT);
	size_t len;
	ck_assert_str_eq(json_get_string(json_get_path(root, "metadata", "name", NULL), &len), "x");
	int64_t n;
	ck_assert_int_eq(json_get_int64(json_get_path(root, "metadata", "n", NULL), &n), 0);
	ck_assert_int_eq(n, 42);
	ck_assert_int_eq(json_get_int64(json_get_path(root, "metadata", "big", NULL), &n), DNSD_ERANGE);
	const struct json_value *items = json_get(root, "items");
	ck_assert_uint_eq(json_array_count(items), 3);
	ck_assert_str_eq(json_get_string(json_array_at(items, 1), NULL), "two");
	ck_assert_ptr_null(json_array_at(items, 3));
	ck_assert_int_eq(json_type(json_get(json_array_at(items, 2), "k")), JSON_NULL);
	const char *s = json_get_string(json_get(root, "s"), &len);
	ck_assert_uint_eq(len, 6); /* 4 bytes of U+1F600, NUL, z */
	ck_assert_int_eq(memcmp(s, "\xf0\x9f\x98\x80\0z", 6), 0);
	ck_assert_int_eq(json_get_int64(json_get(root, "a"), &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_null(json_get(items, "x")); /* not an object */
	ck_assert_ptr_null(json_get_string(items, NULL));
	json_doc_free(doc);
}
END_TEST

/* n levels of {"a": ... } around inner, as a malloc'd string. */
static char *nest(size_t n, const char *inner)
{
	size_t il = strlen(inner);
	char *t = malloc(n * 7 + il + 1), *p = t;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "{\"a\":");
	p += sprintf(p, "%s", inner);
	for (size_t i = 0; i < n; i++)
		*p++ = '}';
	*p = '\0';
	return t;
}

START_TEST(test_depth_limit)
{
	char deep[2 * JSON_DEPTH_MAX + 8];
	size_t n = 0;
	for (int i = 0; i < JSON_DEPTH_MAX; i++)
		deep[n++] = '[';
	for (int i = 0; i < JSON_DEPTH_MAX; i++)
		deep[n++] = ']';
	struct json_doc *doc;
	struct json_error err;
	ck_assert_int_eq(json_parse(deep, n, &doc, &err), 0);
	const struct json_value *v = json_doc_root(doc);
	for (int i = 1; i < JSON_DEPTH_MAX; i++)
		v = json_array_at(v, 0);
	ck_assert_int_eq(json_type(v), JSON_ARRAY);
	json_doc_free(doc);
	/* one level more: still valid, the innermost array is elided */
	memmove(deep + 1, deep, n);
	deep[0] = '[';
	deep[n + 1] = ']';
	ck_assert_int_eq(json_parse(deep, n + 2, &doc, &err), 0);
	v = json_doc_root(doc);
	for (int i = 0; i < JSON_DEPTH_MAX; i++)
		v = json_array_at(v, 0);
	ck_assert_int_eq(json_type(v), JSON_ELIDED);
	ck_assert_uint_eq(json_array_count(v), 0);
	json_doc_free(doc);
}
END_TEST

/* Istio preserves unknown fields in status: 70 levels there must not hide
 * the spec (issue #14). */
START_TEST(test_deep_status_keeps_spec)
{
	char *inner = nest(70, "[1,\"x\",{\"b\":[true,null,-1.5e3]}]");
	char *text = malloc(strlen(inner) + 100);
	sprintf(text, "{\"spec\":{\"hosts\":[\"a.global\"]},\"status\":%s,\"z\":1}", inner);
	struct json_doc *doc;
	struct json_error err;
	ck_assert_int_eq(json_parse(text, strlen(text), &doc, &err), 0);
	size_t len;
	const struct json_value *h = json_array_at(json_get_path(json_doc_root(doc), "spec", "hosts", NULL),
						   0);
	ck_assert_str_eq(json_get_string(h, &len), "a.global");
	ck_assert_int_eq(json_get_int64(json_get(json_doc_root(doc), "z"), &(int64_t){ 0 }), 0);
	json_doc_free(doc);
	free(text);
	free(inner);
}
END_TEST

/* What is elided is still checked: a document is valid or not whatever
 * its depth, and nesting beyond JSON_NESTING_MAX is refused. */
START_TEST(test_deep_errors)
{
	static const char *const bad[] = { "[1 2]", "{\"k\" 1}", "[\"\xff\"]", "{\"k\":}",
					   "[1,]",  "{1:2}",     "[tru]",      "[" };
	struct json_doc *doc;
	struct json_error err;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *t = nest(JSON_DEPTH_MAX + 5, bad[i]);
		ck_assert_msg(json_parse(t, strlen(t), &doc, &err) == DNSD_EPARSE, "deep %s accepted",
			      bad[i]);
		free(t);
	}
	char *t = nest(JSON_NESTING_MAX - 1, "[]");
	ck_assert_int_eq(json_parse(t, strlen(t), &doc, &err), 0);
	json_doc_free(doc);
	free(t);
	t = nest(JSON_NESTING_MAX, "[]");
	ck_assert_int_eq(json_parse(t, strlen(t), &doc, &err), DNSD_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "nesting"));
	free(t);
	/* truncated deep inside */
	t = nest(200, "[]");
	ck_assert_int_eq(json_parse(t, strlen(t) - 1, &doc, &err), DNSD_EPARSE);
	free(t);
}
END_TEST

START_TEST(test_scan)
{
	const char *list = " {\"kind\":\"X\",\"items\":[ {\"a\":\"}]\\\"\"} , [1,{}], \"\xff\" ,7 ],"
			   "\"metadata\":{\"resourceVersion\":\"5\"}}";
	struct json_span sp, it;
	ck_assert_int_eq(json_scan_member(list, strlen(list), "metadata", &sp), 0);
	ck_assert_int_eq((int)sp.len, 23);
	ck_assert_int_eq(json_scan_member(list, strlen(list), "nope", &sp), DNSD_ENOENT);
	ck_assert_int_eq(json_scan_member(list, strlen(list), "items", &sp), 0);
	size_t pos = 0;
	static const char *const want[] = { "{\"a\":\"}]\\\"\"}", "[1,{}]", "\"\xff\"", "7" };
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(json_scan_next(sp.text, sp.len, &pos, &it), 1);
		ck_assert_int_eq((int)it.len, (int)strlen(want[i]));
		ck_assert(memcmp(it.text, want[i], it.len) == 0);
	}
	ck_assert_int_eq(json_scan_next(sp.text, sp.len, &pos, &it), 0);
	ck_assert_int_eq(json_scan_next(sp.text, sp.len, &pos, &it), 0);
	/* a truncated page: the items array does not end */
	ck_assert_int_eq(json_scan_member(list, 40, "items", &sp), DNSD_EPARSE);
	const char *cut = "[{\"a\":1},{\"b\":";
	pos = 0;
	ck_assert_int_eq(json_scan_next(cut, strlen(cut), &pos, &it), 1);
	ck_assert_int_eq(json_scan_next(cut, strlen(cut), &pos, &it), DNSD_EPARSE);
	cut = "[{\"a\":1}";
	pos = 0;
	ck_assert_int_eq(json_scan_next(cut, strlen(cut), &pos, &it), 1);
	ck_assert_int_eq(json_scan_next(cut, strlen(cut), &pos, &it), DNSD_EPARSE);
	pos = 0;
	ck_assert_int_eq(json_scan_next("[]", 2, &pos, &it), 0);
	ck_assert_int_eq(json_scan_member("[]", 2, "a", &sp), DNSD_EPARSE);
	ck_assert_int_eq(json_scan_member("{}", 2, "a", &sp), DNSD_ENOENT);
}
END_TEST

START_TEST(test_error_position)
{
	const char *text = "{\n  \"a\": [1,\n   2,]\n}";
	struct json_doc *doc;
	struct json_error err;
	ck_assert_int_eq(json_parse(text, strlen(text), &doc, &err), DNSD_EPARSE);
	ck_assert_uint_eq(err.line, 3);
	ck_assert_uint_eq(err.column, 6);
}
END_TEST

/* Our canonical text, mirroring json_oracle.c's. */
struct kv {
	const char *k;
	size_t kl;
	const struct json_value *v;
};

static int kv_cmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	size_t n = x->kl < y->kl ? x->kl : y->kl;
	int c = memcmp(x->k, y->k, n);
	return c ? c : (int)x->kl - (int)y->kl;
}

static void canon(FILE *o, const struct json_value *v)
{
	double d;
	size_t l;
	const unsigned char *s;
	switch (json_type(v)) {
	case JSON_NULL: fputs("n", o); break;
	case JSON_TRUE: fputs("t", o); break;
	case JSON_FALSE: fputs("f", o); break;
	case JSON_NUMBER:
		json_get_double(v, &d);
		fprintf(o, "#%.17g", d == 0 ? 0.0 : d);
		break;
	case JSON_STRING:
		s = (const unsigned char *)json_get_string(v, &l);
		fputc('"', o);
		for (size_t i = 0; i < l; i++)
			fprintf(o, "%02x", s[i]);
		fputc('"', o);
		break;
	case JSON_ELIDED: fputs("E", o); break;
	case JSON_ARRAY:
		fputc('[', o);
		for (size_t i = 0; i < json_array_count(v); i++) {
			canon(o, json_array_at(v, i));
			fputc(',', o);
		}
		fputc(']', o);
		break;
	case JSON_OBJECT: {
		/* jansson keeps the last of duplicate keys */
		size_t n = json_object_count(v), m = 0;
		struct kv *a = malloc((n + 1) * sizeof(*a));
		for (size_t i = 0; i < n; i++) {
			const char *k;
			size_t kl;
			const struct json_value *x = json_object_at(v, i, &k, &kl);
			bool is_dup = false;
			for (size_t j = 0; j < m; j++)
				if (a[j].kl == kl && memcmp(a[j].k, k, kl) == 0) {
					a[j].v = x;
					is_dup = true;
				}
			if (!is_dup)
				a[m++] = (struct kv){ k, kl, x };
		}
		qsort(a, m, sizeof(*a), kv_cmp);
		fputc('{', o);
		for (size_t i = 0; i < m; i++) {
			for (size_t j = 0; j < a[i].kl; j++)
				fprintf(o, "%02x", (unsigned char)a[i].k[j]);
			fputc(':', o);
			canon(o, a[i].v);
			fputc(',', o);
		}
		fputc('}', o);
		free(a);
		break;
	}
	}
}

static char *ours_canon(const char *t, size_t n, char *why, size_t why_len)
{
	struct json_doc *d;
	struct json_error e;
	if (json_parse(t, n, &d, &e) != 0) {
		snprintf(why, why_len, "%s", e.msg);
		return NULL;
	}
	char *buf;
	size_t len;
	FILE *o = open_memstream(&buf, &len);
	canon(o, json_doc_root(d));
	fclose(o);
	json_doc_free(d);
	return buf;
}

static bool is_known_difference(const char *ours, const char *oracle_why)
{
	return ours && (strstr(oracle_why, "NUL byte in object key") ||
			strstr(oracle_why, "number overflow") || strstr(oracle_why, "too big"));
}

START_TEST(test_differential_with_jansson)
{
	static const char *const inserts[] = {
		"\\ud83d",
		"\\u0000",
		"\xc3\xa9",
		"\xff",
		"\\",
		"\"",
		",",
		"]",
		"}",
		"1e5",
		"-0",
		"\x01",
		"\\ud83d\\ude00",
		"\xed\xa0\x80",
		"\xf4\x90\x80\x80",
		"\xe0\x80\xaf",
		"[",
		"{\"k\":",
		"99999999999999999999",
	};
	unsigned seed = 20261124;
	printf("json differential: seed %u\n", seed);
	DIR *dir = opendir("tests/data/k8s");
	ck_assert_ptr_nonnull(dir);
	struct dirent *e;
	static char buf[1 << 20], m[1 << 20];
	unsigned cases_run = 0, accepted = 0;
	while ((e = readdir(dir)) != NULL) {
		if (!strstr(e->d_name, ".json"))
			continue;
		char path[512];
		snprintf(path, sizeof(path), "tests/data/k8s/%s", e->d_name);
		FILE *f = fopen(path, "rb");
		size_t len = fread(buf, 1, sizeof(buf) / 2, f);
		fclose(f);
		for (int iter = 0; iter < 600; iter++) {
			memcpy(m, buf, len);
			size_t ml = len;
			int edits = iter ? 1 + (int)(rand_r(&seed) % 3) : 0;
			for (int k = 0; k < edits; k++) {
				size_t pos = ml ? rand_r(&seed) % ml : 0;
				switch (rand_r(&seed) % 3) {
				case 0:
					if (ml)
						m[pos] = (char)rand_r(&seed);
					break;
				case 1: ml = pos; break;
				default: {
					const char *s = inserts[rand_r(&seed) %
								(sizeof(inserts) / sizeof(inserts[0]))];
					size_t sl = strlen(s);
					memmove(m + pos + sl, m + pos, ml - pos);
					memcpy(m + pos, s, sl);
					ml += sl;
				}
				}
			}
			char w1[128] = "", w2[200] = "";
			char *a = ours_canon(m, ml, w1, sizeof(w1));
			char *b = oracle_canon(m, ml, w2, sizeof(w2));
			cases_run++;
			accepted += a != NULL;
			if (!(a && !b && is_known_difference(a, w2))) {
				ck_assert_msg((a == NULL) == (b == NULL),
					      "%s#%d: ours %s (%s), jansson %s (%s)", e->d_name, iter,
					      a ? "accepts" : "rejects", w1, b ? "accepts" : "rejects", w2);
				if (a)
					ck_assert_msg(strcmp(a, b) == 0, "%s#%d: trees differ", e->d_name,
						      iter);
			}
			free(a);
			free(b);
		}
	}
	closedir(dir);
	printf("json differential: %u documents, %u accepted\n", cases_run, accepted);
	ck_assert_uint_gt(cases_run, 5000);
	ck_assert_uint_gt(accepted, 100);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_accessors);
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_deep_status_keeps_spec);
	tcase_add_test(tc, test_deep_errors);
	tcase_add_test(tc, test_scan);
	tcase_add_test(tc, test_error_position);
	tcase_add_test(tc, test_differential_with_jansson);
	suite_add_tcase(s, tc);
	return s;
}
