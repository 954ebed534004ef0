/* gb_nn.h — the neural inference runtime: a sequential model of Dense, Conv1D, GRU and
 * activation layers, run for N independent frames (voices) at once with SIMD kernels.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Life cycle
 *   gb_nn_new() → gb_nn_add_*() ... → gb_nn_finalize() → gb_nn_set_param() ... [main]
 *   gb_nn_forward() / gb_nn_reset*() [audio]                          → gb_nn_free() [main]
 *
 * gb_nn_finalize() allocates every tensor and buffer (64-byte aligned, owned by the model).
 * After it nothing allocates; gb_nn_forward() performs no system call, takes no lock and its
 * instruction stream does not depend on the input values (no data-dependent branches; call
 * gb_denormals_off() on the calling thread so denormals cannot slow it down either).
 *
 * Batch and streaming
 *   gb_nn_forward() runs `batch` independent frames (row-major, one row per frame) through the
 *   same weights. Row b is "slot" b: Conv1D and GRU layers keep per-slot streaming state (the
 *   past inputs of a causal convolution, the GRU hidden state), so calling forward once per
 *   time step with the same slot gives the same result as running the whole sequence.
 *
 * Parameter layouts (canonical, as PyTorch stores them; see docs/model-format.md)
 *   dense   weight [out, in]            bias [out]
 *   conv1d  weight [out, in, kernel]    bias [out]     y[t] = b + Σ_k W[:,:,k] · x[t-(K-1-k)·d]
 *   gru     weight_ih [3H, in]  weight_hh [3H, H]  bias_ih [3H]  bias_hh [3H], gate order r, z, n:
 *           r = σ(W_ir x + b_ir + W_hr h + b_hr)   z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *           n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))   h' = (1 − z) ⊙ n + z ⊙ h
 *   activation layers have no parameters.
 * Internally weights are repacked for the kernels; gb_nn_get_param() returns the canonical
 * layout again.
 *
 * Rounding: a frame's result may differ in the last bits with the batch size (a single frame
 * splits its sums over several accumulators, a batch tile does not); for the same batch
 * size and kernel family results are bit-identical from run to run.
 *
 * Accuracy: tanh, sigmoid, exp (in softmax, softplus, ELU) use fast approximations whose
 * maximum errors are documented in gb_fastmath.h and tested.
 *
 * Weight types (gb_nn_set_wtype, per layer, before finalize): f32 (default) or bf16. A bf16
 * layer stores its weight matrices (not its biases) as bfloat16 — half the bytes to stream,
 * which is what bounds a single frame once the weights no longer fit in L1 — and computes,
 * in every kernel family, y = act(b + Σ bf16(W)·bf16(x)) with exact products and f32 sums:
 * the arithmetic of AVX512_BF16's vdpbf16ps, which the avx512bf16 family uses; the others
 * widen the weights to f32 exactly. gb_nn_set_param() rounds each weight to the nearest
 * bf16 (gb_bf16.h) and gb_nn_get_param() returns the rounded values. Error of one dense
 * product against the same product with the f32 weights and inputs, in exact arithmetic:
 *     |y − Σ W·x| ≤ GB_NN_BF16_REL_BOUND · Σ |W·x|  (+ the f32 summation error)
 * (weights and inputs each within 2^-8 relative of their bf16; tests/test_nn_bf16.c checks
 * it and that every family computes exactly the arithmetic above).
 *
 * Kernel paths (gb_nn_set_path, or GBAC_NN_KERNEL=v1|v2 read by gb_nn_finalize): v2, the
 * default; v1, the single-frame steps as they were before issue 14 (f32 products with fewer
 * accumulator sets for narrow layers, every Conv1D window copied, a GRU step as two products
 * and a gate pass), kept so that `gbac bench` can measure both side by side. Both give the
 * same results within rounding.
 */
#ifndef GB_NN_H
#define GB_NN_H

#include <stddef.h>

#include "gb_common.h"
#include "gb_simd.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest dimension of any layer (inputs, outputs, channels, hidden size). */
#define GB_NN_MAX_DIM 4096
/** Largest number of layers in a model. */
#define GB_NN_MAX_LAYERS 64
/** Largest batch (slots) of a model. */
#define GB_NN_MAX_BATCH 256
/** Largest Conv1D receptive field: (kernel - 1) * dilation + 1. */
#define GB_NN_MAX_FIELD 4096

typedef enum gb_act_kind {
    GB_ACT_LINEAR = 0, /* identity */
    GB_ACT_RELU,
    GB_ACT_LEAKY_RELU, /* x < 0 ? alpha·x : x   (alpha default 0.01) */
    GB_ACT_TANH,
    GB_ACT_SIGMOID,
    GB_ACT_SOFTPLUS, /* log(1 + e^x) */
    GB_ACT_ELU,      /* x < 0 ? alpha·(e^x − 1) : x   (alpha default 1) */
    GB_ACT_SOFTMAX,  /* over the features of each frame */
    GB_ACT_COUNT
} gb_act_kind_t;

typedef struct gb_act {
    gb_act_kind_t kind;
    float alpha; /* LeakyReLU slope / ELU scale; ignored by the others */
} gb_act_t;

/** Activation with its default alpha. [any] */
gb_act_t gb_act_make(gb_act_kind_t kind);

/** "linear", "relu", "leaky_relu", "tanh", "sigmoid", "softplus", "elu", "softmax". [any] */
const char *gb_act_name(gb_act_kind_t kind);

/** Parse a name as above. Returns 0 or GB_EINVAL. [any] */
int gb_act_parse(const char *name, gb_act_kind_t *out);

typedef enum gb_layer_kind {
    GB_LAYER_DENSE = 0,
    GB_LAYER_CONV1D,
    GB_LAYER_GRU,
    GB_LAYER_ACT,
    GB_LAYER_COUNT
} gb_layer_kind_t;

/** "dense", "conv1d", "gru", "activation". [any] */
const char *gb_layer_kind_name(gb_layer_kind_t kind);

/** How a layer stores its weight matrices. */
typedef enum gb_nn_wtype {
    GB_NN_WTYPE_F32 = 0,
    GB_NN_WTYPE_BF16,
    GB_NN_WTYPE_COUNT
} gb_nn_wtype_t;

/** Bound on the relative error of a bf16 layer's product (see above): 2·2^-8 + 2^-16. */
#define GB_NN_BF16_REL_BOUND (2.0 * 0.00390625 + 0.00390625 * 0.00390625)

/** "f32", "bf16". [any] */
const char *gb_nn_wtype_name(gb_nn_wtype_t t);

/** Parse a name as above. Returns 0 or GB_EINVAL. [any] */
int gb_nn_wtype_parse(const char *name, gb_nn_wtype_t *out);

/** Kernel paths (see above). */
typedef enum gb_nn_path {
    GB_NN_PATH_V2 = 0,
    GB_NN_PATH_V1,
    GB_NN_PATH_COUNT
} gb_nn_path_t;

/** "v2", "v1". [any] */
const char *gb_nn_path_name(gb_nn_path_t p);

/** What a layer is (read-only description). */
typedef struct gb_layer_info {
    gb_layer_kind_t kind;
    int in;       /* input features (channels) */
    int out;      /* output features (channels; GRU: hidden size) */
    int kernel;   /* conv1d only, else 0 */
    int dilation; /* conv1d only, else 0 */
    gb_act_t act; /* fused activation of dense/conv1d, the activation of an act layer */
    gb_nn_wtype_t wtype; /* how the weight matrices are stored (f32 for act layers) */
    int n_params; /* number of parameter tensors */
    size_t n_weights; /* number of scalar parameters */
} gb_layer_info_t;

/** Description of one parameter tensor in its canonical layout. */
typedef struct gb_param_info {
    const char *name; /* "weight", "bias", "weight_ih", "weight_hh", "bias_ih", "bias_hh" */
    int ndim;
    int shape[3];
    size_t count; /* product of shape */
} gb_param_info_t;

typedef struct gb_nn gb_nn_t;

/** New empty model taking in_dim features per frame, up to max_batch frames per forward.
 *  Returns NULL (and err) on bad sizes or no memory. [main] */
gb_nn_t *gb_nn_new(int in_dim, int max_batch, gb_error_t *err);

/** Free the model and everything it owns. NULL-safe. [main] */
void gb_nn_free(gb_nn_t *nn);

/** Append a Dense layer with `out` outputs and a fused activation (any kind). [main] */
int gb_nn_add_dense(gb_nn_t *nn, int out, gb_act_t act, gb_error_t *err);

/** Append a causal, dilated Conv1D layer with streaming state. [main] */
int gb_nn_add_conv1d(gb_nn_t *nn, int out_ch, int kernel, int dilation, gb_act_t act,
                     gb_error_t *err);

/** Append a GRU layer (one step per forward, hidden state per slot). [main] */
int gb_nn_add_gru(gb_nn_t *nn, int hidden, gb_error_t *err);

/** Append an activation layer. [main] */
int gb_nn_add_act(gb_nn_t *nn, gb_act_t act, gb_error_t *err);

/** Store the weight matrices of layer i as t (layer -1: every layer with weights). Only
 *  before gb_nn_finalize(). [main] */
int gb_nn_set_wtype(gb_nn_t *nn, int layer, gb_nn_wtype_t t, gb_error_t *err);

/** Allocate weights (zeroed), streaming state and scratch buffers; select the kernel family
 *  gb_simd_default() gives and the kernel path GBAC_NN_KERNEL names (v2 if unset; an error
 *  naming the variable if unknown). No layer can be added afterwards. [main] */
int gb_nn_finalize(gb_nn_t *nn, gb_error_t *err);

/** Use another kernel path (benchmarks). [main, not while another thread runs forward] */
int gb_nn_set_path(gb_nn_t *nn, gb_nn_path_t p, gb_error_t *err);

/** The kernel path in use. [any] */
gb_nn_path_t gb_nn_path(const gb_nn_t *nn);

/** Use another kernel family (for tests and benchmarks); an error if not available. Weights
 *  need no repacking. [main, not while another thread runs forward] */
int gb_nn_set_simd(gb_nn_t *nn, gb_simd_t simd, gb_error_t *err);

/** The kernel family in use. [any] */
gb_simd_t gb_nn_simd(const gb_nn_t *nn);

int gb_nn_in_dim(const gb_nn_t *nn);     /**< [any] */
int gb_nn_out_dim(const gb_nn_t *nn);    /**< [any] */
int gb_nn_max_batch(const gb_nn_t *nn);  /**< [any] */
int gb_nn_n_layers(const gb_nn_t *nn);   /**< [any] */
size_t gb_nn_n_weights(const gb_nn_t *nn); /**< total scalar parameters [any] */

/** Describe layer i. Returns 0 or GB_EINVAL. [any] */
int gb_nn_layer_info(const gb_nn_t *nn, int layer, gb_layer_info_t *info);

/** Describe parameter tensor p (0 .. n_params-1) of layer i. [any] */
int gb_nn_param_info(const gb_nn_t *nn, int layer, int p, gb_param_info_t *info);

/** Find a parameter tensor of a layer by name; returns its index or GB_EINVAL. [any] */
int gb_nn_param_find(const gb_nn_t *nn, int layer, const char *name);

/** Copy `count` floats in canonical layout into parameter `name` of layer i (count must equal
 *  the tensor's size). Only after finalize. [main] */
int gb_nn_set_param(gb_nn_t *nn, int layer, const char *name, const float *data, size_t count,
                    gb_error_t *err);

/** Copy parameter `name` of layer i out in canonical layout. [main] */
int gb_nn_get_param(const gb_nn_t *nn, int layer, const char *name, float *out, size_t count,
                    gb_error_t *err);

/** Read every weight once (one load per 64-byte line) so that a forward soon after runs from
 *  the cache rather than from memory: a unit that runs its model now and then can spend this
 *  in a quiet block before a busy one. No effect on outputs or state; cost A + B·weights.
 *  [audio] */
void gb_nn_touch(const gb_nn_t *nn) GB_RT;

/** Zero the streaming state (conv history, GRU hidden) of every slot. [audio] */
void gb_nn_reset(gb_nn_t *nn) GB_RT;

/** Zero the streaming state of one slot (e.g. when a voice starts); an out-of-range slot is
 *  ignored. [audio] */
void gb_nn_reset_slot(gb_nn_t *nn, int slot) GB_RT;

/** One step for `batch` frames: in is batch × in_dim floats (row-major), out receives
 *  batch × out_dim floats. batch is clamped to 1 .. max_batch. Advances the streaming state of
 *  slots 0 .. batch-1. No allocation, no locks, no system calls. [audio] */
void gb_nn_forward(gb_nn_t *nn, const float *in, float *out, int batch) GB_RT;

#ifdef __cplusplus
}
#endif
#endif
