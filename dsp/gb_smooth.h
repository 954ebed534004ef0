/* gb_smooth.h — per-sample parameter smoothing (linear ramp, one-pole) and the small
 * per-sample guards the effects share (clamp, non-finite → 0, denormal flush).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Why per sample: the host splits blocks at event offsets, and a unit must give bit-identical
 * output however a stretch of audio is cut into blocks (blocks of 1 or of 64 frames, with the
 * same events on the same absolute frames). A smoother whose state advances exactly once per
 * sample, and whose target changes only when an event arrives, has that property: events fall
 * on the same absolute frames whatever the split, and nothing is computed per block. A smoother
 * that derived a step from the block length would not.
 *
 * Two smoothers:
 *   gb_ramp_t     linear ramp: reaches the target exactly after `frames` samples, then holds
 *                 it bit-exactly (the value the units use for gains, times and coefficients).
 *   gb_onepole_t  one-pole: v += c·(target − v) each sample; smoothing_ms is the time to cover
 *                 99 % of a step (≈ 4.6 time constants). Its state is the remaining distance,
 *                 which is flushed to 0 (gb_flush_denormal), so it lands exactly on the target.
 * The built-in effects use gb_ramp_t for every smoothed parameter.
 * Everything here is header-only, allocation-free and costs the same whatever the values.
 */
#ifndef GB_SMOOTH_H
#define GB_SMOOTH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "gb_common.h"
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- guards */

/** x clamped to [lo, hi]; NaN gives lo (fmaxf returns the non-NaN operand). For parameter
 *  values, not for inner loops (may be a libm call). [any] */
static inline float gb_clampf(float x, float lo, float hi) GB_RT
{
    return __builtin_fminf(__builtin_fmaxf(x, lo), hi);
}

/** a < b ? a : b and a > b ? a : b (b when either is NaN), without a branch: on x86 the
 *  minss/maxss instructions themselves (gcc turns the plain ternary into a compare and jump
 *  in some loops, which would make the cost depend on the signal). [any] */
static inline float gb_minf(float a, float b) GB_RT
{
#if defined(__SSE__)
    return _mm_cvtss_f32(_mm_min_ss(_mm_set_ss(a), _mm_set_ss(b)));
#else
    return a < b ? a : b;
#endif
}

static inline float gb_maxf(float a, float b) GB_RT
{
#if defined(__SSE__)
    return _mm_cvtss_f32(_mm_max_ss(_mm_set_ss(a), _mm_set_ss(b)));
#else
    return a > b ? a : b;
#endif
}

/** x, or +0 when x is NaN or ±Inf, by a bit mask (no data-dependent branch, same cost for
 *  every value). [any] */
static inline float gb_zero_nonfinite(float x) GB_RT
{
    uint32_t u;
    __builtin_memcpy(&u, &x, sizeof u);
    /* all exponent bits set ⇔ Inf or NaN; mask is 0 then, all ones otherwise */
    const uint32_t finite = (uint32_t)((u & 0x7f800000u) != 0x7f800000u);
    u &= (uint32_t)0u - finite;
    __builtin_memcpy(&x, &u, sizeof x);
    return x;
}

/** Largest magnitude gb_sane_sample() lets through: 120 dB above full scale. */
#define GB_SANE_SAMPLE_MAX 1e6f

/** An input sample made safe for a feedback loop: NaN/±Inf → 0, magnitude clipped to
 *  GB_SANE_SAMPLE_MAX (so no loop can overflow to Inf). Branch-free. [any] */
static inline float gb_sane_sample(float x) GB_RT
{
    return gb_minf(gb_maxf(gb_zero_nonfinite(x), -GB_SANE_SAMPLE_MAX), GB_SANE_SAMPLE_MAX);
}

/** Flush values below ~1e-25 in magnitude to exactly 0 (adds and subtracts 1e-18: anything
 *  smaller than half an ulp of 1e-18 is absorbed). Keeps recursive state (feedback loops,
 *  filter memories) out of the denormal range even without FTZ/DAZ, and is exact for every
 *  audio-sized value (|x| ≥ 2^-30 passes through unchanged). Needs IEEE arithmetic (no
 *  -ffast-math, which may fold it away). [any] */
static inline float gb_flush_denormal(float x) GB_RT
{
    const float k = 1e-18f;
    return (x + k) - k;
}

/** Frames a smoothing time covers at a sample rate (rounded, ms ≤ 0 gives 0). [any] */
static inline uint32_t gb_smooth_frames(float ms, double sample_rate) GB_RT
{
    const double f = (double)ms * sample_rate * 0.001;
    return f > 0.5 ? (uint32_t)(f + 0.5) : 0u;
}

/* ---------------------------------------------------------------- linear ramp */

typedef struct gb_ramp {
    float cur;     /* value of the last sample produced */
    float target;  /* value held once the ramp ends */
    float step;    /* added per sample while left > 0 */
    uint32_t left; /* samples until cur == target */
} gb_ramp_t;

/** Jump to v now (no ramp): set_param, activate, reset. [any] */
static inline void gb_ramp_init(gb_ramp_t *r, float v) GB_RT
{
    r->cur = r->target = v;
    r->step = 0.0f;
    r->left = 0;
}

/** Ramp from the current value to target over `frames` samples (0: jump at the next sample).
 *  Called when a parameter event arrives. [audio] */
static inline void gb_ramp_set(gb_ramp_t *r, float target, uint32_t frames) GB_RT
{
    r->target = target;
    r->left = frames;
    r->step = frames ? (target - r->cur) / (float)frames : 0.0f;
}

/** Advance one sample and return its value: cur + step while ramping; the last ramp sample
 *  and every sample after it are exactly the target. No data-dependent branch. [audio] */
static inline float gb_ramp_next(gb_ramp_t *r) GB_RT
{
    const uint32_t ramping = r->left != 0;
    r->left -= ramping;
    const float stepped = r->cur + r->step;
    r->cur = r->left ? stepped : r->target;
    return r->cur;
}

/* ---------------------------------------------------------------- one-pole */

typedef struct gb_onepole {
    float target;
    float dist; /* target − current value: decays by (1 − coef) per sample */
    float coef; /* fraction of the remaining distance covered per sample */
} gb_onepole_t;

/** Coefficient that covers 99 % of a step in ms milliseconds (ms ≤ 0: 1, i.e. a jump). [any] */
static inline float gb_onepole_coef(float ms, double sample_rate) GB_RT
{
    const double n = (double)ms * sample_rate * 0.001;
    return n > 1.0 ? (float)(1.0 - __builtin_exp(__builtin_log(0.01) / n)) : 1.0f;
}

/** Jump to v, with coefficient coef. [any] */
static inline void gb_onepole_init(gb_onepole_t *s, float v, float coef) GB_RT
{
    s->target = v;
    s->dist = 0.0f;
    s->coef = coef;
}

/** Head for a new target from the current value. [audio] */
static inline void gb_onepole_set(gb_onepole_t *s, float target) GB_RT
{
    s->dist = target - (s->target - s->dist);
    s->target = target;
}

/** Advance one sample and return the value. The distance, not the value, is the state, so
 *  it shrinks to exactly 0 (flushed) and the value lands exactly on the target. [audio] */
static inline float gb_onepole_next(gb_onepole_t *s) GB_RT
{
    s->dist = gb_flush_denormal(s->dist * (1.0f - s->coef));
    return s->target - s->dist;
}

#ifdef __cplusplus
}
#endif
#endif
