/* cmd_bench_nn.c — `gbac bench nn`: the neural runtime's kernel families, weight types and
 * kernel paths side by side with an OpenBLAS reference path (bench_nn_blas.c), on the shapes
 * the models use, with the core's measured limits (FMA peak, L2 streaming rate) beside them.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_nn_blas.h"
#include "gb_bench.h"
#include "gb_cli.h"

void openblas_set_num_threads(int num_threads); /* OpenBLAS extension, not in cblas.h */

enum { SHAPE_DENSE, SHAPE_MLP, SHAPE_GRU, SHAPE_CONV, SHAPE_COUNT };
static const char *const shape_names[SHAPE_COUNT] = {"dense64_tanh", "mlp16_128_128_64",
                                                      "gru8_64", "conv1d16_k3"};

typedef struct case_ {
    int shape, batch;
} case_t;
static const case_t cases[] = {
    {SHAPE_DENSE, 1}, {SHAPE_MLP, 1}, {SHAPE_MLP, 8}, {SHAPE_GRU, 1}, {SHAPE_CONV, 1},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

/* One way to run a case: a family with a weight type and a kernel path, or OpenBLAS. */
typedef struct variant {
    int blas; /* the OpenBLAS reference path */
    gb_simd_t fam;
    gb_nn_wtype_t wt;
    gb_nn_path_t path;
    char label[32]; /* the JSON "kernel": the family name alone for f32 on the v2 path */
} variant_t;
#define MAX_VARIANTS (3 * GB_SIMD_COUNT + 1)

/* The core's limits, measured in this run. */
typedef struct probes {
    double peak[GB_SIMD_COUNT];      /* f32 multiply-adds per ns (FMA probe) */
    double peak_bf16[GB_SIMD_COUNT]; /* with vdpbf16ps (0: the family has none) */
    double l2;                       /* bytes per ns streamed from a buffer in L2 */
} probes_t;

#define L2_PROBE_BYTES (192 * 1024) /* more than any L1 data cache, less than any L2 */

/* Every family this CPU runs: f32 on both paths (one f32 row for avx512bf16: its f32 code is
 * avx512's), bf16, then OpenBLAS. */
static int variants(variant_t *v)
{
    int n = 0;
    for (int f = 0; f < GB_SIMD_COUNT; f++) {
        if (!gb_nn_kernels_for((gb_simd_t)f))
            continue;
        const char *nm = gb_simd_name((gb_simd_t)f);
        const int f32 = f != GB_SIMD_AVX512BF16, v1 = f32 && f != GB_SIMD_SCALAR;
        if (f32) {
            v[n] = (variant_t){0, (gb_simd_t)f, GB_NN_WTYPE_F32, GB_NN_PATH_V2, ""};
            snprintf(v[n++].label, sizeof v->label, "%s", nm);
        }
        if (v1) {
            v[n] = (variant_t){0, (gb_simd_t)f, GB_NN_WTYPE_F32, GB_NN_PATH_V1, ""};
            snprintf(v[n++].label, sizeof v->label, "%s-v1", nm);
        }
        v[n] = (variant_t){0, (gb_simd_t)f, GB_NN_WTYPE_BF16, GB_NN_PATH_V2, ""};
        snprintf(v[n++].label, sizeof v->label, "%s-bf16", nm);
    }
    v[n] = (variant_t){1, GB_SIMD_SCALAR, GB_NN_WTYPE_F32, GB_NN_PATH_V2, "openblas"};
    return n + 1;
}

static gb_nn_t *build(int shape, int batch, gb_nn_wtype_t wt)
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
    rc = rc ? rc : gb_nn_set_wtype(nn, -1, wt, &err);
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

/* Multiply-adds and bytes of weights (biases included) one frame reads. */
static void shape_cost(const gb_nn_t *nn, double *macs, double *bytes)
{
    *macs = *bytes = 0;
    for (int i = 0; i < gb_nn_n_layers(nn); i++) {
        gb_layer_info_t li;
        gb_param_info_t pi;
        gb_nn_layer_info(nn, i, &li);
        for (int p = 0; gb_nn_param_info(nn, i, p, &pi) == GB_OK; p++) {
            const int matrix = pi.ndim > 1;
            *macs += matrix ? (double)pi.count : 0;
            *bytes += (double)pi.count * (matrix && li.wtype == GB_NN_WTYPE_BF16 ? 2 : 4);
        }
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
    gb_blas_forward(c->blas, c->in, c->batch);
}

typedef struct probe_ctx {
    const gb_nn_kernels_t *k;
    const float *buf;
    int bf16;
    volatile float sink;
} probe_ctx_t;

static void run_probe(void *p)
{
    probe_ctx_t *c = p;
    c->sink = c->bf16 ? c->k->bf16_probe(1000) : c->k->fma_probe(1000);
}

static void run_stream(void *p)
{
    probe_ctx_t *c = p;
    c->sink = c->k->stream_probe(c->buf, L2_PROBE_BYTES / sizeof(float));
}

static void measure_probes(probes_t *pr, int samples)
{
    memset(pr, 0, sizeof *pr);
    const gb_nn_kernels_t *widest = NULL;
    for (int f = 0; f < GB_SIMD_COUNT; f++) {
        probe_ctx_t c = {.k = gb_nn_kernels_for((gb_simd_t)f)};
        if (!c.k)
            continue;
        pr->peak[f] = 1000.0 * c.k->fma_per_iter * c.k->lanes /
                      gb_bench_median_ns(run_probe, &c, samples);
        if (c.k->bf16_probe) {
            c.bf16 = 1;
            pr->peak_bf16[f] = 2000.0 * c.k->bf16_per_iter * c.k->lanes /
                               gb_bench_median_ns(run_probe, &c, samples);
        }
        widest = c.k->lanes >= (widest ? widest->lanes : 0) ? c.k : widest;
    }
    float *buf = aligned_alloc(64, L2_PROBE_BYTES);
    if (!buf || !widest)
        return;
    for (size_t i = 0; i < L2_PROBE_BYTES / sizeof(float); i++)
        buf[i] = (float)(i % 7);
    probe_ctx_t c = {.k = widest, .buf = buf};
    pr->l2 = L2_PROBE_BYTES / gb_bench_median_ns(run_stream, &c, samples);
    free(buf);
}

/* Median ns per frame of every variant on one case (-1 where it cannot run). */
static int measure_case(const case_t *cs, const variant_t *v, int nv, int samples, double *ns,
                        double *macs, double bytes[GB_NN_WTYPE_COUNT])
{
    gb_nn_t *nn[GB_NN_WTYPE_COUNT];
    for (int t = 0; t < GB_NN_WTYPE_COUNT; t++)
        nn[t] = build(cs->shape, cs->batch, (gb_nn_wtype_t)t);
    if (!nn[0] || !nn[1]) {
        gb_nn_free(nn[0]);
        gb_nn_free(nn[1]);
        return -1;
    }
    for (int t = 0; t < GB_NN_WTYPE_COUNT; t++)
        shape_cost(nn[t], macs, &bytes[t]);
    run_ctx_t ctx = {.batch = cs->batch};
    const int in = gb_nn_in_dim(nn[0]);
    ctx.in = calloc((size_t)cs->batch * in, sizeof(float));
    ctx.out = calloc((size_t)cs->batch * gb_nn_out_dim(nn[0]), sizeof(float));
    for (int i = 0; i < cs->batch * in; i++)
        ctx.in[i] = (float)((i * 37) % 19) / 19.0f - 0.5f;
    for (int k = 0; k < nv; k++) {
        ns[k] = -1.0;
        ctx.nn = nn[v[k].wt];
        if (v[k].blas) {
            blas_model_t bm;
            gb_blas_build(&bm, nn[0]);
            ctx.blas = &bm;
            ns[k] = gb_bench_median_ns(run_blas, &ctx, samples) / cs->batch;
            gb_blas_free(&bm);
        } else if (gb_nn_set_simd(ctx.nn, v[k].fam, NULL) == GB_OK &&
                   gb_nn_set_path(ctx.nn, v[k].path, NULL) == GB_OK) {
            gb_nn_reset(ctx.nn);
            ns[k] = gb_bench_median_ns(run_nn, &ctx, samples) / cs->batch;
        }
    }
    free(ctx.in);
    free(ctx.out);
    gb_nn_free(nn[0]);
    gb_nn_free(nn[1]);
    return 0;
}

/* ---- report --------------------------------------------------------------------------- */

typedef struct results {
    variant_t v[MAX_VARIANTS];
    int nv;
    probes_t pr;
    double ns[N_CASES][MAX_VARIANTS];
    double macs[N_CASES], bytes[N_CASES][GB_NN_WTYPE_COUNT];
} results_t;

/* The limit a variant is held to: its family's FMA peak, or vdpbf16ps's for bf16 weights
 * on a family that has it; OpenBLAS: the fastest f32 family's. */
static double variant_peak(const results_t *r, const variant_t *v)
{
    if (v->blas) {
        double best = 0;
        for (int f = 0; f < GB_SIMD_COUNT; f++)
            best = r->pr.peak[f] > best ? r->pr.peak[f] : best;
        return best;
    }
    if (v->wt == GB_NN_WTYPE_BF16 && r->pr.peak_bf16[v->fam] > 0)
        return r->pr.peak_bf16[v->fam];
    return r->pr.peak[v->fam];
}

/* Index of the variant labelled `label`, or -1. */
static int find_variant(const results_t *r, const char *label)
{
    for (int k = 0; k < r->nv; k++)
        if (strcmp(r->v[k].label, label) == 0)
            return k;
    return -1;
}

/* The baseline "start": the default family's f32 product on the v1 path, i.e. what this
 * benchmark measured before issue 14 (avx512bf16's f32 code is avx512's). */
static int start_variant(const results_t *r, gb_simd_t def)
{
    char label[40];
    snprintf(label, sizeof label, "%s-v1",
             gb_simd_name(def == GB_SIMD_AVX512BF16 ? GB_SIMD_AVX512 : def));
    int k = find_variant(r, label);
    return k >= 0 ? k : find_variant(r, "scalar");
}

static void print_json(const results_t *r)
{
    printf("[");
    const char *sep = "\n";
    for (int c = 0; c < N_CASES; c++)
        for (int k = 0; k < r->nv; k++) {
            if (r->ns[c][k] < 0)
                continue;
            const variant_t *v = &r->v[k];
            const double ns = r->ns[c][k], bytes = r->bytes[c][v->wt] / cases[c].batch;
            printf("%s  {\"shape\": \"%s\", \"kernel\": \"%s\", \"batch\": %d, "
                   "\"ns_per_frame\": %.2f, \"family\": \"%s\", \"weights\": \"%s\", "
                   "\"path\": \"%s\", \"pct_peak\": %.1f, \"pct_l2\": %.1f, "
                   "\"peak_macs_per_ns\": %.1f, \"l2_bytes_per_ns\": %.1f}",
                   sep, shape_names[cases[c].shape], v->label, cases[c].batch, ns,
                   v->blas ? "openblas" : gb_simd_name(v->fam), gb_nn_wtype_name(v->wt),
                   gb_nn_path_name(v->path), 100.0 * r->macs[c] / variant_peak(r, v) / ns,
                   r->pr.l2 > 0 ? 100.0 * bytes / r->pr.l2 / ns : 0.0, variant_peak(r, v),
                   r->pr.l2);
            sep = ",\n";
        }
    printf("\n]\n");
}

static void print_table(const results_t *r, gb_simd_t def, int samples)
{
    printf("gbac bench nn — median ns per frame over %d samples (default family: %s)\n\n",
           samples, gb_simd_name(def));
    printf("probes: f32 multiply-adds per ns (register-only FMAs):");
    for (int f = 0; f < GB_SIMD_COUNT; f++)
        if (r->pr.peak[f] > 0)
            printf(" %s %.1f", gb_simd_name((gb_simd_t)f), r->pr.peak[f]);
    for (int f = 0; f < GB_SIMD_COUNT; f++)
        if (r->pr.peak_bf16[f] > 0)
            printf("; bf16 (vdpbf16ps) %s %.1f", gb_simd_name((gb_simd_t)f), r->pr.peak_bf16[f]);
    printf("\n        streaming a %d KB buffer from L2: %.1f bytes per ns\n\n",
           L2_PROBE_BYTES / 1024, r->pr.l2);
    const int s0 = start_variant(r, def);
    printf("%-18s %5s  %-16s %9s %9s %9s %9s %7s %6s\n", "shape", "batch", "kernel", "ns/frame",
           "vs start", "vs scalar", "vs blas", "% peak", "% L2");
    const int sc = find_variant(r, "scalar"), bl = find_variant(r, "openblas");
    for (int c = 0; c < N_CASES; c++) {
        for (int k = 0; k < r->nv; k++) {
            const double ns = r->ns[c][k];
            if (ns < 0)
                continue;
            const variant_t *v = &r->v[k];
            const double bytes = r->bytes[c][v->wt] / cases[c].batch;
            printf("%-18s %5d  %-16s %9.1f %8.2fx %8.2fx %8.2fx %6.0f%% %5.0f%%\n",
                   shape_names[cases[c].shape], cases[c].batch, v->label, ns,
                   r->ns[c][s0] / ns, r->ns[c][sc] / ns, r->ns[c][bl] / ns,
                   100.0 * r->macs[c] / variant_peak(r, v) / ns,
                   r->pr.l2 > 0 ? 100.0 * bytes / r->pr.l2 / ns : 0.0);
        }
        printf("\n");
    }
    printf("start = %s (the f32 kernels as before issue 14); speed-ups > 1 are faster.\n"
           "%% peak: multiply-adds per frame over the probe's peak rate for that kernel (bf16\n"
           "on vdpbf16ps: its own peak); %% L2: bytes of weights per frame over the L2 streaming\n"
           "rate — near 100%% a single frame is bound by streaming its weights, not by the FMAs.\n",
           r->v[s0].label);
}

int gb_bench_nn(const gb_bench_args_t *a)
{
    const int json = a->json, samples = a->samples;
    gb_error_t err;
    gb_simd_t def;
    if (gb_simd_default(&def, &err)) {
        fprintf(stderr, "gbac bench nn: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    gb_denormals_off();
    openblas_set_num_threads(1);
    results_t *r = calloc(1, sizeof *r);
    if (!r)
        return GB_EXIT_FAIL;
    r->nv = variants(r->v);
    measure_probes(&r->pr, samples);
    for (int c = 0; c < N_CASES; c++)
        if (measure_case(&cases[c], r->v, r->nv, samples, r->ns[c], &r->macs[c], r->bytes[c])) {
            free(r);
            return GB_EXIT_FAIL;
        }
    if (json)
        print_json(r);
    else
        print_table(r, def, samples);
    free(r);
    return GB_EXIT_OK;
}
