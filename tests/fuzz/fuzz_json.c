/* SPDX-License-Identifier: BSD-3-Clause
 * fuzz_json.c - the JSON parser on arbitrary bytes; an accepted document is
 * walked completely so every accessor sees fuzzed trees. */
#include <stdint.h>
#include <stdlib.h>

#include "k8s/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const struct json_value *v, unsigned depth)
{
	size_t n = 1, len;
	int64_t i;
	double d;
	if (depth > JSON_DEPTH_MAX + 1)
		abort();
	switch (json_type(v)) {
	case JSON_ARRAY:
		for (size_t k = 0; k < json_array_count(v); k++)
			n += walk(json_array_at(v, k), depth + 1);
		break;
	case JSON_OBJECT:
		for (size_t k = 0; k < json_object_count(v); k++) {
			const char *key;
			size_t klen;
			n += walk(json_object_at(v, k, &key, &klen), depth + 1);
			if (json_get(v, key) == NULL && klen == __builtin_strlen(key))
				abort(); /* a key must find a member */
		}
		break;
	case JSON_STRING:
		if (json_get_string(v, &len)[len] != '\0')
			abort();
		break;
	case JSON_NUMBER:
		(void)json_get_int64(v, &i);
		(void)json_get_double(v, &d);
		break;
	case JSON_ELIDED:
	default: break;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc *doc;
	struct json_error err;
	if (json_parse((const char *)data, size, &doc, &err) == 0) {
		walk(json_doc_root(doc), 0);
		json_doc_free(doc);
	} else if (err.offset > size) {
		abort();
	}
	return 0;
}
