/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_client.h - HTTP/1.1 to the Kubernetes API server over TCP or TLS
 * (OpenSSL 3): GET with keep-alive, and chunked WATCH streams split into
 * lines. Blocking and cancellable: every wait polls the socket and a stop fd
 * (readable = give up now). One client per connection; a reflector uses one
 * for LIST and another for WATCH. Not for the query path. */
#ifndef DNSD_K8S_CLIENT_H
#define DNSD_K8S_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "k8s/kubeconfig.h"
#include "util/buf.h"

#define K8S_HEADERS_MAX (64 * 1024)
#define K8S_BODY_MAX (512u * 1024 * 1024)
#define K8S_LINE_MAX (16u * 1024 * 1024)
#define K8S_LINE_KEEP (256u * 1024) /* a line buffer larger than this is freed after its line */

struct k8s_client;

struct k8s_response {
	int status;             /* HTTP status; 0 when none was read */
	uint32_t retry_after_s; /* Retry-After in seconds; 0 = none */
	char *body;             /* NUL-terminated; owned */
	size_t body_len;
};

/* A client for auth's server; the auth is copied. stop_fd may be -1. NULL
 * with err when the TLS settings cannot be loaded (bad CA, key). */
struct k8s_client *k8s_client_new(const struct k8s_auth *auth, int stop_fd, char *err, size_t errlen);
void k8s_client_free(struct k8s_client *c);
void k8s_response_clear(struct k8s_response *r);

/* GET base_path + path_and_query. 0 when a response (any status) was read;
 * DNSD_EIO/ETLS/EHTTP/EAGAIN (stopped or timed out) otherwise. A 401 makes
 * the client re-read its token file and try once more. */
int k8s_client_get(struct k8s_client *c, const char *path_and_query, struct k8s_response *resp,
		   uint32_t timeout_ms);

/* Returns nonzero to end the stream early. */
typedef int k8s_line_cb(void *ctx, const char *line, size_t len);

/* Opens a watch and calls cb for every complete line until the server ends
 * the stream (returns 0 with status_out->status = 200), cb asks to stop
 * (returns 1), nothing arrives for idle_timeout_ms (DNSD_EAGAIN), the stop fd
 * fires (DNSD_EAGAIN) or the connection breaks (DNSD_EIO). A non-200 answer
 * returns DNSD_EGONE (410), DNSD_EAUTH (401) or DNSD_EHTTP with its body in
 * status_out. */
int k8s_client_watch(struct k8s_client *c, const char *path_and_query, k8s_line_cb *cb, void *ctx,
		     uint32_t idle_timeout_ms, struct k8s_response *status_out);

/* Why the last request got no HTTP response: the address and errno of a
 * failed connection ("connecting to 10.0.0.1:6443: Connection refused"),
 * OpenSSL's reason for a failed handshake or verification, a name that
 * does not resolve; "" when it got one. Borrowed; valid until c's next
 * request. The caller logs it (k8s_watch: where the decision is made). */
const char *k8s_client_error(const struct k8s_client *c);

/* ---------- pure pieces, unit-tested byte by byte ---------- */

/* Incremental decoder of chunked transfer coding (RFC 9112 §7.1). */
struct k8s_chunked {
	int state;
	uint64_t remaining; /* bytes left in the current chunk */
	unsigned size_digits;
	bool is_done;    /* the last chunk and its trailer arrived */
	bool is_stopped; /* the data callback asked to stop */
};
typedef int k8s_data_cb(void *ctx, const char *data, size_t len);
void k8s_chunked_init(struct k8s_chunked *d);
/* Feeds len bytes; calls out with decoded data (out returns 0 to go on, 1
 * to stop: is_stopped is then set, or a negative error). Returns the bytes
 * consumed (up to the terminating chunk, or where out stopped), DNSD_EHTTP
 * on bad framing, or out's error. */
long k8s_chunked_feed(struct k8s_chunked *d, const char *in, size_t len, k8s_data_cb *out, void *ctx);

/* Splits a byte stream on '\n' (a trailing '\r' is dropped). */
struct k8s_lines {
	struct buf line; /* the line being assembled, up to K8S_LINE_MAX */
	k8s_line_cb *cb;
	void *ctx;
	bool is_stopped;
};
void k8s_lines_init(struct k8s_lines *l, k8s_line_cb *cb, void *ctx);
void k8s_lines_clear(struct k8s_lines *l);
/* A k8s_data_cb: DNSD_ELIMIT for a line over K8S_LINE_MAX, 1 when cb stopped. */
int k8s_lines_feed(void *lines, const char *data, size_t len);

/* Parses "HTTP/1.1 200 OK\r\n...headers...\r\n\r\n". */
struct k8s_head {
	int status;
	bool is_chunked;
	bool is_close;
	long long content_length; /* -1 = absent */
	uint32_t retry_after_s;
};
int k8s_head_parse(struct k8s_head *h, const char *text, size_t len);

/* Back-off between failed requests: 0.8 s doubling to 30 s, +-20% jitter,
 * never less than a Retry-After the server asked for. */
struct k8s_backoff {
	uint32_t next_ms;
	unsigned seed;
};
void k8s_backoff_init(struct k8s_backoff *b);
void k8s_backoff_reset(struct k8s_backoff *b);
uint32_t k8s_backoff_next_ms(struct k8s_backoff *b, uint32_t retry_after_s);

#endif
