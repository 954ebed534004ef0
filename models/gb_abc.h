/* gb_abc.h — tunes of an ABC file as bars of melody tokens with the chord symbol held in each
 * bar: what `gbac eval melody` accompanies (the Nottingham corpus' ABC_cleaned files carry
 * chord symbols, its MIDI files do not).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What is read (ABC 2.1, the subset the corpus uses; anything else is skipped, never an error
 * unless a length or a tuplet cannot be read):
 *   header  X: (a new tune), T:, M: (C and C| too), L: (default 1/16 below a meter of 3/4,
 *           else 1/8), K: (tonic A..G with # or b, then m/min/aeolian/dorian/phrygian/
 *           locrian = minor, anything else major), also inside the body (a key or meter
 *           change from the next bar); other fields, comments (%) and `\` are skipped
 *   notes   ^ ^^ _ __ = accidentals (they hold for the same letter and octave to the end of
 *           the bar), A..G a..g with ' and , octaves, lengths n, /, n/m, //, rests z x,
 *           ties (-), tuplets (p and (p:q:r, chords [..] (their top note), broken rhythm
 *           > and <; decorations (~ . H..W, !..!, +..+), slurs and grace notes {..} are skipped
 *   chords  "G", "D7", "Em", "Bm7", "F#m", "Bb", "Cd" (diminished), "Ca" (augmented), "C6",
 *           "E7b9", "A7/e" (a bass note, lower case, with + for a sharp), "(E7)"; the first of
 *           several symbols in a row (the corpus writes alternatives so)
 *   bars    every bar line (| || |] [| |: :| :: [1 [2 ...) closes a bar. Repeats are not
 *           expanded: the bars are as written.
 * A bar shorter than its meter at the tune's start or after a part label (P:) is a pickup: its
 * notes sit at its end (as the corpus' MIDI files pad it); another short bar is padded at the
 * end. A bar longer than its meter is cut.
 */
#ifndef GB_ABC_H
#define GB_ABC_H

#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"
#include "gb_melody_ds.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One bar as written. */
typedef struct gb_abc_bar {
    int num, den, steps;   /* meter; steps = num·16/den 16th steps (at most GB_MDS_MAX_STEPS;
                              a bar of a longer meter is cut) */
    int tonic, mode;       /* the key in force (K:): pitch class, 0 major / 1 minor */
    int chord;             /* 12-bit pitch-class mask of the chord held from the bar's start
                              (the last symbol before or at it), 0: none yet */
    int chord_root;        /* its root's pitch class, −1 without a chord */
    int chord_bass;        /* its lowest note's pitch class (a slash bass, else the root) */
    int full;              /* 1: the notes fill the whole meter */
    int pickup;            /* 1: a short bar whose notes were moved to its end */
    uint8_t tokens[GB_MDS_MAX_STEPS]; /* the melody at its own pitches (gb_melody_ds.h tokens;
                                         pitches outside 48..96 moved by octaves); pads past
                                         steps */
} gb_abc_bar_t;

typedef struct gb_abc_tune {
    int x;             /* its X: number */
    char title[96];    /* the first T: */
    int n_bars;
    gb_abc_bar_t *bars;
} gb_abc_tune_t;

typedef struct gb_abc_file {
    int n_tunes;
    gb_abc_tune_t *tunes;
} gb_abc_file_t;

/** Parse ABC text (len bytes, not necessarily 0-terminated); `name` is used in messages.
 *  Returns 0 and *f (free with gb_abc_free), or GB_EFORMAT with err naming name, line and
 *  what is wrong, or GB_ENOMEM. A text without X: has no tunes (not an error). [any] */
int gb_abc_parse(const char *text, size_t len, const char *name, gb_abc_file_t *f,
                 gb_error_t *err);

/** Read and parse a file. GB_EIO with err naming it when it cannot be read. [main] */
int gb_abc_read(const char *path, gb_abc_file_t *f, gb_error_t *err);

/** Free the tunes and zero *f. NULL-safe. [any] */
void gb_abc_free(gb_abc_file_t *f);

/** The tune with X: number x, or NULL. [any] */
const gb_abc_tune_t *gb_abc_find(const gb_abc_file_t *f, int x);

/** A chord symbol (without its quotes) → root pitch class, 12-bit pitch-class mask (bass
 *  note included) and bass pitch class. Returns 0, or −1 when it is not a chord. [any] */
int gb_abc_chord_parse(const char *sym, size_t len, int *root, int *mask, int *bass);

/** The notes of bars [b0, b0 + nb) of a tune as 16th-step notes (gb_melody_key.h's
 *  gb_melody_note_t), step 0 at bar b0's start, each bar its own length; ties and holds
 *  joined. Writes at most cap notes; returns how many there are. [any] */
struct gb_melody_note;
int gb_abc_notes(const gb_abc_tune_t *t, int b0, int nb, struct gb_melody_note *notes, int cap);

/** Every *.abc file of a folder (a corpus such as ABC_cleaned), read in name order. */
typedef struct gb_abc_corpus {
    int n_files;
    char (*names)[64];    /* file names without ".abc" */
    gb_abc_file_t *files;
} gb_abc_corpus_t;

/** Read a folder. Returns 0, or GB_EIO / GB_EFORMAT / GB_ENOMEM with err naming the file. A
 *  folder without ABC files is GB_EIO. [main] */
int gb_abc_corpus_load(const char *dir, gb_abc_corpus_t *c, gb_error_t *err);

/** The tune a dataset name stands for: "jigs12" is X: 12 of jigs.abc (the corpus' MIDI file
 *  names). NULL when there is none. [any] */
const gb_abc_tune_t *gb_abc_corpus_find(const gb_abc_corpus_t *c, const char *name);

void gb_abc_corpus_free(gb_abc_corpus_t *c); /**< NULL-safe [main] */

#ifdef __cplusplus
}
#endif
#endif
