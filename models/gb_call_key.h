/* gb_call_key.h — the key of a performer's call, and the key of a chord progression: one
 * function each, used by `gbac generate melody --after`, the live gbac.melody-gan unit and
 * `gbac eval melody`, so what is measured is what plays.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A call. Two bars of one line are ambiguous (a G-major phrase that avoids C is also a D-major
 * one; every major key shares its notes with its relative minor), so the decision uses what the
 * performer played before the call as well as the call, and separates the two questions:
 *   1. which notes (the signature): for each of the 12 major/relative-minor pairs, the
 *      likelihood of the notes under either key, summed over the pair;
 *   2. which of the pair: major or its relative minor, by the likelihood of each — where the
 *      tonic-weighted features decide: the notes on the strong steps, the call's first and
 *      last note, the minor's raised seventh.
 * The likelihoods are a naive-Bayes model of scale degrees: per mode, a probability for each
 * of the 12 degrees of (a) every 16th step a note sounds, (b) note onsets on the strong steps
 * (gb_melody_strong_step), (c) the call's last note, (d) its first note, and a prior of the
 * mode. The tables (gb_call_key_table) were counted on the train split of the Nottingham
 * corpus (`gbac dataset melody`, seed 1) with the keys notated in its ABC files, 2-bar windows,
 * +0.5 per cell (gb_call_key_fit; `test_call_key --fit DS` prints them and the test checks the
 * compiled table against a fresh count). Notes before the call count in (a) and (b) with their
 * weight (1 by default, at most GB_CALL_KEY_BEFORE_STEPS steps before the call).
 *
 * A chord progression. For accompaniment the key comes from the chords held so far, the last
 * one weighted most (×0.7 for each chord back): each key scores, per chord, the share of its
 * pitch classes in the key's scale (minor: natural minor with the raised seventh) minus
 * 2 × the share outside, and a bonus when the chord's root is the key's tonic (1), dominant
 * (0.5) or subdominant (0.3) and the chord's third agrees with the mode. An ambiguous start —
 * a third-less open fifth, a diminished triad, a single note — fits several keys nearly as
 * well: the scale returned is then the notes common to every key within GB_CHORD_KEY_SLACK of
 * the best, so no accidental is played that one of them would not have (A–E alone gives A B D
 * E: no C or C♯ until a chord says which).
 *
 * Pitch classes: 0 = C. Notes and steps: gb_melody_note_t (gb_melody_key.h), 16th steps
 * with step 0 on a bar line. All functions are real-time safe.
 */
#ifndef GB_CALL_KEY_H
#define GB_CALL_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"
#include "gb_melody_key.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_CALL_KEY_KINDS 4          /* sounding steps, strong onsets, last note, first note */
#define GB_CALL_KEY_BEFORE_STEPS 512 /* notes before the call: at most this far back */
#define GB_CHORD_KEY_SLACK 0.35      /* keys this close to the best share their scale */

/** The tables: log-probabilities [mode][kind][degree] and the log-prior of each mode. */
typedef struct gb_call_key_table {
    float lp[2][GB_CALL_KEY_KINDS][12];
    float prior[2];
} gb_call_key_table_t;

/** The compiled table (see above). [any] */
const gb_call_key_table_t *gb_call_key_table(void) GB_RT;

/** 1 if step s of a bar of `steps` steps in meter num/den is a strong step: the first, and
 *  the middle one of a bar in two (4/4, 2/2, 2/4, 6/8, 12/8: steps 0 and steps/2), beat 3 of
 *  3/4 (step 8; "beats 1 and 3"), the dotted quarters of 9/8 (0, 6, 12). [any] */
int gb_melody_strong_step(int s, int steps, int num, int den) GB_RT;

/** Evidence about a key, added note by note. */
typedef struct gb_key_evidence {
    double f[GB_CALL_KEY_KINDS][12]; /* counts per pitch class */
} gb_key_evidence_t;

/** Add notes (sorted by onset; the top line is taken where they overlap: per step the
 *  highest sounding note) to ev: (a) and (b) with `weight`, and when `call` is 1 also (c) the
 *  last and (d) the first note (replacing earlier ones). Steps are counted from a bar line
 *  (bar length num·16/den). At most GB_MELODY_KEY_MAX_STEPS steps from the first onset are
 *  looked at. [any] */
void gb_key_evidence_add(gb_key_evidence_t *ev, const gb_melody_note_t *notes, size_t n,
                         int num, int den, double weight, int call) GB_RT;

/** Score of key (tonic, mode) given ev under table t (NULL: the compiled one). [any] */
double gb_key_evidence_score(const gb_key_evidence_t *ev, const gb_call_key_table_t *t,
                             int tonic, int mode) GB_RT;

/** The key of ev by the two steps above; C major for empty evidence. [any] */
void gb_key_evidence_best(const gb_key_evidence_t *ev, const gb_call_key_table_t *t,
                          int *tonic, int *mode) GB_RT;

/** The key of a call (notes, bar-aligned steps), given what was played before it (`before`,
 *  may be empty; only its notes within GB_CALL_KEY_BEFORE_STEPS steps before the call's first
 *  onset count). C major for a call without notes. [any] */
void gb_call_key(const gb_melody_note_t *call, size_t n, const gb_melody_note_t *before,
                 size_t n_before, int num, int den, int *tonic, int *mode) GB_RT;

/** gb_call_key of a melody in step tokens (gb_melody_ds.h: n_steps tokens, bars of
 *  `steps`, pitches moved up by `shift` semitones, which are taken back): the call is its last
 *  two bars that hold a note, what came before it the bars before those. [any] */
void gb_call_key_tokens(const uint8_t *tokens, int n_steps, int steps, int shift, int num,
                        int den, int *tonic, int *mode) GB_RT;

/** 12-bit pitch-class mask of a key's scale: major, or natural minor with its raised
 *  seventh (8 notes) when harmonic is 1. [any] */
int gb_key_scale(int tonic, int mode, int harmonic) GB_RT;

/** The key of a progression: chords[0 .. n) (12-bit pitch-class masks, oldest first; 0 =
 *  no chord, skipped) and roots[i] (pitch class, or −1 / roots NULL: the note whose fifth, else third, is in the
 *  mask), see above.
 *  *scale gets the notes safe to play (the scale of the best key, less the notes some
 *  nearly-as-good key lacks). C major, scale C major, for no chord. [any] */
void gb_chord_key(const int *chords, const int *roots, size_t n, int *tonic, int *mode,
                  int *scale) GB_RT;

#ifdef __cplusplus
}
#endif
#endif
