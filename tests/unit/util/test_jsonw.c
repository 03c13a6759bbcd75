/* SPDX-License-Identifier: BSD-3-Clause
 * test_jsonw.c - the JSON writer: structure, commas, escaping; its output
 * is parsed back by dnsd's own strict parser (k8s/json.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "k8s/json.h"
#include "util/jsonw.h"

static char *buf;
static size_t len;
static FILE *out;
static struct jsonw w;

static void setup(void)
{
	out = open_memstream(&buf, &len);
	jsonw_init(&w, out);
}

static const char *result(void)
{
	fclose(out);
	out = NULL;
	return buf;
}

static void teardown(void)
{
	if (out)
		fclose(out);
	free(buf);
	buf = NULL;
}

START_TEST(test_structure)
{
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "name", "reviews.default.global.");
	jsonw_key(&w, "views");
	jsonw_array_begin(&w);
	for (int i = 0; i < 2; i++) {
		jsonw_object_begin(&w);
		jsonw_kv_uint(&w, "n", (uint64_t)i);
		jsonw_key(&w, "empty");
		jsonw_array_begin(&w);
		jsonw_array_end(&w);
		jsonw_key(&w, "ok");
		jsonw_bool(&w, i == 1);
		jsonw_key(&w, "zone");
		jsonw_null(&w);
		jsonw_object_end(&w);
	}
	jsonw_array_end(&w);
	jsonw_key(&w, "neg");
	jsonw_int(&w, -5);
	jsonw_key(&w, "s");
	jsonw_string(&w, NULL);
	jsonw_object_end(&w);
	ck_assert_str_eq(result(),
			 "{\"name\":\"reviews.default.global.\",\"views\":["
			 "{\"n\":0,\"empty\":[],\"ok\":false,\"zone\":null},"
			 "{\"n\":1,\"empty\":[],\"ok\":true,\"zone\":null}],\"neg\":-5,\"s\":null}");
}
END_TEST

START_TEST(test_escaping_round_trip)
{
	static const char hostile[] = "q\"b\\s/\n\t\x01\x1f\x7f\xc3\xa9\xff end";
	jsonw_array_begin(&w);
	jsonw_string_len(&w, hostile, sizeof(hostile) - 1);
	jsonw_string_len(&w, "nul\0inside", 10);
	jsonw_array_end(&w);
	const char *text = result();
	ck_assert_str_eq(text, "[\"q\\\"b\\\\s/\\n\\t\\u0001\\u001f\\u007f\\u00c3\\u00a9\\u00ff end\","
			       "\"nul\\u0000inside\"]");
	struct json_doc *doc = NULL;
	struct json_error err;
	ck_assert_int_eq(json_parse(text, strlen(text), &doc, &err), 0);
	size_t n;
	const char *s = json_get_string(json_array_at(json_doc_root(doc), 1), &n);
	ck_assert_uint_eq(n, 10);
	ck_assert(memcmp(s, "nul\0inside", 10) == 0);
	s = json_get_string(json_array_at(json_doc_root(doc), 0), &n);
	ck_assert(memcmp(s, "q\"b\\s/\n\t\x01\x1f\x7f", 11) == 0);
	json_doc_free(doc);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("jsonw");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_structure);
	tcase_add_test(tc, test_escaping_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
