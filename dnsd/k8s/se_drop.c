/* SPDX-License-Identifier: BSD-3-Clause
 * se_drop.c - what was dropped from a ServiceEntry, and why. */
#include "k8s/se_drop.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

static const char *const reason_names[SE_DROP_REASONS] = {
	[SE_DROP_CIDR] = "cidr",
	[SE_DROP_BAD_ADDRESS] = "bad-address",
	[SE_DROP_BAD_HOST] = "bad-host",
	[SE_DROP_WILDCARD_HOST] = "wildcard-host",
	[SE_DROP_PORT_RANGE] = "port-range",
	[SE_DROP_PORT_NAME] = "port-name",
	[SE_DROP_ADDRESS_HOST] = "address-host",
	[SE_DROP_OUT_OF_ZONE] = "out-of-zone",
	[SE_DROP_HOST_POLICY] = "host-policy",
	[SE_DROP_EXPORT_TO] = "export-to",
	[SE_DROP_INVALID_RECORD] = "invalid-record",
	[SE_DROP_MALFORMED] = "malformed",
};

const char *se_drop_reason_name(enum se_drop_reason r)
{
	return (unsigned)r < SE_DROP_REASONS ? reason_names[r] : "unknown";
}

/* Printable ASCII as is, anything else as \xNN; cut with "..." when long. */
static void escape(char *out, size_t cap, const char *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;
		if (o + need + 4 > cap) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (need == 1) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

int se_drops_add(struct se_drops *d, enum se_drop_reason reason, const char *field, const char *value,
		 size_t value_len, const char *host, const char *fmt, ...)
{
	struct se_drop *n = realloc(d->items, (d->count + 1) * sizeof(*n));
	if (!n)
		return DNSD_ENOMEM;
	d->items = n;
	struct se_drop *x = &n[d->count++];
	memset(x, 0, sizeof(*x));
	x->reason = reason;
	snprintf(x->field, sizeof(x->field), "%s", field ? field : "");
	if (value)
		escape(x->value, sizeof(x->value), value, value_len);
	if (host)
		escape(x->host, sizeof(x->host), host, strlen(host));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->message, sizeof(x->message), fmt, ap);
	va_end(ap);
	return 0;
}

void se_drops_clear(struct se_drops *d)
{
	free(d->items);
	d->items = NULL;
	d->count = 0;
}

bool se_drops_equal(const struct se_drops *a, const struct se_drops *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++) {
		const struct se_drop *x = &a->items[i], *y = &b->items[i];
		if (x->reason != y->reason || strcmp(x->field, y->field) != 0 ||
		    strcmp(x->value, y->value) != 0 || strcmp(x->host, y->host) != 0)
			return false;
	}
	return true;
}

bool se_drop_concerns(const struct se_drop *drop, const char *host)
{
	return drop->host[0] == '\0' || strcmp(drop->host, host) == 0;
}

void se_drop_format(const struct se_drop *drop, char *out, size_t cap)
{
	snprintf(out, cap, "%s \"%s\": %s: %s", drop->field, drop->value, se_drop_reason_name(drop->reason),
		 drop->message);
}
