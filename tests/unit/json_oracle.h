/* SPDX-License-Identifier: BSD-3-Clause
 * json_oracle.h - jansson's view of a document, for the differential test. */
#ifndef DNSD_JSON_ORACLE_H
#define DNSD_JSON_ORACLE_H
#include <stddef.h>
/* Canonical text of the document (caller frees), or NULL with why. */
char *oracle_canon(const char *text, size_t len, char *why, size_t why_len);
#endif
