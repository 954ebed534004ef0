/* gb_melgan_net.c — the trainable melody generator (gb_melgan_net.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_melgan_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S GB_MDS_MAX_STEPS
#define V GB_MDS_VOCAB
#define IN GB_MELGEN_STEP_IN

gb_mgnet_t *gb_mgnet_new(int E, int H, int enc_hidden, int max_rows, int max_steps,
                         uint64_t seed, gb_error_t *err)
{
    if (E < 1 || H < 1 || enc_hidden < 0 || max_rows < 1 || max_steps < 1 || max_steps > S) {
        gb_error_set(err, GB_EINVAL, "melody generator: bad sizes");
        return NULL;
    }
    gb_mgnet_t *n = calloc(1, sizeof *n);
    if (!n) {
        gb_error_set(err, GB_ENOMEM, "melody generator: out of memory");
        return NULL;
    }
    n->E = E;
    n->H = H;
    n->enc_hidden = enc_hidden;
    n->max_rows = max_rows;
    n->max_steps = max_steps;
    const int TR = max_rows * max_steps;
    const gb_act_kind_t relu = GB_ACT_RELU, lin = GB_ACT_LINEAR;
    n->inl = gb_mlp_new(IN, 1, &E, &relu, TR, err);
    n->gru = n->inl ? gb_gru_train_new(E, H, max_rows, max_steps, err) : NULL;
    const int vo = V;
    n->outl = n->gru ? gb_mlp_new(H, 1, &vo, &lin, TR, err) : NULL;
    if (n->outl && enc_hidden > 0) {
        const int eo[2] = {enc_hidden, 2 * GB_MELGEN_Z};
        const gb_act_kind_t ea[2] = {GB_ACT_RELU, GB_ACT_LINEAR};
        n->enc = gb_mlp_new(GB_MGNET_ENC_IN, 2, eo, ea, max_rows, err);
    }
    if (!n->outl || (enc_hidden > 0 && !n->enc)) {
        gb_mgnet_free(n);
        return NULL;
    }
    n->row_steps = calloc((size_t)max_rows, sizeof(int));
    n->tok = calloc((size_t)max_rows * S, 1);
    n->x = calloc((size_t)TR * IN, sizeof(float));
    n->dx = calloc((size_t)TR * IN, sizeof(float));
    n->dlog = calloc((size_t)TR * V, sizeof(float));
    n->dh = calloc((size_t)TR * H, sizeof(float));
    n->de = calloc((size_t)TR * E, sizeof(float));
    if (!n->row_steps || !n->tok || !n->x || !n->dx || !n->dlog || !n->dh || !n->de) {
        gb_mgnet_free(n);
        gb_error_set(err, GB_ENOMEM, "melody generator: out of memory");
        return NULL;
    }
    gb_mlp_init(n->inl, seed);
    gb_gru_train_init(n->gru, seed + 1);
    gb_mlp_init(n->outl, seed + 2);
    if (n->enc)
        gb_mlp_init(n->enc, seed + 3);
    return n;
}

void gb_mgnet_free(gb_mgnet_t *n)
{
    if (!n)
        return;
    gb_mlp_free(n->inl);
    gb_gru_train_free(n->gru);
    gb_mlp_free(n->outl);
    gb_mlp_free(n->enc);
    free(n->row_steps);
    free(n->tok);
    free(n->x);
    free(n->dx);
    free(n->dlog);
    free(n->dh);
    free(n->de);
    free(n);
}

size_t gb_mgnet_block_size(const gb_mgnet_t *n, int b)
{
    switch (b) {
    case 0: return gb_mlp_n_params(n->inl);
    case 1: return gb_gru_train_n_params(n->gru);
    case 2: return gb_mlp_n_params(n->outl);
    case 3: return n->enc ? gb_mlp_n_params(n->enc) : 0;
    default: return 0;
    }
}

float *gb_mgnet_block_params(gb_mgnet_t *n, int b)
{
    switch (b) {
    case 0: return gb_mlp_params(n->inl);
    case 1: return gb_gru_train_params(n->gru);
    case 2: return gb_mlp_params(n->outl);
    case 3: return n->enc ? gb_mlp_params(n->enc) : NULL;
    default: return NULL;
    }
}

float *gb_mgnet_block_grads(gb_mgnet_t *n, int b)
{
    switch (b) {
    case 0: return gb_mlp_grads(n->inl);
    case 1: return gb_gru_train_grads(n->gru);
    case 2: return gb_mlp_grads(n->outl);
    case 3: return n->enc ? gb_mlp_grads(n->enc) : NULL;
    default: return NULL;
    }
}

void gb_mgnet_zero_grad(gb_mgnet_t *n)
{
    gb_mlp_zero_grad(n->inl);
    gb_gru_train_zero_grad(n->gru);
    gb_mlp_zero_grad(n->outl);
    if (n->enc)
        gb_mlp_zero_grad(n->enc);
}

void gb_mgnet_copy_gen(gb_mgnet_t *dst, const gb_mgnet_t *src)
{
    for (int b = 0; b < 3; b++)
        memcpy(gb_mgnet_block_params(dst, b), gb_mgnet_block_params((gb_mgnet_t *)src, b),
               gb_mgnet_block_size(dst, b) * sizeof(float));
}

const float *gb_mgnet_forward(gb_mgnet_t *n, int R, const float *cond, const uint8_t *refs,
                              const int *first, const uint8_t *tok, const int *steps)
{
    R = R < 1 ? 1 : R > n->max_rows ? n->max_rows : R;
    int T = 1;
    for (int r = 0; r < R; r++) {
        n->row_steps[r] = steps[r] < 1 ? 1 : steps[r] > n->max_steps ? n->max_steps : steps[r];
        T = n->row_steps[r] > T ? n->row_steps[r] : T;
    }
    n->R = R;
    n->T = T;
    memcpy(n->tok, tok, (size_t)R * S);
    for (int r = 0; r < R; r++) {
        const uint8_t *rf = refs + (size_t)r * GB_MELGEN_REFS * S, *tk = tok + (size_t)r * S;
        int match[GB_MELGEN_REFS] = {1, 1, 1};
        for (int t = 0; t < T; t++) {
            const int prev = t >= n->row_steps[r] ? -1 : t == 0 ? first[r] : tk[t - 1];
            if (t > 0)
                for (int i = 0; i < GB_MELGEN_REFS; i++)
                    match[i] &= rf[i * S + t - 1] == tk[t - 1];
            gb_melgen_step_input(prev, t, rf, match, cond + (size_t)r * GB_MELGEN_COND,
                                 n->x + ((size_t)t * R + r) * IN);
        }
    }
    const int TR = T * R;
    const float *e = gb_mlp_forward(n->inl, n->x, TR);
    const float *h = gb_gru_train_forward(n->gru, e, NULL, R, T);
    n->logits = gb_mlp_forward(n->outl, h, TR);
    memset(n->dlog, 0, (size_t)TR * V * sizeof(float));
    return n->logits;
}

/* log-sum-exp and argmax of one logit row */
static double lse_row(const float *y, int *arg)
{
    double mx = y[0];
    int best = 0;
    for (int k = 1; k < V; k++)
        if (y[k] > mx) {
            mx = y[k];
            best = k;
        }
    double s = 0.0;
    for (int k = 0; k < V; k++)
        s += exp((double)y[k] - mx);
    if (arg)
        *arg = best;
    return mx + log(s);
}

double gb_mgnet_ce(gb_mgnet_t *n, const float *w, float scale, long *hits)
{
    double ce = 0.0;
    long h = 0;
    for (int t = 0; t < n->T; t++)
        for (int r = 0; r < n->R; r++) {
            if (t >= n->row_steps[r])
                continue;
            const size_t row = (size_t)t * n->R + r;
            const float *y = n->logits + row * V;
            int arg, target = n->tok[(size_t)r * S + t];
            target = target < V ? target : GB_MDS_REST;
            const double lse = lse_row(y, &arg);
            ce += lse - y[target];
            h += arg == target;
            const float g = scale * (w ? w[r] : 1.0f);
            if (g == 0.0f)
                continue;
            float *d = n->dlog + row * V;
            for (int k = 0; k < V; k++)
                d[k] += g * (float)exp((double)y[k] - lse);
            d[target] -= g;
        }
    if (hits)
        *hits = h;
    return ce;
}

double gb_mgnet_kl(gb_mgnet_t *n, const float *ref_logits, float scale)
{
    double kl = 0.0;
    for (int t = 0; t < n->T; t++)
        for (int r = 0; r < n->R; r++) {
            if (t >= n->row_steps[r])
                continue;
            const size_t row = (size_t)t * n->R + r;
            const float *y = n->logits + row * V, *q = ref_logits + row * V;
            const double ly = lse_row(y, NULL), lq = lse_row(q, NULL);
            double p[V], lr[V], k = 0.0;
            for (int v = 0; v < V; v++) {
                const double lp = (double)y[v] - ly;
                p[v] = exp(lp);
                lr[v] = lp - ((double)q[v] - lq);
                k += p[v] * lr[v];
            }
            kl += k;
            float *d = n->dlog + row * V;
            for (int v = 0; v < V; v++) /* d KL / d y_v = p_v (log p_v/q_v − KL) */
                d[v] += scale * (float)(p[v] * (lr[v] - k));
        }
    return kl;
}

void gb_mgnet_backward(gb_mgnet_t *n, float *dcond)
{
    const int TR = n->T * n->R;
    gb_mlp_backward(n->outl, n->dlog, n->dh, TR);
    gb_gru_train_backward(n->gru, n->dh, n->de, NULL, n->R, n->T);
    gb_mlp_backward(n->inl, n->de, dcond ? n->dx : NULL, TR);
    if (!dcond)
        return;
    memset(dcond, 0, (size_t)n->R * GB_MELGEN_COND * sizeof(float));
    for (int t = 0; t < n->T; t++)
        for (int r = 0; r < n->R; r++) {
            const float *d = n->dx + ((size_t)t * n->R + r) * IN + GB_MELGEN_IN_COND;
            float *o = dcond + (size_t)r * GB_MELGEN_COND;
            for (int k = 0; k < GB_MELGEN_COND; k++)
                o[k] += d[k];
        }
}

static int set_dense(gb_nn_t *nn, int layer, gb_mlp_t *m, gb_error_t *err)
{
    int in, out;
    gb_mlp_layer(m, 0, &in, &out, NULL);
    const float *p = gb_mlp_params(m);
    int rc = gb_nn_set_param(nn, layer, "weight", p + gb_mlp_weight_offset(m, 0),
                             (size_t)in * (size_t)out, err);
    return rc ? rc : gb_nn_set_param(nn, layer, "bias", p + gb_mlp_bias_offset(m, 0),
                                     (size_t)out, err);
}

int gb_mgnet_update(const gb_mgnet_t *n, gb_nn_t *nn, gb_error_t *err)
{
    gb_mgnet_t *m = (gb_mgnet_t *)n;
    const size_t H = (size_t)n->H, E = (size_t)n->E;
    const float *g = gb_gru_train_params(m->gru);
    int rc = set_dense(nn, 0, m->inl, err);
    if (!rc)
        rc = gb_nn_set_param(nn, 1, "weight_ih", g, 3 * H * E, err);
    if (!rc)
        rc = gb_nn_set_param(nn, 1, "weight_hh", g + 3 * H * E, 3 * H * H, err);
    if (!rc)
        rc = gb_nn_set_param(nn, 1, "bias_ih", g + 3 * H * E + 3 * H * H, 3 * H, err);
    if (!rc)
        rc = gb_nn_set_param(nn, 1, "bias_hh", g + 3 * H * E + 3 * H * H + 3 * H, 3 * H, err);
    return rc ? rc : set_dense(nn, 2, m->outl, err);
}

gb_nn_t *gb_mgnet_export(const gb_mgnet_t *n, int max_batch, gb_error_t *err)
{
    gb_nn_t *nn = gb_nn_new(IN, max_batch, err);
    if (!nn || gb_nn_add_dense(nn, n->E, gb_act_make(GB_ACT_RELU), err) ||
        gb_nn_add_gru(nn, n->H, err) || gb_nn_add_dense(nn, V, gb_act_make(GB_ACT_LINEAR), err) ||
        gb_nn_finalize(nn, err) || gb_mgnet_update(n, nn, err)) {
        gb_nn_free(nn);
        return NULL;
    }
    return nn;
}
