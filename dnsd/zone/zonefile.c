/* SPDX-License-Identifier: BSD-3-Clause
 * zonefile.c - zone files via ldns, one record at a time (no ldns_zone in
 * memory), converted to uncompressed wire rdata for zone_build. Never
 * freezes a zone. */
#include "zone/zonefile.h"

#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dns/dname.h"
#include "util/err.h"

int zonefile_load(struct zone_build *b, const char *path, uint32_t default_ttl_s, char *err,
		  size_t errlen)
{
	return zonefile_load_indexed(b, path, default_ttl_s, NULL, err, errlen);
}

int zonefile_load_indexed(struct zone_build *b, const char *path, uint32_t default_ttl_s,
			  struct zone_fileindex *index, char *err, size_t errlen)
{
	char apex_text[DNAME_MAX_TEXT];
	dname_to_text(apex_text, sizeof(apex_text), zone_build_apex(b));
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return DNSD_ENOENT;
	}
	int rc = 0;
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
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev, &line);
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
		ldns_rdf *owner = ldns_rr_owner(rr);
		ldns_buffer_clear(buf);
		if (ldns_rr_rdata2buffer_wire(buf, rr) != LDNS_STATUS_OK || ldns_buffer_position(buf) > 65535) {
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
			if (add == DNSD_EINVAL && !dname_is_subdomain(ldns_rdf_data(owner), ldns_rdf_size(owner),
								      zone_build_apex(b), dname_len(zone_build_apex(b))))
				snprintf(err, errlen, "%s:%d: %s is outside zone %s", path, rr_line, owner_text,
					 apex_text);
			else
				snprintf(err, errlen, "%s:%d: %s: %s", path, rr_line, owner_text, dnsd_strerror(add));
			ldns_rr_free(rr);
			rc = add;
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
	return rc;
}

struct zone_build *zonefile_builder_new(const struct config_zone *cz, const uint8_t *apex,
					const struct zone_apex_ns *ns, size_t ns_count,
					struct zone_fileindex *index, unsigned *made, char *err, size_t errlen)
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
		snprintf(err, errlen, "zone %s: nameservers: is given and %s has apex NS records; keep one of them",
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
