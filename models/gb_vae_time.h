/* gb_vae_time.h — where a frame lies in its note, as the timbre VAE's decoder sees it.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The decoder of a time-aware timbre VAE (card "features.time_features" = 6) takes, after
 * [z, log2(f0/440), loudness_db/60], six numbers made from t_on, the seconds since the
 * note-on, and t_off, the seconds since the note-off (negative while the key is held):
 *   [exp(−t_on/0.015), exp(−t_on/0.05), exp(−t_on/0.15), exp(−t_on/0.5), released,
 *    released·exp(−t_off/0.2)]
 * released = 1 once the note is off, else 0. The first four resolve the attack (the first
 * tens of milliseconds) and the decay (the first second), the last two the release. They are
 * bounded
 * (0..1) and saturate for long notes, so a note held longer than any training note sees the
 * inputs of a long sustain. The trainer (gb_vae.c), the evaluation (gb_vae_eval.c) and the
 * live instrument (src/units/unit_timbrevae.c) all call this one function.
 */
#ifndef GB_VAE_TIME_H
#define GB_VAE_TIME_H

#include <math.h>

#include "gb_common.h"

#define GB_VAE_TIME_FEATURES 6

/** The six time inputs for a frame t_on seconds after its note-on and t_off seconds after
 *  its note-off (t_off < 0: the key is still down, or the note-off is unknown). [any] */
static inline void gb_vae_time_features(float t_on, float t_off, float *out) GB_RT
{
    if (!(t_on > 0.0f))
        t_on = 0.0f;
    out[0] = expf(-t_on * (1.0f / 0.015f));
    out[1] = expf(-t_on * (1.0f / 0.05f));
    out[2] = expf(-t_on * (1.0f / 0.15f));
    out[3] = expf(-t_on * (1.0f / 0.5f));
    const int rel = t_off >= 0.0f;
    out[4] = rel ? 1.0f : 0.0f;
    out[5] = rel ? expf(-t_off * (1.0f / 0.2f)) : 0.0f;
}

#endif
