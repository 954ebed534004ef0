/* gb_melgan.h — the melody GAN: a conditional generator of one bar of step tokens
 * (rest / hold / pitch, gb_melody_ds.h) and a critic that scores (context, bar) pairs.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Generator: an MLP (gb_mlp_train.h) from
 *   [context bar: per step (rest, hold, onset, (pitch-72)/12) x24, pitch-class histogram x12,
 *    meter one-hot (4/4, 3/4, 6/8, other) x4, steps_per_bar/16, mode (0 major, 1 minor),
 *    key one-hot x12 (the record's augmentation transposition mod 12: 0 = C major /
 *    A minor, what generation asks for), density/16, noise z x8] (GB_MELGAN_GEN_IN)
 * to GB_MDS_MAX_STEPS x GB_MDS_VOCAB logits, a softmax per step (steps past steps_per_bar are
 * ignored). It is trained by maximum likelihood (cross-entropy of the target bar's tokens)
 * with z fed but unused by the loss: "likelihood pre-training of the generator". Adversarial
 * fine-tuning is not implemented.
 * Critic: an MLP from [context features as above x108, meter x4, steps/16, mode, key x12,
 * bar features (same per-step encoding) x108] to one logit: > 0 means "looks real". It is
 * trained with binary cross-entropy on real bars against bars sampled from the trained
 * generator, and is used to rank K candidate bars.
 *
 * Tokens are normalised to C major / A minor; callers transpose.
 */
#ifndef GB_MELGAN_H
#define GB_MELGAN_H

#include <stdint.h>

#include "gb_common.h"
#include "gb_melody_ds.h"
#include "gb_mlp_train.h"
#include "gb_nn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_MELGAN_Z 8
#define GB_MELGAN_BAR_FEAT (4 * GB_MDS_MAX_STEPS + 12)
#define GB_MELGAN_COND (GB_MELGAN_BAR_FEAT + 4 + 2 + 12)
#define GB_MELGAN_GEN_IN (GB_MELGAN_COND + 1 + GB_MELGAN_Z)
#define GB_MELGAN_GEN_OUT (GB_MDS_MAX_STEPS * GB_MDS_VOCAB)
#define GB_MELGAN_CRIT_IN (GB_MELGAN_COND + GB_MELGAN_BAR_FEAT)

typedef struct gb_melgan_config {
    int version;          /* 1 */
    int hidden;           /* units of the two hidden layers of the generator (256) */
    int critic_hidden;    /* units of the critic's hidden layers (128) */
    int epochs;           /* generator epochs (12) */
    int critic_epochs;    /* critic epochs (3) */
    int batch;            /* rows per minibatch (64) */
    int per_epoch;        /* training records drawn per epoch, 0 = all (60000) */
    int patience;         /* early stop after N epochs without validation gain (3; 0 never) */
    float lr;             /* Adam learning rate (1e-3) */
    uint32_t seed;        /* (1) */
    int progress;         /* progress line on stderr */
} gb_melgan_config_t;

typedef struct gb_melgan_report {
    int epochs, best_epoch, early_stopped;
    double train_ce, val_ce, val_acc;     /* cross-entropy (nats per step), token accuracy */
    double critic_acc;                    /* validation: real vs generated, fraction right */
    double seconds;
    int n_train, n_val;                   /* records used */
} gb_melgan_report_t;

typedef struct gb_melgan gb_melgan_t;

gb_melgan_config_t gb_melgan_config_default(void); /**< [any] */

/** New generator + critic, initialised from cfg->seed. NULL with err on bad config. [main] */
gb_melgan_t *gb_melgan_new(const gb_melgan_config_t *cfg, gb_error_t *err);
void gb_melgan_free(gb_melgan_t *g); /**< NULL-safe [main] */

gb_mlp_t *gb_melgan_generator(gb_melgan_t *g); /**< [main] */
gb_mlp_t *gb_melgan_critic(gb_melgan_t *g);    /**< [main] */

/** Train the generator (MLE, early stopping on validation CE; the training split is used for
 *  validation when there is no validation record) and then the critic. [main] */
int gb_melgan_train(gb_melgan_t *g, const gb_melody_ds_t *ds, gb_melgan_report_t *rep,
                    gb_error_t *err);

/** Mean cross-entropy per step and token accuracy (argmax) of the generator on a split (z = 0).
 *  NAN if the split is empty. [main] */
double gb_melgan_eval(gb_melgan_t *g, const gb_melody_ds_t *ds, gb_mds_split_t split,
                      double *acc);

/** Save the generator to out (kind "melody-gan-generator") and the critic to out.disc (kind
 *  "melody-gan-critic"), with model cards naming each other. [main] */
int gb_melgan_save(gb_melgan_t *g, const gb_melody_ds_t *ds, const gb_melgan_report_t *rep,
                   const char *command, const char *out, gb_error_t *err);

/* ---- features, loss and sampling (shared by trainer, generator and tests) ------------- */

/** Meter class: 0 4/4, 1 3/4, 2 6/8, 3 other. [any] */
int gb_melgan_meter_class(int num, int den) GB_RT;

/** Per-step features of a bar (GB_MELGAN_BAR_FEAT floats). [any] */
void gb_melgan_bar_features(const uint8_t *bar, int steps, float *out) GB_RT;

/** The generator input (GB_MELGAN_GEN_IN floats). z may be NULL (zeros). [any] */
void gb_melgan_gen_input(const uint8_t *context, int steps, int num, int den, int mode,
                         int key, int density, const float *z, float *out) GB_RT;

/** The critic input (GB_MELGAN_CRIT_IN floats). [any] */
void gb_melgan_critic_input(const uint8_t *context, int steps, int num, int den, int mode,
                            int key, const uint8_t *bar, float *out) GB_RT;

/** Cross-entropy summed over steps 0..steps-1 of target tokens under per-step softmax of
 *  logits (GB_MELGAN_GEN_OUT). If dlogits is non-NULL it receives scale · d(loss)/d(logits)
 *  (zero past steps). Sets *correct to the argmax hits if non-NULL. [any] */
double gb_melgan_bar_ce(const float *logits, const uint8_t *target, int steps, float scale,
                        float *dlogits, int *correct);

/** Sample a bar from logits: temperature > 0, top_k 0 (all) or 1..GB_MDS_VOCAB. `prev` is
 *  the token sounding before step 0 (GB_MDS_REST for silence): a hold is never sampled after
 *  a rest (it would mean nothing). Steps past `steps` are GB_MDS_PAD. [any] */
void gb_melgan_sample(const float *logits, int steps, float temperature, int top_k, int prev,
                      uint64_t *rng, uint8_t *bar) GB_RT;

/** splitmix64 step and a uniform double in (0, 1) / a standard normal from it. [any] */
uint64_t gb_melgan_rng_next(uint64_t *s) GB_RT;
float gb_melgan_rng_normal(uint64_t *s) GB_RT;

/** Generation settings for gb_melgan_generate(). */
typedef struct gb_melgan_gen_opts {
    int version;       /* 1 */
    int bars;          /* 1.. */
    int num, den;      /* meter; steps per bar = num*16/den (<= GB_MDS_MAX_STEPS) */
    int mode;          /* 0 major, 1 minor */
    uint64_t seed;
    float temperature; /* 1 */
    int top_k;         /* 0 = all */
    int candidates;    /* K >= 1; with a critic, the best of K by critic score */
} gb_melgan_gen_opts_t;

/** Generate o->bars bars (normalised key) into bars (bars × GB_MDS_MAX_STEPS tokens), each
 *  conditioned on the previous one; the first on `first_context` (NULL: silence). gen must
 *  take GB_MELGAN_GEN_IN inputs and give GB_MELGAN_GEN_OUT; critic (optional) takes
 *  GB_MELGAN_CRIT_IN and gives 1. Scores (optional, one per bar) get the critic logit of the
 *  chosen bar. Deterministic for a seed. Returns 0 or GB_EINVAL. [main] */
int gb_melgan_generate(gb_nn_t *gen, gb_nn_t *critic, const gb_melgan_gen_opts_t *o,
                       const uint8_t *first_context, uint8_t *bars, float *scores,
                       gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
