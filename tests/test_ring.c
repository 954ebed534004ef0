/* test_ring.c — the SPSC ring: order, capacity, full and empty, and a producer and a consumer
 * thread passing a million numbered elements without loss, duplication or reordering.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>

#include "gb_ring.h"

static void test_fifo_capacity_full_empty(void **state)
{
    (void)state;
    gb_ring_t *r = gb_ring_new(sizeof(uint64_t), 5);
    assert_non_null(r);
    assert_int_equal(gb_ring_capacity(r), 8); /* rounded up to a power of two */
    uint64_t v;
    assert_false(gb_ring_pop(r, &v));
    for (uint64_t i = 0; i < 8; i++)
        assert_true(gb_ring_push(r, &i));
    uint64_t extra = 99;
    assert_false(gb_ring_push(r, &extra)); /* full: refused, nothing overwritten */
    assert_int_equal(gb_ring_count(r), 8);
    for (uint64_t i = 0; i < 8; i++) {
        assert_true(gb_ring_pop(r, &v));
        assert_int_equal(v, i);
    }
    assert_false(gb_ring_pop(r, &v));
    assert_null(gb_ring_new(0, 8));
    assert_null(gb_ring_new(8, 0));
    gb_ring_free(r);
    gb_ring_free(NULL);
}

#define N_ITEMS 1000000u

static void *producer(void *arg)
{
    gb_ring_t *r = arg;
    for (uint64_t i = 0; i < N_ITEMS;) {
        uint64_t item[2] = {i, ~i};
        if (gb_ring_push(r, item))
            i++;
    }
    return NULL;
}

static void test_two_threads_lose_nothing(void **state)
{
    (void)state;
    gb_ring_t *r = gb_ring_new(2 * sizeof(uint64_t), 64);
    pthread_t t;
    pthread_create(&t, NULL, producer, r);
    uint64_t expect = 0, bad = 0;
    while (expect < N_ITEMS) {
        uint64_t item[2];
        if (!gb_ring_pop(r, item))
            continue;
        bad += item[0] != expect || item[1] != ~expect;
        expect++;
    }
    pthread_join(t, NULL);
    assert_int_equal(bad, 0);
    assert_int_equal(gb_ring_count(r), 0);
    gb_ring_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_capacity_full_empty),
        cmocka_unit_test(test_two_threads_lose_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
