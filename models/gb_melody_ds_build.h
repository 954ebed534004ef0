/* gb_melody_ds_build.h — build the melody dataset (read by gb_melody_ds.h) from a folder of MIDI
 * files: what `gbac dataset melody` runs (docs/dataset.md).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Source: a folder of MIDI files, by default the corpus shipped with gbac
 * (GB_MELODY_CORPUS inside the data folder, gb_share.h: the Nottingham folk tunes, GPL-3.0,
 * models/data/nottingham/SOURCE.md).
 *
 * Pipeline, per file (*.mid, *.midi, any case, in name order):
 *   1. read     gb_midifile_load's strict check, then libsmf for pulses and meta events; an
 *               unreadable or corrupt file, one without notes, or one whose meter does not
 *               fit 24 steps per bar is skipped with a message and counted. Notes on MIDI
 *               channel 10 (percussion, channel byte 9) are not melody: they are dropped and
 *               counted (a file with nothing else has no notes)
 *   2. meter    the first Time Signature meta event (FF 58), 4/4 when there is none; steps
 *               per bar = num·16/den (16 for 4/4, 12 for 3/4 and 6/8)
 *   3. quantise onsets and ends to 16th-note steps: round(pulses·4/ppqn) (beats come from
 *               pulses, so the tempo map does not change them); a note is at least one step
 *   4. line     per step the highest sounding note: its onset step gives a pitch token, later
 *               steps hold; when a higher note ends over a lower one still sounding, the lower
 *               is re-struck (a pitch token)
 *   5. key      Krumhansl–Schmuckler: the duration-weighted pitch-class histogram correlated
 *               with the 24 rotated major/minor profiles; the tune is shifted by −5..6
 *               semitones to C major / A minor; pitches outside 48..96 move by octaves
 *   6. bars     one record per bar with the previous bar as context; all-rest bars dropped
 *   7. split    after all files: a seeded shuffle of the tunes; the first round(n·train) are
 *               train, the next round(n·validation) validation, the rest test
 *   8. augment  train tunes again at each transposition lo..hi (0 excluded), octave-folded
 */
#ifndef GB_MELODY_DS_BUILD_H
#define GB_MELODY_DS_BUILD_H

#include <stdint.h>
#include <stdio.h>

#include "gb_common.h"
#include "gb_melody_key.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_MELODY_CONFIG_VERSION 1
/** The shipped corpus, relative to gbac's data folder (gb_share_file()). */
#define GB_MELODY_CORPUS "models/data/nottingham/MIDI/melody"
/** Its ABC originals with chord symbols, one file per collection. */
#define GB_MELODY_CORPUS_ABC "models/data/nottingham/ABC_cleaned"
/** The corpus' licence, written to the manifest when it is the source. */
#define GB_MELODY_CORPUS_LICENCE "GPL-3.0"
/** The manifest's licence for any other folder unless --licence says. */
#define GB_MELODY_UNKNOWN_LICENCE "unknown (see the sources' licences)"
/** MIDI channel byte of percussion (channel 10), never part of a melody. */
#define GB_MELODY_PERCUSSION_CHANNEL 9
#define GB_MELODY_MAX_METERS 16

/** Settings of gb_melody_ds_build. Fill with gb_melody_ds_build_config_init, then change fields. */
typedef struct gb_melody_ds_build_config {
    int version;            /* GB_MELODY_CONFIG_VERSION */
    const char *out_dir;    /* created if missing (one level); files replaced */
    const char *from_dir;   /* folder of MIDI files; NULL (default): the shipped corpus,
                               GB_MELODY_CORPUS found with gb_share_file() and recorded in
                               the manifest under that relative name */
    const char *licence;    /* written to the manifest; NULL (default): GPL-3.0 for the
                               shipped corpus, else GB_MELODY_UNKNOWN_LICENCE */
    uint32_t seed;          /* split seed (1) */
    double split[3];        /* train, validation, test shares, ≥ 0, summing to 1 */
    int transpose_lo, transpose_hi; /* augmentation of train tunes, −11..11 (−5, 6) */
    FILE *progress;         /* skipped files and counts go here; NULL = quiet */
} gb_melody_ds_build_config_t;

/** What a run did. */
typedef struct gb_melody_ds_build_result {
    int files, skipped, tunes, train, validation, test;
    uint32_t bars, records;
    long percussion_dropped; /* notes on channel 10 left out, over every file read */
    long polyphonic_steps;   /* steps where more than one note sounded (the top one kept) */
    int n_meters;
    struct { int num, den, tunes; uint32_t bars; } meters[GB_MELODY_MAX_METERS];
} gb_melody_ds_build_result_t;

/** One tune as steps of tokens (gb_melody_ds.h), after key normalisation. */
typedef struct gb_melody_tune {
    int meter_num, meter_den, steps_per_bar;
    int tonic, mode;        /* detected key: pitch class 0..11, 0 major / 1 minor */
    int shift;              /* semitones applied, −5..6 */
    int n_steps;            /* a whole number of bars */
    uint8_t *tokens;        /* n_steps tokens */
    double bpm;             /* the first tempo (FF 51), 120 when there is none */
    int tempo_changes;      /* tempo events after the first that change it */
    int meter_changes;      /* time signatures after the first that change it (ignored) */
    int percussion;         /* notes on channel 10, dropped */
    int polyphonic_steps;   /* steps where more than one note sounded (the top one kept) */
    int notes;              /* notes kept */
} gb_melody_tune_t;

/** Defaults (see each field). [any] */
void gb_melody_ds_build_config_init(gb_melody_ds_build_config_t *cfg);

/** Steps 1–5 on one file. Return 0, or GB_EIO / GB_EFORMAT (unreadable, corrupt, no notes,
 *  unsupported meter) / GB_ENOMEM with err naming the file. Free with
 *  gb_melody_tune_clear. [main] */
int gb_melody_tune_read(const char *path, gb_melody_tune_t *tune, gb_error_t *err);

/** Free a tune's tokens and zero it. NULL-safe. [any] */
void gb_melody_tune_clear(gb_melody_tune_t *tune);


/** Build the dataset: out_dir/manifest.json and out_dir/bars.bin (written under temporary
 *  names and renamed). res (may be NULL) gets the counts.
 *  Return: 0, or GB_EINVAL (bad config), GB_EIO (folder unreadable, output not writable),
 *  GB_ERANGE (no tune left), GB_ENOMEM, with err saying which. [main] */
int gb_melody_ds_build(const gb_melody_ds_build_config_t *cfg, gb_melody_ds_build_result_t *res, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
