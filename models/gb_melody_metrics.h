/* gb_melody_metrics.h — objective measures of symbolic melodies for `gbac eval melody`:
 * the phrase features of Yang & Lerch ("On the evaluation of generative models in music",
 * 2018), the overlapped area and KL divergence of distance distributions, scale consistency,
 * pitch-class entropy and hashes of bars for copy (novelty) checks.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A phrase is a run of step tokens (gb_melody_ds.h: 0 rest, 1 hold, 2 + pitch − 48; GB_MDS_PAD
 * steps are skipped), bars laid end to end. A note starts at a pitch token and lasts while
 * holds follow; a hold after a rest (or at the start) is treated as a rest.
 */
#ifndef GB_MELODY_METRICS_H
#define GB_MELODY_METRICS_H

#include <stdint.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_MM_NL_BINS 8 /* note-length classes, in 16th steps: 1, 2, 3, 4, 5-6, 7-8, 9-12, 13+ */

/** Features of one phrase. Histograms are normalised to sum 1 (all zero without notes). */
typedef struct gb_mm_features {
    int pitch_count;              /* distinct MIDI pitches */
    int note_count;               /* note onsets */
    int pitch_range;              /* highest − lowest pitch, semitones (0 without notes) */
    double avg_interval;          /* mean |pitch difference| of consecutive notes, semitones */
    double avg_ioi;               /* mean steps between consecutive onsets (0 with < 2 notes) */
    double pc_hist[12];           /* pitch-class histogram of notes (0 = C) */
    double pc_trans[144];         /* pitch-class transitions [from * 12 + to] of consecutive notes */
    double nl_hist[GB_MM_NL_BINS]; /* note lengths, classes above */
} gb_mm_features_t;

/** The features of tokens[0 .. n). [any] */
void gb_mm_features(const uint8_t *tokens, int n, gb_mm_features_t *f);

/** Number of scalar/vector features compared by gb_mm_feature_distance(). */
#define GB_MM_N_FEATURES 8

/** Feature names in index order: "pitch_count", "pitch_class_hist", "pitch_class_transition",
 *  "pitch_range", "avg_interval", "note_count", "avg_ioi", "note_length_hist". NULL out of
 *  range. [any] */
const char *gb_mm_feature_name(int k);

/** Distance between two phrases in feature k: absolute difference for scalars, Euclidean for
 *  histograms and the transition matrix. [any] */
double gb_mm_feature_distance(const gb_mm_features_t *a, const gb_mm_features_t *b, int k);

/** Overlapped area of the densities of samples a[0..na) and b[0..nb): Gaussian kernel density
 *  estimates (Scott's bandwidth per sample, floored at 1e-3 of the pooled spread or 1e-6),
 *  integrated on a 512-point grid; 1 for identical samples, ~0 for far-apart ones.
 *  *kl (optional) gets KL(a ‖ b) in nats on the same grid (densities floored at 1e-10).
 *  NAN when na or nb < 1. [any] */
double gb_mm_overlap(const double *a, int na, const double *b, int nb, double *kl);

/** Largest share of notes (by count, from pc_hist) inside one of the 24 major / natural minor
 *  scales; 0 without notes. [any] */
double gb_mm_scale_consistency(const double pc_hist[12]);

/** Shannon entropy in bits of a normalised 12-bin pitch-class histogram. [any] */
double gb_mm_pc_entropy(const double pc_hist[12]);

/** Hash of tokens[0 .. n) (pads included, so the meter counts). transpose_free: pitches are
 *  taken relative to the lowest one, so transposed copies hash alike. [any] */
uint64_t gb_mm_hash(const uint8_t *tokens, int n, int transpose_free);

/** Sort hashes in place for gb_mm_hash_find(). [any] */
void gb_mm_hash_sort(uint64_t *h, int n);

/** 1 if h is in the sorted array set[0 .. n), else 0. [any] */
int gb_mm_hash_find(const uint64_t *set, int n, uint64_t h);

/** Phrase form, accumulated over phrases by gb_mm_phrase_form(). */
typedef struct gb_mm_form {
    int compared;   /* bars with an earlier bar in their 8-bar phrase */
    int repeats;    /* of those, equal to an earlier bar of the phrase (every token) */
    int variations; /* not repeats, but with an earlier bar's rhythm (onset steps) or sharing
                       at least 3/4 of its steps' tokens */
    int ends;       /* phrase-final bars (position 7) with a note */
    int ends_td;    /* of those, whose last note is the tonic or the dominant */
} gb_mm_form_t;

/** Add the form of n_bars consecutive bars of `steps` steps (bar i at phrase position
 *  (pos0 + i) mod 8; phrases of 8 bars) to *f. Tokens are in the normalised key, mode 0
 *  major (tonic C, dominant G) or 1 minor (A, E). [any] */
void gb_mm_phrase_form(const uint8_t *bars, int n_bars, int steps, int pos0, int mode,
                       gb_mm_form_t *f);

#ifdef __cplusplus
}
#endif
#endif
