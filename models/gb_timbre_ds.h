/* gb_timbre_ds.h — the timbre dataset: analysed notes for training and evaluating the timbre
 * VAE, as written by `gbac dataset timbre` and read by `gbac train timbre` / `gbac eval timbre`.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * On disk, a folder:
 *   manifest.json  {"format": "gbac-timbre-ds/1", "source": ..., "licence": ...,
 *                   "sample_rate": R, "hop_s": 0.01, "seed": S,
 *                   "counts": {"rendered": N, "silent_dropped": N, "duplicates_dropped": N,
 *                              "no_pitch_dropped": N, "unreadable_skipped": N,
 *                              "notes": N, "frames": N, "train": N, "validation": N, "test": N},
 *                   "notes": [{"id": "p000_k060_v100", "program": 0, "name": "Acoustic Grand
 *                              Piano", "key": 60, "velocity": 100, "f0_hz": 261.6,
 *                              "split": "train"|"validation"|"test", "first_frame": F,
 *                              "n_frames": N, "gain_db": G, "onset_s": T0,
 *                              "off_s": T1, "hash": "sha256 hex of the PCM"}, ...]}
 *                 ("gain_db": the loudness normalisation applied before analysis; "hash": of the
 *                 trimmed, normalised float32 little-endian PCM that was analysed; "onset_s":
 *                 seconds from the note-on to the centre of frame 0, so frame i lies
 *                 onset_s + i·hop_s after the note-on (0 when absent); "off_s": seconds from
 *                 the note-on to the note-off, −1 when unknown (absent = −1). Readers
 *                 ignore keys they do not know; "counts.notes" and "counts.frames" must match.)
 *   frames.f32     little-endian float32 records of GB_TDS_FRAME_FLOATS each, notes' frames
 *                  back to back in manifest order: [f0_hz, loudness_db, amp, harm[64], noise[32]]
 * The split is by note (every frame of a note is in the same split), seeded.
 */
#ifndef GB_TIMBRE_DS_H
#define GB_TIMBRE_DS_H

#include <stdint.h>

#include "gb_common.h"
#include "gb_timbre.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_TDS_FORMAT "gbac-timbre-ds/1"
#define GB_TDS_FRAME_FLOATS (3 + GB_TIMBRE_HARMONICS + GB_TIMBRE_BANDS)
#define GB_TDS_MANIFEST "manifest.json"
#define GB_TDS_FRAMES "frames.f32"

typedef enum gb_tds_split { GB_TDS_TRAIN = 0, GB_TDS_VALIDATION, GB_TDS_TEST } gb_tds_split_t;

typedef struct gb_tds_frame {
    float f0_hz;
    float loudness_db;
    gb_timbre_frame_t t; /* amp, harm (sums to 1), noise */
} gb_tds_frame_t;

typedef struct gb_tds_note {
    char id[48];
    int program;      /* GM program 0..127, or -1 for notes from files */
    char name[64];    /* instrument or file name */
    int key;          /* MIDI key, or the nearest to f0 for files */
    int velocity;     /* 1..127, or 0 for files */
    float f0_hz;
    gb_tds_split_t split;
    uint32_t first_frame, n_frames;
    float gain_db;    /* normalisation gain applied before analysis (0 if not recorded) */
    float onset_s;    /* seconds from the note-on to frame 0's centre (0 if not recorded) */
    float off_s;      /* seconds from the note-on to the note-off, or −1: unknown / never */
    char hash[65];    /* SHA-256 hex of the analysed PCM ("" if not recorded) */
} gb_tds_note_t;

typedef struct gb_tds {
    char source[256], licence[128];
    double sample_rate, hop_s;
    uint32_t seed;
    int n_notes;
    gb_tds_note_t *notes;
    uint32_t n_frames;
    gb_tds_frame_t *frames;
} gb_tds_t;

/** Read a dataset folder; errors name the file and what is wrong (missing manifest, format,
 *  frames.f32 size not matching the notes, NaN values, empty dataset).
 *  Return: the dataset (free with gb_tds_free), or NULL with err set: GB_EIO (a file cannot
 *  be read), GB_EFORMAT (bad JSON, wrong format string, missing or mistyped key, notes not
 *  back to back, frames.f32 of the wrong size, a NaN/Inf value), GB_ERANGE (empty dataset,
 *  a value out of range), GB_ENOMEM. [main] */
gb_tds_t *gb_tds_load(const char *dir, gb_error_t *err);

/** Free it. NULL-safe. [main] */
void gb_tds_free(gb_tds_t *ds);

/** Number of notes in a split. [any] */
int gb_tds_count(const gb_tds_t *ds, gb_tds_split_t split);

#ifdef __cplusplus
}
#endif
#endif
