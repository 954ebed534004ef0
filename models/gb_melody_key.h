/* gb_melody_key.h — the key of a melody or of a performer's call: one function for the
 * dataset builder, `gbac generate melody --after` and the live gbac.melody-gan unit, so they
 * cannot disagree.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Krumhansl–Schmuckler: the 12-bin pitch-class histogram of the melody's top line (per 16th
 * step, the highest sounding note; so a held note counts by its length) is correlated with
 * the 24 rotated Krumhansl–Kessler probe-tone profiles; the best correlation wins (major
 * before minor on an exact tie). All functions are real-time safe (no allocation).
 */
#ifndef GB_MELODY_KEY_H
#define GB_MELODY_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A note in 16th steps: sounding on [on, off) (off > on). */
typedef struct gb_melody_note {
    int64_t on, off;
    int pitch; /* MIDI 0..127 */
} gb_melody_note_t;

/** Key of a 12-bin pitch-class histogram: *tonic 0..11, *mode 0 major / 1 minor; C major for
 *  an empty one. [any] */
void gb_melody_key(const double hist[12], int *tonic, int *mode) GB_RT;

/** Key of notes[0..n): the histogram of their top line over the steps they cover (at most
 *  GB_MELODY_KEY_MAX_STEPS steps from the first onset are looked at), then gb_melody_key.
 *  [any] */
#define GB_MELODY_KEY_MAX_STEPS 4096
void gb_melody_key_of_notes(const gb_melody_note_t *notes, size_t n, int *tonic,
                            int *mode) GB_RT;

/** Semitones from C major / A minor up to the key (tonic, mode), in −6..5: a pitch of the
 *  normalised key plus this is the pitch in the key; the dataset's normalising shift is its
 *  negative (−5..6). [any] */
int gb_melody_key_offset(int tonic, int mode) GB_RT;

#ifdef __cplusplus
}
#endif
#endif
