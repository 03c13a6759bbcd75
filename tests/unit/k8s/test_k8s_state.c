/* SPDX-License-Identifier: BSD-3-Clause
 * test_k8s_state.c - the last-known-state file (k8s/k8s_state.c): a round
 * trip through the real ServiceEntry decoder, every truncation and every
 * single-bit flip refused, foreign versions and sources refused, and a writer
 * killed with SIGKILL at random moments, many times, never leaving a file
 * that loads wrong or losing the previous one. */
#include <check.h>

#include "check_main.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "k8s/json.h"
#include "k8s/k8s_state.h"
#include "k8s/serviceentry.h"
#include "util/err.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	static char buf[1 << 20];
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

/* A state of source "mesh-1" holding the items of tests/data/k8s/list-full.json. */
static struct k8s_state *fixture_state(size_t *count)
{
	size_t len;
	const char *text = slurp("tests/data/k8s/list-full.json", &len);
	struct json_doc *doc;
	struct json_error jerr;
	ck_assert_int_eq(json_parse(text, len, &doc, &jerr), 0);
	const struct json_value *items = json_get(json_doc_root(doc), "items");
	struct k8s_state *st = k8s_state_new("mesh-1");
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(k8s_state_add_cursor(st, NULL, "41870"), 0);
	ck_assert_int_eq(k8s_state_add_cursor(st, "bar", "41871"), 0);
	*count = json_array_count(items);
	ck_assert_uint_gt(*count, 2);
	for (size_t i = 0; i < *count; i++) {
		char *line;
		size_t line_len;
		ck_assert_int_eq(k8s_state_encode_object(&line, &line_len, json_array_at(items, i)), 0);
		ck_assert_int_eq(k8s_state_add_object(st, line, line_len), 0);
		free(line);
	}
	json_doc_free(doc);
	return st;
}

static struct serviceentry *decode_se(const char *text, size_t len)
{
	struct json_doc *doc;
	struct json_error jerr;
	ck_assert_int_eq(json_parse(text, len, &doc, &jerr), 0);
	struct serviceentry *se = NULL;
	char err[256];
	ck_assert_int_eq(serviceentry_from_json(json_doc_root(doc), &se, err, sizeof(err)), 0);
	json_doc_free(doc);
	return se;
}

static void assert_same_se(const struct serviceentry *a, const struct serviceentry *b)
{
	ck_assert_str_eq(a->namespace_, b->namespace_);
	ck_assert_str_eq(a->name, b->name);
	ck_assert_str_eq(a->resource_version, b->resource_version);
	ck_assert_uint_eq(a->hosts_count, b->hosts_count);
	for (size_t i = 0; i < a->hosts_count; i++)
		ck_assert_str_eq(a->hosts[i], b->hosts[i]);
	ck_assert_uint_eq(a->addresses_count, b->addresses_count);
	if (a->addresses_count)
		ck_assert_int_eq(
			memcmp(a->addresses, b->addresses, a->addresses_count * sizeof(*a->addresses)), 0);
	ck_assert_uint_eq(a->ports_count, b->ports_count);
	if (a->ports_count)
		for (size_t i = 0; i < a->ports_count; i++) {
			ck_assert_uint_eq(a->ports[i].number, b->ports[i].number);
			ck_assert_str_eq(a->ports[i].name, b->ports[i].name);
			ck_assert_str_eq(a->ports[i].protocol, b->ports[i].protocol);
		}
}

START_TEST(test_round_trip)
{
	size_t count, len;
	struct k8s_state *st = fixture_state(&count);
	char *data;
	ck_assert_int_eq(k8s_state_encode(st, 1733000000, &data, &len), 0);
	struct k8s_state *back;
	char err[256] = "";
	ck_assert_msg(k8s_state_decode(&back, data, len, "mesh-1", err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(k8s_state_source(back), "mesh-1");
	ck_assert_int_eq(k8s_state_saved_unix(back), 1733000000);
	ck_assert_uint_eq(k8s_state_cursor_count(back), 2);
	ck_assert_ptr_null(k8s_state_cursor_namespace(back, 0));
	ck_assert_str_eq(k8s_state_cursor_resource_version(back, 0), "41870");
	ck_assert_str_eq(k8s_state_cursor_namespace(back, 1), "bar");
	ck_assert_str_eq(k8s_state_cursor_resource_version(back, 1), "41871");
	ck_assert_uint_eq(k8s_state_object_count(back), count);
	/* each saved object decodes to what the API's own object decodes to */
	size_t flen;
	const char *full = slurp("tests/data/k8s/list-full.json", &flen);
	struct json_doc *doc;
	struct json_error jerr;
	ck_assert_int_eq(json_parse(full, flen, &doc, &jerr), 0);
	const struct json_value *items = json_get(json_doc_root(doc), "items");
	for (size_t i = 0; i < count; i++) {
		size_t olen;
		const char *o = k8s_state_object_at(back, i, &olen);
		ck_assert_ptr_null(memchr(o, '\n', olen));
		/* bookkeeping that no record depends on is not kept */
		ck_assert_ptr_null(memmem(o, olen, "managedFields", 13));
		ck_assert_ptr_null(memmem(o, olen, "last-applied-configuration", 26));
		struct serviceentry *saved = decode_se(o, olen), *live = NULL;
		ck_assert_int_eq(serviceentry_from_json(json_array_at(items, i), &live, err, sizeof(err)), 0);
		assert_same_se(saved, live);
		serviceentry_free(saved);
		serviceentry_free(live);
	}
	json_doc_free(doc);
	/* encoding what was decoded gives the same bytes */
	char *again;
	size_t again_len;
	ck_assert_int_eq(k8s_state_encode(back, 1733000000, &again, &again_len), 0);
	ck_assert_uint_eq(again_len, len);
	ck_assert_int_eq(memcmp(again, data, len), 0);
	free(again);
	free(data);
	k8s_state_free(back);
	k8s_state_free(st);
}
END_TEST

START_TEST(test_string_escapes_round_trip)
{
	/* quote, backslash, control characters, NUL, non-ASCII, a surrogate pair */
	const char *text = "{\"metadata\":{\"name\":\"a\\\"b\\\\c\\n\\t\\u0001\\u0000d\",\"namespace\":"
			   "\"\\u00e9\\ud83d\\ude00\"},"
			   "\"n\":[-1.5e3,0,true,false,null,{}],\"spec\":{}}";
	struct json_doc *doc;
	struct json_error jerr;
	ck_assert_int_eq(json_parse(text, strlen(text), &doc, &jerr), 0);
	char *line;
	size_t len;
	ck_assert_int_eq(k8s_state_encode_object(&line, &len, json_doc_root(doc)), 0);
	ck_assert_ptr_null(memchr(line, '\n', len));
	struct json_doc *back;
	ck_assert_msg(json_parse(line, len, &back, &jerr) == 0, "%s: %s", line, jerr.msg);
	size_t a_len, b_len;
	const char *a = json_get_string(json_get_path(json_doc_root(doc), "metadata", "name", NULL), &a_len);
	const char *b = json_get_string(json_get_path(json_doc_root(back), "metadata", "name", NULL), &b_len);
	ck_assert_uint_eq(a_len, b_len);
	ck_assert_int_eq(memcmp(a, b, a_len), 0);
	a = json_get_string(json_get_path(json_doc_root(doc), "metadata", "namespace", NULL), &a_len);
	b = json_get_string(json_get_path(json_doc_root(back), "metadata", "namespace", NULL), &b_len);
	ck_assert_uint_eq(a_len, b_len);
	ck_assert_int_eq(memcmp(a, b, a_len), 0);
	ck_assert_str_eq(json_number_text(json_array_at(json_get(json_doc_root(back), "n"), 0)), "-1.5e3");
	ck_assert_uint_eq(json_array_count(json_get(json_doc_root(back), "n")), 6);
	json_doc_free(back);
	json_doc_free(doc);
	free(line);
	ck_assert_int_eq(k8s_state_encode_object(&line, &len, NULL), DNSD_EINVAL);
}
END_TEST

/* A small state, so that every byte and bit can be tried. */
static char *small_file(size_t *len)
{
	struct k8s_state *st = k8s_state_new("mesh-1");
	ck_assert_int_eq(k8s_state_add_cursor(st, NULL, "7"), 0);
	const char *o1 =
		"{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\"},\"spec\":{\"hosts\":[\"a.ns.global\"],"
		"\"addresses\":[\"240.0.0.1\"]}}";
	const char *o2 =
		"{\"metadata\":{\"name\":\"b\",\"namespace\":\"ns\"},\"spec\":{\"hosts\":[\"b.ns.global\"]}}";
	ck_assert_int_eq(k8s_state_add_object(st, o1, strlen(o1)), 0);
	ck_assert_int_eq(k8s_state_add_object(st, o2, strlen(o2)), 0);
	char *data;
	ck_assert_int_eq(k8s_state_encode(st, 1733000000, &data, len), 0);
	k8s_state_free(st);
	return data;
}

START_TEST(test_every_truncation_refused)
{
	size_t len;
	char *data = small_file(&len);
	struct k8s_state *st;
	char err[256];
	ck_assert_int_eq(k8s_state_decode(&st, data, len, "mesh-1", err, sizeof(err)), 0);
	k8s_state_free(st);
	for (size_t k = 0; k < len; k++) {
		ck_assert_msg(k8s_state_decode(&st, data, k, "mesh-1", err, sizeof(err)) != 0,
			      "%zu of %zu bytes loaded", k, len);
		ck_assert_ptr_null(st);
	}
	free(data);
}
END_TEST

START_TEST(test_every_bit_flip_refused)
{
	size_t len;
	char *data = small_file(&len);
	struct k8s_state *st;
	char err[256];
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			data[i] ^= (char)(1 << bit);
			ck_assert_msg(k8s_state_decode(&st, data, len, "mesh-1", err, sizeof(err)) != 0,
				      "byte %zu bit %d flipped and loaded", i, bit);
			data[i] ^= (char)(1 << bit);
		}
	/* and appended garbage */
	char *more = malloc(len + 1);
	memcpy(more, data, len);
	more[len] = '\n';
	ck_assert_int_ne(k8s_state_decode(&st, more, len + 1, "mesh-1", err, sizeof(err)), 0);
	free(more);
	free(data);
}
END_TEST

/* A well-formed file (valid checksum) with other content. */
static char *with_checksum(const char *body, size_t *len)
{
	char *out = NULL;
	size_t blen = strlen(body);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	ck_assert_int_eq(EVP_Digest(body, blen, md, &mdlen, EVP_sha256(), NULL), 1);
	out = malloc(blen + 8 + 64 + 2);
	memcpy(out, body, blen);
	size_t n = blen + (size_t)sprintf(out + blen, "sha256 ");
	for (unsigned i = 0; i < 32; i++)
		n += (size_t)sprintf(out + n, "%02x", md[i]);
	out[n++] = '\n';
	*len = n;
	return out;
}

START_TEST(test_foreign_version_and_source)
{
	char err[256];
	struct k8s_state *st;
	size_t len;
	char *ok = with_checksum("dnsd-state 1\nsource mesh-1\nsaved-unix 5\nobjects 0\n", &len);
	ck_assert_msg(k8s_state_decode(&st, ok, len, "mesh-1", err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(k8s_state_object_count(st), 0);
	k8s_state_free(st);
	/* another source's file, e.g. after the source was renamed */
	ck_assert_int_eq(k8s_state_decode(&st, ok, len, "mesh-2", err, sizeof(err)), DNSD_EPARSE);
	ck_assert_ptr_nonnull(strstr(err, "mesh-1"));
	free(ok);
	char *v2 = with_checksum("dnsd-state 2\nsource mesh-1\nsaved-unix 5\nobjects 0\n", &len);
	ck_assert_int_eq(k8s_state_decode(&st, v2, len, "mesh-1", err, sizeof(err)), DNSD_ENOTSUP);
	ck_assert_ptr_nonnull(strstr(err, "version 2"));
	free(v2);
	const char *junk = "{\"kind\":\"ServiceEntryList\"}\n";
	ck_assert_int_eq(k8s_state_decode(&st, junk, strlen(junk), "mesh-1", err, sizeof(err)), DNSD_EPARSE);
	/* a valid checksum does not excuse a bad body */
	const char *bodies[] = {
		"dnsd-state 1\nsource mesh-1\nsaved-unix 5\nobjects 2\n{}\n", /* one object short */
		"dnsd-state 1\nsource mesh-1\nsaved-unix 5\nobjects 0\n{}\n", /* one too many */
		"dnsd-state 1\nsource mesh-1\nsaved-unix -5\nobjects 0\n",
		"dnsd-state 1\nsource mesh-1\nsaved-unix 5\ncursor * \nobjects 0\n",
		"dnsd-state 1\nsource mesh-1\nobjects 0\n",
		"dnsd-state 1\nsource mesh-1\nsaved-unix 5\nobjects 1\nnot json\n",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char *f = with_checksum(bodies[i], &len);
		ck_assert_msg(k8s_state_decode(&st, f, len, "mesh-1", err, sizeof(err)) == DNSD_EPARSE,
			      "body %zu", i);
		free(f);
	}
}
END_TEST

START_TEST(test_cursor_and_object_validation)
{
	struct k8s_state *st = k8s_state_new("x");
	ck_assert_int_eq(k8s_state_add_cursor(st, "a b", "1"), DNSD_EINVAL);
	ck_assert_int_eq(k8s_state_add_cursor(st, "*", "1"), DNSD_EINVAL);
	ck_assert_int_eq(k8s_state_add_cursor(st, "ns", "1\n2"), DNSD_EINVAL);
	ck_assert_int_eq(k8s_state_add_cursor(st, "ns", ""), DNSD_EINVAL);
	ck_assert_int_eq(k8s_state_add_object(st, "{}\n{}", 5), DNSD_EINVAL);
	ck_assert_uint_eq(k8s_state_cursor_count(st), 0);
	ck_assert_uint_eq(k8s_state_object_count(st), 0);
	k8s_state_free(st);
	char path[64];
	ck_assert_int_eq(k8s_state_path(path, sizeof(path), "/d", "../a b"), 0);
	ck_assert_str_eq(path, "/d/%2E.%2Fa%20b.state");
	ck_assert_int_eq(k8s_state_path(path, 10, "/d", "mesh-1"), DNSD_ERANGE);
}
END_TEST

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/dnsd-state-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static size_t count_tmp_files(void)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp"))
			n++;
	if (d)
		closedir(d);
	return n;
}

START_TEST(test_save_and_load)
{
	make_dir();
	char err[512];
	struct k8s_state *got;
	ck_assert_int_eq(k8s_state_load(&got, dir, "mesh-1", err, sizeof(err)), DNSD_ENOENT);
	size_t count;
	struct k8s_state *st = fixture_state(&count);
	ck_assert_msg(k8s_state_save(st, dir, 1733000001, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(count_tmp_files(), 0);
	/* a leftover temporary file from a crash is removed by the next load */
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s/.mesh-1.state.999999.tmp", dir);
	int fd = open(tmp, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "dnsd-st", 7), 7);
	close(fd);
	ck_assert_msg(k8s_state_load(&got, dir, "mesh-1", err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(count_tmp_files(), 0);
	ck_assert_uint_eq(k8s_state_object_count(got), count);
	ck_assert_int_eq(k8s_state_saved_unix(got), 1733000001);
	k8s_state_free(got);
	/* the file is private */
	char path[256];
	ck_assert_int_eq(k8s_state_path(path, sizeof(path), dir, "mesh-1"), 0);
	struct stat sb;
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	/* another source's name does not find it */
	ck_assert_int_eq(k8s_state_load(&got, dir, "mesh-2", err, sizeof(err)), DNSD_ENOENT);
	/* a corrupted file is refused with its path and the reason */
	fd = open(path, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, "X", 1, 100), 1);
	close(fd);
	ck_assert_int_eq(k8s_state_load(&got, dir, "mesh-1", err, sizeof(err)), DNSD_EPARSE);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "checksum"));
	/* no folder: an I/O error, not a crash */
	char missing[128];
	snprintf(missing, sizeof(missing), "%s/nope", dir);
	ck_assert_int_eq(k8s_state_save(st, missing, 1, err, sizeof(err)), DNSD_EIO);
	k8s_state_free(st);
	remove_dir();
}
END_TEST

/* Two distinguishable states of n objects each: generation g's objects
 * carry g in their name. */
static struct k8s_state *generation_state(unsigned g, size_t n)
{
	struct k8s_state *st = k8s_state_new("mesh-1");
	char rv[32];
	snprintf(rv, sizeof(rv), "%u", g);
	ck_assert_int_eq(k8s_state_add_cursor(st, NULL, rv), 0);
	for (size_t i = 0; i < n; i++) {
		char line[256];
		int len = snprintf(
			line, sizeof(line),
			"{\"metadata\":{\"name\":\"gen%u-%zu\",\"namespace\":\"ns\"},\"spec\":{\"hosts\":"
			"[\"svc-%zu.ns.global\"],\"addresses\":[\"240.0.%u.%zu\"]}}",
			g, i, i, g, i % 250);
		ck_assert_int_eq(k8s_state_add_object(st, line, (size_t)len), 0);
	}
	return st;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* A child saves generation 1 and 2 alternately, as fast as it can, and tells
 * the parent after each completed save; the parent kills it with SIGKILL at
 * a random moment. Whatever the moment, the file then loads as exactly one
 * whole generation. Bounded: at most 60 kills and 60 s. */
START_TEST(test_kill_during_writes)
{
	make_dir();
	const size_t n = 10000; /* ~1 MB: a save takes long enough to be hit */
	struct k8s_state *gen[3] = { NULL, generation_state(1, n), generation_state(2, n) };
	unsigned iterations = 0, mid_write = 0;
	uint64_t deadline = now_us() + 60u * 1000000u;
	srand((unsigned)getpid());
	while (iterations < 60 && now_us() < deadline) {
		int pfd[2];
		ck_assert_int_eq(pipe(pfd), 0);
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(pfd[0]);
			char err[512];
			for (unsigned i = 0;; i++) {
				if (k8s_state_save(gen[1 + i % 2], dir, 1733000000 + i, err, sizeof(err)) !=
				    0)
					_exit(2);
				if (write(pfd[1], "s", 1) != 1)
					_exit(3);
			}
		}
		close(pfd[1]);
		/* after the first save completed (a previous file exists), kill it
		 * once the next write has begun (its temporary file exists), at a
		 * random point in it */
		char c;
		ck_assert_int_eq(read(pfd[0], &c, 1), 1);
		/* how long one save takes on this machine (a fixed random delay
		 * missed most writes on a fast machine: 28 of 60 at 83a1192) */
		uint64_t t0 = now_us();
		ck_assert_int_eq(read(pfd[0], &c, 1), 1);
		uint64_t save_us = now_us() - t0;
		uint64_t spin_end = now_us() + 2000000;
		while (count_tmp_files() == 0 && now_us() < spin_end)
			;
		/* a random point within the first quarter of the write begun */
		usleep((useconds_t)(rand() % (save_us / 4 + 1)));
		kill(pid, SIGKILL);
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status), "the writer exited by itself (status %d)", status);
		close(pfd[0]);
		if (count_tmp_files() > 0)
			mid_write++; /* killed during a write */
		struct k8s_state *got;
		char err[512];
		ck_assert_msg(k8s_state_load(&got, dir, "mesh-1", err, sizeof(err)) == 0, "iteration %u: %s",
			      iterations, err);
		ck_assert_uint_eq(k8s_state_object_count(got), n);
		const char *rv = k8s_state_cursor_resource_version(got, 0);
		unsigned g = rv[0] == '1' ? 1 : 2;
		ck_assert(strcmp(rv, "1") == 0 || strcmp(rv, "2") == 0);
		/* every object of the same generation as the cursor */
		for (size_t i = 0; i < n; i += 97) {
			size_t len, want_len;
			const char *o = k8s_state_object_at(got, i, &len);
			const char *w = k8s_state_object_at(gen[g], i, &want_len);
			ck_assert_uint_eq(len, want_len);
			ck_assert_int_eq(memcmp(o, w, len), 0);
		}
		k8s_state_free(got);
		iterations++;
	}
	/* the test means something only if kills landed inside writes */
	ck_assert_msg(mid_write >= iterations / 2, "only %u of %u kills hit a write", mid_write, iterations);
	fprintf(stderr, "test_kill_during_writes: %u kills, %u during a write\n", iterations, mid_write);
	k8s_state_free(gen[1]);
	k8s_state_free(gen[2]);
	remove_dir();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("k8s_state");
	TCase *tc = tcase_create("format");
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_string_escapes_round_trip);
	tcase_add_test(tc, test_every_truncation_refused);
	tcase_add_test(tc, test_every_bit_flip_refused);
	tcase_add_test(tc, test_foreign_version_and_source);
	tcase_add_test(tc, test_cursor_and_object_validation);
	suite_add_tcase(s, tc);
	TCase *files = tcase_create("files");
	tcase_set_timeout(files, 120);
	tcase_add_test(files, test_save_and_load);
	tcase_add_test(files, test_kill_during_writes);
	suite_add_tcase(s, files);
	return s;
}
