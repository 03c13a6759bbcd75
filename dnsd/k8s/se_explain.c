/* SPDX-License-Identifier: BSD-3-Clause
 * se_explain.c - /names: ServiceEntries behind a record, drops behind a name. */
#include "k8s/se_explain.h"

#include <stdbool.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/wire.h"
#include "k8s/se_zone.h"
#include "k8s/se_pack.h"
#include "k8s/serviceentry.h"

struct match {
	const uint8_t *owner;
	size_t owner_len;
	uint16_t type;
	const uint8_t *rdata;
	uint16_t rdlen;
	bool is_found;
};

/* rdata equality; names in SRV and PTR rdata without regard to case. */
static bool rdata_equal(uint16_t type, const uint8_t *a, const uint8_t *b, uint16_t len)
{
	if (type != WIRE_TYPE_SRV && type != WIRE_TYPE_PTR)
		return memcmp(a, b, len) == 0;
	for (uint16_t i = 0; i < len; i++)
		if (dname_lower_table[a[i]] != dname_lower_table[b[i]])
			return false;
	return true;
}

/* Does owner (the served name) come from emitted (a record's owner, maybe a
 * wildcard "*.x")? */
static bool owner_matches(const uint8_t *emitted, const uint8_t *owner, size_t owner_len)
{
	uint8_t lower[DNAME_MAX_LEN];
	size_t len = dname_len(emitted);
	dname_lower(lower, emitted, len);
	if (len == owner_len && memcmp(lower, owner, len) == 0)
		return true;
	/* RFC 4592: "*.x" answers for names below x */
	if (lower[0] == 1 && lower[1] == '*' && owner_len > len - 2)
		return dname_is_subdomain(owner, owner_len, lower + 2, len - 2);
	return false;
}

static void match_emit(void *ctx, const uint8_t *owner, uint16_t type, uint32_t ttl_s, const uint8_t *rdata,
		       uint16_t rdlen)
{
	(void)ttl_s;
	struct match *m = ctx;
	if (!m->is_found && type == m->type && rdlen == m->rdlen &&
	    owner_matches(owner, m->owner, m->owner_len) && rdata_equal(type, rdata, m->rdata, rdlen))
		m->is_found = true;
}

struct sources_ctx {
	uint64_t clusters;
	const uint8_t *apex;
	uint32_t ttl_s;
	struct match m;
	struct jsonw *w;
	const void *seen[64]; /* entries written, so one entry is written once */
	size_t seen_count;
};

static void write_entry(struct jsonw *w, const struct se_registry_item *item)
{
	const struct serviceentry *se = item->entry;
	jsonw_kv_string(w, "cluster", item->cluster_name);
	jsonw_kv_string(w, "namespace", se_namespace(se));
	jsonw_kv_string(w, "name", se_name(se));
	jsonw_kv_string(w, "resourceVersion", se_resource_version(se) ? se_resource_version(se) : "");
	jsonw_key(w, "generation");
	jsonw_int(w, se->generation);
}

static void visit_sources(void *arg, const struct se_registry_item *item, size_t host_index)
{
	(void)host_index;
	struct sources_ctx *c = arg;
	if (item->cluster >= 64 || !(c->clusters & (1ull << item->cluster)))
		return;
	for (size_t i = 0; i < c->seen_count; i++)
		if (c->seen[i] == item->entry)
			return;
	c->m.is_found = false;
	se_zone_records(item->entry, c->apex, c->ttl_s, match_emit, &c->m);
	if (!c->m.is_found)
		return;
	if (c->seen_count < sizeof(c->seen) / sizeof(c->seen[0]))
		c->seen[c->seen_count++] = item->entry;
	jsonw_object_begin(c->w);
	jsonw_kv_string(c->w, "kind", "kubernetes");
	write_entry(c->w, item);
	jsonw_object_end(c->w);
}

static bool apex_is_reverse(const uint8_t *apex)
{
	static const uint8_t v4[] = "\7in-addr\4arpa", v6[] = "\3ip6\4arpa";
	size_t len = dname_len(apex);
	return dname_is_subdomain(apex, len, v4, sizeof(v4)) || dname_is_subdomain(apex, len, v6, sizeof(v6));
}

/* name without its trailing dot, into text. */
static void host_text(char *text, size_t cap, const uint8_t *name)
{
	if (dname_to_text(text, cap, name) < 0) {
		text[0] = '\0';
		return;
	}
	size_t n = strlen(text);
	if (n > 1 && text[n - 1] == '.')
		text[n - 1] = '\0';
}

void se_explain_sources(struct se_registry *r, uint64_t clusters, const uint8_t *apex, uint32_t ttl_s,
			const uint8_t *owner, uint16_t type, const uint8_t *rdata, uint16_t rdlen,
			struct jsonw *w)
{
	struct sources_ctx c = { .clusters = clusters,
				 .apex = apex,
				 .ttl_s = ttl_s,
				 .w = w,
				 .m = { .owner = owner,
					.owner_len = dname_len(owner),
					.type = type,
					.rdata = rdata,
					.rdlen = rdlen } };
	if (apex_is_reverse(apex)) {
		/* PTR owners are addresses: any entry may hold one */
		se_registry_visit_all(r, visit_sources, &c);
		return;
	}
	char text[DNAME_MAX_TEXT];
	/* the host itself */
	host_text(text, sizeof(text), owner);
	se_registry_visit_host(r, text, visit_sources, &c);
	/* an SRV owner "_port._proto.<host>" */
	if (owner[0] && owner[1] == '_' && owner[owner[0] + 1] && owner[owner[0] + 2] == '_') {
		const uint8_t *host = owner + owner[0] + 1;
		host += host[0] + 1;
		host_text(text, sizeof(text), host);
		se_registry_visit_host(r, text, visit_sources, &c);
	}
	/* wildcard hosts "*.<ancestor>", up to the apex */
	size_t apex_len = dname_len(apex);
	for (const uint8_t *p = owner + owner[0] + 1; *p && dname_len(p) >= apex_len; p += p[0] + 1) {
		char parent[DNAME_MAX_TEXT];
		host_text(parent, sizeof(parent), p);
		size_t n = strlen(parent);
		if (n + 3 > sizeof(text))
			break;
		text[0] = '*';
		text[1] = '.';
		memcpy(text + 2, parent, n + 1);
		se_registry_visit_host(r, text, visit_sources, &c);
	}
}

struct dropped_ctx {
	const char *host;
	struct jsonw *w;
	const void *seen[64]; /* an entry naming the host twice is written once */
	size_t seen_count;
};

static void write_drops(struct jsonw *w, const struct se_registry_item *item, const struct se_drops *d,
			const char *host)
{
	for (size_t i = 0; i < d->count; i++) {
		const struct se_drop *x = &d->items[i];
		if (!se_drop_concerns(x, host))
			continue;
		jsonw_object_begin(w);
		write_entry(w, item);
		jsonw_kv_string(w, "field", x->field);
		jsonw_kv_string(w, "value", x->value);
		jsonw_kv_string(w, "reason", se_drop_reason_name(x->reason));
		jsonw_kv_string(w, "message", x->message);
		jsonw_object_end(w);
	}
}

static void visit_dropped(void *arg, const struct se_registry_item *item, size_t host_index)
{
	(void)host_index;
	struct dropped_ctx *c = arg;
	const struct serviceentry *se = item->entry;
	for (size_t i = 0; i < c->seen_count; i++)
		if (c->seen[i] == se)
			return;
	if (c->seen_count < sizeof(c->seen) / sizeof(c->seen[0]))
		c->seen[c->seen_count++] = se;
	struct se_drops parsed = se_parse_drops(se);
	write_drops(c->w, item, &parsed, c->host);
	write_drops(c->w, item, &se->verdict_drops, c->host);
}

void se_explain_dropped(struct se_registry *r, const char *name, struct jsonw *w)
{
	struct dropped_ctx c = { .host = name, .w = w };
	se_registry_visit_host(r, name, visit_dropped, &c);
	/* "_port._proto.<host>": the drops of its host */
	if (name[0] == '_') {
		const char *dot = strchr(name, '.');
		if (dot && dot[1] == '_' && (dot = strchr(dot + 1, '.')) != NULL) {
			c.host = dot + 1;
			se_registry_visit_host(r, dot + 1, visit_dropped, &c);
		}
	}
}
