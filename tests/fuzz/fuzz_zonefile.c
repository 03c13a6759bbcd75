/* SPDX-License-Identifier: BSD-3-Clause
 * fuzz_zonefile.c - libFuzzer harness for zone files through the loader: the
 * input becomes a file (a memfd, so a regular file as the loader requires),
 * is loaded into a builder for zone "global." and frozen. It must load and
 * freeze, or fail with a message naming the file; never crash, hang or leak. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dns/dname.h"
#include "zone/zone.h"
#include "zone/zone_apex.h"
#include "zone/zone_build.h"
#include "zone/zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t apex[] = "\x06global";

/* What a zone without SOA and NS gets (zone_apex.h): the apex NS, and the
 * SOA when the file gave none; a file with its own apex NS keeps it. */
static int add_apex(struct zone_build *b)
{
	if (zone_build_has_apex_ns(b))
		return 0;
	struct zone_apex_ns ns = { .address_count = 0 };
	dname_from_text(ns.name, "ns.example");
	return zone_apex_add(b, &ns, 1, 30, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz.zone", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct zone_build *b = zone_build_new(apex, 30);
	assert(b);
	char err[512] = "";
	int rc = zonefile_load(b, path, 30, err, sizeof(err));
	/* the contract: a failure says why, naming the file */
	assert(rc == 0 || strncmp(err, path, strlen(path)) == 0);
	if (rc == 0 && add_apex(b) == 0) {
		char ferr[512] = "";
		struct zone *z = zone_build_freeze(b, ferr, sizeof(ferr));
		assert(z || ferr[0] != '\0');
		zone_unref(z);
	}
	zone_build_free(b);
	close(fd);
	return 0;
}
