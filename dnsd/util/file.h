/* SPDX-License-Identifier: BSD-3-Clause
 * file.h - the one way dnsd opens a file it was told to read: the config,
 * TSIG secret files, zone files, the kubeconfig and the files it names
 * (CA, client certificate and key, token), the service account's files and
 * the state files. Only a regular file no larger than a limit is accepted:
 * a directory, a FIFO, /dev/zero or a socket is refused with the path and
 * the reason, at once (the open never blocks), and every read checks its
 * errors, so neither `dnsd -t` nor a reload can spin or hang on one. */
#ifndef DNSD_FILE_H
#define DNSD_FILE_H

#include <stddef.h>

/* Opens path read-only (O_CLOEXEC | extra_flags, e.g. O_NOFOLLOW) if it is
 * a regular file of at most max_len bytes. Returns the descriptor (blocking
 * again; caller closes), or DNSD_ENOENT (no such file), DNSD_ERANGE (too
 * large), DNSD_EINVAL (not a regular file) or DNSD_EIO, with err saying
 * "path: reason". */
int file_open_regular(const char *path, int extra_flags, size_t max_len, char *err, size_t errlen);

/* The same check, for a file another library opens by name (OpenSSL):
 * 0 or the errors of file_open_regular(). */
int file_check_regular(const char *path, size_t max_len, char *err, size_t errlen);

/* Reads all of path (file_open_regular()) into *data, NUL-terminated
 * (caller frees), its length in *len. A read error is DNSD_EIO with err
 * "path: cannot read: reason"; DNSD_ENOMEM. On failure *data is NULL. */
int file_read_all(const char *path, int extra_flags, size_t max_len, char **data, size_t *len, char *err,
		  size_t errlen);

#endif
