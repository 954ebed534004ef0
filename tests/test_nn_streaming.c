/* test_nn_streaming.c — calling gb_nn_forward once per time step gives, for every slot and
 * every kernel family, what the whole sequence gives when computed in double from the
 * PyTorch formulas of gb_nn.h (causal dilated Conv1D with zero history, GRU from h = 0),
 * across gb_nn_reset_slot / gb_nn_reset and batches that leave some slots idle.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gb_fastmath.h"
#include "gb_test_util.h"

/* |stream − ref| ≤ GB_TOL_STREAM_ACT + GB_TOL_STREAM_DOT · (1 + |ref|) · sqrt(fan):
 * the documented errors of the fast tanh/sigmoid (≤ 2e-6, ≤ 1e-6 per step, carried a few steps
 * by the recurrent state, which contracts so they do not grow with time) plus float rounding of
 * the dot products (growing like sqrt(fan-in) for random data). */
#define GB_TOL_STREAM_ACT (4 * GB_FASTMATH_TANH_MAX_ERR)
#define GB_TOL_STREAM_DOT 5e-7

#define GB_SLOTS 4
#define GB_MAX_SEGS 64

/* A run of inputs a slot received since its last reset, and what the runtime returned. */
typedef struct gb_seg {
    int len;
    float *x; /* len × in */
    float *y; /* len × out */
} gb_seg_t;

typedef struct gb_slot_log {
    int nseg;
    gb_seg_t seg[GB_MAX_SEGS];
} gb_slot_log_t;

static void gb_log_reset(gb_slot_log_t *log, int T, int in, int out)
{
    gb_seg_t *s = &log->seg[log->nseg++];
    assert_true(log->nseg <= GB_MAX_SEGS);
    s->len = 0;
    s->x = malloc((size_t)T * in * sizeof(float));
    s->y = malloc((size_t)T * out * sizeof(float));
    assert_non_null(s->x);
    assert_non_null(s->y);
}

static void gb_log_free(gb_slot_log_t *log)
{
    for (int i = 0; i < log->nseg; i++) {
        free(log->seg[i].x);
        free(log->seg[i].y);
    }
    log->nseg = 0;
}

static double gb_worst, gb_worst_abs; /* largest err / tol and |err| of the current test */

/* Drive tm for T steps with a seeded schedule: each step a batch of 1 .. GB_SLOTS (slots past
 * the batch must keep their state), about six gb_nn_reset_slot of one slot, and half-way a
 * gb_nn_reset of all; each slot gets its own random inputs. Then compare every segment with
 * the double reference of that segment. Returns the number of values compared. */
static long gb_check_streaming(gb_tmodel_t *tm, int T, uint64_t seed, const char *what)
{
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    const int in = tm->in_dim, out = tm->out_dim;
    const double fan = gb_tmodel_max_fan(tm);
    float *x = malloc((size_t)GB_SLOTS * in * sizeof *x);
    float *y = malloc((size_t)GB_SLOTS * out * sizeof *y);
    double *xs = malloc((size_t)T * in * sizeof *xs), *ys = malloc((size_t)T * out * sizeof *ys);
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(xs);
    assert_non_null(ys);
    long compared = 0;
    for (int f = 0; f < nf; f++) {
        gb_error_t err = {0};
        if (gb_nn_set_simd(tm->nn, fam[f], &err) != 0)
            fail_msg("%s: set_simd(%s): %s", what, gb_simd_name(fam[f]), err.msg);
        gb_rng_t rng = gb_rng_seed(seed); /* same schedule and inputs for every family */
        gb_slot_log_t log[GB_SLOTS];
        memset(log, 0, sizeof log);
        gb_nn_reset(tm->nn);
        for (int s = 0; s < GB_SLOTS; s++)
            gb_log_reset(&log[s], T, in, out);
        for (int t = 0; t < T; t++) {
            if (t == T / 2) { /* everyone starts over */
                gb_nn_reset(tm->nn);
                for (int s = 0; s < GB_SLOTS; s++)
                    gb_log_reset(&log[s], T, in, out);
            } else if (t > 0 && gb_rng_int(&rng, T / 6 + 1) == 0) { /* a voice starts over */
                int s = gb_rng_int(&rng, GB_SLOTS);
                gb_nn_reset_slot(tm->nn, s);
                gb_log_reset(&log[s], T, in, out);
            }
            int batch = gb_rng_int(&rng, 3) == 0 ? 1 + gb_rng_int(&rng, GB_SLOTS) : GB_SLOTS;
            gb_fill_normal(&rng, x, (size_t)batch * in, 1.0);
            gb_nn_forward(tm->nn, x, y, batch);
            for (int s = 0; s < batch; s++) {
                gb_seg_t *g = &log[s].seg[log[s].nseg - 1];
                memcpy(g->x + (size_t)g->len * in, x + (size_t)s * in, (size_t)in * sizeof *x);
                memcpy(g->y + (size_t)g->len * out, y + (size_t)s * out, (size_t)out * sizeof *y);
                g->len++;
            }
        }
        for (int s = 0; s < GB_SLOTS; s++) {
            for (int g = 0; g < log[s].nseg; g++) {
                const gb_seg_t *sg = &log[s].seg[g];
                for (size_t k = 0; k < (size_t)sg->len * in; k++)
                    xs[k] = sg->x[k];
                gb_ref_model_seq(tm, xs, ys, sg->len);
                for (size_t k = 0; k < (size_t)sg->len * out; k++) {
                    double r = ys[k], a = sg->y[k];
                    double tol = GB_TOL_STREAM_ACT + GB_TOL_STREAM_DOT * (1 + fabs(r)) * sqrt(fan);
                    double e = fabs(a - r);
                    if (!(e <= tol))
                        fail_msg("%s [%s] slot %d segment %d step %zu/%d out %zu: %.9g vs "
                                 "double %.9g (err %.3g > tol %.3g)",
                                 what, gb_simd_name(fam[f]), s, g, k / out, sg->len, k % out, a,
                                 r, e, tol);
                    if (e / tol > gb_worst)
                        gb_worst = e / tol;
                    if (e > gb_worst_abs)
                        gb_worst_abs = e;
                    compared++;
                }
            }
            gb_log_free(&log[s]);
        }
    }
    free(x);
    free(y);
    free(xs);
    free(ys);
    return compared;
}

static void gb_build_or_fail(gb_tmodel_t *tm, int in, const gb_tlayer_t *l, int n, gb_rng_t *rng)
{
    if (gb_tmodel_build(tm, in, GB_SLOTS, l, n, rng, 1.0, 0.5) != 0)
        fail_msg("building a model with in=%d failed (see stderr)", in);
}

static void gb_report(const char *name, long compared)
{
    printf("  %s: %ld values compared, max |err| %.3e, worst err/tol %.3f\n", name, compared,
           gb_worst_abs, gb_worst);
    assert_true(compared > 0);
    gb_worst = gb_worst_abs = 0;
}

static void test_conv1d_streaming_equals_whole_sequence(void **state)
{
    (void)state;
    static const struct {
        int in, out, k, d, T;
        gb_act_kind_t act;
    } cases[] = {
        {1, 1, 1, 1, 20, GB_ACT_LINEAR},   {3, 5, 3, 2, 40, GB_ACT_TANH},
        {17, 1, 4, 3, 50, GB_ACT_LINEAR},  {1, 17, 2, 1, 30, GB_ACT_RELU},
        {65, 63, 4, 1, 40, GB_ACT_SIGMOID}, {130, 3, 3, 3, 40, GB_ACT_ELU},
        {2, 3, 2, 300, 700, GB_ACT_LINEAR}, /* receptive field 301 < a segment */
        {5, 4, 4, 37, 400, GB_ACT_SOFTPLUS},
    };
    gb_rng_t rng = gb_rng_seed(100);
    long compared = 0;
    char what[96];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        gb_tlayer_t l = gb_tl_conv(cases[c].out, cases[c].k, cases[c].d,
                                   gb_act_make(cases[c].act));
        gb_tmodel_t tm;
        gb_build_or_fail(&tm, cases[c].in, &l, 1, &rng);
        snprintf(what, sizeof what, "conv1d %d→%d k=%d d=%d", cases[c].in, cases[c].out,
                 cases[c].k, cases[c].d);
        compared += gb_check_streaming(&tm, cases[c].T, 1000 + c, what);
        gb_tmodel_free(&tm);
    }
    gb_report("conv1d", compared);
}

static void test_gru_streaming_equals_whole_sequence(void **state)
{
    (void)state;
    static const int cases[][3] = {{1, 1, 40},   {3, 17, 60},  {17, 3, 60},
                                   {63, 65, 40}, {130, 16, 30}, {4, 8, 300}};
    gb_rng_t rng = gb_rng_seed(200);
    long compared = 0;
    char what[96];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        gb_tlayer_t l = gb_tl_gru(cases[c][1]);
        gb_tmodel_t tm;
        gb_build_or_fail(&tm, cases[c][0], &l, 1, &rng);
        snprintf(what, sizeof what, "gru %d→%d", cases[c][0], cases[c][1]);
        compared += gb_check_streaming(&tm, cases[c][2], 2000 + c, what);
        gb_tmodel_free(&tm);
    }
    gb_report("gru", compared);
}

static void test_stack_streaming_equals_whole_sequence(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(300);
    const gb_tlayer_t a[] = {gb_tl_conv(17, 3, 2, gb_act_make(GB_ACT_TANH)), gb_tl_gru(33),
                             gb_tl_dense(5, gb_act_make(GB_ACT_LINEAR))};
    const gb_tlayer_t b[] = {gb_tl_conv(8, 2, 1, gb_act_make(GB_ACT_LEAKY_RELU)),
                             gb_tl_conv(8, 3, 4, gb_act_make(GB_ACT_ELU)), gb_tl_gru(20),
                             gb_tl_gru(7), gb_tl_act(gb_act_make(GB_ACT_SOFTPLUS)),
                             gb_tl_dense(3, gb_act_make(GB_ACT_SOFTMAX))};
    long compared = 0;
    gb_tmodel_t tm;
    gb_build_or_fail(&tm, 6, a, 3, &rng);
    compared += gb_check_streaming(&tm, 80, 3000, "conv1d→gru→dense");
    gb_tmodel_free(&tm);
    gb_build_or_fail(&tm, 3, b, 6, &rng);
    compared += gb_check_streaming(&tm, 80, 3001, "conv1d→conv1d→gru→gru→softplus→dense");
    gb_tmodel_free(&tm);
    gb_report("stacks", compared);
}

/* Resetting one slot changes nothing, bit for bit, in the others; a full reset gives the
 * first run's outputs again. */
static void test_reset_slot_leaves_other_slots_bit_identical(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(400);
    const gb_tlayer_t l[] = {gb_tl_conv(9, 3, 2, gb_act_make(GB_ACT_TANH)), gb_tl_gru(11)};
    gb_tmodel_t tm;
    gb_build_or_fail(&tm, 5, l, 2, &rng);
    enum { T = 30, IN = 5, OUT = 11 };
    static float x[T][GB_SLOTS * IN], y0[T][GB_SLOTS * OUT], y1[T][GB_SLOTS * OUT];
    gb_fill_normal(&rng, &x[0][0], sizeof x / sizeof(float), 1.0);
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    for (int f = 0; f < nf; f++) {
        assert_int_equal(gb_nn_set_simd(tm.nn, fam[f], NULL), 0);
        gb_nn_reset(tm.nn);
        for (int t = 0; t < T; t++)
            gb_nn_forward(tm.nn, x[t], y0[t], GB_SLOTS);
        gb_nn_reset(tm.nn);
        for (int t = 0; t < T; t++) {
            if (t == 12)
                gb_nn_reset_slot(tm.nn, 2);
            gb_nn_forward(tm.nn, x[t], y1[t], GB_SLOTS);
        }
        int differs = 0;
        for (int t = 0; t < T; t++) {
            for (int s = 0; s < GB_SLOTS; s++) {
                const size_t row = (size_t)OUT * sizeof(float);
                if (s != 2 || t < 12)
                    assert_memory_equal(&y0[t][s * OUT], &y1[t][s * OUT], row);
                else if (memcmp(&y0[t][s * OUT], &y1[t][s * OUT], row) != 0)
                    differs = 1;
            }
        }
        assert_true(differs); /* the reset slot did start over */
    }
    gb_tmodel_free(&tm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv1d_streaming_equals_whole_sequence),
        cmocka_unit_test(test_gru_streaming_equals_whole_sequence),
        cmocka_unit_test(test_stack_streaming_equals_whole_sequence),
        cmocka_unit_test(test_reset_slot_leaves_other_slots_bit_identical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
