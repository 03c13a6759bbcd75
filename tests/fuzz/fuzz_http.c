/* SPDX-License-Identifier: BSD-3-Clause
 * fuzz_http.c - libFuzzer harness for the API client's HTTP response reader:
 * the head parser, then the chunked decoder feeding the line splitter, fed
 * in pieces whose sizes the input's first byte picks (a chunk size, CRLF or
 * line may be split anywhere). It must parse or fail with an error code,
 * consume every byte it is given until the stream ends, and never crash,
 * hang, overrun a buffer or leak. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "k8s/k8s_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_line(void *ctx, const char *line, size_t len)
{
	(void)line;
	assert(len <= K8S_LINE_MAX);
	(*(size_t *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = (size_t)data[0] % 17 + 1;
	const char *in = (const char *)data + 1;
	size_t len = size - 1;

	/* the head is everything up to the first blank line, as the client reads it */
	const char *end = memmem(in, len, "\r\n\r\n", 4);
	size_t head_len = end ? (size_t)(end - in) + 4 : len;
	struct k8s_head h;
	(void)k8s_head_parse(&h, in, head_len);

	size_t lines = 0;
	struct k8s_lines l;
	k8s_lines_init(&l, count_line, &lines);
	struct k8s_chunked d;
	k8s_chunked_init(&d);
	const char *body = in + head_len;
	size_t left = len - head_len;
	while (left > 0 && !d.is_done && !d.is_stopped) {
		size_t n = left < step ? left : step;
		long used = k8s_chunked_feed(&d, body, n, k8s_lines_feed, &l);
		if (used < 0)
			break;
		/* all of it, unless the last chunk ended or the callback stopped */
		assert((size_t)used == n || d.is_done || d.is_stopped);
		body += used;
		left -= (size_t)used;
	}
	k8s_lines_clear(&l);
	return 0;
}
