/* gb_analysis.h — note analysis: a recorded note → f0, per-frame loudness and timbre frames.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What `gbac analyze` runs and what the timbre dataset pipeline reuses. The input is one mono
 * note (float samples, any sample rate 8000..384000 Hz); the output is the note's f0 and, every
 * hop (10 ms by default), a gb_timbre_frame_t measured so that the oscillator bank
 * (gb_oscbank.h) plays it back with the same levels:
 *
 *   amp·harm[k]  peak amplitude of harmonic k+1: a sine of peak amplitude A reads A
 *   noise[b]     RMS of what is left in band b once the harmonic peaks are removed: noise of
 *                band RMS r reads r
 *
 * Method (details and the reasons in gb_analysis.c and docs/timbre-format.md):
 *   1. level of every frame (RMS over two hops around its centre); the note is the span from
 *      the first to the last frame above max(loudest − trim_db, silence_db)
 *   2. pitch per frame with YIN (cumulative mean normalised difference, difference function
 *      computed with FFTW, parabolic interpolation); the note's first f0 is the median of the
 *      voiced frames
 *   3. per frame, a Blackman–Harris windowed, zero-padded FFT over 6 periods of the note f0
 *      (at least 25 ms): the highest bin within ±f0/4 of each expected k·f0, refined by a
 *      log-magnitude parabola, gives harmonic k's peak amplitude and frequency; the frame f0 is
 *      the first partial of an energy-weighted least-squares fit of the partials within 40 dB
 *      of the strongest to a stiff string, f_k = a·k + c·k³ (harmonic tones: c = 0; a piano's
 *      stretched upper partials would pull a plain f_k = k·f0 fit sharp)
 *   4. per frame, a second window of 12 periods (at least 50 ms): the bins within 4.5 window
 *      bins of the 64 modelled harmonics are replaced by the level of the free bins either
 *      side, then the power is summed per band (so the energy of harmonics above the 64th
 *      counts as noise)
 *   5. the note f0 is the median of the refined f0 of the voiced frames
 *
 * Measured on synthetic notes (tests/test_analysis.c, 55..2000 Hz): note f0 within 0.001 Hz
 * (0.02 Hz with noise at −42 dB), harmonics above −40 dB within 2% in every frame, noise bands
 * within 15% from 1 kHz up and 30% below (narrow bands); FluidR3 A4s read 440 ± 0.5 Hz.
 *
 * Everything the per-frame path needs (FFTW plans, buffers, windows) is allocated by
 * gb_analyzer_new; gb_analyze_note allocates only its result. An analyzer is single-threaded:
 * use one per thread.
 */
#ifndef GB_ANALYSIS_H
#define GB_ANALYSIS_H

#include <stddef.h>

#include "gb_common.h"
#include "gb_timbre.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_ANALYSIS_CONFIG_VERSION 1

/** Analysis settings. Fill with gb_analysis_config_init, then change what you need. */
typedef struct gb_analysis_config {
    int version;          /* GB_ANALYSIS_CONFIG_VERSION */
    double sample_rate;   /* Hz of the input, 8000..384000 */
    double hop_s;         /* seconds between frames, 0.001..0.1 (default GB_TIMBRE_HOP_S) */
    double f0_min_hz;     /* lowest f0 searched, 20..f0_max_hz/2 (default 50) */
    double f0_max_hz;     /* highest f0 searched, up to sample_rate/8 (default 2100 or less) */
    double yin_threshold; /* YIN: first dip of the CMNDF below this is the period (0.15) */
    double voiced_max;    /* a frame is voiced when its CMNDF minimum is below this (0.35) */
    double silence_db;    /* dBFS: a note whose loudest frame is below this is silent (−70) */
    double trim_db;       /* frames this many dB below the loudest are trimmed at the ends (50) */
} gb_analysis_config_t;

/** Defaults for a sample rate (see each field). [any] */
void gb_analysis_config_init(gb_analysis_config_t *cfg, double sample_rate);

/** Analyzer: plans and buffers for one configuration. */
typedef struct gb_analyzer gb_analyzer_t;

/** Check cfg and allocate an analyzer (plans FFTW once, FFTW_ESTIMATE).
 *  Return: the analyzer, or NULL with err set (GB_EINVAL / GB_ERANGE naming the bad field,
 *  GB_ENOMEM).
 *  Thread: [main] — FFTW's planner is not thread-safe: do not create analyzers (or other FFTW
 *  plans) on two threads at once. */
gb_analyzer_t *gb_analyzer_new(const gb_analysis_config_t *cfg, gb_error_t *err);

/** Free an analyzer. NULL-safe. [main] */
void gb_analyzer_free(gb_analyzer_t *a);

/** The settings an analyzer runs with. [any] */
const gb_analysis_config_t *gb_analyzer_config(const gb_analyzer_t *a);

/** What the analysis knows about one frame besides its timbre. */
typedef struct gb_frame_info {
    float f0_hz;       /* f0 of this frame (refined from the harmonics; the note f0 when the
                          frame is unvoiced or YIN's estimate is far from the note) */
    float periodicity; /* 1 − YIN's CMNDF minimum: 1 = perfectly periodic */
    int voiced;        /* periodicity > 1 − voiced_max and f0 within 0.4 octave of the note */
    float rms_db;      /* 20·log10(RMS) over two hops around the frame (full-scale sine: −3) */
    float loudness_db; /* A-weighted level, same reference (0 dB gain at 1 kHz), over the
                          noise window; −200 for digital silence */
} gb_frame_info_t;

/** Result of gb_analyze_note. Free with gb_note_analysis_free. */
typedef struct gb_note_analysis {
    double f0_hz;              /* the note's f0: median of the voiced frames' f0 */
    double sample_rate, hop_s; /* as configured */
    double start_s;            /* input time of frame 0's centre (frames are hop_s apart) */
    int n_frames;              /* frames kept after trimming (≥ 1) */
    int n_voiced;              /* of which voiced */
    gb_timbre_frame_t *frames; /* n_frames timbre frames */
    gb_frame_info_t *info;     /* n_frames */
    double harm_energy;        /* Σ over frames of the harmonic mean square (Σ_k A_k²/2) */
    double noise_energy;       /* Σ over frames of the noise mean square (Σ_b noise[b]²) */
    double peak_rms_db;        /* the loudest frame's rms_db (before trimming) */
} gb_note_analysis_t;

/** Analyse one note: x[0 .. n) mono samples at the analyzer's sample rate (the note may have
 *  silence around it; a DC offset is removed).
 *  Return: 0 and *out filled (free with gb_note_analysis_free), or a negative code with err
 *  set and *out zeroed:
 *    GB_EINVAL  a NULL argument, n == 0, or a sample that is NaN or infinite
 *    GB_ERANGE  the note is silent: its loudest frame is below cfg.silence_db
 *    GB_EFORMAT no pitch found: no frame periodic enough between f0_min_hz and f0_max_hz
 *    GB_ENOMEM  out of memory for the result
 *  Thread: [main or a worker thread] — not the audio thread (allocates the result). Cost is
 *  about 3 FFTs of the analyzer's size per frame. */
int gb_analyze_note(gb_analyzer_t *a, const float *x, size_t n, gb_note_analysis_t *out,
                    gb_error_t *err);

/** Free the arrays of a result and zero it. NULL-safe. [any, not audio] */
void gb_note_analysis_free(gb_note_analysis_t *r);

/** Nearest equal-tempered note (A4 = 440 Hz) of f0: writes e.g. "A4" or "C#3" to name and
 *  returns the deviation in cents (−50..50). Writes "?" and returns 0 for f0 ≤ 0. [any] */
double gb_analysis_note_name(double f0_hz, char *name, size_t size);

#ifdef __cplusplus
}
#endif
#endif
