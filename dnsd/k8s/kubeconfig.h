/* SPDX-License-Identifier: BSD-3-Clause
 * kubeconfig.h - where and how to reach one API server: a kubeconfig file
 * (libyaml) or the in-cluster service account. Loading only. */
#ifndef DNSD_KUBECONFIG_H
#define DNSD_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest kubeconfig, CA, client certificate or key file read, and the
 * largest token file (file.h refuses bigger ones, and non-regular files). */
#define K8S_AUTH_FILE_MAX (1u << 20)
#define K8S_TOKEN_FILE_MAX 16383u

/* Everything a client needs; every string is owned (NULL = absent). */
struct k8s_auth {
	char name[128]; /* the source's name, for log lines (set by the caller) */
	char *server;   /* "https://10.0.0.1:6443/prefix" */
	bool is_tls;
	char host[256]; /* without brackets */
	uint16_t port;
	char base_path[256];        /* "" or "/prefix" (no trailing slash) */
	char *ca_file;              /* PEM file, or */
	char *ca_pem;               /* PEM text (certificate-authority-data, decoded) */
	char *tls_server_name;      /* name to verify instead of host */
	bool is_insecure;           /* insecure-skip-tls-verify: true, only when set */
	char *token;                /* bearer token given inline */
	char *token_file;           /* re-read every minute and after a 401 */
	char *cert_file, *cert_pem; /* client certificate */
	char *key_file, *key_pem;   /* client key */
};

/* Reads path; context NULL or "" = current-context. Relative file paths in
 * the kubeconfig are relative to its directory. exec and auth-provider users
 * are refused (DNSD_ENOTSUP). On failure err says file:line:column where
 * known, and the key. */
int kubeconfig_load(struct k8s_auth *out, const char *path, const char *context, char *err, size_t errlen);

/* KUBERNETES_SERVICE_HOST/PORT plus the service account's token and ca.crt
 * under /var/run/secrets/kubernetes.io/serviceaccount (or the directory in
 * $DNSD_SERVICEACCOUNT_DIR, for tests). */
int k8s_auth_in_cluster(struct k8s_auth *out, char *err, size_t errlen);

void k8s_auth_clear(struct k8s_auth *a);

/* "https://host:port/path" -> parts; IPv6 hosts in brackets. Default port
 * 443 for https, 80 for http. */
int k8s_url_parse(struct k8s_auth *a, const char *url);

/* RFC 4648 base64 (padding required, whitespace ignored); returns a NUL
 * terminated buffer (caller frees) and its length, or NULL when invalid. */
char *k8s_base64_decode(const char *text, size_t *len);

#endif
