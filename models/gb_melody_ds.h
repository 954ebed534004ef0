/* gb_melody_ds.h — the melody dataset: quantised bar phrases of monophonic folk melodies for
 * training and evaluating the melody GAN, as written by `gbac dataset melody`
 * (models/gb_melody_ds_build.h) and read by the trainer and the evaluator.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * On disk, a folder:
 *   manifest.json  {"format": "gbac-melody-ds/1", "source": FOLDER, "licence": "GPL-3.0",
 *                   "seed": S, "split_shares": [T, V, E], "transpose": [LO, HI],
 *                   "tokens": {"rest": 0, "hold": 1, "pitch_base": 2, "pitch_lo": 48,
 *                              "pitch_hi": 96, "pad": 255, "vocab": 51},
 *                   "record_bytes": 64, "max_steps": 24,
 *                   "counts": {"files": N, "skipped": N, "tunes": N, "train": N,
 *                              "validation": N, "test": N, "bars": N, "records": N,
 *                              "by_meter": {"6/8": BARS, "3/4": BARS, ...}},
 *                   "splits": {"train": [NAME, ...], "validation": [...], "test": [...]},
 *                   "tunes": [{"name": "jigs1", "split": "train", "meter": "6/8",
 *                              "steps_per_bar": 12, "key": "G", "mode": "major",
 *                              "shift": 5, "bars": 32}, ...]}
 *                 "bars" counts the original (untransposed) bar records; "records" counts
 *                 every record in bars.bin (bars + transposed train copies). "shift" is the
 *                 semitones added to the tune to bring its tonic to C (major) or A (minor),
 *                 in −5..6. A tune's index is its position in "tunes" (file name order).
 *                 Readers ignore keys they do not know.
 *   bars.bin       counts.records fixed-size records of GB_MDS_RECORD_BYTES (64) bytes,
 *                  little-endian, tune by tune in "tunes" order, bar by bar, originals first
 *                  and then each transposition LO..HI (0 excluded) of train tunes:
 *                    off size field
 *                     0   4   tune index (uint32)
 *                     4   2   bar index within the tune, from 0 (uint16)
 *                     6   1   split: 0 train, 1 validation, 2 test
 *                     7   1   steps per bar (16 for 4/4, 12 for 3/4 and 6/8; num·16/den)
 *                     8   1   meter numerator     9  1  meter denominator
 *                    10   1   original tonic pitch class 0..11 (0 = C)
 *                    11   1   mode: 0 major, 1 minor
 *                    12   1   augmentation transposition in semitones (int8; 0 = original)
 *                    13   1   density: note onsets in the target bar
 *                    14   1   flags: bit 0 = the context bar is before the tune's first bar
 *                                    (all rests)
 *                    15   1   reserved, 0
 *                    16  24   context bar tokens (the previous bar)
 *                    40  24   target bar tokens
 *                  Tokens per 16th-note step: 0 rest, 1 hold (the note sounding in the step
 *                  before continues), 2 + (pitch − 48) for MIDI pitch 48..96 (2..50), after
 *                  normalisation to C major / A minor; steps past steps_per_bar are 255 (pad).
 * The split is by tune (every bar of a tune is in one split), seeded; only train tunes are
 * augmented. Bars whose target is all rests are not written.
 */
#ifndef GB_MELODY_DS_H
#define GB_MELODY_DS_H

#include <stdint.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_MDS_FORMAT "gbac-melody-ds/1"
#define GB_MDS_MANIFEST "manifest.json"
#define GB_MDS_BARS "bars.bin"
#define GB_MDS_RECORD_BYTES 64
#define GB_MDS_MAX_STEPS 24
#define GB_MDS_REST 0
#define GB_MDS_HOLD 1
#define GB_MDS_PITCH_BASE 2
#define GB_MDS_PITCH_LO 48
#define GB_MDS_PITCH_HI 96
#define GB_MDS_PAD 255
#define GB_MDS_VOCAB (GB_MDS_PITCH_BASE + GB_MDS_PITCH_HI - GB_MDS_PITCH_LO + 1)

typedef enum gb_mds_split { GB_MDS_TRAIN = 0, GB_MDS_VALIDATION, GB_MDS_TEST } gb_mds_split_t;

/** One bar record, decoded. */
typedef struct gb_mds_record {
    uint32_t tune;
    uint16_t bar;
    uint8_t split, steps_per_bar, meter_num, meter_den, tonic, mode;
    int8_t transpose;
    uint8_t density, flags;
    uint8_t context[GB_MDS_MAX_STEPS], target[GB_MDS_MAX_STEPS];
} gb_mds_record_t;

typedef struct gb_mds_tune {
    char name[64];
    gb_mds_split_t split;
    int meter_num, meter_den, steps_per_bar;
    int tonic, mode, shift, bars;
} gb_mds_tune_t;

typedef struct gb_melody_ds {
    char source[256], licence[256];
    uint32_t seed;
    int n_tunes;
    gb_mds_tune_t *tunes;
    uint32_t n_records;
    gb_mds_record_t *records;
} gb_melody_ds_t;

/** Encode / decode one record (GB_MDS_RECORD_BYTES bytes, layout above). [any] */
void gb_mds_record_encode(const gb_mds_record_t *r, uint8_t out[GB_MDS_RECORD_BYTES]);
void gb_mds_record_decode(const uint8_t in[GB_MDS_RECORD_BYTES], gb_mds_record_t *r);

/** Read a dataset folder. Errors name the file and what is wrong.
 *  Return: the dataset (free with gb_melody_ds_free), or NULL with err set: GB_EIO (a file
 *  cannot be read), GB_EFORMAT (bad JSON, wrong format string, missing or mistyped key,
 *  bars.bin of the wrong size, a token or field out of range, a record naming an unknown
 *  tune), GB_ERANGE (no record), GB_ENOMEM. [main] */
gb_melody_ds_t *gb_melody_ds_load(const char *dir, gb_error_t *err);

/** Free it. NULL-safe. [main] */
void gb_melody_ds_free(gb_melody_ds_t *ds);

#ifdef __cplusplus
}
#endif
#endif
