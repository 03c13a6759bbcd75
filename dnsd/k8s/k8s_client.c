/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_client.c - blocking, cancellable HTTP/1.1 client for the API server:
 * connections, requests and TLS setup (the framing it reads with is in
 * k8s_http.c). Runs on reflector threads only;
 * never on the query path or an event loop. */
#include "k8s/k8s_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "util/file.h"
#include "util/log.h"

#define TOKEN_REFRESH_S 60
#define CONNECT_TIMEOUT_MS 10000

struct k8s_client {
	struct k8s_auth auth; /* copied strings */
	int stop_fd;
	SSL_CTX *ctx;
	int fd;
	SSL *ssl;
	bool is_reused; /* the connection served a request already */
	char *token;    /* current bearer token */
	time_t token_read;
	char rbuf[16384]; /* bytes read past what was consumed */
	size_t rlen;
	char error[400]; /* why the last request got no HTTP response; "" if it did */
};

__attribute__((format(printf, 2, 3))) static void set_error(struct k8s_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
}

/* "10.0.0.1:6443" or "[fd00::1]:6443" for a connection's peer. */
static void sockaddr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
	}
}

const char *k8s_client_error(const struct k8s_client *c) { return c->error; }

/* ---------- connection ---------- */

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits for events on fd or the stop fd until deadline_ms. */
static int wait_fd(struct k8s_client *c, short events, uint64_t deadline_ms)
{
	for (;;) {
		uint64_t now = now_ms();
		if (now >= deadline_ms)
			return DNSD_EAGAIN;
		struct pollfd p[2] = { { .fd = c->fd, .events = events },
				       { .fd = c->stop_fd, .events = POLLIN } };
		int n = poll(p, c->stop_fd >= 0 ? 2 : 1, (int)(deadline_ms - now));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return DNSD_EIO;
		if (c->stop_fd >= 0 && (p[1].revents & POLLIN))
			return DNSD_EAGAIN;
		if (n > 0)
			return 0;
	}
}

static void conn_close(struct k8s_client *c)
{
	if (c->ssl) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->rlen = 0;
	c->is_reused = false;
}

static int tls_error(const char *what, char *buf, size_t len)
{
	unsigned long e = ERR_get_error();
	char text[256] = "";
	if (e)
		ERR_error_string_n(e, text, sizeof(text));
	snprintf(buf, len, "%s: %s", what, text[0] ? text : "failed");
	ERR_clear_error();
	return DNSD_ETLS;
}

/* A non-blocking TCP connection to the first address of auth.host that
 * answers before deadline_ms; c->fd is -1 on failure. */
static int conn_connect_tcp(struct k8s_client *c, uint64_t deadline_ms)
{
	char port[8];
	snprintf(port, sizeof(port), "%u", c->auth.port);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(c->auth.host, port, &hints, &res);
	if (gai != 0) {
		set_error(c, "resolving %s: %s", c->auth.host, gai_strerror(gai));
		return DNSD_EIO;
	}
	int rc = DNSD_EIO;
	set_error(c, "%s: no address to connect to", c->auth.host);
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		char addr[INET6_ADDRSTRLEN + 8];
		sockaddr_text(ai->ai_addr, addr, sizeof(addr));
		c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       ai->ai_protocol);
		if (c->fd < 0) {
			set_error(c, "connecting to %s: socket: %s", addr, strerror(errno));
			continue;
		}
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
			set_error(c, "connecting to %s: %s", addr, strerror(errno));
			conn_close(c);
			continue;
		}
		rc = wait_fd(c, POLLOUT, deadline_ms);
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (rc == 0 && (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0)) {
			set_error(c, "connecting to %s: %s", addr, strerror(soerr ? soerr : errno));
			rc = DNSD_EIO;
		} else if (rc == DNSD_EAGAIN) {
			set_error(c, "connecting to %s: timed out", addr);
		} else if (rc != 0) {
			set_error(c, "connecting to %s: %s", addr, dnsd_strerror(rc));
		}
		if (rc == 0)
			break;
		conn_close(c);
		if (rc == DNSD_EAGAIN)
			break;
	}
	freeaddrinfo(res);
	if (rc == 0)
		c->error[0] = '\0';
	return rc;
}

/* Sets what the handshake checks: the name (or IP SAN) the server must
 * present, and SNI for names. */
static void conn_tls_expect_name(struct k8s_client *c)
{
	const char *name = c->auth.tls_server_name ? c->auth.tls_server_name : c->auth.host;
	struct in6_addr ip;
	bool is_ip = inet_pton(AF_INET, name, &ip) == 1 || inet_pton(AF_INET6, name, &ip) == 1;
	if (!c->auth.is_insecure) {
		X509_VERIFY_PARAM *param = SSL_get0_param(c->ssl);
		if (is_ip)
			X509_VERIFY_PARAM_set1_ip_asc(param, name);
		else
			X509_VERIFY_PARAM_set1_host(param, name, 0);
	}
	if (!is_ip)
		SSL_set_tlsext_host_name(c->ssl, name); /* SNI is for names only (RFC 6066 §3) */
}

/* The TLS handshake on c->ssl until deadline_ms; a failure is logged with
 * the verification error when there is one. */
static int conn_tls_handshake(struct k8s_client *c, uint64_t deadline_ms)
{
	for (;;) {
		int r = SSL_connect(c->ssl);
		if (r == 1)
			return 0;
		int e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			int rc = wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_ms);
			if (rc != 0)
				return rc;
			continue;
		}
		char msg[300];
		long verify = SSL_get_verify_result(c->ssl);
		if (verify != X509_V_OK)
			snprintf(msg, sizeof(msg), "certificate verification failed: %s",
				 X509_verify_cert_error_string(verify));
		else
			tls_error("TLS handshake", msg, sizeof(msg));
		set_error(c, "%s:%u: %s", c->auth.host, c->auth.port, msg);
		ERR_clear_error();
		return DNSD_ETLS;
	}
}

/* Connects, and for https completes the handshake, before deadline_ms.
 * On failure nothing stays open. */
static int conn_open(struct k8s_client *c, uint64_t deadline_ms)
{
	int rc = conn_connect_tcp(c, deadline_ms);
	if (rc != 0 || !c->auth.is_tls)
		return rc;
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl) {
		conn_close(c);
		return DNSD_ENOMEM;
	}
	SSL_set_fd(c->ssl, c->fd);
	conn_tls_expect_name(c);
	rc = conn_tls_handshake(c, deadline_ms);
	if (rc != 0)
		conn_close(c);
	return rc;
}

static int conn_write(struct k8s_client *c, const char *data, size_t len, uint64_t deadline_ms)
{
	while (len > 0) {
		ssize_t n;
		if (c->ssl) {
			int r = SSL_write(c->ssl, data, (int)len);
			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
					int rc = wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
							 deadline_ms);
					if (rc != 0)
						return rc;
					continue;
				}
				ERR_clear_error();
				return DNSD_EIO;
			}
			n = r;
		} else {
			n = send(c->fd, data, len, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR) {
					int rc = wait_fd(c, POLLOUT, deadline_ms);
					if (rc != 0)
						return rc;
					continue;
				}
				return DNSD_EIO;
			}
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads some bytes into buf; 0 bytes means the peer closed. */
static int conn_read(struct k8s_client *c, char *buf, size_t cap, size_t *got, uint64_t deadline_ms)
{
	for (;;) {
		if (c->ssl) {
			int r = SSL_read(c->ssl, buf, (int)cap);
			if (r > 0) {
				*got = (size_t)r;
				return 0;
			}
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_ZERO_RETURN) {
				*got = 0;
				return 0;
			}
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				int rc = wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_ms);
				if (rc != 0)
					return rc;
				continue;
			}
			/* a peer that closes without close_notify counts as a close */
			ERR_clear_error();
			*got = 0;
			return e == SSL_ERROR_SYSCALL ? 0 : DNSD_EIO;
		}
		ssize_t n = recv(c->fd, buf, cap, 0);
		if (n >= 0) {
			*got = (size_t)n;
			return 0;
		}
		if (errno != EAGAIN && errno != EINTR)
			return DNSD_EIO;
		int rc = wait_fd(c, POLLIN, deadline_ms);
		if (rc != 0)
			return rc;
	}
}

/* ---------- requests ---------- */

static void token_refresh(struct k8s_client *c, bool is_forced)
{
	if (!c->auth.token_file)
		return;
	time_t now = time(NULL);
	if (!is_forced && c->token && now - c->token_read < TOKEN_REFRESH_S)
		return;
	char *buf, why[512];
	size_t n;
	if (file_read_all(c->auth.token_file, 0, K8S_TOKEN_FILE_MAX, &buf, &n, why, sizeof(why)) != 0) {
		log_warn("kubernetes %s: token file %s", c->auth.name, why);
		return;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	free(c->token);
	c->token = buf;
	c->token_read = now;
}

static int send_request(struct k8s_client *c, const char *path, uint64_t deadline_ms)
{
	token_refresh(c, false);
	/* as client-go does, never send a bearer token over plain HTTP */
	const char *token = c->auth.is_tls && c->token && *c->token ? c->token : NULL;
	char host[300];
	bool is_v6 = strchr(c->auth.host, ':') != NULL;
	snprintf(host, sizeof(host), is_v6 ? "[%s]:%u" : "%s:%u", c->auth.host, c->auth.port);
	size_t cap = strlen(path) + strlen(c->auth.base_path) + (token ? strlen(token) : 0) + 512;
	char *req = malloc(cap);
	if (!req)
		return DNSD_ENOMEM;
	int n = snprintf(req, cap,
			 "GET %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: dnsd/" DNSD_VERSION
			 "\r\nAccept: application/json\r\n"
			 "%s%s%s\r\n",
			 c->auth.base_path, path, host, token ? "Authorization: Bearer " : "",
			 token ? token : "", token ? "\r\n" : "");
	int rc = conn_write(c, req, (size_t)n, deadline_ms);
	free(req);
	return rc;
}

/* Reads the response head; leftover body bytes stay in c->rbuf. */
static int read_head(struct k8s_client *c, struct k8s_head *h, uint64_t deadline_ms, bool *got_any)
{
	char *head = malloc(K8S_HEADERS_MAX);
	if (!head)
		return DNSD_ENOMEM;
	size_t len = 0;
	*got_any = false;
	int rc;
	for (;;) {
		char *end = len >= 4 ? memmem(head, len, "\r\n\r\n", 4) : NULL;
		if (end) {
			size_t head_len = (size_t)(end - head) + 4;
			rc = k8s_head_parse(h, head, head_len);
			c->rlen = len - head_len;
			memcpy(c->rbuf, head + head_len, c->rlen);
			break;
		}
		if (len >= K8S_HEADERS_MAX - sizeof(c->rbuf)) {
			rc = DNSD_EHTTP;
			break;
		}
		size_t got;
		size_t room = K8S_HEADERS_MAX - len;
		rc = conn_read(c, head + len, room < sizeof(c->rbuf) ? room : sizeof(c->rbuf), &got,
			       deadline_ms);
		if (rc != 0)
			break;
		if (got == 0) {
			rc = DNSD_EIO;
			break;
		}
		*got_any = true;
		len += got;
	}
	free(head);
	return rc;
}

/* A k8s_data_cb that collects a response body in a struct buf. */
static int body_append(void *arg, const char *data, size_t len) { return buf_append(arg, data, len); }

/* Reads a body framed by h into out (data callback). is_idle_deadline:
 * deadline is renewed after every read (watch streams). */
static int read_body(struct k8s_client *c, const struct k8s_head *h, k8s_data_cb *out, void *ctx,
		     uint32_t timeout_ms, bool is_idle_deadline)
{
	uint64_t deadline = now_ms() + timeout_ms;
	struct k8s_chunked ch;
	k8s_chunked_init(&ch);
	long long remaining = h->content_length;
	char buf[16384];
	size_t have = c->rlen;
	memcpy(buf, c->rbuf, have);
	c->rlen = 0;
	for (;;) {
		if (have > 0) {
			if (h->is_chunked) {
				long used = k8s_chunked_feed(&ch, buf, have, out, ctx);
				if (used < 0)
					return (int)used;
				if (ch.is_stopped)
					return 1;
				if (ch.is_done) {
					c->rlen = have - (size_t)used; /* pipelined leftovers (unused) */
					return 0;
				}
			} else {
				size_t n = have;
				if (remaining >= 0 && (long long)n > remaining)
					n = (size_t)remaining;
				int rc = out(ctx, buf, n);
				if (rc != 0)
					return rc;
				if (remaining >= 0) {
					remaining -= (long long)n;
					if (remaining == 0)
						return 0;
				}
			}
		} else if (!h->is_chunked && remaining == 0) {
			return 0;
		}
		size_t got;
		int rc = conn_read(c, buf, sizeof(buf), &got, deadline);
		if (rc != 0)
			return rc;
		if (got == 0) {
			/* closed: fine only for a body delimited by the close */
			return !h->is_chunked && remaining < 0 ? 0 : DNSD_EIO;
		}
		have = got;
		if (is_idle_deadline)
			deadline = now_ms() + timeout_ms;
	}
}

void k8s_response_clear(struct k8s_response *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* One request/response exchange, reconnecting once when a kept-alive
 * connection turns out to have been closed by the server. */
static int exchange(struct k8s_client *c, const char *path, struct k8s_head *h, uint64_t deadline_ms)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		bool was_reused = c->is_reused;
		int rc = 0;
		if (c->fd < 0)
			rc = conn_open(c, deadline_ms);
		if (rc != 0)
			return rc;
		bool got_any = false;
		rc = send_request(c, path, deadline_ms);
		if (rc == 0)
			rc = read_head(c, h, deadline_ms, &got_any);
		if (rc == 0)
			return 0;
		set_error(c, "%s:%u: %s the response", c->auth.host, c->auth.port,
			  rc == DNSD_EAGAIN ? "timed out waiting for"
			  : got_any         ? "malformed or cut"
					    : "connection closed before");
		conn_close(c);
		if (!(was_reused && !got_any && rc == DNSD_EIO))
			return rc;
	}
	return DNSD_EIO;
}

int k8s_client_get(struct k8s_client *c, const char *path, struct k8s_response *resp, uint32_t timeout_ms)
{
	memset(resp, 0, sizeof(*resp));
	c->error[0] = '\0';
	for (int attempt = 0; attempt < 2; attempt++) {
		uint64_t deadline = now_ms() + timeout_ms;
		struct k8s_head h;
		int rc = exchange(c, path, &h, deadline);
		if (rc != 0)
			return rc;
		struct buf b;
		buf_init(&b, K8S_BODY_MAX);
		rc = read_body(c, &h, body_append, &b, timeout_ms, false);
		if (rc != 0) {
			if (!c->error[0])
				set_error(c, "%s:%u: reading the response: %s", c->auth.host, c->auth.port,
					  rc == DNSD_EAGAIN   ? "timed out"
					  : rc == DNSD_ELIMIT ? "too large"
							      : "the connection was closed or reset");
			buf_clear(&b);
			conn_close(c);
			return rc;
		}
		if (h.is_close || (h.content_length < 0 && !h.is_chunked))
			conn_close(c);
		else
			c->is_reused = true;
		resp->status = h.status;
		resp->retry_after_s = h.retry_after_s;
		resp->body = buf_take(&b, &resp->body_len);
		/* a bound token may have been rotated: read it again, retry once */
		if (h.status == 401 && attempt == 0 && c->auth.token_file) {
			token_refresh(c, true);
			k8s_response_clear(resp);
			continue;
		}
		return 0;
	}
	return 0;
}

int k8s_client_watch(struct k8s_client *c, const char *path, k8s_line_cb *cb, void *ctx,
		     uint32_t idle_timeout_ms, struct k8s_response *status_out)
{
	memset(status_out, 0, sizeof(*status_out));
	c->error[0] = '\0';
	/* a watch gets a fresh connection and does not keep it */
	conn_close(c);
	struct k8s_head h;
	int rc = exchange(c, path, &h, now_ms() + CONNECT_TIMEOUT_MS + idle_timeout_ms);
	if (rc != 0)
		return rc;
	status_out->status = h.status;
	status_out->retry_after_s = h.retry_after_s;
	if (h.status != 200) {
		struct buf b;
		buf_init(&b, K8S_BODY_MAX);
		read_body(c, &h, body_append, &b, CONNECT_TIMEOUT_MS, false);
		status_out->body = buf_take(&b, &status_out->body_len);
		conn_close(c);
		if (h.status == 401)
			token_refresh(c, true);
		return h.status == 410 ? DNSD_EGONE : h.status == 401 ? DNSD_EAUTH : DNSD_EHTTP;
	}
	struct k8s_lines lines;
	k8s_lines_init(&lines, cb, ctx);
	rc = read_body(c, &h, k8s_lines_feed, &lines, idle_timeout_ms, true);
	if (rc != 0 && !c->error[0])
		set_error(c, "%s:%u: %s", c->auth.host, c->auth.port,
			  rc == DNSD_EAGAIN ? "no data within the idle timeout"
					    : "the connection was closed or reset");
	bool is_stopped = lines.is_stopped;
	k8s_lines_clear(&lines);
	conn_close(c);
	if (is_stopped)
		return 1;
	return rc;
}

/* ---------- setup ---------- */

static int load_pem_ca(SSL_CTX *ctx, const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	if (!bio)
		return DNSD_ENOMEM;
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	int count = 0;
	X509 *x;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(store, x) == 1)
			count++;
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(bio);
	return count > 0 ? 0 : DNSD_ETLS;
}

/* The client identity: certificate and key each from a file or from PEM
 * text (-data); kubeconfigs mix the two, e.g. client-certificate-data with
 * client-key. */
static int use_client_identity(SSL_CTX *ctx, const struct k8s_auth *a, char *err, size_t errlen)
{
	bool has_cert = a->cert_file || a->cert_pem, has_key = a->key_file || a->key_pem;
	if (!has_cert && !has_key)
		return 0;
	if (!has_cert || !has_key) {
		snprintf(err, errlen,
			 "a client certificate needs both client-certificate(-data) and client-key(-data)");
		return DNSD_ETLS;
	}
	int ok;
	if (a->cert_file) {
		ok = SSL_CTX_use_certificate_chain_file(ctx, a->cert_file) == 1;
	} else {
		BIO *b = BIO_new_mem_buf(a->cert_pem, -1);
		X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		ok = x && SSL_CTX_use_certificate(ctx, x) == 1;
		X509_free(x);
		BIO_free(b);
	}
	if (!ok) {
		tls_error(a->cert_file ? a->cert_file : "client-certificate-data", err, errlen);
		return DNSD_ETLS;
	}
	if (a->key_file) {
		ok = SSL_CTX_use_PrivateKey_file(ctx, a->key_file, SSL_FILETYPE_PEM) == 1;
	} else {
		BIO *b = BIO_new_mem_buf(a->key_pem, -1);
		EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
		ok = k && SSL_CTX_use_PrivateKey(ctx, k) == 1;
		EVP_PKEY_free(k);
		BIO_free(b);
	}
	if (!ok) {
		tls_error(a->key_file ? a->key_file : "client-key-data", err, errlen);
		return DNSD_ETLS;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_error("client certificate and key do not match", err, errlen);
		return DNSD_ETLS;
	}
	return 0;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

struct k8s_client *k8s_client_new(const struct k8s_auth *auth, int stop_fd, char *err, size_t errlen)
{
	struct k8s_client *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = -1;
	c->stop_fd = stop_fd;
	c->auth = *auth;
	c->auth.server = dup_or_null(auth->server);
	c->auth.ca_file = dup_or_null(auth->ca_file);
	c->auth.ca_pem = dup_or_null(auth->ca_pem);
	c->auth.tls_server_name = dup_or_null(auth->tls_server_name);
	c->auth.token = dup_or_null(auth->token);
	c->auth.token_file = dup_or_null(auth->token_file);
	c->auth.cert_file = dup_or_null(auth->cert_file);
	c->auth.cert_pem = dup_or_null(auth->cert_pem);
	c->auth.key_file = dup_or_null(auth->key_file);
	c->auth.key_pem = dup_or_null(auth->key_pem);
	c->token = dup_or_null(auth->token);
	if (!auth->is_tls)
		return c;
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx) {
		tls_error("TLS context", err, errlen);
		goto fail;
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	/* OpenSSL opens these by name: only regular files (file.h), so that a
	 * FIFO cannot block this thread nor /dev/zero spin it */
	const char *named[] = { auth->is_insecure ? NULL : auth->ca_file, auth->cert_file, auth->key_file };
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (named[i] && file_check_regular(named[i], K8S_AUTH_FILE_MAX, err, errlen) != 0)
			goto fail;
	if (!auth->is_insecure) {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
		if (auth->ca_file && SSL_CTX_load_verify_locations(c->ctx, auth->ca_file, NULL) != 1) {
			tls_error(auth->ca_file, err, errlen);
			goto fail;
		}
		if (auth->ca_pem && load_pem_ca(c->ctx, auth->ca_pem) != 0) {
			snprintf(err, errlen, "certificate-authority-data holds no usable certificate");
			goto fail;
		}
		if (!auth->ca_file && !auth->ca_pem)
			SSL_CTX_set_default_verify_paths(c->ctx);
	}
	if (use_client_identity(c->ctx, auth, err, errlen) != 0)
		goto fail;
	return c;
fail:
	k8s_client_free(c);
	return NULL;
}

void k8s_client_free(struct k8s_client *c)
{
	if (!c)
		return;
	conn_close(c);
	if (c->ctx)
		SSL_CTX_free(c->ctx);
	free(c->token);
	k8s_auth_clear(&c->auth);
	free(c);
}
