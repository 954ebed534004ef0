/* cmd_bench_nn.c — `gbac bench nn`: the neural runtime's kernel families side by side with
 * an OpenBLAS reference path (cblas_sgemv / cblas_sgemm for the matrix part, the same fast
 * activations), on the shapes the models use.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_bench.h"
#include "gb_cli.h"
#include "gb_nn.h"
#include "gb_nn_kernels.h"

void openblas_set_num_threads(int num_threads); /* OpenBLAS extension, not in cblas.h */

enum { SHAPE_DENSE, SHAPE_MLP, SHAPE_GRU, SHAPE_CONV, SHAPE_COUNT };
static const char *const shape_names[SHAPE_COUNT] = {"dense64_tanh", "mlp16_128_128_64",
                                                      "gru8_64", "conv1d16_k3"};
/* Multiply-adds per frame of each shape, for the "% of peak" column. */
static const double shape_macs[SHAPE_COUNT] = {64.0 * 64, 16.0 * 128 + 128.0 * 128 + 128.0 * 64,
                                               3.0 * 64 * (8 + 64), 16.0 * 16 * 3};
#define KERNEL_OPENBLAS GB_SIMD_COUNT /* pseudo family index for the reference path */

typedef struct case_ {
    int shape, batch;
} case_t;
static const case_t cases[] = {
    {SHAPE_DENSE, 1}, {SHAPE_MLP, 1}, {SHAPE_MLP, 8}, {SHAPE_GRU, 1}, {SHAPE_CONV, 1},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static gb_nn_t *build(int shape, int batch)
{
    gb_error_t err;
    gb_nn_t *nn = NULL;
    int rc = 0;
    switch (shape) {
    case SHAPE_DENSE:
        nn = gb_nn_new(64, batch, &err);
        rc = nn ? gb_nn_add_dense(nn, 64, gb_act_make(GB_ACT_TANH), &err) : -1;
        break;
    case SHAPE_MLP:
        nn = gb_nn_new(16, batch, &err);
        rc = nn ? gb_nn_add_dense(nn, 128, gb_act_make(GB_ACT_RELU), &err) : -1;
        rc = rc ? rc : gb_nn_add_dense(nn, 128, gb_act_make(GB_ACT_RELU), &err);
        rc = rc ? rc : gb_nn_add_dense(nn, 64, gb_act_make(GB_ACT_LINEAR), &err);
        break;
    case SHAPE_GRU:
        nn = gb_nn_new(8, batch, &err);
        rc = nn ? gb_nn_add_gru(nn, 64, &err) : -1;
        break;
    case SHAPE_CONV:
        nn = gb_nn_new(16, batch, &err);
        rc = nn ? gb_nn_add_conv1d(nn, 16, 3, 1, gb_act_make(GB_ACT_LINEAR), &err) : -1;
        break;
    }
    rc = rc ? rc : gb_nn_finalize(nn, &err);
    if (rc) {
        fprintf(stderr, "gbac bench nn: %s\n", err.msg);
        gb_nn_free(nn);
        return NULL;
    }
    /* Small random weights (fixed seed) so activations stay in their interesting range. */
    unsigned s = 12345u;
    for (int l = 0; l < gb_nn_n_layers(nn); l++) {
        gb_param_info_t pi;
        for (int p = 0; gb_nn_param_info(nn, l, p, &pi) == GB_OK; p++) {
            float *w = malloc(sizeof *w * pi.count);
            for (size_t i = 0; i < pi.count; i++) {
                s = s * 1664525u + 1013904223u;
                w[i] = ((float)(s >> 8) / 16777216.0f - 0.5f) * 0.4f;
            }
            gb_nn_set_param(nn, l, pi.name, w, pi.count, NULL);
            free(w);
        }
    }
    return nn;
}

/* ---- the OpenBLAS reference path ------------------------------------------------------ */

typedef struct blas_layer {
    gb_layer_info_t info;
    float *w, *w2, *b, *b2; /* row-major canonical (conv: [out][k·in + c] im2col order) */
    float *y, *g1, *g2, *col, *hist;
    int ys, cols, pos;
} blas_layer_t;

typedef struct blas_model {
    int n, in, batch;
    blas_layer_t l[4];
    const gb_nn_kernels_t *k; /* for the activations: the default family's */
} blas_model_t;

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

static void blas_build(blas_model_t *m, const gb_nn_t *nn)
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

static void blas_free(blas_model_t *m)
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
static void blas_forward(blas_model_t *m, const float *in, int batch)
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

/* ---- timing --------------------------------------------------------------------------- */

typedef struct run_ctx {
    gb_nn_t *nn;
    blas_model_t *blas;
    float *in, *out;
    int batch;
} run_ctx_t;

static void run_nn(void *p)
{
    run_ctx_t *c = p;
    gb_nn_forward(c->nn, c->in, c->out, c->batch);
}

static void run_blas(void *p)
{
    run_ctx_t *c = p;
    blas_forward(c->blas, c->in, c->batch);
}

typedef struct probe_ctx {
    const gb_nn_kernels_t *k;
    volatile float sink;
} probe_ctx_t;

static void run_probe(void *p)
{
    probe_ctx_t *c = p;
    c->sink = c->k->fma_probe(1000);
}

/* Peak float multiply-adds per ns of a family, from its register-only FMA probe. */
static double peak_macs_per_ns(const gb_nn_kernels_t *k, int samples)
{
    probe_ctx_t c = {.k = k};
    double ns = gb_bench_median_ns(run_probe, &c, samples);
    return 1000.0 * k->fma_per_iter * k->lanes / ns;
}

/* Median ns per frame of every case (rows) and kernel family (columns, the last one
 * OpenBLAS); -1 where a family is missing. Returns 0 or -1. */
static int measure(int samples, double ns[N_CASES][GB_SIMD_COUNT + 1])
{
    for (int c = 0; c < N_CASES; c++) {
        const int batch = cases[c].batch;
        gb_nn_t *nn = build(cases[c].shape, batch);
        if (!nn)
            return -1;
        run_ctx_t ctx = {.nn = nn, .batch = batch};
        ctx.in = calloc((size_t)batch * gb_nn_in_dim(nn), sizeof(float));
        ctx.out = calloc((size_t)batch * gb_nn_out_dim(nn), sizeof(float));
        for (int i = 0; i < batch * gb_nn_in_dim(nn); i++)
            ctx.in[i] = (float)((i * 37) % 19) / 19.0f - 0.5f;
        for (int k = 0; k <= GB_SIMD_COUNT; k++) {
            ns[c][k] = -1.0;
            if (k == KERNEL_OPENBLAS) {
                blas_model_t bm;
                blas_build(&bm, nn);
                ctx.blas = &bm;
                ns[c][k] = gb_bench_median_ns(run_blas, &ctx, samples) / batch;
                blas_free(&bm);
            } else if (gb_nn_set_simd(nn, (gb_simd_t)k, NULL) == GB_OK) {
                gb_nn_reset(nn);
                ns[c][k] = gb_bench_median_ns(run_nn, &ctx, samples) / batch;
            }
        }
        free(ctx.in);
        free(ctx.out);
        gb_nn_free(nn);
    }
    return 0;
}

static const char *kernel_name(int k)
{
    return k == KERNEL_OPENBLAS ? "openblas" : gb_simd_name((gb_simd_t)k);
}

static void print_json(double ns[N_CASES][GB_SIMD_COUNT + 1])
{
    printf("[");
    const char *sep = "\n";
    for (int c = 0; c < N_CASES; c++)
        for (int k = 0; k <= GB_SIMD_COUNT; k++)
            if (ns[c][k] >= 0) {
                printf("%s  {\"shape\": \"%s\", \"kernel\": \"%s\", \"batch\": %d, "
                       "\"ns_per_frame\": %.2f}",
                       sep, shape_names[cases[c].shape], kernel_name(k), cases[c].batch,
                       ns[c][k]);
                sep = ",\n";
            }
    printf("\n]\n");
}

static void print_table(double ns[N_CASES][GB_SIMD_COUNT + 1], const double *peak, int samples,
                        gb_simd_t def)
{
    printf("gbac bench nn — median ns per frame over %d samples (default family: %s)\n\n",
           samples, gb_simd_name(def));
    printf("peak multiply-adds per ns (register-only FMA probe):");
    for (int k = 0; k < GB_SIMD_COUNT; k++)
        if (peak[k] > 0)
            printf(" %s %.1f", gb_simd_name((gb_simd_t)k), peak[k]);
    printf("\n\n%-18s %5s  %-9s %12s %12s %12s %8s\n", "shape", "batch", "kernel", "ns/frame",
           "vs scalar", "vs openblas", "% peak");
    for (int c = 0; c < N_CASES; c++) {
        for (int k = 0; k <= GB_SIMD_COUNT; k++) {
            if (ns[c][k] < 0)
                continue;
            const double pct = 100.0 * shape_macs[cases[c].shape] / peak[k] / ns[c][k];
            printf("%-18s %5d  %-9s %12.1f %11.2fx %11.2fx %7.0f%%\n",
                   shape_names[cases[c].shape], cases[c].batch, kernel_name(k), ns[c][k],
                   ns[c][GB_SIMD_SCALAR] / ns[c][k], ns[c][KERNEL_OPENBLAS] / ns[c][k], pct);
        }
    }
    printf("\n(speed-up columns: how many times faster than scalar / OpenBLAS; > 1 is faster)\n");
}

int gb_bench_nn(const gb_bench_args_t *a)
{
    gb_error_t err;
    gb_simd_t def;
    if (gb_simd_default(&def, &err)) {
        fprintf(stderr, "gbac bench nn: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    gb_denormals_off();
    openblas_set_num_threads(1);
    double peak[GB_SIMD_COUNT + 1] = {0};
    for (int k = 0; k < GB_SIMD_COUNT; k++) {
        const gb_nn_kernels_t *kt = gb_nn_kernels_for((gb_simd_t)k);
        peak[k] = kt ? peak_macs_per_ns(kt, a->samples) : 0.0;
        peak[KERNEL_OPENBLAS] = peak[k] > peak[KERNEL_OPENBLAS] ? peak[k] : peak[KERNEL_OPENBLAS];
    }
    double ns[N_CASES][GB_SIMD_COUNT + 1];
    if (measure(a->samples, ns) < 0)
        return GB_EXIT_FAIL;
    if (a->json)
        print_json(ns);
    else
        print_table(ns, peak, a->samples, def);
    return GB_EXIT_OK;
}
