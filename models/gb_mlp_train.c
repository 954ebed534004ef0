/* gb_mlp_train.c — trainable MLP (sgemm forward/backward) and Adam.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_mlp_train.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct mlp_layer {
    int in, out;
    gb_act_kind_t act;
    size_t w_off, b_off;
    float *z; /* pre-activation, max_batch × out */
    float *a; /* post-activation, max_batch × out */
} mlp_layer_t;

struct gb_mlp {
    int in_dim, n_layers, max_batch, max_dim;
    size_t n_params;
    float *params, *grads;
    const float *last_in; /* input rows of the last forward (borrowed) */
    float *in_copy;       /* copy of them, so the caller's buffer may change */
    float *d0, *d1;       /* backward scratch, max_batch × max_dim */
    mlp_layer_t layers[GB_MLP_MAX_LAYERS];
};

static int act_ok(gb_act_kind_t k)
{
    return k == GB_ACT_LINEAR || k == GB_ACT_RELU || k == GB_ACT_TANH || k == GB_ACT_SIGMOID ||
           k == GB_ACT_SOFTPLUS;
}

gb_mlp_t *gb_mlp_new(int in_dim, int n_layers, const int *outs, const gb_act_kind_t *acts,
                     int max_batch, gb_error_t *err)
{
    if (in_dim < 1 || in_dim > GB_NN_MAX_DIM || n_layers < 1 || n_layers > GB_MLP_MAX_LAYERS ||
        !outs || !acts || max_batch < 1) {
        gb_error_set(err, GB_EINVAL, "mlp: bad sizes (in %d, layers %d, batch %d)", in_dim,
                     n_layers, max_batch);
        return NULL;
    }
    gb_mlp_t *m = calloc(1, sizeof *m);
    if (!m)
        goto nomem;
    m->in_dim = in_dim;
    m->n_layers = n_layers;
    m->max_batch = max_batch;
    m->max_dim = in_dim;
    int prev = in_dim;
    size_t off = 0;
    for (int i = 0; i < n_layers; i++) {
        if (outs[i] < 1 || outs[i] > GB_NN_MAX_DIM || !act_ok(acts[i])) {
            gb_error_set(err, GB_EINVAL, "mlp: layer %d: bad size %d or unsupported activation",
                         i, outs[i]);
            gb_mlp_free(m);
            return NULL;
        }
        mlp_layer_t *L = &m->layers[i];
        L->in = prev;
        L->out = outs[i];
        L->act = acts[i];
        L->w_off = off;
        off += (size_t)L->in * (size_t)L->out;
        L->b_off = off;
        off += (size_t)L->out;
        L->z = calloc((size_t)max_batch * (size_t)L->out, sizeof(float));
        L->a = calloc((size_t)max_batch * (size_t)L->out, sizeof(float));
        if (!L->z || !L->a) {
            gb_mlp_free(m);
            goto nomem;
        }
        if (L->out > m->max_dim)
            m->max_dim = L->out;
        prev = L->out;
    }
    m->n_params = off;
    m->params = calloc(off, sizeof(float));
    m->grads = calloc(off, sizeof(float));
    m->in_copy = calloc((size_t)max_batch * (size_t)in_dim, sizeof(float));
    m->d0 = calloc((size_t)max_batch * (size_t)m->max_dim, sizeof(float));
    m->d1 = calloc((size_t)max_batch * (size_t)m->max_dim, sizeof(float));
    if (!m->params || !m->grads || !m->in_copy || !m->d0 || !m->d1) {
        gb_mlp_free(m);
        goto nomem;
    }
    return m;
nomem:
    gb_error_set(err, GB_ENOMEM, "mlp: out of memory");
    return NULL;
}

void gb_mlp_free(gb_mlp_t *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_layers; i++) {
        free(m->layers[i].z);
        free(m->layers[i].a);
    }
    free(m->params);
    free(m->grads);
    free(m->in_copy);
    free(m->d0);
    free(m->d1);
    free(m);
}

/* splitmix64: small, seedable, the same on every platform. */
static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void gb_mlp_init(gb_mlp_t *m, uint64_t seed)
{
    uint64_t s = seed ^ 0x6a09e667f3bcc909ull;
    for (int i = 0; i < m->n_layers; i++) {
        mlp_layer_t *L = &m->layers[i];
        float lim = 1.0f / sqrtf((float)L->in);
        size_t n = (size_t)L->in * (size_t)L->out + (size_t)L->out;
        for (size_t k = 0; k < n; k++) {
            double u = (double)(splitmix(&s) >> 11) * (1.0 / 9007199254740992.0);
            m->params[L->w_off + k] = (float)((2.0 * u - 1.0) * lim);
        }
    }
}

int gb_mlp_in_dim(const gb_mlp_t *m) { return m->in_dim; }
int gb_mlp_out_dim(const gb_mlp_t *m) { return m->layers[m->n_layers - 1].out; }
int gb_mlp_max_batch(const gb_mlp_t *m) { return m->max_batch; }
int gb_mlp_n_layers(const gb_mlp_t *m) { return m->n_layers; }
size_t gb_mlp_n_params(const gb_mlp_t *m) { return m->n_params; }
float *gb_mlp_params(gb_mlp_t *m) { return m->params; }
float *gb_mlp_grads(gb_mlp_t *m) { return m->grads; }
size_t gb_mlp_weight_offset(const gb_mlp_t *m, int i) { return m->layers[i].w_off; }
size_t gb_mlp_bias_offset(const gb_mlp_t *m, int i) { return m->layers[i].b_off; }

int gb_mlp_layer(const gb_mlp_t *m, int i, int *in, int *out, gb_act_kind_t *act)
{
    if (!m || i < 0 || i >= m->n_layers)
        return GB_EINVAL;
    if (in)
        *in = m->layers[i].in;
    if (out)
        *out = m->layers[i].out;
    if (act)
        *act = m->layers[i].act;
    return 0;
}

void gb_mlp_zero_grad(gb_mlp_t *m)
{
    memset(m->grads, 0, m->n_params * sizeof(float));
}

static float act_f(gb_act_kind_t k, float z)
{
    switch (k) {
    case GB_ACT_RELU: return z > 0.0f ? z : 0.0f;
    case GB_ACT_TANH: return tanhf(z);
    case GB_ACT_SIGMOID: return 1.0f / (1.0f + expf(-z));
    case GB_ACT_SOFTPLUS: return fmaxf(z, 0.0f) + log1pf(expf(-fabsf(z)));
    default: return z;
    }
}

/* Derivative from the pre-activation z and the output a. */
static float act_d(gb_act_kind_t k, float z, float a)
{
    switch (k) {
    case GB_ACT_RELU: return z > 0.0f ? 1.0f : 0.0f;
    case GB_ACT_TANH: return 1.0f - a * a;
    case GB_ACT_SIGMOID: return a * (1.0f - a);
    case GB_ACT_SOFTPLUS: return 1.0f / (1.0f + expf(-z));
    default: return 1.0f;
    }
}

const float *gb_mlp_forward(gb_mlp_t *m, const float *in, int batch)
{
    if (batch < 1)
        batch = 1;
    if (batch > m->max_batch)
        batch = m->max_batch;
    memcpy(m->in_copy, in, (size_t)batch * (size_t)m->in_dim * sizeof(float));
    m->last_in = m->in_copy;
    const float *x = m->in_copy;
    for (int i = 0; i < m->n_layers; i++) {
        mlp_layer_t *L = &m->layers[i];
        const float *W = m->params + L->w_off, *b = m->params + L->b_off;
        for (int r = 0; r < batch; r++)
            memcpy(L->z + (size_t)r * (size_t)L->out, b, (size_t)L->out * sizeof(float));
        /* Z[batch,out] = X[batch,in] · W^T + Z */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, L->out, L->in, 1.0f, x,
                    L->in, W, L->in, 1.0f, L->z, L->out);
        size_t n = (size_t)batch * (size_t)L->out;
        if (L->act == GB_ACT_LINEAR)
            memcpy(L->a, L->z, n * sizeof(float));
        else
            for (size_t k = 0; k < n; k++)
                L->a[k] = act_f(L->act, L->z[k]);
        x = L->a;
    }
    return x;
}

void gb_mlp_backward(gb_mlp_t *m, const float *dout, float *din, int batch)
{
    if (batch < 1)
        batch = 1;
    if (batch > m->max_batch)
        batch = m->max_batch;
    float *dz = m->d0, *dprev = m->d1;

    const float *da = dout;
    for (int i = m->n_layers - 1; i >= 0; i--) {
        mlp_layer_t *L = &m->layers[i];
        size_t n = (size_t)batch * (size_t)L->out;
        for (size_t k = 0; k < n; k++)
            dz[k] = da[k] * act_d(L->act, L->z[k], L->a[k]);
        const float *x = i > 0 ? m->layers[i - 1].a : m->last_in;
        float *gW = m->grads + L->w_off, *gb = m->grads + L->b_off;
        /* dW[out,in] += dZ^T[out,batch] · X[batch,in] */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L->out, L->in, batch, 1.0f, dz,
                    L->out, x, L->in, 1.0f, gW, L->in);
        for (int r = 0; r < batch; r++) {
            const float *row = dz + (size_t)r * (size_t)L->out;
            for (int o = 0; o < L->out; o++)
                gb[o] += row[o];
        }
        if (i == 0 && !din)
            break;
        /* dX[batch,in] = dZ[batch,out] · W[out,in] */
        float *dst = i == 0 ? din : dprev;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, L->in, L->out, 1.0f, dz,
                    L->out, m->params + L->w_off, L->in, 0.0f, dst, L->in);
        /* dz always lives in d0 and the input gradient in d1: the next layer reads d1
         * (consumed before d1 is written again) and writes d0. */
        da = dprev;
    }
}

gb_nn_t *gb_mlp_export(const gb_mlp_t *m, int max_batch, gb_error_t *err)
{
    gb_nn_t *nn = gb_nn_new(m->in_dim, max_batch, err);
    if (!nn)
        return NULL;
    for (int i = 0; i < m->n_layers; i++)
        if (gb_nn_add_dense(nn, m->layers[i].out, gb_act_make(m->layers[i].act), err) < 0)
            goto fail;
    if (gb_nn_finalize(nn, err) < 0)
        goto fail;
    for (int i = 0; i < m->n_layers; i++) {
        const mlp_layer_t *L = &m->layers[i];
        if (gb_nn_set_param(nn, i, "weight", m->params + L->w_off,
                            (size_t)L->in * (size_t)L->out, err) < 0 ||
            gb_nn_set_param(nn, i, "bias", m->params + L->b_off, (size_t)L->out, err) < 0)
            goto fail;
    }
    return nn;
fail:
    gb_nn_free(nn);
    return NULL;
}

int gb_mlp_blas_single(void)
{
    int prev = openblas_get_num_threads();
    openblas_set_num_threads(1);
    return prev;
}

void gb_mlp_blas_threads(int n)
{
    openblas_set_num_threads(n < 1 ? 1 : n);
}

/* ---- Adam ------------------------------------------------------------------------------ */

struct gb_adam {
    size_t n;
    float b1, b2, eps;
    int64_t t;
    float *m, *v;
};

gb_adam_t *gb_adam_new(size_t n, float beta1, float beta2, float eps)
{
    gb_adam_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->n = n;
    a->b1 = beta1;
    a->b2 = beta2;
    a->eps = eps;
    a->m = calloc(n ? n : 1, sizeof(float));
    a->v = calloc(n ? n : 1, sizeof(float));
    if (!a->m || !a->v) {
        gb_adam_free(a);
        return NULL;
    }
    return a;
}

void gb_adam_free(gb_adam_t *a)
{
    if (!a)
        return;
    free(a->m);
    free(a->v);
    free(a);
}

void gb_adam_step(gb_adam_t *a, float *params, const float *grads, float lr)
{
    a->t++;
    double c1 = 1.0 - pow(a->b1, (double)a->t), c2 = 1.0 - pow(a->b2, (double)a->t);
    float step = (float)(lr * sqrt(c2) / c1);
    float eps = (float)(a->eps * sqrt(c2));
    for (size_t i = 0; i < a->n; i++) {
        float g = grads[i];
        a->m[i] = a->b1 * a->m[i] + (1.0f - a->b1) * g;
        a->v[i] = a->b2 * a->v[i] + (1.0f - a->b2) * g * g;
        params[i] -= step * a->m[i] / (sqrtf(a->v[i]) + eps);
    }
}

size_t gb_adam_n(const gb_adam_t *a) { return a->n; }
float *gb_adam_m(gb_adam_t *a) { return a->m; }
float *gb_adam_v(gb_adam_t *a) { return a->v; }
int64_t gb_adam_step_count(const gb_adam_t *a) { return a->t; }
void gb_adam_set_step_count(gb_adam_t *a, int64_t t) { a->t = t; }
