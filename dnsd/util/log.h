/* SPDX-License-Identifier: BSD-3-Clause
 * log.h - leveled logging to stderr, one line per message, safe from any thread.
 * Never called on the query path except for the optional query log. */
#ifndef DNSD_LOG_H
#define DNSD_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

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

/* A line that anyone who can send a packet can cause at will (a refused
 * transfer, a bad TSIG) goes through a limiter of its kind, so that a flood
 * cannot fill the disk or drown the other lines: at most LOG_LIMIT_LINES of
 * it a second (CLOCK_MONOTONIC_COARSE); the lines held back are counted and
 * the next line that goes out says how many. Zero-initialised; lock-free,
 * from any thread. The counters in /metrics still count every event. */
#define LOG_LIMIT_LINES 5
struct log_limit {
	_Atomic uint64_t window; /* the second << 8 | lines let out in it */
	_Atomic uint64_t held;   /* lines held back since the last let out */
};

/* Whether the line may go out now. When it may, *held is the number held
 * back since the last that went out (to be said in this one), now 0 again. */
bool log_limit_pass(struct log_limit *l, uint64_t *held);

#endif
