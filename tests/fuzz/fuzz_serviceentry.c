/* SPDX-License-Identifier: BSD-3-Clause
 * fuzz_serviceentry.c - JSON -> ServiceEntry -> the source's verdicts ->
 * records for a forward and a reverse zone, and its drops formatted for the
 * log: nothing the API server could send may crash us or leak. The entry
 * packed (se_pack.h) must give the same records and drops. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "k8s/json.h"
#include "k8s/se_pack.h"
#include "k8s/se_policy.h"
#include "k8s/se_zone.h"
#include "k8s/serviceentry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FNV-1a over every record emitted: the packed form must match the parsed. */
static void mix(uint64_t *h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		*h = (*h ^ ((const uint8_t *)p)[i]) * 0x100000001b3ull;
}

static void check_record(void *ctx, const uint8_t *owner, uint16_t type, uint32_t ttl_s, const uint8_t *rdata,
			 uint16_t rdlen)
{
	(void)ttl_s;
	if (dname_len(owner) > DNAME_MAX_LEN || (rdlen > 0 && !rdata))
		abort();
	uint64_t *h = ctx;
	mix(h, owner, dname_len(owner));
	mix(h, &type, sizeof(type));
	mix(h, rdata, rdlen);
}

static uint64_t records_hash(const struct serviceentry *se, const uint8_t *apex, const uint8_t *rev)
{
	uint64_t h = 0xcbf29ce484222325ull;
	se_zone_records(se, apex, 30, check_record, &h);
	se_zone_records(se, rev, 30, check_record, &h);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc *doc;
	struct json_error jerr;
	if (json_parse((const char *)data, size, &doc, &jerr) != 0)
		return 0;
	const struct json_value *root = json_doc_root(doc);
	/* a bare object, a watch event or a list: try each shape */
	const struct json_value *candidates[3] = { root, json_get(root, "object"),
						   json_array_at(json_get(root, "items"), 0) };
	uint8_t apex[DNAME_MAX_LEN], rev[DNAME_MAX_LEN];
	dname_from_text(apex, "global");
	dname_from_text(rev, "in-addr.arpa");
	for (int i = 0; i < 3; i++) {
		struct serviceentry *se;
		char err[256];
		/* an unusable entry comes back as a stand-in, held and freed alike */
		if (!candidates[i] || (serviceentry_from_json(candidates[i], &se, err, sizeof(err)), !se))
			continue;
		static const char *const trusted[] = { "istio-system" };
		const struct se_policy policy = { .trusted_namespaces = trusted, .trusted_count = 1 };
		const uint8_t *apexes[2] = { apex, rev };
		if (se_policy_judge(&policy, se, apexes, 2) != 0)
			abort();
		const struct se_drops *lists[2] = { &se->drops, &se->verdict_drops };
		for (int l = 0; l < 2; l++)
			for (size_t d = 0; d < lists[l]->count; d++) {
				char line[512];
				se_drop_format(&lists[l]->items[d], line, sizeof(line));
			}
		uint64_t want = records_hash(se, apex, rev);
		struct serviceentry *copy = NULL;
		serviceentry_from_json(candidates[i], &copy, err, sizeof(err));
		if (copy && se_policy_judge(&policy, copy, apexes, 2) != 0)
			abort();
		struct slab s;
		slab_init(&s);
		struct serviceentry *packed = copy ? se_pack(&s, copy) : NULL;
		if (packed) {
			struct se_drops a = se_parse_drops(packed), b = se_parse_drops(se);
			if (records_hash(packed, apex, rev) != want || !se_pack_same_records(packed, se) ||
			    !se_drops_equal(&a, &b) || strcmp(se_name(packed), se_name(se)) != 0)
				abort();
			se_pack_free(&s, packed);
		} else {
			serviceentry_free(copy); /* out of memory or too big: held as parsed */
		}
		slab_clear(&s);
		serviceentry_free(se);
	}
	json_doc_free(doc);
	return 0;
}
