/* SPDX-License-Identifier: BSD-3-Clause
 * config.c - the loader: YAML (libyaml events) -> a tree of nodes with
 * positions -> struct config through the option table (config_schema.c),
 * then the checks across entries (zones, views and sources that name each
 * other). libyaml does not leave this file, and nothing here logs: errors
 * go back to the caller as "file:line:column: message" so it can log them once. */
#include "conf/config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "conf/config_schema.h"
#include "dns/tsig.h"
#include "util/array.h"
#include "util/err.h"
#include "util/file.h"

/* Deepest nesting a valid config needs is 4 (views[0].match-clients[0]);
 * the cap keeps hostile inputs like "[[[[..." from costing memory or stack. */
#define CONFIG_DEPTH_MAX 16
/* Far above any sane config; stops config_load() from slurping /dev/zero. */
#define CONFIG_FILE_MAX (16u << 20)
#define CONFIG_SECRET_FILE_MAX 1023 /* a TSIG secret-file: base64 of at most ~760 bytes */

/* ---- errors ---- */

int config_error(struct config_ctx *ctx, int code, const struct config_node *at, const char *fmt, ...)
{
	if (!ctx->err || ctx->errlen == 0)
		return code;
	int n = snprintf(ctx->err, ctx->errlen, "%s:%d:%d: ", ctx->name, at ? at->line : 1,
			 at ? at->column : 1);
	if (n < 0 || (size_t)n >= ctx->errlen)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->err + n, ctx->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

int config_nomem(struct config_ctx *ctx)
{
	if (ctx->err && ctx->errlen > 0)
		snprintf(ctx->err, ctx->errlen, "%s: out of memory", ctx->name);
	return DNSD_ENOMEM;
}

/* A value as it appears in a message: cut short, so a 1 MB scalar stays one line. */
const char *config_quote(const struct config_node *node, char *buf, size_t buflen)
{
	size_t len = strlen(node->value);
	if (len < buflen && len <= CONFIG_QUOTE_MAX)
		return node->value;
	snprintf(buf, buflen, "%.*s...", CONFIG_QUOTE_MAX, node->value);
	return buf;
}

static const char *config_kind_name(enum config_node_kind kind)
{
	switch (kind) {
	case CONFIG_NODE_SCALAR: return "a scalar";
	case CONFIG_NODE_SEQUENCE: return "a sequence";
	case CONFIG_NODE_MAPPING: return "a mapping";
	}
	return "?";
}

/* Tags and NUL bytes are checked here rather than while parsing so that the
 * message can name the key. */
int config_expect(struct config_ctx *ctx, const struct config_node *node, enum config_node_kind kind,
		  const char *path, const char *hint)
{
	if (node->tag) {
		if (node->tag[0] == '!' && node->tag[1] != '!')
			return config_error(ctx, DNSD_EINVAL, node,
					    "%s: YAML tag '%s' is not supported; quote values "
					    "that start with '!': \"%s\"",
					    path, node->tag, node->tag);
		return config_error(ctx, DNSD_EINVAL, node, "%s: YAML tag '%s' is not supported", path,
				    node->tag);
	}
	if (node->kind != kind)
		return config_error(ctx, DNSD_EINVAL, node, "%s: expected %s, got %s%s", path,
				    config_kind_name(kind), config_kind_name(node->kind), hint ? hint : "");
	if (kind == CONFIG_NODE_SCALAR && strlen(node->value) != node->value_len)
		return config_error(ctx, DNSD_EINVAL, node, "%s: value contains a NUL byte", path);
	return 0;
}

bool config_node_is_null(const struct config_node *node)
{
	return node->is_plain && (node->value[0] == '\0' || strcmp(node->value, "~") == 0 ||
				  strcasecmp(node->value, "null") == 0);
}

/* ---- YAML events -> tree ---- */

void config_node_free(struct config_node *node)
{
	if (!node)
		return;
	for (size_t i = 0; i < node->count; i++)
		config_node_free(node->children[i]);
	free(node->children);
	free(node->value);
	free(node->tag);
	free(node);
}

/* Creates a node for an event and hangs it under parent, so that freeing the
 * root always frees everything created so far. */
static struct config_node *config_node_add(struct config_node *parent, enum config_node_kind kind,
					   const yaml_mark_t *mark, const yaml_char_t *tag)
{
	if (parent && ARRAY_RESERVE_ONE(parent->children, &parent->cap, parent->count, 8) != 0)
		return NULL;
	struct config_node *node = calloc(1, sizeof(*node));
	if (!node)
		return NULL;
	node->kind = kind;
	node->line = mark->line + 1 > INT32_MAX ? INT32_MAX : (int)mark->line + 1;
	node->column = mark->column + 1 > INT32_MAX ? INT32_MAX : (int)mark->column + 1;
	node->parent = parent;
	if (parent)
		parent->children[parent->count++] = node;
	if (tag) {
		node->tag = strdup((const char *)tag);
		if (!node->tag) {
			if (!parent) /* not yet reachable from the root: ours to free */
				free(node);
			return NULL;
		}
	}
	return node;
}

/* libyaml reports reader errors (bad UTF-8, control characters) by byte
 * offset only; turn it into line:column for the message. */
static void config_offset_position(const char *buf, size_t len, size_t offset, struct config_node *pos)
{
	pos->line = 1;
	pos->column = 1;
	for (size_t i = 0; i < offset && i < len; i++) {
		if (buf[i] == '\n') {
			pos->line++;
			pos->column = 1;
		} else if (pos->column < INT32_MAX) {
			pos->column++;
		}
	}
}

static int config_syntax_error(struct config_ctx *ctx, const yaml_parser_t *parser, const char *buf,
			       size_t len)
{
	struct config_node pos = { .line = 1, .column = 1 };
	if (parser->error == YAML_MEMORY_ERROR)
		return config_nomem(ctx);
	if (parser->error == YAML_READER_ERROR) {
		config_offset_position(buf, len, parser->problem_offset, &pos);
	} else {
		pos.line = (int)(parser->problem_mark.line + 1 > INT32_MAX ? INT32_MAX
									   : parser->problem_mark.line + 1);
		pos.column = (int)(parser->problem_mark.column + 1 > INT32_MAX
					   ? INT32_MAX
					   : parser->problem_mark.column + 1);
	}
	const char *problem = parser->problem ? parser->problem : "unknown error";
	if (parser->context)
		return config_error(ctx, DNSD_EPARSE, &pos, "YAML syntax error: %s (%s at line %zu)", problem,
				    parser->context, parser->context_mark.line + 1);
	return config_error(ctx, DNSD_EPARSE, &pos, "YAML syntax error: %s", problem);
}

/* Parses one YAML document into a tree of config_node. Aliases are refused:
 * the config never needs them, and an alias loop or a "billion laughs"
 * document would otherwise be walked without end. */
int config_tree_parse(struct config_ctx *ctx, const char *buf, size_t len, struct config_node **out)
{
	yaml_parser_t parser;
	yaml_event_t event;
	struct config_node *root = NULL, *cur = NULL;
	bool has_event = false, is_done = false;
	int documents = 0, depth = 0;
	int rc = 0;

	*out = NULL;
	if (!yaml_parser_initialize(&parser))
		return config_nomem(ctx);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);

	while (!is_done) {
		if (!yaml_parser_parse(&parser, &event)) {
			rc = config_syntax_error(ctx, &parser, buf, len);
			goto fail;
		}
		has_event = true;
		struct config_node pos = { .line = (int)event.start_mark.line + 1,
					   .column = (int)event.start_mark.column + 1 };
		struct config_node *node = NULL;

		switch (event.type) {
		case YAML_STREAM_END_EVENT: is_done = true; break;
		case YAML_DOCUMENT_START_EVENT:
			if (++documents > 1) {
				rc = config_error(ctx, DNSD_EPARSE, &pos,
						  "only one YAML document is allowed");
				goto fail;
			}
			break;
		case YAML_ALIAS_EVENT:
			rc = config_error(ctx, DNSD_EINVAL, &pos, "YAML aliases (*%s) are not supported",
					  (const char *)event.data.alias.anchor);
			goto fail;
		case YAML_SCALAR_EVENT:
			node = config_node_add(cur, CONFIG_NODE_SCALAR, &event.start_mark,
					       event.data.scalar.tag);
			if (!node)
				goto nomem;
			if (!root)
				root = node;
			node->value = malloc(event.data.scalar.length + 1);
			if (!node->value)
				goto nomem;
			memcpy(node->value, event.data.scalar.value, event.data.scalar.length);
			node->value[event.data.scalar.length] = '\0';
			node->value_len = event.data.scalar.length;
			node->is_plain = event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > CONFIG_DEPTH_MAX) {
				rc = config_error(ctx, DNSD_ELIMIT, &pos, "nesting deeper than %d levels",
						  CONFIG_DEPTH_MAX);
				goto fail;
			}
			node = config_node_add(cur,
					       event.type == YAML_SEQUENCE_START_EVENT ? CONFIG_NODE_SEQUENCE
										       : CONFIG_NODE_MAPPING,
					       &event.start_mark,
					       event.type == YAML_SEQUENCE_START_EVENT
						       ? event.data.sequence_start.tag
						       : event.data.mapping_start.tag);
			if (!node)
				goto nomem;
			if (!root)
				root = node;
			cur = node;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			/* libyaml pairs start and end events, so cur is never NULL here. */
			assert(cur);
			cur = cur->parent;
			depth--;
			break;
		default: break;
		}
		yaml_event_delete(&event);
		has_event = false;
	}
	yaml_parser_delete(&parser);
	*out = root;
	return 0;

nomem:
	rc = config_nomem(ctx);
fail:
	if (has_event)
		yaml_event_delete(&event);
	yaml_parser_delete(&parser);
	config_node_free(root);
	return rc;
}

const struct config_node *config_map_get(const struct config_node *map, const char *key)
{
	for (size_t i = 0; map && i + 1 < map->count; i += 2)
		if (strcmp(map->children[i]->value, key) == 0)
			return map->children[i + 1];
	return NULL;
}

/* ---- cross-references ---- */

static bool config_has_zone(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->zones_count; i++)
		if (strcmp(cfg->zones[i].name, name) == 0)
			return true;
	return false;
}

static bool config_has_view(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->views_count; i++)
		if (strcmp(cfg->views[i].name, name) == 0)
			return true;
	return false;
}

bool config_zone_in_view(const struct config_zone *z, const char *view_name)
{
	if (z->views_count == 0)
		return true;
	for (size_t i = 0; i < z->views_count; i++)
		if (strcmp(z->views[i], view_name) == 0)
			return true;
	return false;
}

/* A view both entries serve, or NULL when their views are disjoint. An entry
 * without views: serves every view, so it overlaps any other entry. */
static const char *config_zones_overlap(const struct config *cfg, const struct config_zone *a,
					const struct config_zone *b)
{
	if (a->views_count == 0 && b->views_count == 0)
		return "";
	for (size_t i = 0; i < cfg->views_count; i++)
		if (config_zone_in_view(a, cfg->views[i].name) && config_zone_in_view(b, cfg->views[i].name))
			return cfg->views[i].name;
	return NULL;
}

/* Does some zone entry named name serve view v? */
static bool config_view_has_zone(const struct config *cfg, const char *view_name, const char *name)
{
	for (size_t i = 0; i < cfg->zones_count; i++)
		if (strcmp(cfg->zones[i].name, name) == 0 && config_zone_in_view(&cfg->zones[i], view_name))
			return true;
	return false;
}

static bool config_has_kubernetes(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->kubernetes_count; i++)
		if (strcmp(cfg->kubernetes[i].name, name) == 0)
			return true;
	return false;
}

/* Is there a TSIG key named name (any case, trailing dot or not)? */
static bool config_has_key(const struct config *cfg, const char *name)
{
	size_t len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < cfg->tsig_keys_count; i++)
		if (strlen(cfg->tsig_keys[i].name) == len &&
		    strncasecmp(cfg->tsig_keys[i].name, name, len) == 0)
			return true;
	return false;
}

/* Reads a key's secret-file (a Kubernetes Secret volume holds the bare
 * base64, maybe with a newline) into secret. */
static int config_read_secret(struct config_tsig_key *k, char *why, size_t why_len)
{
	char *text;
	size_t len;
	int rc = file_read_all(k->secret_file, 0, CONFIG_SECRET_FILE_MAX, &text, &len, why, why_len);
	if (rc != 0)
		return rc;
	k->secret = text; /* as written: tsig_key_init() skips the newline */
	return 0;
}

/* One hex digit's value, or -1. */
static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* cookie-secret-file: one secret per line, 32 hex digits (128 bits, the
 * SipHash-2-4 key of RFC 9018); the first is current, a second one is the
 * previous secret, still accepted (rotation: write "new\nold", reload,
 * and drop "old" an hour later). Blank lines and '#' comments are skipped.
 * A regular file of at most 4 KiB (util/file.h: a FIFO or /dev/zero must
 * not hang a reload). On failure why says "file:line: reason". */
static int config_read_cookie_secrets(struct config *cfg, char *why, size_t why_len)
{
	const char *path = cfg->cookie_secret_file;
	char *buf;
	size_t n;
	int frc = file_read_all(path, 0, 4096, &buf, &n, why, why_len); /* util/file.h */
	if (frc != 0)
		return frc;
	unsigned count = 0;
	int line = 0;
	int rc = 0;
	for (char *p = buf, *next; p && *p && rc == 0; p = next) {
		line++;
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		size_t len = strlen(p);
		while (len && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t'))
			p[--len] = '\0';
		while (*p == ' ' || *p == '\t')
			p++, len--;
		if (len == 0 || *p == '#')
			continue;
		if (count == 2) {
			snprintf(why, why_len, "%s:%d: more than two secrets (current, previous)", path,
				 line);
			rc = DNSD_EINVAL;
			break;
		}
		uint8_t *key = count == 0 ? cfg->cookie_secrets.current : cfg->cookie_secrets.previous;
		bool is_hex = len == 2 * SIPHASH_KEY_LEN;
		for (size_t i = 0; is_hex && i < SIPHASH_KEY_LEN; i++) {
			int hi = hex_value(p[2 * i]), lo = hex_value(p[2 * i + 1]);
			is_hex = hi >= 0 && lo >= 0;
			key[i] = (uint8_t)(hi << 4 | lo);
		}
		if (!is_hex) {
			snprintf(why, why_len, "%s:%d: a secret is %d hex digits (128 bits)", path, line,
				 2 * SIPHASH_KEY_LEN);
			rc = DNSD_EPARSE;
			break;
		}
		count++;
	}
	memset(buf, 0, n);
	free(buf);
	if (rc == 0 && count == 0) {
		snprintf(why, why_len, "%s: no secret in it", path);
		rc = DNSD_EINVAL;
	}
	if (rc != 0) {
		memset(&cfg->cookie_secrets, 0, sizeof(cfg->cookie_secrets));
		return rc;
	}
	cfg->cookie_secrets.has_previous = count == 2;
	cfg->has_cookie_secrets = true;
	return 0;
}

/* DNS Cookies: the secret file, and an allowlist the snapshot can hold. */
static int config_check_cookies(struct config_ctx *ctx, struct config *cfg, const struct config_node *root)
{
	if (cfg->cookie_allow_count > CONFIG_COOKIE_ALLOW_MAX)
		return config_error(ctx, DNSD_ERANGE, config_map_get(root, "cookie-allow"),
				    "cookie-allow: at most %d prefixes", CONFIG_COOKIE_ALLOW_MAX);
	if (!cfg->cookie_secret_file)
		return 0;
	char why[512];
	int rc = config_read_cookie_secrets(cfg, why, sizeof(why));
	if (rc != 0)
		return config_error(ctx, rc, config_map_get(root, "cookie-secret-file"),
				    "cookie-secret-file: %s", why);
	return 0;
}

/* Transfer settings: keys and the entries that name them. */
static int config_check_xfr(struct config_ctx *ctx, struct config *cfg, const struct config_node *root)
{
	const struct config_node *keys = config_map_get(root, "tsig-keys");
	const struct config_node *zones = config_map_get(root, "zones");
	const struct config_node *views = config_map_get(root, "views");
	char why[512];
	for (size_t i = 0; i < cfg->tsig_keys_count; i++) {
		struct config_tsig_key *k = &cfg->tsig_keys[i];
		if ((k->secret != NULL) == (k->secret_file != NULL))
			return config_error(ctx, DNSD_EINVAL, keys->children[i],
					    "tsig-keys[%zu]: set exactly one of 'secret' and 'secret-file'",
					    i);
		int rc = k->secret_file ? config_read_secret(k, why, sizeof(why)) : 0;
		if (rc != 0)
			return config_error(ctx, rc, keys->children[i], "tsig-keys[%zu].secret-file: %s", i,
					    why);
		struct tsig_key tk;
		rc = tsig_key_init(&tk, k->name, k->algorithm, k->secret);
		memset(&tk, 0, sizeof(tk));
		if (rc != 0)
			return config_error(ctx, rc, keys->children[i], "tsig-keys[%zu]: %s", i,
					    rc == DNSD_EPARSE ? "the secret is not base64" : "bad key name");
	}
	for (size_t i = 0; i < cfg->zones_count; i++) {
		const struct config_zone *z = &cfg->zones[i];
		if (z->is_catalog && (z->file || z->kubernetes_count))
			return config_error(
				ctx, DNSD_EINVAL, zones->children[i],
				"zones[%zu]: a catalog zone has no 'file' or 'kubernetes': dnsd builds it",
				i);
		const struct config_node *refs = config_map_get(zones->children[i], "allow-transfer");
		for (size_t j = 0; j < z->allow_transfer_count; j++) {
			const char *e = z->allow_transfer[j];
			struct config_prefix p;
			bool ok = strcmp(e, "none") == 0       ? z->allow_transfer_count == 1
				  : strncmp(e, "key ", 4) == 0 ? config_has_key(cfg, e + 4)
							       : config_prefix_parse(&p, e) == 0;
			if (!ok)
				return config_error(
					ctx, DNSD_EINVAL, refs->children[j],
					"zones[%zu].allow-transfer[%zu]: '%s' is not a prefix, \"key NAME\" "
					"of a defined key, or \"none\" alone",
					i, j, e);
		}
		refs = config_map_get(zones->children[i], "notify");
		for (size_t j = 0; j < z->notify_count; j++) {
			const char *e = z->notify[j], *sp = strchr(e, ' ');
			char addr[80];
			size_t alen = sp ? (size_t)(sp - e) : strlen(e);
			struct config_addr a;
			bool ok = alen < sizeof(addr);
			if (ok) {
				memcpy(addr, e, alen);
				addr[alen] = '\0';
				ok = config_addr_parse(&a, addr) == 0 &&
				     (!sp || (strncmp(sp, " key ", 5) == 0 && config_has_key(cfg, sp + 5)));
			}
			if (!ok)
				return config_error(ctx, DNSD_EINVAL, refs->children[j],
						    "zones[%zu].notify[%zu]: '%s' is not \"address:port\" or "
						    "\"address:port key NAME\" of a defined key",
						    i, j, e);
		}
	}
	for (size_t i = 0; i < cfg->views_count; i++) {
		const struct config_view *v = &cfg->views[i];
		const struct config_node *refs = config_map_get(views->children[i], "match-keys");
		for (size_t j = 0; j < v->match_keys_count; j++)
			if (!config_has_key(cfg, v->match_keys[j]))
				return config_error(
					ctx, DNSD_ENOENT, refs->children[j],
					"views[%zu].match-keys[%zu]: TSIG key '%s' is not defined", i, j,
					v->match_keys[j]);
	}
	return 0;
}

/* Runs after every field is set and valid, so the tree's shape is known. */
static int config_check(struct config_ctx *ctx, struct config *cfg, const struct config_node *root)
{
	int xrc = config_check_xfr(ctx, cfg, root);
	if (xrc == 0)
		xrc = config_check_cookies(ctx, cfg, root);
	if (xrc != 0)
		return xrc;
	const struct config_node *zones = config_map_get(root, "zones");
	const struct config_node *sources = config_map_get(root, "kubernetes");
	const struct config_node *views = config_map_get(root, "views");

	for (size_t i = 0; i < cfg->kubernetes_count; i++) {
		const struct config_kubernetes *k = &cfg->kubernetes[i];
		if ((k->kubeconfig != NULL) == k->is_in_cluster)
			return config_error(ctx, DNSD_EINVAL, sources->children[i],
					    "kubernetes[%zu]: set exactly one of 'kubeconfig' and "
					    "'in-cluster: true'",
					    i);
	}

	for (size_t i = 0; i < cfg->zones_count; i++) {
		const struct config_zone *z = &cfg->zones[i];
		const struct config_node *refs = config_map_get(zones->children[i], "kubernetes");
		for (size_t j = 0; j < z->kubernetes_count; j++)
			if (!config_has_kubernetes(cfg, z->kubernetes[j]))
				return config_error(ctx, DNSD_ENOENT, refs->children[j],
						    "zones[%zu].kubernetes[%zu]: kubernetes source "
						    "'%s' is not defined",
						    i, j, z->kubernetes[j]);
		refs = config_map_get(zones->children[i], "views");
		for (size_t j = 0; j < z->views_count; j++)
			if (!config_has_view(cfg, z->views[j]))
				return config_error(ctx, DNSD_ENOENT, refs->children[j],
						    "zones[%zu].views[%zu]: view '%s' is not defined", i, j,
						    z->views[j]);
		/* one entry per (view, name): BIND's "zone declared twice in a view" */
		for (size_t k = 0; k < i; k++) {
			if (strcmp(cfg->zones[k].name, z->name) != 0)
				continue;
			const char *view = config_zones_overlap(cfg, &cfg->zones[k], z);
			if (!view)
				continue;
			const struct config_node *at = config_map_get(zones->children[i], "name");
			return config_error(ctx, DNSD_EEXIST, at,
					    "zones[%zu].name: duplicate name "
					    "'%s'%s%s%s, first defined in zones[%zu] at line %d; "
					    "give each entry disjoint 'views'",
					    i, z->name, view[0] ? " in view '" : "", view, view[0] ? "'" : "",
					    k, cfg->zones[k].line);
		}
	}

	for (size_t i = 0; i < cfg->views_count; i++) {
		struct config_view *v = &cfg->views[i];
		const struct config_node *refs = config_map_get(views->children[i], "zones");
		for (size_t j = 0; j < v->zones_count; j++) {
			if (!config_has_zone(cfg, v->zones[j]))
				return config_error(ctx, DNSD_ENOENT, refs->children[j],
						    "views[%zu].zones[%zu]: zone '%s' is not defined", i, j,
						    v->zones[j]);
			if (!config_view_has_zone(cfg, v->name, v->zones[j]))
				return config_error(ctx, DNSD_ENOENT, refs->children[j],
						    "views[%zu].zones[%zu]: no entry of zone '%s' "
						    "serves view '%s' (see its 'views')",
						    i, j, v->zones[j], v->name);
		}
		refs = config_map_get(views->children[i], "kubernetes");
		for (size_t j = 0; j < v->kubernetes_count; j++)
			if (!config_has_kubernetes(cfg, v->kubernetes[j]))
				return config_error(ctx, DNSD_ENOENT, refs->children[j],
						    "views[%zu].kubernetes[%zu]: kubernetes source "
						    "'%s' is not defined",
						    i, j, v->kubernetes[j]);

		/* An absent zones: key means every zone with an entry for this
		 * view; "zones: []" is kept empty on purpose (a view that
		 * refuses everything). */
		if (config_map_get(views->children[i], "zones") || cfg->zones_count == 0)
			continue;
		v->zones = calloc(cfg->zones_count, sizeof(*v->zones));
		if (!v->zones)
			return config_nomem(ctx);
		for (size_t j = 0; j < cfg->zones_count; j++) {
			if (!config_zone_in_view(&cfg->zones[j], v->name))
				continue;
			v->zones[v->zones_count] = strdup(cfg->zones[j].name);
			if (!v->zones[v->zones_count])
				return config_nomem(ctx);
			v->zones_count++;
		}
	}
	return 0;
}

/* ---- public ---- */

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	config_schema_free(cfg);
	free(cfg->path);
	free(cfg);
}

int config_load_buffer(const char *name, const char *buf, size_t len, struct config **out, char *err,
		       size_t errlen)
{
	struct config_ctx ctx = { .name = name ? name : "<config>", .err = err, .errlen = errlen };
	struct config_node *root = NULL;
	struct config *cfg = NULL;
	int rc;

	if (err && errlen > 0)
		err[0] = '\0';
	if (!out || (!buf && len > 0)) {
		if (err && errlen > 0)
			snprintf(err, errlen, "%s: invalid arguments", ctx.name);
		return DNSD_EINVAL;
	}
	*out = NULL;

	const char *slash = strrchr(ctx.name, '/');
	if (slash) {
		/* "/x.yaml" lives in "/", not in "". */
		ctx.dir = strndup(ctx.name, slash == ctx.name ? 1 : (size_t)(slash - ctx.name));
		if (!ctx.dir)
			return config_nomem(&ctx);
		if (strcmp(ctx.dir, "/") == 0)
			ctx.dir[0] = '\0';
	}

	rc = config_tree_parse(&ctx, buf ? buf : "", len, &root);
	if (rc != 0)
		goto fail;
	if (!root || (root->kind == CONFIG_NODE_SCALAR && config_node_is_null(root) && !root->tag)) {
		rc = config_error(&ctx, DNSD_EPARSE, root, "empty configuration file");
		goto fail;
	}
	rc = config_expect(&ctx, root, CONFIG_NODE_MAPPING, "top level", NULL);
	if (rc != 0)
		goto fail;

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		rc = config_nomem(&ctx);
		goto fail;
	}
	cfg->path = strdup(ctx.name);
	if (!cfg->path) {
		rc = config_nomem(&ctx);
		goto fail;
	}
	rc = config_schema_apply(&ctx, root, cfg);
	if (rc != 0)
		goto fail;
	rc = config_check(&ctx, cfg, root);
	if (rc != 0)
		goto fail;

	config_node_free(root);
	free(ctx.dir);
	*out = cfg;
	return 0;

fail:
	config_free(cfg);
	config_node_free(root);
	free(ctx.dir);
	return rc;
}

int config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	if (err && errlen > 0)
		err[0] = '\0';
	if (!path || !out || !err || errlen == 0) {
		if (err && errlen > 0)
			snprintf(err, errlen, "%s: invalid arguments", path ? path : "<config>");
		return DNSD_EINVAL;
	}
	*out = NULL;
	/* file.h: a directory, FIFO or /dev/zero is refused at once */
	char *text;
	size_t len;
	int rc = file_read_all(path, 0, CONFIG_FILE_MAX, &text, &len, err, errlen);
	if (rc != 0)
		return rc;
	rc = config_load_buffer(path, text, len, out, err, errlen);
	free(text);
	return rc;
}

bool config_rrl_equal(const struct config *a, const struct config *b)
{
	bool same = a->rrl_responses_per_second == b->rrl_responses_per_second &&
		    a->rrl_errors_per_second == b->rrl_errors_per_second &&
		    a->rrl_nxdomains_per_second == b->rrl_nxdomains_per_second &&
		    a->rrl_slip == b->rrl_slip && a->rrl_ipv4_prefix_length == b->rrl_ipv4_prefix_length &&
		    a->rrl_ipv6_prefix_length == b->rrl_ipv6_prefix_length &&
		    a->rrl_table_size == b->rrl_table_size && a->rrl_is_log_only == b->rrl_is_log_only &&
		    a->rrl_exempt_count == b->rrl_exempt_count;
	for (size_t i = 0; same && i < a->rrl_exempt_count; i++) {
		const struct config_prefix *x = &a->rrl_exempt[i], *y = &b->rrl_exempt[i];
		same = x->family == y->family && x->len == y->len && x->is_negated == y->is_negated &&
		       memcmp(x->addr, y->addr, sizeof(x->addr)) == 0;
	}
	return same;
}
