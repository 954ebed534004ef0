/* test_nn_bf16.c — bf16 weights: the rounding (nearest, ties to even, NaN kept), every kernel
 * family computes exactly the documented arithmetic (bf16(W)·bf16(x), exact products, f32
 * sums) for Dense, Conv1D and GRU on odd shapes and batches, the error against the f32 model
 * stays within GB_NN_BF16_REL_BOUND (and is not zero: the weights really are bf16); and the
 * kernel paths: GBAC_NN_KERNEL, v1 against v2.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, setenv */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gb_fastmath.h"
#include "gb_test_util.h"

/* As in test_nn_kernels.c: family vs scalar and any family vs the double reference of the
 * same arithmetic differ only by f32 summation, so the f32 tolerances apply. */
#define GB_TOL_FAMILY 3e-7
#define GB_TOL_DOT 5e-7

static const int gb_dims[] = {1, 2, 3, 10, 17, 48, 63, 64, 65, 97, 130};
static const int gb_batches[] = {1, 2, 3, 5, 8, 13, 16};
#define GB_NDIMS (int)(sizeof gb_dims / sizeof gb_dims[0])
#define GB_NBATCHES (int)(sizeof gb_batches / sizeof gb_batches[0])

static uint32_t gb_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float gb_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

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

static void gb_build_or_fail(gb_tmodel_t *tm, int in, int max_batch, const gb_tlayer_t *l, int n,
                             gb_rng_t *rng, gb_nn_wtype_t wt)
{
    if (gb_tmodel_build_wt(tm, in, max_batch, l, n, rng, 1.0, 0.5, wt) != 0)
        fail_msg("building a model with in=%d, max_batch=%d failed (see stderr)", in, max_batch);
}

/* ------------------------------------------------------------------ rounding */

static void test_rounding_is_nearest_even_and_keeps_nan_and_inf(void **state)
{
    (void)state;
    static const struct {
        uint32_t in;
        uint16_t out;
    } cases[] = {
        {0x3f800000u, 0x3f80}, /* 1.0 exact */
        {0x3f808000u, 0x3f80}, /* tie, even below: stays */
        {0x3f818000u, 0x3f82}, /* tie, odd below: up to even */
        {0x3f808001u, 0x3f81}, /* just above the tie: up */
        {0x3f807fffu, 0x3f80}, /* just below: down */
        {0xbf818000u, 0xbf82}, /* negative ties mirror */
        {0x7f7fffffu, 0x7f80}, /* FLT_MAX rounds to +inf */
        {0xff7fffffu, 0xff80},
        {0x7f800000u, 0x7f80}, /* ±inf stay */
        {0xff800000u, 0xff80},
        {0x7f800001u, 0x7fc0}, /* a NaN whose payload is all in the low half stays NaN */
        {0x7fc00000u, 0x7fc0},
        {0xffffffffu, 0xffff},
        {0x00000000u, 0x0000},
        {0x80000000u, 0x8000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t got = gb_bf16_from_f32(gb_from_bits(cases[i].in));
        if (got != cases[i].out)
            fail_msg("bf16(0x%08x) = 0x%04x, expected 0x%04x", cases[i].in, got, cases[i].out);
    }
    /* Widening is exact and rounding a bf16 value is the identity. */
    for (uint32_t h = 0; h < 0x10000u; h++) {
        float f = gb_bf16_to_f32((uint16_t)h);
        assert_int_equal(gb_bits(f), h << 16);
        if (!isnan(f))
            assert_int_equal(gb_bf16_from_f32(f), h);
    }
    /* Relative error of normal values at most 2^-8, and the result is one of the two
     * neighbours. */
    gb_rng_t rng = gb_rng_seed(99);
    double worst = 0;
    for (int i = 0; i < 1000000; i++) {
        uint32_t u = (uint32_t)gb_rng_u64(&rng);
        float f = gb_from_bits(u);
        if (!isnormal(f) || !isfinite(gb_bf16_round(f)))
            continue;
        double r = gb_bf16_round(f), e = fabs(r - f) / fabs((double)f);
        worst = e > worst ? e : worst;
        uint32_t lo = u & 0xffff0000u, hi = lo + 0x10000u;
        assert_true(gb_bits((float)r) == lo || gb_bits((float)r) == hi);
    }
    printf("  worst relative rounding error over 1e6 random normals: %.3g (bound %.3g)\n",
           worst, GB_BF16_REL_ERR);
    assert_true(worst <= GB_BF16_REL_ERR);
    assert_true(worst > 0.99 * GB_BF16_REL_ERR); /* the bound is tight, not loose */
}

/* An identity layer (W = I, exact in bf16; b = 0) outputs each input rounded to bf16: every
 * family, native conversion included, must round exactly as gb_bf16_round, ties too. */
static void test_every_family_rounds_inputs_to_nearest_even(void **state)
{
    (void)state;
    enum { N = 37, B = 5 };
    gb_rng_t rng = gb_rng_seed(5);
    gb_tlayer_t l = gb_tl_dense(N, gb_act_make(GB_ACT_LINEAR));
    gb_tmodel_t tm;
    gb_build_or_fail(&tm, N, B, &l, 1, &rng, GB_NN_WTYPE_BF16);
    float *W = calloc(N * N, sizeof *W), b[N] = {0};
    for (int i = 0; i < N; i++)
        W[i * N + i] = 1.0f;
    assert_int_equal(gb_nn_set_param(tm.nn, 0, "weight", W, N * N, NULL), 0);
    assert_int_equal(gb_nn_set_param(tm.nn, 0, "bias", b, N, NULL), 0);
    float x[B * N], y[B * N];
    for (int k = 0; k < B * N; k++) { /* exact ties half the time, else random; never 0 */
        uint32_t u = ((uint32_t)gb_rng_u64(&rng) & 0x3fff0000u) | 0x3f000000u;
        u |= gb_rng_int(&rng, 2) ? 0x8000u : (uint32_t)gb_rng_u64(&rng) & 0xffffu;
        x[k] = (gb_rng_int(&rng, 2) ? -1.0f : 1.0f) * gb_from_bits(u);
    }
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    for (int f = 0; f < nf; f++)
        for (int batch = 1; batch <= B; batch += B - 1) {
            assert_int_equal(gb_nn_set_simd(tm.nn, fam[f], NULL), 0);
            gb_nn_forward(tm.nn, x, y, batch);
            for (int k = 0; k < batch * N; k++)
                if (gb_bits(y[k]) != gb_bits(gb_bf16_round(x[k])))
                    fail_msg("[%s] batch %d: input 0x%08x gave 0x%08x, expected 0x%08x",
                             gb_simd_name(fam[f]), batch, gb_bits(x[k]), gb_bits(y[k]),
                             gb_bits(gb_bf16_round(x[k])));
        }
    free(W);
    gb_tmodel_free(&tm);
}

/* ------------------------------------------------------------------ the arithmetic */

/* T steps of `batch` random frames through a single-layer bf16 model (its inputs exact test
 * data, so the reference rounds the same values): every family against the double
 * reference of the bf16 arithmetic and against scalar. Returns the worst err/tol seen. */
static double gb_check_bf16(gb_tmodel_t *tm, int batch, int T, gb_rng_t *rng, const char *what)
{
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    const int in = tm->in_dim, out = tm->out_dim;
    const double fan = gb_tmodel_max_fan(tm), act_err = gb_act_err(tm->l[0].act);
    const size_t nin = (size_t)T * batch * in, nout = (size_t)T * batch * out;
    float *x = malloc(nin * sizeof *x), *y = malloc((size_t)nf * nout * sizeof *y);
    double *xs = malloc((size_t)T * in * sizeof *xs), *ys = malloc((size_t)T * out * sizeof *ys);
    double *ref = malloc(nout * sizeof *ref), worst = 0;
    assert_true(x && y && xs && ys && ref);
    gb_fill_normal(rng, x, nin, 1.0);
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
        float *yf = y + (size_t)f * nout;
        assert_int_equal(gb_nn_set_simd(tm->nn, fam[f], NULL), 0);
        gb_nn_reset(tm->nn);
        for (int t = 0; t < T; t++)
            gb_nn_forward(tm->nn, x + (size_t)t * batch * in, yf + (size_t)t * batch * out,
                          batch);
        for (size_t k = 0; k < nout; k++) {
            double a = yf[k], r = ref[k], s = y[k]; /* family 0 is scalar */
            double tol_d = act_err + GB_TOL_DOT * (1 + fabs(r)) * sqrt(fan);
            double tol_f = GB_TOL_FAMILY * (1 + fabs(r)) * sqrt(fan);
            if (!(fabs(a - r) <= tol_d))
                fail_msg("%s [%s] value %zu: %.9g vs bf16 reference %.9g (tol %.3g)", what,
                         gb_simd_name(fam[f]), k, a, r, tol_d);
            if (!(fabs(a - s) <= tol_f))
                fail_msg("%s [%s] value %zu: %.9g vs scalar %.9g (tol %.3g)", what,
                         gb_simd_name(fam[f]), k, a, s, tol_f);
            worst = fmax(worst, fabs(a - r) / tol_d);
        }
    }
    free(x);
    free(y);
    free(xs);
    free(ys);
    free(ref);
    return worst;
}

static void test_dense_every_family_computes_the_bf16_arithmetic(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(1);
    char what[128];
    double worst = 0;
    static const gb_act_kind_t acts[] = {GB_ACT_LINEAR, GB_ACT_RELU, GB_ACT_TANH,
                                         GB_ACT_SIGMOID, GB_ACT_ELU, GB_ACT_SOFTMAX};
    for (int i = 0; i < GB_NDIMS; i++)
        for (int o = 0; o < GB_NDIMS; o++) {
            const int a = (i + 2 * o) % 6, batch = gb_batches[(i + o) % GB_NBATCHES];
            gb_tlayer_t l = gb_tl_dense(gb_dims[o], gb_act_make(acts[a]));
            gb_tmodel_t tm;
            gb_build_or_fail(&tm, gb_dims[i], batch, &l, 1, &rng, GB_NN_WTYPE_BF16);
            snprintf(what, sizeof what, "bf16 dense %d→%d %s batch %d", gb_dims[i], gb_dims[o],
                     gb_act_name(acts[a]), batch);
            worst = fmax(worst, gb_check_bf16(&tm, batch, 2, &rng, what));
            gb_tmodel_free(&tm);
        }
    printf("  dense: worst err/tol against the bf16 reference %.3f\n", worst);
}

static void test_conv1d_every_family_computes_the_bf16_arithmetic(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(2);
    char what[128];
    double worst = 0;
    for (int k = 1; k <= 4; k++)
        for (int d = 1; d <= 3; d++)
            for (int i = 0; i < GB_NDIMS; i += 2) {
                const int out = gb_dims[(i + k + d) % GB_NDIMS];
                const int batch = gb_batches[(i + k * 3 + d) % GB_NBATCHES];
                gb_tlayer_t l = gb_tl_conv(out, k, d, gb_act_make(GB_ACT_TANH));
                gb_tmodel_t tm;
                gb_build_or_fail(&tm, gb_dims[i], batch, &l, 1, &rng, GB_NN_WTYPE_BF16);
                snprintf(what, sizeof what, "bf16 conv1d %d→%d k=%d d=%d batch %d", gb_dims[i],
                         out, k, d, batch);
                worst = fmax(worst, gb_check_bf16(&tm, batch, (k - 1) * d + 3, &rng, what));
                gb_tmodel_free(&tm);
            }
    printf("  conv1d: worst err/tol against the bf16 reference %.3f\n", worst);
}

/* The GRU feeds its own (f32) state back: a state value next to a bf16 rounding boundary
 * may round either way in two computations that differ in the last bit, so each step is
 * checked against the reference step from the family's own previous state. */
static void test_gru_every_family_computes_the_bf16_arithmetic(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(3);
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    double worst = 0;
    for (int i = 0; i < GB_NDIMS; i += 2)
        for (int hh = 1; hh < GB_NDIMS; hh += 2) {
            const int in = gb_dims[i], H = gb_dims[hh], batch = gb_batches[(i + hh) % GB_NBATCHES];
            gb_tlayer_t l = gb_tl_gru(H);
            gb_tmodel_t tm;
            gb_build_or_fail(&tm, in, batch, &l, 1, &rng, GB_NN_WTYPE_BF16);
            float *x = malloc(sizeof(float) * (size_t)batch * in);
            float *h = calloc((size_t)batch * H, sizeof *h), *hn = malloc(sizeof *hn * batch * H);
            double *ys = malloc(sizeof *ys * H);
            const double tol0 = GB_FASTMATH_TANH_MAX_ERR + 2 * GB_FASTMATH_SIGMOID_MAX_ERR;
            for (int f = 0; f < nf; f++) {
                assert_int_equal(gb_nn_set_simd(tm.nn, fam[f], NULL), 0);
                gb_nn_reset(tm.nn);
                memset(h, 0, sizeof(float) * (size_t)batch * H);
                for (int t = 0; t < 4; t++) {
                    gb_fill_normal(&rng, x, (size_t)batch * in, 1.0);
                    gb_nn_forward(tm.nn, x, hn, batch);
                    for (int b = 0; b < batch; b++) {
                        /* the reference step from the family's own previous state */
                        const gb_tlayer_t *L = &tm.l[0];
                        const float *Wi = gb_tl_param(L, "weight_ih"), *Wh = gb_tl_param(L, "weight_hh");
                        const float *bi = gb_tl_param(L, "bias_ih"), *bh = gb_tl_param(L, "bias_hh");
                        for (int j = 0; j < H; j++) {
                            double g[6] = {bi[j], bi[H + j], bi[2 * H + j], bh[j], bh[H + j], bh[2 * H + j]};
                            for (int s = 0; s < 3; s++) {
                                for (int q = 0; q < in; q++)
                                    g[s] += gb_ref_q(Wi[(size_t)(s * H + j) * in + q], 1) *
                                            gb_ref_q(x[b * in + q], 1);
                                for (int q = 0; q < H; q++)
                                    g[3 + s] += gb_ref_q(Wh[(size_t)(s * H + j) * H + q], 1) *
                                                gb_ref_q(h[b * H + q], 1);
                            }
                            double r = gb_ref_sigmoid(g[0] + g[3]), z = gb_ref_sigmoid(g[1] + g[4]);
                            double n = tanh(g[2] + r * g[5]);
                            ys[j] = (1 - z) * n + z * h[b * H + j];
                        }
                        for (int j = 0; j < H; j++) {
                            double a = hn[b * H + j];
                            double tol = tol0 + GB_TOL_DOT * (1 + fabs(ys[j])) * sqrt(in + H);
                            if (!(fabs(a - ys[j]) <= tol))
                                fail_msg("bf16 gru %d→%d batch %d [%s] t=%d slot %d unit %d: "
                                         "%.9g vs %.9g (tol %.3g)", in, H, batch,
                                         gb_simd_name(fam[f]), t, b, j, a, ys[j], tol);
                            worst = fmax(worst, fabs(a - ys[j]) / tol);
                        }
                    }
                    memcpy(h, hn, sizeof(float) * (size_t)batch * H);
                }
            }
            free(x);
            free(h);
            free(hn);
            free(ys);
            gb_tmodel_free(&tm);
        }
    printf("  gru: worst err/tol against the bf16 reference step %.3f\n", worst);
}

/* ------------------------------------------------------------------ the bound */

/* Dense products of the shapes the models use, bf16 model against the exact product with
 * the f32 weights and inputs: within GB_NN_BF16_REL_BOUND · Σ|w·x| (+ the f32 summation
 * tolerance), and not exact (the layer really is bf16). */
static void test_error_against_f32_is_within_the_documented_bound(void **state)
{
    (void)state;
    static const int shapes[][2] = {{16, 128}, {128, 128}, {128, 64}, {10, 128},
                                    {128, 97},  {63, 65},   {8, 192},  {64, 192}};
    gb_rng_t rng = gb_rng_seed(4);
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    double worst = 0, sq = 0;
    long n_sq = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int in = shapes[s][0], out = shapes[s][1], batch = 1 + (int)s % 4;
        gb_tlayer_t l = gb_tl_dense(out, gb_act_make(GB_ACT_LINEAR));
        gb_tmodel_t tm;
        gb_build_or_fail(&tm, in, batch, &l, 1, &rng, GB_NN_WTYPE_BF16);
        const float *W = gb_tl_param(&tm.l[0], "weight"), *b = gb_tl_param(&tm.l[0], "bias");
        float *x = malloc(sizeof(float) * (size_t)batch * in);
        float *y = malloc(sizeof(float) * (size_t)batch * out);
        gb_fill_normal(&rng, x, (size_t)batch * in, 1.0);
        for (int f = 0; f < nf; f++) {
            assert_int_equal(gb_nn_set_simd(tm.nn, fam[f], NULL), 0);
            gb_nn_forward(tm.nn, x, y, batch);
            for (int fr = 0; fr < batch; fr++)
                for (int o = 0; o < out; o++) {
                    double exact = b[o], mag = 0;
                    for (int i = 0; i < in; i++) {
                        const double p = (double)W[(size_t)o * in + i] * x[fr * in + i];
                        exact += p;
                        mag += fabs(p);
                    }
                    const double e = fabs(y[fr * out + o] - exact);
                    const double tol = GB_NN_BF16_REL_BOUND * mag +
                                       GB_TOL_DOT * (1 + fabs(exact)) * sqrt((double)in);
                    if (!(e <= tol))
                        fail_msg("[%s] dense %d→%d frame %d out %d: %.9g vs f32 %.9g: error "
                                 "%.3g > %.3g (bound %.4g × Σ|wx| = %.4g)",
                                 gb_simd_name(fam[f]), in, out, fr, o, (double)y[fr * out + o],
                                 exact, e, tol, GB_NN_BF16_REL_BOUND, mag);
                    worst = fmax(worst, e / mag);
                    sq += (e / mag) * (e / mag);
                    n_sq++;
                }
        }
        free(x);
        free(y);
        gb_tmodel_free(&tm);
    }
    printf("  |y_bf16 − Σ W·x| / Σ|W·x| over %ld outputs: worst %.3g, rms %.3g "
           "(bound %.4g)\n", n_sq, worst, sqrt(sq / (double)n_sq), GB_NN_BF16_REL_BOUND);
    assert_true(worst <= GB_NN_BF16_REL_BOUND);
    assert_true(worst > 1e-4); /* an f32 product would be ~1e-7: the weights are bf16 */
}

/* ------------------------------------------------------------------ buffers, paths */

/* The caller's rows end at an unmapped page: the bf16 kernels (masked or scalar tails when
 * rounding the inputs) read nothing past them. */
static void test_bf16_reads_only_callers_rows(void **state)
{
    (void)state;
    gb_rng_t rng = gb_rng_seed(6);
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    static const int shapes[][3] = {{1, 1, 1}, {3, 17, 2}, {17, 3, 1}, {31, 33, 3}, {65, 1, 8}};
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int in = shapes[s][0], out = shapes[s][1], batch = shapes[s][2];
        const gb_tlayer_t layers[] = {gb_tl_gru(out), gb_tl_dense(out, gb_act_make(GB_ACT_RELU))};
        gb_tmodel_t tm;
        gb_build_or_fail(&tm, in, batch, layers, 2, &rng, GB_NN_WTYPE_BF16);
        const size_t bytes = GB_ROUND_UP((size_t)batch * in * sizeof(float), page);
        char *map = mmap(NULL, bytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                         -1, 0);
        assert_true(map != MAP_FAILED);
        assert_int_equal(mprotect(map + bytes, page, PROT_NONE), 0);
        float *x = (float *)(map + bytes) - (size_t)batch * in;
        float *y = malloc(sizeof(float) * (size_t)batch * out);
        gb_fill_normal(&rng, x, (size_t)batch * in, 1.0);
        for (int f = 0; f < nf; f++) {
            assert_int_equal(gb_nn_set_simd(tm.nn, fam[f], NULL), 0);
            for (int b = 1; b <= batch; b++)
                gb_nn_forward(tm.nn, x + (size_t)(batch - b) * in, y, b);
            for (int k = 0; k < out; k++)
                assert_true(isfinite(y[k]));
        }
        munmap(map, bytes + page);
        free(y);
        gb_tmodel_free(&tm);
    }
}

/* GBAC_NN_KERNEL picks the path at finalize; an unknown value is an error naming it. */
static void test_gbac_nn_kernel_selects_the_path(void **state)
{
    (void)state;
    static const struct {
        const char *env;
        int rc;
        gb_nn_path_t path;
    } cases[] = {{NULL, 0, GB_NN_PATH_V2}, {"", 0, GB_NN_PATH_V2}, {"v1", 0, GB_NN_PATH_V1},
                 {"v2", 0, GB_NN_PATH_V2}, {"v3", GB_EINVAL, GB_NN_PATH_V2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].env)
            setenv("GBAC_NN_KERNEL", cases[i].env, 1);
        else
            unsetenv("GBAC_NN_KERNEL");
        gb_error_t err = {0};
        gb_nn_t *nn = gb_nn_new(4, 1, &err);
        assert_int_equal(gb_nn_add_dense(nn, 3, gb_act_make(GB_ACT_RELU), &err), 0);
        assert_int_equal(gb_nn_finalize(nn, &err), cases[i].rc);
        if (cases[i].rc) {
            assert_non_null(strstr(err.msg, "GBAC_NN_KERNEL=v3"));
            printf("  GBAC_NN_KERNEL=v3: %s\n", err.msg);
        } else {
            assert_int_equal(gb_nn_path(nn), cases[i].path);
        }
        gb_nn_free(nn);
    }
    unsetenv("GBAC_NN_KERNEL");
}

/* The v1 path (kept for benchmarks) computes what v2 computes, for every layer kind,
 * single frames and batches, f32 and bf16. */
static void test_v1_and_v2_paths_agree(void **state)
{
    (void)state;
    gb_tlayer_t layers[GB_TEST_MAX_LAYERS];
    const int n = gb_tl_every_kind(layers);
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    for (int wt = 0; wt < GB_NN_WTYPE_COUNT; wt++) {
        gb_rng_t rng = gb_rng_seed(7);
        gb_tmodel_t tm;
        gb_build_or_fail(&tm, 7, 3, layers, n, &rng, (gb_nn_wtype_t)wt);
        float x[6][3 * 7], y[2][6][3 * 5];
        for (int t = 0; t < 6; t++)
            gb_fill_normal(&rng, x[t], 3 * 7, 1.0);
        for (int f = 0; f < nf; f++)
            for (int batch = 1; batch <= 3; batch += 2) {
                assert_int_equal(gb_nn_set_simd(tm.nn, fam[f], NULL), 0);
                for (int p = 0; p < 2; p++) {
                    assert_int_equal(gb_nn_set_path(tm.nn, (gb_nn_path_t)p, NULL), 0);
                    gb_nn_reset(tm.nn);
                    for (int t = 0; t < 6; t++)
                        gb_nn_forward(tm.nn, x[t], y[p][t], batch);
                }
                for (int t = 0; t < 6; t++)
                    for (int k = 0; k < batch * 5; k++) {
                        /* bf16: the paths round the same f32 values unless one lands on a
                         * rounding boundary; the outputs are a softmax (0..1) */
                        double tol = wt ? 2e-3 : 1e-5;
                        if (!(fabs(y[0][t][k] - y[1][t][k]) <= tol))
                            fail_msg("[%s %s] batch %d t=%d value %d: v2 %.9g, v1 %.9g",
                                     gb_simd_name(fam[f]), gb_nn_wtype_name((gb_nn_wtype_t)wt),
                                     batch, t, k, (double)y[0][t][k], (double)y[1][t][k]);
                    }
            }
        gb_tmodel_free(&tm);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rounding_is_nearest_even_and_keeps_nan_and_inf),
        cmocka_unit_test(test_every_family_rounds_inputs_to_nearest_even),
        cmocka_unit_test(test_dense_every_family_computes_the_bf16_arithmetic),
        cmocka_unit_test(test_conv1d_every_family_computes_the_bf16_arithmetic),
        cmocka_unit_test(test_gru_every_family_computes_the_bf16_arithmetic),
        cmocka_unit_test(test_error_against_f32_is_within_the_documented_bound),
        cmocka_unit_test(test_bf16_reads_only_callers_rows),
        cmocka_unit_test(test_gbac_nn_kernel_selects_the_path),
        cmocka_unit_test(test_v1_and_v2_paths_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
