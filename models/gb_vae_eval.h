/* gb_vae_eval.h — a trained timbre VAE loaded from its two files, and what `gbac eval timbre`
 * measures with it: decoding a dataset note, rendering and comparing notes, the effect of each
 * latent knob.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Latent knob effect (gb_vae_knob_effect): a 1.5 s A3 (220 Hz; held 1 s at −20 dB, then
 * released, its loudness falling 40 dB over 0.5 s; time inputs as gb_vae_time.h for a
 * time-aware decoder) is decoded at the knob setting u = 0 (the centre: the training notes'
 * mean latent) and at u_k = −2 and +2 for each knob k (z = mean + Σ u_k basis[k],
 * gb_vae_basis.h), each rendered through the oscillator bank at 48 kHz; knob k's change is
 * the mean of the two multi-scale spectral distances (gb_msd.h) to the centre's rendering.
 * A model without a stored basis uses the raw latent dimensions (z_k = u_k).
 */
#ifndef GB_VAE_EVAL_H
#define GB_VAE_EVAL_H

#include "gb_common.h"
#include "gb_modelfile.h"
#include "gb_oscbank.h"
#include "gb_timbre_ds.h"
#include "gb_vae.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_VAE_EVAL_SR 48000.0

/** A decoder file and its encoder (FILE.enc). */
typedef struct gb_vae_pair {
    gb_model_t *dec_file, *enc_file;
    gb_nn_t *dec, *enc;
    int zdim;            /* latent dimensions */
    int time_features;   /* decoder time inputs: 0 (static) or GB_VAE_TIME_FEATURES */
    const float *mean;   /* aux.latent.mean (zdim), or NULL */
    const float *basis;  /* aux.latent.basis (zdim × zdim), or NULL */
} gb_vae_pair_t;

/** Load `model` (decoder, batch rows per forward) and `model`.enc (batch 1), checking that
 *  they fit together (encoder 196 → 2Z, decoder Z + 2 (+ 6) → 97, a basis of the right
 *  shape if present). Returns 0 or GB_E* with err naming the file. [main] */
int gb_vae_pair_load(const char *model, int batch, gb_vae_pair_t *p, gb_error_t *err);

/** Free the pair's models. NULL-safe. [main] */
void gb_vae_pair_free(gb_vae_pair_t *p);

/** The latent for knob setting u (zdim values): mean + Σ u_k basis[k], or u itself without a
 *  basis. [any] */
void gb_vae_pair_latent(const gb_vae_pair_t *p, const float *u, float *z);

/** Decoder output row (97 values) → timbre frame (softmax, exp, normalised). [any] */
void gb_vae_output_frame(const float *o, gb_timbre_frame_t *t);

/** Decode the first n frames of dataset note ni from latent z into out (each frame's own
 *  pitch, loudness and, for a time-aware decoder, place in the note). Returns 0 or
 *  GB_EFORMAT when the decoder does not fit. [main] */
int gb_vae_decode_note(const gb_vae_pair_t *p, const gb_tds_t *ds, int ni, const float *z,
                       int n, gb_timbre_frame_t *out);

/** Multi-scale spectral distance between frames a and b, both rendered (n frames at f0_hz,
 *  GB_VAE_EVAL_SR) into the scratch buffers sa, sb of len samples (len ≥ 2048). NAN on
 *  failure. [main] */
double gb_vae_msd_frames(const gb_timbre_frame_t *a, const gb_timbre_frame_t *b, int n,
                         double f0_hz, const gb_noise_tables_t *tab, float *sa, float *sb,
                         size_t len);

/** Each knob's change (scheme above) into effect[0 .. zdim). Returns 0 or GB_ENOMEM. [main] */
int gb_vae_knob_effect(const gb_vae_pair_t *p, const gb_noise_tables_t *tab, double *effect);

#ifdef __cplusplus
}
#endif
#endif
