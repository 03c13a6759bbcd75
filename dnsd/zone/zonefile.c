/* SPDX-License-Identifier: BSD-3-Clause
 * zonefile.c - zone files via ldns, one record at a time (no ldns_zone in
 * memory), converted to uncompressed wire rdata for zone_build. Never
 * freezes a zone. */
#include "zone/zonefile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dns/dname.h"
#include "dns/wire.h"
#include "util/err.h"
#include "util/file.h"

/* RFC 2181 §8: a TTL is an unsigned 31-bit number. ldns keeps 32 bits and
 * wraps above them (4294967296 loads as 0), so the text is checked here. */
#define TTL_MAX 2147483647ull

/* Parses one TTL token ("3600", "1h30m", "2W"); false if it is not a TTL
 * or exceeds TTL_MAX. */
static bool ttl_token_is_valid(const char *t, size_t len)
{
	unsigned long long total = 0, value = 0;
	bool has_digit = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];
		if (isdigit(c)) {
			value = value * 10 + (c - '0');
			has_digit = true;
		} else {
			unsigned long long unit;
			switch (tolower(c)) {
			case 's': unit = 1; break;
			case 'm': unit = 60; break;
			case 'h': unit = 3600; break;
			case 'd': unit = 86400; break;
			case 'w': unit = 604800; break;
			default: return false;
			}
			if (!has_digit)
				return false;
			total += value * unit;
			value = 0;
			has_digit = false;
		}
		if (value > TTL_MAX || total > TTL_MAX)
			return false;
	}
	total += value;
	return total <= TTL_MAX;
}

static bool token_is_class(const char *t, size_t len)
{
	return (len == 2 && (strncasecmp(t, "IN", 2) == 0 || strncasecmp(t, "CH", 2) == 0 ||
			     strncasecmp(t, "HS", 2) == 0 || strncasecmp(t, "CS", 2) == 0)) ||
	       (len > 5 && strncasecmp(t, "CLASS", 5) == 0);
}

/* Checks the TTL fields of one record or $TTL line whose text is text[0..len):
 * the tokens between the owner (present when the first line of the record
 * starts in column one) and the type mnemonic, or the $TTL argument. Returns
 * false when one of them is a TTL above TTL_MAX. */
static bool record_ttls_are_valid(const char *text, size_t len, const char *type_name)
{
	size_t i = 0;
	/* skip blank and comment-only lines that precede the record */
	for (;;) {
		size_t j = i;
		while (j < len && (text[j] == ' ' || text[j] == '\t'))
			j++;
		if (j < len && text[j] == ';')
			while (j < len && text[j] != '\n')
				j++;
		if (j < len && text[j] == '\n') {
			i = j + 1;
			continue;
		}
		break;
	}
	bool is_ttl_line = len - i >= 4 && strncasecmp(text + i, "$TTL", 4) == 0;
	bool skip_owner = !is_ttl_line && i < len && text[i] != ' ' && text[i] != '\t';
	bool first = true;
	while (i < len) {
		char c = text[i];
		if (c == ';') {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		if (isspace((unsigned char)c) || c == '(' || c == ')') {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && !isspace((unsigned char)text[i]) && text[i] != '(' && text[i] != ')' &&
		       text[i] != ';')
			i++;
		size_t tlen = i - start;
		const char *t = text + start;
		if (first && (skip_owner || is_ttl_line)) {
			first = false;
			continue;
		}
		first = false;
		if (is_ttl_line)
			return ttl_token_is_valid(t, tlen);
		if (type_name && strlen(type_name) == tlen && strncasecmp(t, type_name, tlen) == 0)
			return true;
		if (token_is_class(t, tlen))
			continue;
		if (isdigit((unsigned char)t[0]) && !ttl_token_is_valid(t, tlen))
			return false;
	}
	return true;
}

/* The rules a zone must keep, checked as each record arrives so the error
 * names its line (RFC 1034 §3.6.2: a CNAME has no other data, RRSIG and
 * NSEC aside (RFC 4035 §2.5), and is never at the apex; RFC 1035 §5.2: one
 * SOA, at the apex). Returns NULL or the reason. */
static const char *record_rule_broken(const struct zone_build *b, const uint8_t *owner, size_t owner_len,
				      uint16_t type)
{
	const uint8_t *apex = zone_build_apex(b);
	uint8_t lname[DNAME_MAX_LEN];
	dname_lower(lname, owner, owner_len);
	bool is_apex = owner_len == dname_len(apex) && memcmp(lname, apex, owner_len) == 0;
	/* RFC 6672: a DNAME redirects the names below it, which dnsd's answers
	 * do not do; served as plain data it would give NXDOMAIN where NSD,
	 * Knot and BIND synthesize a CNAME, so it is refused, not served wrong */
	if (type == WIRE_TYPE_DNAME)
		return "DNAME is not supported (dnsd does not synthesize CNAMEs from it, RFC 6672)";
	if (type == WIRE_TYPE_SOA && !is_apex)
		return "SOA record below the zone apex";
	if (type == WIRE_TYPE_SOA && zone_build_rrset_size(b, owner, WIRE_TYPE_SOA) > 1)
		return "a second SOA record";
	size_t cnames = zone_build_rrset_size(b, owner, WIRE_TYPE_CNAME);
	if (cnames == 0)
		return NULL;
	if (is_apex)
		return "CNAME at the zone apex";
	if (cnames > 1)
		return "more than one CNAME record";
	size_t others = zone_build_rrset_count(b, owner) - 1;
	others -= zone_build_rrset_size(b, owner, 46) > 0; /* RRSIG */
	others -= zone_build_rrset_size(b, owner, 47) > 0; /* NSEC */
	return others > 0 ? "CNAME and other data" : NULL;
}

int zonefile_load(struct zone_build *b, const char *path, uint32_t default_ttl_s, char *err, size_t errlen)
{
	return zonefile_load_indexed(b, path, default_ttl_s, NULL, err, errlen);
}

int zonefile_load_indexed(struct zone_build *b, const char *path, uint32_t default_ttl_s,
			  struct zone_fileindex *index, char *err, size_t errlen)
{
	char apex_text[DNAME_MAX_TEXT];
	dname_to_text(apex_text, sizeof(apex_text), zone_build_apex(b));
	char *file_text;
	size_t file_len;
	/* Read whole (file.h: a regular file no larger than ZONEFILE_MAX_LEN, so
	 * a directory, /dev/zero or a FIFO cannot make the loader spin or block),
	 * then parsed from the copy (fmemopen): telling where a record starts
	 * and reading its text back cost no system call. With a stream on the
	 * descriptor each ftell() was an lseek and each record's text a pread,
	 * 600,000 system calls and about 1 s for a 100,000-name zone. */
	if (file_read_all(path, 0, ZONEFILE_MAX_LEN, &file_text, &file_len, err, errlen) != 0)
		return DNSD_ENOENT;
	FILE *fp = fmemopen(file_text, file_len, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(file_text);
		return DNSD_ENOMEM;
	}
	int rc = 0;
	bool has_soa = false;
	int line = 1;
	uint32_t ttl = default_ttl_s;
	ldns_rdf *origin = ldns_dname_new_frm_str(apex_text);
	ldns_rdf *prev = origin ? ldns_rdf_clone(origin) : NULL;
	ldns_buffer *buf = ldns_buffer_new(512);
	if (!origin || !prev || !buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		rc = DNSD_ENOMEM;
		goto out;
	}
	while (!feof(fp)) {
		ldns_rr *rr = NULL;
		int rr_line = line;
		long start = ftell(fp);
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev, &line);
		if (ferror(fp)) {
			snprintf(err, errlen, "%s:%d: read error: %s", path, rr_line, strerror(errno));
			ldns_rr_free(rr);
			rc = DNSD_EIO;
			goto out;
		}
		long end = ftell(fp);
		const char *text = file_text + (start >= 0 ? start : 0);
		size_t text_len = start >= 0 && end > start ? (size_t)(end - start) : 0;
		if (st == LDNS_STATUS_SYNTAX_TTL && !record_ttls_are_valid(text, text_len, NULL)) {
			snprintf(err, errlen, "%s:%d: $TTL above 2147483647 (RFC 2181 §8)", path, rr_line);
			rc = DNSD_EPARSE;
			goto out;
		}
		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (st == LDNS_STATUS_SYNTAX_INCLUDE) {
			snprintf(err, errlen, "%s:%d: $INCLUDE is not supported", path, rr_line);
			rc = DNSD_ENOTSUP;
			goto out;
		}
		/* ldns has counted the newline that ended the record, so `line` is
		 * already the next one; a record spanning lines reports its last */
		int last_line = line > rr_line ? line - 1 : rr_line;
		if (st != LDNS_STATUS_OK) {
			snprintf(err, errlen, "%s:%d: %s", path, last_line, ldns_get_errorstr_by_id(st));
			rc = DNSD_EPARSE;
			goto out;
		}
		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
			snprintf(err, errlen, "%s:%d: only class IN is served", path, rr_line);
			ldns_rr_free(rr);
			rc = DNSD_EPARSE;
			goto out;
		}
		char type_name[32];
		const ldns_rr_descriptor *d = ldns_rr_descript((uint16_t)ldns_rr_get_type(rr));
		if (d && d->_name)
			snprintf(type_name, sizeof(type_name), "%s", d->_name);
		else
			snprintf(type_name, sizeof(type_name), "TYPE%u", (unsigned)ldns_rr_get_type(rr));
		if (!record_ttls_are_valid(text, text_len, type_name)) {
			snprintf(err, errlen, "%s:%d: TTL above 2147483647 (RFC 2181 §8)", path, rr_line);
			ldns_rr_free(rr);
			rc = DNSD_ERANGE;
			goto out;
		}
		ldns_rdf *owner = ldns_rr_owner(rr);
		/* ldns appends $ORIGIN to a relative owner without checking the
		 * result's length (found by fuzz_zonefile: a 261-byte owner) */
		if (!owner || ldns_rdf_get_type(owner) != LDNS_RDF_TYPE_DNAME || ldns_rdf_size(owner) < 1 ||
		    ldns_rdf_size(owner) > DNAME_MAX_LEN) {
			snprintf(err, errlen, "%s:%d: owner name longer than 255 bytes (RFC 1035 §3.1)", path,
				 rr_line);
			ldns_rr_free(rr);
			rc = DNSD_EPARSE;
			goto out;
		}
		ldns_buffer_clear(buf);
		if (ldns_rr_rdata2buffer_wire(buf, rr) != LDNS_STATUS_OK ||
		    ldns_buffer_position(buf) > 65535) {
			snprintf(err, errlen, "%s:%d: cannot encode record", path, rr_line);
			ldns_rr_free(rr);
			rc = DNSD_EPARSE;
			goto out;
		}
		int add = zone_build_add(b, ldns_rdf_data(owner), (uint16_t)ldns_rr_get_type(rr),
					 ldns_rr_ttl(rr), ldns_buffer_begin(buf),
					 (uint16_t)ldns_buffer_position(buf));
		if (add != 0) {
			char owner_text[DNAME_MAX_TEXT];
			dname_to_text(owner_text, sizeof(owner_text), ldns_rdf_data(owner));
			if (add == DNSD_EINVAL &&
			    !dname_is_subdomain(ldns_rdf_data(owner), ldns_rdf_size(owner),
						zone_build_apex(b), dname_len(zone_build_apex(b))))
				snprintf(err, errlen, "%s:%d: %s is outside zone %s", path, rr_line,
					 owner_text, apex_text);
			else
				snprintf(err, errlen, "%s:%d: %s: %s", path, rr_line, owner_text,
					 dnsd_strerror(add));
			ldns_rr_free(rr);
			rc = add;
			goto out;
		}
		uint16_t type = (uint16_t)ldns_rr_get_type(rr);
		const char *broken = record_rule_broken(b, ldns_rdf_data(owner), ldns_rdf_size(owner), type);
		if (!broken && type == WIRE_TYPE_SOA && has_soa)
			broken = "a second SOA record";
		has_soa = has_soa || type == WIRE_TYPE_SOA;
		if (broken) {
			char owner_text[DNAME_MAX_TEXT];
			dname_to_text(owner_text, sizeof(owner_text), ldns_rdf_data(owner));
			snprintf(err, errlen, "%s:%d: %s: %s", path, rr_line, owner_text, broken);
			ldns_rr_free(rr);
			rc = DNSD_EZONE;
			goto out;
		}
		if (index && zone_fileindex_add(index, ldns_rdf_data(owner), (uint16_t)ldns_rr_get_type(rr),
						ldns_buffer_begin(buf), (uint16_t)ldns_buffer_position(buf),
						(uint32_t)rr_line) != 0) {
			snprintf(err, errlen, "%s: out of memory", path);
			ldns_rr_free(rr);
			rc = DNSD_ENOMEM;
			goto out;
		}
		ldns_rr_free(rr);
	}
out:
	ldns_buffer_free(buf);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	fclose(fp);
	free(file_text);
	return rc;
}

struct zone_build *zonefile_builder_new(const struct config_zone *cz, const uint8_t *apex,
					const struct zone_apex_ns *ns, size_t ns_count,
					struct zone_fileindex *index, unsigned *made, char *err,
					size_t errlen)
{
	unsigned added = 0;
	struct zone_build *b = zone_build_new(apex, cz->ttl_s);
	if (!b) {
		snprintf(err, errlen, "zone %s: out of memory", cz->name);
		return NULL;
	}
	if (cz->file && zonefile_load_indexed(b, cz->file, cz->ttl_s, index, err, errlen) != 0)
		goto fail;
	bool has_soa = zone_build_has_soa(b), has_ns = zone_build_has_apex_ns(b);
	if (has_ns && cz->nameservers_count) {
		snprintf(err, errlen,
			 "zone %s: nameservers: is given and %s has apex NS records; keep one of them",
			 cz->name, cz->file);
		goto fail;
	}
	if (has_ns && !has_soa) {
		snprintf(err, errlen, "%s: zone %s: no SOA record (dnsd makes the SOA only with the apex NS)",
			 cz->file, cz->name);
		goto fail;
	}
	if (!has_ns) {
		/* the serial starts from the clock so it only moves forward across restarts */
		int rc = zone_apex_add(b, ns, ns_count, cz->ttl_s, (uint32_t)time(NULL));
		if (rc != 0) {
			snprintf(err, errlen, "zone %s: %s", cz->name, dnsd_strerror(rc));
			goto fail;
		}
		added = ZONEFILE_MADE_NS | (has_soa ? 0 : ZONEFILE_MADE_SOA);
	}
	if (made)
		*made = added;
	return b;
fail:
	zone_build_free(b);
	return NULL;
}
