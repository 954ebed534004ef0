/* gb_timbre_eval.h — how well a timbre VAE reconstructs held-out notes (`gbac eval timbre`):
 * multi-scale spectral distance of rendered audio against two baselines, and latent
 * smoothness along straight paths between notes of different instruments.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reconstruction: every test-split note of the dataset is encoded (its mu), each frame decoded
 * from the latent, the frame's pitch and loudness. Original and reconstructed frames are
 * rendered through the harmonic synth's oscillator bank and compared by multi-scale spectral
 * distance (FFT 2048..64, L1 on magnitude and log magnitude). Baselines: the training set's
 * mean frame, and the frames of the training note nearest in pitch (both scaled to the
 * original's loudness frame by frame).
 *
 * Smoothness: for up to GB_TIMBRE_EVAL_PATHS pairs of test notes of different instruments
 * (test note i and note i + n/2), z goes linearly from A's mu to B's mu in
 * GB_TIMBRE_EVAL_STEPS steps; each latent is decoded at the midpoint key's pitch and
 * GB_TIMBRE_EVAL_DB. A step's change is the mean over the harmonics of |log(p + 1e-4)|
 * differences of the harmonic distributions p; reported are the largest step / mean step of
 * a path (1.0 = perfectly even), its mean and max over paths, and the fraction of paths whose
 * spectral centroid (in harmonic numbers) changes monotonically.
 */
#ifndef GB_TIMBRE_EVAL_H
#define GB_TIMBRE_EVAL_H

#include <stdio.h>

#include "gb_common.h"

#define GB_TIMBRE_EVAL_STEPS 16   /* interpolation steps per latent path */
#define GB_TIMBRE_EVAL_PATHS 50   /* at most this many paths */
#define GB_TIMBRE_EVAL_DB -20.0f  /* loudness the paths are decoded at */

/** A decoder (model) and its encoder (model.enc) with a dataset. */
typedef struct gb_timbre_eval gb_timbre_eval_t;

/** Load the models and the dataset and check that they fit together (matching encoder and
 *  decoder, training and test notes). static_model: the static ablation to compare onsets
 *  with (NULL: model.static if it exists, else none). Errors name the file. [main] */
gb_timbre_eval_t *gb_timbre_eval_open(const char *model, const char *static_model,
                                      const char *data, gb_error_t *err);

/** Free. NULL-safe. [main] */
void gb_timbre_eval_free(gb_timbre_eval_t *e);

/** Latent dimensions of the model. [main] */
int gb_timbre_eval_latent_dims(const gb_timbre_eval_t *e);

/** One note of the dataset at the encoder's mean. */
typedef struct gb_timbre_eval_point {
    float x, y;  /* mu[dims[0]], mu[dims[1]] */
    int program; /* GM program, or -1 */
    int test;    /* 1: a test-split note */
} gb_timbre_eval_point_t;

/** Every note of the dataset (all splits) at (mu[dims[0]], mu[dims[1]]): *points (free())
 *  and *n, and each axis's standard deviation over the notes in sd (a dimension the KL term
 *  collapsed onto the prior shows as a spread near 0). Returns 0 or a negative error. [main] */
int gb_timbre_eval_points(const gb_timbre_eval_t *e, const int dims[2],
                          gb_timbre_eval_point_t **points, int *n, double sd[2],
                          gb_error_t *err);

typedef struct gb_timbre_eval_result {
    double msd_model, msd_mean_frame, msd_nearest_note; /* mean over the test notes */
    int test_notes;                                     /* notes evaluated */
    double smooth_max_ratio, smooth_mean_ratio;         /* largest / mean step, over paths */
    double monotonic_fraction;                          /* paths with a monotonic centroid */
    int paths;                                          /* paths measured */
    /* latent knobs (gb_vae_eval.h): each knob's change of a rendered A3, absolute and
     * relative to the strongest */
    int latent, has_basis, time_in_note;
    double knob_change[64], knob_effect[64];
    /* the first 100 ms of the test notes of at least 10 frames: this model, the static
     * ablation, and on the same notes the whole-note distances of both */
    int onset_notes, has_static;
    double msd_onset_model, msd_onset_static, msd_static, msd_model_onset_notes;
} gb_timbre_eval_result_t;

/** Evaluate (see above) at most max_notes test notes (< 0: all; the smoothness paths use all
 *  test notes). Returns 0 or a negative error. [main] */
int gb_timbre_eval_run(gb_timbre_eval_t *e, int max_notes, gb_timbre_eval_result_t *r,
                       gb_error_t *err);

/** The result as one JSON object on a line: msd_model, msd_mean_frame, msd_nearest_note,
 *  test_notes, improvement_over_mean_frame, latent_smoothness_max_step_ratio,
 *  latent_smoothness_mean_step_ratio, latent_centroid_monotonic_fraction, latent_paths,
 *  latent_dim_effect, latent_dim_change, time_in_note, onset_notes, msd_onset_model,
 *  msd_onset_static, msd_static (null without an ablation), msd_model_onset_notes.
 *  [main] */
void gb_timbre_eval_write_json(const gb_timbre_eval_result_t *r, FILE *f);

#endif
