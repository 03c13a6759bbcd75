/* SPDX-License-Identifier: BSD-3-Clause
 * dname.c - wire-form domain name helpers: text conversion, case folding,
 * comparison. Pure functions with no allocation, safe on the query path. */
#include "dns/dname.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"

const uint8_t dname_lower_table[256] = {
#define L(c) ((c) >= 'A' && (c) <= 'Z' ? (uint8_t)((c) + 32) : (uint8_t)(c))
#define R4(b) L(b), L(b + 1), L(b + 2), L(b + 3)
#define R16(b) R4(b), R4(b + 4), R4(b + 8), R4(b + 12)
#define R64(b) R16(b), R16(b + 16), R16(b + 32), R16(b + 48)
	R64(0), R64(64), R64(128), R64(192)
#undef R64
#undef R16
#undef R4
#undef L
};

int dname_from_text(uint8_t *dst, const char *text)
{
	if (!text || !*text)
		return DNSD_EINVAL;
	if (strcmp(text, ".") == 0) {
		dst[0] = 0;
		return 1;
	}
	size_t pos = 0; /* where the current label's length byte goes */
	size_t out = 1; /* next byte to write */
	const char *p = text;
	while (*p) {
		uint8_t c;
		if (*p == '.') {
			size_t label_len = out - pos - 1;
			if (label_len == 0)
				return DNSD_EINVAL; /* empty label: "a..b" or ".a" */
			dst[pos] = (uint8_t)label_len;
			pos = out++;
			p++;
			continue;
		}
		if (*p == '\\') {
			p++;
			if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
			    isdigit((unsigned char)p[2])) {
				int v = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
				if (v > 255)
					return DNSD_EINVAL;
				c = (uint8_t)v;
				p += 3;
			} else if (*p) {
				c = (uint8_t)*p++;
			} else {
				return DNSD_EINVAL;
			}
		} else {
			c = (uint8_t)*p++;
		}
		if (out - pos - 1 >= 63 || out >= DNAME_MAX_LEN - 1)
			return DNSD_ERANGE;
		dst[out++] = c;
	}
	if (out > pos + 1) {
		/* the last label had no trailing dot */
		dst[pos] = (uint8_t)(out - pos - 1);
		pos = out;
	}
	if (pos + 1 > DNAME_MAX_LEN)
		return DNSD_ERANGE;
	dst[pos] = 0; /* the root label */
	return (int)pos + 1;
}

int dname_to_text(char *dst, size_t cap, const uint8_t *name)
{
	size_t out = 0;
	if (name[0] == 0) {
		if (cap < 2)
			return DNSD_ERANGE;
		dst[0] = '.';
		dst[1] = '\0';
		return 1;
	}
	while (*name) {
		uint8_t len = *name++;
		for (uint8_t i = 0; i < len; i++) {
			uint8_t c = name[i];
			char buf[5];
			size_t n;
			if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' ||
			    c == '$' || c == '@') {
				buf[0] = '\\';
				buf[1] = (char)c;
				n = 2;
			} else if (c <= 0x20 || c >= 0x7f) {
				snprintf(buf, sizeof(buf), "\\%03u", c);
				n = 4;
			} else {
				buf[0] = (char)c;
				n = 1;
			}
			if (out + n + 2 > cap)
				return DNSD_ERANGE;
			memcpy(dst + out, buf, n);
			out += n;
		}
		name += len;
		dst[out++] = '.';
	}
	dst[out] = '\0';
	return (int)out;
}

size_t dname_len(const uint8_t *name)
{
	const uint8_t *p = name;
	while (*p)
		p += *p + 1;
	return (size_t)(p - name) + 1;
}

unsigned dname_label_count(const uint8_t *name)
{
	unsigned n = 0;
	while (*name) {
		name += *name + 1;
		n++;
	}
	return n;
}

void dname_lower(uint8_t *dst, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = dname_lower_table[src[i]];
}

bool dname_equal(const uint8_t *a, const uint8_t *b)
{
	size_t la = dname_len(a), lb = dname_len(b);
	if (la != lb)
		return false;
	for (size_t i = 0; i < la; i++)
		if (dname_lower_table[a[i]] != dname_lower_table[b[i]])
			return false;
	return true;
}

bool dname_is_subdomain(const uint8_t *name, size_t name_len, const uint8_t *apex, size_t apex_len)
{
	if (name_len < apex_len)
		return false;
	/* walk labels so the suffix starts on a label boundary */
	size_t off = 0;
	while (name_len - off > apex_len)
		off += (size_t)name[off] + 1;
	return name_len - off == apex_len && memcmp(name + off, apex, apex_len) == 0;
}

int dname_compare(const uint8_t *a, const uint8_t *b)
{
	const uint8_t *la[DNAME_MAX_LABELS], *lb[DNAME_MAX_LABELS];
	int na = 0, nb = 0;
	for (const uint8_t *p = a; *p; p += *p + 1)
		la[na++] = p;
	for (const uint8_t *p = b; *p; p += *p + 1)
		lb[nb++] = p;
	while (na > 0 && nb > 0) {
		const uint8_t *x = la[--na], *y = lb[--nb];
		size_t n = x[0] < y[0] ? x[0] : y[0];
		int c = memcmp(x + 1, y + 1, n);
		if (c != 0)
			return c;
		if (x[0] != y[0])
			return x[0] < y[0] ? -1 : 1;
	}
	return na - nb;
}
