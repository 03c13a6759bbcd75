/* SPDX-License-Identifier: BSD-3-Clause
 * view.c - view table and selection. */
#include "zone/view.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/slots.h"

static void view_table_free(struct view_table *t);

struct view_table *view_table_new(const struct config *cfg)
{
	struct view_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	atomic_init(&t->refs, 1);
	size_t count = cfg->views_count ? cfg->views_count : 1;
	t->views = calloc(count, sizeof(*t->views));
	if (!t->views)
		goto fail;
	t->count = count;
	if (cfg->views_count == 0) {
		snprintf(t->views[0].name, VIEW_NAME_MAX, "default");
		t->views[0].stats_slot = slots_get(&slots_views, t->views[0].name);
		return t;
	}
	for (size_t i = 0; i < count; i++) {
		const struct config_view *cv = &cfg->views[i];
		struct view *v = &t->views[i];
		snprintf(v->name, VIEW_NAME_MAX, "%s", cv->name);
		v->stats_slot = slots_get(&slots_views, v->name);
		if (cv->match_clients_count) {
			v->clients = calloc(cv->match_clients_count, sizeof(*v->clients));
			if (!v->clients)
				goto fail;
			v->client_count = cv->match_clients_count;
			memcpy(v->clients, cv->match_clients, cv->match_clients_count * sizeof(*v->clients));
		}
		if (cv->match_destinations_count) {
			v->destinations = calloc(cv->match_destinations_count, sizeof(*v->destinations));
			if (!v->destinations)
				goto fail;
			v->destination_count = cv->match_destinations_count;
			for (size_t j = 0; j < cv->match_destinations_count; j++)
				v->destinations[j] = cv->match_destinations[j].ss;
		}
	}
	return t;
fail:
	view_table_free(t);
	return NULL;
}

static void view_table_free(struct view_table *t)
{
	for (size_t i = 0; i < t->count && t->views; i++) {
		free(t->views[i].clients);
		free(t->views[i].destinations);
	}
	free(t->views);
	free(t);
}

void view_table_ref(struct view_table *t) { atomic_fetch_add(&t->refs, 1); }

void view_table_unref(struct view_table *t)
{
	if (t && atomic_fetch_sub(&t->refs, 1) == 1)
		view_table_free(t);
}

/* Does a listening address pattern match the address a query arrived on?
 * A wildcard pattern address (0.0.0.0 / ::) matches any address; port 0 any port. */
static bool destination_matches(const struct sockaddr_storage *pat, const struct sockaddr *local)
{
	if (!local || pat->ss_family != local->sa_family)
		return false;
	if (pat->ss_family == AF_INET) {
		const struct sockaddr_in *p = (const struct sockaddr_in *)pat;
		const struct sockaddr_in *l = (const struct sockaddr_in *)local;
		if (p->sin_port && p->sin_port != l->sin_port)
			return false;
		return p->sin_addr.s_addr == INADDR_ANY || p->sin_addr.s_addr == l->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *p = (const struct sockaddr_in6 *)pat;
	const struct sockaddr_in6 *l = (const struct sockaddr_in6 *)local;
	if (p->sin6_port && p->sin6_port != l->sin6_port)
		return false;
	return IN6_IS_ADDR_UNSPECIFIED(&p->sin6_addr) || memcmp(&p->sin6_addr, &l->sin6_addr, 16) == 0;
}

int view_select(const struct view_table *t, const struct sockaddr *client, const struct sockaddr *local,
		const struct wire_ecs *ecs, uint8_t *scope_len)
{
	int family = 0;
	uint8_t addr[16] = { 0 };
	unsigned avail_bits = 0; /* how many address bits we know */
	/* RFC 7871: SOURCE PREFIX-LENGTH 0 carries no address bits (the client
	 * opted out), so it cannot place the query in any prefix. Choose by the
	 * source address, as without ECS: behind a forwarder that is what tells
	 * the clusters apart. */
	bool is_ecs_used = ecs && ecs->source_len > 0;
	if (is_ecs_used) {
		family = ecs->family == 1 ? AF_INET : AF_INET6;
		memcpy(addr, ecs->addr, 16);
		avail_bits = ecs->source_len;
	} else if (client && client->sa_family == AF_INET) {
		family = AF_INET;
		memcpy(addr, &((const struct sockaddr_in *)client)->sin_addr, 4);
		avail_bits = 32;
	} else if (client && client->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)client)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			memcpy(addr, (const uint8_t *)a6 + 12, 4);
			avail_bits = 32;
		} else {
			family = AF_INET6;
			memcpy(addr, a6, 16);
			avail_bits = 128;
		}
	}
	unsigned scope = 0;
	size_t i;
	for (i = 0; i < t->count; i++) {
		const struct view *v = &t->views[i];
		if (v->destination_count) {
			bool ok = false;
			for (size_t j = 0; j < v->destination_count && !ok; j++)
				ok = destination_matches(&v->destinations[j], local);
			if (!ok)
				continue;
		}
		bool matched = v->client_count == 0;
		for (size_t j = 0; j < v->client_count; j++) {
			const struct config_prefix *p = &v->clients[j];
			if (p->family != 0 && p->len > scope)
				scope = p->len;
			if (config_prefix_match(p, family, addr, avail_bits)) {
				matched = !p->is_negated;
				break;
			}
		}
		if (matched)
			break;
	}
	/* no ECS bits were used: the answer suits every subnet (scope 0) */
	if (scope_len)
		*scope_len = (uint8_t)(!is_ecs_used ? 0 : scope < avail_bits ? scope : avail_bits);
	return i < t->count ? (int)i : -1;
}
