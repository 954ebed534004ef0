/* gb_melody_accomp.h — the melody GAN accompanying a chord progression (`gbac eval melody`,
 * keys acc_*), and how an accompaniment bar is made from the chords so far.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The progressions: the held-out tunes of the dataset found in the corpus' ABC files
 * (GB_MELODY_CORPUS_ABC; their chord symbols), the first 8 bars after a pickup whose meter is
 * the tune's and that have a chord, one chord per bar (the one in force at the bar's start),
 * held as a close root-position voicing with its root in MIDI 48..59.
 *
 * An accompaniment bar (gb_accomp_bar): the key from the progression so far (gb_chord_key:
 * the notes every nearly-as-good key shares, so an open fifth or a diminished chord brings no
 * accidental), the generator asked for a bar in that key over the chord, then its notes:
 * outside the safe scale → the nearest note of it; on a strong step (beats 1 and 3) not a
 * chord tone → the nearest chord tone (between them the other notes stay: passing tones);
 * then the octave above the voicing's top note nearest the note before (the line above the
 * chord, without leaps the octave move would make).
 *
 * The live unit (gbac.melody-gan, mode accompany) makes its bars the same way, with the same
 * functions (gb_accomp_key, gb_accomp_note, step by step as its bar plays): the chords held at
 * its bar starts are the progression, the highest held key is the voicing's top.
 *
 * Measured over the bars' note onsets, for the generated lines and the tunes' own melodies
 * (_heldout): acc_strong_chord_tones (onsets on strong steps that are chord tones),
 * acc_in_key (onsets in the key the ABC file notates: major, or minor with both sixths and
 * sevenths), acc_above_chord (onsets above the voicing's top note), acc_mean_interval (mean
 * absolute interval between consecutive onsets, semitones).
 */
#ifndef GB_MELODY_ACCOMP_H
#define GB_MELODY_ACCOMP_H

#include <stdint.h>

#include "gb_abc.h"
#include "gb_common.h"
#include "gb_melody_answers.h"
#include "gb_melody_ds.h"
#include "gb_nn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_melody_accomp {
    long tunes, bars;
    double strong_chord_tones, strong_chord_tones_heldout;
    double in_key, in_key_heldout;
    double above_chord, above_chord_heldout;
    double mean_interval, mean_interval_heldout;
} gb_melody_accomp_t;

/** The top note of the held voicing of chord (mask, root): MIDI pitch. [any] */
int gb_accomp_voicing_top(int mask, int root) GB_RT;

/** The key of the progression chords[0 .. n) (roots[i] or roots NULL as gb_chord_key takes
 *  them; the last is the bar's chord): *off the semitones from the normalised key up to it
 *  (gb_melody_key_offset), *mode, *scale the safe scale (real pitch classes), *chord_norm the
 *  last chord in the normalised key. [any] */
void gb_accomp_key(const int *chords, const int *roots, size_t n, int *off, int *mode,
                   int *scale, int *chord_norm) GB_RT;

/** One note p (MIDI) of a generated bar at step s of `steps` (meter num/den) over the chord
 *  mask whose voicing's top note is `top`, with the safe scale, prev the pitch of the note
 *  before (−1: none): the pitch played (see above). [any] */
int gb_accomp_note(int p, int s, int steps, int num, int den, int chord, int top, int scale,
                   int prev) GB_RT;

/** Shape a generated bar (tokens at real pitch, `steps` in meter num/den) over the chord
 *  (mask, root) with the safe scale: see above. *last: the pitch of the note before the bar
 *  (−1: none), then the bar's last. [any] */
void gb_accomp_shape(uint8_t *bar, int steps, int num, int den, int chord, int root,
                     int scale, int *last) GB_RT;

/** An accompanist: plays over the progression bars[0 .. nb) (their chords and meter; not
 *  their melody) into out (nb × GB_MDS_MAX_STEPS: GB_MELODY_OUT_* or a MIDI pitch per step),
 *  with seed. Returns 0, 1 when it cannot take the meter (the tune is not counted), or a
 *  negative error. [main] */
typedef int (*gb_melody_accompanist_fn)(void *ctx, const gb_abc_bar_t *bars, int nb,
                                        uint64_t seed, int16_t *out, gb_error_t *err);

/** Measure (see above) the accompaniment of fn(ctx, ...); abc_dir as below. [main] */
int gb_melody_accomp_by(const gb_melody_ds_t *ds, const char *abc_dir,
                        gb_melody_accompanist_fn fn, void *ctx, int seed,
                        gb_melody_accomp_t *out, gb_error_t *err);

/** Measure (see above). abc_dir NULL: the shipped corpus' ABC folder. Figures NAN without a
 *  progression. Returns 0 or a negative error naming the folder. [main] */
int gb_melody_accomp(gb_nn_t *gen, gb_nn_t *critic, const gb_melody_ds_t *ds,
                     const char *abc_dir, int candidates, int top_k, int seed,
                     gb_melody_accomp_t *out, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
