/* gb_melody_answer.h — how an answer to a call is made, the same for `gbac generate melody
 * --after` and `gbac eval melody` (gb_melody_answers.h measures it): the generator's bars are
 * sampled again (another seed, at most GB_ANSWER_TRIES times; the second half at 1.5 times
 * the temperature over every token while no try was without a thin bar) until the answer has a shape —
 * no bar of fewer than two onsets after a call whose last bar has two or more (a silent bar
 * is not a reply), and a last note on the key's tonic or dominant (a reply closes) — the
 * first try with both is kept, else the first without a thin bar, else the first; then every
 * note outside the key is moved to the nearest note of the key (down on a tie).
 * Keys: the generator's normalised key, C major or A minor (with F♯ and G♯, the melodic and
 * harmonic minor's sixth and seventh).
 *
 * The live unit (gbac.melody-gan, modes answer and continue) makes its answers with the same
 * parts, in their real-time-safe form: the shape of a bar (gb_answer_bar_shape), the sampling
 * of try k (gb_answer_try) and the snap of a token (gb_answer_snap_token). It generates bar
 * by bar, so it applies the rule per bar — the thin-bar rule to every bar, the closing rule to
 * the answer's last bar — choosing among a try's K candidates those of the best shape and
 * sampling another try (spread over its work ticks) while none has the wanted shape.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_MELODY_ANSWER_H
#define GB_MELODY_ANSWER_H

#include <stdint.h>

#include "gb_common.h"
#include "gb_melgan.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_ANSWER_TRIES 16

/** 12-bit pitch-class mask of the normalised key's notes for mode (0 major, 1 minor). [any] */
int gb_answer_key_notes(int mode) GB_RT;

/** A token (gb_melody_ds.h) outside the key of `mode` (normalised) moved to the nearest key
 *  note (down on a tie, inside the token range); any other token unchanged. [any] */
int gb_answer_snap_token(int tok, int mode) GB_RT;

/** The shape of one answer bar (unsnapped tokens, `steps`): 0 when the call's last bar had
 *  call_on >= 2 onsets and the bar has fewer than two; else, when `last` (the answer's last
 *  bar), 2 if its last note is the tonic or dominant of `mode` (normalised key) and 1 if not
 *  (or it has no note); else 2. [any] */
int gb_answer_bar_shape(const uint8_t *bar, int steps, int mode, int call_on, int last) GB_RT;

/** The sampling of try k (0..GB_ANSWER_TRIES-1) when the best shape so far is `best` (−1:
 *  none yet): *temp and *top_k from the answer's temperature and top_k (the second half
 *  1.5 times hotter over every token while no try was without a thin bar). [any] */
void gb_answer_try(int k, int best, float temperature, int top_k, float *temp,
                   int *top_k_out) GB_RT;

/** Move the pitch tokens of bars (nb × GB_MDS_MAX_STEPS, `steps` each) outside the key of
 *  `mode` (normalised) to the nearest key note; returns how many moved. [any] */
int gb_answer_snap(uint8_t *bars, int nb, int steps, int mode) GB_RT;

/** Generate an answer (see above) with gb_melgan_generate's arguments; o->density and
 *  history as it takes them; history[0] is the call's last bar. Returns 0 or its error. [main] */
int gb_answer_generate(gb_nn_t *gen, gb_nn_t *critic, const gb_melgan_gen_opts_t *o,
                       const uint8_t *history, int n_history, uint8_t *bars, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
