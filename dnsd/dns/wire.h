/* SPDX-License-Identifier: BSD-3-Clause
 * wire.h - DNS message bytes: a strict parser for queries (header, question,
 * OPT with EDNS Client Subnet) and small writers for headers and OPT.
 * Pure: no allocation, no I/O, no ldns. Everything here runs on the query path. */
#ifndef DNSD_WIRE_H
#define DNSD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns/dname.h"

#define WIRE_HEADER_LEN 12
#define WIRE_OPT_LEN 11 /* root owner, type, class, ttl, rdlen */
#define WIRE_ECS_MAX_OPTION_LEN (4 + 4 + 16)

/* header flag bits (RFC 1035 §4.1.1), in the 16-bit flags word */
#define WIRE_FLAG_QR 0x8000u
#define WIRE_FLAG_AA 0x0400u
#define WIRE_FLAG_TC 0x0200u
#define WIRE_FLAG_RD 0x0100u
#define WIRE_FLAG_RA 0x0080u
#define WIRE_FLAG_AD 0x0020u
#define WIRE_FLAG_CD 0x0010u

enum wire_rcode {
	WIRE_RCODE_NOERROR = 0,
	WIRE_RCODE_FORMERR = 1,
	WIRE_RCODE_SERVFAIL = 2,
	WIRE_RCODE_NXDOMAIN = 3,
	WIRE_RCODE_NOTIMP = 4,
	WIRE_RCODE_REFUSED = 5,
	WIRE_RCODE_BADVERS = 16, /* extended: upper 8 bits live in OPT TTL */
};

enum wire_type {
	WIRE_TYPE_A = 1,
	WIRE_TYPE_NS = 2,
	WIRE_TYPE_CNAME = 5,
	WIRE_TYPE_SOA = 6,
	WIRE_TYPE_PTR = 12,
	WIRE_TYPE_HINFO = 13,
	WIRE_TYPE_MX = 15,
	WIRE_TYPE_TXT = 16,
	WIRE_TYPE_AAAA = 28,
	WIRE_TYPE_SRV = 33,
	WIRE_TYPE_DNAME = 39,
	WIRE_TYPE_OPT = 41,
	WIRE_TYPE_DS = 43,
	WIRE_TYPE_RRSIG = 46,
	WIRE_TYPE_NSEC = 47,
	WIRE_TYPE_DNSKEY = 48,
	WIRE_TYPE_TSIG = 250,
	WIRE_TYPE_IXFR = 251,
	WIRE_TYPE_AXFR = 252,
	WIRE_TYPE_MAILB = 253,
	WIRE_TYPE_MAILA = 254,
	WIRE_TYPE_ANY = 255,
};

enum wire_class { WIRE_CLASS_IN = 1, WIRE_CLASS_CH = 3, WIRE_CLASS_NONE = 254, WIRE_CLASS_ANY = 255 };

#define WIRE_EDNS_OPTION_NSID 3       /* RFC 5001 */
#define WIRE_EDNS_OPTION_ECS 8        /* RFC 7871 */
#define WIRE_EDNS_OPTION_COOKIE 10    /* RFC 7873 */
#define WIRE_EDNS_OPTION_KEEPALIVE 11 /* RFC 7828: edns-tcp-keepalive */
#define WIRE_EDNS_OPTION_EDE 15       /* RFC 8914: Extended DNS Errors */

/* RFC 7873 §8: BADCOOKIE, an extended rcode (upper 8 bits in OPT TTL). */
#define WIRE_RCODE_BADCOOKIE 23

/* RFC 8914 §4: the INFO-CODEs dnsd sends. */
enum wire_ede {
	WIRE_EDE_NONE = -1,
	WIRE_EDE_OTHER = 0,
	WIRE_EDE_STALE_ANSWER = 3,
	WIRE_EDE_NOT_READY = 14,
	WIRE_EDE_PROHIBITED = 18,
	WIRE_EDE_NOT_AUTHORITATIVE = 20,
	WIRE_EDE_NOT_SUPPORTED = 21,
};
/* EXTRA-TEXT dnsd writes is at most this long (it names a cluster or view). */
#define WIRE_EDE_TEXT_MAX 96

/* What the parser concluded about a message. */
enum wire_status {
	WIRE_OK = 0,  /* a well-formed standard query */
	WIRE_DROP,    /* no reply: header unreadable, or QR=1 (RFC 1035 §4.1.1) */
	WIRE_FORMERR, /* reply FORMERR */
	WIRE_NOTIMP,  /* opcode other than QUERY */
	WIRE_BADVERS, /* EDNS version > 0 (RFC 6891 §6.1.3) */
};

/* EDNS Client Subnet as received (RFC 7871 §6). */
struct wire_ecs {
	uint16_t family;    /* 1 = IPv4, 2 = IPv6 */
	uint8_t source_len; /* SOURCE PREFIX-LENGTH */
	uint8_t scope_len;  /* SCOPE PREFIX-LENGTH (0 in queries) */
	uint8_t addr[16];   /* address bits beyond source_len are zero */
};

/* A parsed query. Lives on the worker's stack; points into the packet. */
struct wire_query {
	const uint8_t *pkt; /* borrowed: the received message */
	size_t len;
	uint16_t id;
	uint16_t flags; /* the header flags word as received */
	uint8_t opcode;
	bool has_question;            /* question parsed (FORMERR replies may echo it) */
	size_t question_len;          /* qname + qtype + qclass, at pkt + 12 */
	uint8_t qname[DNAME_MAX_LEN]; /* lower case */
	uint8_t qname_len;
	uint8_t label_count;                 /* not counting the root */
	uint8_t label_off[DNAME_MAX_LABELS]; /* offset of each label in qname */
	uint16_t qtype;
	uint16_t qclass;
	bool has_opt; /* an EDNS OPT record was present (and parsed) */
	uint8_t edns_version;
	bool is_do;        /* DNSSEC OK */
	uint16_t udp_size; /* requestor's payload size, at least 512 */
	bool has_ecs;
	struct wire_ecs ecs;
	bool has_nsid;         /* an NSID option asks who answers (RFC 5001 §2.1) */
	bool has_cookie;       /* a well-formed COOKIE option (RFC 7873 §4), the first one */
	uint8_t cookie_len;    /* 8 (client cookie only) or 16..40 */
	const uint8_t *cookie; /* borrowed: its bytes in pkt */
	bool has_keepalive;    /* an empty edns-tcp-keepalive option (RFC 7828 §3.1) */
	/* has_cookie or has_keepalive: the one flag the query path tests for
	 * them; those two are valid only when it is set */
	bool has_option_work;
	bool has_tsig; /* a TSIG record ends the message (checked by dns/tsig.c) */
};

/* Parses one query message strictly: header, exactly one question with an
 * uncompressed name, no answer or authority records (but IXFR's one SOA in
 * authority, RFC 1995 §3), additional records
 * well-formed (backward compression pointers only), at most one OPT with the
 * root owner, well-formed EDNS options (ECS validated; COOKIE 8 or 16..40
 * bytes, RFC 7873 §5.2.2; edns-tcp-keepalive empty, RFC 7828 §3.2.1) and no
 * trailing bytes.
 * Fills q as far as it got and returns the verdict. Never reads past len. */
enum wire_status wire_parse_query(struct wire_query *q, const uint8_t *pkt, size_t len);

static inline uint16_t wire_read_u16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t wire_read_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void wire_write_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void wire_write_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Writes an OPT record at out (room for WIRE_OPT_LEN + option bytes is the
 * caller's job): payload size, extended rcode bits, version 0, DO, and an ECS
 * option echoing q's subnet with scope_len when has_ecs. Returns bytes written. */
size_t wire_write_opt(uint8_t *out, uint16_t udp_size, uint8_t ext_rcode, bool is_do,
		      const struct wire_ecs *ecs, uint8_t scope_len);

/* Appends option (code, data, len) to the OPT record wire_write_opt() wrote
 * at opt (room for 4 + len more bytes after it is the caller's job) and
 * fixes its RDLENGTH. Returns the bytes added. */
size_t wire_opt_append(uint8_t *opt, uint16_t code, const uint8_t *data, uint16_t len);

/* Appends an Extended DNS Error option (RFC 8914 §2): info_code and
 * text_len bytes of UTF-8 EXTRA-TEXT (no NUL), as wire_opt_append(). Room
 * for 6 + text_len bytes is the caller's job. Returns the bytes added. */
size_t wire_opt_append_ede(uint8_t *opt, uint16_t info_code, const char *text, size_t text_len);

#endif
