/* gb_kern_scalar.c — the scalar reference kernels. Built with -fno-tree-vectorize so it
 * stays the plain-C baseline the SIMD families are tested and benchmarked against.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_fastmath.h"
#include "gb_nn_kernels.h"


#include "gb_vec_scalar.h"
#include "gb_vmath.inc"

/* The public scalar entry points of gb_fastmath.h. */
float gb_fast_exp(float x) { return s_exp(x); }
float gb_fast_tanh(float x) { return s_tanh(x); }
float gb_fast_sigmoid(float x) { return s_sigmoid(x); }
float gb_fast_log1p(float u) { return s_log1p(u); }
float gb_fast_softplus(float x) { return s_softplus(x); }

static inline float act1(float v, gb_act_t act) GB_RT
{
    switch (act.kind) {
    case GB_ACT_RELU: return s_max(v, 0.0f);
    case GB_ACT_LEAKY_RELU: return s_leaky_relu(v, act.alpha);
    case GB_ACT_TANH: return s_tanh(v);
    case GB_ACT_SIGMOID: return s_sigmoid(v);
    case GB_ACT_SOFTPLUS: return s_softplus(v);
    case GB_ACT_ELU: return s_elu(v, act.alpha);
    default: return v;
    }
}

static void dense(const gb_dense_pack_t *d, const float *x, int xs, float *y, int ys, int batch,
                  gb_act_t act) GB_RT
{
    for (int f = 0; f < batch; f++) {
        const float *xf = x + (size_t)f * xs;
        float *yf = y + (size_t)f * ys;
        for (int blk = 0; blk < d->nblk; blk++) {
            const float *w = d->w + (size_t)blk * d->in * GB_NN_BLK;
            for (int r = 0; r < GB_NN_BLK; r++) {
                float acc = d->b[blk * GB_NN_BLK + r];
                for (int i = 0; i < d->in; i++)
                    acc += w[(size_t)i * GB_NN_BLK + r] * xf[i];
                yf[blk * GB_NN_BLK + r] = act1(acc, act);
            }
        }
    }
}

static void act_inplace(float *x, int n, gb_act_t act) GB_RT
{
    for (int i = 0; i < n; i++)
        x[i] = act1(x[i], act);
}

static void exp_inplace(float *x, int n) GB_RT
{
    for (int i = 0; i < n; i++)
        x[i] = s_exp(x[i]);
}

static void gru_gates(const float *gi, const float *gh, float *h, int hp) GB_RT
{
    for (int j = 0; j < hp; j++) {
        float r = s_sigmoid(gi[j] + gh[j]);
        float z = s_sigmoid(gi[hp + j] + gh[hp + j]);
        float n = s_tanh(gi[2 * hp + j] + r * gh[2 * hp + j]);
        h[j] = n + z * (h[j] - n);
    }
}

static float fma_probe(long iters)
{
    float acc[4] = {0.0f, 1.0f, 2.0f, 3.0f};
    for (long n = 0; n < iters; n++)
        for (int j = 0; j < 4; j++)
            acc[j] = acc[j] * 0.999f + 1e-4f;
    return acc[0] + acc[1] + acc[2] + acc[3];
}

static const gb_nn_kernels_t scalar_kernels = {
    .simd = GB_SIMD_SCALAR,
    .lanes = 1,
    .fma_probe = fma_probe,
    .fma_per_iter = 4,
    .dense = dense,
    .act = act_inplace,
    .exp = exp_inplace,
    .gru_gates = gru_gates,
};

const gb_nn_kernels_t *gb_nn_kernels_scalar(void) { return &scalar_kernels; }

#define OSC_RENDER_NAME gb_oscbank_render_scalar
#define OSC_TARGETS_NAME gb_oscbank_targets_scalar
#include "gb_oscbank_simd.inc"
