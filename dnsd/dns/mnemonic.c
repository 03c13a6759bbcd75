/* SPDX-License-Identifier: BSD-3-Clause
 * mnemonic.c - RR type, class and rcode names from IANA's registries
 * (https://www.iana.org/assignments/dns-parameters). */
#include "dns/mnemonic.h"

#include <stdio.h>

/* Types 0..65 by value (gaps NULL), the meta types and the few above 255. */
static const char *const types_low[] = {
	[1] = "A",           [2] = "NS",      [3] = "MD",        [4] = "MF",       [5] = "CNAME",
	[6] = "SOA",         [7] = "MB",      [8] = "MG",        [9] = "MR",       [10] = "NULL",
	[11] = "WKS",        [12] = "PTR",    [13] = "HINFO",    [14] = "MINFO",   [15] = "MX",
	[16] = "TXT",        [17] = "RP",     [18] = "AFSDB",    [19] = "X25",     [20] = "ISDN",
	[21] = "RT",         [22] = "NSAP",   [23] = "NSAP-PTR", [24] = "SIG",     [25] = "KEY",
	[26] = "PX",         [27] = "GPOS",   [28] = "AAAA",     [29] = "LOC",     [30] = "NXT",
	[31] = "EID",        [32] = "NIMLOC", [33] = "SRV",      [34] = "ATMA",    [35] = "NAPTR",
	[36] = "KX",         [37] = "CERT",   [38] = "A6",       [39] = "DNAME",   [40] = "SINK",
	[41] = "OPT",        [42] = "APL",    [43] = "DS",       [44] = "SSHFP",   [45] = "IPSECKEY",
	[46] = "RRSIG",      [47] = "NSEC",   [48] = "DNSKEY",   [49] = "DHCID",   [50] = "NSEC3",
	[51] = "NSEC3PARAM", [52] = "TLSA",   [53] = "SMIMEA",   [55] = "HIP",     [56] = "NINFO",
	[57] = "RKEY",       [58] = "TALINK", [59] = "CDS",      [60] = "CDNSKEY", [61] = "OPENPGPKEY",
	[62] = "CSYNC",      [63] = "ZONEMD", [64] = "SVCB",     [65] = "HTTPS",
};

struct mnemonic_entry {
	uint16_t value;
	const char *name;
};

static const struct mnemonic_entry types_high[] = {
	{ 99, "SPF" },    { 100, "UINFO" }, { 101, "UID" },      { 102, "GID" },     { 103, "UNSPEC" },
	{ 104, "NID" },   { 105, "L32" },   { 106, "L64" },      { 107, "LP" },      { 108, "EUI48" },
	{ 109, "EUI64" }, { 249, "TKEY" },  { 250, "TSIG" },     { 251, "IXFR" },    { 252, "AXFR" },
	{ 253, "MAILB" }, { 254, "MAILA" }, { 255, "ANY" },      { 256, "URI" },     { 257, "CAA" },
	{ 258, "AVC" },   { 259, "DOA" },   { 260, "AMTRELAY" }, { 261, "RESINFO" }, { 32768, "TA" },
	{ 32769, "DLV" },
};

static const char *const rcodes[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",  "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
	"NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI", NULL,      NULL,      NULL,       NULL,
	"BADVERS", "BADKEY",  "BADTIME",  "BADMODE",   "BADNAME", "BADALG",  "BADTRUNC", "BADCOOKIE",
};

const char *mnemonic_type(uint16_t type, char *buf)
{
	if (type < sizeof(types_low) / sizeof(types_low[0]) && types_low[type])
		return types_low[type];
	for (size_t i = 0; i < sizeof(types_high) / sizeof(types_high[0]); i++)
		if (types_high[i].value == type)
			return types_high[i].name;
	snprintf(buf, MNEMONIC_BUF_LEN, "TYPE%u", (unsigned)type);
	return buf;
}

const char *mnemonic_class(uint16_t qclass, char *buf)
{
	switch (qclass) {
	case 1: return "IN";
	case 3: return "CH";
	case 4: return "HS";
	case 254: return "NONE";
	case 255: return "ANY";
	default: snprintf(buf, MNEMONIC_BUF_LEN, "CLASS%u", (unsigned)qclass); return buf;
	}
}

const char *mnemonic_rcode(unsigned rcode, char *buf)
{
	if (rcode < sizeof(rcodes) / sizeof(rcodes[0]) && rcodes[rcode])
		return rcodes[rcode];
	snprintf(buf, MNEMONIC_BUF_LEN, "RCODE%u", rcode & 0xFFFu);
	return buf;
}
