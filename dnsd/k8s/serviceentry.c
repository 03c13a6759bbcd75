/* SPDX-License-Identifier: BSD-3-Clause
 * serviceentry.c - ServiceEntry JSON -> struct serviceentry, one part of the
 * object at a time (metadata, hosts, addresses, ports). Never logs: problems
 * go back in err or in the entry's warnings. */
#include "k8s/serviceentry.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dname.h"
#include "util/err.h"

void serviceentry_free(struct serviceentry *se)
{
	if (!se)
		return;
	for (size_t i = 0; i < se->hosts_count; i++)
		free(se->hosts[i]);
	free(se->hosts);
	free(se->addresses);
	free(se->ports);
	free(se->namespace_);
	free(se->name);
	free(se->resource_version);
	free(se);
}

static void warn(struct serviceentry *se, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct serviceentry *se, const char *fmt, ...)
{
	if (se->warnings++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(se->warning, sizeof(se->warning), fmt, ap);
		va_end(ap);
	}
}

static char *dup_string(const struct json_value *v)
{
	size_t len;
	const char *s = json_get_string(v, &len);
	if (!s || strlen(s) != len)
		return NULL;           /* absent, not a string, or an embedded NUL */
	return strdup(s);
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
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
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
	char buf[64];
	size_t len = strlen(s);
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len + 1);
	char *slash = strchr(buf, '/');
	long prefix = -1;
	if (slash) {
		*slash = '\0';
		char *end;
		prefix = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end)
			return -1;
	}
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->addr) == 1) {
		a->family = AF_INET;
		if (prefix < 0 || prefix == 32)
			return 1;
		return prefix >= 0 && prefix < 32 ? 0 : -1;
	}
	if (inet_pton(AF_INET6, buf, a->addr) == 1) {
		a->family = AF_INET6;
		if (prefix < 0 || prefix == 128)
			return 1;
		return prefix >= 0 && prefix < 128 ? 0 : -1;
	}
	return -1;
}

static int add_address(struct serviceentry *se, const char *text)
{
	struct se_addr a;
	int r = address_parse(text, &a);
	if (r == 0) {
		warn(se, "address %s is a range, not a single address: skipped", text);
		return 0;
	}
	if (r < 0) {
		warn(se, "address '%.64s' is not an IP address: skipped", text);
		return 0;
	}
	for (size_t i = 0; i < se->addresses_count; i++)
		if (se->addresses[i].family == a.family && memcmp(se->addresses[i].addr, a.addr, 16) == 0)
			return 0;
	struct se_addr *n = realloc(se->addresses, (se->addresses_count + 1) * sizeof(*n));
	if (!n)
		return DNSD_ENOMEM;
	se->addresses = n;
	se->addresses[se->addresses_count++] = a;
	return 0;
}

/* metadata.namespace, .name and .resourceVersion. */
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
	return 0;
}

/* spec.hosts: at least one usable DNS name; the others are skipped. */
static int read_hosts(struct serviceentry *se, const struct json_value *spec, char *err, size_t errlen)
{
	const struct json_value *hosts = json_get(spec, "hosts");
	if (json_type(hosts) != JSON_ARRAY) {
		snprintf(err, errlen, "%s/%s: spec.hosts is not an array", se->namespace_, se->name);
		return DNSD_EPARSE;
	}
	size_t nh = json_array_count(hosts);
	se->hosts = calloc(nh ? nh : 1, sizeof(*se->hosts));
	if (!se->hosts)
		return DNSD_ENOMEM;
	for (size_t i = 0; i < nh; i++) {
		size_t len;
		const char *h = json_get_string(json_array_at(hosts, i), &len);
		char *norm = h ? host_normalise(h, len) : NULL;
		if (!norm) {
			warn(se, "host '%.80s' is not a DNS name: skipped", h ? h : "(not a string)");
			continue;
		}
		se->hosts[se->hosts_count++] = norm;
	}
	if (se->hosts_count == 0) {
		snprintf(err, errlen, "%s/%s: no valid host in spec.hosts%s%s", se->namespace_, se->name,
			 se->warnings ? ": " : "", se->warning);
		return DNSD_EPARSE;
	}
	return 0;
}

/* spec.addresses, or when it is empty Istio's auto-allocated VIPs in
 * status.addresses[].value. */
static int read_addresses(struct serviceentry *se, const struct json_value *obj,
			  const struct json_value *spec, char *err, size_t errlen)
{
	const struct json_value *addrs = json_get(spec, "addresses");
	if (addrs && json_type(addrs) != JSON_ARRAY && json_type(addrs) != JSON_NULL) {
		snprintf(err, errlen, "%s/%s: spec.addresses is not an array", se->namespace_, se->name);
		return DNSD_EPARSE;
	}
	for (size_t i = 0; i < json_array_count(addrs); i++) {
		size_t len;
		const char *a = json_get_string(json_array_at(addrs, i), &len);
		if (!a) {
			warn(se, "spec.addresses[%zu] is not a string: skipped", i);
			continue;
		}
		if (add_address(se, a) != 0)
			return DNSD_ENOMEM;
	}
	if (json_array_count(addrs) > 0)
		return 0;
	const struct json_value *st = json_get_path(obj, "status", "addresses", NULL);
	for (size_t i = 0; i < json_array_count(st); i++) {
		const struct json_value *e = json_array_at(st, i);
		const char *a = json_get_string(json_get(e, "value"), NULL);
		if (!a)
			a = json_get_string(e, NULL);
		if (a && add_address(se, a) != 0)
			return DNSD_ENOMEM;
	}
	return 0;
}

/* spec.ports: number 1..65535, name, protocol (lower case, "tcp" when
 * absent); a port without a usable number is skipped. */
static int read_ports(struct serviceentry *se, const struct json_value *spec)
{
	const struct json_value *ports = json_get(spec, "ports");
	size_t np = json_array_count(ports);
	se->ports = calloc(np ? np : 1, sizeof(*se->ports));
	if (!se->ports)
		return DNSD_ENOMEM;
	for (size_t i = 0; i < np; i++) {
		const struct json_value *p = json_array_at(ports, i);
		int64_t number;
		if (json_get_int64(json_get(p, "number"), &number) != 0 || number < 1 || number > 65535) {
			warn(se, "spec.ports[%zu].number is not a port: skipped", i);
			continue;
		}
		struct se_port *sp = &se->ports[se->ports_count];
		sp->number = (uint16_t)number;
		const char *name = json_get_string(json_get(p, "name"), NULL);
		const char *proto = json_get_string(json_get(p, "protocol"), NULL);
		snprintf(sp->name, sizeof(sp->name), "%s", name ? name : "");
		snprintf(sp->protocol, sizeof(sp->protocol), "%s", proto ? proto : "tcp");
		for (char *c = sp->protocol; *c; c++)
			*c = (char)dname_lower_table[(uint8_t)*c];
		se->ports_count++;
	}
	return 0;
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
	const struct json_value *spec = json_get(obj, "spec");
	if (rc == 0 && json_type(spec) != JSON_OBJECT) {
		snprintf(err, errlen, "%s/%s: spec is not an object", se->namespace_, se->name);
		rc = DNSD_EPARSE;
	}
	if (rc == 0)
		rc = read_hosts(se, spec, err, errlen);
	if (rc == 0)
		rc = read_addresses(se, obj, spec, err, errlen);
	if (rc == 0)
		rc = read_ports(se, spec);
	if (rc != 0) {
		if (rc == DNSD_ENOMEM)
			snprintf(err, errlen, "out of memory");
		serviceentry_free(se);
		return rc;
	}
	*out = se;
	return 0;
}
