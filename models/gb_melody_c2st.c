/* gb_melody_c2st.c — classifier two-sample test (gb_melody_c2st.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_melody_c2st.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_mlp_train.h"

#define HIDDEN 64
#define BATCH 64
#define PASSES 30

void gb_c2st_features(const uint8_t *prev, const uint8_t *bar, int steps, int num, int den,
                      float *out)
{
    gb_melgen_bar_features(prev, steps, out);
    gb_melgen_bar_features(bar, steps, out + GB_MELGEN_BAR_FEAT);
    float *m = out + 2 * GB_MELGEN_BAR_FEAT;
    memset(m, 0, GB_MELGEN_METERS * sizeof(float));
    m[gb_melgen_meter_class(num, den)] = 1.0f;
}

/* Share of rows on the right side of 0 (label 1: logit > 0). */
static double accuracy(gb_mlp_t *m, const float *x, int n, int label)
{
    long right = 0;
    for (int b0 = 0; b0 < n; b0 += BATCH) {
        const int k = n - b0 < BATCH ? n - b0 : BATCH;
        const float *y = gb_mlp_forward(m, x + (size_t)b0 * GB_C2ST_IN, k);
        for (int i = 0; i < k; i++)
            right += (y[i] > 0.0f) == (label == 1);
    }
    return (double)right / (double)n;
}

double gb_c2st(const float *real, int n_real, const float *fake, int n_fake,
               const float *real_test, int n_real_test, const float *fake_test,
               int n_fake_test, uint64_t seed, gb_error_t *err)
{
    if (n_real < 1 || n_fake < 1 || n_real_test < 1 || n_fake_test < 1) {
        gb_error_set(err, GB_EINVAL, "two-sample test: an empty set (%d, %d, %d, %d rows)",
                     n_real, n_fake, n_real_test, n_fake_test);
        return NAN;
    }
    const int outs[2] = {HIDDEN, 1};
    const gb_act_kind_t acts[2] = {GB_ACT_RELU, GB_ACT_LINEAR};
    gb_mlp_t *m = gb_mlp_new(GB_C2ST_IN, 2, outs, acts, BATCH, err);
    gb_adam_t *adam = m ? gb_adam_new(gb_mlp_n_params(m), 0.9f, 0.999f, 1e-8f) : NULL;
    const int n = n_real < n_fake ? n_real : n_fake; /* balanced: n of each per pass */
    float *x = malloc((size_t)BATCH * GB_C2ST_IN * sizeof(float));
    int *order = malloc(2 * (size_t)n * sizeof(int));
    if (!m || !adam || !x || !order) {
        gb_mlp_free(m);
        gb_adam_free(adam);
        free(x);
        free(order);
        gb_error_set(err, GB_ENOMEM, "two-sample test: out of memory");
        return NAN;
    }
    const int prev = gb_mlp_blas_single();
    gb_mlp_init(m, seed);
    uint64_t rng = seed ^ 0xc25c25c25ull;
    float lab[BATCH], d[BATCH];
    for (int pass = 0; pass < PASSES; pass++) {
        /* rows 0..n-1: real (a random n of them), n..2n-1: fake; shuffled */
        for (int i = 0; i < 2 * n; i++)
            order[i] = i < n ? (int)(gb_melgen_rng_next(&rng) % (uint64_t)n_real)
                             : n_real + (int)(gb_melgen_rng_next(&rng) % (uint64_t)n_fake);
        for (int i = 2 * n - 1; i > 0; i--) {
            const int j = (int)(gb_melgen_rng_next(&rng) % (uint64_t)(i + 1)), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int b0 = 0; b0 < 2 * n; b0 += BATCH) {
            const int k = 2 * n - b0 < BATCH ? 2 * n - b0 : BATCH;
            for (int i = 0; i < k; i++) {
                const int o = order[b0 + i];
                const float *src = o < n_real ? real + (size_t)o * GB_C2ST_IN
                                              : fake + (size_t)(o - n_real) * GB_C2ST_IN;
                memcpy(x + (size_t)i * GB_C2ST_IN, src, GB_C2ST_IN * sizeof(float));
                lab[i] = o < n_real ? 1.0f : 0.0f;
            }
            const float *y = gb_mlp_forward(m, x, k);
            for (int i = 0; i < k; i++)
                d[i] = (1.0f / (1.0f + expf(-y[i])) - lab[i]) / (float)k;
            gb_mlp_zero_grad(m);
            gb_mlp_backward(m, d, NULL, k);
            gb_adam_step(adam, gb_mlp_params(m), gb_mlp_grads(m), 1e-3f);
        }
    }
    const double ar = accuracy(m, real_test, n_real_test, 1), af = accuracy(m, fake_test, n_fake_test, 0);
    if (getenv("GB_C2ST_DEBUG"))
        fprintf(stderr, "c2st: train %d/%d, test real %.3f fake %.3f (%d/%d)\n", n_real, n_fake, ar, af, n_real_test, n_fake_test);
    const double acc = 0.5 * (ar + af);
    gb_mlp_blas_threads(prev);
    gb_mlp_free(m);
    gb_adam_free(adam);
    free(x);
    free(order);
    return acc;
}

double gb_c2st_generator(gb_nn_t *gen, gb_nn_t *critic, const gb_melody_ds_t *ds, int n_train,
                         const gb_melgan_gen_opts_t *o, const float *real_test, int n_real_test,
                         const float *fake_test, int n_fake_test, gb_error_t *err)
{
    const int S = GB_MDS_MAX_STEPS;
    uint8_t *pickup = calloc((size_t)ds->n_tunes + 1, 1), *seen = calloc((size_t)ds->n_tunes + 1, 1);
    uint32_t n_cand = 0;
    for (uint32_t i = 0; i < ds->n_records; i++) {
        const gb_mds_record_t *r = &ds->records[i];
        if (r->transpose || (int)r->tune >= ds->n_tunes)
            continue;
        if (pickup && seen && !seen[r->tune]) {
            seen[r->tune] = 1;
            pickup[r->tune] = r->bar > 0 || r->target[0] == GB_MDS_REST;
        }
        n_cand += r->split == GB_MDS_TRAIN && !(r->flags & 1);
    }
    const int n = n_train < (int)n_cand ? n_train : (int)n_cand;
    float *real = malloc(((size_t)n + 1) * GB_C2ST_IN * sizeof(float));
    float *fake = malloc(((size_t)n + 1) * GB_C2ST_IN * sizeof(float));
    double acc = NAN;
    if (!pickup || !seen || !real || !fake) {
        gb_error_set(err, GB_ENOMEM, "two-sample test: out of memory");
        goto done;
    }
    if (n < 1) {
        gb_error_set(err, GB_EINVAL, "two-sample test: no training bar");
        goto done;
    }
    const uint32_t stride = n_cand / (uint32_t)n;
    uint32_t seen_c = 0;
    int k = 0;
    for (uint32_t i = 0; i < ds->n_records && k < n; i++) {
        const gb_mds_record_t *r = &ds->records[i];
        if (r->transpose || r->split != GB_MDS_TRAIN || (r->flags & 1) || seen_c++ % stride)
            continue;
        /* the bars before: the record's context, then those of the records before it */
        uint8_t hist[4 * GB_MDS_MAX_STEPS], bar[GB_MDS_MAX_STEPS];
        memcpy(hist, r->context, (size_t)S);
        for (int h = 1; h < 4; h++) {
            const gb_mds_record_t *p = i >= (uint32_t)h ? &ds->records[i - (uint32_t)h] : NULL;
            const int ok = p && p->tune == r->tune && p->transpose == 0 &&
                           (int)p->bar + h == (int)r->bar;
            for (int s = 0; s < S; s++)
                hist[h * S + s] = ok ? p->context[s]
                                  : s < r->steps_per_bar ? GB_MDS_REST
                                                         : GB_MDS_PAD;
        }
        gb_melgan_gen_opts_t g = *o;
        g.bars = 1;
        g.num = r->meter_num;
        g.den = r->meter_den;
        g.mode = r->mode;
        g.phrase_pos = (((int)r->bar - pickup[r->tune]) % 8 + 8) % 8;
        g.seed = o->seed * 1000003u + i;
        if (g.num * 16 % g.den || g.num * 16 / g.den != r->steps_per_bar)
            continue;
        if (gb_melgan_generate(gen, critic, &g, hist, 4, bar, NULL, err) < 0)
            goto done;
        gb_c2st_features(r->context, r->target, r->steps_per_bar, r->meter_num, r->meter_den,
                         real + (size_t)k * GB_C2ST_IN);
        gb_c2st_features(r->context, bar, r->steps_per_bar, r->meter_num, r->meter_den,
                         fake + (size_t)k * GB_C2ST_IN);
        k++;
    }
    acc = gb_c2st(real, k, fake, k, real_test, n_real_test, fake_test, n_fake_test,
                  o->seed ^ 0x5eedull, err);
done:
    free(pickup);
    free(seen);
    free(real);
    free(fake);
    return acc;
}
