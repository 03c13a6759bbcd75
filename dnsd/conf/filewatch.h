/* SPDX-License-Identifier: BSD-3-Clause
 * filewatch.h - tells when the configuration or a zone file changed, with
 * inotify, so that a ConfigMap edit takes effect without a signal (a FROM
 * scratch image has no shell to send SIGHUP from). It watches directories,
 * not files: an editor that saves by rename, `cp` over the file, and the
 * kubelet's atomic writer (which swaps the `..data` symlink to a new
 * timestamped directory) all change a name in a directory. Every symlink on
 * the way to a file is followed and the directory that holds it watched, so
 * /etc/dnsd/dnsd.yaml -> ..data/dnsd.yaml, ..data -> ..2026_12_01_..., is
 * seen to change when ..data moves. A change is reported once the file's
 * identity (resolved path, inode, size, times) differs or it was rewritten
 * in place; events for other names in those directories are ignored.
 *
 * Owns an inotify descriptor; the caller polls it (filewatch_fd()) in its
 * event loop and calls filewatch_read() when it is readable. Single-threaded:
 * one thread uses a filewatch. No libevent here. */
#ifndef DNSD_FILEWATCH_H
#define DNSD_FILEWATCH_H

#include <stdbool.h>
#include <stddef.h>

struct filewatch;

/* A new watcher with nothing watched. NULL with a message in err when
 * inotify is unavailable (the caller then relies on SIGHUP). */
struct filewatch *filewatch_new(char *err, size_t errlen);
/* Frees the watcher and closes its descriptor; accepts NULL. */
void filewatch_free(struct filewatch *w);

/* Watches exactly these files from now on (replacing the previous set; a
 * reload may name other zone files). A path that was in the set keeps its
 * baseline (the state filewatch_read() last reported); a new one's current
 * state is its baseline. Paths are copied. A file that does not exist yet is
 * watched for its appearance. Returns 0, DNSD_ENOMEM, or DNSD_EIO when a
 * directory cannot be watched (err names it and why; the rest are
 * watched). */
int filewatch_set(struct filewatch *w, const char *const *paths, size_t count, char *err, size_t errlen);

/* The descriptor to poll for reading. */
int filewatch_fd(const struct filewatch *w);

/* Reads the pending events (never blocks). Returns 1 when a watched file has
 * changed since the baseline, writing the first such path into changed (the
 * new state becomes the baseline, and the watches follow the new symlink
 * targets), 0 when nothing watched changed, or DNSD_EIO. */
int filewatch_read(struct filewatch *w, char *changed, size_t changed_len);

#endif
