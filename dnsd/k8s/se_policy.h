/* SPDX-License-Identifier: BSD-3-Clause
 * se_policy.h - who may publish a name: the host policy and the exportTo
 * rule of one Kubernetes source (README "Who may publish a name"). Pure
 * decisions over plain data: no allocation, no I/O, no locks.
 *
 * host-policy any: every host is accepted (istiocoredns's behaviour).
 * host-policy namespace (the default): a host <name>.<namespace>.<zone>
 *   (more generally: whose label just below the zone apex is <namespace>)
 *   may be published only by ServiceEntries in that namespace; a host with
 *   no such label (the apex itself, "x.<zone>", "*.<zone>") by none. Entries
 *   in a trusted namespace (default: istio-system) may publish any host.
 * export-to require-all (the default): an entry whose spec.exportTo is
 *   present and does not contain "*" is not served at all; a central DNS
 *   cannot tell which namespace asks, so it cannot honour ["."] any other
 *   way. export-to ignore serves such entries to everyone. */
#ifndef DNSD_SE_POLICY_H
#define DNSD_SE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum se_host_policy {
	SE_HOST_POLICY_NAMESPACE = 0, /* the default */
	SE_HOST_POLICY_ANY,
};

enum se_export_policy {
	SE_EXPORT_REQUIRE_ALL = 0, /* the default */
	SE_EXPORT_IGNORE,
};

/* Borrowed strings: the policy does not own them. */
struct se_policy {
	enum se_host_policy host;
	const char *const *trusted_namespaces;
	size_t trusted_count;
	enum se_export_policy export_to;
};

enum se_policy_verdict {
	SE_POLICY_ACCEPT,              /* allowed by the policy's rule */
	SE_POLICY_ACCEPT_TRUSTED,      /* allowed because the namespace is trusted */
	SE_POLICY_REFUSE_NAMESPACE,    /* the host names another namespace */
	SE_POLICY_REFUSE_NO_NAMESPACE, /* the host has no namespace label */
};

/* "host-policy namespace": "namespace", "any" (for logs, config). */
const char *se_host_policy_name(enum se_host_policy p);
const char *se_export_policy_name(enum se_export_policy p);

bool se_policy_is_trusted(const struct se_policy *p, const char *namespace_);

/* May a ServiceEntry in namespace_ publish host (lower-case wire form) in
 * the zone at apex (lower-case wire form; host is at or below it)? When the
 * answer is a refusal, why gets one sentence for the log ("host
 * payments.prod.global belongs to namespace prod"). */
enum se_policy_verdict se_policy_check_host(const struct se_policy *p, const char *namespace_,
					    const uint8_t *host, size_t host_len, const uint8_t *apex,
					    size_t apex_len, char *why, size_t why_len);

static inline bool se_policy_verdict_is_accept(enum se_policy_verdict v)
{
	return v == SE_POLICY_ACCEPT || v == SE_POLICY_ACCEPT_TRUSTED;
}

/* Is an entry with this spec.exportTo served? has_export_to false means the
 * field is absent (Istio's default: exported to every namespace). */
bool se_policy_check_export(const struct se_policy *p, bool has_export_to, const char *const *export_to,
			    size_t export_count);

/* Judges every host of se for the source whose zones are apexes (lower-case
 * wire forms): sets se->host_is_served and fills se->verdict_drops (cleared
 * first) with the refusals: the whole entry for exportTo (export-to), a
 * host under none of the zones (out-of-zone), a host the policy refuses
 * (host-policy). A malformed stand-in is left as it is. Returns 0 or
 * DNSD_ENOMEM. */
struct serviceentry;
int se_policy_judge(const struct se_policy *p, struct serviceentry *se, const uint8_t *const *apexes,
		    size_t apex_count);

#endif
