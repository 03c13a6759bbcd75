/* SPDX-License-Identifier: BSD-3-Clause
 * fuzz_config.c - libFuzzer harness for the YAML config loader. Any input must
 * either load or fail with a message; it must never crash, hang or leak. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	char err[256];

	/* A relative name exercises the file:/kubeconfig: path resolution. */
	int rc = config_load_buffer("fuzz/dnsd.yaml", (const char *)data, size, &cfg, err, sizeof(err));
	/* The contract: on failure a message and no config, on success no message. */
	assert(rc == 0 ? (cfg != NULL && err[0] == '\0')
		       : (cfg == NULL && strncmp(err, "fuzz/dnsd.yaml", 14) == 0));
	(void)rc;
	config_free(cfg);
	return 0;
}
