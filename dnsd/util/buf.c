/* SPDX-License-Identifier: BSD-3-Clause
 * buf.c - the growable byte buffer: capacity doubles from BUF_MIN_CAP up to
 * the limit, which is checked before anything grows. No I/O, no logging. */
#include "util/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* First allocation; small enough for a short line, large enough that a
 * response body does not start with a string of tiny reallocations. */
#define BUF_MIN_CAP 4096

void buf_init(struct buf *b, size_t max_len)
{
	memset(b, 0, sizeof(*b));
	b->max_len = max_len;
}

void buf_clear(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max_len);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

int buf_reserve(struct buf *b, size_t extra)
{
	size_t limit = b->max_len ? b->max_len : SIZE_MAX - 1;
	if (extra > limit || b->len > limit - extra)
		return DNSD_ELIMIT;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : BUF_MIN_CAP;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (b->max_len && cap > b->max_len + 1)
		cap = b->max_len + 1; /* never more than the limit allows */
	char *data = realloc(b->data, cap);
	if (!data)
		return DNSD_ENOMEM;
	if (!b->data)
		data[0] = '\0';
	b->data = data;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
	int rc = buf_reserve(b, len);
	if (rc != 0)
		return rc;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

char *buf_take(struct buf *b, size_t *len_out)
{
	char *data = b->data ? b->data : strdup("");
	if (len_out)
		*len_out = data ? b->len : 0;
	buf_init(b, b->max_len);
	return data;
}
