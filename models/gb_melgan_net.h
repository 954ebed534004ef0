/* gb_melgan_net.h — the melody GAN's generator while it trains: Dense (relu) → GRU → Dense
 * over the steps of a batch of bars (teacher forcing), its losses and gradients, the
 * posterior encoder of the latent, and the export to the runtime model (gb_melgen.h).
 * Internal to the melody GAN trainer (models/gb_melgan_*.c) and its tests.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A batch is R rows (bars) of up to T steps, time-major inside: the input of row r at step s
 * is gb_melgen.h's step input — the token before s (the previous bar's last token at s = 0),
 * step s, the row's conditioning vector (GB_MELGEN_COND floats, latent included).
 *
 * Losses on the logits of the last forward, added into the logit gradient (zeroed by
 * gb_mgnet_forward):
 *   weighted cross-entropy   w_r · −log p(token_r,s)               (likelihood: w_r = 1;
 *                                                                  REINFORCE: w_r = advantage)
 *   KL to a reference        w · Σ_v p log(p/q) per step, exact over the vocabulary (q the
 *                                                                  reference's softmax)
 * Steps at or past a row's length count nothing.
 */
#ifndef GB_MELGAN_NET_H
#define GB_MELGAN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "gb_gru_train.h"
#include "gb_melgen.h"
#include "gb_mlp_train.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_MGNET_ENC_IN (2 * GB_MELGEN_BAR_FEAT)

typedef struct gb_mgnet {
    int E, H, enc_hidden, max_rows, max_steps;
    gb_mlp_t *inl;        /* GB_MELGEN_STEP_IN → E, relu;  rows: max_rows · max_steps */
    gb_gru_train_t *gru;  /* E → H */
    gb_mlp_t *outl;       /* H → GB_MDS_VOCAB */
    gb_mlp_t *enc;        /* [bar, previous bar] features → enc_hidden relu → 2·Z (mu, logvar);
                             NULL when built without (a reference copy) */
    int R, T;             /* of the last forward */
    int *row_steps;       /* max_rows */
    uint8_t *tok;         /* max_rows × GB_MDS_MAX_STEPS targets of the last forward */
    float *x, *dx;        /* T·R × STEP_IN */
    float *dlog;          /* T·R × V */
    float *dh, *de;       /* T·R × H, T·R × E */
    const float *logits;  /* T·R × V of the last forward (owned by outl) */
} gb_mgnet_t;

/** New generator with E inputs units, H GRU units (enc_hidden 0: no encoder) for up to
 *  max_rows rows of max_steps steps; weights initialised from seed. NULL with err. [main] */
gb_mgnet_t *gb_mgnet_new(int E, int H, int enc_hidden, int max_rows, int max_steps,
                         uint64_t seed, gb_error_t *err);
void gb_mgnet_free(gb_mgnet_t *n); /**< NULL-safe [main] */

/** Parameter blocks (inl, gru, outl, enc), for optimizers and copies. */
#define GB_MGNET_BLOCKS 4
size_t gb_mgnet_block_size(const gb_mgnet_t *n, int b); /**< 0 for a missing encoder */
float *gb_mgnet_block_params(gb_mgnet_t *n, int b);
float *gb_mgnet_block_grads(gb_mgnet_t *n, int b);
void gb_mgnet_zero_grad(gb_mgnet_t *n);
/** Copy the generator's weights (not the encoder's) from another of the same sizes. */
void gb_mgnet_copy_gen(gb_mgnet_t *dst, const gb_mgnet_t *src);

/** Teacher-forced forward of R rows: cond R × GB_MELGEN_COND, refs R × GB_MELGEN_REFS ×
 *  GB_MDS_MAX_STEPS reference bars (gb_melgen_refs), first[r] the token before step 0
 *  (GB_MDS_PAD: none), tok R × GB_MDS_MAX_STEPS targets (inputs of the next steps), steps[r]
 *  each row's length (T = the largest). The step inputs are gb_melgen_step_input's, as when
 *  sampling. Returns the logits, T·R × V time-major, and zeroes the logit gradient. [main] */
const float *gb_mgnet_forward(gb_mgnet_t *n, int R, const float *cond, const uint8_t *refs,
                              const int *first, const uint8_t *tok, const int *steps);

/** Add Σ_r w[r] · Σ_s −log p(tok_r,s) · scale to the logit gradient; returns the unscaled,
 *  unweighted sum of −log p, and counts argmax hits in *hits (may be NULL). [main] */
double gb_mgnet_ce(gb_mgnet_t *n, const float *w, float scale, long *hits);

/** Add scale · KL(p ‖ q) per step (q: ref_logits, same layout) to the logit gradient;
 *  returns the summed KL in nats. [main] */
double gb_mgnet_kl(gb_mgnet_t *n, const float *ref_logits, float scale);

/** Back-propagate the logit gradient; adds parameter gradients. dcond (R × GB_MELGEN_COND,
 *  may be NULL) receives the gradient of the conditioning vectors summed over steps. [main] */
void gb_mgnet_backward(gb_mgnet_t *n, float *dcond);

/** The runtime model (gb_melgen.h) with these weights, for up to max_batch rows. [main] */
gb_nn_t *gb_mgnet_export(const gb_mgnet_t *n, int max_batch, gb_error_t *err);

/** Copy the weights into an exported runtime model of the same sizes. [main] */
int gb_mgnet_update(const gb_mgnet_t *n, gb_nn_t *nn, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
