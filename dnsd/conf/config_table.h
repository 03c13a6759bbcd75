/* SPDX-License-Identifier: BSD-3-Clause
 * config_table.h - the shape of the option table that config_table.c fills
 * and config_schema.c walks. Private to conf/config*.c. */
#ifndef DNSD_CONFIG_TABLE_H
#define DNSD_CONFIG_TABLE_H

#include <stddef.h>
#include <stdint.h>

enum config_type {
	CONFIG_T_BOOL,        /* bool */
	CONFIG_T_UINT,        /* uint8/16/32_t or unsigned, per .size; .min..max */
	CONFIG_T_ENUM,        /* int-sized enum: index into .choices */
	CONFIG_T_STRING,      /* char *; .choices restricts the values */
	CONFIG_T_PATH,        /* char *, resolved against the config file's directory */
	CONFIG_T_ADDR_TEXT,   /* char *, validated as an address; "" allowed */
	CONFIG_T_ADDR_LIST,   /* struct config_addr * + size_t count */
	CONFIG_T_PREFIX_LIST, /* struct config_prefix * + size_t count */
	CONFIG_T_IP_LIST,     /* struct config_ip * + size_t count: bare addresses */
	CONFIG_T_STRING_LIST, /* char ** + size_t count */
	CONFIG_T_MAP,         /* nested map whose fields live in the same struct */
	CONFIG_T_MAP_LIST,    /* array of structs described by .sub, + size_t count */
};

enum {
	CONFIG_F_REQUIRED = 1 << 0,   /* key must be present and not empty */
	CONFIG_F_EMPTY_NULL = 1 << 1, /* "" is stored as NULL */
	CONFIG_F_UNIQUE = 1 << 2,     /* MAP_LIST key: no two elements share the value */
	CONFIG_F_DNAME = 1 << 3,      /* domain name: lowercased, trailing dot dropped */
	CONFIG_F_NONEMPTY = 1 << 4,   /* list must have at least one element */
	CONFIG_F_PORT0 = 1 << 5,      /* ADDR_TEXT, ADDR_LIST: port 0 = one the kernel picks */
};

struct config_item {
	const char *name; /* YAML key; NULL ends a table */
	enum config_type type;
	unsigned flags;
	const char *def;               /* default as YAML text, parsed like the file; NULL = zero */
	const char *example;           /* value config_print_reference() shows when def is NULL */
	uint32_t min, max;             /* CONFIG_T_UINT range; STRING: max = longest in bytes (0 = any) */
	size_t offset;                 /* field offset in the struct this table describes */
	size_t size;                   /* UINT: field size; MAP_LIST: element size */
	size_t count_offset;           /* lists: offset of the size_t element count */
	size_t line_offset;            /* MAP_LIST: offset of the element's int line */
	const struct config_item *sub; /* MAP, MAP_LIST */
	const char *const *choices;    /* ENUM, STRING: allowed values, NULL-terminated */
	const char *help;
};

#define CONFIG_FIELD(st, f) .offset = offsetof(st, f), .size = sizeof(((st *)0)->f)
#define CONFIG_LIST(st, f, n) .offset = offsetof(st, f), .count_offset = offsetof(st, n)

/* Every top-level key, ending with { .name = NULL } (config_table.c). */
extern const struct config_item config_items[];

#endif
