/* SPDX-License-Identifier: BSD-3-Clause
 * se_pack.c - a ServiceEntry copied into one slab block (se_pack.h), and the
 * accessors that read either form. The block, offsets from its start:
 *   [0, SE_PACK_HEAD_LEN)  the fields both forms share (serviceentry.h)
 *   struct tail            namespace and resourceVersion offsets, drops count
 *   u16 host_off[hosts]    u16 host_field[hosts]    u16 export_off[exportTo]
 *   port[ports]            u16 number, u16 name offset, u16 protocol (below
 *                          SE_PROTOCOL_CODES: a code; else a string offset)
 *   addr[addresses]        u16 offset of its bytes | 1 for IPv6, u16 host
 *                          (ADDR_EVERY_HOST: every host)
 *   u8 served[hosts]       the verdicts, written in place
 *   the address bytes      4 (IPv4) or 16 (IPv6) each, from an even offset
 *   the strings            namespace, name, resourceVersion, hosts, exportTo,
 *                          port names, protocols without a code
 *   drops[drops]           struct se_drop, 4-aligned, at the end
 * Every part but the drops lies within the first 64 KiB, so 16 bits address
 * it; multi-byte fields are read with memcpy (no alignment). A typical
 * entry (one host, an IPv4 and an IPv6 address, port http/80) takes 143
 * bytes: the slab's 144-byte class. No I/O, no locks. */
#include "k8s/se_pack.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "k8s/se_protocol.h"

/* the shared fields end with the flags; the tail takes the padding after them */
#define SE_PACK_HEAD_LEN (offsetof(struct serviceentry, is_malformed) + sizeof(bool))
#define ADDR_EVERY_HOST 0xFFFFu
#define ADDR_IS_V6 1u

struct tail {
	uint16_t namespace_off; /* the name follows the namespace's NUL */
	uint16_t rv_off;        /* 0: absent */
	uint32_t drops_count;
};

_Static_assert(SE_PACK_HEAD_LEN <= offsetof(struct serviceentry, namespace_),
	       "the head is the shared fields");
_Static_assert(alignof(struct se_drop) <= 4, "drops start 4-aligned");
/* a port's protocol field is a code below SE_PROTOCOL_CODES, else the offset
 * of a string, and strings start past the head */
_Static_assert(SE_PROTOCOL_CODES <= SE_PACK_HEAD_LEN, "protocol codes and string offsets do not overlap");

static const uint8_t *base(const struct serviceentry *se) { return (const uint8_t *)se; }

static struct tail tail_of(const struct serviceentry *se)
{
	struct tail t;
	memcpy(&t, base(se) + SE_PACK_HEAD_LEN, sizeof(t)); /* unaligned */
	return t;
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static void put16(uint8_t *p, size_t v)
{
	uint16_t x = (uint16_t)v;
	memcpy(p, &x, sizeof(x));
}

/* Where each fixed-size part starts, from the counts alone. */
struct parts {
	size_t host_off, host_field, export_off, port, addr, served, addr_bytes;
};

static struct parts parts_of(const struct serviceentry *se)
{
	struct parts p;
	p.host_off = SE_PACK_HEAD_LEN + sizeof(struct tail);
	p.host_field = p.host_off + 2 * (size_t)se->hosts_count;
	p.export_off = p.host_field + 2 * (size_t)se->hosts_count;
	p.port = p.export_off + 2 * (size_t)se->export_to_count;
	p.addr = p.port + 6 * (size_t)se->ports_count;
	p.served = p.addr + 4 * (size_t)se->addresses_count;
	p.addr_bytes = (p.served + se->hosts_count + 1) & ~(size_t)1; /* even: bit 0 of an offset is free */
	return p;
}

static const char *str_at(const struct serviceentry *se, size_t off) { return (const char *)base(se) + off; }

/* ---------- the accessors ---------- */

const char *se_namespace(const struct serviceentry *se)
{
	return se->packed_size ? str_at(se, tail_of(se).namespace_off) : se->namespace_;
}

const char *se_name(const struct serviceentry *se)
{
	if (!se->packed_size)
		return se->name;
	const char *ns = se_namespace(se);
	return ns + strlen(ns) + 1;
}

const char *se_resource_version(const struct serviceentry *se)
{
	if (!se->packed_size)
		return se->resource_version;
	uint16_t off = tail_of(se).rv_off;
	return off ? str_at(se, off) : NULL;
}

const char *se_host(const struct serviceentry *se, size_t i)
{
	assert(i < se->hosts_count);
	if (!se->packed_size)
		return se->hosts[i];
	return str_at(se, get16(base(se) + parts_of(se).host_off + 2 * i));
}

unsigned se_host_field(const struct serviceentry *se, size_t i)
{
	assert(i < se->hosts_count);
	if (!se->packed_size)
		return se->host_fields[i];
	return get16(base(se) + parts_of(se).host_field + 2 * i);
}

bool se_host_is_served(const struct serviceentry *se, size_t i)
{
	assert(i < se->hosts_count);
	if (!se->packed_size)
		return !se->host_is_served || se->host_is_served[i];
	return base(se)[parts_of(se).served + i] != 0;
}

void se_host_set_served(struct serviceentry *se, size_t i, bool is_served)
{
	assert(i < se->hosts_count);
	if (!se->packed_size) {
		se->host_is_served[i] = is_served;
		return;
	}
	((uint8_t *)se)[parts_of(se).served + i] = is_served;
}

struct se_addr se_address(const struct serviceentry *se, size_t i)
{
	assert(i < se->addresses_count);
	if (!se->packed_size)
		return se->addresses[i];
	const uint8_t *rec = base(se) + parts_of(se).addr + 4 * i;
	uint16_t off = get16(rec), host = get16(rec + 2);
	struct se_addr a = { .family = (off & ADDR_IS_V6) ? AF_INET6 : AF_INET,
			     .host = host == ADDR_EVERY_HOST ? -1 : (int)host };
	memcpy(a.addr, base(se) + (off & ~ADDR_IS_V6), a.family == AF_INET6 ? 16 : 4);
	return a;
}

struct se_port se_port(const struct serviceentry *se, size_t i)
{
	assert(i < se->ports_count);
	if (!se->packed_size)
		return se->ports[i];
	const uint8_t *rec = base(se) + parts_of(se).port + 6 * i;
	uint16_t protocol = get16(rec + 4);
	return (struct se_port){ .number = get16(rec),
				 .name = str_at(se, get16(rec + 2)),
				 .protocol = protocol < SE_PROTOCOL_CODES ? se_protocol_of_code(protocol)
									  : str_at(se, protocol) };
}

const char *se_export_to(const struct serviceentry *se, size_t i)
{
	assert(i < se->export_to_count);
	if (!se->packed_size)
		return se->export_to[i];
	return str_at(se, get16(base(se) + parts_of(se).export_off + 2 * i));
}

struct se_drops se_parse_drops(const struct serviceentry *se)
{
	if (!se->packed_size)
		return se->drops;
	size_t n = tail_of(se).drops_count;
	if (!n)
		return (struct se_drops){ 0 };
	return (struct se_drops){
		.items = (struct se_drop *)(base(se) + se->packed_size - n * sizeof(struct se_drop)),
		.count = n,
	};
}

/* ---------- packing ---------- */

/* A bump cursor over the strings of the block being filled (or, with b
 * NULL, sized); returns the string's offset. */
struct cursor {
	uint8_t *b;
	size_t off;
};

static size_t put_string(struct cursor *c, const char *s)
{
	size_t at = c->off, n = strlen(s) + 1;
	if (c->b && at + n <= UINT16_MAX + 1u)
		memcpy(c->b + at, s, n);
	c->off += n;
	return at;
}

/* Lays the parsed se out at b (sizing only when b is NULL). Returns the
 * block's size, 0 when se cannot be packed. */
static size_t lay_out(uint8_t *b, const struct serviceentry *se)
{
	struct parts p = parts_of(se);
	size_t bytes = 0;
	for (size_t i = 0; i < se->addresses_count; i++) {
		const struct se_addr *a = &se->addresses[i];
		size_t at = p.addr_bytes + bytes;
		size_t len = a->family == AF_INET6 ? 16 : 4;
		if (a->host >= (int)ADDR_EVERY_HOST || at + len > UINT16_MAX)
			return 0;
		if (b) {
			put16(b + p.addr + 4 * i, at | (a->family == AF_INET6 ? ADDR_IS_V6 : 0));
			put16(b + p.addr + 4 * i + 2, a->host < 0 ? ADDR_EVERY_HOST : (size_t)a->host);
			memcpy(b + at, a->addr, len);
		}
		bytes += len;
	}
	struct cursor c = { .b = b, .off = p.addr_bytes + bytes };
	struct tail t = { .drops_count = (uint32_t)se->drops.count };
	t.namespace_off = (uint16_t)put_string(&c, se->namespace_);
	put_string(&c, se->name);
	t.rv_off = se->resource_version ? (uint16_t)put_string(&c, se->resource_version) : 0;
	for (size_t i = 0; i < se->hosts_count; i++) {
		size_t at = put_string(&c, se->hosts[i]);
		if (b) {
			put16(b + p.host_off + 2 * i, at);
			put16(b + p.host_field + 2 * i, se->host_fields[i]);
			b[p.served + i] = !se->host_is_served || se->host_is_served[i];
		}
	}
	for (size_t i = 0; i < se->export_to_count; i++) {
		size_t at = put_string(&c, se->export_to[i]);
		if (b)
			put16(b + p.export_off + 2 * i, at);
	}
	for (size_t i = 0; i < se->ports_count; i++) {
		const struct se_port *sp = &se->ports[i];
		size_t name = put_string(&c, sp->name);
		int code = se_protocol_code(sp->protocol);
		size_t protocol = code >= 0 ? (size_t)code : put_string(&c, sp->protocol);
		if (b) {
			put16(b + 6 * i + p.port, sp->number);
			put16(b + 6 * i + p.port + 2, name);
			put16(b + 6 * i + p.port + 4, protocol);
		}
	}
	if (c.off > UINT16_MAX + 1u)
		return 0;
	size_t drops = se->drops.count ? (c.off + 3) & ~(size_t)3 : c.off;
	size_t size = drops + se->drops.count * sizeof(struct se_drop);
	if (size > UINT32_MAX)
		return 0;
	if (b) {
		memcpy(b, se, SE_PACK_HEAD_LEN);
		memcpy(b + SE_PACK_HEAD_LEN, &t, sizeof(t));
		if (se->drops.count)
			memcpy(b + drops, se->drops.items, se->drops.count * sizeof(struct se_drop));
	}
	return size;
}

size_t se_pack_size(const struct serviceentry *se) { return lay_out(NULL, se); }

struct serviceentry *se_pack(struct slab *s, struct serviceentry *se)
{
	assert(se->packed_size == 0);
	size_t size = se_pack_size(se);
	if (!size)
		return NULL;
	uint8_t *b = slab_alloc(s, size);
	if (!b)
		return NULL;
	lay_out(b, se);
	struct serviceentry *out = (struct serviceentry *)b;
	out->packed_size = (uint32_t)size;
	/* the verdicts are the one part that changes later: their array moves */
	se->verdict_drops = (struct se_drops){ 0 };
	serviceentry_free(se);
	return out;
}

struct serviceentry *se_pack_move(struct slab *s, const struct serviceentry *se)
{
	assert(se->packed_size != 0);
	void *b = slab_alloc(s, se->packed_size);
	if (!b)
		return NULL;
	/* offsets, no pointers: a copy reads the same (packed_size and the
	 * verdict drops' array come along) */
	memcpy(b, se, se->packed_size);
	return b;
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
	for (size_t i = 0; i < a->hosts_count; i++)
		if (se_host_is_served(a, i) != se_host_is_served(b, i) ||
		    strcmp(se_host(a, i), se_host(b, i)) != 0)
			return false;
	for (size_t i = 0; i < a->addresses_count; i++) {
		struct se_addr x = se_address(a, i), y = se_address(b, i);
		size_t len = x.family == AF_INET6 ? 16 : 4;
		if (x.family != y.family || x.host != y.host || memcmp(x.addr, y.addr, len) != 0)
			return false;
	}
	for (size_t i = 0; i < a->ports_count; i++) {
		struct se_port x = se_port(a, i), y = se_port(b, i);
		if (x.number != y.number || strcmp(x.name, y.name) != 0 ||
		    strcmp(x.protocol, y.protocol) != 0)
			return false;
	}
	return true;
}
