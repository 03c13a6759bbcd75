/* SPDX-License-Identifier: BSD-3-Clause
 * serviceentry.h - one Istio ServiceEntry JSON object -> a plain struct.
 * Pure (no I/O, no logging) and fuzzed: anything the API server can send is
 * either turned into an entry, with every piece it could not use listed in
 * its drops (field path, value, reason), or refused with a message naming
 * namespace/name. */
#ifndef DNSD_SERVICEENTRY_H
#define DNSD_SERVICEENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "k8s/json.h"
#include "k8s/se_drop.h"

struct se_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	int host; /* index into hosts of the host it belongs to
	                             (status.addresses[].host); -1 = every host */
};

#define SE_PORT_NAME_MAX 64     /* bytes of a port name with its NUL: a DNS-1123 label */
#define SE_PORT_PROTOCOL_MAX 16 /* bytes of a protocol kept, NUL included */

/* The strings live beside the array: after it in the one allocation of a
 * parsed entry, in the block of a packed one (se_pack.h). */
struct se_port {
	const char *name;     /* a DNS-1123 label (others are dropped) */
	const char *protocol; /* lower case; "tcp" when absent */
	uint16_t number;
};

/* Two forms share this type. Parsed (serviceentry_from_json()): every
 * field. Packed (se_pack.h, packed_size != 0): one slab block that holds
 * only the fields down to is_malformed, then a layout of its own (offsets,
 * no pointers). Code that may meet a held entry reads what follows
 * is_malformed through se_pack.h's accessors (se_host(), se_addr(), ...),
 * which answer for both forms; only the parser and the code handed a fresh
 * parse read those fields directly. */
struct serviceentry {
	/* both forms */
	int64_t generation;            /* metadata.generation; 0 when absent */
	struct se_drops verdict_drops; /* pieces the source's policy refused (k8s_watch) */
	uint32_t packed_size;          /* bytes of its one slab block (se_pack.h); 0 = as parsed */
	uint32_t hosts_count;
	uint32_t addresses_count;
	uint32_t ports_count;
	uint32_t export_to_count;
	bool has_export_to; /* spec.exportTo present */
	bool is_malformed;  /* held only to be deleted and explained: no records */
	/* the parsed form only (SE_PACK_HEAD_LEN marks the end of the above) */
	char *namespace_;
	char *name;
	char *resource_version;    /* NULL when absent */
	char **hosts;              /* lower case, no trailing dot; "*.x.global" allowed */
	uint16_t *host_fields;     /* parallel to hosts: index in spec.hosts, for field paths */
	bool *host_is_served;      /* parallel to hosts: the source's verdict (k8s_watch sets
	                             it: host policy, zones, exportTo); all true when parsed */
	struct se_addr *addresses; /* spec.addresses, else status.addresses */
	struct se_port *ports;
	char **export_to;
	struct se_drops drops; /* pieces the parser could not use */
};

/* Decodes obj. Returns 0 and a new entry in *out (free with
 * serviceentry_free()). Unusable hosts, addresses (ranges wider than /32 or
 * /128, unparseable), ports (numbers out of range, names that are no
 * DNS-1123 label) and status.addresses naming a host the entry lacks are
 * left out and listed in (*out)->drops.
 * DNSD_EPARSE with "ns/name: reason" in err when the entry cannot be used at
 * all (spec not an object, spec.hosts not a list or without a usable host,
 * spec.addresses not a list); *out is then a stand-in (is_malformed, no
 * hosts, the reason as its one drop) that the caller may hold so the object
 * is deleted and explained like the others and not reported again, or NULL
 * when even metadata.namespace and metadata.name are missing.
 * DNSD_ENOMEM with *out NULL. */
int serviceentry_from_json(const struct json_value *obj, struct serviceentry **out, char *err, size_t errlen);

/* Frees an entry as parsed; one packed by se_pack() goes to se_pack_free(). */
void serviceentry_free(struct serviceentry *se);

#endif
