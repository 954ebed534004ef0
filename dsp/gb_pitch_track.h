/* gb_pitch_track.h — a low-latency f0 and loudness tracker for a live audio input, and the
 * YIN helpers it shares with offline analysis (models/gb_rec_segment.c).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * At every hop (64 samples by default) the tracker looks at the newest `window` samples
 * (2048 at 48 kHz, scaled with the rate; periods up to half of it, so A1 fits) and runs YIN
 * on them: the difference function d(τ) = Σ_j (x_j − x_{j+τ})² over the overlapping part of
 * the window, computed from the autocorrelation by FFT (FFTW, planned at creation), cumulative-mean normalised (CMNDF);
 * the period is the first dip below `yin_threshold` (or the lowest point), parabolically
 * interpolated. The period is measured on the input low-passed twice at 1 kHz, so upper
 * partials weigh less: a piano's stretched partials no longer pull it sharp of the first
 * partial (FluidR3 piano C4: +15 cents without, within ±3 with). Because the window is tapered (only overlapping samples count), a note that
 * starts after silence is found after about two and a half periods, not after a whole window.
 *
 *   confidence  1 − the CMNDF at the period: 1 = perfectly periodic;
 *   voiced      the CMNDF at the period is below `voiced_enter` (below `voiced_stay` once
 *               voiced: hysteresis) and the level above `gate_db`;
 *   octave guard  while voiced, a new period about twice or half the last one is taken only
 *               when it holds for `octave_hold` hops in a row; until then the period is the
 *               CMNDF's local minimum near the old one (a strong second harmonic or a weak
 *               fundamental for a hop or two does not flip the octave);
 *   level       RMS in dBFS over the newest `level_window` samples (256 at 48 kHz);
 *   bands       RMS in the timbre frame's noise bands (gb_timbre.h) of the window's samples
 *               heard since the input rose above the gate (all of it once it is full), so
 *               that unvoiced input (breath, consonants) can drive a synth's noise bands;
 *               from the input as it came (DC removed), not the low-passed copy, whose
 *               gain undone had a note's first hops read 6-10 dB above its level.
 * Cost per hop: two real FFTs of 2·window points, one of window points and O(window)
 * arithmetic, the same for every input; nothing is allocated after gb_pitch_track_new(). Non-finite input samples
 * count as 0, samples are clamped to ±4 and a 20 Hz high-pass removes DC, so NaN, DC or
 * full-scale noise give a defined, finite, unvoiced result.
 */
#ifndef GB_PITCH_TRACK_H
#define GB_PITCH_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"
#include "gb_timbre.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_pitch_track_config {
    uint32_t struct_size; /* sizeof(gb_pitch_track_config_t) */
    double sample_rate;   /* 8000 .. 192000 */
    uint32_t hop;         /* samples between estimates (64) */
    uint32_t window;      /* YIN window, a power of two (0: 2048 at 48 kHz, scaled) */
    uint32_t level_window;/* samples of the level's RMS (0: 256 at 48 kHz, scaled) */
    double f0_min, f0_max;/* Hz (50, 2100); f0_min is raised to fit the window */
    double yin_threshold; /* first CMNDF dip below this is the period (0.15) */
    double voiced_enter;  /* CMNDF at the period below this starts voicing (0.25) */
    double voiced_stay;   /* ... and below this keeps it (0.35) */
    double gate_db;       /* quieter input is never voiced (−60 dBFS) */
    uint32_t octave_hold; /* hops an octave jump must hold before it is taken (3) */
} gb_pitch_track_config_t;

/** The defaults above for a sample rate. [any] */
gb_pitch_track_config_t gb_pitch_track_config_default(double sample_rate);

/** The tracker's estimate after the last complete hop. */
typedef struct gb_pitch_est {
    float f0_hz;      /* last voiced f0 (held while unvoiced; 0 before the first) */
    float confidence; /* 0..1 */
    float level_db;   /* −120 .. +12 dBFS */
    int voiced;
    uint64_t hops;    /* hops analysed so far */
    float bands[GB_TIMBRE_BANDS]; /* RMS per noise band (linear) */
    float cand_hz;    /* this hop's best period as f0, voiced or not (0: gated); with
                       * confidence, what a note's onset looks like before it is voiced */
} gb_pitch_est_t;

typedef struct gb_pitch_track gb_pitch_track_t;

/** Allocate a tracker (FFT plans, buffers). NULL and err set on a bad config. [main] */
gb_pitch_track_t *gb_pitch_track_new(const gb_pitch_track_config_t *cfg, gb_error_t *err);

/** NULL-safe. [main] */
void gb_pitch_track_free(gb_pitch_track_t *t);

/** Forget the input heard so far (silence, unvoiced). [audio] */
void gb_pitch_track_reset(gb_pitch_track_t *t) GB_RT;

/** Feed n samples; analyses at every hop boundary they cross. Returns the number of hops
 *  completed. [audio] */
int gb_pitch_track_push(gb_pitch_track_t *t, const float *x, size_t n) GB_RT;

/** The estimate after the last hop. [audio, or the thread that pushes] */
const gb_pitch_est_t *gb_pitch_track_est(const gb_pitch_track_t *t) GB_RT;

/** The configuration in use (defaults filled in). [any] */
const gb_pitch_track_config_t *gb_pitch_track_config(const gb_pitch_track_t *t) GB_RT;

/* ---- YIN helpers, shared with offline analysis ------------------------------------------ */

/** CMNDF d[0 .. tmax + 1] from the autocorrelation r[τ] (τ = 0 .. tmax + 1) of a window of w
 *  samples and the window's cumulative energies cs[0 .. w] (cs[j] = Σ_{i<j} x_i²): the
 *  tapered difference function, cumulative-mean normalised; d[0] = 1. [any, RT-safe] */
void gb_yin_cmndf(const double *r, const double *cs, int w, int tmax, double *d) GB_RT;

/** YIN's period from the CMNDF d[0 .. tmax + 1]: the first dip below threshold (followed
 *  down to its bottom) or else the lowest point in [tmin, tmax], parabolically interpolated;
 *  0 when the CMNDF there is not below voiced_max. *dmin (may be NULL) gets the CMNDF at the
 *  chosen lag. [any, RT-safe] */
double gb_yin_period(const double *d, int tmin, int tmax, double threshold, double voiced_max,
                     double *dmin) GB_RT;

#ifdef __cplusplus
}
#endif
#endif
