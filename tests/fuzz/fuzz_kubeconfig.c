/* SPDX-License-Identifier: BSD-3-Clause
 * fuzz_kubeconfig.c - libFuzzer harness for the kubeconfig loader: the input
 * becomes a file (a memfd: a regular file, as file.h requires) and is loaded
 * with its current-context, then with a context named "fuzz". Each load
 * either gives a server URL with its parts, or fails with a message that
 * names the file; it never crashes, hangs or leaks. The files it names are
 * only checked (the check follows /proc/self/fd/..., never the network). */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "k8s/kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void load_once(const char *path, const char *context)
{
	struct k8s_auth a;
	char err[512] = "";
	int rc = kubeconfig_load(&a, path, context, err, sizeof(err));
	if (rc == 0) {
		assert(a.server != NULL && a.host[0] != '\0' && a.port != 0);
		/* https needs a CA unless verification is off (kubeconfig.h) */
		assert(!a.is_tls || a.ca_file || a.ca_pem || a.is_insecure);
		k8s_auth_clear(&a);
	} else {
		assert(strncmp(err, path, strlen(path)) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz.kubeconfig", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	load_once(path, NULL);
	load_once(path, "fuzz");
	close(fd);
	return 0;
}
