/* gb_melgan.h — the melody GAN's trainer: an autoregressive generator of one bar (gb_melgen.h)
 * pre-trained by likelihood as a conditional VAE, a critic of windows (the bar and
 * the bars one, two and four before it, GB_MELGEN_CRIT_IN), and an
 * adversarial fine-tune of the generator against the critic by REINFORCE; model files; and
 * bar-by-bar generation with K candidates ranked by the critic.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Training (gb_melgan_train), on the train split of a melody dataset (gb_melody_ds.h), in
 * four phases (models/melody-gan.md argues the choices):
 *   1. likelihood   the generator (Dense relu → GRU → Dense, teacher forcing) and a posterior
 *                   encoder q(z | bar, previous bar): cross-entropy of the bar's tokens plus
 *                   kl_z · Σ_d max(KL_d, free_bits) of q against N(0, 1) (a conditional VAE:
 *                   the latent learns what the conditioning does not say, so the taste can
 *                   move something). Early stopping on the validation split (cross-entropy
 *                   with z = 0 plus the latent's KL per step); the best epoch is kept.
 *   2. critic       the critic learns real windows against windows whose last one
 *                   or two bars the generator sampled (binary cross-entropy).
 *   3. adversarial  adv_steps iterations: adv_contexts real contexts × adv_k samples of two
 *                   bars each (temperature 1, the whole vocabulary); the critic takes one
 *                   step on them; each sampled bar is rewarded with the critic's logit of its
 *                   window (the first bar also with the second's), its advantage is the reward
 *                   minus the mean of the other samples of the same context (leave-one-out
 *                   baseline), scaled by the running standard deviation; the generator's loss
 *                   is −advantage · log p(bar) + adv_kl · KL(p ‖ p_likelihood) per step,
 *                   exact over the vocabulary on the sampled steps, + adv_mle · cross-entropy
 *                   of a real batch. adv_steps = 0 keeps the likelihood model.
 *   4. critic 2     after a fine-tune, a fresh critic (phase 2 again, critic_steps) learns
 *                   the final generator's windows: the critic shipped with it, which picks
 *                   among the K candidates live.
 * Conditioning of a training bar (gb_melgen_cond_t): the record's previous bar, the one
 * before and the one four bars back, meter, mode, augmentation transposition, phrase position
 * (bar − pickup) mod 8 where the tune's first bar is a pickup when it starts with a rest, with
 * probability density_p the bar's onset count (else "the generator chooses"), and with
 * probability chord_p its best triad (gb_melgen_bar_triad) as the held chord.
 *
 * Determinism: every random draw comes from splitmix64 streams derived from the seed, the
 * phase and the epoch or iteration; OpenBLAS runs single-threaded; worker threads (threads
 * > 1) split a batch in fixed halves whose gradients are summed in a fixed order. So the
 * same data, configuration and seed give bit-identical files on one machine, and a run
 * resumed from a checkpoint ends where the uninterrupted run ends.
 */
#ifndef GB_MELGAN_H
#define GB_MELGAN_H

#include <stdint.h>

#include "gb_common.h"
#include "gb_melgen.h"
#include "gb_melody_ds.h"
#include "gb_nn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_MELGAN_CONFIG_VERSION 2

typedef struct gb_melgan_config {
    int version;          /* GB_MELGAN_CONFIG_VERSION */
    int embed;            /* units of the input Dense layer (128) */
    int hidden;           /* GRU units (128) */
    int enc_hidden;       /* units of the posterior encoder's hidden layer (128) */
    int critic_hidden;    /* units of the critic's two hidden layers (128) */
    int batch;            /* bars per likelihood minibatch (64) */
    int epochs;           /* likelihood epochs at most (8) */
    int per_epoch;        /* training bars drawn per epoch, 0 = all (60000) */
    int patience;         /* early stop after N epochs without validation gain (2; 0 never) */
    float lr;             /* Adam learning rate of the likelihood phase (2e-3) */
    float kl_z;           /* weight of the latent's KL (1) */
    float free_bits;      /* nats per latent dimension not penalised (0.15) */
    float chord_p;        /* share of training bars given their triad as the chord (0.5) */
    float density_p;      /* share of training bars given their onset count (0.5) */
    int critic_steps;     /* critic iterations of phase 2 (1500) */
    float critic_lr;      /* Adam learning rate of the critic (5e-4) */
    int adv_steps;        /* adversarial iterations (600; 0 = likelihood only) */
    int adv_contexts;     /* real contexts per iteration (16) */
    int adv_k;            /* samples per context (4) */
    float adv_lr;         /* Adam learning rate of the fine-tune (1e-4) */
    float adv_kl;         /* weight of the KL to the likelihood model (0.05) */
    float adv_mle;        /* weight of the likelihood of a real batch (0.1) */
    int threads;          /* worker threads 1..2 (1) */
    uint32_t seed;        /* (1) */
    int progress;         /* a progress line with the ETA on stderr */
    const char *checkpoint; /* written after every epoch, phase and 100 iterations; NULL */
} gb_melgan_config_t;

/** What a run measured. */
typedef struct gb_melgan_report {
    int epochs, best_epoch, early_stopped;
    double train_ce, val_ce, val_acc, val_kl_z; /* nats per step (z = 0); accuracy; nats/bar */
    double critic_acc_mle;   /* critic (phase 2), validation windows real vs generated */
    double critic_acc;       /* the final critic against the final generator */
    int adv_steps;
    double adv_reward_first, adv_reward_last; /* mean critic logit of samples, first / last
                                                 10 % of the fine-tune */
    double adv_kl_last;      /* mean KL to the likelihood model per step, last 10 % */
    double val_ce_adv;       /* validation cross-entropy of the fine-tuned generator */
    double seconds, seconds_mle, seconds_critic, seconds_adv;
    int n_train, n_val;
} gb_melgan_report_t;

typedef struct gb_melgan gb_melgan_t;

gb_melgan_config_t gb_melgan_config_default(void); /**< [any] */

/** New trainer with freshly initialised networks. NULL with err on a bad config. The
 *  checkpoint path is copied. [main] */
gb_melgan_t *gb_melgan_new(const gb_melgan_config_t *cfg, gb_error_t *err);
void gb_melgan_free(gb_melgan_t *g); /**< NULL-safe [main] */

/** Train (or continue from a loaded checkpoint) on ds. Returns 0 or a GB_E* code with err
 *  (no training bars, diverging loss, checkpoint not writable). [main] */
int gb_melgan_train(gb_melgan_t *g, const gb_melody_ds_t *ds, gb_melgan_report_t *rep,
                    gb_error_t *err);

/** Resume from a checkpoint (same sizes); the next gb_melgan_train continues after the
 *  epoch, phase or iteration it was written at. [main] */
int gb_melgan_checkpoint_load(gb_melgan_t *g, const char *path, gb_error_t *err);

/** Mean cross-entropy per step (z = 0) and token accuracy of the current generator on a
 *  split; NAN when it has no bar. [main] */
double gb_melgan_eval(gb_melgan_t *g, const gb_melody_ds_t *ds, gb_mds_split_t split,
                      double *acc);

/** Save the generator to out (kind "melody-gan-generator") and its critic to out.disc (kind
 *  "melody-gan-critic"), cards naming each other. which: 0 the current (fine-tuned) model,
 *  1 the likelihood model and its phase-2 critic (kept when adversarial training ran). The
 *  generator file carries the training corpus' 2-bar phrase hashes (gb_melody_copy.h).
 *  [main] */
int gb_melgan_save(gb_melgan_t *g, const gb_melody_ds_t *ds, const gb_melgan_report_t *rep,
                   const char *command, int which, const char *out, gb_error_t *err);

/** Runtime models of the current generator (up to max_batch rows) and critic. [main] */
gb_nn_t *gb_melgan_export_generator(gb_melgan_t *g, int max_batch, gb_error_t *err);
gb_nn_t *gb_melgan_export_critic(gb_melgan_t *g, int max_batch, gb_error_t *err);

/* ---- generation ------------------------------------------------------------------------ */

/** Settings of gb_melgan_generate. */
typedef struct gb_melgan_gen_opts {
    int version;       /* 2 */
    int bars;          /* 1.. */
    int num, den;      /* meter; steps per bar = num·16/den (<= GB_MDS_MAX_STEPS) */
    int mode;          /* 0 major, 1 minor */
    int phrase_pos;    /* position of the first bar in its 8-bar phrase, 0..7 */
    int density;       /* wanted onsets of the first bar; 0: the bar before's (none from
                          silence); −1: the generator chooses. Later bars: it chooses */
    uint64_t seed;
    float temperature; /* 1 */
    int top_k;         /* 0 = all */
    int candidates;    /* K >= 1 (1..GB_MELGEN_MAX_ROWS); with a critic one of K is kept */
    int pick_best;     /* 0: candidate j kept with probability ∝ exp(critic logit_j)
                          (gb_melgan_pick); 1: the critic's favourite */
    const int *chords; /* NULL, or one pitch-class mask per bar (0 = no chord) */
} gb_melgan_gen_opts_t;

/** Generate o->bars bars (normalised key) into bars (bars × GB_MDS_MAX_STEPS tokens), each
 *  conditioned on the bars before it; the first on `history`: n_history (0..4) bars of
 *  GB_MDS_MAX_STEPS tokens, the bar just before first, then the one before that, ...
 *  (missing ones are silence). The K candidates of a bar are sampled together
 *  (one batched forward per step); the critic (optional) chooses one (o->pick_best), whose
 *  logit goes to scores[b] (optional). gen must take GB_MELGEN_STEP_IN and give GB_MDS_VOCAB with
 *  max batch >= K; critic GB_MELGEN_CRIT_IN → 1. Deterministic for a seed. [main] */
int gb_melgan_generate(gb_nn_t *gen, gb_nn_t *critic, const gb_melgan_gen_opts_t *o,
                       const uint8_t *history, int n_history, uint8_t *bars, float *scores,
                       gb_error_t *err);

/** Which of k candidates to keep, by their critic logits: the largest (rng NULL), or one drawn
 *  with probability ∝ exp(logit) from rng — a critic trained to tell the corpus from the
 *  generator estimates log(p_corpus/p_model) in its logit, so this resampling moves the
 *  model's distribution towards the corpus where the argmax would narrow it. [any] */
int gb_melgan_pick(const float *logits, int k, uint64_t *rng) GB_RT;

/** Check that a loaded generator / critic has the sizes of this version's melody GAN;
 *  a clear message otherwise (e.g. a model file from before version 2). [any] */
int gb_melgan_check_generator(const gb_nn_t *gen, const char *name, gb_error_t *err);
int gb_melgan_check_critic(const gb_nn_t *critic, const char *name, gb_error_t *err);

/** The model card's features.version this gbac writes: 3 since the critic's input is laid out
 *  as GB_MELGEN_K_* names it (a version-2 critic has as many inputs in a shifted order). */
#define GB_MELGAN_FEATURES_VERSION 3

/** Check a critic's card features.version (0 when the card has none): an error naming `name`
 *  unless it is GB_MELGAN_FEATURES_VERSION or later. [any] */
int gb_melgan_check_critic_version(int version, const char *name, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
