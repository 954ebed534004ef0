/* gb_kern_scalar.c — the scalar reference kernels. Built with -fno-tree-vectorize so it
 * stays the plain-C baseline the SIMD families are tested and benchmarked against.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_bf16.h"
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

/* bf16 weights: the input rounded to bf16, exact products, f32 sums (gb_nn_kernels.h). */
static void dense_bf16(const gb_dense_pack_t *d, const float *x, int xs, float *y, int ys,
                       int batch, gb_act_t act, float *xq) GB_RT
{
    const int np = (d->in + 1) / 2;
    for (int f = 0; f < batch; f++) {
        const float *xf = x + (size_t)f * xs;
        float *q = xq + (size_t)f * GB_NN_XQ_STRIDE(d->in);
        for (int i = 0; i < d->in; i++)
            q[i] = gb_bf16_round(xf[i]);
        if (d->in & 1)
            q[d->in] = 0.0f;
        float *yf = y + (size_t)f * ys;
        for (int blk = 0; blk < d->nblk; blk++) {
            const uint32_t *w = d->wb + (size_t)blk * np * GB_NN_BLK;
            for (int r = 0; r < GB_NN_BLK; r++) {
                float acc = d->b[blk * GB_NN_BLK + r];
                for (int p = 0; p < np; p++) {
                    const uint32_t word = w[(size_t)p * GB_NN_BLK + r];
                    acc += gb_bf16_to_f32((uint16_t)word) * q[2 * p];
                    acc += gb_bf16_to_f32((uint16_t)(word >> 16)) * q[2 * p + 1];
                }
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

static void exp_any(const float *x, float *y, int n) GB_RT
{
    for (int i = 0; i < n; i++)
        y[i] = s_exp(x[i]);
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

/* Weight (packed row, input i) of a product, f32 or bf16. */
static float pk_weight(const gb_dense_pack_t *d, int row, int i)
{
    const size_t blk = (size_t)(row / GB_NN_BLK), r = (size_t)(row % GB_NN_BLK);
    if (!d->wb)
        return d->w[(blk * d->in + i) * GB_NN_BLK + r];
    const uint32_t word = d->wb[(blk * ((d->in + 1) / 2) + i / 2) * GB_NN_BLK + r];
    return gb_bf16_to_f32((uint16_t)(i & 1 ? word >> 16 : word));
}

static float pk_dot(const gb_dense_pack_t *d, int row, const float *x)
{
    float acc = 0.0f;
    for (int i = 0; i < d->in; i++)
        acc += pk_weight(d, row, i) * x[i];
    return acc;
}

static void gru_step1(const gb_dense_pack_t *pi, const gb_dense_pack_t *ph, const float *x,
                      const float *h, float *hn, float *pre, float *xq) GB_RT
{
    (void)pre;
    const int hp = pi->nblk / 3 * GB_NN_BLK;
    const float *xr = x, *hr = h;
    if (pi->wb) { /* the inputs rounded to bf16, as every family does */
        float *hq = xq + GB_NN_XQ_STRIDE(pi->in);
        for (int i = 0; i < pi->in; i++)
            xq[i] = gb_bf16_round(x[i]);
        for (int i = 0; i < ph->in; i++)
            hq[i] = gb_bf16_round(h[i]);
        xr = xq;
        hr = hq;
    }
    for (int u = 0; u < hp; u++) {
        float r = pi->b[u] + ph->b[u] + pk_dot(pi, u, xr) + pk_dot(ph, u, hr);
        float z = pi->b[hp + u] + ph->b[hp + u] + pk_dot(pi, hp + u, xr) + pk_dot(ph, hp + u, hr);
        float ni = pi->b[2 * hp + u] + pk_dot(pi, 2 * hp + u, xr);
        float nh = ph->b[2 * hp + u] + pk_dot(ph, 2 * hp + u, hr);
        r = s_sigmoid(r);
        z = s_sigmoid(z);
        const float n = s_tanh(ni + r * nh);
        hn[u] = n + z * (h[u] - n);
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

static float stream_probe(const float *buf, long n)
{
    float acc[4] = {0, 0, 0, 0};
    for (long i = 0; i + 4 <= n; i += 4)
        for (int j = 0; j < 4; j++)
            acc[j] += buf[i + j];
    return acc[0] + acc[1] + acc[2] + acc[3];
}

static const gb_nn_kernels_t scalar_kernels = {
    .simd = GB_SIMD_SCALAR,
    .lanes = 1,
    .fma_probe = fma_probe,
    .fma_per_iter = 4,
    .stream_probe = stream_probe,
    .dense = dense,
    .dense_v1 = dense,
    .dense_bf16 = dense_bf16,
    .act = act_inplace,
    .exp = exp_inplace,
    .exp_any = exp_any,
    .gru_gates = gru_gates,
    .gru_step1 = gru_step1,
};

const gb_nn_kernels_t *gb_nn_kernels_scalar(void) { return &scalar_kernels; }

#define OSC_RENDER_NAME gb_oscbank_render_scalar
#define OSC_TARGETS_NAME gb_oscbank_targets_scalar
#include "gb_oscbank_simd.inc"
