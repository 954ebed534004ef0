/* gb_nn.c — the sequential model container: layer bookkeeping, parameter packing,
 * streaming state and the forward pass. The arithmetic is in the gb_kern_*.c families.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_nn.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gb_bf16.h"
#include "gb_fastmath.h"
#include "gb_nn_kernels.h"

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

typedef struct layer {
    gb_layer_kind_t kind;
    int in, out, kernel, dilation;
    gb_act_t act;
    gb_nn_wtype_t wtype;  /* how W is stored (biases are always f32) */
    int ys;               /* output row stride (floats) */
    gb_dense_pack_t pk;   /* dense: W; conv1d: W over the K·in im2col row; gru: W_ih */
    gb_dense_pack_t pk2;  /* gru: W_hh */
    float *w, *b, *w2, *b2;
    uint32_t *wb, *wb2;   /* bf16 layers: the packed pairs of W (and W_hh) */
    /* conv1d streaming: per slot the last span = (K-1)·d + 1 input frames (the current one
     * included) in a mirrored ring of 2·span frames: frame t is written at pos and at
     * pos + span, so the frames t-span+1 .. t always lie contiguously at pos+1 .. pos+span
     * and tap k reads frame pos + 1 + k·d (gb_nn.h's formula, no wrap-around). */
    int span;
    float *hist;          /* max_batch × 2·span × in */
    int *hist_pos;        /* max_batch write positions */
    float *col;           /* max_batch × cs im2col rows */
    int cs;
    /* gru: hidden state (also the layer's output) and the two gate pre-activations */
    float *gi, *gh;       /* max_batch × 3·hp */
    float *pre;           /* a single frame's step: 4·hp pre-activations, then h' (hp) */
    float *y;             /* output rows: max_batch × ys (gru: the hidden state) */
} layer_t;

struct gb_nn {
    int in_dim, max_batch, n_layers, finalized;
    gb_nn_path_t path;
    const gb_nn_kernels_t *k;
    float *xq;            /* scratch rows of the bf16 kernels (max_batch × the widest) */
    layer_t layers[GB_NN_MAX_LAYERS];
};

/* ---- names ---------------------------------------------------------------------------- */

static const char *const act_names[GB_ACT_COUNT] = {
    "linear", "relu", "leaky_relu", "tanh", "sigmoid", "softplus", "elu", "softmax"};
static const char *const layer_names[GB_LAYER_COUNT] = {"dense", "conv1d", "gru", "activation"};
static const char *const wtype_names[GB_NN_WTYPE_COUNT] = {"f32", "bf16"};
static const char *const path_names[GB_NN_PATH_COUNT] = {"v2", "v1"};

const char *gb_nn_wtype_name(gb_nn_wtype_t t)
{
    return (unsigned)t < GB_NN_WTYPE_COUNT ? wtype_names[t] : "?";
}

int gb_nn_wtype_parse(const char *name, gb_nn_wtype_t *out)
{
    for (int i = 0; i < GB_NN_WTYPE_COUNT; i++)
        if (name && strcmp(name, wtype_names[i]) == 0) {
            *out = (gb_nn_wtype_t)i;
            return GB_OK;
        }
    return GB_EINVAL;
}

const char *gb_nn_path_name(gb_nn_path_t p)
{
    return (unsigned)p < GB_NN_PATH_COUNT ? path_names[p] : "?";
}

const char *gb_act_name(gb_act_kind_t kind)
{
    return (unsigned)kind < GB_ACT_COUNT ? act_names[kind] : "?";
}

int gb_act_parse(const char *name, gb_act_kind_t *out)
{
    for (int i = 0; i < GB_ACT_COUNT; i++)
        if (name && strcmp(name, act_names[i]) == 0) {
            *out = (gb_act_kind_t)i;
            return GB_OK;
        }
    return GB_EINVAL;
}

gb_act_t gb_act_make(gb_act_kind_t kind)
{
    gb_act_t a = {kind, 0.0f};
    if (kind == GB_ACT_LEAKY_RELU)
        a.alpha = 0.01f;
    else if (kind == GB_ACT_ELU)
        a.alpha = 1.0f;
    return a;
}

const char *gb_layer_kind_name(gb_layer_kind_t kind)
{
    return (unsigned)kind < GB_LAYER_COUNT ? layer_names[kind] : "?";
}

const gb_nn_kernels_t *gb_nn_kernels_for(gb_simd_t simd)
{
    if (!gb_simd_available(simd))
        return NULL;
    switch (simd) {
    case GB_SIMD_SCALAR: return gb_nn_kernels_scalar();
    case GB_SIMD_AVX2: return gb_nn_kernels_avx2();
    case GB_SIMD_AVX512: return gb_nn_kernels_avx512();
    case GB_SIMD_AVX512BF16: return gb_nn_kernels_avx512bf16();
    case GB_SIMD_NEON: return gb_nn_kernels_neon();
    default: return NULL;
    }
}

/* Declared in gb_fastmath.h: the kernels' array exp, for code outside the runtime. */
gb_fast_exp_array_fn gb_fast_exp_array_for(gb_simd_t simd)
{
    const gb_nn_kernels_t *k = gb_nn_kernels_for(simd);
    return k ? k->exp_any : NULL;
}

#if !defined(GB_HAVE_X86_KERNELS)
const gb_nn_kernels_t *gb_nn_kernels_avx2(void) { return NULL; }
const gb_nn_kernels_t *gb_nn_kernels_avx512(void) { return NULL; }
const gb_nn_kernels_t *gb_nn_kernels_avx512bf16(void) { return NULL; }
#endif
#if !defined(GB_HAVE_NEON_KERNELS)
const gb_nn_kernels_t *gb_nn_kernels_neon(void) { return NULL; }
#endif

/* ---- construction --------------------------------------------------------------------- */

static int stride16(int n) { return GB_ROUND_UP(n, GB_NN_BLK); }

static float *falloc(size_t n)
{
    size_t bytes = GB_ROUND_UP(n * sizeof(float), GB_ALIGN);
    float *p = aligned_alloc(GB_ALIGN, bytes ? bytes : GB_ALIGN);
    if (p)
        memset(p, 0, bytes ? bytes : GB_ALIGN);
    return p;
}

gb_nn_t *gb_nn_new(int in_dim, int max_batch, gb_error_t *err)
{
    if (in_dim < 1 || in_dim > GB_NN_MAX_DIM) {
        gb_error_set(err, GB_ERANGE, "input size %d is outside 1..%d", in_dim, GB_NN_MAX_DIM);
        return NULL;
    }
    if (max_batch < 1 || max_batch > GB_NN_MAX_BATCH) {
        gb_error_set(err, GB_ERANGE, "batch size %d is outside 1..%d", max_batch,
                     GB_NN_MAX_BATCH);
        return NULL;
    }
    gb_nn_t *nn = calloc(1, sizeof *nn);
    if (!nn) {
        gb_error_set(err, GB_ENOMEM, "out of memory for a model");
        return NULL;
    }
    nn->in_dim = in_dim;
    nn->max_batch = max_batch;
    return nn;
}

void gb_nn_free(gb_nn_t *nn)
{
    if (!nn)
        return;
    for (int i = 0; i < nn->n_layers; i++) {
        layer_t *l = &nn->layers[i];
        free(l->w);
        free(l->b);
        free(l->w2);
        free(l->b2);
        free(l->wb);
        free(l->wb2);
        free(l->hist);
        free(l->hist_pos);
        free(l->col);
        free(l->gi);
        free(l->gh);
        free(l->pre);
        free(l->y);
    }
    free(nn->xq);
    free(nn);
}

static int last_out(const gb_nn_t *nn)
{
    return nn->n_layers ? nn->layers[nn->n_layers - 1].out : nn->in_dim;
}

static layer_t *push_layer(gb_nn_t *nn, gb_layer_kind_t kind, int out, gb_error_t *err)
{
    if (!nn) {
        gb_error_set(err, GB_EINVAL, "no model");
        return NULL;
    }
    if (nn->finalized) {
        gb_error_set(err, GB_EINVAL, "layers cannot be added after the model is finalized");
        return NULL;
    }
    if (nn->n_layers >= GB_NN_MAX_LAYERS) {
        gb_error_set(err, GB_ERANGE, "too many layers (at most %d)", GB_NN_MAX_LAYERS);
        return NULL;
    }
    if (out < 1 || out > GB_NN_MAX_DIM) {
        gb_error_set(err, GB_ERANGE, "layer %d (%s): size %d is outside 1..%d", nn->n_layers,
                     gb_layer_kind_name(kind), out, GB_NN_MAX_DIM);
        return NULL;
    }
    layer_t *l = &nn->layers[nn->n_layers];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->in = last_out(nn);
    l->out = out;
    l->act = gb_act_make(GB_ACT_LINEAR);
    return l;
}

static int check_act(const gb_nn_t *nn, gb_act_t act, gb_error_t *err)
{
    if ((unsigned)act.kind >= GB_ACT_COUNT)
        return gb_error_set(err, GB_EINVAL, "layer %d: unknown activation %d", nn->n_layers,
                            (int)act.kind);
    if (!isfinite(act.alpha) || fabsf(act.alpha) > 1e6f)
        return gb_error_set(err, GB_ERANGE, "layer %d: activation alpha %g is not a sane number",
                            nn->n_layers, (double)act.alpha);
    return GB_OK;
}

int gb_nn_add_dense(gb_nn_t *nn, int out, gb_act_t act, gb_error_t *err)
{
    layer_t *l = push_layer(nn, GB_LAYER_DENSE, out, err);
    if (!l)
        return err ? err->code : GB_EINVAL;
    int rc = check_act(nn, act, err);
    if (rc)
        return rc;
    l->act = act;
    nn->n_layers++;
    return GB_OK;
}

int gb_nn_add_conv1d(gb_nn_t *nn, int out_ch, int kernel, int dilation, gb_act_t act,
                     gb_error_t *err)
{
    layer_t *l = push_layer(nn, GB_LAYER_CONV1D, out_ch, err);
    if (!l)
        return err ? err->code : GB_EINVAL;
    int rc = check_act(nn, act, err);
    if (rc)
        return rc;
    if (kernel < 1 || dilation < 1 || (long)(kernel - 1) * dilation + 1 > GB_NN_MAX_FIELD)
        return gb_error_set(err, GB_ERANGE,
                            "layer %d (conv1d): kernel %d, dilation %d: both must be >= 1 and "
                            "the receptive field (kernel-1)*dilation+1 at most %d",
                            nn->n_layers, kernel, dilation, GB_NN_MAX_FIELD);
    if ((long)kernel * l->in > GB_NN_MAX_DIM * 4L)
        return gb_error_set(err, GB_ERANGE, "layer %d (conv1d): kernel %d × %d channels is too "
                            "large (at most %d)", nn->n_layers, kernel, l->in, GB_NN_MAX_DIM * 4);
    l->kernel = kernel;
    l->dilation = dilation;
    l->act = act;
    nn->n_layers++;
    return GB_OK;
}

int gb_nn_add_gru(gb_nn_t *nn, int hidden, gb_error_t *err)
{
    layer_t *l = push_layer(nn, GB_LAYER_GRU, hidden, err);
    if (!l)
        return err ? err->code : GB_EINVAL;
    nn->n_layers++;
    return GB_OK;
}

int gb_nn_add_act(gb_nn_t *nn, gb_act_t act, gb_error_t *err)
{
    layer_t *l = push_layer(nn, GB_LAYER_ACT, last_out(nn), err);
    if (!l)
        return err ? err->code : GB_EINVAL;
    int rc = check_act(nn, act, err);
    if (rc)
        return rc;
    l->act = act;
    nn->n_layers++;
    return GB_OK;
}

/* Allocate the packed weights of a dense-like product with `sec` sections of `rows` outputs
 * each (GRU: 3 gates), every section padded to a multiple of 16 rows, stored as t. */
static int alloc_pack(gb_dense_pack_t *pk, float **w, uint32_t **wb, float **b, int in, int sec,
                      int rows, gb_nn_wtype_t t)
{
    int hp = stride16(rows);
    pk->in = in;
    pk->nblk = sec * hp / GB_NN_BLK;
    if (t == GB_NN_WTYPE_BF16) /* words of two bf16; falloc's floats have the same size */
        pk->wb = *wb = (uint32_t *)falloc((size_t)sec * hp * (size_t)((in + 1) / 2));
    else
        pk->w = *w = falloc((size_t)sec * hp * in);
    *b = falloc((size_t)sec * hp);
    pk->b = *b;
    return (pk->w || pk->wb) && *b ? GB_OK : GB_ENOMEM;
}

static int alloc_layer(gb_nn_t *nn, layer_t *l, size_t *xq_row)
{
    const size_t mb = (size_t)nn->max_batch;
    const int bf = l->wtype == GB_NN_WTYPE_BF16;
    switch (l->kind) {
    case GB_LAYER_DENSE:
        if (alloc_pack(&l->pk, &l->w, &l->wb, &l->b, l->in, 1, l->out, l->wtype))
            return GB_ENOMEM;
        break;
    case GB_LAYER_CONV1D:
        if (alloc_pack(&l->pk, &l->w, &l->wb, &l->b, l->kernel * l->in, 1, l->out, l->wtype))
            return GB_ENOMEM;
        l->span = (l->kernel - 1) * l->dilation + 1;
        l->cs = stride16(l->kernel * l->in);
        l->col = falloc(mb * l->cs);
        l->hist = falloc(mb * 2 * (size_t)l->span * l->in);
        l->hist_pos = calloc(mb, sizeof *l->hist_pos);
        if (!l->col || !l->hist || !l->hist_pos)
            return GB_ENOMEM;
        break;
    case GB_LAYER_GRU:
        if (alloc_pack(&l->pk, &l->w, &l->wb, &l->b, l->in, 3, l->out, l->wtype) ||
            alloc_pack(&l->pk2, &l->w2, &l->wb2, &l->b2, l->out, 3, l->out, l->wtype))
            return GB_ENOMEM;
        l->gi = falloc(mb * 3 * stride16(l->out));
        l->gh = falloc(mb * 3 * stride16(l->out));
        l->pre = falloc(5 * (size_t)stride16(l->out));
        if (!l->gi || !l->gh || !l->pre)
            return GB_ENOMEM;
        break;
    default: break;
    }
    if (bf) { /* the widest input any of its products rounds into the scratch rows (a
               * single-frame GRU step rounds x and h side by side) */
        size_t w = GB_NN_XQ_STRIDE(l->pk.in);
        if (l->kind == GB_LAYER_GRU)
            w += GB_NN_XQ_STRIDE(l->out);
        *xq_row = w > *xq_row ? w : *xq_row;
    }
    l->ys = stride16(l->out);
    l->y = falloc(mb * l->ys);
    return l->y ? GB_OK : GB_ENOMEM;
}

/* GBAC_NN_KERNEL: v2 (default) or v1, read at every finalize. */
static int path_from_env(gb_nn_path_t *out, gb_error_t *err)
{
    const char *env = getenv("GBAC_NN_KERNEL");
    *out = GB_NN_PATH_V2;
    if (!env || !*env)
        return GB_OK;
    for (int i = 0; i < GB_NN_PATH_COUNT; i++)
        if (strcmp(env, path_names[i]) == 0) {
            *out = (gb_nn_path_t)i;
            return GB_OK;
        }
    return gb_error_set(err, GB_EINVAL, "GBAC_NN_KERNEL=%s: unknown kernel path (use v2 or v1)",
                        env);
}

int gb_nn_finalize(gb_nn_t *nn, gb_error_t *err)
{
    if (!nn)
        return gb_error_set(err, GB_EINVAL, "no model");
    if (nn->finalized)
        return GB_OK;
    if (nn->n_layers == 0)
        return gb_error_set(err, GB_EINVAL, "a model needs at least one layer");
    gb_simd_t simd;
    int rc = gb_simd_default(&simd, err);
    if (rc || (rc = path_from_env(&nn->path, err)))
        return rc;
    nn->k = gb_nn_kernels_for(simd);
    if (!nn->k)
        return gb_error_set(err, GB_EUNSUPPORTED, "%s kernels are not available",
                            gb_simd_name(simd));
    size_t xq_row = 0;
    for (int i = 0; i < nn->n_layers; i++)
        if (alloc_layer(nn, &nn->layers[i], &xq_row))
            return gb_error_set(err, GB_ENOMEM, "out of memory allocating the model's tensors");
    if (xq_row && !(nn->xq = falloc((size_t)nn->max_batch * xq_row)))
        return gb_error_set(err, GB_ENOMEM, "out of memory allocating the model's tensors");
    nn->finalized = 1;
    return GB_OK;
}

int gb_nn_set_wtype(gb_nn_t *nn, int layer, gb_nn_wtype_t t, gb_error_t *err)
{
    if (!nn)
        return gb_error_set(err, GB_EINVAL, "no model");
    if (nn->finalized)
        return gb_error_set(err, GB_EINVAL, "the weight type is chosen before finalize");
    if ((unsigned)t >= GB_NN_WTYPE_COUNT)
        return gb_error_set(err, GB_EINVAL, "unknown weight type %d", (int)t);
    if (layer < -1 || layer >= nn->n_layers)
        return gb_error_set(err, GB_EINVAL, "layer %d does not exist (the model has %d)", layer,
                            nn->n_layers);
    for (int i = layer < 0 ? 0 : layer; i < (layer < 0 ? nn->n_layers : layer + 1); i++)
        if (nn->layers[i].kind != GB_LAYER_ACT)
            nn->layers[i].wtype = t;
    return GB_OK;
}

int gb_nn_set_path(gb_nn_t *nn, gb_nn_path_t p, gb_error_t *err)
{
    if (!nn || (unsigned)p >= GB_NN_PATH_COUNT)
        return gb_error_set(err, GB_EINVAL, "no model or unknown kernel path %d", (int)p);
    nn->path = p;
    return GB_OK;
}

gb_nn_path_t gb_nn_path(const gb_nn_t *nn) { return nn ? nn->path : GB_NN_PATH_V2; }

int gb_nn_set_simd(gb_nn_t *nn, gb_simd_t simd, gb_error_t *err)
{
    const gb_nn_kernels_t *k = gb_nn_kernels_for(simd);
    if (!k)
        return gb_error_set(err, GB_EUNSUPPORTED,
                            "%s kernels are not available on this CPU or in this build",
                            gb_simd_name(simd));
    if (!nn || !nn->finalized)
        return gb_error_set(err, GB_EINVAL, "the model is not finalized");
    nn->k = k;
    return GB_OK;
}

gb_simd_t gb_nn_simd(const gb_nn_t *nn) { return nn && nn->k ? nn->k->simd : GB_SIMD_SCALAR; }
int gb_nn_in_dim(const gb_nn_t *nn) { return nn->in_dim; }
int gb_nn_out_dim(const gb_nn_t *nn) { return last_out(nn); }
int gb_nn_max_batch(const gb_nn_t *nn) { return nn->max_batch; }
int gb_nn_n_layers(const gb_nn_t *nn) { return nn->n_layers; }

/* ---- parameters ----------------------------------------------------------------------- */

static int n_params(const layer_t *l)
{
    switch (l->kind) {
    case GB_LAYER_DENSE:
    case GB_LAYER_CONV1D: return 2;
    case GB_LAYER_GRU: return 4;
    default: return 0;
    }
}

int gb_nn_param_info(const gb_nn_t *nn, int layer, int p, gb_param_info_t *info)
{
    if (!nn || layer < 0 || layer >= nn->n_layers)
        return GB_EINVAL;
    const layer_t *l = &nn->layers[layer];
    if (p < 0 || p >= n_params(l))
        return GB_EINVAL;
    memset(info, 0, sizeof *info);
    if (l->kind == GB_LAYER_GRU) {
        static const char *const names[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
        info->name = names[p];
        info->shape[0] = 3 * l->out;
        info->shape[1] = p == 0 ? l->in : l->out;
        info->ndim = p < 2 ? 2 : 1;
    } else if (p == 0) {
        info->name = "weight";
        info->shape[0] = l->out;
        info->shape[1] = l->in;
        info->shape[2] = l->kernel;
        info->ndim = l->kind == GB_LAYER_CONV1D ? 3 : 2;
    } else {
        info->name = "bias";
        info->shape[0] = l->out;
        info->ndim = 1;
    }
    info->count = 1;
    for (int d = 0; d < info->ndim; d++)
        info->count *= (size_t)info->shape[d];
    return GB_OK;
}

int gb_nn_param_find(const gb_nn_t *nn, int layer, const char *name)
{
    gb_param_info_t pi;
    for (int p = 0; gb_nn_param_info(nn, layer, p, &pi) == GB_OK; p++)
        if (name && strcmp(pi.name, name) == 0)
            return p;
    return GB_EINVAL;
}

int gb_nn_layer_info(const gb_nn_t *nn, int layer, gb_layer_info_t *info)
{
    if (!nn || layer < 0 || layer >= nn->n_layers)
        return GB_EINVAL;
    const layer_t *l = &nn->layers[layer];
    memset(info, 0, sizeof *info);
    info->kind = l->kind;
    info->in = l->in;
    info->out = l->out;
    info->kernel = l->kernel;
    info->dilation = l->dilation;
    info->act = l->act;
    info->wtype = l->wtype;
    info->n_params = n_params(l);
    gb_param_info_t pi;
    for (int p = 0; p < info->n_params; p++)
        if (gb_nn_param_info(nn, layer, p, &pi) == GB_OK)
            info->n_weights += pi.count;
    return GB_OK;
}

size_t gb_nn_n_weights(const gb_nn_t *nn)
{
    size_t n = 0;
    gb_layer_info_t li;
    for (int i = 0; nn && i < nn->n_layers; i++)
        if (gb_nn_layer_info(nn, i, &li) == GB_OK)
            n += li.n_weights;
    return n;
}

/* Where canonical element (row, col) of a weight matrix with `sec` sections of `rows` rows
 * lives in the packed layout (gb_nn_kernels.h). For conv1d, col is k·in + c (im2col order).
 * bf16: the index of the 32-bit word, and in *half which half of it (0 low, 1 high). */
static size_t pack_index(int in, int rows, int row, int col, int bf16, int *half)
{
    int hp = stride16(rows);
    int p = (row / rows) * hp + row % rows; /* packed row */
    if (bf16) {
        *half = col & 1;
        return ((size_t)(p / GB_NN_BLK) * (size_t)((in + 1) / 2) + (size_t)(col / 2)) *
                   GB_NN_BLK + p % GB_NN_BLK;
    }
    return ((size_t)(p / GB_NN_BLK) * in + col) * GB_NN_BLK + p % GB_NN_BLK;
}

static size_t bias_index(int rows, int row)
{
    return (size_t)(row / rows) * stride16(rows) + row % rows;
}

/* One weight in or out of its packed place (f32 floats, or a half of a bf16 word). */
static void move_weight(float *w, uint32_t *wb, size_t q, int half, float *v, int to_pack)
{
    if (!wb) {
        if (to_pack)
            w[q] = *v;
        else
            *v = w[q];
        return;
    }
    const int sh = 16 * half;
    if (to_pack)
        wb[q] = (wb[q] & ~(0xffffu << sh)) | (uint32_t)gb_bf16_from_f32(*v) << sh;
    else
        *v = gb_bf16_to_f32((uint16_t)(wb[q] >> sh));
}

/* Copy between canonical `data` and the packed tensors; to_pack selects the direction. */
static void move_param(layer_t *l, int p, float *data, int to_pack)
{
    float *dst, *w;
    uint32_t *wb;
    int in, rows, n_rows, n_cols;
    if (l->kind == GB_LAYER_GRU) {
        rows = l->out;
        n_rows = 3 * l->out;
        in = p == 0 ? l->in : l->out;
        dst = p == 2 ? l->b : l->b2;
        w = p == 0 ? l->w : l->w2;
        wb = p == 0 ? l->wb : l->wb2;
    } else {
        rows = n_rows = l->out;
        in = l->kind == GB_LAYER_CONV1D ? l->kernel * l->in : l->in;
        dst = l->b;
        w = l->w;
        wb = l->wb;
    }
    n_cols = in;
    if (p >= (l->kind == GB_LAYER_GRU ? 2 : 1)) { /* bias */
        for (int r = 0; r < n_rows; r++) {
            size_t q = bias_index(rows, r);
            if (to_pack)
                dst[q] = data[r];
            else
                data[r] = dst[q];
        }
        return;
    }
    for (int r = 0; r < n_rows; r++) {
        for (int c = 0; c < n_cols; c++) {
            size_t canon;
            if (l->kind == GB_LAYER_CONV1D) { /* im2col column k·in + ch ← [r][ch][k] */
                int k = c / l->in, ch = c % l->in;
                canon = ((size_t)r * l->in + ch) * l->kernel + k;
            } else {
                canon = (size_t)r * n_cols + c;
            }
            int half = 0;
            size_t q = pack_index(in, rows, r, c, wb != NULL, &half);
            move_weight(w, wb, q, half, data + canon, to_pack);
        }
    }
}

static int param_lookup(const gb_nn_t *nn, int layer, const char *name, size_t count,
                        gb_error_t *err)
{
    if (!nn || !nn->finalized)
        return gb_error_set(err, GB_EINVAL, "the model is not finalized");
    if (layer < 0 || layer >= nn->n_layers)
        return gb_error_set(err, GB_EINVAL, "layer %d does not exist (the model has %d)",
                            layer, nn->n_layers);
    int p = gb_nn_param_find(nn, layer, name);
    if (p < 0)
        return gb_error_set(err, GB_EINVAL, "layer %d (%s) has no parameter '%s'", layer,
                            gb_layer_kind_name(nn->layers[layer].kind), name ? name : "(null)");
    gb_param_info_t pi;
    gb_nn_param_info(nn, layer, p, &pi);
    if (pi.count != count)
        return gb_error_set(err, GB_EINVAL, "layer %d parameter '%s' has %zu values, not %zu",
                            layer, name, pi.count, count);
    return p;
}

int gb_nn_set_param(gb_nn_t *nn, int layer, const char *name, const float *data, size_t count,
                    gb_error_t *err)
{
    int p = param_lookup(nn, layer, name, count, err);
    if (p < 0)
        return p;
    move_param(&nn->layers[layer], p, (float *)data, 1);
    return GB_OK;
}

int gb_nn_get_param(const gb_nn_t *nn, int layer, const char *name, float *out, size_t count,
                    gb_error_t *err)
{
    int p = param_lookup(nn, layer, name, count, err);
    if (p < 0)
        return p;
    move_param((layer_t *)&nn->layers[layer], p, out, 0);
    return GB_OK;
}

/* ---- streaming state and forward ------------------------------------------------------ */

void gb_nn_reset_slot(gb_nn_t *nn, int slot) GB_RT
{
    if (!nn->finalized || slot < 0 || slot >= nn->max_batch)
        return;
    for (int i = 0; i < nn->n_layers; i++) {
        layer_t *l = &nn->layers[i];
        if (l->kind == GB_LAYER_CONV1D) {
            const size_t n = 2 * (size_t)l->span * l->in;
            memset(l->hist + (size_t)slot * n, 0, sizeof(float) * n);
            l->hist_pos[slot] = 0;
        } else if (l->kind == GB_LAYER_GRU) {
            memset(l->y + (size_t)slot * l->ys, 0, sizeof(float) * (size_t)l->ys);
        }
    }
}

static float touch_pack(const gb_dense_pack_t *d)
{
    float acc = 0.0f;
    if (!d->w)
        return acc;
    const size_t n = (size_t)d->nblk * (size_t)d->in * GB_NN_BLK;
    for (size_t i = 0; i < n; i += 16) /* 16 floats: one 64-byte line */
        acc += d->w[i];
    for (int i = 0; d->b && i < d->nblk * GB_NN_BLK; i += 16)
        acc += d->b[i];
    return acc;
}

void gb_nn_touch(const gb_nn_t *nn) GB_RT
{
    if (!nn || !nn->finalized)
        return;
    float acc = 0.0f;
    for (int i = 0; i < nn->n_layers; i++)
        acc += touch_pack(&nn->layers[i].pk) + touch_pack(&nn->layers[i].pk2);
    volatile float sink = acc; /* the loads must happen */
    (void)sink;
}

void gb_nn_reset(gb_nn_t *nn) GB_RT
{
    for (int s = 0; s < nn->max_batch; s++)
        gb_nn_reset_slot(nn, s);
}

/* Branch-free max (see gb_vec_scalar.h for why `?:` is not used). */
static inline float gb_maxf(float a, float b) GB_RT
{
#if defined(__SSE__)
    return _mm_cvtss_f32(_mm_max_ss(_mm_set_ss(a), _mm_set_ss(b)));
#else
    return fmaxf(a, b);
#endif
}

static void softmax_rows(const gb_nn_kernels_t *k, float *y, int ys, int n, int batch) GB_RT
{
    for (int f = 0; f < batch; f++) {
        float *r = y + (size_t)f * ys;
        float m = r[0];
        for (int i = 1; i < n; i++)
            m = gb_maxf(m, r[i]);
        for (int i = 0; i < n; i++)
            r[i] -= m;
        k->exp(r, ys);
        float s = 0.0f;
        for (int i = 0; i < n; i++)
            s += r[i];
        float inv = 1.0f / s;
        for (int i = 0; i < n; i++)
            r[i] *= inv;
    }
}

/* n floats from s to d: for the short rows of a streaming step, inline vector moves instead
 * of a call into the C library. */
static inline void copy_floats(float *d, const float *s, int n) GB_RT
{
    int i = 0;
#if defined(__SSE__)
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(d + i, _mm_loadu_ps(s + i));
#endif
    for (; i < n; i++)
        d[i] = s[i];
}

/* The dense product of a layer's weights with the kernels its weight type and path take. */
static void run_dense(const gb_nn_t *nn, const gb_dense_pack_t *pk, const float *x, int xs,
                      float *y, int ys, int batch, gb_act_t act) GB_RT
{
    if (pk->wb)
        nn->k->dense_bf16(pk, x, xs, y, ys, batch, act, nn->xq);
    else if (nn->path == GB_NN_PATH_V1)
        nn->k->dense_v1(pk, x, xs, y, ys, batch, act);
    else
        nn->k->dense(pk, x, xs, y, ys, batch, act);
}

/* Push each frame into its slot's mirrored ring, then run the product over the window: in
 * place when it is one contiguous im2col row (a single frame, dilation 1, path v2), else
 * over im2col rows gathered from the ring. */
static void conv_step(const gb_nn_t *nn, layer_t *l, const float *x, int xs, int batch,
                      gb_act_t act) GB_RT
{
    const size_t fb = sizeof(float) * (size_t)l->in, rs = 2 * (size_t)l->span * l->in;
    const int direct = batch == 1 && l->dilation == 1 && nn->path == GB_NN_PATH_V2;
    const float *win = NULL;
    for (int f = 0; f < batch; f++) {
        const float *xf = x + (size_t)f * xs;
        float *ring = l->hist + (size_t)f * rs;
        const int pos = l->hist_pos[f];
        copy_floats(ring + (size_t)pos * l->in, xf, l->in);
        copy_floats(ring + (size_t)(pos + l->span) * l->in, xf, l->in);
        win = ring + (size_t)(pos + 1) * l->in; /* tap k at win + k·d·in */
        if (!direct)
            for (int kk = 0; kk < l->kernel; kk++)
                memcpy(l->col + (size_t)f * l->cs + (size_t)kk * l->in,
                       win + (size_t)kk * l->dilation * l->in, fb);
        /* wrap without a branch, so every step executes the same instructions */
        const int next = pos + 1;
        l->hist_pos[f] = next - (l->span & -(next == l->span));
    }
    run_dense(nn, &l->pk, direct ? win : l->col, l->cs, l->y, l->ys, batch, act);
}

/* A single frame (path v2) in one fused pass; a batch as two products and the gates. */
static void gru_step(const gb_nn_t *nn, layer_t *l, const float *x, int xs, int batch) GB_RT
{
    const int hp = stride16(l->out), gs = 3 * hp;
    if (batch == 1 && nn->path == GB_NN_PATH_V2) {
        float *hn = l->pre + 4 * (size_t)hp;
        nn->k->gru_step1(&l->pk, &l->pk2, x, l->y, hn, l->pre, nn->xq);
        memcpy(l->y, hn, sizeof(float) * (size_t)hp);
        return;
    }
    const gb_act_t lin = {GB_ACT_LINEAR, 0.0f};
    run_dense(nn, &l->pk, x, xs, l->gi, gs, batch, lin);
    run_dense(nn, &l->pk2, l->y, l->ys, l->gh, gs, batch, lin);
    for (int f = 0; f < batch; f++)
        nn->k->gru_gates(l->gi + (size_t)f * gs, l->gh + (size_t)f * gs,
                         l->y + (size_t)f * l->ys, hp);
}

void gb_nn_forward(gb_nn_t *nn, const float *in, float *out, int batch) GB_RT
{
    batch = batch < 1 ? 1 : batch > nn->max_batch ? nn->max_batch : batch;
    const gb_nn_kernels_t *k = nn->k;
    /* Kernels read inputs one scalar at a time (broadcast), so they need neither alignment
     * nor padding of x: read the caller's rows in place. Only the row stride matters, so a
     * copy to padded rows is never needed; the layers' own outputs are padded and aligned. */
    const float *x = in;
    int xs = nn->in_dim;
    for (int i = 0; i < nn->n_layers; i++) {
        layer_t *l = &nn->layers[i];
        const int softmax = l->act.kind == GB_ACT_SOFTMAX;
        const gb_act_t fused = softmax ? gb_act_make(GB_ACT_LINEAR) : l->act;
        switch (l->kind) {
        case GB_LAYER_DENSE: run_dense(nn, &l->pk, x, xs, l->y, l->ys, batch, fused); break;
        case GB_LAYER_CONV1D: conv_step(nn, l, x, xs, batch, fused); break;
        case GB_LAYER_GRU: gru_step(nn, l, x, xs, batch); break;
        case GB_LAYER_ACT:
            for (int f = 0; f < batch; f++)
                memcpy(l->y + (size_t)f * l->ys, x + (size_t)f * xs,
                       sizeof(float) * (size_t)l->out);
            if (!softmax)
                k->act(l->y, batch * l->ys, l->act);
            break;
        default: break;
        }
        if (softmax)
            softmax_rows(k, l->y, l->ys, l->out, batch);
        x = l->y;
        xs = l->ys;
    }
    const int od = last_out(nn);
    for (int f = 0; f < batch; f++)
        copy_floats(out + (size_t)f * od, x + (size_t)f * xs, od);
}
