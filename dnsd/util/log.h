/* SPDX-License-Identifier: BSD-3-Clause
 * log.h - leveled logging to stderr, one line per message, safe from any thread.
 * Never called on the query path except for the optional query log. */
#ifndef DNSD_LOG_H
#define DNSD_LOG_H

#include <stdbool.h>

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Sets the threshold; messages above it are dropped. Default: info. The
 * configuration's log.level names the same levels (config_schema.c). */
void log_set_level(enum log_level level);

/* Writes one line "time dnsd[pid] level: message" to stderr when level is
 * within the threshold. Called through the log_error()..log_debug() macros. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
