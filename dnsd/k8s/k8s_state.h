/* SPDX-License-Identifier: BSD-3-Clause
 * k8s_state.h - the last known state of one Kubernetes source on disk
 * (`state-dir:`), so that a dnsd that starts while its API server is
 * unreachable can serve what the source last contributed (README "Last known
 * state"). This module is the file format, its writer and its reader; it
 * knows nothing of threads, catalogs or the API.
 *
 * A state holds the source's name, the time it was saved, one cursor
 * (namespace, resourceVersion) per list+watch of the source, and its
 * ServiceEntries as the API sent them, one compact JSON object each, less the
 * bulky bookkeeping that no record depends on (metadata.managedFields and
 * kubectl's last-applied-configuration annotation). Keeping the API's own
 * JSON, not a struct of ours, means a saved entry is decoded by exactly the
 * code that decodes a live one, whatever fields that code learns to read.
 *
 * The file, <state-dir>/<source>.state, is text:
 *   dnsd-state 1
 *   source <name>
 *   saved-unix <seconds>
 *   cursor <namespace or *> <resourceVersion>      (one per list+watch)
 *   objects <count>
 *   <one JSON object per line>                     (count lines)
 *   sha256 <64 hex digits of every byte before this line>
 * It is written to a temporary file in the same folder, fsync()ed, renamed
 * over the old one and the folder fsync()ed, so a crash (kill -9, power
 * loss) at any point leaves the previous file or the new one, never a mix.
 * A missing, truncated, corrupted, foreign-version or other source's file is
 * refused as a whole with a reason. */
#ifndef DNSD_K8S_STATE_H
#define DNSD_K8S_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "k8s/json.h"

#define K8S_STATE_VERSION 1
/* The largest state file read (100k ServiceEntries take about 40 MB). */
#define K8S_STATE_FILE_MAX (512u << 20)

struct k8s_state;

/* An empty state for the source called source. NULL when out of memory. */
struct k8s_state *k8s_state_new(const char *source);
void k8s_state_free(struct k8s_state *st);

/* Adds the cursor of one list+watch: namespace_ NULL for all namespaces.
 * DNSD_EINVAL for a namespace or resourceVersion with blanks or control
 * characters (the API sends neither). */
int k8s_state_add_cursor(struct k8s_state *st, const char *namespace_, const char *resource_version);

/* The compact line the file keeps for obj (a ServiceEntry object): caller
 * frees *out with free(). Made when the object arrives, so that saving only
 * copies lines. Returns 0 or DNSD_ENOMEM, DNSD_EINVAL when obj is not an
 * object. */
int k8s_state_encode_object(char **out, size_t *len, const struct json_value *obj);
/* Adds one line made by k8s_state_encode_object() (copied). */
int k8s_state_add_object(struct k8s_state *st, const char *line, size_t len);

/* The whole file for st, saved at saved_unix: caller frees *out with free(). */
int k8s_state_encode(const struct k8s_state *st, int64_t saved_unix, char **out, size_t *len);
/* Parses a whole file. expect_source: the source it must belong to (NULL:
 * any). Returns 0 and a new state in *out, or DNSD_EPARSE (malformed,
 * truncated, checksum mismatch, another source), DNSD_ENOTSUP (another
 * format version) or DNSD_ENOMEM, with the reason in err. */
int k8s_state_decode(struct k8s_state **out, const char *data, size_t len, const char *expect_source,
		     char *err, size_t errlen);

/* Writes st to <dir>/<source>.state atomically (see above). Blocks on
 * fsync(); call it from a source's own thread, never the query path.
 * Returns 0 or DNSD_EIO/DNSD_ENOMEM with "path: reason" in err. */
int k8s_state_save(const struct k8s_state *st, const char *dir, int64_t saved_unix, char *err, size_t errlen);
/* Reads <dir>/<source>.state and removes temporary files a crash left
 * behind. DNSD_ENOENT when there is no file; otherwise as decode. */
int k8s_state_load(struct k8s_state **out, const char *dir, const char *source, char *err, size_t errlen);
/* The file's path for source in dir ('/' and other bytes outside
 * [A-Za-z0-9._-] %-escaped). Returns 0 or DNSD_ERANGE if it does not fit. */
int k8s_state_path(char *out, size_t len, const char *dir, const char *source);

const char *k8s_state_source(const struct k8s_state *st);
int64_t k8s_state_saved_unix(const struct k8s_state *st);
size_t k8s_state_cursor_count(const struct k8s_state *st);
/* Cursor i's namespace (NULL: all namespaces) and resourceVersion; borrowed
 * until k8s_state_free(). */
const char *k8s_state_cursor_namespace(const struct k8s_state *st, size_t i);
const char *k8s_state_cursor_resource_version(const struct k8s_state *st, size_t i);
size_t k8s_state_object_count(const struct k8s_state *st);
/* Object i's JSON text (not NUL-terminated; *len bytes); borrowed. */
const char *k8s_state_object_at(const struct k8s_state *st, size_t i, size_t *len);

#endif
