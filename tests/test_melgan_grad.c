/* test_melgan_grad.c — the melody GAN's training math against central finite differences:
 * the GRU's back-propagation through time (weights, inputs, initial state), the generator's
 * weighted cross-entropy (likelihood and REINFORCE) and KL-to-reference gradients through
 * Dense → GRU → Dense and into the conditioning (the latent's path to the encoder); and the
 * exported runtime model stepping like the training forward.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gb_gru_train.h"
#include "gb_melgan_net.h"
#include "gb_melgen.h"

static uint64_t rs = 777;
static float urand(void) /* [-1, 1) */
{
    rs = rs * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(rs >> 11) / 4503599627370496.0 - 1.0);
}

/* |analytic − numeric| <= 2e-2 · max(|analytic|, |numeric|) + 5e-4, central differences of
 * step 1e-2 in float (the losses are smooth; the relu's kinks are rarely crossed, and a
 * crossing shows as one mismatch, so at most 1 % of the entries may miss). */
#define FD_STEP 1e-2f
#define FD_REL 2e-2
#define FD_ABS 5e-4

typedef struct fd {
    int n, bad;
    double max_rel;
} fd_t;

static void fd_check(double a, double num, fd_t *s, const char *what, int i)
{
    const double m = fmax(fabs(a), fabs(num)), e = fabs(a - num);
    if (m > 1e-3 && e / m > s->max_rel)
        s->max_rel = e / m;
    if (e > FD_REL * m + FD_ABS) {
        if (s->bad < 5)
            print_message("  %s[%d]: analytic %.6g numeric %.6g\n", what, i, a, num);
        s->bad++;
    }
    s->n++;
}

/* ---- GRU -------------------------------------------------------------------------------- */

#define GI 3
#define GH 4
#define GB 2
#define GT 5
static float g_c[GT * GB * GH];

static double gru_loss(gb_gru_train_t *g, const float *x, const float *h0)
{
    const float *h = gb_gru_train_forward(g, x, h0, GB, GT);
    double l = 0.0;
    for (int i = 0; i < GT * GB * GH; i++)
        l += (double)g_c[i] * h[i] + 0.5 * (double)h[i] * h[i];
    return l;
}

static void gru_bptt_matches_finite_differences(void **state)
{
    (void)state;
    gb_error_t err = {0};
    gb_gru_train_t *g = gb_gru_train_new(GI, GH, GB, GT, &err);
    assert_non_null(g);
    gb_gru_train_init(g, 3);
    float *p = gb_gru_train_params(g);
    const size_t np = gb_gru_train_n_params(g);
    assert_int_equal(np, 3 * GH * GI + 3 * GH * GH + 6 * GH);
    for (size_t i = 0; i < np; i++)
        p[i] *= 3.0f; /* larger weights: the gates leave their linear range */
    float x[GT * GB * GI], h0[GB * GH], dh[GT * GB * GH], dx[GT * GB * GI], dh0[GB * GH];
    for (int i = 0; i < GT * GB * GI; i++)
        x[i] = urand();
    for (int i = 0; i < GB * GH; i++)
        h0[i] = 0.5f * urand();
    for (int i = 0; i < GT * GB * GH; i++)
        g_c[i] = urand();
    const float *h = gb_gru_train_forward(g, x, h0, GB, GT);
    for (int i = 0; i < GT * GB * GH; i++)
        dh[i] = g_c[i] + h[i];
    gb_gru_train_zero_grad(g);
    gb_gru_train_backward(g, dh, dx, dh0, GB, GT);
    float *grad = malloc(np * sizeof *grad);
    memcpy(grad, gb_gru_train_grads(g), np * sizeof *grad);
    fd_t s = {0};
    for (size_t i = 0; i < np; i++) {
        const float keep = p[i];
        p[i] = keep + FD_STEP;
        const double lp = gru_loss(g, x, h0);
        p[i] = keep - FD_STEP;
        const double lm = gru_loss(g, x, h0);
        p[i] = keep;
        fd_check(grad[i], (lp - lm) / (2.0 * FD_STEP), &s, "param", (int)i);
    }
    for (int i = 0; i < GT * GB * GI; i++) {
        const float keep = x[i];
        x[i] = keep + FD_STEP;
        const double lp = gru_loss(g, x, h0);
        x[i] = keep - FD_STEP;
        const double lm = gru_loss(g, x, h0);
        x[i] = keep;
        fd_check(dx[i], (lp - lm) / (2.0 * FD_STEP), &s, "x", i);
    }
    for (int i = 0; i < GB * GH; i++) {
        const float keep = h0[i];
        h0[i] = keep + FD_STEP;
        const double lp = gru_loss(g, x, h0);
        h0[i] = keep - FD_STEP;
        const double lm = gru_loss(g, x, h0);
        h0[i] = keep;
        fd_check(dh0[i], (lp - lm) / (2.0 * FD_STEP), &s, "h0", i);
    }
    print_message("GRU BPTT: %d entries, max relative error %.2e\n", s.n, s.max_rel);
    assert_int_equal(s.bad, 0);
    assert_true(s.max_rel < 1e-2);
    free(grad);
    gb_gru_train_free(g);
}

/* ---- the generator ----------------------------------------------------------------------- */

#define NR 3
#define NE 6
#define NH 5
static float n_cond[NR * GB_MELGEN_COND], n_w[NR], n_ref[4 * NR * GB_MDS_VOCAB];
static uint8_t n_tok[NR * GB_MDS_MAX_STEPS], n_refs[NR * GB_MELGEN_REFS * GB_MDS_MAX_STEPS];
static int n_first[NR] = {GB_MDS_REST, 14, GB_MDS_HOLD}, n_steps[NR] = {3, 4, 2};

/* Σ_r w_r · 0.25 · CE_r + 0.5 · KL: the same combination the analytic side adds up. */
static double net_total(gb_mgnet_t *n)
{
    gb_mgnet_forward(n, NR, n_cond, n_refs, n_first, n_tok, n_steps);
    double l = 0.0;
    const float *y = n->logits;
    const int T = n->T;
    for (int t = 0; t < T; t++)
        for (int r = 0; r < NR; r++) {
            if (t >= n_steps[r])
                continue;
            const float *row = y + ((size_t)t * NR + r) * GB_MDS_VOCAB;
            const float *q = n_ref + ((size_t)t * NR + r) * GB_MDS_VOCAB;
            double mx = -1e30, mq = -1e30, s = 0, sq = 0;
            for (int v = 0; v < GB_MDS_VOCAB; v++) {
                mx = fmax(mx, row[v]);
                mq = fmax(mq, q[v]);
            }
            for (int v = 0; v < GB_MDS_VOCAB; v++) {
                s += exp(row[v] - mx);
                sq += exp(q[v] - mq);
            }
            const double lse = mx + log(s), lq = mq + log(sq);
            l += 0.25 * n_w[r] * (lse - row[n_tok[r * GB_MDS_MAX_STEPS + t]]);
            double kl = 0.0;
            for (int v = 0; v < GB_MDS_VOCAB; v++) {
                const double lp = row[v] - lse;
                kl += exp(lp) * (lp - (q[v] - lq));
            }
            l += 0.5 * kl;
        }
    return l;
}

static void generator_gradients_match_finite_differences(void **state)
{
    (void)state;
    gb_error_t err = {0};
    gb_mgnet_t *n = gb_mgnet_new(NE, NH, 0, NR, 4, 11, &err);
    assert_non_null(n);
    for (int b = 0; b < 3; b++) { /* larger weights than the default init */
        float *p = gb_mgnet_block_params(n, b);
        for (size_t i = 0; i < gb_mgnet_block_size(n, b); i++)
            p[i] *= 2.0f;
    }
    for (int i = 0; i < NR * GB_MELGEN_COND; i++)
        n_cond[i] = urand();
    for (int i = 0; i < NR * GB_MDS_MAX_STEPS; i++)
        n_tok[i] = (uint8_t)((int)((urand() + 1.0f) * 25.0f) % GB_MDS_VOCAB);
    for (int i = 0; i < NR * GB_MELGEN_REFS * GB_MDS_MAX_STEPS; i++) /* repeats in places */
        n_refs[i] = i % 3 ? n_tok[(i / (GB_MELGEN_REFS * GB_MDS_MAX_STEPS)) * GB_MDS_MAX_STEPS +
                                  i % GB_MDS_MAX_STEPS]
                          : (uint8_t)(i % GB_MDS_VOCAB);
    for (size_t i = 0; i < sizeof n_ref / sizeof n_ref[0]; i++)
        n_ref[i] = 2.0f * urand();
    n_w[0] = 1.0f, n_w[1] = -0.7f, n_w[2] = 0.4f; /* likelihood and REINFORCE weights */

    gb_mgnet_forward(n, NR, n_cond, n_refs, n_first, n_tok, n_steps);
    assert_int_equal(n->T, 4);
    gb_mgnet_zero_grad(n);
    gb_mgnet_ce(n, n_w, 0.25f, NULL);
    /* the reference logits are laid out like the forward's: T·R rows */
    gb_mgnet_kl(n, n_ref, 0.5f);
    float *dcond = calloc(NR * GB_MELGEN_COND, sizeof *dcond);
    gb_mgnet_backward(n, dcond);
    fd_t s = {0};
    for (int b = 0; b < 3; b++) {
        float *p = gb_mgnet_block_params(n, b), *g = gb_mgnet_block_grads(n, b);
        const size_t np = gb_mgnet_block_size(n, b);
        float *ga = malloc(np * sizeof *ga);
        memcpy(ga, g, np * sizeof *ga);
        /* every weight of the GRU and output layer; a stride through the input layer */
        const size_t stride = b == 0 ? 7 : 1;
        for (size_t i = 0; i < np; i += stride) {
            const float keep = p[i];
            p[i] = keep + FD_STEP;
            const double lp = net_total(n);
            p[i] = keep - FD_STEP;
            const double lm = net_total(n);
            p[i] = keep;
            fd_check(ga[i], (lp - lm) / (2.0 * FD_STEP), &s, b == 0 ? "inl" : b == 1 ? "gru" : "outl",
                     (int)i);
        }
        free(ga);
    }
    for (int i = 0; i < NR * GB_MELGEN_COND; i += 5) {
        const float keep = n_cond[i];
        n_cond[i] = keep + FD_STEP;
        const double lp = net_total(n);
        n_cond[i] = keep - FD_STEP;
        const double lm = net_total(n);
        n_cond[i] = keep;
        fd_check(dcond[i], (lp - lm) / (2.0 * FD_STEP), &s, "cond", i);
    }
    print_message("generator CE + KL: %d entries, max relative error %.2e, %d beyond\n", s.n,
                  s.max_rel, s.bad);
    assert_true(s.bad <= s.n / 100);
    free(dcond);
    gb_mgnet_free(n);
}

/* The exported runtime model, stepped one token at a time as the sampler does, gives the
 * training forward's logits (within the runtime's fast tanh/sigmoid error). */
static void exported_model_steps_like_the_training_forward(void **state)
{
    (void)state;
    gb_error_t err = {0};
    gb_mgnet_t *n = gb_mgnet_new(16, 12, 0, 2, GB_MDS_MAX_STEPS, 5, &err);
    assert_non_null(n);
    gb_nn_t *nn = gb_mgnet_export(n, 4, &err);
    assert_non_null(nn);
    float cond[2 * GB_MELGEN_COND];
    for (int i = 0; i < 2 * GB_MELGEN_COND; i++)
        cond[i] = urand();
    uint8_t tok[2 * GB_MDS_MAX_STEPS], refs[2 * GB_MELGEN_REFS * GB_MDS_MAX_STEPS];
    for (int i = 0; i < 2 * GB_MDS_MAX_STEPS; i++)
        tok[i] = (uint8_t)(i * 7 % GB_MDS_VOCAB);
    for (int i = 0; i < 2 * GB_MELGEN_REFS * GB_MDS_MAX_STEPS; i++)
        refs[i] = (uint8_t)(i % 5 ? i * 7 % GB_MDS_VOCAB : 3);
    const int first[2] = {14, GB_MDS_REST}, steps[2] = {16, 12};
    const float *y = gb_mgnet_forward(n, 2, cond, refs, first, tok, steps);
    float in[2 * GB_MELGEN_STEP_IN], out[2 * GB_MDS_VOCAB];
    double worst = 0.0;
    gb_nn_reset(nn);
    int match[2][GB_MELGEN_REFS] = {{1, 1, 1}, {1, 1, 1}};
    for (int t = 0; t < 16; t++) {
        for (int r = 0; r < 2; r++) {
            const uint8_t *rf = refs + r * GB_MELGEN_REFS * GB_MDS_MAX_STEPS;
            const int prev = t >= steps[r] ? -1 : t == 0 ? first[r] : tok[r * GB_MDS_MAX_STEPS + t - 1];
            if (t > 0)
                for (int i = 0; i < GB_MELGEN_REFS; i++)
                    match[r][i] &= rf[i * GB_MDS_MAX_STEPS + t - 1] == tok[r * GB_MDS_MAX_STEPS + t - 1];
            gb_melgen_step_input(prev, t, rf, match[r], cond + r * GB_MELGEN_COND,
                                 in + r * GB_MELGEN_STEP_IN);
        }
        gb_nn_forward(nn, in, out, 2);
        for (int r = 0; r < 2; r++)
            for (int v = 0; v < GB_MDS_VOCAB && t < steps[r]; v++)
                worst = fmax(worst, fabs(out[r * GB_MDS_VOCAB + v] -
                                         y[((size_t)t * 2 + r) * GB_MDS_VOCAB + v]));
    }
    print_message("runtime vs training logits: max difference %.2e\n", worst);
    assert_true(worst < 2e-3);
    gb_nn_free(nn);
    gb_mgnet_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gru_bptt_matches_finite_differences),
        cmocka_unit_test(generator_gradients_match_finite_differences),
        cmocka_unit_test(exported_model_steps_like_the_training_forward),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
