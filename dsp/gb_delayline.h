/* gb_delayline.h — a mono delay line: power-of-two ring buffer with integer and
 * linearly interpolated (fractional) taps.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Convention: read the taps for sample n first, then push sample n. A tap of delay d then
 * returns x[n − d]; d is at least 1 and at most the max_delay given to gb_delayline_init().
 * Fractional taps interpolate linearly between x[n − ⌊d⌋] and x[n − ⌊d⌋ − 1]; at a whole d
 * they return the stored sample exactly. Ramping d per sample (gb_ramp_t) changes a delay
 * without zipper noise (the read point glides: a short pitch bend, no clicks).
 *
 * The buffer is allocated once by gb_delayline_init() [main]; taps and pushes are header
 * inline, allocation-free, cost the same for every value, and clamp or mask out-of-range
 * delays instead of reading out of bounds.
 */
#ifndef GB_DELAYLINE_H
#define GB_DELAYLINE_H

#include <stdint.h>

#include "gb_common.h"
#include "gb_smooth.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_delayline {
    float *buf;         /* mask + 1 samples, 64-byte aligned */
    uint32_t mask;      /* size − 1 (size a power of two, ≥ max_delay + 2) */
    uint32_t w;         /* index the next pushed sample goes to */
    uint32_t max_delay; /* largest delay a tap may ask for, in samples */
} gb_delayline_t;

/** Allocate a zeroed line for delays 1..max_delay samples (max_delay ≥ 1, ≤ 2^28).
 *  Returns 0, GB_EINVAL or GB_ENOMEM (with a message in err when err is non-NULL). [main] */
int gb_delayline_init(gb_delayline_t *d, uint32_t max_delay, gb_error_t *err);

/** Free the buffer and zero the struct. NULL-safe, and safe on a zeroed struct. [main] */
void gb_delayline_free(gb_delayline_t *d);

/** Silence the line (cost proportional to its size, independent of the signal). [audio] */
void gb_delayline_clear(gb_delayline_t *d) GB_RT;

/** x[n − delay] for a whole delay (masked into the buffer: never reads out of bounds). [audio] */
static inline float gb_delayline_tap(const gb_delayline_t *d, uint32_t delay) GB_RT
{
    return d->buf[(d->w - delay) & d->mask];
}

/** x[n − delay] for a fractional delay, clamped to [1, max_delay] (NaN gives 1), linear
 *  interpolation. [audio] */
static inline float gb_delayline_tap_frac(const gb_delayline_t *d, float delay) GB_RT
{
    const float dc = gb_minf(gb_maxf(delay, 1.0f), (float)d->max_delay); /* NaN → 1 */
    const uint32_t i = (uint32_t)(int32_t)dc; /* dc ≤ 2^28: one cvttss2si, no range branch */
    const float f = dc - (float)i;
    const float a = d->buf[(d->w - i) & d->mask];
    const float b = d->buf[(d->w - i - 1u) & d->mask];
    return a + f * (b - a);
}

/** Append sample n (after its taps were read). [audio] */
static inline void gb_delayline_push(gb_delayline_t *d, float x) GB_RT
{
    d->buf[d->w & d->mask] = x;
    d->w++;
}

#ifdef __cplusplus
}
#endif
#endif
