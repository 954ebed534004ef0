/* gb_vae.h — the timbre VAE and its CPU trainer (DESIGN.md §5).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Model
 *   Encoder input (GB_VAE_ENC_IN = 196): the mean over all frames of a note of
 *     [log(amp·harm[k] + 1e-4) k<64, log(noise[b] + 1e-5) b<32, loudness_db/60, log2(f0/440)]
 *   then the same mean over its first GB_VAE_ONSET_FRAMES frames (100 ms: the attack)
 *   → Dense(hidden, relu) → Dense(hidden, relu) → Dense(2·Z, linear) = [mu, logvar].
 *   z = mu + exp(logvar/2)·eps, eps ~ N(0,1) from the trainer's seeded RNG (z = mu when
 *   evaluating).
 *   Decoder, per frame: [z (Z), log2(f0/440), loudness_db/60, time (T)]
 *   with T = GB_VAE_TIME_FEATURES inputs of where the frame lies in its note
 *   (gb_vae_time.h, from the dataset's onset_s/off_s) when time_in_note, else T = 0
 *   → Dense(hidden, relu) → Dense(hidden, relu) → Dense(97, linear) =
 *     [64 harmonic logits (softmax → harmonic distribution), 32 log(noise + 1e-5),
 *      1 log(amp + 1e-4)].
 *   A frame whose f0 is not positive uses its note's f0 (440 Hz if that is not positive too).
 *
 * Loss of a minibatch of B notes (each note: up to frames_per_note frames drawn by the RNG,
 * onset_frames of them from its first 100 ms, the rest from the whole note; all of them when
 * it has fewer):
 *   (1/B) Σ_notes [ mean over the note's drawn frames of
 *                     ( CE(harm, softmax(logits)) + mean_b (noise err)² + (log-amp err)² )
 *                   + β_t · Σ_d max(KL_d, free_bits) ]
 *   KL_d = ½ (mu_d² + exp(lv_d) − lv_d − 1); β_t = β · min(1, step / warmup_steps) (linear
 *   warm-up over `warmup` epochs); below free_bits a dimension's KL carries no gradient.
 *
 * Training: Adam, notes shuffled every epoch by the RNG, validation loss (z = mu, all frames,
 * β at its final value) after every epoch, early stopping after `patience` epochs without
 * improvement (the best weights are kept), a checkpoint after every epoch when a path is set.
 * Deterministic: the same seed, data and configuration give bit-identical weights (OpenBLAS is
 * made single-threaded while training); resuming from a checkpoint written after epoch k
 * continues exactly as the uninterrupted run.
 *
 * Files written by gb_vae_save():
 *   OUT       the decoder, a gbac model file (gb_modelfile.h) of kind "timbre-vae-decoder",
 *             with the latent basis as auxiliary tensors (gb_vae_basis.h);
 *             its card holds the features, data, seed, command, metrics, the name of the
 *             encoder file, and "reference": the training set's mean frame and per-key mean
 *             frames (for `gbac eval timbre`).
 *   OUT.enc   the encoder, kind "timbre-vae-encoder" (input: the 98 pooled features above,
 *             output [mu, logvar]); its card names the decoder file.
 *   A model file holds one sequential model and the strict loader refuses extra tensors, so
 *   the pair is two files that name each other in their cards.
 *
 * Checkpoint (gb_vae_checkpoint_save): a safetensors file with tensors "encoder.params",
 * "decoder.params", "best.encoder", "best.decoder", "adam.encoder.m", "adam.encoder.v",
 * "adam.decoder.m", "adam.decoder.v" (flat vectors in the
 * gb_mlp_train.h layout) and "__metadata__" {"format":"gbac-vae-ckpt/1", "config": JSON,
 * "state": JSON (epoch, step, Adam step, RNG state, best validation loss and epoch,
 * epochs without improvement)}.
 */
#ifndef GB_VAE_H
#define GB_VAE_H

#include <stdint.h>

#include "gb_common.h"
#include "gb_mlp_train.h"
#include "gb_timbre_ds.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_VAE_POOL (GB_TIMBRE_HARMONICS + GB_TIMBRE_BANDS + 2)
#define GB_VAE_ENC_IN (2 * GB_VAE_POOL) /* the whole note, then its first 100 ms */
#define GB_VAE_ONSET_FRAMES 10          /* 100 ms of 10 ms frames */
#define GB_VAE_DEC_OUT (GB_TIMBRE_HARMONICS + GB_TIMBRE_BANDS + 1)
#define GB_VAE_MAX_LATENT 64

typedef struct gb_vae_config {
    int version;         /* 1 */
    int latent;          /* Z, 1..64 (8) */
    int hidden;          /* units of the hidden layers (128) */
    int epochs;          /* (300) */
    int batch;           /* notes per minibatch (16) */
    int frames_per_note; /* frames drawn per note and step (16) */
    float lr;            /* Adam learning rate (1e-3) */
    float beta;          /* final KL weight (0.05) */
    int warmup;          /* epochs of linear KL warm-up (10; 0 = none) */
    float free_bits;     /* per latent dimension, nats (2; 0 = off) */
    int patience;        /* early stopping: epochs without validation improvement (40; 0 off) */
    uint32_t seed;       /* (1) */
    const char *checkpoint; /* written after every epoch when non-NULL */
    int progress;        /* 1: a progress line with ETA on stderr */
    int onset_frames;    /* of frames_per_note, this many are drawn from the note's first
                            GB_VAE_ONSET_FRAMES frames (12) */
    int time_in_note;    /* 1: the decoder also sees where the frame lies in its note
                            (gb_vae_time.h); 0: the static ablation (1) */
} gb_vae_config_t;

/** The defaults above. [any] */
gb_vae_config_t gb_vae_config_default(void);

/** Results of training. */
typedef struct gb_vae_report {
    int epochs;            /* epochs run (including those before a resume) */
    int best_epoch;        /* 1-based epoch of the kept weights */
    double train_loss;     /* mean minibatch loss of the last epoch */
    double val_loss;       /* validation loss of the kept weights */
    double val_recon, val_kl; /* its parts */
    double seconds;        /* wall time of this call */
    int early_stopped;
} gb_vae_report_t;

typedef struct gb_vae gb_vae_t;

/** New VAE with freshly initialised weights (from cfg->seed). The config is copied (the
 *  checkpoint string too). Returns NULL with err on a bad config. [main] */
gb_vae_t *gb_vae_new(const gb_vae_config_t *cfg, gb_error_t *err);

/** Free. NULL-safe. [main] */
void gb_vae_free(gb_vae_t *v);

/** The encoder and decoder MLPs (owned by v). [main] */
gb_mlp_t *gb_vae_encoder(gb_vae_t *v);
gb_mlp_t *gb_vae_decoder(gb_vae_t *v); /**< [main] */

/** Check a dataset against what training needs: at least one training and one validation
 *  note (if there is no validation note, training notes are used for validation and a
 *  warning is not an error: returns 1), note frame ranges inside the frames array, finite
 *  values. Returns 0/1, or GB_EFORMAT / GB_EINVAL with err naming the note. [any] */
int gb_vae_check_data(const gb_tds_t *ds, gb_error_t *err);

/** Where frame `frame` of note `note` lies: seconds since its note-on and since its note-off
 *  (−1 while held or when the dataset does not know the note-off). [any] */
void gb_vae_frame_time(const gb_tds_t *ds, int note, uint32_t frame, float *t_on, float *t_off);

/** The encoder's pooled input of note i (GB_VAE_ENC_IN floats). [any] */
void gb_vae_note_features(const gb_tds_t *ds, int note, float *out);

/** Loss of a minibatch and, if grad, its gradient added to the MLPs' gradient vectors (zeroed
 *  first). notes: n note indices; frames: for each note, the frame indices (relative to the
 *  note) to use, nf[i] of them, concatenated; eps: n × Z normal samples (NULL: z = mu).
 *  beta is the KL weight. recon and kl (NULL-safe) receive the two parts. Returns the loss
 *  or NAN on bad arguments (more rows than the decoder's max batch, > 4096).
 *  The pooled encoder inputs of ds are computed on first use and cached by the dataset's
 *  address and note count: do not change a dataset's frames between calls on the same v.
 *  [main] */
double gb_vae_batch_loss(gb_vae_t *v, const gb_tds_t *ds, const int *notes, int n,
                         const int *nf, const int *frames, const float *eps, double beta,
                         int grad, double *recon, double *kl);

/** Validation loss over every frame of every note of a split (z = mu). Splits without notes
 *  give NAN. [main] */
double gb_vae_eval(gb_vae_t *v, const gb_tds_t *ds, gb_tds_split_t split, double beta,
                   double *recon, double *kl);

/** Mean over the frames of a split of mean_k |log(p̂_k + 1e-4) − log(harm_k + 1e-4)|, where p̂
 *  is the decoder's harmonic distribution (z = mu); if ref is non-NULL (64 floats), p̂ is ref
 *  instead (e.g. the training set's mean harmonic distribution). [main] */
double gb_vae_harm_l1(gb_vae_t *v, const gb_tds_t *ds, gb_tds_split_t split, const float *ref);

/** The training set's mean frame (amp, harm, noise). [any] */
void gb_vae_mean_frame(const gb_tds_t *ds, gb_timbre_frame_t *out);

/** Train on the train split (validation on the validation split). Resumes where a checkpoint
 *  loaded by gb_vae_checkpoint_load() left off. Returns 0 or a GB_E* code with err (NaN loss,
 *  checkpoint write failure). [main] */
int gb_vae_train(gb_vae_t *v, const gb_tds_t *ds, gb_vae_report_t *rep, gb_error_t *err);

/** Write / read a checkpoint (format above). Loading checks the latent and hidden sizes
 *  against v's configuration and fails with a message naming the file otherwise. [main] */
int gb_vae_checkpoint_save(gb_vae_t *v, const char *path, gb_error_t *err);
int gb_vae_checkpoint_load(gb_vae_t *v, const char *path, gb_error_t *err); /**< [main] */

/** Write the decoder to `out` and the encoder to `out`.enc (see above). command is stored in
 *  the cards (may be NULL). rep gives the metrics. Returns 0 or GB_E* with err naming the
 *  file. [main] */
int gb_vae_save(gb_vae_t *v, const gb_tds_t *ds, const gb_vae_report_t *rep,
                const char *command, const char *out, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
