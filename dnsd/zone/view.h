/* SPDX-License-Identifier: BSD-3-Clause
 * view.h - split horizon: the table of views and the choice of one for a
 * query, by listening address, client prefix or EDNS Client Subnet. The table
 * is built once per configuration generation and is immutable afterwards;
 * view_select() runs on the query path (no allocation, no locks). */
#ifndef DNSD_VIEW_H
#define DNSD_VIEW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf/config.h"
#include "dns/wire.h"

#define VIEW_NAME_MAX 64

struct view {
	char name[VIEW_NAME_MAX];
	unsigned stats_slot;           /* its counters (slots.h), kept across reloads */
	struct config_prefix *clients; /* copied from match-clients; empty = any client */
	size_t client_count;
	struct sockaddr_storage *destinations; /* empty = any listening address */
	size_t destination_count;
};

struct view_table {
	_Atomic unsigned refs; /* snapshots and catalogs sharing this table */
	struct view *views;
	size_t count;
};

/* Builds the table from the config: its views, or one implicit view named
 * "default" matching everything when the config has none. NULL on ENOMEM. */
struct view_table *view_table_new(const struct config *cfg);
/* Reference counting: view_table_new() returns one reference. */
void view_table_ref(struct view_table *t);
void view_table_unref(struct view_table *t);

/* The index of the first view (BIND order) that matches, or -1. With ECS
 * the client is the ECS subnet (RFC 7871 §7.1.1), and *scope_len says how
 * many of its bits the choice depended on (the SCOPE PREFIX-LENGTH to send). */
int view_select(const struct view_table *t, const struct sockaddr *client, const struct sockaddr *local,
		const struct wire_ecs *ecs, uint8_t *scope_len);

#endif
