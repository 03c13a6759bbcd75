/* SPDX-License-Identifier: BSD-3-Clause
 * array.c - the one growable array (array.h). */
#include "util/array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

int array_reserve_one(void *items, size_t *cap, size_t count, size_t elem_size, size_t first_cap)
{
	if (count < *cap)
		return 0;
	size_t n = *cap ? *cap : first_cap ? first_cap : 1;
	if (*cap) {
		if (n > SIZE_MAX / 2)
			return DNSD_ENOMEM;
		n *= 2;
	}
	if (!elem_size || n > SIZE_MAX / elem_size)
		return DNSD_ENOMEM;
	void *old;
	memcpy(&old, items, sizeof(old));
	void *p = realloc(old, n * elem_size);
	if (!p)
		return DNSD_ENOMEM;
	memcpy(items, &p, sizeof(p));
	*cap = n;
	return 0;
}
