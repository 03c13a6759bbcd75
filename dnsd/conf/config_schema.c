/* SPDX-License-Identifier: BSD-3-Clause
 * config_schema.c - the code that walks the option table (config_table.c):
 * setting fields from YAML nodes, defaults, freeing, and the reference that
 * `dnsd -p` prints. No libyaml here (the loader, config.c, hands over a tree
 * of nodes) and nothing logs. */
#include "conf/config_schema.h"

#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/config_table.h"
#include "util/err.h"

/* ---- setting values ---- */

static void *config_field(void *base, size_t offset) { return (char *)base + offset; }

static size_t config_count_get(const void *base, const struct config_item *it)
{
	size_t n;
	memcpy(&n, (const char *)base + it->count_offset, sizeof(n));
	return n;
}

static void config_count_set(void *base, const struct config_item *it, size_t n)
{
	memcpy(config_field(base, it->count_offset), &n, sizeof(n));
}

/* List fields have different pointer types (struct config_addr *, char **...);
 * memcpy moves them without pretending they are all void *. */
static void *config_ptr_get(const void *base, size_t offset)
{
	void *p;
	memcpy(&p, (const char *)base + offset, sizeof(p));
	return p;
}

static void config_ptr_set(void *base, size_t offset, void *p)
{
	memcpy(config_field(base, offset), &p, sizeof(p));
}

static void config_store_uint(void *field, size_t size, uint32_t value)
{
	switch (size) {
	case sizeof(uint8_t): {
		uint8_t v = (uint8_t)value;
		memcpy(field, &v, sizeof(v));
		break;
	}
	case sizeof(uint16_t): {
		uint16_t v = (uint16_t)value;
		memcpy(field, &v, sizeof(v));
		break;
	}
	case sizeof(uint32_t): memcpy(field, &value, sizeof(value)); break;
	default: assert(!"unsupported CONFIG_T_UINT field size");
	}
}

static int config_parse_bool(const char *text, bool *value)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*value = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*value = false;
			return 0;
		}
	}
	return DNSD_EINVAL;
}

/* Decimal digits only: "0x10", "+5", "-1" and "1e3" are typos, not numbers. */
static int config_parse_uint(const char *text, uint64_t *value)
{
	uint64_t v = 0;
	if (text[0] == '\0')
		return DNSD_EINVAL;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return DNSD_EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			return DNSD_ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*value = v;
	return 0;
}

/* Lowercases in place and drops one trailing dot; checks RFC 1035 §2.3.4
 * lengths (63 per label, 253 in presentation form without the root dot). */
static bool config_dname_normalize(char *name)
{
	size_t len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		name[--len] = '\0';
	if (len == 0 || len > 253)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (c >= 'A' && c <= 'Z')
			name[i] = (char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		bool is_ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			     c == '-' || c == '_';
		if (!is_ok || ++label > 63)
			return false;
	}
	return true;
}

static char *config_path_resolve(const struct config_ctx *ctx, const char *value)
{
	if (!ctx->dir || value[0] == '/')
		return strdup(value);
	char *path;
	if (asprintf(&path, "%s/%s", ctx->dir, value) < 0)
		return NULL;
	return path;
}

static int config_walk_map(struct config_ctx *ctx, const struct config_item *items,
			   const struct config_node *map, void *base, const char *path);

/* Sets a string-like field (STRING, PATH, ADDR_TEXT) from a scalar. */
static int config_set_string(struct config_ctx *ctx, const struct config_item *it,
			     const struct config_node *node, void *base, const char *path)
{
	char quoted[CONFIG_QUOTE_MAX + 4];
	const char *text = config_node_is_null(node) ? "" : node->value;
	char *value = NULL;

	if (text[0] == '\0' && (it->flags & CONFIG_F_REQUIRED))
		return config_error(ctx, DNSD_EINVAL, node, "%s: must not be empty", path);
	if (it->type == CONFIG_T_STRING && it->max && strlen(text) > it->max)
		return config_error(ctx, DNSD_ERANGE, node, "%s: longer than %u bytes", path,
				    (unsigned)it->max);
	if (text[0] != '\0' && it->choices) {
		size_t i;
		for (i = 0; it->choices[i]; i++)
			if (strcmp(text, it->choices[i]) == 0)
				break;
		if (!it->choices[i])
			return config_error(ctx, DNSD_EINVAL, node,
					    "%s: '%s' is not one of the allowed values", path,
					    config_quote(node, quoted, sizeof(quoted)));
	}
	if (it->type == CONFIG_T_ADDR_TEXT && text[0] != '\0') {
		struct config_addr addr;
		const char *why = "";
		int rc = (it->flags & CONFIG_F_PORT0) ? config_addr_parse_bind_why(&addr, text, &why)
						      : config_addr_parse_why(&addr, text, &why);
		if (rc != 0)
			return config_error(ctx, rc, node, "%s: '%s' is not a valid address: %s", path,
					    config_quote(node, quoted, sizeof(quoted)), why);
	}
	if (text[0] == '\0' && (it->flags & CONFIG_F_EMPTY_NULL))
		value = NULL;
	else if (it->type == CONFIG_T_PATH)
		value = config_path_resolve(ctx, text);
	else
		value = strdup(text);
	if (!value && !(text[0] == '\0' && (it->flags & CONFIG_F_EMPTY_NULL)))
		return config_nomem(ctx);
	if (value && (it->flags & CONFIG_F_DNAME) && !config_dname_normalize(value)) {
		free(value);
		return config_error(ctx, DNSD_EINVAL, node, "%s: '%s' is not a valid domain name", path,
				    config_quote(node, quoted, sizeof(quoted)));
	}
	char **field = config_field(base, it->offset);
	free(*field);
	*field = value;
	return 0;
}

/* Sets a list field from a sequence of scalars. The array and its count are
 * stored before the elements are parsed, so config_free() can always clean up. */
static int config_set_list(struct config_ctx *ctx, const struct config_item *it,
			   const struct config_node *node, void *base, const char *path)
{
	static const char *const ipv6_hint = "; quote IPv6 addresses: \"[::1]:53\"";
	char quoted[CONFIG_QUOTE_MAX + 4];
	char elem_path[256];
	size_t elem_size;
	int rc;

	if (it->type == CONFIG_T_ADDR_LIST)
		elem_size = sizeof(struct config_addr);
	else if (it->type == CONFIG_T_PREFIX_LIST)
		elem_size = sizeof(struct config_prefix);
	else if (it->type == CONFIG_T_IP_LIST)
		elem_size = sizeof(struct config_ip);
	else
		elem_size = sizeof(char *);

	rc = config_expect(ctx, node, CONFIG_NODE_SEQUENCE, path, NULL);
	if (rc != 0)
		return rc;
	if (node->count == 0 && (it->flags & CONFIG_F_NONEMPTY))
		return config_error(ctx, DNSD_EINVAL, node, "%s: must not be empty", path);
	void *array = NULL;
	if (node->count > 0) {
		array = calloc(node->count, elem_size);
		if (!array)
			return config_nomem(ctx);
	}
	config_ptr_set(base, it->offset, array);
	config_count_set(base, it, node->count);

	for (size_t i = 0; i < node->count; i++) {
		const struct config_node *elem = node->children[i];
		const char *why = "";
		snprintf(elem_path, sizeof(elem_path), "%s[%zu]", path, i);
		rc = config_expect(ctx, elem, CONFIG_NODE_SCALAR, elem_path,
				   it->type == CONFIG_T_ADDR_LIST ? ipv6_hint : NULL);
		if (rc != 0)
			return rc;
		const char *text = config_node_is_null(elem) ? "" : elem->value;
		switch (it->type) {
		case CONFIG_T_ADDR_LIST:
			rc = (it->flags & CONFIG_F_PORT0)
				     ? config_addr_parse_bind_why((struct config_addr *)array + i, text, &why)
				     : config_addr_parse_why((struct config_addr *)array + i, text, &why);
			if (rc != 0)
				return config_error(ctx, rc, elem, "%s: '%s' is not a valid address: %s",
						    elem_path, config_quote(elem, quoted, sizeof(quoted)),
						    why);
			break;
		case CONFIG_T_PREFIX_LIST:
			rc = config_prefix_parse_why((struct config_prefix *)array + i, text, &why);
			if (rc != 0)
				return config_error(ctx, rc, elem, "%s: '%s' is not a valid prefix: %s",
						    elem_path, config_quote(elem, quoted, sizeof(quoted)),
						    why);
			break;
		case CONFIG_T_IP_LIST: {
			struct config_ip *ip = (struct config_ip *)array + i;
			if (inet_pton(AF_INET, text, ip->addr) == 1)
				ip->family = AF_INET;
			else if (inet_pton(AF_INET6, text, ip->addr) == 1)
				ip->family = AF_INET6;
			else
				return config_error(ctx, DNSD_EINVAL, elem,
						    "%s: '%s' is not an IPv4 or IPv6 address", elem_path,
						    config_quote(elem, quoted, sizeof(quoted)));
			break;
		}
		default: {
			char **strings = array;
			if (text[0] == '\0')
				return config_error(ctx, DNSD_EINVAL, elem, "%s: must not be empty",
						    elem_path);
			strings[i] = strdup(text);
			if (!strings[i])
				return config_nomem(ctx);
			if ((it->flags & CONFIG_F_DNAME) && !config_dname_normalize(strings[i]))
				return config_error(ctx, DNSD_EINVAL, elem,
						    "%s: '%s' is not a valid domain name", elem_path,
						    config_quote(elem, quoted, sizeof(quoted)));
			break;
		}
		}
	}
	return 0;
}

static int config_set_map_list(struct config_ctx *ctx, const struct config_item *it,
			       const struct config_node *node, void *base, const char *path)
{
	char elem_path[256];
	int rc = config_expect(ctx, node, CONFIG_NODE_SEQUENCE, path, NULL);
	if (rc != 0)
		return rc;
	char *array = NULL;
	if (node->count > 0) {
		array = calloc(node->count, it->size);
		if (!array)
			return config_nomem(ctx);
	}
	config_ptr_set(base, it->offset, array);
	config_count_set(base, it, node->count);

	for (size_t i = 0; i < node->count; i++) {
		const struct config_node *elem = node->children[i];
		void *elem_base = array + i * it->size;
		snprintf(elem_path, sizeof(elem_path), "%s[%zu]", path, i);
		rc = config_expect(ctx, elem, CONFIG_NODE_MAPPING, elem_path, NULL);
		if (rc != 0)
			return rc;
		memcpy(config_field(elem_base, it->line_offset), &elem->line, sizeof(int));
		rc = config_walk_map(ctx, it->sub, elem, elem_base, elem_path);
		if (rc != 0)
			return rc;

		/* Unique keys are compared after normalization, so "Global." and
		 * "global" collide as they would on the wire. */
		for (const struct config_item *sub = it->sub; sub->name; sub++) {
			if (!(sub->flags & CONFIG_F_UNIQUE))
				continue;
			const char *value = config_ptr_get(elem_base, sub->offset);
			for (size_t j = 0; value && j < i; j++) {
				const char *prev = config_ptr_get(array + j * it->size, sub->offset);
				if (!prev || strcmp(prev, value) != 0)
					continue;
				int prev_line;
				memcpy(&prev_line, array + j * it->size + it->line_offset, sizeof(prev_line));
				const struct config_node *at = config_map_get(elem, sub->name);
				return config_error(ctx, DNSD_EEXIST, at ? at : elem,
						    "%s.%s: duplicate %s '%s', first defined in "
						    "%s[%zu] at line %d",
						    elem_path, sub->name, sub->name, value, path, j,
						    prev_line);
			}
		}
	}
	return 0;
}

static int config_set(struct config_ctx *ctx, const struct config_item *it, const struct config_node *node,
		      void *base, const char *path)
{
	char quoted[CONFIG_QUOTE_MAX + 4];
	int rc;

	switch (it->type) {
	case CONFIG_T_BOOL: {
		bool value;
		rc = config_expect(ctx, node, CONFIG_NODE_SCALAR, path, NULL);
		if (rc != 0)
			return rc;
		if (config_parse_bool(node->value, &value) != 0)
			return config_error(ctx, DNSD_EINVAL, node,
					    "%s: '%s' is not a boolean (true/false, yes/no, on/off)", path,
					    config_quote(node, quoted, sizeof(quoted)));
		memcpy(config_field(base, it->offset), &value, sizeof(value));
		return 0;
	}
	case CONFIG_T_UINT: {
		uint64_t value;
		rc = config_expect(ctx, node, CONFIG_NODE_SCALAR, path, NULL);
		if (rc != 0)
			return rc;
		rc = config_parse_uint(node->value, &value);
		if (rc == DNSD_EINVAL)
			return config_error(ctx, DNSD_EINVAL, node, "%s: '%s' is not a non-negative integer",
					    path, config_quote(node, quoted, sizeof(quoted)));
		if (rc != 0 || value < it->min || value > it->max)
			return config_error(ctx, DNSD_ERANGE, node,
					    "%s: %s is out of range %" PRIu32 "..%" PRIu32, path,
					    config_quote(node, quoted, sizeof(quoted)), it->min, it->max);
		config_store_uint(config_field(base, it->offset), it->size, (uint32_t)value);
		return 0;
	}
	case CONFIG_T_ENUM: {
		rc = config_expect(ctx, node, CONFIG_NODE_SCALAR, path, NULL);
		if (rc != 0)
			return rc;
		for (int i = 0; it->choices[i]; i++) {
			if (strcasecmp(node->value, it->choices[i]) == 0) {
				memcpy(config_field(base, it->offset), &i, sizeof(i));
				return 0;
			}
		}
		return config_error(ctx, DNSD_EINVAL, node, "%s: '%s' is not one of the allowed values", path,
				    config_quote(node, quoted, sizeof(quoted)));
	}
	case CONFIG_T_STRING:
	case CONFIG_T_PATH:
	case CONFIG_T_ADDR_TEXT:
		rc = config_expect(ctx, node, CONFIG_NODE_SCALAR, path,
				   it->type == CONFIG_T_ADDR_TEXT ? "; quote addresses: \"[::1]:53\"" : NULL);
		if (rc != 0)
			return rc;
		return config_set_string(ctx, it, node, base, path);
	case CONFIG_T_ADDR_LIST:
	case CONFIG_T_PREFIX_LIST:
	case CONFIG_T_IP_LIST:
	case CONFIG_T_STRING_LIST: return config_set_list(ctx, it, node, base, path);
	case CONFIG_T_MAP:
		rc = config_expect(ctx, node, CONFIG_NODE_MAPPING, path, NULL);
		if (rc != 0)
			return rc;
		return config_walk_map(ctx, it->sub, node, base, path);
	case CONFIG_T_MAP_LIST: return config_set_map_list(ctx, it, node, base, path);
	}
	return DNSD_EINVAL;
}

/* Defaults are YAML text in the table, parsed by the same code as the file,
 * so the loader and config_print_reference() cannot disagree. */
static int config_set_default(struct config_ctx *ctx, const struct config_item *it, void *base,
			      const char *path)
{
	struct config_node *node;
	struct config_ctx def_ctx = { .name = "<default>",
				      .dir = ctx->dir,
				      .err = ctx->err,
				      .errlen = ctx->errlen };
	int rc = config_tree_parse(&def_ctx, it->def, strlen(it->def), &node);
	if (rc != 0)
		return rc;
	assert(node);
	rc = config_set(&def_ctx, it, node, base, path);
	config_node_free(node);
	return rc;
}

static int config_walk_map(struct config_ctx *ctx, const struct config_item *items,
			   const struct config_node *map, void *base, const char *path)
{
	/* Every table is far shorter than this; seen[] finds duplicate keys
	 * without comparing every key with every other. */
	const struct config_node *seen[32] = { NULL };
	char quoted[CONFIG_QUOTE_MAX + 4];
	char item_path[256];
	int rc;

	for (size_t i = 0; map && i + 1 < map->count; i += 2) {
		const struct config_node *key = map->children[i];
		const struct config_node *value = map->children[i + 1];
		rc = config_expect(ctx, key, CONFIG_NODE_SCALAR, path[0] ? path : "key", NULL);
		if (rc != 0)
			return rc;
		size_t idx;
		for (idx = 0; items[idx].name; idx++)
			if (strcmp(items[idx].name, key->value) == 0)
				break;
		assert(idx < sizeof(seen) / sizeof(seen[0]));
		if (!items[idx].name) {
			if (path[0])
				return config_error(ctx, DNSD_EINVAL, key, "unknown key '%s' in '%s'",
						    config_quote(key, quoted, sizeof(quoted)), path);
			return config_error(ctx, DNSD_EINVAL, key, "unknown key '%s'",
					    config_quote(key, quoted, sizeof(quoted)));
		}
		if (seen[idx]) {
			if (path[0])
				return config_error(ctx, DNSD_EINVAL, key,
						    "duplicate key '%s' in '%s', first at line %d",
						    key->value, path, seen[idx]->line);
			return config_error(ctx, DNSD_EINVAL, key, "duplicate key '%s', first at line %d",
					    key->value, seen[idx]->line);
		}
		seen[idx] = key;
		snprintf(item_path, sizeof(item_path), "%s%s%s", path, path[0] ? "." : "", items[idx].name);
		rc = config_set(ctx, &items[idx], value, base, item_path);
		if (rc != 0)
			return rc;
	}

	for (size_t idx = 0; items[idx].name; idx++) {
		const struct config_item *it = &items[idx];
		if (seen[idx])
			continue;
		snprintf(item_path, sizeof(item_path), "%s%s%s", path, path[0] ? "." : "", it->name);
		if (it->flags & CONFIG_F_REQUIRED) {
			if (path[0])
				return config_error(ctx, DNSD_EINVAL, map, "%s: missing required key '%s'",
						    path, it->name);
			return config_error(ctx, DNSD_EINVAL, map, "missing required key '%s'", it->name);
		}
		if (it->type == CONFIG_T_MAP)
			rc = config_walk_map(ctx, it->sub, NULL, base, item_path);
		else if (it->def)
			rc = config_set_default(ctx, it, base, item_path);
		else
			rc = 0;
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- entry points ---- */

int config_schema_apply(struct config_ctx *ctx, const struct config_node *root, struct config *cfg)
{
	return config_walk_map(ctx, config_items, root, cfg, "");
}

static void config_free_items(const struct config_item *items, void *base)
{
	for (const struct config_item *it = items; it->name; it++) {
		switch (it->type) {
		case CONFIG_T_BOOL:
		case CONFIG_T_UINT:
		case CONFIG_T_ENUM: break;
		case CONFIG_T_STRING:
		case CONFIG_T_PATH:
		case CONFIG_T_ADDR_TEXT:
		case CONFIG_T_ADDR_LIST:
		case CONFIG_T_PREFIX_LIST:
		case CONFIG_T_IP_LIST: free(config_ptr_get(base, it->offset)); break;
		case CONFIG_T_STRING_LIST: {
			char **strings = config_ptr_get(base, it->offset);
			size_t n = config_count_get(base, it);
			for (size_t i = 0; strings && i < n; i++)
				free(strings[i]);
			free(strings);
			break;
		}
		case CONFIG_T_MAP: config_free_items(it->sub, base); break;
		case CONFIG_T_MAP_LIST: {
			char *array = config_ptr_get(base, it->offset);
			size_t n = config_count_get(base, it);
			for (size_t i = 0; array && i < n; i++)
				config_free_items(it->sub, array + i * it->size);
			free(array);
			break;
		}
		}
	}
}

void config_schema_free(struct config *cfg) { config_free_items(config_items, cfg); }

/* ---- reference ---- */

static void config_print_help(FILE *out, int indent, const struct config_item *it)
{
	fprintf(out, "%*s# %s: %s", indent, "", it->name, it->help);
	if (it->type == CONFIG_T_UINT)
		fprintf(out, "; %" PRIu32 "..%" PRIu32, it->min, it->max);
	if (it->choices) {
		fputs("; one of ", out);
		for (size_t i = 0; it->choices[i]; i++)
			fprintf(out, "%s%s", i ? "|" : "", it->choices[i]);
	}
	if (it->flags & CONFIG_F_REQUIRED)
		fputs("; required", out);
	if (it->flags & CONFIG_F_UNIQUE)
		fputs(", unique", out);
	if (it->def && it->example)
		fprintf(out, "; default %s", it->def);
	fputc('\n', out);
}

static void config_print_items(FILE *out, const struct config_item *items, int indent, bool is_list_element)
{
	for (const struct config_item *it = items; it->name; it++) {
		/* The first key of a list element shares the "- " line. */
		bool is_first = is_list_element && it == items;
		config_print_help(out, indent, it);
		fprintf(out, "%*s%s%s:", is_first ? indent - 2 : indent, "", is_first ? "- " : "", it->name);
		if (it->type == CONFIG_T_MAP) {
			fputc('\n', out);
			config_print_items(out, it->sub, indent + 2, false);
		} else if (it->type == CONFIG_T_MAP_LIST) {
			fputc('\n', out);
			config_print_items(out, it->sub, indent + 4, true);
		} else {
			fprintf(out, " %s\n", it->example ? it->example : it->def ? it->def : "\"\"");
		}
	}
}

void config_print_reference(FILE *out)
{
	if (!out)
		return;
	fputs("# dnsd configuration reference, generated from the option table in config_schema.c.\n"
	      "# Every key is optional unless marked required; values shown are defaults\n"
	      "# or, for lists, examples.\n",
	      out);
	config_print_items(out, config_items, 0, false);
}
