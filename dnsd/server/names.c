/* SPDX-License-Identifier: BSD-3-Clause
 * names.c - the /names/<fqdn> document: each view's answers for one name,
 * each record's sources, what was dropped for it. ldns reads the answers
 * back (this is the admin's path, not the query path). */
#include "server/names.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/wire.h"

/* Types shown even when the name has none of them: an address that is not
 * there is the usual question. */
static const uint16_t always_types[] = { WIRE_TYPE_A, WIRE_TYPE_AAAA };
/* Types also probed, for names that exist only through a wildcard or a
 * CNAME (their node is not the name's own); shown when they answer. */
static const uint16_t probe_types[] = { WIRE_TYPE_CNAME, WIRE_TYPE_SRV, WIRE_TYPE_TXT, WIRE_TYPE_PTR,
					WIRE_TYPE_MX,    WIRE_TYPE_NS,  WIRE_TYPE_SOA };
#define NAMES_TYPES_MAX 64

static void write_error(FILE *out, const char *name, const char *why)
{
	struct jsonw w;
	jsonw_init(&w, out);
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "name", name);
	jsonw_kv_string(&w, "error", why);
	jsonw_object_end(&w);
	fputc('\n', out);
}

static bool has_type(const uint16_t *types, size_t n, uint16_t t)
{
	for (size_t i = 0; i < n; i++)
		if (types[i] == t)
			return true;
	return false;
}

/* The types to ask for: A, AAAA, the name's own, the probes. */
static size_t collect_types(const struct zone *z, const uint8_t *lname, size_t len, uint16_t *types)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof(always_types) / sizeof(always_types[0]); i++)
		types[n++] = always_types[i];
	const struct zone_node *node = z ? zone_lookup(z, lname, len, dname_hash(lname, len)) : NULL;
	for (uint16_t i = 0; node && i < node->type_count && n < NAMES_TYPES_MAX; i++)
		if (!has_type(types, n, zone_node_types(node)[i]))
			types[n++] = zone_node_types(node)[i];
	for (size_t i = 0; i < sizeof(probe_types) / sizeof(probe_types[0]) && n < NAMES_TYPES_MAX; i++)
		if (!has_type(types, n, probe_types[i]))
			types[n++] = probe_types[i];
	return n;
}

/* A query for (qname, type) in wire form: RD clear, no EDNS; TCP-sized
 * answers (answer_query_view with is_tcp) so nothing is truncated. */
static size_t make_query(uint8_t *q, const uint8_t *lname, size_t len, uint16_t type)
{
	memset(q, 0, WIRE_HEADER_LEN);
	wire_write_u16(q, 0x4e41);
	wire_write_u16(q + 4, 1); /* QDCOUNT */
	memcpy(q + WIRE_HEADER_LEN, lname, len);
	wire_write_u16(q + WIRE_HEADER_LEN + len, type);
	wire_write_u16(q + WIRE_HEADER_LEN + len + 2, WIRE_CLASS_IN);
	return WIRE_HEADER_LEN + len + 4;
}

/* The rdata of rr as text, "10 60 8080 www.global.", without owner, TTL,
 * class and type. */
static char *rdata_text(const ldns_rr *rr)
{
	char *full = ldns_rr2str(rr);
	if (!full)
		return NULL;
	full[strcspn(full, "\n")] = '\0';
	/* owner, TTL, class, type: four tab-separated fields */
	char *p = full;
	for (int i = 0; i < 4 && p; i++) {
		p = strchr(p, '\t');
		if (p)
			p++;
	}
	char *text = strdup(p ? p : "");
	free(full);
	return text;
}

static void write_record(struct jsonw *w, const ldns_rr *rr, size_t view, const struct zone *z,
			 const struct names_hooks *hooks)
{
	char *data = rdata_text(rr);
	char *owner_text = ldns_rdf2str(ldns_rr_owner(rr));
	char *type_text = ldns_rr_type2str(ldns_rr_get_type(rr));
	jsonw_object_begin(w);
	jsonw_kv_string(w, "owner", owner_text ? owner_text : "");
	jsonw_kv_string(w, "type", type_text ? type_text : "");
	jsonw_kv_uint(w, "ttl", ldns_rr_ttl(rr));
	jsonw_kv_string(w, "data", data ? data : "");
	jsonw_key(w, "sources");
	jsonw_array_begin(w);
	ldns_buffer *buf = ldns_buffer_new(512);
	const ldns_rdf *owner = ldns_rr_owner(rr);
	if (buf && hooks && hooks->sources && ldns_rdf_size(owner) <= DNAME_MAX_LEN &&
	    ldns_rr_rdata2buffer_wire(buf, rr) == LDNS_STATUS_OK && ldns_buffer_position(buf) <= 65535) {
		uint8_t lowner[DNAME_MAX_LEN];
		dname_lower(lowner, ldns_rdf_data(owner), ldns_rdf_size(owner));
		hooks->sources(hooks->ctx, view, z, lowner, (uint16_t)ldns_rr_get_type(rr),
			       ldns_buffer_begin(buf), (uint16_t)ldns_buffer_position(buf), w);
	}
	ldns_buffer_free(buf);
	jsonw_array_end(w);
	jsonw_object_end(w);
	free(data);
	free(owner_text);
	free(type_text);
}

static const char *rcode_text(uint8_t rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"
	};
	return rcode < sizeof(names) / sizeof(names[0]) ? names[rcode] : "OTHER";
}

/* One type's answer in one view: {"type", "rcode", "aa", "records": [...]}.
 * Returns false when it was not written (a probe that found nothing). */
static bool write_answer(struct jsonw *w, const struct snapshot *snap, size_t view, const uint8_t *lname,
			 size_t len, uint16_t type, bool is_always, const struct names_hooks *hooks)
{
	uint8_t q[WIRE_HEADER_LEN + DNAME_MAX_LEN + 4];
	static uint8_t out[65535]; /* the admin loop is one thread */
	size_t qlen = make_query(q, lname, len, type);
	struct sockaddr_in6 any = { .sin6_family = AF_INET6 };
	struct answer_request req = { .pkt = q,
				      .len = qlen,
				      .is_tcp = true,
				      .client = (struct sockaddr *)&any,
				      .local = (struct sockaddr *)&any };
	struct answer_info info;
	size_t n = answer_query_view(snap, view, &req, out, sizeof(out), &info);
	ldns_pkt *pkt = NULL;
	if (n == 0 || ldns_wire2pkt(&pkt, out, n) != LDNS_STATUS_OK)
		return false;
	ldns_rr_list *an = ldns_pkt_answer(pkt);
	if (!is_always && ldns_rr_list_rr_count(an) == 0) {
		ldns_pkt_free(pkt);
		return false;
	}
	char *type_text = ldns_rr_type2str((ldns_rr_type)type);
	jsonw_object_begin(w);
	jsonw_kv_string(w, "type", type_text ? type_text : "");
	jsonw_kv_string(w, "rcode", rcode_text(info.rcode));
	jsonw_key(w, "aa");
	jsonw_bool(w, ldns_pkt_aa(pkt));
	jsonw_key(w, "records");
	jsonw_array_begin(w);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++)
		write_record(w, ldns_rr_list_rr(an, i), view, info.zone, hooks);
	jsonw_array_end(w);
	/* a referral: the delegation is the answer */
	ldns_rr_list *ns = ldns_pkt_authority(pkt);
	if (ldns_rr_list_rr_count(an) == 0 && !ldns_pkt_aa(pkt) && ldns_rr_list_rr_count(ns) > 0) {
		jsonw_key(w, "referral");
		jsonw_array_begin(w);
		for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++)
			write_record(w, ldns_rr_list_rr(ns, i), view, info.zone, hooks);
		jsonw_array_end(w);
	}
	jsonw_object_end(w);
	free(type_text);
	ldns_pkt_free(pkt);
	return true;
}

static void write_view(struct jsonw *w, const struct snapshot *snap, size_t v, const uint8_t *lname,
		       size_t len, const struct names_hooks *hooks)
{
	jsonw_object_begin(w);
	jsonw_kv_string(w, "view", snap->views->views[v].name);
	const struct zone_set *set = snap->sets[v];
	const struct zone *z = set ? zone_set_find(set, lname, len) : NULL;
	jsonw_key(w, "zone");
	if (!z) {
		jsonw_null(w);
		jsonw_kv_string(w, "rcode", "REFUSED");
		jsonw_kv_string(w, "why", "no zone of this view holds the name");
		jsonw_object_end(w);
		return;
	}
	jsonw_string(w, z->name_text);
	jsonw_kv_uint(w, "serial", z->serial);
	if (z->is_pending) {
		jsonw_kv_string(w, "rcode", "SERVFAIL");
		jsonw_kv_string(w, "why", "the zone waits for the first sync of its Kubernetes sources");
		jsonw_object_end(w);
		return;
	}
	uint16_t types[NAMES_TYPES_MAX];
	size_t nt = collect_types(z, lname, len, types);
	jsonw_key(w, "answers");
	jsonw_array_begin(w);
	for (size_t i = 0; i < nt; i++)
		write_answer(w, snap, v, lname, len, types[i],
			     i < sizeof(always_types) / sizeof(always_types[0]), hooks);
	jsonw_array_end(w);
	jsonw_object_end(w);
}

int names_explain(const struct snapshot *snap, const char *name_text, const struct names_hooks *hooks,
		  FILE *out)
{
	uint8_t name[DNAME_MAX_LEN], lname[DNAME_MAX_LEN];
	int len = name_text && *name_text ? dname_from_text(name, name_text) : -1;
	if (len < 0) {
		write_error(out, name_text ? name_text : "",
			    "not a domain name (empty label, label over 63 "
			    "octets, or over 255 octets in all)");
		return 400;
	}
	dname_lower(lname, name, (size_t)len);
	char text[DNAME_MAX_TEXT];
	dname_to_text(text, sizeof(text), lname);
	struct jsonw w;
	jsonw_init(&w, out);
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "name", text);
	jsonw_key(&w, "views");
	jsonw_array_begin(&w);
	for (size_t v = 0; snap && v < snap->view_count; v++)
		write_view(&w, snap, v, lname, (size_t)len, hooks);
	jsonw_array_end(&w);
	jsonw_key(&w, "dropped");
	jsonw_array_begin(&w);
	if (hooks && hooks->dropped) {
		/* the drops speak of hosts, without the trailing dot */
		size_t tl = strlen(text);
		if (tl > 1 && text[tl - 1] == '.')
			text[tl - 1] = '\0';
		hooks->dropped(hooks->ctx, text, &w);
	}
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	fputc('\n', out);
	return 200;
}
