/* SPDX-License-Identifier: BSD-3-Clause
 * slots.h - counter slots by name for the life of the process. /metrics
 * keeps its per-view and per-zone counters in fixed arrays; a view or a zone
 * gets its slot from its name the first time the name is seen and keeps it
 * across reloads, so a reload that reorders, adds or drops views does not
 * move one view's counts under another's label. The last slot is shared by
 * every name that comes after the others are taken ("_other" in /metrics).
 * Called when tables and zones are built, never on the query path. */
#ifndef DNSD_SLOTS_H
#define DNSD_SLOTS_H

#include <pthread.h>
#include <stdbool.h>

#define SLOTS_NAME_MAX 256
#define SLOTS_MAX 16
#define SLOTS_VIEWS 16 /* server/stats.h: SERVER_VIEW_SLOTS */
#define SLOTS_ZONES 15 /* server/stats.h: SERVER_ZONE_SLOTS less the "no zone" slot */
#define SLOTS_OTHER "_other"

struct slots {
	pthread_mutex_t lock;
	unsigned max;   /* slots in use by the counters, <= SLOTS_MAX */
	unsigned count; /* names given a slot of their own (< max) */
	bool is_full;   /* a name was given the shared last slot */
	char names[SLOTS_MAX][SLOTS_NAME_MAX];
};

#define SLOTS_INIT(n)                                         \
	{                                                     \
		.lock = PTHREAD_MUTEX_INITIALIZER, .max = (n) \
	}

/* name's slot: its own (0 .. max-2), or max-1 shared by the names that came
 * after the others were taken. */
unsigned slots_get(struct slots *s, const char *name);
/* The label for slot i: the name, or SLOTS_OTHER for the shared last slot
 * once it has more than one name (NULL if unused). The pointer stays valid. */
const char *slots_name(struct slots *s, unsigned i);

/* The process-wide maps. */
extern struct slots slots_views;
extern struct slots slots_zones;

#endif
