/* gb_timbre_ds_build.h — build the timbre dataset (read by gb_timbre_ds.h): render a SoundFont grid
 * and/or read a folder of recorded notes, preprocess, analyse, split, write.
 * What `gbac dataset timbre` runs (docs/dataset.md).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pipeline, per note, in a fixed order (so the same config gives the same files):
 *   1. source  SoundFont: one libfluidsynth synth for the whole grid (reverb and chorus off,
 *              synth.gain 1.0, bank 0 only — percussion (bank 128) is never rendered); per
 *              program × key × velocity: program change, note-on, note_s seconds, note-off,
 *              release_s seconds of tail, all-sounds-off; left and right mixed to mono.
 *              Folder: every *.wav / *.flac / *.ogg (any case) in name order, channels mixed
 *              to mono, resampled with libsamplerate (SRC_SINC_MEDIUM_QUALITY) to sample_rate.
 *              Recordings: each file read as a folder's files are (up to 30 minutes), cut into
 *              notes by onset, f0 and stability (gb_rec_segment.h); a note with a clipped
 *              sample (|x| ≥ 0.999) is dropped and counted; each note then goes through
 *              steps 2–7 like any other.
 *   2. silent  the loudest 10 ms block below silence_db dBFS RMS → dropped, counted
 *   3. trim    leading and trailing 10 ms blocks more than trim_db below the loudest block
 *   4. gain    to target_rms_db dBFS RMS over the sustained part (the blocks within 20 dB of
 *              the loudest), capped so the peak stays at or below −0.1 dBFS; recorded as gain_db
 *   5. gate    (when noise_gate_db < 0) spectral gate: STFT bins more than |noise_gate_db| dB
 *              below the loudest bin of the note are zeroed
 *   6. hash    SHA-256 of the float32 little-endian PCM; an exact repeat → dropped, counted
 *   7. analyse gb_analyze_note (default settings for sample_rate, as `gbac analyze`); no
 *              pitch → dropped, counted
 *   8. split   after all notes: a seeded shuffle of the kept notes; the first round(n·train)
 *              are train, the next round(n·validation) validation, the rest test.
 */
#ifndef GB_TIMBRE_DS_BUILD_H
#define GB_TIMBRE_DS_BUILD_H

#include <stdint.h>
#include <stdio.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_DATASET_CONFIG_VERSION 1
#define GB_DATASET_DEFAULT_SF2 "/usr/share/sounds/sf2/FluidR3_GM.sf2"
#define GB_DATASET_MAX_RECORDINGS 256
#define GB_DATASET_MAX_RECORDING_S 1800.0 /* 30 minutes per recording */

/** Settings of gb_timbre_ds_build. Fill with gb_timbre_ds_build_config_init, then change fields. */
typedef struct gb_timbre_ds_build_config {
    int version;             /* GB_DATASET_CONFIG_VERSION */
    const char *out_dir;     /* created if missing (one level); files replaced */
    const char *soundfont;   /* SF2/SF3 to render, or NULL for none */
    const char *notes_dir;   /* folder of recorded notes, or NULL for none */
    const char *const *recordings; /* solo recordings cut into notes (gb_rec_segment.h) */
    int n_recordings;        /* 0..GB_DATASET_MAX_RECORDINGS */
    const char *licence;     /* written to the manifest; NULL = guessed ("MIT" for FluidR3_GM,
                                else "unknown") */
    int programs[128], n_programs; /* GM programs 0..127 (default all 128) */
    int keys[128], n_keys;         /* MIDI keys 0..127 (default 36, 48, 60, 72, 84) */
    int velocities[127], n_velocities; /* 1..127 (default 40, 80, 120) */
    double sample_rate;      /* Hz of the dataset, 8000..192000 (48000) */
    double note_s;           /* seconds a rendered key is held, 0.05..10 (1.0) */
    double release_s;        /* seconds of tail rendered after note-off, 0..5 (0.5) */
    uint32_t seed;           /* split seed (1) */
    double split[3];         /* train, validation, test shares, ≥ 0, summing to 1 (0.8 0.1 0.1) */
    double silence_db;       /* dBFS: loudest block below this = silent (−70) */
    double trim_db;          /* dB below the loudest block trimmed at the ends (60) */
    double target_rms_db;    /* dBFS RMS of the sustained part after normalisation (−20) */
    double noise_gate_db;    /* < 0: spectral gate at this many dB below the note's loudest
                                bin, e.g. −60; 0 = off (default) */
    FILE *progress;          /* progress and counts go here (stderr by the CLI); NULL = quiet */
} gb_timbre_ds_build_config_t;

/** What a run did. */
typedef struct gb_timbre_ds_build_result {
    int rendered;           /* notes produced by the sources (grid cells + files read) */
    int silent_dropped, duplicates_dropped, no_pitch_dropped, unreadable_skipped;
    int recordings;         /* recordings read */
    int onsets;             /* onsets found in them */
    int unstable_dropped;   /* recording segments without a stable pitch, or too short */
    int clipped_dropped;    /* recording notes with clipped samples */
    int notes;              /* kept = train + validation + test */
    int train, validation, test;
    uint32_t frames;
    double render_s, analyse_s; /* wall time spent producing audio / preprocessing+analysing */
} gb_timbre_ds_build_result_t;

/** Defaults (see each field); out_dir NULL, soundfont NULL, notes_dir NULL. [any] */
void gb_timbre_ds_build_config_init(gb_timbre_ds_build_config_t *cfg);

/** Build the dataset: out_dir/manifest.json and out_dir/frames.f32 as gb_timbre_ds.h says.
 *  res (may be NULL) gets the counts. Files are written under temporary names and renamed at
 *  the end, so a failed run leaves no half dataset behind.
 *  Return: 0, or a negative code with err naming the file and the problem:
 *    GB_EINVAL  bad config (no source, a value out of range, splits not summing to 1)
 *    GB_EIO     soundfont or folder missing/unreadable, output folder not writable
 *    GB_EFORMAT the soundfont cannot be loaded by FluidSynth
 *    GB_ERANGE  no note left after dropping silent, duplicate and pitchless notes
 *    GB_ENOMEM
 *  Thread: [main] (creates FFTW plans; allocates). */
int gb_timbre_ds_build(const gb_timbre_ds_build_config_t *cfg, gb_timbre_ds_build_result_t *res, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
