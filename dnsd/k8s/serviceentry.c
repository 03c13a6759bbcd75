/* SPDX-License-Identifier: BSD-3-Clause
 * serviceentry.c - ServiceEntry JSON -> struct serviceentry, one part of the
 * object at a time (metadata, hosts, exportTo, addresses, ports). Never
 * logs: problems go back in err or in the entry's drops, each with the
 * field path and value the operator wrote. */
#include "k8s/serviceentry.h"

#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/addr.h"
#include "dns/dname.h"
#include "k8s/se_protocol.h"
#include "util/err.h"

void serviceentry_free(struct serviceentry *se)
{
	if (!se)
		return;
	assert(se->packed_size == 0); /* se_pack_free() */
	for (size_t i = 0; i < se->hosts_count; i++)
		free(se->hosts[i]);
	free(se->hosts);
	free(se->host_fields);
	free(se->host_is_served);
	for (size_t i = 0; i < se->export_to_count; i++)
		free(se->export_to[i]);
	free(se->export_to);
	free(se->addresses);
	free(se->ports);
	free(se->namespace_);
	free(se->name);
	free(se->resource_version);
	se_drops_clear(&se->drops);
	se_drops_clear(&se->verdict_drops);
	free(se);
}

static char *dup_string(const struct json_value *v)
{
	size_t len;
	const char *s = json_get_string(v, &len);
	if (!s || strlen(s) != len)
		return NULL; /* absent, not a string, or an embedded NUL */
	return strdup(s);
}

/* The text of a JSON value for a drop's value: a string as is, an integer
 * in decimal, anything else by its kind. */
static const char *value_text(const struct json_value *v, char *buf, size_t cap, size_t *len)
{
	const char *s = json_get_string(v, len);
	if (s)
		return s;
	int64_t n;
	if (json_get_int64(v, &n) == 0)
		snprintf(buf, cap, "%" PRId64, n);
	else
		snprintf(buf, cap, "%s",
			 !v                            ? "(absent)"
			 : json_type(v) == JSON_NUMBER ? "(not an integer)"
			 : json_type(v) == JSON_NULL   ? "null"
			 : json_type(v) == JSON_OBJECT ? "(an object)"
			 : json_type(v) == JSON_ARRAY  ? "(a list)"
						       : "(not a string)");
	*len = strlen(buf);
	return buf;
}

/* A host usable as a DNS owner: letters, digits, '-', '_' in labels of
 * 1..63, 253 in all, an optional leading "*." (RFC 4592). Lower-cased. */
static char *host_normalise(const char *s, size_t len)
{
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253 || strlen(s) < len)
		return NULL;
	size_t start = 0;
	if (len > 2 && s[0] == '*' && s[1] == '.')
		start = 2;
	size_t label = 0;
	for (size_t i = start; i < len; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0)
				return NULL;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return NULL;
		if (++label > 63)
			return NULL;
	}
	if (label == 0)
		return NULL;
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)dname_lower_table[(uint8_t)s[i]];
	out[len] = '\0';
	return out;
}

/* "1.2.3.4", "1.2.3.4/32", "2001:db8::1", "2001:db8::1/128": one address.
 * Returns 1 when parsed, 0 for a wider CIDR (skipped), -1 when unparseable. */
static int address_parse(const char *s, struct se_addr *a)
{
	struct config_prefix p;
	const char *why;
	if (config_cidr_parse_why(&p, s, &why) != 0)
		return -1;
	memset(a, 0, sizeof(*a));
	a->family = p.family;
	memcpy(a->addr, p.addr, sizeof(a->addr));
	return p.len == (p.family == AF_INET ? 32 : 128) ? 1 : 0;
}

/* Adds one address (belonging to host, -1 = every host) read from field;
 * a range or junk becomes a drop. */
static int add_address(struct serviceentry *se, const struct json_value *v, const char *field, int host,
		       const char *host_text)
{
	char buf[64];
	size_t len;
	const char *text = value_text(v, buf, sizeof(buf), &len);
	struct se_addr a;
	int r = json_get_string(v, NULL) && strlen(text) == len ? address_parse(text, &a) : -1;
	if (r == 0)
		return se_drops_add(&se->drops, SE_DROP_CIDR, field, text, len, host_text,
				    "a range, not one address (only /32 and /128 are served)");
	if (r < 0)
		return se_drops_add(&se->drops, SE_DROP_BAD_ADDRESS, field, text, len, host_text,
				    "not an IP address");
	a.host = host;
	for (size_t i = 0; i < se->addresses_count; i++) {
		const struct se_addr *b = &se->addresses[i];
		if (b->family == a.family && memcmp(b->addr, a.addr, 16) == 0 &&
		    (b->host == host || b->host < 0))
			return 0;
	}
	struct se_addr *n = realloc(se->addresses, (se->addresses_count + 1) * sizeof(*n));
	if (!n)
		return DNSD_ENOMEM;
	se->addresses = n;
	se->addresses[se->addresses_count++] = a;
	return 0;
}

/* metadata.namespace, .name, .resourceVersion and .generation. */
static int read_metadata(struct serviceentry *se, const struct json_value *obj, char *err, size_t errlen)
{
	const struct json_value *meta = json_get(obj, "metadata");
	se->namespace_ = dup_string(json_get(meta, "namespace"));
	se->name = dup_string(json_get(meta, "name"));
	if (!se->namespace_ || !se->name) {
		snprintf(err, errlen, "ServiceEntry without metadata.namespace and metadata.name");
		return DNSD_EPARSE;
	}
	se->resource_version = dup_string(json_get(meta, "resourceVersion"));
	if (json_get_int64(json_get(meta, "generation"), &se->generation) != 0)
		se->generation = 0;
	return 0;
}

/* spec.hosts: at least one usable DNS name; the others become drops. */
static int read_hosts(struct serviceentry *se, const struct json_value *spec, char *err, size_t errlen,
		      const char **field)
{
	const struct json_value *hosts = json_get(spec, "hosts");
	*field = "spec.hosts";
	if (json_type(hosts) != JSON_ARRAY) {
		snprintf(err, errlen, "%s/%s: spec.hosts is not an array", se->namespace_, se->name);
		return DNSD_EPARSE;
	}
	size_t nh = json_array_count(hosts);
	se->hosts = calloc(nh ? nh : 1, sizeof(*se->hosts));
	se->host_fields = calloc(nh ? nh : 1, sizeof(*se->host_fields));
	se->host_is_served = calloc(nh ? nh : 1, sizeof(*se->host_is_served));
	if (!se->hosts || !se->host_fields || !se->host_is_served)
		return DNSD_ENOMEM;
	for (size_t i = 0; i < nh; i++) {
		const struct json_value *v = json_array_at(hosts, i);
		char field_i[SE_DROP_FIELD_MAX], buf[64];
		snprintf(field_i, sizeof(field_i), "spec.hosts[%zu]", i);
		size_t len;
		const char *h = value_text(v, buf, sizeof(buf), &len);
		bool is_string = json_get_string(v, NULL) != NULL;
		if (is_string && len == 1 && h[0] == '*') {
			if (se_drops_add(&se->drops, SE_DROP_WILDCARD_HOST, field_i, h, len, NULL,
					 "the host \"*\" would be every name; not served") != 0)
				return DNSD_ENOMEM;
			continue;
		}
		if (i > UINT16_MAX) {
			/* host_fields are 16 bits: one drop for the rest, not one each */
			if (se_drops_add(&se->drops, SE_DROP_BAD_HOST, field_i, h, len, NULL,
					 "more than %u hosts: this one and the %zu after it are not served",
					 UINT16_MAX + 1u, nh - i - 1) != 0)
				return DNSD_ENOMEM;
			break;
		}
		char *norm = is_string ? host_normalise(h, len) : NULL;
		if (!norm) {
			if (se_drops_add(&se->drops, SE_DROP_BAD_HOST, field_i, h, len, NULL,
					 "not a DNS name") != 0)
				return DNSD_ENOMEM;
			continue;
		}
		se->host_fields[se->hosts_count] = (uint16_t)i;
		se->host_is_served[se->hosts_count] = true;
		se->hosts[se->hosts_count++] = norm;
	}
	if (se->hosts_count == 0) {
		char first[SE_DROP_MESSAGE_MAX + SE_DROP_VALUE_MAX] = "";
		if (se->drops.count)
			se_drop_format(&se->drops.items[0], first, sizeof(first));
		snprintf(err, errlen, "%s/%s: no valid host in spec.hosts%s%s", se->namespace_, se->name,
			 first[0] ? ": " : "", first);
		return DNSD_EPARSE;
	}
	return 0;
}

/* spec.exportTo: kept for the source's export-to policy. */
static int read_export_to(struct serviceentry *se, const struct json_value *spec)
{
	const struct json_value *e = json_get(spec, "exportTo");
	if (!e || json_type(e) == JSON_NULL)
		return 0;
	se->has_export_to = true;
	size_t n = json_array_count(e);
	se->export_to = calloc(n ? n : 1, sizeof(*se->export_to));
	if (!se->export_to)
		return DNSD_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char *s = dup_string(json_array_at(e, i));
		if (s)
			se->export_to[se->export_to_count++] = s;
	}
	if (json_type(e) != JSON_ARRAY) {
		/* not a list: exported to nobody we can name, which is not "*" */
		char *s = strdup("(not a list)");
		if (!s)
			return DNSD_ENOMEM;
		se->export_to[se->export_to_count++] = s;
	}
	return 0;
}

static int host_index(const struct serviceentry *se, const char *host)
{
	for (size_t i = 0; i < se->hosts_count; i++)
		if (strcmp(se->hosts[i], host) == 0)
			return (int)i;
	return -1;
}

/* status.addresses[i]: {host, value}; a bare string is for every host. */
static int read_status_address(struct serviceentry *se, const struct json_value *e, size_t i)
{
	char field[SE_DROP_FIELD_MAX];
	const struct json_value *value = json_get(e, "value");
	if (json_type(e) == JSON_STRING) {
		snprintf(field, sizeof(field), "status.addresses[%zu]", i);
		return add_address(se, e, field, -1, NULL);
	}
	snprintf(field, sizeof(field), "status.addresses[%zu].value", i);
	const struct json_value *hv = json_get(e, "host");
	if (!hv || json_type(hv) == JSON_NULL)
		return add_address(se, value, field, -1, NULL);
	size_t len;
	char buf[64];
	const char *h = value_text(hv, buf, sizeof(buf), &len);
	char *norm = json_get_string(hv, NULL) ? host_normalise(h, len) : NULL;
	int host = norm ? host_index(se, norm) : -1;
	if (host < 0) {
		snprintf(field, sizeof(field), "status.addresses[%zu].host", i);
		int rc = se_drops_add(&se->drops, SE_DROP_ADDRESS_HOST, field, h, len, norm,
				      "names a host that is not in spec.hosts; its address is not served");
		free(norm);
		return rc;
	}
	free(norm);
	return add_address(se, value, field, host, se->hosts[host]);
}

/* spec.addresses for every host, or when it is empty Istio's auto-allocated
 * VIPs in status.addresses, each for the host it names. */
static int read_addresses(struct serviceentry *se, const struct json_value *obj,
			  const struct json_value *spec, char *err, size_t errlen, const char **field)
{
	const struct json_value *addrs = json_get(spec, "addresses");
	*field = "spec.addresses";
	if (addrs && json_type(addrs) != JSON_ARRAY && json_type(addrs) != JSON_NULL) {
		snprintf(err, errlen, "%s/%s: spec.addresses is not an array", se->namespace_, se->name);
		return DNSD_EPARSE;
	}
	for (size_t i = 0; i < json_array_count(addrs); i++) {
		char f[SE_DROP_FIELD_MAX];
		snprintf(f, sizeof(f), "spec.addresses[%zu]", i);
		if (add_address(se, json_array_at(addrs, i), f, -1, NULL) != 0)
			return DNSD_ENOMEM;
	}
	if (json_array_count(addrs) > 0)
		return 0;
	const struct json_value *st = json_get_path(obj, "status", "addresses", NULL);
	for (size_t i = 0; i < json_array_count(st); i++)
		if (read_status_address(se, json_array_at(st, i), i) != 0)
			return DNSD_ENOMEM;
	return 0;
}

/* spec.ports: number 1..65535, a DNS-1123 name (for the SRV owner),
 * protocol (lower case, "tcp" when absent); other ports become drops. */
static int read_ports(struct serviceentry *se, const struct json_value *spec)
{
	const struct json_value *ports = json_get(spec, "ports");
	size_t np = json_array_count(ports);
	/* one allocation: the array, then each port's name and protocol */
	se->ports = calloc(1, (np ? np : 1) * (sizeof(*se->ports) + SE_PORT_NAME_MAX + SE_PORT_PROTOCOL_MAX));
	if (!se->ports)
		return DNSD_ENOMEM;
	char *strings = (char *)(se->ports + (np ? np : 1));
	for (size_t i = 0; i < np; i++) {
		const struct json_value *p = json_array_at(ports, i);
		char field[SE_DROP_FIELD_MAX], buf[64];
		size_t len;
		int64_t number;
		const struct json_value *nv = json_get(p, "number");
		if (json_get_int64(nv, &number) != 0 || number < 1 || number > 65535) {
			snprintf(field, sizeof(field), "spec.ports[%zu].number", i);
			const char *t = value_text(nv, buf, sizeof(buf), &len);
			if (se_drops_add(&se->drops, SE_DROP_PORT_RANGE, field, t, len, NULL,
					 "not a port number (1..65535); no SRV record") != 0)
				return DNSD_ENOMEM;
			continue;
		}
		const struct json_value *namev = json_get(p, "name");
		const char *name = value_text(namev, buf, sizeof(buf), &len);
		if (!json_get_string(namev, NULL) || strlen(name) != len || len >= SE_PORT_NAME_MAX ||
		    !se_port_name_is_label(name)) {
			snprintf(field, sizeof(field), "spec.ports[%zu].name", i);
			if (se_drops_add(&se->drops, SE_DROP_PORT_NAME, field, name, len, NULL,
					 "not a DNS-1123 label (Istio requires one); no SRV record") != 0)
				return DNSD_ENOMEM;
			continue;
		}
		struct se_port *sp = &se->ports[se->ports_count];
		sp->number = (uint16_t)number;
		const char *proto = json_get_string(json_get(p, "protocol"), NULL);
		char *name_buf = strings + se->ports_count * (SE_PORT_NAME_MAX + SE_PORT_PROTOCOL_MAX);
		char *protocol_buf = name_buf + SE_PORT_NAME_MAX;
		snprintf(name_buf, SE_PORT_NAME_MAX, "%s", name);
		snprintf(protocol_buf, SE_PORT_PROTOCOL_MAX, "%s", proto ? proto : "tcp");
		for (char *c = protocol_buf; *c; c++)
			*c = (char)dname_lower_table[(uint8_t)*c];
		sp->name = name_buf;
		sp->protocol = protocol_buf;
		se->ports_count++;
	}
	return 0;
}

/* Turns a half-read entry into the stand-in for an unusable object: no
 * hosts, addresses or ports; the reason as its only drop. */
static int make_malformed(struct serviceentry *se, const char *field, const char *err)
{
	for (size_t i = 0; i < se->hosts_count; i++)
		free(se->hosts[i]);
	se->hosts_count = 0;
	se->addresses_count = 0;
	se->ports_count = 0;
	se_drops_clear(&se->drops);
	se->is_malformed = true;
	/* err is "ns/name: reason": the reason is what the drop says */
	const char *reason = strstr(err, ": ");
	return se_drops_add(&se->drops, SE_DROP_MALFORMED, field, NULL, 0, NULL,
			    "%s; the entry is not served", reason ? reason + 2 : err);
}

int serviceentry_from_json(const struct json_value *obj, struct serviceentry **out, char *err, size_t errlen)
{
	*out = NULL;
	struct serviceentry *se = calloc(1, sizeof(*se));
	if (!se) {
		snprintf(err, errlen, "out of memory");
		return DNSD_ENOMEM;
	}
	int rc = read_metadata(se, obj, err, errlen);
	if (rc != 0) {
		serviceentry_free(se);
		return rc;
	}
	const char *field = "spec";
	const struct json_value *spec = json_get(obj, "spec");
	if (json_type(spec) != JSON_OBJECT) {
		snprintf(err, errlen, "%s/%s: spec is not an object", se->namespace_, se->name);
		rc = DNSD_EPARSE;
	}
	if (rc == 0)
		rc = read_hosts(se, spec, err, errlen, &field);
	if (rc == 0)
		rc = read_export_to(se, spec);
	if (rc == 0)
		rc = read_addresses(se, obj, spec, err, errlen, &field);
	if (rc == 0)
		rc = read_ports(se, spec);
	if (rc == DNSD_EPARSE && make_malformed(se, field, err) == 0) {
		*out = se;
		return rc;
	}
	if (rc != 0) {
		snprintf(err, errlen, "out of memory");
		serviceentry_free(se);
		return DNSD_ENOMEM;
	}
	*out = se;
	return 0;
}
