/* SPDX-License-Identifier: BSD-3-Clause
 * test_k8s_client.c - the pure parts of the API client (chunked decoding fed
 * byte by byte and in random slices, line splitting, response heads,
 * back-off, URLs, base64) and kubeconfig / in-cluster loading. */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "k8s/k8s_client.h"
#include "k8s/kubeconfig.h"

struct collected {
	char lines[16][4096];
	size_t count;
	size_t stop_after;
};

static int on_line(void *ctx, const char *line, size_t len)
{
	struct collected *c = ctx;
	ck_assert_uint_lt(c->count, 16);
	ck_assert_uint_lt(len, sizeof(c->lines[0]));
	memcpy(c->lines[c->count], line, len);
	c->lines[c->count][len] = '\0';
	c->count++;
	return c->stop_after && c->count == c->stop_after;
}

/* The fixture's raw watch response: headers, then chunks where one chunk
 * carries two events and events do not align with chunks. */
static char *fixture_body(size_t *len)
{
	static char buf[65536];
	FILE *f = fopen("tests/data/k8s/watch-response.http", "rb");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	char *body = memmem(buf, n, "\r\n\r\n", 4);
	ck_assert_ptr_nonnull(body);
	struct k8s_head h;
	ck_assert_int_eq(k8s_head_parse(&h, buf, (size_t)(body - buf) + 4), 0);
	ck_assert_int_eq(h.status, 200);
	ck_assert(h.is_chunked);
	body += 4;
	*len = n - (size_t)(body - buf);
	return body;
}

static void run_slices(const char *body, size_t len, unsigned seed, struct collected *c)
{
	struct k8s_chunked ch;
	struct k8s_lines lines;
	k8s_chunked_init(&ch);
	k8s_lines_init(&lines, on_line, c);
	size_t off = 0;
	while (off < len && !ch.is_done) {
		size_t n = seed ? 1 + (size_t)(rand_r(&seed) % 7) : 1;
		if (n > len - off)
			n = len - off;
		long used = k8s_chunked_feed(&ch, body + off, n, k8s_lines_feed, &lines);
		ck_assert_int_ge(used, 0);
		off += (size_t)used;
		if (ch.is_stopped)
			break;
	}
	k8s_lines_clear(&lines);
}

START_TEST(test_chunked_byte_by_byte)
{
	size_t len;
	const char *body = fixture_body(&len);
	struct collected one = { .count = 0 };
	run_slices(body, len, 0, &one);
	ck_assert_uint_ge(one.count, 3);
	for (size_t i = 0; i < one.count; i++)
		ck_assert_msg(one.lines[i][0] == '{' && one.lines[i][strlen(one.lines[i]) - 1] == '}',
			      "line %zu is not a whole event: %s", i, one.lines[i]);
	/* any slicing gives the same lines */
	for (unsigned seed = 1; seed < 50; seed++) {
		struct collected other = { .count = 0 };
		run_slices(body, len, seed, &other);
		ck_assert_uint_eq(other.count, one.count);
		for (size_t i = 0; i < one.count; i++)
			ck_assert_str_eq(other.lines[i], one.lines[i]);
	}
}
END_TEST

START_TEST(test_chunked_stop_and_errors)
{
	size_t len;
	const char *body = fixture_body(&len);
	struct collected c = { .count = 0, .stop_after = 1 };
	run_slices(body, len, 7, &c);
	ck_assert_uint_eq(c.count, 1);
	struct k8s_chunked ch;
	struct k8s_lines lines;
	struct collected d = { .count = 0 };
	k8s_lines_init(&lines, on_line, &d);
	const char *bad[] = { "zz\r\n", "5\r\nab", "3\r\nabcX", "\r\n", "1234567890abcdef0\r\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k8s_chunked_init(&ch);
		long r = k8s_chunked_feed(&ch, bad[i], strlen(bad[i]), k8s_lines_feed, &lines);
		if (i == 1)
			ck_assert_int_eq(r, (long)strlen(bad[i])); /* incomplete, not wrong */
		else
			ck_assert_int_eq(r, DNSD_EHTTP);
	}
	k8s_lines_clear(&lines);
	k8s_lines_init(&lines, on_line, &d);
	k8s_chunked_init(&ch);
	const char *ok = "4;ext=1\r\nab\nc\r\n0\r\nTrailer: x\r\n\r\n";
	ck_assert_int_eq(k8s_chunked_feed(&ch, ok, strlen(ok), k8s_lines_feed, &lines), (long)strlen(ok));
	ck_assert(ch.is_done);
	ck_assert_uint_eq(d.count, 1);
	ck_assert_str_eq(d.lines[0], "ab");
	k8s_lines_clear(&lines);
}
END_TEST

START_TEST(test_line_limit)
{
	struct collected c = { .count = 0 };
	struct k8s_lines lines;
	k8s_lines_init(&lines, on_line, &c);
	char *big = malloc(1 << 20);
	memset(big, 'x', 1 << 20);
	int rc = 0;
	for (int i = 0; i < 17 && rc == 0; i++)
		rc = k8s_lines_feed(&lines, big, 1 << 20);
	ck_assert_int_eq(rc, DNSD_ELIMIT);
	free(big);
	k8s_lines_clear(&lines);
}
END_TEST

START_TEST(test_head_parse)
{
	struct k8s_head h;
	const char *t = "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nretry-after: 7\r\n"
			"Content-Length: 12\r\nConnection: close\r\n\r\n";
	ck_assert_int_eq(k8s_head_parse(&h, t, strlen(t)), 0);
	ck_assert_int_eq(h.status, 429);
	ck_assert_uint_eq(h.retry_after_s, 7);
	ck_assert_int_eq(h.content_length, 12);
	ck_assert(h.is_close);
	ck_assert(!h.is_chunked);
	ck_assert_int_eq(k8s_head_parse(&h, "garbage\r\n\r\n", 11), DNSD_EHTTP);
	ck_assert_int_eq(k8s_head_parse(&h, "HTTP/1.1 2000 x\r\n\r\n", 19), DNSD_EHTTP);
	t = "HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\n";
	ck_assert_int_eq(k8s_head_parse(&h, t, strlen(t)), DNSD_EHTTP);
	FILE *f = fopen("tests/data/k8s/error-429-apf.http", "rb");
	ck_assert_ptr_nonnull(f);
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	ck_assert_int_eq(k8s_head_parse(&h, buf, n), 0);
	ck_assert_int_eq(h.status, 429);
	ck_assert_uint_gt(h.retry_after_s, 0);
}
END_TEST

START_TEST(test_backoff)
{
	struct k8s_backoff b;
	k8s_backoff_init(&b);
	uint32_t prev = 0;
	for (int i = 0; i < 12; i++) {
		uint32_t ms = k8s_backoff_next_ms(&b, 0);
		ck_assert_uint_ge(ms, 640);   /* 0.8 s - 20% */
		ck_assert_uint_le(ms, 36000); /* 30 s + 20% */
		if (i > 0 && i < 5)
			ck_assert_uint_gt(ms, prev); /* doubling outruns the jitter */
		prev = ms;
	}
	ck_assert_uint_eq(k8s_backoff_next_ms(&b, 120), 120000); /* Retry-After wins */
	k8s_backoff_reset(&b);
	ck_assert_uint_le(k8s_backoff_next_ms(&b, 0), 960);
}
END_TEST

START_TEST(test_url_and_base64)
{
	struct k8s_auth a = { 0 };
	ck_assert_int_eq(k8s_url_parse(&a, "https://[2001:db8::1]:6443/prefix/"), 0);
	ck_assert(a.is_tls);
	ck_assert_str_eq(a.host, "2001:db8::1");
	ck_assert_uint_eq(a.port, 6443);
	ck_assert_str_eq(a.base_path, "/prefix");
	ck_assert_int_eq(k8s_url_parse(&a, "http://kube"), 0);
	ck_assert_uint_eq(a.port, 80);
	ck_assert_int_eq(k8s_url_parse(&a, "https://kube"), 0);
	ck_assert_uint_eq(a.port, 443);
	ck_assert_int_ne(k8s_url_parse(&a, "ftp://kube"), 0);
	ck_assert_int_ne(k8s_url_parse(&a, "https://kube:99999"), 0);
	ck_assert_int_ne(k8s_url_parse(&a, "https://[::1"), 0);
	size_t len;
	char *d = k8s_base64_decode("aGVs\nbG8=", &len);
	ck_assert_str_eq(d, "hello");
	ck_assert_uint_eq(len, 5);
	free(d);
	ck_assert_ptr_null(k8s_base64_decode("abc", &len));
	ck_assert_ptr_null(k8s_base64_decode("ab*=", &len));
	ck_assert_ptr_null(k8s_base64_decode("a=bc", &len));
}
END_TEST

START_TEST(test_kubeconfig)
{
	struct k8s_auth a;
	char err[512];
	ck_assert_int_eq(kubeconfig_load(&a, "tests/data/kubeconfig/good.yaml", NULL, err, sizeof(err)), 0);
	ck_assert_str_eq(a.host, "2001:db8::5");
	ck_assert_uint_eq(a.port, 6443);
	ck_assert_str_eq(a.base_path, "/prefix");
	ck_assert_str_eq(a.tls_server_name, "kubernetes.default.svc");
	ck_assert_str_eq(a.ca_file, "tests/data/kubeconfig/ca/east-ca.crt"); /* relative to the file */
	ck_assert_str_eq(a.token_file, "tests/data/kubeconfig/secrets/token");
	k8s_auth_clear(&a);
	ck_assert_int_eq(kubeconfig_load(&a, "tests/data/kubeconfig/good.yaml", "west", err, sizeof(err)), 0);
	ck_assert_ptr_null(a.ca_file); /* data wins over the file */
	ck_assert_ptr_nonnull(strstr(a.ca_pem, "BEGIN CERTIFICATE"));
	ck_assert_str_eq(a.cert_file, "tests/data/kubeconfig/certs/dnsd.crt");
	ck_assert_str_eq(a.key_file, "/abs/dnsd.key");
	k8s_auth_clear(&a);
	ck_assert_int_eq(kubeconfig_load(&a, "tests/data/kubeconfig/good.yaml", "plain", err, sizeof(err)),
			 0);
	ck_assert(!a.is_tls);
	k8s_auth_clear(&a);
	ck_assert_int_eq(kubeconfig_load(&a, "tests/data/kubeconfig/good.yaml", "gcloud", err, sizeof(err)),
			 DNSD_ENOTSUP);
	ck_assert_ptr_nonnull(strstr(err, "exec"));
	ck_assert_int_eq(kubeconfig_load(&a, "tests/data/kubeconfig/good.yaml", "nope", err, sizeof(err)),
			 DNSD_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "context 'nope' not found"));
	ck_assert_int_eq(
		kubeconfig_load(&a, "tests/data/kubeconfig/bad-cluster.yaml", NULL, err, sizeof(err)),
		DNSD_EINVAL);
	ck_assert_msg(strstr(err, "bad-cluster.yaml:8:") && strstr(err, "cluster 'missing' not found"), "%s",
		      err);
	ck_assert_int_eq(kubeconfig_load(&a, "tests/data/kubeconfig/bad-base64.yaml", NULL, err, sizeof(err)),
			 DNSD_EINVAL);
	ck_assert_msg(strstr(err, "bad-base64.yaml:6:") && strstr(err, "certificate-authority-data"), "%s",
		      err);
	ck_assert_int_eq(kubeconfig_load(&a, "tests/data/kubeconfig/missing.yaml", NULL, err, sizeof(err)),
			 DNSD_ENOENT);
}
END_TEST

START_TEST(test_in_cluster)
{
	char dir[] = "/tmp/dnsd-sa.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/token", dir);
	FILE *f = fopen(path, "w");
	fputs("tok\n", f);
	fclose(f);
	setenv("DNSD_SERVICEACCOUNT_DIR", dir, 1);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	struct k8s_auth a;
	char err[256];
	ck_assert_int_eq(k8s_auth_in_cluster(&a, err, sizeof(err)), 0);
	ck_assert_str_eq(a.server, "https://[fd00::1]:443");
	ck_assert_str_eq(a.host, "fd00::1");
	ck_assert_ptr_nonnull(strstr(a.ca_file, "/ca.crt"));
	k8s_auth_clear(&a);
	unsetenv("KUBERNETES_SERVICE_HOST");
	ck_assert_int_eq(k8s_auth_in_cluster(&a, err, sizeof(err)), DNSD_ENOENT);
	unlink(path);
	rmdir(dir);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("k8s_client");
	TCase *tc = tcase_create("k8s_client");
	tcase_add_test(tc, test_chunked_byte_by_byte);
	tcase_add_test(tc, test_chunked_stop_and_errors);
	tcase_add_test(tc, test_line_limit);
	tcase_add_test(tc, test_head_parse);
	tcase_add_test(tc, test_backoff);
	tcase_add_test(tc, test_url_and_base64);
	tcase_add_test(tc, test_kubeconfig);
	tcase_add_test(tc, test_in_cluster);
	suite_add_tcase(s, tc);
	return s;
}
