/* SPDX-License-Identifier: BSD-3-Clause
 * se_drop.h - the pieces of a ServiceEntry that dnsd does not serve, and
 * why: a field path, the value as written, the host it concerns and a
 * reason from a fixed vocabulary (the `reason` label of
 * dnsd_kubernetes_dropped_total; README "Nothing is dropped silently").
 * Plain data, no locks; the owner of the entry owns its drops. */
#ifndef DNSD_SE_DROP_H
#define DNSD_SE_DROP_H

#include <stdbool.h>
#include <stddef.h>

enum se_drop_reason {
	SE_DROP_CIDR,           /* an address that is a range wider than /32 or /128 */
	SE_DROP_BAD_ADDRESS,    /* not an IP address (or not a string) */
	SE_DROP_BAD_HOST,       /* a host that is not a DNS name */
	SE_DROP_WILDCARD_HOST,  /* the host "*": every name */
	SE_DROP_PORT_RANGE,     /* a port number outside 1..65535, or not a number */
	SE_DROP_PORT_NAME,      /* a port name that is no DNS-1123 label: no SRV */
	SE_DROP_ADDRESS_HOST,   /* status.addresses[].host not among spec.hosts */
	SE_DROP_OUT_OF_ZONE,    /* a host under no zone the source feeds */
	SE_DROP_HOST_POLICY,    /* refused by host-policy */
	SE_DROP_EXPORT_TO,      /* the entry, refused by export-to: require-all */
	SE_DROP_INVALID_RECORD, /* a record the zone refused */
	SE_DROP_MALFORMED,      /* the whole entry cannot be used */
	SE_DROP_REASONS         /* count */
};

#define SE_DROP_FIELD_MAX 48
#define SE_DROP_VALUE_MAX 96
#define SE_DROP_HOST_MAX 254
#define SE_DROP_MESSAGE_MAX 192

struct se_drop {
	enum se_drop_reason reason;
	char field[SE_DROP_FIELD_MAX];     /* "spec.addresses[2]", "status.addresses[0].host" */
	char value[SE_DROP_VALUE_MAX];     /* as written, non-printable bytes as \xNN, cut */
	char host[SE_DROP_HOST_MAX];       /* the host it concerns, lower case; "" = every host */
	char message[SE_DROP_MESSAGE_MAX]; /* one sentence for people */
};

struct se_drops {
	struct se_drop *items;
	size_t count;
};

/* "cidr", "bad-address", ...: stable metric label values. */
const char *se_drop_reason_name(enum se_drop_reason r);

/* Appends a drop. value and host may be NULL (none); value is copied
 * escaped and cut to SE_DROP_VALUE_MAX. Returns 0 or DNSD_ENOMEM. */
int se_drops_add(struct se_drops *d, enum se_drop_reason reason, const char *field, const char *value,
		 size_t value_len, const char *host, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* Frees the items; d itself is the caller's. */
void se_drops_clear(struct se_drops *d);
/* The same drops (reason, field, value, host) in the same order? Messages
 * are not compared. */
bool se_drops_equal(const struct se_drops *a, const struct se_drops *b);
/* Does drop concern host (lower case, no trailing dot)? True for drops that
 * concern every host. */
bool se_drop_concerns(const struct se_drop *drop, const char *host);

/* One log line's worth: 'spec.addresses[1] "10.0.0.0/24": cidr: <message>'. */
void se_drop_format(const struct se_drop *drop, char *out, size_t cap);

#endif
