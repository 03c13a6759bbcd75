/* SPDX-License-Identifier: BSD-3-Clause
 * se_pack.c - a ServiceEntry copied into one slab block (se_pack.h). Layout:
 * the struct, then the pointer arrays (hosts, exportTo), the drops, the
 * addresses, the ports, host_fields, host_is_served and last the strings
 * (namespace, name, resourceVersion, hosts, exportTo, port names and protocols),
 * each part aligned for its type. No I/O, no locks. */
#include "k8s/se_pack.h"

#include <assert.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

/* A bump cursor over the block being filled (or, with base NULL, sized). */
struct cursor {
	uint8_t *base;
	size_t off;
};

static void *take(struct cursor *c, size_t len, size_t align)
{
	c->off = (c->off + align - 1) & ~(align - 1);
	void *p = c->base ? c->base + c->off : NULL;
	c->off += len;
	return p;
}

static char *take_string(struct cursor *c, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = take(c, n, 1);
	if (p)
		memcpy(p, s, n);
	return p;
}

/* Lays se out at c (sizing only when c->base is NULL); fills out. */
static void lay_out(struct cursor *c, const struct serviceentry *se, struct serviceentry *out)
{
	struct serviceentry *p = take(c, sizeof(*p), alignof(struct serviceentry));
	(void)p;
	char **hosts = take(c, se->hosts_count * sizeof(char *), alignof(char *));
	char **export_to = take(c, se->export_to_count * sizeof(char *), alignof(char *));
	struct se_drop *drops = take(c, se->drops.count * sizeof(struct se_drop), alignof(struct se_drop));
	struct se_addr *addrs = take(c, se->addresses_count * sizeof(struct se_addr),
				     alignof(struct se_addr));
	struct se_port *ports = take(c, se->ports_count * sizeof(struct se_port), alignof(struct se_port));
	uint16_t *fields = take(c, se->hosts_count * sizeof(uint16_t), alignof(uint16_t));
	bool *served = take(c, se->hosts_count * sizeof(bool), alignof(bool));
	char *namespace_ = take_string(c, se->namespace_);
	char *name = take_string(c, se->name);
	char *rv = take_string(c, se->resource_version);
	for (size_t i = 0; i < se->hosts_count; i++) {
		char *h = take_string(c, se->hosts[i]);
		if (hosts)
			hosts[i] = h;
	}
	for (size_t i = 0; i < se->export_to_count; i++) {
		char *e = take_string(c, se->export_to[i]);
		if (export_to)
			export_to[i] = e;
	}
	for (size_t i = 0; i < se->ports_count; i++) {
		char *n = take_string(c, se->ports[i].name);
		char *pr = take_string(c, se->ports[i].protocol);
		if (ports) {
			ports[i].number = se->ports[i].number;
			ports[i].name = n;
			ports[i].protocol = pr;
		}
	}
	if (!out)
		return;
	*out = *se;
	out->namespace_ = namespace_;
	out->name = name;
	out->resource_version = rv;
	out->hosts = se->hosts_count ? hosts : NULL;
	out->host_fields = se->hosts_count ? fields : NULL;
	out->host_is_served = se->hosts_count ? served : NULL;
	if (se->hosts_count) {
		memcpy(fields, se->host_fields, se->hosts_count * sizeof(uint16_t));
		if (se->host_is_served)
			memcpy(served, se->host_is_served, se->hosts_count * sizeof(bool));
		else
			memset(served, 1, se->hosts_count * sizeof(bool));
	}
	out->export_to = se->export_to_count ? export_to : NULL;
	out->addresses = se->addresses_count ? addrs : NULL;
	if (se->addresses_count)
		memcpy(addrs, se->addresses, se->addresses_count * sizeof(*addrs));
	out->ports = se->ports_count ? ports : NULL; /* filled in with their strings above */
	out->drops.items = se->drops.count ? drops : NULL;
	if (se->drops.count)
		memcpy(drops, se->drops.items, se->drops.count * sizeof(*drops));
}

size_t se_pack_size(const struct serviceentry *se)
{
	struct cursor c = { 0 };
	lay_out(&c, se, NULL);
	return c.off;
}

struct serviceentry *se_pack(struct slab *s, struct serviceentry *se)
{
	assert(se->packed_size == 0);
	size_t size = se_pack_size(se);
	struct cursor c = { .base = slab_alloc(s, size) };
	if (!c.base)
		return NULL;
	struct serviceentry *out = (struct serviceentry *)c.base;
	struct serviceentry copy;
	lay_out(&c, se, &copy);
	copy.packed_size = (uint32_t)size;
	*out = copy;
	/* the verdicts are the one part that changes later: their array moves */
	se->verdict_drops = (struct se_drops){ 0 };
	serviceentry_free(se);
	return out;
}

struct serviceentry *se_pack_move(struct slab *s, const struct serviceentry *se)
{
	assert(se->packed_size != 0);
	struct cursor c = { .base = slab_alloc(s, se->packed_size) };
	if (!c.base)
		return NULL;
	struct serviceentry *out = (struct serviceentry *)c.base;
	struct serviceentry copy;
	lay_out(&c, se, &copy); /* the same layout: the same size */
	assert(c.off == se->packed_size);
	*out = copy; /* packed_size and the verdict drops' array come along */
	return out;
}

void se_pack_free_moved(struct slab *s, struct serviceentry *se) { slab_free(s, se, se->packed_size); }

void se_pack_free(struct slab *s, struct serviceentry *se)
{
	if (!se)
		return;
	if (!se->packed_size) {
		serviceentry_free(se);
		return;
	}
	se_drops_clear(&se->verdict_drops);
	slab_free(s, se, se->packed_size);
}

bool se_pack_same_records(const struct serviceentry *a, const struct serviceentry *b)
{
	if (a->is_malformed != b->is_malformed || a->hosts_count != b->hosts_count ||
	    a->addresses_count != b->addresses_count || a->ports_count != b->ports_count)
		return false;
	for (size_t i = 0; i < a->hosts_count; i++) {
		bool sa = !a->host_is_served || a->host_is_served[i];
		bool sb = !b->host_is_served || b->host_is_served[i];
		if (sa != sb || strcmp(a->hosts[i], b->hosts[i]) != 0)
			return false;
	}
	for (size_t i = 0; i < a->addresses_count; i++) {
		const struct se_addr *x = &a->addresses[i], *y = &b->addresses[i];
		if (x->family != y->family || x->host != y->host || memcmp(x->addr, y->addr, 16) != 0)
			return false;
	}
	for (size_t i = 0; i < a->ports_count; i++) {
		const struct se_port *x = &a->ports[i], *y = &b->ports[i];
		if (x->number != y->number || strcmp(x->name, y->name) != 0 ||
		    strcmp(x->protocol, y->protocol) != 0)
			return false;
	}
	return true;
}
