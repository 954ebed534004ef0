/* gb_melody_answers.h — how the melody GAN answers a call (`gbac eval melody`, the answer
 * keys of its JSON): calls cut from held-out tunes, transposed into every key, heard as the
 * CLI and the live unit hear them (gb_call_key), answered by the generator as `gbac generate
 * melody --after` answers (the call's two bars as the context, the key detected, the first
 * answer bar at the call's last bar's density).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The calls. Every test-split tune of the dataset with at least 8 bars after its pickup (a
 * first bar starting with a rest) in a meter the generator takes: bars 4–5 of its first 8-bar
 * phrase are the call, bars 0–3 what the performer played before it, bars 6–7 the real
 * answer. Each call is transposed into the 12 keys of its mode (the dataset's key: C major or
 * A minor moved up 0..11 semitones, pitches folded into 48..96), so major and minor tunes
 * give calls in all 24 keys.
 *
 * Measured:
 *   key_from_call        share of calls whose detected key is the tune's own key, moved
 *                        with the call: the key its ABC file states (below), else the
 *                        dataset's
 *   answer_in_key        share of the answers' note onsets in the call's key (major, or
 *                        minor with both sixths and sevenths: natural and harmonic/melodic)
 *   answer_cadence       share of answers whose last note is the key's tonic or dominant
 *   answer_cadence_heldout  the same of the real bars 6–7
 *   answer_range_ratio   the answers' mean pitch range (semitones, highest − lowest) over
 *                        the calls' mean pitch range
 *   answer_empty_bars    share of answers with a bar of fewer than two onsets after a call
 *                        whose bars have two or more each
 *   answer_density_dense / _sparse  mean onsets per answer bar after the calls whose last
 *                        bar has more / fewer onsets than the calls' median; their ratio
 *                        answer_density_ratio
 *
 * Who answers: gb_melody_answers the generator as `gbac generate melody --after` does
 * (gb_melody_answer.h); gb_melody_answers_by any answerer (the live unit's test plays the calls
 * to gbac.melody-gan), measured the same way.
 *
 * The tune's own key (key_from_call's reference). The key its ABC file in the shipped corpus
 * (GB_MELODY_CORPUS_ABC, found as the accompaniment finds it) states: the K: in force at the
 * call's second bar (bar 5 after the pickup), moved by the dataset's shift of the tune and by
 * the call's transposition. Modes map to the major/minor pair by their third, as gb_abc.h
 * reads them (ionian, lydian, mixolydian: major; aeolian, dorian, phrygian, locrian: minor;
 * same tonic): the detector names only major and minor, and a D-mixolydian or E-dorian tune
 * is heard as D major / E minor by its tonic and third — only its seventh or sixth differs
 * (every K: of the corpus is a plain major or minor key). A tune without an
 * ABC (another corpus, or none found) keeps the dataset's key: the Krumhansl–Schmuckler key of
 * the whole tune (docs/dataset.md), which differs from the ABC's for about 1 tune in 6 — a
 * two-bar call cannot be expected to find a whole-tune average key, while the key written
 * over the tune is what its player reads. key_ref_abc / key_ref_fallback count the tunes of
 * each reference, key_ref_agree those whose ABC key is the dataset's.
 * answer_in_key, answer_cadence and answer_cadence_heldout keep the dataset's key.
 *
 * Transpositions: key detection is measured on all 12 of every call; the answers on 3 of
 * them (t, t+4, t+8 semitones for the tune's index t mod 4: every tonic of both modes over
 * the tunes) — the generator works in the normalised key, so more transpositions of one
 * call only repeat its answer.
 */
#ifndef GB_MELODY_ANSWERS_H
#define GB_MELODY_ANSWERS_H

#include <stdint.h>

#include "gb_common.h"
#include "gb_melody_ds.h"
#include "gb_nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A call and its answer, for a picture (`gbac eval melody --roll`). */
#define GB_MELODY_ANSWERS_SHOWN 6
typedef struct gb_melody_answer_shown {
    char tune[64];
    int steps;         /* steps per bar */
    int tonic, mode;   /* the call's key (pitch class; 0 major, 1 minor) */
    uint8_t bars[4 * GB_MDS_MAX_STEPS]; /* the call's 2 bars, then the answer's 2: tokens at
                                           real pitch (gb_melody_ds.h) */
} gb_melody_answer_shown_t;

typedef struct gb_melody_answers {
    long calls;   /* transposed calls whose key was detected */
    long answers; /* answers generated */
    long key_ref_abc, key_ref_fallback; /* tunes whose own key is their ABC's / the dataset's */
    long key_ref_agree;                 /* tunes whose ABC key is the dataset's */
    double key_from_call, answer_in_key, answer_cadence, answer_cadence_heldout;
    double answer_range_ratio, answer_empty_bars;
    double answer_density_dense, answer_density_sparse, answer_density_ratio;
    int n_shown; /* the first answer of each of the first tunes answered */
    gb_melody_answer_shown_t shown[GB_MELODY_ANSWERS_SHOWN];
} gb_melody_answers_t;

/** What an answerer plays at a step: a MIDI pitch (an onset), or one of these. */
#define GB_MELODY_OUT_REST (-1)
#define GB_MELODY_OUT_HOLD (-2)

/** An answerer: `call` holds the tune's first 6 bars after its pickup moved into the call's
 *  key (6 × GB_MDS_MAX_STEPS tokens at real pitch: four bars before the call, then the call's
 *  two), bars of `steps` in meter num/den; (tonic, mode) the key gb_call_key detected from
 *  them (the generator's answerer uses it; the live unit detects its own); seed. It writes
 *  the 2 answer bars into out (2 × GB_MDS_MAX_STEPS: GB_MELODY_OUT_* or a MIDI pitch per
 *  step). Returns 0, 1 when it cannot take the call's meter (the call is not counted), or a
 *  negative error. [main] */
typedef int (*gb_melody_answerer_fn)(void *ctx, const uint8_t *call, int steps, int num,
                                     int den, int tonic, int mode, uint64_t seed, int16_t *out,
                                     gb_error_t *err);

/** Measure (see above) the answers of fn(ctx, ...). [main] */
int gb_melody_answers_by(const gb_melody_ds_t *ds, gb_melody_answerer_fn fn, void *ctx,
                         int seed, gb_melody_answers_t *out, gb_error_t *err);

/** Measure (see above) with generator gen and critic (NULL: none; else one of `candidates`
 *  per bar, drawn as gb_melgan_generate does), top_k and seed as the rest of the evaluation.
 *  Returns 0 (figures NAN when no tune had 8 bars), or a negative error. [main] */
int gb_melody_answers(gb_nn_t *gen, gb_nn_t *critic, const gb_melody_ds_t *ds, int candidates,
                      int top_k, int seed, gb_melody_answers_t *out, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
