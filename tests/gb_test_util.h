/* gb_test_util.h — helpers shared by the tests of the neural runtime: a seeded RNG, the list of
 * kernel families this CPU runs, a builder that gives a model random weights and keeps the
 * canonical copy, and a double-precision reference written straight from the formulas in
 * gb_nn.h (whole sequences, PyTorch semantics), independent of the runtime's code.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Nothing here needs cmocka, so the cost probe (a plain program run under valgrind) can use
 * it too. Functions return 0 / negative and print what went wrong on stderr.
 */
#ifndef GB_TEST_UTIL_H
#define GB_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_bf16.h"
#include "gb_nn.h"
#include "gb_simd.h"

/* ---------------------------------------------------------------- RNG (splitmix64) */

typedef struct gb_rng {
    uint64_t s;
} gb_rng_t;

static inline gb_rng_t gb_rng_seed(uint64_t seed)
{
    gb_rng_t r = {seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull};
    return r;
}

static inline uint64_t gb_rng_u64(gb_rng_t *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/** Uniform in [0, 1). */
static inline double gb_rng_unit(gb_rng_t *r)
{
    return (double)(gb_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

static inline double gb_rng_uniform(gb_rng_t *r, double lo, double hi)
{
    return lo + (hi - lo) * gb_rng_unit(r);
}

/** Standard normal (Box–Muller). */
static inline double gb_rng_normal(gb_rng_t *r)
{
    double u1 = gb_rng_unit(r), u2 = gb_rng_unit(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static inline int gb_rng_int(gb_rng_t *r, int n) /* 0 .. n-1 */
{
    return (int)(gb_rng_u64(r) % (uint64_t)n);
}

static inline void gb_fill_uniform(gb_rng_t *r, float *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)gb_rng_uniform(r, lo, hi);
}

static inline void gb_fill_normal(gb_rng_t *r, float *x, size_t n, double sigma)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(sigma * gb_rng_normal(r));
}

/* ---------------------------------------------------------------- kernel families */

/** Families this binary and CPU run, scalar first. Returns how many. */
static inline int gb_test_families(gb_simd_t out[GB_SIMD_COUNT])
{
    int n = 0;
    for (int s = 0; s < GB_SIMD_COUNT; s++)
        if (gb_simd_available((gb_simd_t)s))
            out[n++] = (gb_simd_t)s;
    return n;
}

/* ---------------------------------------------------------------- test models */

#define GB_TEST_MAX_LAYERS 8
#define GB_TEST_MAX_PARAMS 4

/** One layer of a test model: what to add, and (after gb_tmodel_build) its canonical
 *  parameters as set with gb_nn_set_param. */
typedef struct gb_tlayer {
    gb_layer_kind_t kind;
    int out; /* dense / conv1d outputs, GRU hidden; ignored by act layers */
    int kernel, dilation;
    gb_act_t act;
    /* filled by gb_tmodel_build */
    int in;
    int np;
    char name[GB_TEST_MAX_PARAMS][16];
    float *p[GB_TEST_MAX_PARAMS];
    size_t n[GB_TEST_MAX_PARAMS];
} gb_tlayer_t;

typedef struct gb_tmodel {
    gb_nn_t *nn;
    int in_dim, out_dim, max_batch, n;
    gb_nn_wtype_t wtype; /* of every layer with weights */
    gb_tlayer_t l[GB_TEST_MAX_LAYERS];
} gb_tmodel_t;

static inline gb_tlayer_t gb_tl_dense(int out, gb_act_t act)
{
    gb_tlayer_t l = {.kind = GB_LAYER_DENSE, .out = out, .act = act};
    return l;
}

static inline gb_tlayer_t gb_tl_conv(int out, int kernel, int dilation, gb_act_t act)
{
    gb_tlayer_t l = {.kind = GB_LAYER_CONV1D, .out = out, .kernel = kernel, .dilation = dilation,
                     .act = act};
    return l;
}

static inline gb_tlayer_t gb_tl_gru(int hidden)
{
    gb_tlayer_t l = {.kind = GB_LAYER_GRU, .out = hidden, .act = {GB_ACT_LINEAR, 0.0f}};
    return l;
}

static inline gb_tlayer_t gb_tl_act(gb_act_t act)
{
    gb_tlayer_t l = {.kind = GB_LAYER_ACT, .act = act};
    return l;
}

static inline gb_act_t gb_act_alpha(gb_act_kind_t kind, float alpha)
{
    gb_act_t a = gb_act_make(kind);
    a.alpha = alpha;
    return a;
}

/** conv1d → gru → dense → act → conv1d → dense → dense(fused softmax) → act(softmax):
 *  every layer kind and every activation kernel in one model (used by the no-allocation and the
 *  constant-cost tests). Returns the number of layers written to l. */
static inline int gb_tl_every_kind(gb_tlayer_t l[GB_TEST_MAX_LAYERS])
{
    l[0] = gb_tl_conv(19, 3, 2, gb_act_make(GB_ACT_ELU));
    l[1] = gb_tl_gru(33);
    l[2] = gb_tl_dense(17, gb_act_make(GB_ACT_LEAKY_RELU));
    l[3] = gb_tl_act(gb_act_make(GB_ACT_SOFTPLUS));
    l[4] = gb_tl_conv(21, 2, 1, gb_act_make(GB_ACT_SIGMOID));
    l[5] = gb_tl_dense(9, gb_act_make(GB_ACT_TANH));
    l[6] = gb_tl_dense(5, gb_act_make(GB_ACT_SOFTMAX));
    l[7] = gb_tl_act(gb_act_make(GB_ACT_SOFTMAX));
    return 8;
}

/** Canonical parameter `name` of a built layer, or NULL. */
static inline const float *gb_tl_param(const gb_tlayer_t *l, const char *name)
{
    for (int p = 0; p < l->np; p++)
        if (strcmp(l->name[p], name) == 0)
            return l->p[p];
    return NULL;
}

static inline void gb_tmodel_free(gb_tmodel_t *tm)
{
    gb_nn_free(tm->nn);
    tm->nn = NULL;
    for (int i = 0; i < tm->n; i++)
        for (int p = 0; p < GB_TEST_MAX_PARAMS; p++) {
            free(tm->l[i].p[p]);
            tm->l[i].p[p] = NULL;
        }
}

/** Build, finalize and fill with random weights (uniform ±wscale/sqrt(fan_in), biases
 *  ±bscale) a model of n layers whose weight matrices are stored as wtype (the canonical
 *  copies keep the f32 values given to gb_nn_set_param). On error prints the runtime's
 *  message and returns it. */
static inline int gb_tmodel_build_wt(gb_tmodel_t *tm, int in_dim, int max_batch,
                                     const gb_tlayer_t *layers, int n, gb_rng_t *rng,
                                     double wscale, double bscale, gb_nn_wtype_t wtype)
{
    gb_error_t err = {0};
    memset(tm, 0, sizeof *tm);
    tm->in_dim = in_dim;
    tm->max_batch = max_batch;
    tm->n = n;
    tm->wtype = wtype;
    tm->nn = gb_nn_new(in_dim, max_batch, &err);
    if (!tm->nn) {
        fprintf(stderr, "gb_nn_new(%d, %d): %s\n", in_dim, max_batch, err.msg);
        return err.code ? err.code : -1;
    }
    int dim = in_dim, rc = 0;
    for (int i = 0; i < n; i++) {
        gb_tlayer_t *l = &tm->l[i];
        *l = layers[i];
        l->in = dim;
        switch (l->kind) {
        case GB_LAYER_DENSE: rc = gb_nn_add_dense(tm->nn, l->out, l->act, &err); break;
        case GB_LAYER_CONV1D:
            rc = gb_nn_add_conv1d(tm->nn, l->out, l->kernel, l->dilation, l->act, &err);
            break;
        case GB_LAYER_GRU: rc = gb_nn_add_gru(tm->nn, l->out, &err); break;
        default:
            l->out = dim;
            rc = gb_nn_add_act(tm->nn, l->act, &err);
            break;
        }
        if (rc < 0) {
            fprintf(stderr, "adding layer %d (%s): %s\n", i, gb_layer_kind_name(l->kind), err.msg);
            return rc;
        }
        dim = l->out;
    }
    tm->out_dim = dim;
    if ((rc = gb_nn_set_wtype(tm->nn, -1, wtype, &err)) < 0 ||
        (rc = gb_nn_finalize(tm->nn, &err)) < 0) {
        fprintf(stderr, "gb_nn_finalize: %s\n", err.msg);
        return rc;
    }
    for (int i = 0; i < n; i++) {
        gb_tlayer_t *l = &tm->l[i];
        gb_layer_info_t li;
        if ((rc = gb_nn_layer_info(tm->nn, i, &li)) < 0)
            return rc;
        if (li.n_params > GB_TEST_MAX_PARAMS)
            return -1;
        l->np = li.n_params;
        for (int p = 0; p < li.n_params; p++) {
            gb_param_info_t pi;
            if ((rc = gb_nn_param_info(tm->nn, i, p, &pi)) < 0)
                return rc;
            snprintf(l->name[p], sizeof l->name[p], "%s", pi.name);
            l->n[p] = pi.count;
            l->p[p] = malloc(pi.count * sizeof(float) + 1);
            if (!l->p[p])
                return -1;
            if (pi.ndim >= 2) {
                int fan = pi.shape[1] * (pi.ndim == 3 ? pi.shape[2] : 1);
                double s = wscale / sqrt((double)fan);
                gb_fill_uniform(rng, l->p[p], pi.count, -s, s);
            } else {
                gb_fill_uniform(rng, l->p[p], pi.count, -bscale, bscale);
            }
            if ((rc = gb_nn_set_param(tm->nn, i, pi.name, l->p[p], pi.count, &err)) < 0) {
                fprintf(stderr, "set_param(%d, %s): %s\n", i, pi.name, err.msg);
                return rc;
            }
        }
    }
    return 0;
}

/** gb_tmodel_build_wt with f32 weights. */
static inline int gb_tmodel_build(gb_tmodel_t *tm, int in_dim, int max_batch,
                                  const gb_tlayer_t *layers, int n, gb_rng_t *rng, double wscale,
                                  double bscale)
{
    return gb_tmodel_build_wt(tm, in_dim, max_batch, layers, n, rng, wscale, bscale,
                              GB_NN_WTYPE_F32);
}

/** Largest fan-in of the model's weight layers (for tolerances that grow with sqrt(fan)). */
static inline int gb_tmodel_max_fan(const gb_tmodel_t *tm)
{
    int fan = 1;
    for (int i = 0; i < tm->n; i++) {
        const gb_tlayer_t *l = &tm->l[i];
        int f = l->kind == GB_LAYER_CONV1D ? l->in * l->kernel
                : l->kind == GB_LAYER_GRU  ? l->in + l->out
                : l->kind == GB_LAYER_DENSE ? l->in
                                             : 1;
        if (f > fan)
            fan = f;
    }
    return fan;
}

/* ---------------------------------------------------------------- double reference */

static inline double gb_ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

static inline double gb_ref_softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/** act applied to v[0 .. n) in place (softmax over the n values). */
static inline void gb_ref_act(gb_act_t act, double *v, int n)
{
    if (act.kind == GB_ACT_SOFTMAX) {
        double m = -INFINITY, s = 0;
        for (int i = 0; i < n; i++)
            m = v[i] > m ? v[i] : m;
        for (int i = 0; i < n; i++)
            s += (v[i] = exp(v[i] - m));
        for (int i = 0; i < n; i++)
            v[i] /= s;
        return;
    }
    for (int i = 0; i < n; i++) {
        double x = v[i];
        switch (act.kind) {
        case GB_ACT_RELU: x = x > 0 ? x : 0; break;
        case GB_ACT_LEAKY_RELU: x = x < 0 ? (double)act.alpha * x : x; break;
        case GB_ACT_TANH: x = tanh(x); break;
        case GB_ACT_SIGMOID: x = gb_ref_sigmoid(x); break;
        case GB_ACT_SOFTPLUS: x = gb_ref_softplus(x); break;
        case GB_ACT_ELU: x = x < 0 ? (double)act.alpha * expm1(x) : x; break;
        default: break;
        }
        v[i] = x;
    }
}

/** How the reference multiplies: q(w)·q(x) with q the identity (f32 layers) or rounding to
 *  the nearest bf16 (bf16 layers: gb_nn.h's arithmetic, products exact). */
static inline double gb_ref_q(double v, int bf16)
{
    return bf16 ? (double)gb_bf16_round((float)v) : v;
}

/** One layer over a whole sequence x[T][l->in] → y[T][l->out], from the formulas of gb_nn.h:
 *  dense per step; causal dilated conv with zeros before t = 0; GRU from h = 0. bf16: the
 *  weights and the inputs of every product rounded to bf16 first. */
static inline void gb_ref_layer_seq_wt(const gb_tlayer_t *l, const double *x, double *y, int T,
                                       int bf16)
{
    const int in = l->in, out = l->out;
#define Q(v) gb_ref_q((v), bf16)
    switch (l->kind) {
    case GB_LAYER_DENSE: {
        const float *W = gb_tl_param(l, "weight"), *b = gb_tl_param(l, "bias");
        for (int t = 0; t < T; t++) {
            for (int o = 0; o < out; o++) {
                double acc = b[o];
                for (int i = 0; i < in; i++)
                    acc += Q(W[(size_t)o * in + i]) * Q(x[(size_t)t * in + i]);
                y[(size_t)t * out + o] = acc;
            }
            gb_ref_act(l->act, y + (size_t)t * out, out);
        }
        break;
    }
    case GB_LAYER_CONV1D: {
        /* y[t] = b + Σ_k W[:,:,k] · x[t-(K-1-k)·d] */
        const float *W = gb_tl_param(l, "weight"), *b = gb_tl_param(l, "bias");
        const int K = l->kernel, d = l->dilation;
        for (int t = 0; t < T; t++) {
            for (int o = 0; o < out; o++) {
                double acc = b[o];
                for (int k = 0; k < K; k++) {
                    int ts = t - (K - 1 - k) * d;
                    if (ts < 0)
                        continue;
                    for (int i = 0; i < in; i++)
                        acc += Q(W[((size_t)o * in + i) * K + k]) * Q(x[(size_t)ts * in + i]);
                }
                y[(size_t)t * out + o] = acc;
            }
            gb_ref_act(l->act, y + (size_t)t * out, out);
        }
        break;
    }
    case GB_LAYER_GRU: {
        const int H = out;
        const float *Wi = gb_tl_param(l, "weight_ih"), *Wh = gb_tl_param(l, "weight_hh");
        const float *bi = gb_tl_param(l, "bias_ih"), *bh = gb_tl_param(l, "bias_hh");
        double *h = calloc((size_t)H, sizeof *h), *gi = malloc(3 * (size_t)H * sizeof *gi);
        double *gh = malloc(3 * (size_t)H * sizeof *gh);
        if (!h || !gi || !gh)
            abort();
        for (int t = 0; t < T; t++) {
            for (int g = 0; g < 3 * H; g++) {
                double a = bi[g], c = bh[g];
                for (int i = 0; i < in; i++)
                    a += Q(Wi[(size_t)g * in + i]) * Q(x[(size_t)t * in + i]);
                for (int j = 0; j < H; j++)
                    c += Q(Wh[(size_t)g * H + j]) * Q(h[j]);
                gi[g] = a;
                gh[g] = c;
            }
            for (int j = 0; j < H; j++) {
                double r = gb_ref_sigmoid(gi[j] + gh[j]);
                double z = gb_ref_sigmoid(gi[H + j] + gh[H + j]);
                double n = tanh(gi[2 * H + j] + r * gh[2 * H + j]);
                h[j] = (1 - z) * n + z * h[j];
                y[(size_t)t * H + j] = h[j];
            }
        }
        free(h);
        free(gi);
        free(gh);
        break;
    }
    default:
        memcpy(y, x, (size_t)T * in * sizeof *y);
        for (int t = 0; t < T; t++)
            gb_ref_act(l->act, y + (size_t)t * in, in);
        break;
    }
#undef Q
}

/** gb_ref_layer_seq_wt with f32 arithmetic. */
static inline void gb_ref_layer_seq(const gb_tlayer_t *l, const double *x, double *y, int T)
{
    gb_ref_layer_seq_wt(l, x, y, T, 0);
}

/** The whole model over one sequence: x[T][in_dim] → y[T][out_dim], in the arithmetic of
 *  its weight type. */
static inline void gb_ref_model_seq(const gb_tmodel_t *tm, const double *x, double *y, int T)
{
    int widest = tm->in_dim;
    for (int i = 0; i < tm->n; i++)
        widest = tm->l[i].out > widest ? tm->l[i].out : widest;
    double *a = malloc((size_t)T * widest * sizeof *a), *b = malloc((size_t)T * widest * sizeof *b);
    if (!a || !b)
        abort();
    memcpy(a, x, (size_t)T * tm->in_dim * sizeof *a);
    for (int i = 0; i < tm->n; i++) {
        gb_ref_layer_seq_wt(&tm->l[i], a, b, T, tm->wtype == GB_NN_WTYPE_BF16);
        double *tmp = a;
        a = b;
        b = tmp;
    }
    memcpy(y, a, (size_t)T * tm->out_dim * sizeof *y);
    free(a);
    free(b);
}

#endif
