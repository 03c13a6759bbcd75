/* SPDX-License-Identifier: BSD-3-Clause
 * config_schema.h - what the loader (config.c) and the option table
 * (config_schema.c) share: the tree of YAML nodes with their positions, the
 * loader's context and error helpers, and the table's entry points. Private
 * to conf/config*.c: everything else includes conf/config.h. */
#ifndef DNSD_CONFIG_SCHEMA_H
#define DNSD_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

/* Values quoted in messages are cut here so one line stays readable. */
#define CONFIG_QUOTE_MAX 48

/* ---- the tree of YAML nodes, with positions (config.c) ---- */

enum config_node_kind {
	CONFIG_NODE_SCALAR,
	CONFIG_NODE_SEQUENCE,
	CONFIG_NODE_MAPPING,
};

/* One YAML node. A mapping's children alternate key, value. */
struct config_node {
	enum config_node_kind kind;
	int line;         /* 1-based */
	int column;       /* 1-based */
	char *value;      /* scalar text, NUL-terminated */
	size_t value_len; /* may exceed strlen(value) if the YAML had "\0" */
	bool is_plain;    /* plain style: "", "~" and "null" mean null */
	char *tag;        /* explicit tag as written, or NULL */
	struct config_node **children;
	size_t count;
	size_t cap;
	struct config_node *parent;
};

/* Where the loader is and where its message goes. */
struct config_ctx {
	const char *name; /* file name used in messages */
	char *dir;        /* directory relative paths are resolved against, or NULL */
	char *err;
	size_t errlen;
};

/* Writes "name:line:column: " (line 1, column 1 when at is NULL) and the
 * message into ctx->err, and returns code. */
__attribute__((format(printf, 4, 5))) int config_error(struct config_ctx *ctx, int code,
						       const struct config_node *at, const char *fmt, ...);

/* Writes "name: out of memory" and returns DNSD_ENOMEM. */
int config_nomem(struct config_ctx *ctx);

/* node's value as a message shows it: cut after CONFIG_QUOTE_MAX bytes into
 * buf (CONFIG_QUOTE_MAX + 4 bytes). Returns node's value or buf. */
const char *config_quote(const struct config_node *node, char *buf, size_t buflen);

/* 0 when node is of kind, without a tag and (a scalar) without NUL bytes;
 * otherwise an error naming path, with hint appended to a kind mismatch. */
int config_expect(struct config_ctx *ctx, const struct config_node *node, enum config_node_kind kind,
		  const char *path, const char *hint);

/* A plain "", "~" or "null" scalar. */
bool config_node_is_null(const struct config_node *node);

/* The value of key in a mapping node, or NULL (also when map is NULL). */
const struct config_node *config_map_get(const struct config_node *map, const char *key);

/* Parses one YAML document of len bytes into a tree (*out, NULL for an
 * empty document; free with config_node_free()). Aliases, more than one
 * document and deep nesting are refused. Returns 0 or a negative dnsd_err
 * with the message in ctx. */
int config_tree_parse(struct config_ctx *ctx, const char *buf, size_t len, struct config_node **out);

/* Frees node and everything below it; accepts NULL. */
void config_node_free(struct config_node *node);

/* ---- the option table (config_schema.c) ---- */

/* Sets every field of cfg from root, the top-level mapping, and the
 * defaults of every key it lacks. On failure the fields set so far stay in
 * cfg for config_schema_free(). */
int config_schema_apply(struct config_ctx *ctx, const struct config_node *root, struct config *cfg);

/* Frees what the table's fields of cfg own; not cfg itself, nor cfg->path. */
void config_schema_free(struct config *cfg);

#endif
