/* SPDX-License-Identifier: BSD-3-Clause
 * se_protocol.h - the SRV owner name of a ServiceEntry port: Istio's port
 * protocol mapped to the transport label of RFC 2782 / RFC 6335 (and the
 * Kubernetes DNS specification), "_<port name>._<transport>.<host>". Pure
 * functions: no allocation, no I/O. */
#ifndef DNSD_SE_PROTOCOL_H
#define DNSD_SE_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum se_transport {
	SE_TRANSPORT_TCP,
	SE_TRANSPORT_UDP,
};

/* The transport a port of Istio protocol `protocol` uses (case-insensitive):
 * UDP for "UDP", TCP for everything else (HTTP, HTTPS, HTTP2, GRPC,
 * GRPC-WEB, TLS, TCP, MONGO, MYSQL, REDIS, an absent or unknown protocol,
 * which Istio also carries as plain TCP). NULL counts as absent. Sets
 * *is_known (when not NULL) to whether Istio defines the protocol. */
enum se_transport se_protocol_transport(const char *protocol, bool *is_known);

/* Istio's protocols as small codes, for compact storage (se_pack.c):
 * the code of a protocol as the parser keeps it (lower case, exact), or -1
 * when Istio does not define it; and back. */
#define SE_PROTOCOL_CODES 12
int se_protocol_code(const char *lower);
/* The lower-case protocol of code, NULL past SE_PROTOCOL_CODES. */
const char *se_protocol_of_code(unsigned code);

/* "_tcp" or "_udp". */
const char *se_transport_label(enum se_transport t);

/* True when name is an RFC 1123 label as Kubernetes and Istio validate port
 * names (DNS-1123): 1..63 of [a-z0-9-], starting and ending with [a-z0-9]. */
bool se_port_name_is_label(const char *name);

/* Writes the SRV owner "_<port name>._<transport>.<host>" in wire form into
 * out (DNAME_MAX_LEN bytes); host is a wire name. Returns the wire length,
 * DNSD_EINVAL when the port name is not a DNS-1123 label, or DNSD_ERANGE
 * when the result would exceed 255 bytes. */
int se_protocol_srv_owner(uint8_t *out, const char *port_name, const char *protocol, const uint8_t *host,
			  size_t host_len);

#endif
