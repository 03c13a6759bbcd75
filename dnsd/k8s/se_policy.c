/* SPDX-License-Identifier: BSD-3-Clause
 * se_policy.c - host policy and exportTo decisions for ServiceEntries. */
#include "k8s/se_policy.h"

#include <stdio.h>
#include <string.h>

#include "dns/dname.h"
#include "k8s/se_pack.h"
#include "k8s/serviceentry.h"
#include "util/err.h"

const char *se_host_policy_name(enum se_host_policy p)
{
	return p == SE_HOST_POLICY_ANY ? "any" : "namespace";
}

const char *se_export_policy_name(enum se_export_policy p)
{
	return p == SE_EXPORT_IGNORE ? "ignore" : "require-all";
}

bool se_policy_is_trusted(const struct se_policy *p, const char *namespace_)
{
	for (size_t i = 0; i < p->trusted_count; i++)
		if (strcmp(p->trusted_namespaces[i], namespace_) == 0)
			return true;
	return false;
}

/* The label of host just below apex (wire form, its length byte first), or
 * NULL when host is the apex. */
static const uint8_t *label_below_apex(const uint8_t *host, size_t host_len, size_t apex_len)
{
	if (host_len <= apex_len)
		return NULL;
	size_t end = host_len - apex_len, off = 0;
	while (off + host[off] + 1u < end)
		off += host[off] + 1u;
	return host + off;
}

enum se_policy_verdict se_policy_check_host(const struct se_policy *p, const char *namespace_,
					    const uint8_t *host, size_t host_len, const uint8_t *apex,
					    size_t apex_len, char *why, size_t why_len)
{
	if (why_len)
		why[0] = '\0';
	if (p->host == SE_HOST_POLICY_ANY)
		return SE_POLICY_ACCEPT;
	if (se_policy_is_trusted(p, namespace_))
		return SE_POLICY_ACCEPT_TRUSTED;
	char host_text[DNAME_MAX_TEXT];
	if (dname_to_text(host_text, sizeof(host_text), host) < 0)
		snprintf(host_text, sizeof(host_text), "?");
	/* a host outside the zone is not the policy's to judge: the caller
	 * drops it as out of zone; refuse rather than guess a label */
	const uint8_t *label = dname_is_subdomain(host, host_len, apex, apex_len)
				       ? label_below_apex(host, host_len, apex_len)
				       : NULL;
	if (!label || (label[0] == 1 && label[1] == '*')) {
		snprintf(why, why_len,
			 "host %s has no namespace label below the zone apex; only trusted namespaces may "
			 "publish it",
			 host_text);
		return SE_POLICY_REFUSE_NO_NAMESPACE;
	}
	size_t n = label[0];
	if (strlen(namespace_) == n && memcmp(label + 1, namespace_, n) == 0)
		return SE_POLICY_ACCEPT;
	snprintf(why, why_len, "host %s belongs to namespace %.*s, not %s", host_text, (int)n,
		 (const char *)label + 1, namespace_);
	return SE_POLICY_REFUSE_NAMESPACE;
}

/* The rule of se_policy_check_export(), given whether "*" is listed. */
static bool export_allows(const struct se_policy *p, bool has_export_to, size_t export_count, bool has_star)
{
	if (p->export_to == SE_EXPORT_IGNORE || !has_export_to)
		return true;
	/* Istio: an empty exportTo is the default, exported everywhere */
	return export_count == 0 || has_star;
}

bool se_policy_check_export(const struct se_policy *p, bool has_export_to, const char *const *export_to,
			    size_t export_count)
{
	bool has_star = false;
	for (size_t i = 0; i < export_count && !has_star; i++)
		has_star = strcmp(export_to[i], "*") == 0;
	return export_allows(p, has_export_to, export_count, has_star);
}

/* "[".", "ns"]" for a drop's value. */
static void export_text(const struct serviceentry *se, char *out, size_t cap)
{
	size_t o = 0;
	o += (size_t)snprintf(out, cap, "[");
	for (size_t i = 0; i < se->export_to_count && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s\"%s\"", i ? "," : "", se_export_to(se, i));
	if (o < cap)
		snprintf(out + o, cap - o, "]");
}

/* The longest apex holding host, or NULL. */
static const uint8_t *zone_of(const uint8_t *host, size_t host_len, const uint8_t *const *apexes, size_t n)
{
	const uint8_t *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < n; i++) {
		size_t al = dname_len(apexes[i]);
		if (al > best_len && dname_is_subdomain(host, host_len, apexes[i], al)) {
			best = apexes[i];
			best_len = al;
		}
	}
	return best;
}

int se_policy_judge(const struct se_policy *p, struct serviceentry *se, const uint8_t *const *apexes,
		    size_t apex_count)
{
	se_drops_clear(&se->verdict_drops);
	if (se->is_malformed)
		return 0;
	bool has_star = false;
	for (size_t i = 0; i < se->export_to_count && !has_star; i++)
		has_star = strcmp(se_export_to(se, i), "*") == 0;
	if (!export_allows(p, se->has_export_to, se->export_to_count, has_star)) {
		char text[SE_DROP_VALUE_MAX];
		export_text(se, text, sizeof(text));
		for (size_t h = 0; h < se->hosts_count; h++)
			se_host_set_served(se, h, false);
		return se_drops_add(
			&se->verdict_drops, SE_DROP_EXPORT_TO, "spec.exportTo", text, strlen(text), NULL,
			"not exported to every namespace (\"*\"), and export-to: require-all serves "
			"only entries that are; the entry is not served");
	}
	for (size_t h = 0; h < se->hosts_count; h++) {
		char field[SE_DROP_FIELD_MAX], why[256];
		snprintf(field, sizeof(field), "spec.hosts[%u]", se_host_field(se, h));
		const char *text = se_host(se, h);
		uint8_t host[DNAME_MAX_LEN];
		int hl = dname_from_text(host, text);
		const uint8_t *apex = hl > 0 ? zone_of(host, (size_t)hl, apexes, apex_count) : NULL;
		se_host_set_served(se, h, false);
		int rc = 0;
		if (!apex) {
			rc = se_drops_add(&se->verdict_drops, SE_DROP_OUT_OF_ZONE, field, text, strlen(text),
					  text, "under no zone this kubernetes source feeds");
		} else if (!se_policy_verdict_is_accept(
				   se_policy_check_host(p, se_namespace(se), host, (size_t)hl, apex,
							dname_len(apex), why, sizeof(why)))) {
			rc = se_drops_add(&se->verdict_drops, SE_DROP_HOST_POLICY, field, text, strlen(text),
					  text, "%s (host-policy %s)", why, se_host_policy_name(p->host));
		} else {
			se_host_set_served(se, h, true);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}
