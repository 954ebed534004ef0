/* gb_ring.c — SPSC ring with C11 acquire/release indices.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_ring.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct gb_ring {
    _Alignas(64) atomic_size_t head; /* written by the producer */
    _Alignas(64) atomic_size_t tail; /* written by the consumer */
    _Alignas(64) size_t mask;
    size_t elem;
    unsigned char *data;
};

gb_ring_t *gb_ring_new(size_t elem_size, size_t capacity)
{
    if (elem_size == 0 || elem_size > 4096 || capacity == 0 || capacity > (1u << 24))
        return NULL;
    size_t cap = 1;
    while (cap < capacity)
        cap <<= 1;
    gb_ring_t *r = aligned_alloc(64, GB_ROUND_UP(sizeof *r, 64));
    if (!r)
        return NULL;
    memset(r, 0, sizeof *r);
    r->data = calloc(cap, elem_size);
    if (!r->data) {
        free(r);
        return NULL;
    }
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    r->mask = cap - 1;
    r->elem = elem_size;
    return r;
}

void gb_ring_free(gb_ring_t *r)
{
    if (!r)
        return;
    free(r->data);
    free(r);
}

bool gb_ring_push(gb_ring_t *r, const void *elem) GB_RT
{
    const size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    const size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (head - tail > r->mask)
        return false;
    memcpy(r->data + (head & r->mask) * r->elem, elem, r->elem);
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
    return true;
}

bool gb_ring_pop(gb_ring_t *r, void *elem) GB_RT
{
    const size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    const size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    if (head == tail)
        return false;
    memcpy(elem, r->data + (tail & r->mask) * r->elem, r->elem);
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    return true;
}

size_t gb_ring_count(const gb_ring_t *r)
{
    return atomic_load_explicit(&((gb_ring_t *)r)->head, memory_order_acquire) -
           atomic_load_explicit(&((gb_ring_t *)r)->tail, memory_order_acquire);
}

size_t gb_ring_capacity(const gb_ring_t *r) { return r->mask + 1; }
