/* SPDX-License-Identifier: BSD-3-Clause
 * buf.h - the one growable byte buffer: append, reserve, reset, with a size
 * limit that fails cleanly (DNSD_ELIMIT) instead of growing without end.
 * The contents stay NUL-terminated so text can be used in place. Heap only:
 * not for the query path. Not thread-safe; one owner at a time. */
#ifndef DNSD_BUF_H
#define DNSD_BUF_H

#include <stddef.h>

struct buf {
	char *data;     /* NULL until the first byte is reserved; else data[len] == '\0'; owned */
	size_t len;     /* bytes held, not counting the NUL */
	size_t cap;     /* bytes allocated, the NUL included */
	size_t max_len; /* len never exceeds this; 0 means no limit */
};

/* An empty buffer that refuses to hold more than max_len bytes (0 = no
 * limit). Allocates nothing. */
void buf_init(struct buf *b, size_t max_len);

/* Frees the contents; the buffer is empty again (same limit) and reusable. */
void buf_clear(struct buf *b);

/* Empties the buffer but keeps its memory for the next appends. */
void buf_reset(struct buf *b);

/* Makes room for len + extra bytes (and the NUL) so the next appends of
 * that much do not allocate. Returns 0, DNSD_ELIMIT when len + extra would
 * pass max_len (nothing changes), or DNSD_ENOMEM. */
int buf_reserve(struct buf *b, size_t extra);

/* Appends len bytes of data. Returns 0, DNSD_ELIMIT (the buffer is left as
 * it was) or DNSD_ENOMEM. */
int buf_append(struct buf *b, const void *data, size_t len);

/* Hands the contents to the caller, who frees them with free(): never NULL
 * unless out of memory (an empty buffer gives ""). *len_out, when not NULL,
 * gets the length. The buffer is left empty. */
char *buf_take(struct buf *b, size_t *len_out);

#endif
