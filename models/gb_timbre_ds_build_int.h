/* gb_timbre_ds_build_int.h — what the dataset builder's files share (not a public API):
 * gb_timbre_ds_build.c (SoundFont grid, folder of notes, the per-note pipeline, output) and
 * gb_timbre_ds_rec.c (solo recordings cut into notes).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_TIMBRE_DS_BUILD_INT_H
#define GB_TIMBRE_DS_BUILD_INT_H

#include <fftw3.h>
#include <stdio.h>

#include "gb_analysis.h"
#include "gb_timbre_ds.h"
#include "gb_timbre_ds_build.h"

#define PATH_MAX_LEN 4096

/* One run: the open outputs, the analyzer, the kept notes so far. */
typedef struct run {
    const gb_timbre_ds_build_config_t *cfg;
    gb_timbre_ds_build_result_t res;
    gb_analyzer_t *an;
    FILE *frames;
    char frames_tmp[PATH_MAX_LEN], manifest_tmp[PATH_MAX_LEN];
    gb_tds_note_t *notes;
    int n_notes, cap_notes;
    uint32_t n_frames;
    int total; /* notes expected from the sources, for progress */
    float *gate_buf, *gate_out;
    fftwf_complex *gate_spec;
    fftwf_plan gate_fwd, gate_inv;
} run_t;

/** Seconds of a monotonic clock. [any] */
double gb_tdsb_now_s(void);

/** A progress line every 64 notes (force: now). [main] */
void gb_tdsb_progress(run_t *r, int force);

/** Copy src masking bytes outside printable ASCII with '?'. [any] */
void gb_tdsb_ascii_copy(char *dst, size_t size, const char *src);

/** Steps 2–7 of the pipeline for one note x[0 .. n) (modified in place). proto: id, program,
 *  name, key (−1: from f0), velocity, onset_s (where x[0] lies after the note-on), off_s.
 *  Returns 0 (kept or dropped, counted) or a negative code for a write error. [main] */
int gb_tdsb_process_note(run_t *r, float *x, size_t n, const gb_tds_note_t *proto,
                         gb_error_t *err);

/** What gb_tdsb_read_audio() found in a file. */
typedef struct gb_tdsb_audio_info {
    int channels, sample_rate;
    double seconds;
    size_t clipped; /* samples (over all channels) at or above 0.999 full scale */
} gb_tdsb_audio_info_t;

/** Read an audio file (anything libsndfile reads) as mono (channels averaged; NaN and
 *  infinite samples count as 0) at `rate` (libsamplerate, SRC_SINC_MEDIUM_QUALITY). NULL with
 *  msg naming the file and the problem: not audio, no samples, a sample rate outside
 *  8000..384000 Hz, longer than max_s. ai (may be NULL) gets what the file holds. [main] */
float *gb_tdsb_read_audio(const char *path, double rate, double max_s, size_t *n_out,
                          gb_tdsb_audio_info_t *ai, char *msg, size_t msgcap);

/** Cut every recording of the config into notes and run each through the pipeline
 *  (gb_timbre_ds_rec.c). Returns 0 or a negative code with err. [main] */
int gb_tdsb_read_recordings(run_t *r, gb_error_t *err);

#endif
