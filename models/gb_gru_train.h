/* gb_gru_train.h — a trainable GRU layer for the CPU trainers: a batch of sequences forward
 * through time and back-propagation through time (BPTT) with OpenBLAS sgemm, in the canonical
 * layout of the inference runtime's GRU (gb_nn.h), so the trained weights export unchanged.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The layer (gate order r, z, n as PyTorch and gb_nn.h):
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)   z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))   h' = (1 − z) ⊙ n + z ⊙ h
 * Parameters, one flat vector: weight_ih [3H, in], weight_hh [3H, H], bias_ih [3H],
 * bias_hh [3H] (row-major); the gradient vector has the same layout (an optimizer such as
 * gb_adam_t treats the layer as one vector).
 *
 * Sequences are time-major: x holds T blocks of batch × in floats, step t's rows at
 * x + t·batch·in; outputs (the hidden states) likewise T blocks of batch × H. The forward
 * keeps what the backward needs; gb_gru_train_backward() *adds* the parameter gradients of
 * the last forward (call gb_gru_train_zero_grad() first) and can return the gradients of the
 * inputs and of the initial state.
 *
 * Exact math (libm tanh and exp), so gradients match finite differences; the runtime's fast
 * approximations (gb_fastmath.h) differ from it by their documented error.
 */
#ifndef GB_GRU_TRAIN_H
#define GB_GRU_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_gru_train gb_gru_train_t;

/** New layer with `in` inputs and `hidden` units for up to max_batch sequences of up to
 *  max_steps steps. Weights are zero until gb_gru_train_init(). NULL with err on bad sizes or
 *  no memory. [main] */
gb_gru_train_t *gb_gru_train_new(int in, int hidden, int max_batch, int max_steps,
                                 gb_error_t *err);

/** Free. NULL-safe. [main] */
void gb_gru_train_free(gb_gru_train_t *g);

/** PyTorch's default initialisation from a seed: every weight and bias uniform in
 *  ±1/sqrt(hidden). [main] */
void gb_gru_train_init(gb_gru_train_t *g, uint64_t seed);

int gb_gru_train_in(const gb_gru_train_t *g);     /**< [any] */
int gb_gru_train_hidden(const gb_gru_train_t *g); /**< [any] */

/** Number of scalar parameters; the flat parameter and gradient vectors (layout above). */
size_t gb_gru_train_n_params(const gb_gru_train_t *g); /**< [any] */
float *gb_gru_train_params(gb_gru_train_t *g);         /**< [main] */
float *gb_gru_train_grads(gb_gru_train_t *g);          /**< [main] */
void gb_gru_train_zero_grad(gb_gru_train_t *g);        /**< [main] */

/** Run `steps` steps (1..max_steps) of `batch` sequences (1..max_batch): x time-major
 *  (steps × batch × in), h0 the initial states (batch × H, NULL = zeros). Returns the hidden
 *  states, steps × batch × H, owned by g and valid until the next forward. [main] */
const float *gb_gru_train_forward(gb_gru_train_t *g, const float *x, const float *h0,
                                  int batch, int steps);

/** Back-propagate dh (steps × batch × H: the loss gradient w.r.t. every output hidden state of
 *  the last forward, same batch and steps) through time. Adds the parameter gradients; dx
 *  (steps × batch × in) and dh0 (batch × H), when not NULL, receive the input and initial
 *  state gradients. [main] */
void gb_gru_train_backward(gb_gru_train_t *g, const float *dh, float *dx, float *dh0,
                           int batch, int steps);

#ifdef __cplusplus
}
#endif
#endif
