/* gb_timbre.c — timbre frame helpers.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_timbre.h"

#include <math.h>

double gb_timbre_band_edge(int b)
{
    return GB_TIMBRE_BAND_LO_HZ *
           pow(GB_TIMBRE_BAND_HI_HZ / GB_TIMBRE_BAND_LO_HZ, (double)b / GB_TIMBRE_BANDS);
}

static float clamp01(float v) GB_RT
{
    return isfinite(v) ? (v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v) : 0.0f;
}

void gb_timbre_normalize(gb_timbre_frame_t *f)
{
    float sum = 0.0f;
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++) {
        float h = f->harm[k];
        f->harm[k] = (isfinite(h) && h > 0.0f) ? h : 0.0f;
        sum += f->harm[k];
    }
    const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
        f->harm[k] *= inv;
    /* amp sums harmonic peak amplitudes: a full-scale sawtooth is about 3. */
    f->amp = isfinite(f->amp) ? (f->amp < 0.0f ? 0.0f : f->amp > 64.0f ? 64.0f : f->amp) : 0.0f;
    for (int b = 0; b < GB_TIMBRE_BANDS; b++)
        f->noise[b] = clamp01(f->noise[b]);
}

void gb_timbre_seq_default(gb_timbre_seq_t *seq)
{
    seq->n_frames = 1;
    seq->f0_hz = 0.0f;
    gb_timbre_frame_t *f = &seq->frames[0];
    f->amp = 0.5f;
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
        f->harm[k] = 1.0f / (float)((k + 1) * (k + 1));
    for (int b = 0; b < GB_TIMBRE_BANDS; b++)
        f->noise[b] = 0.002f;
    gb_timbre_normalize(f);
}
