/* SPDX-License-Identifier: BSD-3-Clause
 * feed_items.h - which source items (ServiceEntries) give records to each
 * part of a Kubernetes-fed zone (issue #14). A feed's builder keeps only its
 * zone file's records; a freeze asks the items listed for each part it
 * renders for their records, renders, and takes them out again, so the
 * 100,000 entries' records live once, in the sources, not a second time in
 * a builder (150 bytes an entry). An item is listed once per part its
 * records fall in, as one 8-byte key: its address, its cluster in the top
 * byte. Per part a plain array, sorted on demand (appends during a LIST stay
 * O(1); a removal sorts once, then searches). Not thread-safe: the
 * catalog's lock guards it. */
#ifndef DNSD_FEED_ITEMS_H
#define DNSD_FEED_ITEMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zone/zone.h"

#define FEED_ITEM_CLUSTER_SHIFT 56

struct feed_part_items {
	uint64_t *keys;
	size_t count, cap;
	bool is_sorted;
};

struct feed_items {
	struct feed_part_items parts[1 + ZONE_PARTS]; /* by zone part index */
};

/* The key of item from cluster; 0 when the address does not fit below the
 * cluster byte (never on Linux's user address space). */
static inline uint64_t feed_item_key(unsigned cluster, const void *item)
{
	uintptr_t a = (uintptr_t)item;
	if ((uint64_t)a >> FEED_ITEM_CLUSTER_SHIFT)
		return 0;
	return (uint64_t)a | (uint64_t)cluster << FEED_ITEM_CLUSTER_SHIFT;
}
static inline unsigned feed_key_cluster(uint64_t key) { return (unsigned)(key >> FEED_ITEM_CLUSTER_SHIFT); }
static inline const void *feed_key_item(uint64_t key)
{
	return (const void *)(uintptr_t)(key & ((1ull << FEED_ITEM_CLUSTER_SHIFT) - 1));
}

/* Lists key in part; 0 or DNSD_ENOMEM. */
int feed_items_add(struct feed_items *fi, unsigned part, uint64_t key);
/* Unlists key from part; false when it was not listed. */
bool feed_items_remove(struct feed_items *fi, unsigned part, uint64_t key);
/* Lists to instead of from in part (the item moved); false when from was
 * not listed. */
bool feed_items_replace(struct feed_items *fi, unsigned part, uint64_t from, uint64_t to);
/* Gives back the arrays' unused room (once changes settle); returns bytes. */
size_t feed_items_release(struct feed_items *fi);
/* Bytes allocated. */
size_t feed_items_bytes(const struct feed_items *fi);
/* Frees the arrays. */
void feed_items_clear(struct feed_items *fi);

#endif
