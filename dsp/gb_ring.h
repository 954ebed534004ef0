/* gb_ring.h — a wait-free single-producer / single-consumer ring of fixed-size elements:
 * how threads hand things to the audio thread and back. Bounded: a full ring refuses the
 * push (the producer counts the drop); nothing ever blocks or allocates after creation.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GB_RING_H
#define GB_RING_H

#include <stdbool.h>
#include <stddef.h>

#include "gb_common.h"

typedef struct gb_ring gb_ring_t;

/** Ring of `capacity` elements of elem_size bytes (capacity rounded up to a power of two).
 *  NULL on bad sizes or no memory. [main] */
gb_ring_t *gb_ring_new(size_t elem_size, size_t capacity);

/** Free the ring. NULL-safe. [main, after both ends stopped] */
void gb_ring_free(gb_ring_t *r);

/** Copy one element in; false (and nothing written) when full. [producer thread, RT-safe] */
bool gb_ring_push(gb_ring_t *r, const void *elem) GB_RT;

/** Copy one element out; false when empty. [consumer thread, RT-safe] */
bool gb_ring_pop(gb_ring_t *r, void *elem) GB_RT;

/** Elements waiting (a snapshot). [any] */
size_t gb_ring_count(const gb_ring_t *r);

/** Capacity in elements. [any] */
size_t gb_ring_capacity(const gb_ring_t *r);

#endif
