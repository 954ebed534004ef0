/* test_nn_kernels.c — every kernel family this CPU runs gives the scalar reference's numbers
 * (and the double-precision formulas of gb_nn.h) for Dense with every activation, Conv1D and
 * GRU on odd shapes and batches; gb_nn_set_simd / gb_simd_default / GBAC_SIMD select families
 * as documented; parameters round-trip in canonical layout.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gb_fastmath.h"
#include "gb_test_util.h"

/* Tolerances, scaled by the size of what is compared and by sqrt(fan-in) (rounding of a dot
 * product of fan-in terms grows like its square root for random data):
 *   family vs scalar:  |a − s| ≤ GB_TOL_FAMILY · (1 + |ref|) · sqrt(fan)
 *   any vs double:     |a − ref| ≤ act_err + GB_TOL_DOT · (1 + |ref|) · sqrt(fan)
 * where act_err is the documented error of the activation's fast math (gb_fastmath.h).
 * Families differ only by FMA contraction and summation order, so GB_TOL_FAMILY is tight. */
#define GB_TOL_FAMILY 3e-7
#define GB_TOL_DOT 5e-7

static const int gb_dims[] = {1, 3, 17, 63, 65, 130};
static const int gb_batches[] = {1, 2, 3, 8, 13};
#define GB_NDIMS (int)(sizeof gb_dims / sizeof gb_dims[0])
#define GB_NBATCHES (int)(sizeof gb_batches / sizeof gb_batches[0])

/* Activations with non-default alphas too, so the alpha is shown to reach the kernels. */
static gb_act_t gb_test_act(int i)
{
    static const struct {
        gb_act_kind_t k;
        float alpha;
    } acts[] = {{GB_ACT_LINEAR, 0},   {GB_ACT_RELU, 0},     {GB_ACT_LEAKY_RELU, 0.2f},
                {GB_ACT_TANH, 0},     {GB_ACT_SIGMOID, 0},  {GB_ACT_SOFTPLUS, 0},
                {GB_ACT_ELU, 0.7f},   {GB_ACT_SOFTMAX, 0},  {GB_ACT_LEAKY_RELU, -1},
                {GB_ACT_ELU, -1}};
    gb_act_t a = gb_act_make(acts[i].k);
    if (acts[i].alpha > 0)
        a.alpha = acts[i].alpha;
    return a;
}
#define GB_N_TEST_ACTS 10

static double gb_act_err(gb_act_t a)
{
    switch (a.kind) {
    case GB_ACT_TANH: return GB_FASTMATH_TANH_MAX_ERR;
    case GB_ACT_SIGMOID: return GB_FASTMATH_SIGMOID_MAX_ERR;
    case GB_ACT_SOFTPLUS: return GB_FASTMATH_SOFTPLUS_MAX_ERR;
    case GB_ACT_ELU: return fabs(a.alpha) * (GB_FASTMATH_EXP_MAX_RELERR + FLT_EPSILON);
    case GB_ACT_SOFTMAX: return 2 * GB_FASTMATH_EXP_MAX_RELERR + 4 * FLT_EPSILON;
    default: return 0;
    }
}

/* Largest fast-math error over a model's activations (GRU uses sigmoid and tanh). */
static double gb_model_act_err(const gb_tmodel_t *tm)
{
    double e = 0;
    for (int i = 0; i < tm->n; i++) {
        double le = tm->l[i].kind == GB_LAYER_GRU
                        ? GB_FASTMATH_TANH_MAX_ERR + 2 * GB_FASTMATH_SIGMOID_MAX_ERR
                        : gb_act_err(tm->l[i].act);
        e = le > e ? le : e;
    }
    return e;
}

typedef struct gb_stats {
    double worst_family; /* largest err / tol seen, family vs scalar */
    double worst_double; /* largest err / tol seen, any family vs double */
    long compared;
} gb_stats_t;

static gb_stats_t gb_stats;

#define GB_GUARD 32
#define GB_SENTINEL 0x7fc0beefu

static void gb_fill_sentinel(float *x, size_t n)
{
    uint32_t s = GB_SENTINEL;
    for (size_t i = 0; i < n; i++)
        memcpy(&x[i], &s, 4);
}

static int gb_sentinel_intact(const float *x, size_t n)
{
    uint32_t s = GB_SENTINEL;
    for (size_t i = 0; i < n; i++)
        if (memcmp(&x[i], &s, 4) != 0)
            return 0;
    return 1;
}

/* Run T steps of `batch` random frames through tm with every family; compare every family to
 * scalar and to the double reference of each slot's sequence. */
static void gb_check_model(gb_tmodel_t *tm, int batch, int T, gb_rng_t *rng, const char *what)
{
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    const int in = tm->in_dim, out = tm->out_dim;
    const double fan = gb_tmodel_max_fan(tm), act_err = gb_model_act_err(tm);
    const size_t nin = (size_t)T * batch * in, nout = (size_t)T * batch * out;
    float *x = malloc(nin * sizeof *x);
    float *y = malloc((size_t)nf * (nout + GB_GUARD) * sizeof *y);
    double *xs = malloc((size_t)T * in * sizeof *xs), *ys = malloc((size_t)T * out * sizeof *ys);
    double *ref = malloc(nout * sizeof *ref);
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(ref);
    gb_fill_normal(rng, x, nin, 1.0);

    /* reference: slot b sees x[t][b] for t = 0 .. T-1 */
    for (int b = 0; b < batch; b++) {
        for (int t = 0; t < T; t++)
            for (int i = 0; i < in; i++)
                xs[(size_t)t * in + i] = x[((size_t)t * batch + b) * in + i];
        gb_ref_model_seq(tm, xs, ys, T);
        for (int t = 0; t < T; t++)
            for (int o = 0; o < out; o++)
                ref[((size_t)t * batch + b) * out + o] = ys[(size_t)t * out + o];
    }

    for (int f = 0; f < nf; f++) {
        gb_error_t err = {0};
        float *yf = y + (size_t)f * (nout + GB_GUARD);
        int rc = gb_nn_set_simd(tm->nn, fam[f], &err);
        if (rc != 0)
            fail_msg("%s: gb_nn_set_simd(%s): %s", what, gb_simd_name(fam[f]), err.msg);
        assert_int_equal(gb_nn_simd(tm->nn), fam[f]);
        gb_nn_reset(tm->nn);
        for (int t = 0; t < T; t++) {
            float *yt = yf + (size_t)t * batch * out;
            gb_fill_sentinel(yt, (size_t)batch * out + GB_GUARD);
            gb_nn_forward(tm->nn, x + (size_t)t * batch * in, yt, batch);
            if (!gb_sentinel_intact(yt + (size_t)batch * out, GB_GUARD))
                fail_msg("%s [%s]: forward wrote past batch × out_dim floats", what,
                         gb_simd_name(fam[f]));
        }
        for (size_t k = 0; k < nout; k++) {
            double a = yf[k], r = ref[k], s = y[k]; /* family 0 is scalar */
            double tol_d = act_err + GB_TOL_DOT * (1 + fabs(r)) * sqrt(fan);
            double tol_f = GB_TOL_FAMILY * (1 + fabs(r)) * sqrt(fan);
            double ed = fabs(a - r), ef = fabs(a - s);
            if (!(ed <= tol_d))
                fail_msg("%s [%s] t=%zu slot=%zu o=%zu: %.9g vs double %.9g (err %.3g > tol %.3g)",
                         what, gb_simd_name(fam[f]), k / ((size_t)batch * out),
                         k / out % batch, k % out, a, r, ed, tol_d);
            if (!(ef <= tol_f))
                fail_msg("%s [%s] t=%zu slot=%zu o=%zu: %.9g vs scalar %.9g (err %.3g > tol %.3g)",
                         what, gb_simd_name(fam[f]), k / ((size_t)batch * out),
                         k / out % batch, k % out, a, s, ef, tol_f);
            if (ed / tol_d > gb_stats.worst_double)
                gb_stats.worst_double = ed / tol_d;
            if (ef / tol_f > gb_stats.worst_family)
                gb_stats.worst_family = ef / tol_f;
            gb_stats.compared++;
        }
    }
    free(x);
    free(y);
    free(xs);
    free(ys);
    free(ref);
}

static void gb_print_stats(const char *name)
{
    printf("  %s: %ld values; worst err/tol vs scalar %.3f, vs double %.3f\n", name,
           gb_stats.compared, gb_stats.worst_family, gb_stats.worst_double);
    memset(&gb_stats, 0, sizeof gb_stats);
}

static void gb_build_or_fail(gb_tmodel_t *tm, int in, int max_batch, const gb_tlayer_t *l, int n,
                             gb_rng_t *rng)
{
    if (gb_tmodel_build(tm, in, max_batch, l, n, rng, 1.0, 0.5) != 0)
        fail_msg("building a model with in=%d, max_batch=%d failed (see stderr)", in, max_batch);
}

/* ------------------------------------------------------------------ kernels vs reference */

static void test_dense_every_family_matches_scalar_and_double(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(1);
    char what[128];
    for (int a = 0; a < GB_N_TEST_ACTS; a++) {
        gb_act_t act = gb_test_act(a);
        for (int i = 0; i < GB_NDIMS; i++)
            for (int o = 0; o < GB_NDIMS; o++) {
                /* every batch for linear; one batch per shape (cycling) for the others */
                for (int bi = 0; bi < GB_NBATCHES; bi++) {
                    if (a != 0 && bi != (i + o + a) % GB_NBATCHES)
                        continue;
                    int batch = gb_batches[bi];
                    gb_tlayer_t l = gb_tl_dense(gb_dims[o], act);
                    gb_tmodel_t tm;
                    gb_build_or_fail(&tm, gb_dims[i], batch, &l, 1, &rng);
                    snprintf(what, sizeof what, "dense %d→%d %s(%g) batch %d", gb_dims[i],
                             gb_dims[o], gb_act_name(act.kind), act.alpha, batch);
                    gb_check_model(&tm, batch, 2, &rng, what);
                    gb_tmodel_free(&tm);
                }
            }
    }
    gb_print_stats("dense");
}

static void test_conv1d_every_family_matches_scalar_and_double(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(2);
    char what[128];
    for (int k = 1; k <= 4; k++)
        for (int d = 1; d <= 3; d++)
            for (int i = 0; i < GB_NDIMS; i++) {
                int out = gb_dims[(i + k + d) % GB_NDIMS];
                int batch = gb_batches[(i + k * 3 + d) % GB_NBATCHES];
                gb_act_t act = gb_test_act((i + k + 2 * d) % GB_N_TEST_ACTS);
                gb_tlayer_t l = gb_tl_conv(out, k, d, act);
                gb_tmodel_t tm;
                gb_build_or_fail(&tm, gb_dims[i], batch, &l, 1, &rng);
                snprintf(what, sizeof what, "conv1d %d→%d k=%d d=%d %s batch %d", gb_dims[i], out,
                         k, d, gb_act_name(act.kind), batch);
                /* enough steps to fill the receptive field and wrap any ring buffer */
                gb_check_model(&tm, batch, (k - 1) * d + 4, &rng, what);
                gb_tmodel_free(&tm);
            }
    gb_print_stats("conv1d");
}

static void test_gru_every_family_matches_scalar_and_double(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(3);
    char what[128];
    for (int i = 0; i < GB_NDIMS; i++)
        for (int h = 0; h < GB_NDIMS; h++)
            for (int bi = 0; bi < GB_NBATCHES; bi++) {
                gb_tlayer_t l = gb_tl_gru(gb_dims[h]);
                gb_tmodel_t tm;
                gb_build_or_fail(&tm, gb_dims[i], gb_batches[bi], &l, 1, &rng);
                snprintf(what, sizeof what, "gru %d→%d batch %d", gb_dims[i], gb_dims[h],
                         gb_batches[bi]);
                gb_check_model(&tm, gb_batches[bi], 3, &rng, what);
                gb_tmodel_free(&tm);
            }
    gb_print_stats("gru");
}

/* Random stacks of 1–3 layers with random sizes 1..200 (multiples of 16 included) and
 * random batches, every family against scalar and double. */
static void test_random_stacks_every_family_matches_scalar_and_double(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(11);
    char what[160];
    for (int m = 0; m < 40; m++) {
        gb_tlayer_t l[3];
        const int n = 1 + gb_rng_int(&rng, 3);
        const int in = gb_rng_int(&rng, 4) == 0 ? 16 * (1 + gb_rng_int(&rng, 8))
                                                 : 1 + gb_rng_int(&rng, 200);
        const int batch = 1 + gb_rng_int(&rng, 16);
        int len = snprintf(what, sizeof what, "stack #%d in=%d batch=%d:", m, in, batch);
        for (int i = 0; i < n; i++) {
            const int out = 1 + gb_rng_int(&rng, 200);
            const gb_act_t act = gb_test_act(gb_rng_int(&rng, GB_N_TEST_ACTS));
            switch (gb_rng_int(&rng, 4)) {
            case 0: l[i] = gb_tl_dense(out, act); break;
            case 1: l[i] = gb_tl_conv(out, 1 + gb_rng_int(&rng, 4), 1 + gb_rng_int(&rng, 3), act);
                break;
            case 2: l[i] = gb_tl_gru(out); break;
            default: l[i] = gb_tl_act(act); break;
            }
            len += snprintf(what + len, sizeof what - (size_t)len, " %s(%d)",
                            gb_layer_kind_name(l[i].kind), l[i].kind == GB_LAYER_ACT ? 0 : out);
        }
        gb_tmodel_t tm;
        gb_build_or_fail(&tm, in, batch, l, n, &rng);
        gb_check_model(&tm, batch, 6, &rng, what);
        gb_tmodel_free(&tm);
    }
    gb_print_stats("random stacks");
}

/* A batch smaller than max_batch computes the same rows as a full one (within GB_TOL_FAMILY:
 * kernels may tile frames differently, so the last bits can depend on the batch). */
static void test_partial_batch_matches_full_batch(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(4);
    const gb_tlayer_t layers[] = {gb_tl_dense(17, gb_act_make(GB_ACT_TANH)),
                                  gb_tl_dense(65, gb_act_make(GB_ACT_SOFTMAX))};
    gb_tmodel_t tm;
    gb_build_or_fail(&tm, 63, 13, layers, 2, &rng);
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    float x[13 * 63], full[13 * 65], part[13 * 65 + GB_GUARD];
    gb_fill_normal(&rng, x, 13 * 63, 1.0);
    for (int f = 0; f < nf; f++) {
        assert_int_equal(gb_nn_set_simd(tm.nn, fam[f], NULL), 0);
        gb_nn_forward(tm.nn, x, full, 13);
        int bit_diffs = 0;
        for (int b = 1; b <= 13; b++) {
            gb_fill_sentinel(part, 13 * 65 + GB_GUARD);
            gb_nn_forward(tm.nn, x, part, b);
            for (int k = 0; k < b * 65; k++) {
                double tol = GB_TOL_FAMILY * (1 + fabs(full[k])) * sqrt(63.0);
                if (!(fabs(part[k] - full[k]) <= tol))
                    fail_msg("[%s] batch %d row %d: %.9g vs %.9g in a batch of 13",
                             gb_simd_name(fam[f]), b, k / 65, (double)part[k], (double)full[k]);
                bit_diffs += part[k] != full[k];
            }
            assert_true(gb_sentinel_intact(part + b * 65, (size_t)(13 - b) * 65 + GB_GUARD));
        }
        printf("  [%s] values not bit-identical to the batch of 13: %d of %d\n",
               gb_simd_name(fam[f]), bit_diffs, 65 * 13 * 14 / 2);
    }
    gb_tmodel_free(&tm);
}

/* batch is clamped to 1 .. max_batch: out-of-range batches neither crash nor write more. */
static void test_forward_clamps_batch(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(5);
    gb_tlayer_t l = gb_tl_dense(3, gb_act_make(GB_ACT_LINEAR));
    gb_tmodel_t tm;
    gb_build_or_fail(&tm, 5, 3, &l, 1, &rng);
    float x[8 * 5], ref[3 * 3], y[8 * 3 + GB_GUARD];
    gb_fill_normal(&rng, x, 8 * 5, 1.0);
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    for (int f = 0; f < nf; f++) {
        assert_int_equal(gb_nn_set_simd(tm.nn, fam[f], NULL), 0);
        gb_nn_forward(tm.nn, x, ref, 3);
        gb_fill_sentinel(y, 8 * 3 + GB_GUARD);
        gb_nn_forward(tm.nn, x, y, 8); /* clamped to 3 */
        assert_memory_equal(y, ref, 3 * 3 * sizeof(float));
        assert_true(gb_sentinel_intact(y + 9, 5 * 3 + GB_GUARD));
        float one[3];
        gb_nn_forward(tm.nn, x, one, 1);
        const int small[] = {0, -1, -1000};
        for (int s = 0; s < 3; s++) {
            gb_fill_sentinel(y, 8 * 3 + GB_GUARD);
            gb_nn_forward(tm.nn, x, y, small[s]); /* clamped to 1 */
            assert_memory_equal(y, one, 3 * sizeof(float));
            assert_true(gb_sentinel_intact(y + 3, 7 * 3 + GB_GUARD));
        }
    }
    gb_tmodel_free(&tm);
}

/* The caller's buffers are exactly batch × dim floats, unaligned, ending at an unmapped page:
 * forward must not read or write beyond them (padding to 16 lanes is the runtime's own). */
static float *gb_guarded(size_t nfloats, void **map, size_t *maplen)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t bytes = GB_ROUND_UP(nfloats * sizeof(float), page);
    *maplen = bytes + page;
    char *p = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    assert_int_equal(mprotect(p + bytes, page, PROT_NONE), 0);
    *map = p;
    return (float *)(p + bytes) - nfloats;
}

static void test_forward_touches_only_callers_rows(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(6);
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    static const int shapes[][3] = {{1, 1, 1}, {3, 17, 2}, {17, 3, 3}, {63, 65, 13}, {130, 1, 8}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int in = shapes[s][0], out = shapes[s][1], batch = shapes[s][2];
        const gb_tlayer_t layers[] = {gb_tl_conv(out, 2, 1, gb_act_make(GB_ACT_RELU)),
                                      gb_tl_gru(out),
                                      gb_tl_dense(out, gb_act_make(GB_ACT_SOFTMAX))};
        gb_tmodel_t tm;
        gb_build_or_fail(&tm, in, batch, layers, 3, &rng);
        void *mi, *mo;
        size_t li, lo;
        float *x = gb_guarded((size_t)batch * in, &mi, &li);
        float *y = gb_guarded((size_t)batch * out, &mo, &lo);
        gb_fill_normal(&rng, x, (size_t)batch * in, 1.0);
        for (int f = 0; f < nf; f++) {
            assert_int_equal(gb_nn_set_simd(tm.nn, fam[f], NULL), 0);
            gb_nn_forward(tm.nn, x, y, batch);
            gb_nn_forward(tm.nn, x, y, batch);
            for (int k = 0; k < batch * out; k++)
                assert_true(isfinite(y[k]));
        }
        munmap(mi, li);
        munmap(mo, lo);
        gb_tmodel_free(&tm);
    }
}

/* ------------------------------------------------------------------ family selection */

static void test_set_simd_accepts_available_rejects_unavailable(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(7);
    gb_tlayer_t l = gb_tl_dense(3, gb_act_make(GB_ACT_TANH));
    gb_tmodel_t tm;
    gb_build_or_fail(&tm, 3, 1, &l, 1, &rng);
    int n_avail = 0, n_unavail = 0;
    for (int s = 0; s < GB_SIMD_COUNT; s++) {
        gb_error_t err = {0};
        gb_simd_t before = gb_nn_simd(tm.nn);
        int rc = gb_nn_set_simd(tm.nn, (gb_simd_t)s, &err);
        if (gb_simd_available((gb_simd_t)s)) {
            n_avail++;
            assert_int_equal(rc, 0);
            assert_int_equal(gb_nn_simd(tm.nn), s);
        } else {
            n_unavail++;
            assert_true(rc < 0);
            assert_int_equal(err.code, rc);
            assert_true(strlen(err.msg) > 0);
            assert_int_equal(gb_nn_simd(tm.nn), before); /* unchanged, still usable */
            printf("  set_simd(%s): %s\n", gb_simd_name((gb_simd_t)s), err.msg);
        }
    }
    const int bogus[] = {GB_SIMD_COUNT, -1, 1000};
    for (int i = 0; i < 3; i++) {
        gb_error_t err = {0};
        assert_true(gb_nn_set_simd(tm.nn, (gb_simd_t)bogus[i], &err) < 0);
        assert_true(strlen(err.msg) > 0);
    }
    /* this test is meant for the x86 CI machine: scalar, AVX2 and AVX-512 are all there */
    printf("  families available: %d, unavailable: %d\n", n_avail, n_unavail);
    assert_true(n_avail >= 1 && n_unavail >= 1);
    float x[3] = {0.5f, -1, 2}, y[3];
    gb_nn_forward(tm.nn, x, y, 1);
    gb_tmodel_free(&tm);
}

/* What a child process saw from gb_simd_default() (and, optionally, gb_nn_finalize). */
typedef struct gb_child_result {
    int rc, simd, rc2, simd2, fin_rc, fin_simd;
    char msg[512], fin_msg[512];
} gb_child_result_t;

/* The child: set GBAC_SIMD to env ("-": unset), call gb_simd_default(), then set it to env2
 * (if not "-") and call again, then finalize a model; write the result to stdout (a pipe). */
static int gb_simd_child(const char *env, const char *env2)
{
    gb_child_result_t r;
    memset(&r, 0, sizeof r);
    gb_error_t err = {0};
    gb_simd_t s = GB_SIMD_COUNT;
    if (strcmp(env, "-") != 0)
        setenv("GBAC_SIMD", env, 1);
    else
        unsetenv("GBAC_SIMD");
    r.rc = gb_simd_default(&s, &err);
    r.simd = (int)s;
    memcpy(r.msg, err.msg, sizeof r.msg);
    if (strcmp(env2, "-") != 0) {
        setenv("GBAC_SIMD", env2, 1);
        s = GB_SIMD_COUNT;
        r.rc2 = gb_simd_default(&s, NULL);
        r.simd2 = (int)s;
    }
    gb_error_clear(&err);
    gb_nn_t *nn = gb_nn_new(4, 2, &err);
    if (nn && gb_nn_add_dense(nn, 4, gb_act_make(GB_ACT_RELU), &err) == 0) {
        r.fin_rc = gb_nn_finalize(nn, &err);
        r.fin_simd = r.fin_rc == 0 ? (int)gb_nn_simd(nn) : -1;
        memcpy(r.fin_msg, err.msg, sizeof r.fin_msg);
    } else {
        r.fin_rc = 1; /* the builder itself failed: the parent reports it */
    }
    gb_nn_free(nn);
    return fwrite(&r, sizeof r, 1, stdout) == 1 ? 0 : 1;
}

/* Run gb_simd_child in a fresh process (this binary re-executed): gb_simd_default() caches
 * its answer per process, and a fork would inherit the parent's cache. */
static gb_child_result_t gb_in_child(const char *env, const char *env2)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        char *args[] = {"test_nn_kernels", "--simd-child", (char *)(env ? env : "-"),
                        (char *)(env2 ? env2 : "-"), NULL};
        execv("/proc/self/exe", args);
        _exit(127);
    }
    close(fds[1]);
    gb_child_result_t r;
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = read(fds[0], (char *)&r + got, sizeof r - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(got, sizeof r);
    assert_true(r.fin_rc != 1);
    return r;
}

static gb_simd_t gb_best_available(void)
{
    const gb_simd_t pref[] = {GB_SIMD_AVX512BF16, GB_SIMD_AVX512, GB_SIMD_AVX2, GB_SIMD_NEON};
    for (int i = 0; i < 4; i++)
        if (gb_simd_available(pref[i]))
            return pref[i];
    return GB_SIMD_SCALAR;
}

static void test_simd_default_honours_gbac_simd(void **state)
{
    (void)state;
    for (int s = 0; s < GB_SIMD_COUNT; s++) {
        if (!gb_simd_available((gb_simd_t)s))
            continue;
        gb_child_result_t r = gb_in_child(gb_simd_name((gb_simd_t)s), NULL);
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.simd, s);
        assert_int_equal(r.fin_rc, 0);
        assert_int_equal(r.fin_simd, s); /* finalize uses the default */
    }
    gb_child_result_t r = gb_in_child(NULL, NULL);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.simd, gb_best_available());
    assert_int_equal(r.fin_simd, gb_best_available());
    r = gb_in_child("", NULL); /* empty = unset */
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.simd, gb_best_available());
}

static void test_simd_default_caches_first_answer(void **state)
{
    (void)state;
    gb_child_result_t r = gb_in_child("scalar", "avx2");
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.simd, GB_SIMD_SCALAR);
    assert_int_equal(r.rc2, 0);
    assert_int_equal(r.simd2, GB_SIMD_SCALAR);
}

static void test_simd_default_rejects_unknown_or_unsupported_naming_variable(void **state)
{
    (void)state;
    const char *bad[GB_SIMD_COUNT + 3] = {"avx9", "AVX2 ", "sse"};
    int n = 3;
    for (int s = 0; s < GB_SIMD_COUNT; s++)
        if (!gb_simd_available((gb_simd_t)s))
            bad[n++] = gb_simd_name((gb_simd_t)s); /* known but unsupported here */
    for (int i = 0; i < n; i++) {
        gb_child_result_t r = gb_in_child(bad[i], NULL);
        printf("  GBAC_SIMD=\"%s\": rc %d, \"%s\"; finalize rc %d, \"%s\"\n", bad[i], r.rc, r.msg,
               r.fin_rc, r.fin_msg);
        assert_true(r.rc < 0);
        assert_non_null(strstr(r.msg, "GBAC_SIMD"));
        assert_non_null(strstr(r.msg, bad[i]));
        assert_true(r.fin_rc < 0); /* a model cannot silently ignore a bad override */
        assert_non_null(strstr(r.fin_msg, "GBAC_SIMD"));
    }
    assert_true(n >= 4); /* at least one real family is unsupported (neon on x86) */
}

/* ------------------------------------------------------------------ parameters */

static void test_param_round_trip_every_layer_kind(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(8);
    const int in = 17;
    const gb_tlayer_t layers[] = {gb_tl_conv(3, 4, 3, gb_act_make(GB_ACT_ELU)), gb_tl_gru(65),
                                  gb_tl_act(gb_act_make(GB_ACT_TANH)),
                                  gb_tl_dense(1, gb_act_make(GB_ACT_LINEAR)),
                                  gb_tl_dense(63, gb_act_make(GB_ACT_SOFTMAX))};
    gb_tmodel_t tm;
    gb_build_or_fail(&tm, in, 5, layers, 5, &rng);
    assert_int_equal(gb_nn_n_layers(tm.nn), 5);
    assert_int_equal(gb_nn_in_dim(tm.nn), in);
    assert_int_equal(gb_nn_out_dim(tm.nn), 63);
    assert_int_equal(gb_nn_max_batch(tm.nn), 5);

    /* expected canonical shapes (PyTorch) */
    struct {
        const char *name;
        int ndim, s0, s1, s2;
    } want[5][4] = {
        {{"weight", 3, 3, 17, 4}, {"bias", 1, 3, 0, 0}},
        {{"weight_ih", 2, 195, 3, 0}, {"weight_hh", 2, 195, 65, 0}, {"bias_ih", 1, 195, 0, 0},
         {"bias_hh", 1, 195, 0, 0}},
        {{0}},
        {{"weight", 2, 1, 65, 0}, {"bias", 1, 1, 0, 0}},
        {{"weight", 2, 63, 1, 0}, {"bias", 1, 63, 0, 0}},
    };
    const int want_np[5] = {2, 4, 0, 2, 2};
    const gb_layer_kind_t want_kind[5] = {GB_LAYER_CONV1D, GB_LAYER_GRU, GB_LAYER_ACT,
                                          GB_LAYER_DENSE, GB_LAYER_DENSE};
    size_t total = 0;
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    for (int i = 0; i < 5; i++) {
        gb_layer_info_t li;
        assert_int_equal(gb_nn_layer_info(tm.nn, i, &li), 0);
        assert_int_equal(li.kind, want_kind[i]);
        assert_int_equal(li.n_params, want_np[i]);
        assert_int_equal(li.in, tm.l[i].in);
        assert_int_equal(li.out, tm.l[i].out);
        if (li.kind == GB_LAYER_CONV1D) {
            assert_int_equal(li.kernel, 4);
            assert_int_equal(li.dilation, 3);
        }
        size_t nw = 0;
        for (int p = 0; p < li.n_params; p++) {
            gb_param_info_t pi;
            assert_int_equal(gb_nn_param_info(tm.nn, i, p, &pi), 0);
            assert_string_equal(pi.name, want[i][p].name);
            assert_int_equal(pi.ndim, want[i][p].ndim);
            assert_int_equal(pi.shape[0], want[i][p].s0);
            if (pi.ndim > 1)
                assert_int_equal(pi.shape[1], want[i][p].s1);
            if (pi.ndim > 2)
                assert_int_equal(pi.shape[2], want[i][p].s2);
            assert_int_equal(gb_nn_param_find(tm.nn, i, pi.name), p);
            nw += pi.count;
            /* round trip, also after switching families (no repacking needed) */
            float *got = malloc(pi.count * sizeof *got);
            assert_non_null(got);
            for (int f = 0; f < nf; f++) {
                assert_int_equal(gb_nn_set_simd(tm.nn, fam[f], NULL), 0);
                memset(got, 0xff, pi.count * sizeof *got);
                gb_error_t err = {0};
                assert_int_equal(gb_nn_get_param(tm.nn, i, pi.name, got, pi.count, &err), 0);
                assert_memory_equal(got, tm.l[i].p[p], pi.count * sizeof *got);
            }
            free(got);
        }
        assert_int_equal(li.n_weights, nw);
        total += nw;
    }
    assert_int_equal(gb_nn_n_weights(tm.nn), total);
    gb_tmodel_free(&tm);
}

/* Round trip on every odd shape of every weight-carrying layer kind. */
static void test_param_round_trip_odd_shapes(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(9);
    int models = 0;
    for (int i = 0; i < GB_NDIMS; i++)
        for (int o = 0; o < GB_NDIMS; o++)
            for (int kind = 0; kind < 3; kind++) {
                gb_tlayer_t l = kind == 0   ? gb_tl_dense(gb_dims[o], gb_act_make(GB_ACT_RELU))
                                : kind == 1 ? gb_tl_conv(gb_dims[o], 1 + (i + o) % 4,
                                                         1 + o % 3, gb_act_make(GB_ACT_LINEAR))
                                            : gb_tl_gru(gb_dims[o]);
                gb_tmodel_t tm;
                gb_build_or_fail(&tm, gb_dims[i], 1, &l, 1, &rng);
                for (int p = 0; p < tm.l[0].np; p++) {
                    size_t n = tm.l[0].n[p];
                    float *got = malloc((n + 1) * sizeof *got);
                    assert_non_null(got);
                    got[n] = 42.0f;
                    assert_int_equal(gb_nn_get_param(tm.nn, 0, tm.l[0].name[p], got, n, NULL),
                                     0);
                    assert_memory_equal(got, tm.l[0].p[p], n * sizeof *got);
                    assert_true(got[n] == 42.0f); /* wrote exactly count floats */
                    free(got);
                }
                gb_tmodel_free(&tm);
                models++;
            }
    assert_int_equal(models, GB_NDIMS * GB_NDIMS * 3);
}

static void test_set_param_rejects_wrong_count_and_unknown_name(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(10);
    const gb_tlayer_t layers[] = {gb_tl_dense(3, gb_act_make(GB_ACT_LINEAR)), gb_tl_gru(3),
                                  gb_tl_act(gb_act_make(GB_ACT_RELU))};
    gb_tmodel_t tm;
    gb_build_or_fail(&tm, 5, 1, layers, 3, &rng);
    float buf[64] = {0};
    gb_error_t err = {0};
    /* dense weight is 3 × 5 = 15 floats */
    const size_t counts[] = {0, 14, 16, 45};
    for (int i = 0; i < 4; i++) {
        gb_error_clear(&err);
        assert_true(gb_nn_set_param(tm.nn, 0, "weight", buf, counts[i], &err) < 0);
        assert_true(strlen(err.msg) > 0);
        assert_true(gb_nn_get_param(tm.nn, 0, "weight", buf, counts[i], NULL) < 0);
    }
    printf("  wrong count: %s\n", err.msg);
    const char *names[] = {"wieght", "", "weight_ih", "bias_hh"};
    for (int i = 0; i < 4; i++) {
        gb_error_clear(&err);
        assert_true(gb_nn_set_param(tm.nn, 0, names[i], buf, 15, &err) < 0);
        assert_true(strlen(err.msg) > 0);
        assert_true(gb_nn_param_find(tm.nn, 0, names[i]) < 0);
    }
    printf("  unknown name: %s\n", err.msg);
    assert_true(gb_nn_set_param(tm.nn, 1, "weight", buf, 27, NULL) < 0); /* GRU has no "weight" */
    assert_true(gb_nn_set_param(tm.nn, 2, "weight", buf, 0, NULL) < 0);  /* act: no params */
    assert_true(gb_nn_set_param(tm.nn, 3, "weight", buf, 15, NULL) < 0); /* no such layer */
    assert_true(gb_nn_set_param(tm.nn, -1, "weight", buf, 15, NULL) < 0);
    gb_param_info_t pi;
    assert_true(gb_nn_param_info(tm.nn, 0, 2, &pi) < 0);
    assert_true(gb_nn_param_info(tm.nn, 2, 0, &pi) < 0);
    gb_layer_info_t li;
    assert_true(gb_nn_layer_info(tm.nn, 3, &li) < 0);

    /* failed calls left the weights alone */
    float got[15];
    assert_int_equal(gb_nn_get_param(tm.nn, 0, "weight", got, 15, NULL), 0);
    assert_memory_equal(got, tm.l[0].p[0], sizeof got);
    gb_tmodel_free(&tm);

    /* before finalize there is nothing to set */
    gb_nn_t *nn = gb_nn_new(5, 1, NULL);
    assert_non_null(nn);
    assert_int_equal(gb_nn_add_dense(nn, 3, gb_act_make(GB_ACT_LINEAR), NULL), 0);
    assert_true(gb_nn_set_param(nn, 0, "weight", buf, 15, NULL) < 0);
    gb_nn_free(nn);
}

/* Documented limits and life-cycle order are enforced with a message. */
static void test_builder_rejects_bad_sizes(void **state)
{
    (void)state;
    gb_error_t err = {0};
    assert_null(gb_nn_new(0, 1, &err));
    assert_true(err.code < 0 && strlen(err.msg) > 0);
    assert_null(gb_nn_new(GB_NN_MAX_DIM + 1, 1, NULL));
    assert_null(gb_nn_new(4, 0, NULL));
    assert_null(gb_nn_new(4, GB_NN_MAX_BATCH + 1, NULL));
    gb_nn_t *nn = gb_nn_new(4, GB_NN_MAX_BATCH, &err);
    assert_non_null(nn);
    gb_act_t lin = gb_act_make(GB_ACT_LINEAR);
    assert_true(gb_nn_add_dense(nn, 0, lin, NULL) < 0);
    assert_true(gb_nn_add_dense(nn, GB_NN_MAX_DIM + 1, lin, NULL) < 0);
    assert_true(gb_nn_add_conv1d(nn, 4, 0, 1, lin, NULL) < 0);
    assert_true(gb_nn_add_conv1d(nn, 4, 2, 0, lin, NULL) < 0);
    assert_true(gb_nn_add_conv1d(nn, 4, 3, GB_NN_MAX_FIELD, lin, NULL) < 0); /* field too big */
    assert_true(gb_nn_add_gru(nn, 0, NULL) < 0);
    gb_act_t bad = {GB_ACT_COUNT, 0};
    assert_true(gb_nn_add_act(nn, bad, NULL) < 0);
    assert_int_equal(gb_nn_add_dense(nn, 4, lin, NULL), 0);
    assert_int_equal(gb_nn_finalize(nn, &err), 0);
    assert_true(gb_nn_add_dense(nn, 4, lin, &err) < 0); /* after finalize */
    assert_true(strlen(err.msg) > 0);
    gb_nn_free(nn);
    gb_nn_free(NULL);

    /* the largest receptive field is allowed, and works: y[t] = W1·x[t] + W0·x[t - 4095] */
    nn = gb_nn_new(1, 1, NULL);
    assert_non_null(nn);
    assert_int_equal(gb_nn_add_conv1d(nn, 1, 2, GB_NN_MAX_FIELD - 1, lin, &err), 0);
    assert_int_equal(gb_nn_finalize(nn, &err), 0);
    const float w[2] = {2.0f, 1.0f}; /* [out=1][in=1][k=2]: k=0 is the oldest tap */
    assert_int_equal(gb_nn_set_param(nn, 0, "weight", w, 2, NULL), 0);
    for (int t = 0; t < GB_NN_MAX_FIELD + 3; t++) {
        float x = (float)(t + 1), y = -1;
        gb_nn_forward(nn, &x, &y, 1);
        const int old = t - (GB_NN_MAX_FIELD - 1); /* index of the oldest tap's input */
        float want = (float)(t + 1) + (old >= 0 ? 2.0f * (float)(old + 1) : 0.0f);
        if (y != want)
            fail_msg("field %d conv at t=%d: %g, want %g", GB_NN_MAX_FIELD, t, (double)y,
                     (double)want);
    }
    gb_nn_free(nn);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--simd-child") == 0)
        return gb_simd_child(argv[2], argv[3]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_every_family_matches_scalar_and_double),
        cmocka_unit_test(test_conv1d_every_family_matches_scalar_and_double),
        cmocka_unit_test(test_gru_every_family_matches_scalar_and_double),
        cmocka_unit_test(test_random_stacks_every_family_matches_scalar_and_double),
        cmocka_unit_test(test_partial_batch_matches_full_batch),
        cmocka_unit_test(test_forward_clamps_batch),
        cmocka_unit_test(test_forward_touches_only_callers_rows),
        cmocka_unit_test(test_set_simd_accepts_available_rejects_unavailable),
        cmocka_unit_test(test_simd_default_honours_gbac_simd),
        cmocka_unit_test(test_simd_default_caches_first_answer),
        cmocka_unit_test(test_simd_default_rejects_unknown_or_unsupported_naming_variable),
        cmocka_unit_test(test_param_round_trip_every_layer_kind),
        cmocka_unit_test(test_param_round_trip_odd_shapes),
        cmocka_unit_test(test_set_param_rejects_wrong_count_and_unknown_name),
        cmocka_unit_test(test_builder_rejects_bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
