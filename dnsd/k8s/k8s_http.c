/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_http.c - the pure framing pieces of the API client (k8s_client.h):
 * the chunked transfer coding, the line splitter for watch streams, response
 * heads, and the reconnect back-off. No I/O and no state beyond what the
 * caller passes in, so fuzz_http and the unit tests drive them directly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "k8s/k8s_client.h"
#include "util/err.h"

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_TRAILER_LF, CH_DONE };

void k8s_chunked_init(struct k8s_chunked *d) { memset(d, 0, sizeof(*d)); }

long k8s_chunked_feed(struct k8s_chunked *d, const char *in, size_t len, k8s_data_cb *out, void *ctx)
{
	size_t i = 0;
	while (i < len && d->state != CH_DONE && !d->is_stopped) {
		char c = in[i];
		switch (d->state) {
		case CH_SIZE: {
			int v = -1;
			if (c >= '0' && c <= '9')
				v = c - '0';
			else if (c >= 'a' && c <= 'f')
				v = c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v = c - 'A' + 10;
			if (v >= 0) {
				if (++d->size_digits > 15)
					return DNSD_EHTTP;
				d->remaining = d->remaining * 16 + (uint64_t)v;
			} else if (d->size_digits > 0 && (c == ';' || c == ' ' || c == '\t')) {
				d->state = CH_EXT;
			} else if (d->size_digits > 0 && c == '\r') {
				d->state = CH_SIZE_LF;
			} else {
				return DNSD_EHTTP;
			}
			i++;
			break;
		}
		case CH_EXT:
			if (c == '\r')
				d->state = CH_SIZE_LF;
			i++;
			break;
		case CH_SIZE_LF:
			if (c != '\n')
				return DNSD_EHTTP;
			i++;
			d->state = d->remaining ? CH_DATA : CH_TRAILER;
			break;
		case CH_DATA: {
			size_t n = len - i;
			if (n > d->remaining)
				n = (size_t)d->remaining;
			int rc = out(ctx, in + i, n);
			if (rc < 0)
				return rc;
			i += n;
			if (rc > 0) {
				d->is_stopped = true;
				d->remaining -= n;
				return (long)i;
			}
			d->remaining -= n;
			if (d->remaining == 0)
				d->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
			if (c != '\r')
				return DNSD_EHTTP;
			d->state = CH_DATA_LF;
			i++;
			break;
		case CH_DATA_LF:
			if (c != '\n')
				return DNSD_EHTTP;
			d->state = CH_SIZE;
			d->size_digits = 0;
			i++;
			break;
		case CH_TRAILER:
			/* trailer fields are skipped up to the empty line */
			if (c == '\r')
				d->state = CH_TRAILER_LF;
			else
				d->size_digits = 1; /* inside a trailer line */
			i++;
			break;
		case CH_TRAILER_LF:
			if (c != '\n')
				return DNSD_EHTTP;
			i++;
			if (d->size_digits == 0) {
				d->state = CH_DONE;
				d->is_done = true;
			} else {
				d->size_digits = 0;
				d->state = CH_TRAILER;
			}
			break;
		}
	}
	return (long)i;
}

void k8s_lines_init(struct k8s_lines *l, k8s_line_cb *cb, void *ctx)
{
	memset(l, 0, sizeof(*l));
	buf_init(&l->line, K8S_LINE_MAX);
	l->cb = cb;
	l->ctx = ctx;
}

void k8s_lines_clear(struct k8s_lines *l) { buf_clear(&l->line); }

int k8s_lines_feed(void *arg, const char *data, size_t len)
{
	struct k8s_lines *l = arg;
	while (len > 0 && !l->is_stopped) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;
		int rc = buf_append(&l->line, data, take);
		if (rc != 0)
			return rc;
		data += take;
		len -= take;
		if (!nl)
			break;
		data++;
		len--;
		size_t n = l->line.len;
		if (n > 0 && l->line.data[n - 1] == '\r')
			l->line.data[--n] = '\0';
		rc = l->cb(l->ctx, l->line.data, n);
		/* the room a line of several MB took goes back; events of a few
		 * KB keep theirs for the next */
		if (l->line.cap > K8S_LINE_KEEP)
			buf_clear(&l->line);
		else
			buf_reset(&l->line);
		if (rc != 0) {
			l->is_stopped = true;
			return 1;
		}
	}
	return l->is_stopped ? 1 : 0;
}

int k8s_head_parse(struct k8s_head *h, const char *text, size_t len)
{
	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	const char *end = text + len;
	const char *eol = memchr(text, '\n', len);
	if (!eol || len < 12 || strncmp(text, "HTTP/1.", 7) != 0)
		return DNSD_EHTTP;
	/* exactly three digits: strtol would skip whitespace (CR, LF) and read
	 * on past len, into the body or beyond the buffer (found by fuzz_http) */
	int status = 0;
	for (size_t i = 9; i < 12; i++) {
		if (text[i] < '0' || text[i] > '9')
			return DNSD_EHTTP;
		status = status * 10 + (text[i] - '0');
	}
	if (status < 100 || (len > 12 && text[12] >= '0' && text[12] <= '9'))
		return DNSD_EHTTP;
	h->status = status;
	if (text[7] == '0')
		h->is_close = true; /* HTTP/1.0 closes unless told otherwise */
	for (const char *line = eol + 1; line < end;) {
		const char *le = memchr(line, '\n', (size_t)(end - line));
		if (!le)
			break;
		size_t ll = (size_t)(le - line);
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			break;
		const char *colon = memchr(line, ':', ll);
		if (colon) {
			size_t nl = (size_t)(colon - line);
			const char *v = colon + 1;
			while (v < line + ll && (*v == ' ' || *v == '\t'))
				v++;
			size_t vl = (size_t)(line + ll - v);
			char value[256];
			if (vl >= sizeof(value))
				vl = sizeof(value) - 1;
			memcpy(value, v, vl);
			value[vl] = '\0';
			if (nl == 14 && strncasecmp(line, "content-length", nl) == 0) {
				char *e;
				long long cl = strtoll(value, &e, 10);
				if (*e || cl < 0)
					return DNSD_EHTTP;
				h->content_length = cl;
			} else if (nl == 17 && strncasecmp(line, "transfer-encoding", nl) == 0) {
				h->is_chunked = strcasestr(value, "chunked") != NULL;
			} else if (nl == 10 && strncasecmp(line, "connection", nl) == 0) {
				h->is_close = strcasestr(value, "close") != NULL;
			} else if (nl == 11 && strncasecmp(line, "retry-after", nl) == 0) {
				long s = strtol(value, NULL, 10);
				h->retry_after_s = s > 0 && s < 3600 ? (uint32_t)s : 0;
			}
		}
		line = le + 1;
	}
	return 0;
}

void k8s_backoff_init(struct k8s_backoff *b)
{
	b->seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)b;
	k8s_backoff_reset(b);
}

void k8s_backoff_reset(struct k8s_backoff *b) { b->next_ms = 800; }

uint32_t k8s_backoff_next_ms(struct k8s_backoff *b, uint32_t retry_after_s)
{
	uint32_t base = b->next_ms;
	b->next_ms = base * 2 > 30000 ? 30000 : base * 2;
	/* +-20% so that many clients restarted together spread out */
	int jitter = (int)(rand_r(&b->seed) % (base / 5 * 2 + 1)) - (int)(base / 5);
	uint32_t ms = (uint32_t)((int)base + jitter);
	if (retry_after_s && retry_after_s * 1000u > ms)
		ms = retry_after_s * 1000u;
	return ms;
}
