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
 *   key_from_call        share of calls whose detected key is the tune's key (the
 *                        dataset's, transposed)
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
 * Transpositions: key detection is measured on all 12 of every call; the answers on 3 of
 * them (t, t+4, t+8 semitones for the tune's index t mod 4: every tonic of both modes over
 * the tunes) — the generator works in the normalised key, so more transpositions of one
 * call only repeat its answer.
 */
#ifndef GB_MELODY_ANSWERS_H
#define GB_MELODY_ANSWERS_H

#include "gb_common.h"
#include "gb_melody_ds.h"
#include "gb_nn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_melody_answers {
    long calls;   /* transposed calls whose key was detected */
    long answers; /* answers generated */
    double key_from_call, answer_in_key, answer_cadence, answer_cadence_heldout;
    double answer_range_ratio, answer_empty_bars;
    double answer_density_dense, answer_density_sparse, answer_density_ratio;
} gb_melody_answers_t;

/** Measure (see above) with generator gen and critic (NULL: none; else one of `candidates`
 *  per bar, drawn as gb_melgan_generate does), top_k and seed as the rest of the evaluation.
 *  Returns 0 (figures NAN when no tune had 8 bars), or a negative error. [main] */
int gb_melody_answers(gb_nn_t *gen, gb_nn_t *critic, const gb_melody_ds_t *ds, int candidates,
                      int top_k, int seed, gb_melody_answers_t *out, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
