/* gb_mlp_train.h — a trainable multi-layer perceptron for the CPU trainers: Dense layers with
 * fused activations, batched forward and backward with OpenBLAS sgemm, the Adam optimizer,
 * and export into the inference runtime (gb_nn.h).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Parameters live in one flat float vector, layer after layer, each layer in the canonical
 * PyTorch layout of gb_nn.h: weight [out, in] (row-major) then bias [out]. The gradient vector
 * has the same layout, so an optimizer (gb_adam_t) treats the model as one vector.
 *
 * Batches are row-major: row b of an input is one example. gb_mlp_forward() keeps every
 * layer's pre- and post-activation for the following gb_mlp_backward(), which *adds* the
 * gradient of the rows it is given to the gradient vector (call gb_mlp_zero_grad() first).
 *
 * Determinism: sgemm results depend on the OpenBLAS thread count; the trainers call
 * openblas_set_num_threads(1) so that a seed gives bit-identical weights (gb_mlp_blas_single).
 *
 * Supported activations: linear, relu, tanh, sigmoid, softplus (the others of gb_act_kind_t
 * are refused with GB_EINVAL).
 */
#ifndef GB_MLP_TRAIN_H
#define GB_MLP_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"
#include "gb_nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest number of Dense layers of a gb_mlp_t. */
#define GB_MLP_MAX_LAYERS 16

typedef struct gb_mlp gb_mlp_t;

/** New MLP taking in_dim features: n_layers Dense layers, layer i with outs[i] units and
 *  activation acts[i]; forward/backward take up to max_batch rows. Weights are zero until
 *  gb_mlp_init(). Returns NULL with err on bad sizes (dims 1..GB_NN_MAX_DIM, 1..16 layers,
 *  max_batch >= 1), an unsupported activation, or no memory. [main] */
gb_mlp_t *gb_mlp_new(int in_dim, int n_layers, const int *outs, const gb_act_kind_t *acts,
                     int max_batch, gb_error_t *err);

/** Free. NULL-safe. [main] */
void gb_mlp_free(gb_mlp_t *m);

/** PyTorch's default Dense initialisation from a seed: weights and biases uniform in
 *  ±1/sqrt(in). [main] */
void gb_mlp_init(gb_mlp_t *m, uint64_t seed);

int gb_mlp_in_dim(const gb_mlp_t *m);    /**< [any] */
int gb_mlp_out_dim(const gb_mlp_t *m);   /**< [any] */
int gb_mlp_max_batch(const gb_mlp_t *m); /**< [any] */
int gb_mlp_n_layers(const gb_mlp_t *m);  /**< [any] */

/** Units and activation of layer i (NULL-safe out-pointers). Returns 0 or GB_EINVAL. [any] */
int gb_mlp_layer(const gb_mlp_t *m, int i, int *in, int *out, gb_act_kind_t *act);

/** Number of scalar parameters (length of gb_mlp_params() and gb_mlp_grads()). [any] */
size_t gb_mlp_n_params(const gb_mlp_t *m);

/** The flat parameter vector (writable: optimizers update it in place). [main] */
float *gb_mlp_params(gb_mlp_t *m);

/** The flat gradient vector, same layout. [main] */
float *gb_mlp_grads(gb_mlp_t *m);

/** Offsets of layer i's weight and bias inside the flat vector. [any] */
size_t gb_mlp_weight_offset(const gb_mlp_t *m, int i);
size_t gb_mlp_bias_offset(const gb_mlp_t *m, int i); /**< [any] */

/** Zero the gradient vector. [main] */
void gb_mlp_zero_grad(gb_mlp_t *m);

/** Forward `batch` rows (1..max_batch; clamped) of in (batch × in_dim). Returns the output
 *  (batch × out_dim, owned by m, valid until the next forward). [main] */
const float *gb_mlp_forward(gb_mlp_t *m, const float *in, int batch);

/** Back-propagate dout (batch × out_dim, the loss gradient w.r.t. the outputs of the last
 *  forward, same batch) and add the parameter gradients to gb_mlp_grads(). If din is non-NULL
 *  it receives the gradient w.r.t. the inputs (batch × in_dim). [main] */
void gb_mlp_backward(gb_mlp_t *m, const float *dout, float *din, int batch);

/** Build a finalized gb_nn_t with the same layers (Dense + fused activation) and weights.
 *  Its outputs equal gb_mlp_forward() up to the runtime's fast-math and rounding errors
 *  (gb_fastmath.h). Returns NULL with err on failure. [main] */
gb_nn_t *gb_mlp_export(const gb_mlp_t *m, int max_batch, gb_error_t *err);

/** Make OpenBLAS single-threaded (reproducible sums). Returns the previous thread count so it
 *  can be restored with gb_mlp_blas_threads(). [main] */
int gb_mlp_blas_single(void);
/** Set the OpenBLAS thread count. [main] */
void gb_mlp_blas_threads(int n);

/* ---- Adam ------------------------------------------------------------------------------ */

typedef struct gb_adam gb_adam_t;

/** Adam (Kingma & Ba) for a vector of n parameters: moments zero, step 0. Defaults used by
 *  the trainers: beta1 0.9, beta2 0.999, eps 1e-8. Returns NULL on no memory. [main] */
gb_adam_t *gb_adam_new(size_t n, float beta1, float beta2, float eps);

/** Free. NULL-safe. [main] */
void gb_adam_free(gb_adam_t *a);

/** One step with learning rate lr: params -= lr · m̂ / (sqrt(v̂) + eps), bias-corrected.
 *  [main] */
void gb_adam_step(gb_adam_t *a, float *params, const float *grads, float lr);

/** The state, for checkpoints: first and second moments (n floats each, writable so a
 *  checkpoint can be restored) and the step count. [main] */
size_t gb_adam_n(const gb_adam_t *a);
float *gb_adam_m(gb_adam_t *a);         /**< [main] */
float *gb_adam_v(gb_adam_t *a);         /**< [main] */
int64_t gb_adam_step_count(const gb_adam_t *a);        /**< [any] */
void gb_adam_set_step_count(gb_adam_t *a, int64_t t);  /**< [main] */

#ifdef __cplusplus
}
#endif
#endif
