/* SPDX-License-Identifier: BSD-3-Clause
 * addr.c - "IP:port" and client prefix text -> struct config_addr and
 * struct config_prefix, with a short reason for every refusal (the loader
 * puts it after file:line:column). Numeric addresses only: nothing here
 * resolves names, logs or allocates. */
#include "conf/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <strings.h>

#include "util/err.h"

/* Decimal digits only, at most max: "0x10", "+5", "-1", " 5" and "" are
 * typos, not numbers (DNSD_EINVAL); a larger value is DNSD_ERANGE. */
static int addr_parse_number(const char *text, uint32_t max, uint32_t *value)
{
	uint64_t v = 0;
	bool is_over = false;
	if (text[0] == '\0')
		return DNSD_EINVAL;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return DNSD_EINVAL;
		if (!is_over)
			v = v * 10 + (uint64_t)(*p - '0');
		is_over = is_over || v > max;
	}
	if (is_over)
		return DNSD_ERANGE;
	*value = (uint32_t)v;
	return 0;
}

static int addr_parse(struct config_addr *dest, const char *text, bool is_port0_ok, const char **why)
{
	char host[INET6_ADDRSTRLEN];
	const char *host_start = text, *port;
	size_t host_len;
	bool is_bracketed = false;

	if (!dest || !text) {
		*why = "no address";
		return DNSD_EINVAL;
	}
	memset(dest, 0, sizeof(*dest));
	if (strlen(text) >= sizeof(dest->text)) {
		*why = "too long";
		return DNSD_EINVAL;
	}
	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (!end) {
			*why = "missing ']'";
			return DNSD_EINVAL;
		}
		if (end[1] != ':') {
			*why = "port is required: [IPv6]:PORT";
			return DNSD_EINVAL;
		}
		host_start = text + 1;
		host_len = (size_t)(end - host_start);
		port = end + 2;
		is_bracketed = true;
	} else {
		const char *colon = strrchr(text, ':');
		if (!colon) {
			*why = "port is required: IPv4:PORT, [IPv6]:PORT or :PORT";
			return DNSD_EINVAL;
		}
		host_len = (size_t)(colon - text);
		if (memchr(text, ':', host_len)) {
			*why = "IPv6 addresses need brackets: [::1]:53";
			return DNSD_EINVAL;
		}
		port = colon + 1;
	}
	if (host_len >= sizeof(host) || (is_bracketed && host_len == 0)) {
		*why = "not a numeric IPv4 or IPv6 address";
		return DNSD_EINVAL;
	}
	memcpy(host, host_start, host_len);
	host[host_len] = '\0';

	uint32_t port_num;
	int rc = addr_parse_number(port, 65535, &port_num);
	if (rc == DNSD_EINVAL) {
		*why = is_port0_ok ? "port is required: a number 0..65535"
				   : "port is required: a number 1..65535";
		return DNSD_EINVAL;
	}
	if (rc != 0 || (port_num < 1 && !is_port0_ok)) {
		*why = is_port0_ok ? "port is out of range 0..65535" : "port is out of range 1..65535";
		return DNSD_ERANGE;
	}

	struct sockaddr_in *sin = (struct sockaddr_in *)&dest->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&dest->ss;
	if (host_len == 0) {
		/* ":53" means every address; an IPv6 wildcard socket with
		 * IPV6_V6ONLY off also takes IPv4. */
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons((uint16_t)port_num);
		dest->sslen = sizeof(*sin6);
	} else if (!is_bracketed && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port_num);
		dest->sslen = sizeof(*sin);
	} else if (is_bracketed && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port_num);
		dest->sslen = sizeof(*sin6);
	} else {
		*why = is_bracketed ? "not a numeric IPv6 address" : "not a numeric IPv4 address";
		memset(dest, 0, sizeof(*dest));
		return DNSD_EINVAL;
	}
	snprintf(dest->text, sizeof(dest->text), "%s", text);
	return 0;
}

int config_addr_parse_why(struct config_addr *dest, const char *text, const char **why)
{
	return addr_parse(dest, text, false, why);
}

int config_addr_parse_bind_why(struct config_addr *dest, const char *text, const char **why)
{
	return addr_parse(dest, text, true, why);
}

int config_addr_parse(struct config_addr *dest, const char *text)
{
	const char *why;
	return config_addr_parse_why(dest, text, &why);
}

static const char cidr_not_numeric[] = "not a numeric IPv4 or IPv6 address";

int config_cidr_parse_why(struct config_prefix *dest, const char *text, const char **why)
{
	char host[INET6_ADDRSTRLEN];

	if (!dest || !text) {
		*why = "no address";
		return DNSD_EINVAL;
	}
	memset(dest, 0, sizeof(*dest));
	const char *slash = strchr(text, '/');
	size_t host_len = slash ? (size_t)(slash - text) : strlen(text);
	if (host_len == 0 || host_len >= sizeof(host)) {
		*why = "not a numeric IPv4 or IPv6 address";
		return DNSD_EINVAL;
	}
	memcpy(host, text, host_len);
	host[host_len] = '\0';

	unsigned max_len;
	if (inet_pton(AF_INET, host, dest->addr) == 1) {
		dest->family = AF_INET;
		max_len = 32;
	} else if (inet_pton(AF_INET6, host, dest->addr) == 1) {
		dest->family = AF_INET6;
		max_len = 128;
	} else {
		*why = cidr_not_numeric;
		return DNSD_EINVAL;
	}

	uint32_t len = max_len;
	if (slash) {
		int rc = addr_parse_number(slash + 1, max_len, &len);
		if (rc == DNSD_EINVAL) {
			*why = "prefix length is not a number";
			return DNSD_EINVAL;
		}
		if (rc != 0) {
			*why = max_len == 32 ? "prefix length is out of range 0..32"
					     : "prefix length is out of range 0..128";
			return DNSD_ERANGE;
		}
	}
	dest->len = (uint8_t)len;
	return 0;
}

int config_prefix_parse_why(struct config_prefix *dest, const char *text, const char **why)
{
	if (!dest || !text) {
		*why = "no prefix";
		return DNSD_EINVAL;
	}
	bool is_negated = text[0] == '!';
	if (is_negated)
		text++;
	if (strcasecmp(text, "any") == 0) {
		memset(dest, 0, sizeof(*dest));
		dest->is_negated = is_negated;
		return 0;
	}
	int rc = config_cidr_parse_why(dest, text, why);
	if (rc != 0) {
		if (*why == cidr_not_numeric) /* text that is no address at all */
			*why = "not a numeric IPv4 or IPv6 address, nor 'any'";
		return rc;
	}
	dest->is_negated = is_negated;

	/* A set host bit almost always means a typo in the length or the address. */
	unsigned max_len = dest->family == AF_INET ? 32 : 128;
	for (unsigned bit = dest->len; bit < max_len; bit++) {
		if (dest->addr[bit / 8] & (0x80u >> (bit % 8))) {
			*why = "host bits are set beyond the prefix length";
			return DNSD_EINVAL;
		}
	}
	return 0;
}

int config_prefix_parse(struct config_prefix *dest, const char *text)
{
	const char *why;
	return config_prefix_parse_why(dest, text, &why);
}
