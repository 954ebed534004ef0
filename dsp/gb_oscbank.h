/* gb_oscbank.h — one voice's harmonic + noise oscillator bank (DDSP-style synthesis).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Harmonics are complex phasors rotated once per sample (no sin() per sample, phase
 * continuous across pitch changes); amplitudes and noise-band gains ramp linearly over a
 * control period towards targets set at its start. Noise comes from band-limited noise tables
 * (one per gb_timbre band, unit RMS, looping seamlessly) built once per sample rate.
 *
 * Every step is per sample and depends only on the bank's own state, so rendering a voice in
 * blocks of 1 or of 64 samples gives bit-identical output. The render kernels come in the
 * same families as the neural kernels (scalar, AVX2, AVX-512, NEON) and are chosen once.
 */
#ifndef GB_OSCBANK_H
#define GB_OSCBANK_H

#include <stdint.h>

#include "gb_common.h"
#include "gb_simd.h"
#include "gb_timbre.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_NOISE_TABLE_LEN 65536 /* samples per noise table (power of two) */
/** Value of one step of the tables' int16 samples: 2^-12, so ±8 (in units of a band's RMS)
 *  fit and the quantisation noise lies 83 dB below each band's level. */
#define GB_NOISE_STEP (1.0f / 4096.0f)

/** Band-limited noise tables for one sample rate: GB_NOISE_TABLE_LEN frames of
 *  GB_TIMBRE_BANDS interleaved int16 samples (value × GB_NOISE_STEP), each band unit RMS
 *  (bands above Nyquist silent). 16-bit samples halve the bytes every voice streams from
 *  memory per sample (a 64-byte row): the tables (4 MB) are far larger than the caches. */
typedef struct gb_noise_tables gb_noise_tables_t;

/** Build the tables (FFTW, seeded, deterministic). [main] */
gb_noise_tables_t *gb_noise_tables_new(double sample_rate, uint32_t seed, gb_error_t *err);

/** Free the tables. NULL-safe. [main] */
void gb_noise_tables_free(gb_noise_tables_t *t);

/** The interleaved table data (GB_NOISE_TABLE_LEN × GB_TIMBRE_BANDS int16, 64-byte
 *  aligned), as the render kernels take it. [any] */
const void *gb_noise_tables_data(const gb_noise_tables_t *t) GB_RT;

/** Sample i of band b as a float (unit RMS per band). [any] */
float gb_noise_tables_at(const gb_noise_tables_t *t, int i, int b) GB_RT;

/** State of one voice's bank. Plain data: copy it to move a voice (e.g. into a fade-out slot). */
typedef struct gb_oscbank {
    float c[GB_TIMBRE_HARMONICS] __attribute__((aligned(64))); /* cos of each phasor */
    float s[GB_TIMBRE_HARMONICS] __attribute__((aligned(64))); /* sin of each phasor */
    float wc[GB_TIMBRE_HARMONICS] __attribute__((aligned(64))); /* per-sample rotation */
    float ws[GB_TIMBRE_HARMONICS] __attribute__((aligned(64)));
    float a[GB_TIMBRE_HARMONICS] __attribute__((aligned(64)));  /* harmonic amplitudes */
    float da[GB_TIMBRE_HARMONICS] __attribute__((aligned(64))); /* per-sample increments */
    float g[GB_TIMBRE_BANDS] __attribute__((aligned(64)));      /* noise band gains ×
                                                                 * GB_NOISE_STEP */
    float dg[GB_TIMBRE_BANDS] __attribute__((aligned(64)));
    uint32_t noise_pos; /* read position in the noise tables */
} gb_oscbank_t;

/** Start a voice: phases to 0 (cosine phase, so the first sample after a non-zero target is
 *  non-zero), amplitudes to 0, noise read position noise_pos. [audio] */
void gb_oscbank_start(gb_oscbank_t *b, uint32_t noise_pos) GB_RT;

/** Set the targets reached at the end of the next `period` samples (with the default
 *  family's kernel): harmonic amplitudes
 *  (GB_TIMBRE_HARMONICS peak amplitudes), noise band gains (GB_TIMBRE_BANDS RMS values) and
 *  the fundamental f0 in Hz. Harmonics at or above Nyquist get a zero target (a fade from
 *  0.45·sr), so nothing aliases. Also renormalises the phasors. [main] — it chooses the
 *  kernel on its first call (offline rendering); on the audio thread call the kernel that
 *  gb_oscbank_targets_for() gave at activation. */
void gb_oscbank_set_targets(gb_oscbank_t *b, const float *harm_amp, const float *noise_gain,
                            double f0_hz, double sample_rate, int period);

/** Render n samples (n no more than what is left of the current period), adding into out.
 *  Each sample: amplitudes step towards the targets, then out += Σ a·cos + Σ g·noise, then
 *  the phasors rotate. [audio] */
typedef void (*gb_oscbank_render_fn)(gb_oscbank_t *b, const void *noise, float *out, int n)
    GB_RT;

/** Kernel form of gb_oscbank_set_targets (same contract), per family. [audio] */
typedef void (*gb_oscbank_targets_fn)(gb_oscbank_t *b, const float *harm_amp,
                                      const float *noise_gain, double f0_hz, double sample_rate,
                                      int period) GB_RT;

/** Targets kernel of a family (NULL if not available). [any] */
gb_oscbank_targets_fn gb_oscbank_targets_for(gb_simd_t simd);

/** For the kernels: e^{ikθ} for k = 1..16 (base) and e^{i16jθ} for j = 0..3 (block starts),
 *  computed in double and rounded to float; e^{i(16j+k)θ} is one complex product of the two.
 *  [audio] */
void gb_oscbank_rotations(double th, float *base_c, float *base_s, float *blk_c, float *blk_s)
    GB_RT;

/** Render kernel of a family (NULL if not compiled in or not supported by the CPU). [any] */
gb_oscbank_render_fn gb_oscbank_render_for(gb_simd_t simd);

#ifdef __cplusplus
}
#endif
#endif
