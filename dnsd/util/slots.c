/* SPDX-License-Identifier: BSD-3-Clause
 * slots.c - counter slots by name, see slots.h. */
#include "util/slots.h"

#include <stdio.h>
#include <string.h>

struct slots slots_views = SLOTS_INIT(SLOTS_VIEWS);
struct slots slots_zones = SLOTS_INIT(SLOTS_ZONES);

unsigned slots_get(struct slots *s, const char *name)
{
	pthread_mutex_lock(&s->lock);
	unsigned i;
	for (i = 0; i < s->count; i++)
		if (strncmp(s->names[i], name, SLOTS_NAME_MAX - 1) == 0)
			break;
	if (i == s->count) {
		if (s->count + 1 < s->max) {
			snprintf(s->names[s->count++], SLOTS_NAME_MAX, "%s", name);
		} else {
			i = s->max - 1;
			/* the first name here keeps its label; a second makes it "_other" */
			if (s->names[i][0] == '\0')
				snprintf(s->names[i], SLOTS_NAME_MAX, "%s", name);
			else if (strncmp(s->names[i], name, SLOTS_NAME_MAX - 1) != 0)
				s->is_full = true;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return i;
}

const char *slots_name(struct slots *s, unsigned i)
{
	pthread_mutex_lock(&s->lock);
	const char *name = NULL;
	if (i + 1 == s->max && s->is_full)
		name = SLOTS_OTHER;
	else if (i < s->max && s->names[i][0] != '\0')
		name = s->names[i];
	pthread_mutex_unlock(&s->lock);
	return name;
}
