/* SPDX-License-Identifier: BSD-3-Clause
 * xfr_policy.c - transfer access and notify targets per view and zone. */
#include "zone/xfr_policy.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "zone/view.h"

struct xfr_policy *xfr_policy_new(size_t view_count, size_t journal_limit_bytes)
{
	struct xfr_policy *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	atomic_init(&p->refs, 1);
	p->view_count = view_count;
	p->journal_limit_bytes = journal_limit_bytes;
	p->view_keys = calloc(view_count ? view_count : 1, sizeof(*p->view_keys));
	p->view_key_count = calloc(view_count ? view_count : 1, sizeof(*p->view_key_count));
	if (!p->view_keys || !p->view_key_count) {
		xfr_policy_unref(p);
		return NULL;
	}
	return p;
}

void xfr_policy_ref(struct xfr_policy *p) { atomic_fetch_add(&p->refs, 1); }

void xfr_policy_unref(struct xfr_policy *p)
{
	if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	/* the secrets do not outlive the policy in freed memory */
	if (p->keys)
		memset(p->keys, 0, p->key_count * sizeof(*p->keys));
	free(p->keys);
	for (size_t i = 0; p->view_keys && i < p->view_count; i++)
		free(p->view_keys[i]);
	free(p->view_keys);
	free(p->view_key_count);
	for (size_t i = 0; i < p->zone_count; i++) {
		free(p->zones[i].allow);
		free(p->zones[i].allow_keys);
		free(p->zones[i].notify);
	}
	free(p->zones);
	free(p);
}

int xfr_policy_find_key(const struct xfr_policy *p, const uint8_t *name, size_t len)
{
	for (size_t i = 0; p && i < p->key_count; i++)
		if (p->keys[i].name_len == len && memcmp(p->keys[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static int key_by_text(const struct xfr_policy *p, const char *name)
{
	uint8_t wire[DNAME_MAX_LEN];
	int n = dname_from_text(wire, name);
	if (n < 0)
		return -1;
	dname_lower(wire, wire, (size_t)n);
	return xfr_policy_find_key(p, wire, (size_t)n);
}

int xfr_policy_add_key(struct xfr_policy *p, const struct tsig_key *key)
{
	if (xfr_policy_find_key(p, key->name, key->name_len) >= 0)
		return DNSD_EEXIST;
	struct tsig_key *k = realloc(p->keys, (p->key_count + 1) * sizeof(*k));
	if (!k)
		return DNSD_ENOMEM;
	p->keys = k;
	p->keys[p->key_count++] = *key;
	return 0;
}

int xfr_policy_add_view_key(struct xfr_policy *p, size_t view, const char *key_name)
{
	int k = key_by_text(p, key_name);
	if (k < 0 || view >= p->view_count)
		return DNSD_ENOENT;
	int *a = realloc(p->view_keys[view], (p->view_key_count[view] + 1) * sizeof(*a));
	if (!a)
		return DNSD_ENOMEM;
	a[p->view_key_count[view]++] = k;
	p->view_keys[view] = a;
	return 0;
}

struct xfr_zone_policy *xfr_policy_zone_add(struct xfr_policy *p, size_t view, const uint8_t *apex)
{
	size_t len = dname_len(apex);
	uint8_t lower[DNAME_MAX_LEN];
	dname_lower(lower, apex, len);
	struct xfr_zone_policy *z = (struct xfr_zone_policy *)xfr_policy_zone(p, view, lower, len);
	if (z)
		return z;
	z = realloc(p->zones, (p->zone_count + 1) * sizeof(*z));
	if (!z)
		return NULL;
	p->zones = z;
	z = &p->zones[p->zone_count++];
	memset(z, 0, sizeof(*z));
	z->view = view;
	memcpy(z->apex, lower, len);
	z->apex_len = (uint8_t)len;
	z->is_default_allow = true;
	return z;
}

int xfr_policy_zone_allow(struct xfr_policy *p, struct xfr_zone_policy *z, const char *entry)
{
	z->is_default_allow = false;
	if (strcmp(entry, "none") == 0)
		return 0;
	if (strncmp(entry, "key ", 4) == 0) {
		int k = key_by_text(p, entry + 4);
		if (k < 0)
			return DNSD_ENOENT;
		int *a = realloc(z->allow_keys, (z->allow_key_count + 1) * sizeof(*a));
		if (!a)
			return DNSD_ENOMEM;
		a[z->allow_key_count++] = k;
		z->allow_keys = a;
		return 0;
	}
	struct config_prefix pre;
	int rc = config_prefix_parse(&pre, entry);
	if (rc != 0)
		return rc;
	struct config_prefix *a = realloc(z->allow, (z->allow_count + 1) * sizeof(*a));
	if (!a)
		return DNSD_ENOMEM;
	a[z->allow_count++] = pre;
	z->allow = a;
	return 0;
}

int xfr_policy_zone_notify(struct xfr_policy *p, struct xfr_zone_policy *z, const char *entry)
{
	char addr[80];
	const char *sp = strchr(entry, ' ');
	size_t alen = sp ? (size_t)(sp - entry) : strlen(entry);
	if (alen >= sizeof(addr))
		return DNSD_EINVAL;
	memcpy(addr, entry, alen);
	addr[alen] = '\0';
	int key = -1;
	if (sp) {
		while (*sp == ' ')
			sp++;
		if (strncmp(sp, "key ", 4) != 0)
			return DNSD_EINVAL;
		key = key_by_text(p, sp + 4);
		if (key < 0)
			return DNSD_ENOENT;
	}
	struct config_addr ca;
	int rc = config_addr_parse(&ca, addr);
	if (rc != 0)
		return rc;
	struct xfr_notify_target *t = realloc(z->notify, (z->notify_count + 1) * sizeof(*t));
	if (!t)
		return DNSD_ENOMEM;
	z->notify = t;
	t = &z->notify[z->notify_count++];
	memset(t, 0, sizeof(*t));
	memcpy(&t->addr, &ca.ss, ca.sslen);
	t->addr_len = ca.sslen;
	t->key = key;
	snprintf(t->text, sizeof(t->text), "%s", entry);
	return 0;
}

int xfr_policy_view_for_key(const struct xfr_policy *p, int key)
{
	for (size_t v = 0; p && v < p->view_count; v++)
		for (size_t i = 0; i < p->view_key_count[v]; i++)
			if (p->view_keys[v][i] == key)
				return (int)v;
	return -1;
}

bool xfr_policy_view_has_keys(const struct xfr_policy *p, size_t view)
{
	return p && view < p->view_count && p->view_key_count[view] > 0;
}

const struct xfr_zone_policy *xfr_policy_zone(const struct xfr_policy *p, size_t view, const uint8_t *apex,
					      size_t apex_len)
{
	for (size_t i = 0; p && i < p->zone_count; i++) {
		const struct xfr_zone_policy *z = &p->zones[i];
		if (z->view == view && z->apex_len == apex_len && memcmp(z->apex, apex, apex_len) == 0)
			return z;
	}
	return NULL;
}

/* The client's address as family + bytes. */
static bool client_bytes(const struct sockaddr *sa, int *family, uint8_t *out)
{
	if (sa->sa_family == AF_INET) {
		*family = AF_INET;
		memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			*family = AF_INET;
			memcpy(out, a->s6_addr + 12, 4);
		} else {
			*family = AF_INET6;
			memcpy(out, a->s6_addr, 16);
		}
		return true;
	}
	return false;
}

bool xfr_policy_allows(const struct xfr_zone_policy *z, const struct sockaddr *client, int key)
{
	int family;
	uint8_t addr[16];
	if (!client_bytes(client, &family, addr))
		return false;
	if (!z || z->is_default_allow) {
		static const uint8_t v6_loopback[16] = { [15] = 1 };
		return family == AF_INET ? addr[0] == 127 : memcmp(addr, v6_loopback, 16) == 0;
	}
	for (size_t i = 0; key >= 0 && i < z->allow_key_count; i++)
		if (z->allow_keys[i] == key)
			return true;
	/* prefixes in order, first match decides ("!prefix" excludes) */
	for (size_t i = 0; i < z->allow_count; i++)
		if (config_prefix_match(&z->allow[i], family, addr, family == AF_INET ? 32 : 128))
			return !z->allow[i].is_negated;
	return false;
}

/* Does view v (of cfg) serve zone entry cz? */
static bool view_serves(const struct config *cfg, size_t v, const char *view_name,
			const struct config_zone *cz)
{
	if (!config_zone_in_view(cz, view_name))
		return false;
	if (cfg->views_count == 0)
		return true;
	const struct config_view *cv = &cfg->views[v];
	for (size_t i = 0; i < cv->zones_count; i++)
		if (strcmp(cv->zones[i], cz->name) == 0)
			return true;
	return false;
}

struct xfr_policy *xfr_policy_from_config(const struct config *cfg, const struct view_table *views, char *err,
					  size_t errlen)
{
	struct xfr_policy *p = xfr_policy_new(views->count, cfg->journal_size);
	if (!p)
		goto oom;
	for (size_t i = 0; i < cfg->tsig_keys_count; i++) {
		const struct config_tsig_key *ck = &cfg->tsig_keys[i];
		struct tsig_key k;
		int rc = tsig_key_init(&k, ck->name, ck->algorithm, ck->secret ? ck->secret : "");
		if (rc == 0)
			rc = xfr_policy_add_key(p, &k);
		memset(&k, 0, sizeof(k));
		if (rc != 0) {
			snprintf(err, errlen, "%s:%d: tsig key %s: %s", cfg->path ? cfg->path : "config",
				 ck->line, ck->name, dnsd_strerror(rc));
			goto fail;
		}
	}
	for (size_t v = 0; v < views->count && v < cfg->views_count; v++)
		for (size_t j = 0; j < cfg->views[v].match_keys_count; j++)
			if (xfr_policy_add_view_key(p, v, cfg->views[v].match_keys[j]) != 0) {
				snprintf(err, errlen, "%s:%d: view %s: unknown key %s",
					 cfg->path ? cfg->path : "config", cfg->views[v].line,
					 cfg->views[v].name, cfg->views[v].match_keys[j]);
				goto fail;
			}
	for (size_t i = 0; i < cfg->zones_count; i++) {
		const struct config_zone *cz = &cfg->zones[i];
		uint8_t apex[DNAME_MAX_LEN];
		if (dname_from_text(apex, cz->name) < 0)
			continue; /* the catalog reports it */
		for (size_t v = 0; v < views->count; v++) {
			if (!view_serves(cfg, v, views->views[v].name, cz))
				continue;
			struct xfr_zone_policy *z = xfr_policy_zone_add(p, v, apex);
			if (!z)
				goto oom;
			int rc = 0;
			const char *bad = NULL;
			for (size_t j = 0; rc == 0 && j < cz->allow_transfer_count; j++)
				if ((rc = xfr_policy_zone_allow(p, z, cz->allow_transfer[j])) != 0)
					bad = cz->allow_transfer[j];
			for (size_t j = 0; rc == 0 && j < cz->notify_count; j++)
				if ((rc = xfr_policy_zone_notify(p, z, cz->notify[j])) != 0)
					bad = cz->notify[j];
			if (rc != 0) {
				snprintf(err, errlen, "%s:%d: zone %s: '%s': %s",
					 cfg->path ? cfg->path : "config", cz->line, cz->name, bad,
					 dnsd_strerror(rc));
				goto fail;
			}
		}
	}
	return p;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	xfr_policy_unref(p);
	return NULL;
}
