/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_state.c - a Kubernetes source's last known state: file format, atomic
 * writer, strict reader. No threads; blocking file I/O. */
#include "k8s/k8s_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/array.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/file.h"

#define SHA256_LEN 32
#define MAGIC "dnsd-state "
#define SUFFIX ".state"

/* ---------- appending to a util/buf, the first failure kept ---------- */

struct out {
	struct buf b;
	int rc; /* the first append that failed, else 0 */
};

static void out_add(struct out *o, const void *data, size_t len)
{
	if (o->rc == 0)
		o->rc = buf_append(&o->b, data, len);
}

static void out_str(struct out *o, const char *s) { out_add(o, s, strlen(s)); }
static void out_byte(struct out *o, char c) { out_add(o, &c, 1); }

/* ---------- the in-memory state ---------- */

struct cursor {
	char *namespace_; /* NULL = all namespaces */
	char *resource_version;
};

struct object_line {
	size_t off, len; /* in text */
};

struct k8s_state {
	char *source;
	int64_t saved_unix;
	struct cursor *cursors;
	size_t cursor_count;
	struct buf text; /* the object lines, back to back */
	struct object_line *lines;
	size_t line_count, line_cap;
};

struct k8s_state *k8s_state_new(const char *source)
{
	struct k8s_state *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	buf_init(&st->text, K8S_STATE_FILE_MAX);
	st->source = strdup(source);
	if (!st->source) {
		free(st);
		return NULL;
	}
	return st;
}

void k8s_state_free(struct k8s_state *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->cursor_count; i++) {
		free(st->cursors[i].namespace_);
		free(st->cursors[i].resource_version);
	}
	free(st->cursors);
	buf_clear(&st->text);
	free(st->lines);
	free(st->source);
	free(st);
}

/* A word of the header: non-empty, printable, no blanks. */
static bool is_word(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7F)
			return false;
	return true;
}

int k8s_state_add_cursor(struct k8s_state *st, const char *namespace_, const char *resource_version)
{
	if ((namespace_ && (!is_word(namespace_, strlen(namespace_)) || strcmp(namespace_, "*") == 0)) ||
	    !resource_version || !is_word(resource_version, strlen(resource_version)))
		return DNSD_EINVAL;
	struct cursor *c = realloc(st->cursors, (st->cursor_count + 1) * sizeof(*c));
	if (!c)
		return DNSD_ENOMEM;
	st->cursors = c;
	c = &st->cursors[st->cursor_count];
	c->namespace_ = namespace_ ? strdup(namespace_) : NULL;
	c->resource_version = strdup(resource_version);
	if ((namespace_ && !c->namespace_) || !c->resource_version) {
		free(c->namespace_);
		free(c->resource_version);
		return DNSD_ENOMEM;
	}
	st->cursor_count++;
	return 0;
}

int k8s_state_add_object(struct k8s_state *st, const char *line, size_t len)
{
	if (len == 0 || memchr(line, '\n', len))
		return DNSD_EINVAL;
	if (ARRAY_RESERVE_ONE(st->lines, &st->line_cap, st->line_count, 64) != 0)
		return DNSD_ENOMEM;
	size_t off = st->text.len;
	int rc = buf_append(&st->text, line, len);
	if (rc != 0)
		return rc;
	st->lines[st->line_count++] = (struct object_line){ off, len };
	return 0;
}

const char *k8s_state_source(const struct k8s_state *st) { return st->source; }
int64_t k8s_state_saved_unix(const struct k8s_state *st) { return st->saved_unix; }
size_t k8s_state_cursor_count(const struct k8s_state *st) { return st->cursor_count; }
size_t k8s_state_object_count(const struct k8s_state *st) { return st->line_count; }

const char *k8s_state_cursor_namespace(const struct k8s_state *st, size_t i)
{
	return st->cursors[i].namespace_;
}

const char *k8s_state_cursor_resource_version(const struct k8s_state *st, size_t i)
{
	return st->cursors[i].resource_version;
}

const char *k8s_state_object_at(const struct k8s_state *st, size_t i, size_t *len)
{
	*len = st->lines[i].len;
	return st->text.data + st->lines[i].off;
}

/* ---------- compact JSON (RFC 8259 §7 escapes; no newline can appear) ---------- */

static void write_string(struct out *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	out_byte(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			out_byte(b, '\\');
			out_byte(b, (char)c);
		} else if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			out_add(b, e, sizeof(e));
		} else {
			out_byte(b, (char)c); /* the parser let only valid UTF-8 in */
		}
	}
	out_byte(b, '"');
}

static bool key_is(const char *key, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(key, want, len) == 0;
}

/* depth 0: the object itself, 1: its members, 2: members of metadata. The
 * members left out are bookkeeping that no record depends on; the parser's
 * depth limit bounds the recursion. */
enum trim { TRIM_NONE, TRIM_ROOT, TRIM_METADATA, TRIM_ANNOTATIONS };

static void write_value(struct out *b, const struct json_value *v, enum trim trim)
{
	switch (json_type(v)) {
	case JSON_NULL:
	case JSON_ELIDED: /* nested too deep to keep (json.h); no record depends on it */
		out_str(b, "null");
		break;
	case JSON_FALSE: out_str(b, "false"); break;
	case JSON_TRUE: out_str(b, "true"); break;
	case JSON_NUMBER: out_str(b, json_number_text(v)); break;
	case JSON_STRING: {
		size_t len;
		const char *s = json_get_string(v, &len);
		write_string(b, s, len);
		break;
	}
	case JSON_ARRAY:
		out_byte(b, '[');
		for (size_t i = 0; i < json_array_count(v); i++) {
			if (i)
				out_byte(b, ',');
			write_value(b, json_array_at(v, i), TRIM_NONE);
		}
		out_byte(b, ']');
		break;
	case JSON_OBJECT: {
		out_byte(b, '{');
		bool is_first = true;
		for (size_t i = 0; i < json_object_count(v); i++) {
			const char *key;
			size_t key_len;
			const struct json_value *m = json_object_at(v, i, &key, &key_len);
			enum trim sub = TRIM_NONE;
			if (trim == TRIM_ROOT && key_is(key, key_len, "metadata"))
				sub = TRIM_METADATA;
			if (trim == TRIM_METADATA && key_is(key, key_len, "managedFields"))
				continue;
			if (trim == TRIM_METADATA && key_is(key, key_len, "annotations"))
				sub = TRIM_ANNOTATIONS;
			if (trim == TRIM_ANNOTATIONS &&
			    key_is(key, key_len, "kubectl.kubernetes.io/last-applied-configuration"))
				continue;
			if (!is_first)
				out_byte(b, ',');
			is_first = false;
			write_string(b, key, key_len);
			out_byte(b, ':');
			write_value(b, m, sub);
		}
		out_byte(b, '}');
		break;
	}
	}
}

int k8s_state_encode_object(char **out, size_t *len, const struct json_value *obj)
{
	if (!obj || json_type(obj) != JSON_OBJECT)
		return DNSD_EINVAL;
	struct out o = { .rc = 0 };
	buf_init(&o.b, K8S_STATE_FILE_MAX);
	write_value(&o, obj, TRIM_ROOT);
	char *text = o.rc == 0 ? buf_take(&o.b, len) : NULL;
	buf_clear(&o.b);
	if (!text)
		return o.rc ? o.rc : DNSD_ENOMEM;
	*out = text;
	return 0;
}

/* ---------- the file ---------- */

static int sha256_hex(char hex[2 * SHA256_LEN + 1], const char *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != SHA256_LEN)
		return DNSD_ENOMEM;
	for (unsigned i = 0; i < SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int k8s_state_encode(const struct k8s_state *st, int64_t saved_unix, char **out, size_t *len)
{
	struct out o = { .rc = 0 };
	buf_init(&o.b, K8S_STATE_FILE_MAX);
	char line[256];
	snprintf(line, sizeof(line), MAGIC "%d\nsource ", K8S_STATE_VERSION);
	out_str(&o, line);
	out_str(&o, st->source);
	snprintf(line, sizeof(line), "\nsaved-unix %" PRId64 "\n", saved_unix);
	out_str(&o, line);
	for (size_t i = 0; i < st->cursor_count; i++) {
		out_str(&o, "cursor ");
		out_str(&o, st->cursors[i].namespace_ ? st->cursors[i].namespace_ : "*");
		out_byte(&o, ' ');
		out_str(&o, st->cursors[i].resource_version);
		out_byte(&o, '\n');
	}
	snprintf(line, sizeof(line), "objects %zu\n", st->line_count);
	out_str(&o, line);
	for (size_t i = 0; i < st->line_count; i++) {
		out_add(&o, st->text.data + st->lines[i].off, st->lines[i].len);
		out_byte(&o, '\n');
	}
	char hex[2 * SHA256_LEN + 1] = "";
	if (o.rc == 0 && sha256_hex(hex, o.b.data, o.b.len) != 0)
		o.rc = DNSD_ENOMEM;
	out_str(&o, "sha256 ");
	out_str(&o, hex);
	out_byte(&o, '\n');
	char *text = o.rc == 0 ? buf_take(&o.b, len) : NULL;
	buf_clear(&o.b);
	if (!text)
		return o.rc ? o.rc : DNSD_ENOMEM;
	*out = text;
	return 0;
}

/* Reads the next line of [*p, end) into (line, line_len) without its '\n'. */
static bool next_line(const char **p, const char *end, const char **line, size_t *line_len)
{
	const char *nl = *p < end ? memchr(*p, '\n', (size_t)(end - *p)) : NULL;
	if (!nl)
		return false;
	*line = *p;
	*line_len = (size_t)(nl - *p);
	*p = nl + 1;
	return true;
}

/* "key value": the value after "key " when line starts so. */
static bool line_value(const char *line, size_t len, const char *key, const char **value, size_t *value_len)
{
	size_t k = strlen(key);
	if (len <= k + 1 || memcmp(line, key, k) != 0 || line[k] != ' ')
		return false;
	*value = line + k + 1;
	*value_len = len - k - 1;
	return true;
}

/* A decimal number of at most 18 digits (no sign, no leading junk). */
static bool parse_count(const char *s, size_t len, uint64_t *out)
{
	if (len == 0 || len > 18)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

static int refuse(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

int k8s_state_decode(struct k8s_state **out, const char *data, size_t len, const char *expect_source,
		     char *err, size_t errlen)
{
	*out = NULL;
	const char *p = data, *end = data + len, *line, *value;
	size_t line_len, value_len;
	/* the version first: another version may checksum differently */
	if (!next_line(&p, end, &line, &line_len) || line_len < strlen(MAGIC) ||
	    memcmp(line, MAGIC, strlen(MAGIC)) != 0)
		return refuse(err, errlen, DNSD_EPARSE, "not a dnsd state file");
	char want[32];
	snprintf(want, sizeof(want), MAGIC "%d", K8S_STATE_VERSION);
	if (line_len != strlen(want) || memcmp(line, want, line_len) != 0)
		return refuse(err, errlen, DNSD_ENOTSUP, "format version %.*s; this dnsd reads version %d",
			      (int)(line_len - strlen(MAGIC) > 16 ? 16 : line_len - strlen(MAGIC)),
			      line + strlen(MAGIC), K8S_STATE_VERSION);
	/* then the checksum, over everything before its line */
	const char *sum_line = NULL;
	if (len >= 2 && data[len - 1] == '\n') {
		const char *q = data + len - 1;
		while (q > data && q[-1] != '\n')
			q--;
		sum_line = q;
	}
	const char *sum;
	size_t sum_len;
	if (!sum_line || sum_line <= data ||
	    !line_value(sum_line, (size_t)(end - 1 - sum_line), "sha256", &sum, &sum_len) ||
	    sum_len != 2 * SHA256_LEN)
		return refuse(err, errlen, DNSD_EPARSE, "truncated: no checksum line at the end");
	char hex[2 * SHA256_LEN + 1];
	if (sha256_hex(hex, data, (size_t)(sum_line - data)) != 0)
		return refuse(err, errlen, DNSD_ENOMEM, "out of memory");
	if (memcmp(hex, sum, sum_len) != 0)
		return refuse(err, errlen, DNSD_EPARSE, "checksum mismatch (corrupted or truncated)");
	end = sum_line;
	/* the content, strictly */
	if (!next_line(&p, end, &line, &line_len) ||
	    !line_value(line, line_len, "source", &value, &value_len))
		return refuse(err, errlen, DNSD_EPARSE, "no source line");
	if (expect_source &&
	    (value_len != strlen(expect_source) || memcmp(value, expect_source, value_len) != 0))
		return refuse(err, errlen, DNSD_EPARSE, "saved for source \"%.*s\", not \"%s\"",
			      (int)(value_len > 64 ? 64 : value_len), value, expect_source);
	char source[256];
	if (value_len >= sizeof(source) || memchr(value, '\0', value_len))
		return refuse(err, errlen, DNSD_EPARSE, "bad source name");
	memcpy(source, value, value_len);
	source[value_len] = '\0';
	uint64_t saved, count;
	if (!next_line(&p, end, &line, &line_len) ||
	    !line_value(line, line_len, "saved-unix", &value, &value_len) ||
	    !parse_count(value, value_len, &saved))
		return refuse(err, errlen, DNSD_EPARSE, "no saved-unix line");
	struct k8s_state *st = k8s_state_new(source);
	if (!st)
		return refuse(err, errlen, DNSD_ENOMEM, "out of memory");
	st->saved_unix = (int64_t)saved;
	int rc = DNSD_EPARSE;
	for (;;) {
		if (!next_line(&p, end, &line, &line_len)) {
			refuse(err, errlen, DNSD_EPARSE, "no objects line");
			goto fail;
		}
		if (!line_value(line, line_len, "cursor", &value, &value_len))
			break;
		const char *sp = memchr(value, ' ', value_len);
		char ns[256], rv[256];
		size_t ns_len = sp ? (size_t)(sp - value) : 0, rv_len = sp ? value_len - ns_len - 1 : 0;
		if (!sp || ns_len >= sizeof(ns) || rv_len >= sizeof(rv) || !is_word(value, ns_len) ||
		    !is_word(sp + 1, rv_len)) {
			refuse(err, errlen, DNSD_EPARSE, "bad cursor line");
			goto fail;
		}
		memcpy(ns, value, ns_len);
		ns[ns_len] = '\0';
		memcpy(rv, sp + 1, rv_len);
		rv[rv_len] = '\0';
		rc = k8s_state_add_cursor(st, strcmp(ns, "*") == 0 ? NULL : ns, rv);
		if (rc != 0) {
			refuse(err, errlen, rc, "bad cursor line");
			goto fail;
		}
		rc = DNSD_EPARSE;
	}
	if (!line_value(line, line_len, "objects", &value, &value_len) ||
	    !parse_count(value, value_len, &count)) {
		refuse(err, errlen, DNSD_EPARSE, "no objects line");
		goto fail;
	}
	for (uint64_t i = 0; i < count; i++) {
		if (!next_line(&p, end, &line, &line_len) || line_len == 0 || line[0] != '{') {
			refuse(err, errlen, DNSD_EPARSE, "object %" PRIu64 " of %" PRIu64 " missing", i + 1,
			       count);
			goto fail;
		}
		rc = k8s_state_add_object(st, line, line_len);
		if (rc != 0) {
			refuse(err, errlen, rc, "out of memory");
			goto fail;
		}
		rc = DNSD_EPARSE;
	}
	if (p != end) {
		refuse(err, errlen, DNSD_EPARSE, "more lines than %" PRIu64 " objects", count);
		goto fail;
	}
	*out = st;
	return 0;
fail:
	k8s_state_free(st);
	return rc;
}

int k8s_state_path(char *out, size_t len, const char *dir, const char *source)
{
	char name[768];
	size_t n = 0;
	for (const unsigned char *s = (const unsigned char *)source; *s; s++) {
		bool is_plain = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
				(*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
				(*s == '.' && s != (const unsigned char *)source);
		if (n + 4 >= sizeof(name))
			return DNSD_ERANGE;
		if (is_plain)
			name[n++] = (char)*s;
		else
			n += (size_t)snprintf(name + n, sizeof(name) - n, "%%%02X", *s);
	}
	name[n] = '\0';
	int w = snprintf(out, len, "%s/%s" SUFFIX, dir, name);
	return w < 0 || (size_t)w >= len ? DNSD_ERANGE : 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int k8s_state_save(const struct k8s_state *st, const char *dir, int64_t saved_unix, char *err, size_t errlen)
{
	char path[4096], tmp[4096 + 32];
	if (k8s_state_path(path, sizeof(path), dir, st->source) != 0)
		return refuse(err, errlen, DNSD_ERANGE, "%s: state path too long", dir);
	/* the temporary file is in the same folder, so rename() is atomic, and
	 * named after this process, so two dnsd sharing the folder do not mix */
	const char *slash = strrchr(path, '/');
	snprintf(tmp, sizeof(tmp), "%.*s/.%s.%ld.tmp", (int)(slash - path), path, slash + 1, (long)getpid());
	char *data = NULL;
	size_t len = 0;
	if (k8s_state_encode(st, saved_unix, &data, &len) != 0)
		return refuse(err, errlen, DNSD_ENOMEM, "%s: out of memory", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		refuse(err, errlen, DNSD_EIO, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		refuse(err, errlen, DNSD_EIO, "%s: %s", tmp, strerror(errno ? errno : EIO));
		close(fd);
		goto fail_unlink;
	}
	if (close(fd) != 0) {
		refuse(err, errlen, DNSD_EIO, "%s: %s", tmp, strerror(errno));
		goto fail_unlink;
	}
	if (rename(tmp, path) != 0) {
		refuse(err, errlen, DNSD_EIO, "rename to %s: %s", path, strerror(errno));
		goto fail_unlink;
	}
	/* the rename itself is durable once the folder is */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(data);
	return 0;
fail_unlink:
	unlink(tmp);
fail:
	free(data);
	return DNSD_EIO;
}

/* Temporary files of source that a crash left in dir: ".<name>.state.<pid>.tmp". */
static void remove_leftovers(const char *dir, const char *path)
{
	const char *base = strrchr(path, '/') + 1;
	size_t base_len = strlen(base);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		size_t len = strlen(n);
		if (n[0] != '.' || len < base_len + 6 || strncmp(n + 1, base, base_len) != 0 ||
		    n[1 + base_len] != '.' || strcmp(n + len - 4, ".tmp") != 0)
			continue;
		char full[4096 + 256];
		snprintf(full, sizeof(full), "%s/%s", dir, n);
		unlink(full);
	}
	closedir(d);
}

int k8s_state_load(struct k8s_state **out, const char *dir, const char *source, char *err, size_t errlen)
{
	*out = NULL;
	char path[4096];
	if (k8s_state_path(path, sizeof(path), dir, source) != 0)
		return refuse(err, errlen, DNSD_ERANGE, "%s: state path too long", dir);
	remove_leftovers(dir, path);
	/* file.h: a regular file of at most K8S_STATE_FILE_MAX, read with errors checked */
	char *data, why[512];
	size_t got;
	int rc = file_read_all(path, O_NOFOLLOW, K8S_STATE_FILE_MAX, &data, &got, why, sizeof(why));
	if (rc != 0)
		return refuse(err, errlen, rc == DNSD_EINVAL || rc == DNSD_ERANGE ? DNSD_EPARSE : rc, "%s",
			      why);
	rc = k8s_state_decode(out, data, got, source, why, sizeof(why));
	free(data);
	if (rc != 0)
		return refuse(err, errlen, rc, "%s: %s", path, why);
	return 0;
}
