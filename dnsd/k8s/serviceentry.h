/* SPDX-License-Identifier: BSD-3-Clause
 * serviceentry.h - one Istio ServiceEntry JSON object -> a plain struct.
 * Pure (no I/O) and fuzzed: anything the API server can send is either
 * turned into an entry or refused with a message naming namespace/name. */
#ifndef DNSD_SERVICEENTRY_H
#define DNSD_SERVICEENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "k8s/json.h"

struct se_addr {
	int family;               /* AF_INET or AF_INET6 */
	uint8_t addr[16];
};

struct se_port {
	char name[64];
	uint16_t number;
	char protocol[16];        /* lower case; "tcp" when absent */
};

struct serviceentry {
	char *namespace_;
	char *name;
	char *resource_version;   /* NULL when absent */
	char **hosts;             /* lower case, no trailing dot; "*.x.global" allowed */
	size_t hosts_count;
	struct se_addr *addresses;   /* spec.addresses, else status.addresses[].value */
	size_t addresses_count;
	struct se_port *ports;
	size_t ports_count;
	unsigned warnings;        /* hosts, addresses or ports skipped (logged by caller) */
	char warning[256];        /* the first such problem, for the log */
};

/* Decodes obj. Returns 0 and a new entry in *out (free with
 * serviceentry_free()), or DNSD_EPARSE with "ns/name: reason" in err when
 * the entry cannot be used at all (no name, spec.hosts missing, no valid
 * host). Single bad hosts, addresses (wider CIDRs than /32 or /128,
 * unparseable) and ports are dropped and counted in warnings. */
int serviceentry_from_json(const struct json_value *obj, struct serviceentry **out, char *err, size_t errlen);
void serviceentry_free(struct serviceentry *se);

#endif
