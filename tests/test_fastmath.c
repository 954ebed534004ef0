/* test_fastmath.c — the fast math of gb_fastmath.h stays within its documented maximum errors
 * (GB_FASTMATH_*) against libm in double over dense sweeps of the stated ranges, behaves at
 * the extremes (±1e30, ±inf, denormals, NaN), and the activations every kernel family runs
 * inside the runtime meet the same bounds.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>

#include "gb_fastmath.h"
#include "gb_test_util.h"

#define GB_GRID (1 << 22)   /* evenly spaced points over each range */
#define GB_RANDOM (1 << 20) /* random float bit patterns (all exponents) for "all x" */

typedef enum { GB_ERR_ABS, GB_ERR_REL } gb_err_kind_t;

typedef struct gb_sweep {
    double max_err;
    float at;
    long points;
} gb_sweep_t;

static void gb_sweep_point(gb_sweep_t *s, float (*f)(float), double (*ref)(double),
                           gb_err_kind_t kind, float x)
{
    double r = ref((double)x), y = f(x);
    double e = fabs(y - r);
    if (kind == GB_ERR_REL)
        e /= fabs(r);
    if (isinf(r) && y == r)
        e = 0;
    if (!(e <= s->max_err)) { /* also catches NaN */
        s->max_err = isnan(e) ? INFINITY : e;
        s->at = x;
    }
    s->points++;
}

static void gb_sweep_grid(gb_sweep_t *s, float (*f)(float), double (*ref)(double),
                          gb_err_kind_t kind, double lo, double hi)
{
    for (long i = 0; i < GB_GRID; i++)
        gb_sweep_point(s, f, ref, kind, (float)(lo + (hi - lo) * (double)i / (GB_GRID - 1)));
}

/* ±10^e for e in [lo, hi], log-spaced (covers tiny, denormal and huge magnitudes). */
static void gb_sweep_log(gb_sweep_t *s, float (*f)(float), double (*ref)(double),
                         gb_err_kind_t kind, double lo, double hi, int both_signs)
{
    const long n = 1 << 16;
    for (long i = 0; i < n; i++) {
        float x = (float)pow(10.0, lo + (hi - lo) * (double)i / (n - 1));
        gb_sweep_point(s, f, ref, kind, x);
        if (both_signs)
            gb_sweep_point(s, f, ref, kind, -x);
    }
}

/* Random bit patterns: every finite float magnitude and sign, denormals included. */
static void gb_sweep_bits(gb_sweep_t *s, float (*f)(float), double (*ref)(double),
                          gb_err_kind_t kind, uint64_t seed)
{
    gb_rng_t rng = gb_rng_seed(seed);
    for (long i = 0; i < GB_RANDOM; i++) {
        uint32_t u = (uint32_t)gb_rng_u64(&rng);
        float x;
        memcpy(&x, &u, 4);
        if (isfinite(x))
            gb_sweep_point(s, f, ref, kind, x);
    }
}

static void gb_sweep_specials(gb_sweep_t *s, float (*f)(float), double (*ref)(double),
                              gb_err_kind_t kind)
{
    const float sp[] = {0.0f,     -0.0f,     1e-45f,    -1e-45f,  1e-40f,   -1e-40f,
                        FLT_MIN,  -FLT_MIN,  1e30f,     -1e30f,   FLT_MAX,  -FLT_MAX,
                        INFINITY, -INFINITY, 87.3f,     -87.3f,   88.3f,    -88.3f};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++)
        gb_sweep_point(s, f, ref, kind, sp[i]);
}

static void gb_sweep_report(const char *name, const gb_sweep_t *s, double bound)
{
    printf("  %-18s max %s error %.3e at x = %.9g over %ld points (bound %.1e)\n", name,
           bound == GB_FASTMATH_EXP_MAX_RELERR ? "rel" : "abs", s->max_err, (double)s->at,
           s->points, bound);
    if (!(s->max_err <= bound))
        fail_msg("%s: max error %.3e at x = %.9g exceeds the documented %.1e", name, s->max_err,
                 (double)s->at, bound);
}

static double gb_ref_log1p_d(double u) { return log1p(u); }

/* ------------------------------------------------------------------ scalar fast math */

static void gb_check_exp(const char *name)
{
    gb_sweep_t s = {0};
    gb_sweep_grid(&s, gb_fast_exp, exp, GB_ERR_REL, -87.0, 88.0);
    gb_sweep_log(&s, gb_fast_exp, exp, GB_ERR_REL, -45, log10(87.0), 1);
    gb_sweep_point(&s, gb_fast_exp, exp, GB_ERR_REL, -87.0f);
    gb_sweep_point(&s, gb_fast_exp, exp, GB_ERR_REL, 88.0f);
    gb_sweep_report(name, &s, GB_FASTMATH_EXP_MAX_RELERR);
}

static void gb_check_tanh(const char *name)
{
    gb_sweep_t s = {0};
    gb_sweep_grid(&s, gb_fast_tanh, tanh, GB_ERR_ABS, -10.0, 10.0);
    gb_sweep_log(&s, gb_fast_tanh, tanh, GB_ERR_ABS, -45, 38, 1);
    gb_sweep_bits(&s, gb_fast_tanh, tanh, GB_ERR_ABS, 11);
    gb_sweep_specials(&s, gb_fast_tanh, tanh, GB_ERR_ABS);
    gb_sweep_report(name, &s, GB_FASTMATH_TANH_MAX_ERR);
}

static void gb_check_sigmoid(const char *name)
{
    gb_sweep_t s = {0};
    gb_sweep_grid(&s, gb_fast_sigmoid, gb_ref_sigmoid, GB_ERR_ABS, -100.0, 100.0);
    gb_sweep_log(&s, gb_fast_sigmoid, gb_ref_sigmoid, GB_ERR_ABS, -45, 38, 1);
    gb_sweep_bits(&s, gb_fast_sigmoid, gb_ref_sigmoid, GB_ERR_ABS, 12);
    gb_sweep_specials(&s, gb_fast_sigmoid, gb_ref_sigmoid, GB_ERR_ABS);
    gb_sweep_report(name, &s, GB_FASTMATH_SIGMOID_MAX_ERR);
}

static void gb_check_log1p(const char *name)
{
    gb_sweep_t s = {0};
    gb_sweep_grid(&s, gb_fast_log1p, gb_ref_log1p_d, GB_ERR_ABS, 0.0, 1.0);
    gb_sweep_log(&s, gb_fast_log1p, gb_ref_log1p_d, GB_ERR_ABS, -45, 0, 0);
    gb_sweep_point(&s, gb_fast_log1p, gb_ref_log1p_d, GB_ERR_ABS, 1.0f);
    gb_sweep_point(&s, gb_fast_log1p, gb_ref_log1p_d, GB_ERR_ABS, FLT_TRUE_MIN);
    gb_sweep_report(name, &s, GB_FASTMATH_LOG1P_MAX_ERR);
}

static void gb_check_softplus(const char *name)
{
    gb_sweep_t s = {0};
    gb_sweep_grid(&s, gb_fast_softplus, gb_ref_softplus, GB_ERR_ABS, -100.0, 100.0);
    gb_sweep_log(&s, gb_fast_softplus, gb_ref_softplus, GB_ERR_ABS, -45, 38, 1);
    gb_sweep_bits(&s, gb_fast_softplus, gb_ref_softplus, GB_ERR_ABS, 13);
    gb_sweep_specials(&s, gb_fast_softplus, gb_ref_softplus, GB_ERR_ABS);
    gb_sweep_report(name, &s, GB_FASTMATH_SOFTPLUS_MAX_ERR);
}

static void test_fast_exp_within_documented_relerr(void **state)
{
    (void)state;
    gb_check_exp("gb_fast_exp");
}

static void test_fast_tanh_within_documented_err(void **state)
{
    (void)state;
    gb_check_tanh("gb_fast_tanh");
}

static void test_fast_sigmoid_within_documented_err(void **state)
{
    (void)state;
    gb_check_sigmoid("gb_fast_sigmoid");
}

static void test_fast_log1p_within_documented_err(void **state)
{
    (void)state;
    gb_check_log1p("gb_fast_log1p");
}

static void test_fast_softplus_within_documented_err(void **state)
{
    (void)state;
    gb_check_softplus("gb_fast_softplus");
}

/* Outside the accurate range the functions clamp: results stay finite and ordered. */
static void test_fast_math_extremes_are_clamped_not_wild(void **state)
{
    (void)state;
    const float big[] = {1e30f, FLT_MAX, INFINITY, 88.3f, 100.0f};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        float e = gb_fast_exp(big[i]), en = gb_fast_exp(-big[i]);
        assert_true(isfinite(e) && e > 1e38f && e < FLT_MAX);
        assert_true(en > 0.0f && en < 1.3e-38f);
        assert_true(fabs(gb_fast_tanh(big[i]) - 1.0) <= GB_FASTMATH_TANH_MAX_ERR);
        assert_true(fabs(gb_fast_tanh(-big[i]) + 1.0) <= GB_FASTMATH_TANH_MAX_ERR);
        assert_true(fabs(gb_fast_sigmoid(big[i]) - 1.0) <= GB_FASTMATH_SIGMOID_MAX_ERR);
        assert_true(gb_fast_sigmoid(-big[i]) >= 0.0f &&
                    gb_fast_sigmoid(-big[i]) <= GB_FASTMATH_SIGMOID_MAX_ERR);
        assert_true(gb_fast_softplus(big[i]) == big[i]); /* x + log1p(tiny) rounds to x */
        assert_true(gb_fast_softplus(-big[i]) >= 0.0f &&
                    gb_fast_softplus(-big[i]) <= GB_FASTMATH_SOFTPLUS_MAX_ERR);
    }
    const float tiny[] = {1e-45f, -1e-45f, 1e-40f, -1e-40f, FLT_MIN, 0.0f, -0.0f};
    for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++) {
        assert_true(fabs(gb_fast_exp(tiny[i]) - 1.0) <= GB_FASTMATH_EXP_MAX_RELERR);
        assert_true(fabs(gb_fast_tanh(tiny[i])) <= 1e-37);
        assert_true(fabs(gb_fast_sigmoid(tiny[i]) - 0.5) <= GB_FASTMATH_SIGMOID_MAX_ERR);
        assert_true(fabs(gb_fast_softplus(tiny[i]) - 0.69314718055994531) <=
                    GB_FASTMATH_SOFTPLUS_MAX_ERR);
    }
    /* NaN: NaN or a clamped value out, never a crash or an infinity */
    float fns[4] = {gb_fast_exp(NAN), gb_fast_tanh(NAN), gb_fast_sigmoid(NAN),
                    gb_fast_softplus(NAN)};
    printf("  NaN in → exp %g, tanh %g, sigmoid %g, softplus %g\n", (double)fns[0],
           (double)fns[1], (double)fns[2], (double)fns[3]);
    for (int i = 0; i < 4; i++)
        assert_true(isnan(fns[i]) || isfinite(fns[i]));
}

/* The audio thread runs with FTZ/DAZ (gb_denormals_off): the bounds still hold there. */
static void test_fast_math_bounds_hold_with_denormals_off(void **state)
{
    (void)state;
    gb_denormals_off();
    volatile float d = 1e-40f;
    assert_true(d * 1.0f == 0.0f); /* DAZ is on for this thread */
    gb_check_exp("gb_fast_exp ftz");
    gb_check_tanh("gb_fast_tanh ftz");
    gb_check_sigmoid("gb_fast_sigmoid ftz");
    gb_check_log1p("gb_fast_log1p ftz");
    gb_check_softplus("gb_fast_softplus ftz");
}

/* ------------------------------------------------------------------ through the runtime */

/* Activation-layer model: ROWS frames of DIM features, so one forward evaluates a whole sweep
 * with the kernels of the selected family. */
enum { GB_ACT_DIM = 1024, GB_ACT_ROWS = 256 };

static gb_nn_t *gb_act_model(int dim, int rows, gb_act_t act)
{
    gb_error_t err = {0};
    gb_nn_t *nn = gb_nn_new(dim, rows, &err);
    if (!nn || gb_nn_add_act(nn, act, &err) != 0 || gb_nn_finalize(nn, &err) != 0)
        fail_msg("activation model %s: %s", gb_act_name(act.kind), err.msg);
    return nn;
}

/* Sweep inputs: an even grid over [-20, 20] (where the activations bend), then the grid
 * scaled to ±100, log-spaced magnitudes and extremes. */
static void gb_act_inputs(float *x, size_t n)
{
    const size_t g = n / 2;
    for (size_t i = 0; i < g; i++)
        x[i] = (float)(-20.0 + 40.0 * (double)i / (double)(g - 1));
    for (size_t i = g; i < n - 64; i++) {
        double t = (double)(i - g) / (double)(n - 64 - g);
        x[i] = (i & 1) ? (float)(-100.0 + 200.0 * t)
                       : (float)((i & 2 ? -1 : 1) * pow(10, -40 + 70 * t));
    }
    const float sp[] = {1e30f, -1e30f, 1e-40f, -1e-40f, 0.0f, -0.0f, 88.0f, -88.0f, 87.5f, -87.5f};
    for (size_t i = n - 64, k = 0; i < n; i++, k++)
        x[i] = sp[k % (sizeof sp / sizeof sp[0])];
}

static void test_runtime_activations_within_documented_err_every_family(void **state)
{
    (void)state;
    const size_t n = (size_t)GB_ACT_DIM * GB_ACT_ROWS;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    double *r = malloc(n * sizeof *r);
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(r);
    gb_act_inputs(x, n);
    const gb_act_t acts[] = {
        gb_act_make(GB_ACT_LINEAR),     gb_act_make(GB_ACT_RELU),
        gb_act_make(GB_ACT_LEAKY_RELU), gb_act_alpha(GB_ACT_LEAKY_RELU, 0.3f),
        gb_act_make(GB_ACT_TANH),       gb_act_make(GB_ACT_SIGMOID),
        gb_act_make(GB_ACT_SOFTPLUS),   gb_act_make(GB_ACT_ELU),
        gb_act_alpha(GB_ACT_ELU, 0.5f)};
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
        const gb_act_t act = acts[a];
        /* stated bound for each activation: exact ops get one float rounding */
        double abs_tol = 0, rel_tol = FLT_EPSILON / 2;
        switch (act.kind) {
        case GB_ACT_TANH: abs_tol = GB_FASTMATH_TANH_MAX_ERR; break;
        case GB_ACT_SIGMOID: abs_tol = GB_FASTMATH_SIGMOID_MAX_ERR; break;
        case GB_ACT_SOFTPLUS: abs_tol = GB_FASTMATH_SOFTPLUS_MAX_ERR; break;
        case GB_ACT_ELU: abs_tol = act.alpha * (GB_FASTMATH_EXP_MAX_RELERR + FLT_EPSILON); break;
        default: break;
        }
        for (size_t i = 0; i < n; i++)
            r[i] = x[i];
        gb_ref_act(act, r, (int)n);
        gb_nn_t *nn = gb_act_model(GB_ACT_DIM, GB_ACT_ROWS, act);
        for (int f = 0; f < nf; f++) {
            assert_int_equal(gb_nn_set_simd(nn, fam[f], NULL), 0);
            gb_nn_forward(nn, x, y, GB_ACT_ROWS);
            double worst = 0, worst_ratio = 0;
            size_t at = 0;
            for (size_t i = 0; i < n; i++) {
                double e = fabs(y[i] - r[i]);
                if (isinf(r[i]) && y[i] == r[i])
                    e = 0;
                double tol = abs_tol + rel_tol * fabs(r[i]) + 1e-37; /* + FTZ of denormals */
                if (!(e <= tol))
                    fail_msg("%s(alpha %g) [%s]: x = %.9g → %.9g, double %.9g (err %.3g > %.3g)",
                             gb_act_name(act.kind), act.alpha, gb_simd_name(fam[f]),
                             (double)x[i], (double)y[i], r[i], e, tol);
                if (e / tol > worst_ratio)
                    worst_ratio = e / tol;
                if (fabs(r[i]) <= 100 && e > worst) { /* absolute error where it means one */
                    worst = e;
                    at = i;
                }
            }
            printf("  %-10s alpha %-4g [%-6s] max abs error %.3e at x = %-10.6g (|y| <= 100), "
                   "worst err/tol %.3f\n",
                   gb_act_name(act.kind), act.alpha, gb_simd_name(fam[f]), worst, (double)x[at],
                   worst_ratio);
        }
        gb_nn_free(nn);
    }
    free(x);
    free(y);
    free(r);
}

/* Softmax: every row sums to 1 within GB_SOFTMAX_SUM_TOL and matches the double softmax within
 * GB_SOFTMAX_ABS_TOL (absolute) and GB_SOFTMAX_REL_TOL (relative, for entries whose logit is
 * within 80 of the row's maximum, i.e. not clamped away); rows are independent and shifting a
 * row by ±1000 does not change it (the runtime must subtract the row maximum). */
#define GB_SOFTMAX_SUM_TOL 1e-6
#define GB_SOFTMAX_ABS_TOL 1e-6
#define GB_SOFTMAX_REL_TOL 1e-5

static void test_runtime_softmax_rows_sum_to_one_and_match_double(void **state)
{
    (void)state;
    static const int dims[] = {1, 3, 17, 63, 65, 130};
    enum { ROWS = 13 };
    gb_simd_t fam[GB_SIMD_COUNT];
    const int nf = gb_test_families(fam);
    gb_rng_t rng = gb_rng_seed(21);
    double worst_sum = 0, worst_abs = 0, worst_rel = 0;
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
        const int n = dims[d];
        float x[ROWS * 130], y[ROWS * 130];
        double r[130];
        for (int row = 0; row < ROWS; row++) {
            /* rows: plain, spread ±30, offset +1000, offset −1000, ±1e30 mixed in */
            double scale = row % 2 ? 5.0 : 30.0;
            double offset = row % 5 == 2 ? 1000.0 : row % 5 == 3 ? -1000.0 : 0.0;
            for (int i = 0; i < n; i++)
                x[row * n + i] = (float)(offset + scale * gb_rng_normal(&rng));
            if (row % 5 == 4)
                x[row * n + (row % n)] = row % 2 ? 1e30f : -1e30f;
        }
        gb_nn_t *nn = gb_act_model(n, ROWS, gb_act_make(GB_ACT_SOFTMAX));
        for (int f = 0; f < nf; f++) {
            assert_int_equal(gb_nn_set_simd(nn, fam[f], NULL), 0);
            gb_nn_forward(nn, x, y, ROWS);
            for (int row = 0; row < ROWS; row++) {
                double sum = 0, m = -INFINITY;
                for (int i = 0; i < n; i++) {
                    r[i] = x[row * n + i];
                    m = r[i] > m ? r[i] : m;
                    sum += y[row * n + i];
                }
                const double se = fabs(sum - 1.0);
                if (!(se <= GB_SOFTMAX_SUM_TOL))
                    fail_msg("softmax n=%d row %d [%s]: sum %.9g", n, row, gb_simd_name(fam[f]),
                             sum);
                worst_sum = se > worst_sum ? se : worst_sum;
                double logit[130];
                memcpy(logit, r, (size_t)n * sizeof *r);
                gb_ref_act(gb_act_make(GB_ACT_SOFTMAX), r, n);
                for (int i = 0; i < n; i++) {
                    double p = y[row * n + i], e = fabs(p - r[i]);
                    if (!(e <= GB_SOFTMAX_ABS_TOL))
                        fail_msg("softmax n=%d row %d [%s] i=%d: %.9g vs double %.9g", n, row,
                                 gb_simd_name(fam[f]), i, p, r[i]);
                    worst_abs = e > worst_abs ? e : worst_abs;
                    if (logit[i] - m > -80.0) {
                        double re = e / r[i];
                        if (!(re <= GB_SOFTMAX_REL_TOL))
                            fail_msg("softmax n=%d row %d [%s] i=%d: %.9g vs double %.9g "
                                     "(rel err %.3g)",
                                     n, row, gb_simd_name(fam[f]), i, p, r[i], re);
                        worst_rel = re > worst_rel ? re : worst_rel;
                    }
                }
            }
        }
        gb_nn_free(nn);
    }
    printf("  softmax: max |sum-1| %.3e, max abs err %.3e, max rel err %.3e\n", worst_sum,
           worst_abs, worst_rel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_exp_within_documented_relerr),
        cmocka_unit_test(test_fast_tanh_within_documented_err),
        cmocka_unit_test(test_fast_sigmoid_within_documented_err),
        cmocka_unit_test(test_fast_log1p_within_documented_err),
        cmocka_unit_test(test_fast_softplus_within_documented_err),
        cmocka_unit_test(test_fast_math_extremes_are_clamped_not_wild),
        cmocka_unit_test(test_runtime_activations_within_documented_err_every_family),
        cmocka_unit_test(test_runtime_softmax_rows_sum_to_one_and_match_double),
        /* last: leaves FTZ/DAZ on for the thread */
        cmocka_unit_test(test_fast_math_bounds_hold_with_denormals_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
