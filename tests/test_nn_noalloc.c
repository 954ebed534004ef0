/* test_nn_noalloc.c — gb_nn_forward, gb_nn_reset and gb_nn_reset_slot never allocate or free
 * memory, for every kernel family and a model with every layer kind; building a model does
 * (which shows the counter works).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * This binary replaces malloc & co. (glibc allows it: every allocation in the process,
 * libc's own included, goes through these symbols) and forwards to glibc's allocator through
 * its __libc_* entry points, counting calls while the counter is armed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "gb_test_util.h"

#include "gb_alloc_count.h"


/* Sanity: the counter sees the runtime's own allocations (so a zero below means something). */
static void test_counter_sees_new_finalize_and_free(void **state)
{
    (void)state;
    gb_skip_if_not_interposed();
    gb_tlayer_t l[GB_TEST_MAX_LAYERS];
    const int n = gb_tl_every_kind(l);
    gb_error_t err = {0};
    int rc = 0;
    gb_arm();
    gb_nn_t *nn = gb_nn_new(7, 6, &err);
    for (int i = 0; nn && rc == 0 && i < n; i++) {
        switch (l[i].kind) {
        case GB_LAYER_DENSE: rc = gb_nn_add_dense(nn, l[i].out, l[i].act, &err); break;
        case GB_LAYER_CONV1D:
            rc = gb_nn_add_conv1d(nn, l[i].out, l[i].kernel, l[i].dilation, l[i].act, &err);
            break;
        case GB_LAYER_GRU: rc = gb_nn_add_gru(nn, l[i].out, &err); break;
        default: rc = gb_nn_add_act(nn, l[i].act, &err); break;
        }
    }
    if (nn && rc == 0)
        rc = gb_nn_finalize(nn, &err);
    gb_disarm();
    if (!nn || rc != 0)
        fail_msg("building the model: %s", err.msg);
    const long built = gb_n_alloc;
    gb_arm();
    gb_nn_free(nn);
    gb_disarm();
    const long freed = gb_n_free;
    printf("  gb_nn_new + add + finalize: %ld allocations; gb_nn_free: %ld frees\n", built, freed);
    assert_true(built > 0);
    assert_true(freed > 0);
}

/* Every family, CALLS forwards of varying batch with resets in between, weights as wt. */
static void gb_check_never_allocates(gb_nn_wtype_t wt)
{
    gb_tlayer_t layers[GB_TEST_MAX_LAYERS];
    const int n = gb_tl_every_kind(layers);
    gb_rng_t rng = gb_rng_seed(2);
    gb_tmodel_t tm;
    enum { IN = 7, B = 6, CALLS = 2000 };
    assert_int_equal(gb_tmodel_build_wt(&tm, IN, B, layers, n, &rng, 1.0, 0.5, wt), 0);
    float x[B * IN], y[B * 5];
    gb_fill_normal(&rng, x, B * IN, 3.0);
    x[0] = 1e30f;
    x[1] = -1e-40f;
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    for (int f = 0; f < nf; f++) {
        assert_int_equal(gb_nn_set_simd(tm.nn, fam[f], NULL), 0);
        gb_arm();
        for (int c = 0; c < CALLS; c++) {
            gb_nn_forward(tm.nn, x, y, 1 + c % B);
            if (c % 7 == 0)
                gb_nn_reset_slot(tm.nn, c % B);
            if (c % 500 == 499)
                gb_nn_reset(tm.nn);
        }
        gb_disarm();
        printf("  [%s, %s weights] %d forwards: %ld allocations (last %zu bytes), %ld frees\n",
               gb_simd_name(fam[f]), gb_nn_wtype_name(wt), CALLS, gb_n_alloc, gb_last_size,
               gb_n_free);
        assert_int_equal(gb_n_alloc, 0);
        assert_int_equal(gb_n_free, 0);
        for (int k = 0; k < B * 5; k++)
            assert_true(isfinite(y[k]));
    }
    gb_tmodel_free(&tm);
}

static void test_forward_and_reset_never_allocate_every_family(void **state)
{
    (void)state;
    gb_skip_if_not_interposed();
    gb_check_never_allocates(GB_NN_WTYPE_F32);
    gb_check_never_allocates(GB_NN_WTYPE_BF16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_sees_new_finalize_and_free),
        cmocka_unit_test(test_forward_and_reset_never_allocate_every_family),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
