/* bench_nn_blas.c — the OpenBLAS reference path of `gbac bench nn` (bench_nn_blas.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "bench_nn_blas.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

static float *zalloc(size_t n)
{
    float *p = aligned_alloc(64, GB_ROUND_UP(n * sizeof(float), 64) + 64);
    memset(p, 0, GB_ROUND_UP(n * sizeof(float), 64) + 64);
    return p;
}

static float *param_copy(const gb_nn_t *nn, int layer, const char *name)
{
    gb_param_info_t pi;
    gb_nn_param_info(nn, layer, gb_nn_param_find(nn, layer, name), &pi);
    float *p = zalloc(pi.count);
    gb_nn_get_param(nn, layer, name, p, pi.count, NULL);
    return p;
}

void gb_blas_build(blas_model_t *m, const gb_nn_t *nn)
{
    gb_simd_t simd;
    gb_simd_default(&simd, NULL);
    m->k = gb_nn_kernels_for(simd);
    m->n = gb_nn_n_layers(nn);
    m->in = gb_nn_in_dim(nn);
    m->batch = gb_nn_max_batch(nn);
    for (int i = 0; i < m->n; i++) {
        blas_layer_t *l = &m->l[i];
        memset(l, 0, sizeof *l);
        gb_nn_layer_info(nn, i, &l->info);
        int out = l->info.out, in = l->info.in;
        l->ys = GB_ROUND_UP(out, 16);
        l->y = zalloc((size_t)m->batch * l->ys);
        if (l->info.kind == GB_LAYER_GRU) {
            l->w = param_copy(nn, i, "weight_ih");
            l->w2 = param_copy(nn, i, "weight_hh");
            l->b = param_copy(nn, i, "bias_ih");
            l->b2 = param_copy(nn, i, "bias_hh");
            l->g1 = zalloc(3 * (size_t)l->ys);
            l->g2 = zalloc(3 * (size_t)l->ys);
        } else {
            float *w = param_copy(nn, i, "weight");
            l->b = param_copy(nn, i, "bias");
            if (l->info.kind == GB_LAYER_CONV1D) { /* [o][c][k] → [o][k·in + c] */
                int K = l->info.kernel;
                l->cols = K * in;
                l->w = zalloc((size_t)out * l->cols);
                for (int o = 0; o < out; o++)
                    for (int c = 0; c < in; c++)
                        for (int k = 0; k < K; k++)
                            l->w[(size_t)o * l->cols + k * in + c] = w[((size_t)o * in + c) * K + k];
                free(w);
                l->col = zalloc((size_t)l->cols);
                l->hist = zalloc((size_t)(K - 1) * l->info.dilation * in + 1);
            } else {
                l->w = w;
            }
        }
    }
}

void gb_blas_free(blas_model_t *m)
{
    for (int i = 0; i < m->n; i++) {
        blas_layer_t *l = &m->l[i];
        free(l->w);
        free(l->w2);
        free(l->b);
        free(l->b2);
        free(l->y);
        free(l->g1);
        free(l->g2);
        free(l->col);
        free(l->hist);
    }
}

/* One forward of the reference path (batch frames, row-major, stride = row size). */
void gb_blas_forward(blas_model_t *m, const float *in, int batch)
{
    const float *x = in;
    int xs = m->in;
    for (int i = 0; i < m->n; i++) {
        blas_layer_t *l = &m->l[i];
        const int out = l->info.out, n_in = l->info.in;
        switch (l->info.kind) {
        case GB_LAYER_DENSE:
            for (int f = 0; f < batch; f++)
                memcpy(l->y + (size_t)f * l->ys, l->b, sizeof(float) * (size_t)out);
            if (batch == 1)
                cblas_sgemv(CblasRowMajor, CblasNoTrans, out, n_in, 1.0f, l->w, n_in, x, 1,
                            1.0f, l->y, 1);
            else
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, out, n_in, 1.0f, x,
                            xs, l->w, n_in, 1.0f, l->y, l->ys);
            if (l->info.act.kind != GB_ACT_LINEAR)
                m->k->act(l->y, batch * l->ys, l->info.act);
            break;
        case GB_LAYER_GRU: { /* batch 1 in this benchmark */
            const int H = out;
            memcpy(l->g1, l->b, sizeof(float) * 3 * (size_t)H);
            memcpy(l->g2, l->b2, sizeof(float) * 3 * (size_t)H);
            cblas_sgemv(CblasRowMajor, CblasNoTrans, 3 * H, n_in, 1.0f, l->w, n_in, x, 1, 1.0f,
                        l->g1, 1);
            cblas_sgemv(CblasRowMajor, CblasNoTrans, 3 * H, H, 1.0f, l->w2, H, l->y, 1, 1.0f,
                        l->g2, 1);
            /* The gate kernel wants sections padded to 16; H = 64 here, already is. */
            m->k->gru_gates(l->g1, l->g2, l->y, H);
            break;
        }
        case GB_LAYER_CONV1D: { /* batch 1, dilation 1 in this benchmark: shift register */
            const int K = l->info.kernel, hist = (K - 1) * n_in;
            memcpy(l->col, l->hist, sizeof(float) * (size_t)hist);
            memcpy(l->col + hist, x, sizeof(float) * (size_t)n_in);
            memcpy(l->hist, l->col + n_in, sizeof(float) * (size_t)hist);
            memcpy(l->y, l->b, sizeof(float) * (size_t)out);
            cblas_sgemv(CblasRowMajor, CblasNoTrans, out, l->cols, 1.0f, l->w, l->cols, l->col,
                        1, 1.0f, l->y, 1);
            break;
        }
        default: break;
        }
        x = l->y;
        xs = l->ys;
    }
}

