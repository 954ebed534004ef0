/* gb_melody_eval.h — the melody GAN against held-out tunes (`gbac eval melody`).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For each test-split tune with at least two bars (in a meter the generator takes), `bars`
 * bars (fewer if the tune is shorter) are generated as live: the first conditioned on the
 * tune's first bar, each next one on the bars generated before it, at the tune's phrase
 * positions (a first bar starting with a rest is a pickup), the density the model's own
 * (top-k 6, one of 4 chosen by the critic when there is one, seed + tune index). The reference
 * phrases are the same tunes' real bars 2..bars+1.
 *
 * Measured: the Yang & Lerch features per phrase (gb_melody_metrics.h), for each the
 * overlapped area (OA, 1 = same) and KL divergence of the real intra-set distance density
 * against the generated-to-real inter-set one, and the mean distances; scale consistency and
 * pitch-class entropy; the share of 2-bar phrases and of bars that copy a training-split one
 * exactly or up to transposition, for the generated and the held-out real phrases; the
 * critic's mean logit on generated and real bars; a classifier two-sample test
 * (gb_melody_c2st.h: a fresh classifier of (bar before, bar) learns 3000 train-split bars
 * against as many generated from their contexts and is scored on the held-out phrases
 * against the generated ones; 0.5 = indistinguishable); phrase form (gb_mm_phrase_form):
 * bars repeating or varying an earlier bar of their 8-bar phrase, phrase ends on the tonic or
 * dominant, for the generated and the real phrases.
 *
 * Answers to calls cut from the same held-out tunes, in every key: gb_melody_answers.h; the
 * accompaniment of their chord progressions: gb_melody_accomp.h.
 *
 * To add a measure: a field in gb_melody_eval_result_t, computed in gb_melody_eval.c, and a
 * line in the JSON field table there (the JSON and the docs follow the table).
 */
#ifndef GB_MELODY_EVAL_H
#define GB_MELODY_EVAL_H

#include <jansson.h>
#include <stdint.h>

#include "gb_common.h"
#include "gb_melody_answers.h"
#include "gb_melody_metrics.h"

#define GB_MELODY_EVAL_MAX_BARS 64

typedef struct gb_melody_eval_config {
    const char *model; /* generator file (its critic: FILE.disc); NULL: the shipped one */
    const char *data;  /* dataset folder (`gbac dataset melody`) */
    int bars;          /* bars generated per tune, 1..GB_MELODY_EVAL_MAX_BARS (8) */
    int seed;          /* (1) */
    int top_k;         /* sample among the top_k likeliest tokens, 0 = all (6) */
    int candidates;    /* bars sampled per bar, one chosen by the critic (4) */
} gb_melody_eval_config_t;

/** Defaults as documented above. [any] */
void gb_melody_eval_config_init(gb_melody_eval_config_t *c);

/** One evaluated tune: its generated and real bars (bars × GB_MDS_MAX_STEPS tokens). */
typedef struct gb_melody_eval_phrase {
    char name[64];    /* the tune's name */
    int bars, steps;  /* bars, steps per bar */
    uint8_t *gen, *real;
} gb_melody_eval_phrase_t;

typedef struct gb_melody_eval_result {
    char model[4200];            /* the generator's file */
    char critic[4300];           /* its critic's file, scored or not */
    int has_critic;              /* 1: the critic was there and scored the bars */
    int phrases;                 /* tunes evaluated */
    long generated_bars;
    double oa[GB_MM_N_FEATURES], kl[GB_MM_N_FEATURES]; /* per feature (gb_mm_feature_name) */
    double intra_real[GB_MM_N_FEATURES], intra_gen[GB_MM_N_FEATURES], inter[GB_MM_N_FEATURES];
    double copy_rate_generated, copy_rate_heldout;     /* 2-bar phrases, exact copies */
    double copy_rate_generated_transposed, copy_rate_heldout_transposed;
    double bar_copy_rate_generated, bar_copy_rate_heldout;
    double bar_copy_rate_generated_transposed, bar_copy_rate_heldout_transposed;
    double scale_consistency, scale_consistency_real;
    double pitch_class_entropy, pitch_class_entropy_real; /* bits */
    double critic_generated, critic_real;                 /* mean logits; NAN without critic */
    double c2st_accuracy;                                 /* 0.5: indistinguishable */
    double phrase_repeat, phrase_repeat_heldout;         /* shares of bars (gb_mm_form_t) */
    double phrase_variation, phrase_variation_heldout;
    double phrase_end_tonic_dominant, phrase_end_tonic_dominant_heldout;
    /* answers to calls (gb_melody_answers.h) */
    double key_from_call, answer_in_key, answer_cadence, answer_cadence_heldout;
    double answer_range_ratio, answer_empty_bars;
    double answer_density_dense, answer_density_sparse, answer_density_ratio;
    long answer_calls, answers;
    long key_ref_abc, key_ref_fallback, key_ref_agree; /* key_from_call's reference tunes */
    int n_shown; /* calls and answers for a picture */
    gb_melody_answer_shown_t shown[GB_MELODY_ANSWERS_SHOWN];
    /* accompaniment of the tunes' chord progressions (gb_melody_accomp.h) */
    double acc_strong_chord_tones, acc_strong_chord_tones_heldout, acc_in_key, acc_in_key_heldout;
    double acc_above_chord, acc_above_chord_heldout, acc_mean_interval, acc_mean_interval_heldout;
    long acc_bars;
    gb_melody_eval_phrase_t *phrase;                     /* phrases of them */
} gb_melody_eval_result_t;

/** Evaluate (see above). Returns 0 and *r (free with gb_melody_eval_result_free), or a
 *  negative error naming the file, or the dataset when it has fewer than 2 usable test
 *  tunes. [main] */
int gb_melody_eval(const gb_melody_eval_config_t *c, gb_melody_eval_result_t *r,
                   gb_error_t *err);

/** Free the phrases. NULL-safe. [main] */
void gb_melody_eval_result_free(gb_melody_eval_result_t *r);

/** The result as a JSON object: oa_<feature> and kl_<feature> for each feature, then
 *  copy_rate_generated, copy_rate_heldout, copy_rate_generated_transposed,
 *  copy_rate_heldout_transposed, bar_copy_rate_* (the same four), scale_consistency,
 *  scale_consistency_real, pitch_class_entropy, pitch_class_entropy_real, critic_generated,
 *  critic_real (null without a critic), c2st_accuracy, phrase_repeat, phrase_repeat_heldout,
 *  phrase_variation, phrase_variation_heldout, phrase_end_tonic_dominant,
 *  phrase_end_tonic_dominant_heldout, key_from_call, answer_in_key, answer_cadence,
 *  answer_cadence_heldout, answer_range_ratio, answer_empty_bars, answer_density_dense,
 *  answer_density_sparse, answer_density_ratio, phrases, generated_bars, answer_calls,
 *  answers, key_ref_abc, key_ref_fallback, key_ref_agree (tunes, gb_melody_answers.h), acc_strong_chord_tones(+_heldout), acc_in_key(+_heldout), acc_above_chord(+_heldout),
 *  acc_mean_interval(+_heldout), acc_bars. NULL when out of memory.
 *  [main] */
json_t *gb_melody_eval_json(const gb_melody_eval_result_t *r);

#endif
