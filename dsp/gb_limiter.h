/* gb_limiter.h — stereo-linked lookahead peak limiter with a hard guarantee.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Per sample n, with W = lookahead + 1 frames (lookahead = round(lookahead_ms · sr / 1000)):
 *   x       = gain[n] · input, with NaN/±Inf (also an overflow of the gain) replaced by 0
 *             through a bit mask (gb_zero_nonfinite: no branch, same cost for every value);
 *   t[n]    = ceiling[n] / max(|x_l|, |x_r|, ceiling[n])   — the gain this frame needs (≤ 1;
 *             the peak is capped at 1e30 so t never becomes denormal);
 *   h[n]    = min(t[n−W+1 … n])    — a sliding minimum (peak hold over the window), kept in a
 *             power-of-two min-tree: 2·log2(size) comparisons per sample, whatever the signal;
 *   r[n]    = min(h[n], 1 − red[n]), red[n] = max(1 − h[n], red[n−1]·(1 − c))   — instant
 *             attack, exponential release towards unity (red is flushed, so r returns to
 *             exactly 1);
 *   s[n]    = mean(r[n−W+1 … n])   — a boxcar that turns every gain drop into a linear ramp
 *             spread over the lookahead (running sum in double, exact while nothing limits);
 *   y[n]    = clamp(x[n − W + 1] · s[n], ±ceiling[n])   — the audio is delayed by lookahead.
 * Every r inside the boxcar that covers x[m] is ≤ t[m], so s already keeps x[m] under the
 * ceiling; the final clamp only catches float rounding and ceiling ramps, and makes the bound
 * unconditional: no output sample ever exceeds the ceiling in effect at its output frame.
 * Below the ceiling s is exactly 1 and the output is the input delayed, bit for bit.
 *
 * Latency: lookahead frames. Memory is allocated once for the largest lookahead.
 */
#ifndef GB_LIMITER_H
#define GB_LIMITER_H

#include <stdint.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_limiter gb_limiter_t;

/** New limiter for sample_rate (8000..384000) and lookaheads up to max_lookahead_ms (0..50).
 *  Starts with lookahead = max_lookahead_ms, release 100 ms, silent history. NULL on failure
 *  (message in err). [main] */
gb_limiter_t *gb_limiter_new(double sample_rate, float max_lookahead_ms, gb_error_t *err);

/** Free it. NULL-safe. [main] */
void gb_limiter_free(gb_limiter_t *l);

/** Silence the history and return to unity gain. Cost proportional to the memory. [audio] */
void gb_limiter_reset(gb_limiter_t *l) GB_RT;

/** Change the lookahead (clamped to 0..max). The gain history is rebuilt from the stored
 *  past (cost proportional to the memory, not to the signal); the audio delay jumps, so
 *  expect a discontinuity: set it before playing. [audio] */
void gb_limiter_set_lookahead(gb_limiter_t *l, float ms) GB_RT;

/** Release time in ms (time constant of the return to unity gain), clamped to 0.1..10000.
 *  [audio] */
void gb_limiter_set_release(gb_limiter_t *l, float ms) GB_RT;

/** Current latency (= lookahead) in frames. [any] */
uint32_t gb_limiter_latency(const gb_limiter_t *l) GB_RT;

/** Limit n frames. gain and ceiling hold one linear value per frame (the caller ramps them);
 *  ceiling values must be > 0 and finite. Outputs may alias the inputs. Returns the smallest
 *  gain s applied during these frames (1 when nothing was limited or n is 0). [audio] */
float gb_limiter_process(gb_limiter_t *l, const float *in_l, const float *in_r, float *out_l,
                         float *out_r, const float *gain, const float *ceiling, uint32_t n) GB_RT;

#ifdef __cplusplus
}
#endif
#endif
