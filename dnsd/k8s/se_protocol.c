/* SPDX-License-Identifier: BSD-3-Clause
 * se_protocol.c - Istio port protocol -> SRV transport label, and the SRV
 * owner name of a port. */
#include "k8s/se_protocol.h"

#include <string.h>
#include <strings.h>

#include "dns/dname.h"
#include "util/err.h"

/* Istio's protocol.Instance values (pkg/config/protocol), as a ServiceEntry
 * may write them; Istio parses them case-insensitively. Only UDP is carried
 * over UDP; every other one is a TCP stream. */
static const struct {
	const char *name;
	const char *lower; /* as the parser keeps it (serviceentry.c) */
	enum se_transport transport;
} se_protocols[] = {
	{ "HTTP", "http", SE_TRANSPORT_TCP },
	{ "HTTPS", "https", SE_TRANSPORT_TCP },
	{ "HTTP2", "http2", SE_TRANSPORT_TCP },
	{ "GRPC", "grpc", SE_TRANSPORT_TCP },
	{ "GRPC-WEB", "grpc-web", SE_TRANSPORT_TCP },
	{ "TLS", "tls", SE_TRANSPORT_TCP },
	{ "TCP", "tcp", SE_TRANSPORT_TCP },
	{ "MONGO", "mongo", SE_TRANSPORT_TCP },
	{ "MYSQL", "mysql", SE_TRANSPORT_TCP },
	{ "REDIS", "redis", SE_TRANSPORT_TCP },
	{ "HTTP_PROXY", "http_proxy", SE_TRANSPORT_TCP },
	{ "UDP", "udp", SE_TRANSPORT_UDP },
};

_Static_assert(sizeof(se_protocols) / sizeof(se_protocols[0]) == SE_PROTOCOL_CODES,
	       "SE_PROTOCOL_CODES counts se_protocols");

int se_protocol_code(const char *lower)
{
	for (size_t i = 0; lower && i < SE_PROTOCOL_CODES; i++)
		if (strcmp(lower, se_protocols[i].lower) == 0)
			return (int)i;
	return -1;
}

const char *se_protocol_of_code(unsigned code)
{
	return code < SE_PROTOCOL_CODES ? se_protocols[code].lower : NULL;
}

enum se_transport se_protocol_transport(const char *protocol, bool *is_known)
{
	if (is_known)
		*is_known = false;
	if (!protocol || !*protocol)
		return SE_TRANSPORT_TCP;
	for (size_t i = 0; i < sizeof(se_protocols) / sizeof(se_protocols[0]); i++) {
		if (strcasecmp(protocol, se_protocols[i].name) == 0) {
			if (is_known)
				*is_known = true;
			return se_protocols[i].transport;
		}
	}
	/* Istio treats an unrecognised protocol as opaque TCP */
	return SE_TRANSPORT_TCP;
}

const char *se_transport_label(enum se_transport t) { return t == SE_TRANSPORT_UDP ? "_udp" : "_tcp"; }

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool se_port_name_is_label(const char *name)
{
	if (!name)
		return false;
	size_t n = strlen(name);
	if (n == 0 || n > 63)
		return false;
	if (!is_lower_alnum(name[0]) || !is_lower_alnum(name[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_lower_alnum(name[i]) && name[i] != '-')
			return false;
	return true;
}

int se_protocol_srv_owner(uint8_t *out, const char *port_name, const char *protocol, const uint8_t *host,
			  size_t host_len)
{
	if (!se_port_name_is_label(port_name))
		return DNSD_EINVAL;
	const char *transport = se_transport_label(se_protocol_transport(protocol, NULL));
	size_t nl = strlen(port_name), tl = strlen(transport);
	/* "_" + name (at most 64 octets: RFC 1035 §2.3.4 allows 63, so a 63-octet
	 * port name cannot get a leading underscore) */
	if (nl + 1 > 63)
		return DNSD_ERANGE;
	size_t len = 1 + 1 + nl + 1 + tl + host_len;
	if (len > DNAME_MAX_LEN)
		return DNSD_ERANGE;
	size_t o = 0;
	out[o++] = (uint8_t)(nl + 1);
	out[o++] = '_';
	memcpy(out + o, port_name, nl);
	o += nl;
	out[o++] = (uint8_t)tl;
	memcpy(out + o, transport, tl);
	o += tl;
	memcpy(out + o, host, host_len);
	return (int)len;
}
