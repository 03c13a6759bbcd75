/* SPDX-License-Identifier: BSD-3-Clause
 * kubeconfig.c - kubeconfig files (clusters, contexts, users) and the
 * in-cluster service account, turned into struct k8s_auth. Reads files only:
 * no network, no credential plugins (exec, auth-provider are refused). */
#include "k8s/kubeconfig.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/err.h"
#include "util/file.h"
#include "util/log.h"

#define SERVICEACCOUNT_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

void k8s_auth_clear(struct k8s_auth *a)
{
	free(a->server);
	free(a->ca_file);
	free(a->ca_pem);
	free(a->tls_server_name);
	free(a->token);
	free(a->token_file);
	free(a->cert_file);
	free(a->cert_pem);
	free(a->key_file);
	free(a->key_pem);
	memset(a, 0, sizeof(*a));
}

int k8s_url_parse(struct k8s_auth *a, const char *url)
{
	const char *p;
	if (strncmp(url, "https://", 8) == 0) {
		a->is_tls = true;
		a->port = 443;
		p = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		a->is_tls = false;
		a->port = 80;
		p = url + 7;
	} else {
		return DNSD_EINVAL;
	}
	const char *host_end;
	const char *after;
	if (*p == '[') {
		host_end = strchr(p, ']');
		if (!host_end)
			return DNSD_EINVAL;
		p++;
		after = host_end + 1;
	} else {
		host_end = p + strcspn(p, ":/");
		after = host_end;
	}
	size_t hl = (size_t)(host_end - p);
	if (hl == 0 || hl >= sizeof(a->host))
		return DNSD_EINVAL;
	memcpy(a->host, p, hl);
	a->host[hl] = '\0';
	if (*after == ':') {
		char *end;
		long port = strtol(after + 1, &end, 10);
		if (end == after + 1 || port < 1 || port > 65535 || (*end && *end != '/'))
			return DNSD_EINVAL;
		a->port = (uint16_t)port;
		after = end;
	}
	size_t pl = strlen(after);
	while (pl > 0 && after[pl - 1] == '/')
		pl--;
	if (pl >= sizeof(a->base_path) || (pl > 0 && after[0] != '/'))
		return DNSD_EINVAL;
	memcpy(a->base_path, after, pl);
	a->base_path[pl] = '\0';
	return 0;
}

char *k8s_base64_decode(const char *text, size_t *len)
{
	size_t n = strlen(text);
	char *clean = malloc(n + 1);
	char *out = malloc(n / 4 * 3 + 4);
	if (!clean || !out)
		goto fail;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (text[i] != '\n' && text[i] != '\r' && text[i] != ' ' && text[i] != '\t')
			clean[m++] = text[i];
	if (m % 4 != 0)
		goto fail;
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < m; i += 4) {
		uint32_t v = 0;
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			char c = clean[i + k];
			const char *pos = c ? strchr(alphabet, c) : NULL;
			if (c == '=' && i + 4 == m && k >= 2) {
				pad++;
				v <<= 6;
				continue;
			}
			if (!pos || pad)
				goto fail;
			v = v << 6 | (uint32_t)(pos - alphabet);
		}
		out[o++] = (char)(v >> 16);
		if (pad < 2)
			out[o++] = (char)(v >> 8);
		if (pad < 1)
			out[o++] = (char)v;
	}
	out[o] = '\0';
	free(clean);
	*len = o;
	return out;
fail:
	free(clean);
	free(out);
	return NULL;
}

/* ---------- a small view over a libyaml document ---------- */

struct kc {
	yaml_document_t doc;
	const char *path;
	char dir[PATH_MAX];
	char *err;
	size_t errlen;
};

static yaml_node_t *node(struct kc *k, int id) { return yaml_document_get_node(&k->doc, id); }

static int fail_at(struct kc *k, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct kc *k, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		snprintf(k->err, k->errlen, "%s:%zu:%zu: %s", k->path, n->start_mark.line + 1,
			 n->start_mark.column + 1, msg);
	else
		snprintf(k->err, k->errlen, "%s: %s", k->path, msg);
	return DNSD_EINVAL;
}

static yaml_node_t *map_get(struct kc *k, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(k, p->key);
		if (kn && kn->type == YAML_SCALAR_NODE && strcmp((char *)kn->data.scalar.value, key) == 0)
			return node(k, p->value);
	}
	return NULL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* The entry of a named list (clusters, contexts, users) whose name matches. */
static yaml_node_t *named_entry(struct kc *k, const char *list, const char *name, const char *inner)
{
	yaml_node_t *seq = map_get(k, yaml_document_get_root_node(&k->doc), list);
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++) {
		yaml_node_t *e = node(k, *i);
		const char *n = scalar(map_get(k, e, "name"));
		if (n && strcmp(n, name) == 0)
			return map_get(k, e, inner);
	}
	return NULL;
}

/* A file path from the kubeconfig, resolved against its directory. */
static char *resolve(struct kc *k, const char *p)
{
	if (!p || !*p)
		return NULL;
	if (p[0] == '/')
		return strdup(p);
	size_t n = strlen(k->dir) + strlen(p) + 2;
	char *out = malloc(n);
	if (out)
		snprintf(out, n, "%s/%s", k->dir, p);
	return out;
}

static int take_data(struct kc *k, yaml_node_t *parent, const char *key, char **out)
{
	yaml_node_t *n = map_get(k, parent, key);
	const char *s = scalar(n);
	if (!s)
		return 0;
	size_t len;
	*out = k8s_base64_decode(s, &len);
	if (!*out)
		return fail_at(k, n, "%s is not valid base64", key);
	return 0;
}

/* Reads and parses the file into k->doc (freed by the caller with
 * yaml_document_delete() on success only), and notes its directory. */
static int kc_read(struct kc *k)
{
	char *text;
	size_t len;
	int rc = file_read_all(k->path, 0, K8S_AUTH_FILE_MAX, &text, &len, k->err, k->errlen);
	if (rc != 0)
		return rc;
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", k->path);
	snprintf(k->dir, sizeof(k->dir), "%s", dirname(tmp));
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &k->doc)) {
		snprintf(k->err, k->errlen, "%s:%zu:%zu: %s", k->path, parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1, parser.problem ? parser.problem : "YAML error");
		rc = DNSD_EPARSE;
	}
	yaml_parser_delete(&parser);
	free(text);
	return rc;
}

/* The files the kubeconfig names must be regular files (file.h) when they
 * exist: a FIFO or a directory would hang or fail the client much later. A
 * missing one is the client's to report (a token file may appear later). */
static int kc_check_files(struct kc *k, const struct k8s_auth *a)
{
	const struct {
		const char *key, *path;
		size_t max_len;
	} files[] = {
		{ "certificate-authority", a->ca_file, K8S_AUTH_FILE_MAX },
		{ "client-certificate", a->cert_file, K8S_AUTH_FILE_MAX },
		{ "client-key", a->key_file, K8S_AUTH_FILE_MAX },
		{ "tokenFile", a->token_file, K8S_TOKEN_FILE_MAX },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!files[i].path)
			continue;
		char why[512];
		int rc = file_check_regular(files[i].path, files[i].max_len, why, sizeof(why));
		if (rc != 0 && rc != DNSD_ENOENT) {
			snprintf(k->err, k->errlen, "%s: %s: %s", k->path, files[i].key, why);
			return rc;
		}
	}
	return 0;
}

/* The cluster entry: server URL, CA (inline data wins over the file, as in
 * client-go), tls-server-name, insecure-skip-tls-verify. */
static int kc_take_cluster(struct kc *k, yaml_node_t *cluster, const char *cluster_name, struct k8s_auth *out)
{
	yaml_node_t *server = map_get(k, cluster, "server");
	if (!scalar(server) || k8s_url_parse(out, scalar(server)) != 0)
		return fail_at(k, server ? server : cluster, "cluster '%s': server is not an http(s) URL",
			       cluster_name);
	out->server = strdup(scalar(server));
	out->ca_file = resolve(k, scalar(map_get(k, cluster, "certificate-authority")));
	int rc = take_data(k, cluster, "certificate-authority-data", &out->ca_pem);
	if (rc != 0)
		return rc;
	if (out->ca_pem) {
		free(out->ca_file);
		out->ca_file = NULL;
	}
	const char *tsn = scalar(map_get(k, cluster, "tls-server-name"));
	out->tls_server_name = tsn && *tsn ? strdup(tsn) : NULL;
	const char *insecure = scalar(map_get(k, cluster, "insecure-skip-tls-verify"));
	out->is_insecure = insecure && strcmp(insecure, "true") == 0;
	return 0;
}

/* The user entry: a token, a token file, or a client certificate and key
 * (files or inline data). Credential plugins are refused. */
static int kc_take_user(struct kc *k, yaml_node_t *user, const char *user_name, struct k8s_auth *out)
{
	if (map_get(k, user, "exec") || map_get(k, user, "auth-provider")) {
		snprintf(k->err, k->errlen,
			 "%s: user %s: exec and auth-provider credential plugins are not "
			 "supported; use a token, tokenFile or client certificate",
			 k->path, user_name);
		return DNSD_ENOTSUP;
	}
	const char *token = scalar(map_get(k, user, "token"));
	out->token = token && *token ? strdup(token) : NULL;
	out->token_file = resolve(k, scalar(map_get(k, user, "tokenFile")));
	out->cert_file = resolve(k, scalar(map_get(k, user, "client-certificate")));
	out->key_file = resolve(k, scalar(map_get(k, user, "client-key")));
	int rc = take_data(k, user, "client-certificate-data", &out->cert_pem);
	if (rc == 0)
		rc = take_data(k, user, "client-key-data", &out->key_pem);
	return rc;
}

/* The context to use, then its cluster and user, then the checks that need
 * both (https needs a CA unless verification is off). */
static int kc_take_context(struct kc *k, const char *context, struct k8s_auth *out)
{
	yaml_node_t *root = yaml_document_get_root_node(&k->doc);
	if (!root || root->type != YAML_MAPPING_NODE)
		return fail_at(k, root, "%s", "not a kubeconfig (expected a mapping)");
	const char *ctx_name = context && *context ? context : scalar(map_get(k, root, "current-context"));
	if (!ctx_name)
		return fail_at(k, root, "%s", "no context given and no current-context");
	yaml_node_t *ctx = named_entry(k, "contexts", ctx_name, "context");
	if (!ctx)
		return fail_at(k, map_get(k, root, "contexts"), "context '%s' not found", ctx_name);
	const char *cluster_name = scalar(map_get(k, ctx, "cluster"));
	const char *user_name = scalar(map_get(k, ctx, "user"));
	yaml_node_t *cluster = cluster_name ? named_entry(k, "clusters", cluster_name, "cluster") : NULL;
	if (!cluster)
		return fail_at(k, ctx, "cluster '%s' not found", cluster_name ? cluster_name : "");
	int rc = kc_take_cluster(k, cluster, cluster_name, out);
	if (rc != 0)
		return rc;
	yaml_node_t *user = user_name ? named_entry(k, "users", user_name, "user") : NULL;
	/* a user entry without a user: mapping is a user without credentials */
	if (user_name && !user && !named_entry(k, "users", user_name, "name"))
		return fail_at(k, ctx, "user '%s' not found", user_name);
	if (user && (rc = kc_take_user(k, user, user_name, out)) != 0)
		return rc;
	if (out->is_tls && !out->ca_file && !out->ca_pem && !out->is_insecure)
		return fail_at(k, cluster,
			       "cluster '%s': https without certificate-authority(-data); set one "
			       "(or insecure-skip-tls-verify: true)",
			       cluster_name);
	if (!out->is_tls && (out->token || out->token_file))
		log_warn("%s: server %s is plain http: the bearer token will not be sent (use https)",
			 k->path, out->server);
	return 0;
}

int kubeconfig_load(struct k8s_auth *out, const char *path, const char *context, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	struct kc k = { .path = path, .err = err, .errlen = errlen };
	int rc = kc_read(&k);
	if (rc != 0)
		return rc;
	rc = kc_take_context(&k, context, out);
	if (rc == 0)
		rc = kc_check_files(&k, out);
	yaml_document_delete(&k.doc);
	if (rc != 0)
		k8s_auth_clear(out);
	return rc;
}

int k8s_auth_in_cluster(struct k8s_auth *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	if (!host || !*host || !port || !*port) {
		snprintf(err, errlen,
			 "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set "
			 "(not running in a pod?)");
		return DNSD_ENOENT;
	}
	const char *dir = getenv("DNSD_SERVICEACCOUNT_DIR");
	if (!dir || !*dir)
		dir = SERVICEACCOUNT_DIR;
	char url[512];
	/* an IPv6 service host must be bracketed in the URL */
	if (strchr(host, ':'))
		snprintf(url, sizeof(url), "https://[%s]:%s", host, port);
	else
		snprintf(url, sizeof(url), "https://%s:%s", host, port);
	if (k8s_url_parse(out, url) != 0) {
		snprintf(err, errlen, "in-cluster: bad service address %s", url);
		return DNSD_EINVAL;
	}
	char path[PATH_MAX];
	out->server = strdup(url);
	snprintf(path, sizeof(path), "%s/token", dir);
	out->token_file = strdup(path);
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	out->ca_file = strdup(path);
	char why[512];
	int rc = file_check_regular(out->token_file, K8S_TOKEN_FILE_MAX, why, sizeof(why));
	if (rc == 0) {
		/* a missing ca.crt is the TLS setup's to report, a FIFO is not */
		rc = file_check_regular(out->ca_file, K8S_AUTH_FILE_MAX, why, sizeof(why));
		rc = rc == DNSD_ENOENT ? 0 : rc;
	}
	if (rc != 0) {
		snprintf(err, errlen, "in-cluster: %s", why);
		k8s_auth_clear(out);
		return rc;
	}
	return 0;
}
