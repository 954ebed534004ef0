/* gb_vec_scalar.h — the scalar "vector" operations (one lane) for the *.inc kernels.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_VEC_SCALAR_H
#define GB_VEC_SCALAR_H

#include <stdint.h>
#include <string.h>

typedef float V;
#define V_SET1(f) (f)
#define V_ADD(a, b) ((a) + (b))
#define V_SUB(a, b) ((a) - (b))
#define V_MUL(a, b) ((a) * (b))
#define V_DIV(a, b) ((a) / (b))
#define V_FMA(a, b, c) ((a) * (b) + (c))
/* min/max must not become compare-and-jump (gcc turns `?:` on floats into branches and
 * then specialises the clamped path), or the cost would depend on the values. SSE's
 * minss/maxss are baseline x86-64; elsewhere a sign-mask select. */
#if defined(__SSE__)
#include <xmmintrin.h>
static inline float s_min(float a, float b) { return _mm_cvtss_f32(_mm_min_ss(_mm_set_ss(a), _mm_set_ss(b))); }
static inline float s_max(float a, float b) { return _mm_cvtss_f32(_mm_max_ss(_mm_set_ss(a), _mm_set_ss(b))); }
#else
static inline float s_pick(int take_b, float a, float b)
{
    uint32_t ua, ub, m = 0u - (uint32_t)take_b;
    memcpy(&ua, &a, 4);
    memcpy(&ub, &b, 4);
    uint32_t r = (ub & m) | (ua & ~m);
    float f;
    memcpy(&f, &r, 4);
    return f;
}
static inline float s_min(float a, float b) { return s_pick(b < a, a, b); }
static inline float s_max(float a, float b) { return s_pick(a < b, a, b); }
#endif
static inline float s_abs(float a)
{
    uint32_t u;
    memcpy(&u, &a, 4);
    u &= 0x7fffffffu;
    memcpy(&a, &u, 4);
    return a;
}
static inline float s_pow2i(float n)
{
    uint32_t u = (uint32_t)((int32_t)n + 127) << 23;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline float s_select_neg(float x, float a, float b)
{
    /* x < 0 ? a : b through a sign mask, so no branch depends on the value. */
    uint32_t ua, ub;
    memcpy(&ua, &a, 4);
    memcpy(&ub, &b, 4);
    uint32_t m = 0u - (uint32_t)(x < 0.0f);
    uint32_t r = (ua & m) | (ub & ~m);
    float f;
    memcpy(&f, &r, 4);
    return f;
}
#define V_MIN(a, b) s_min(a, b)
#define V_MAX(a, b) s_max(a, b)
#define V_ABS(a) s_abs(a)
#define V_POW2I(n) s_pow2i(n)
#define V_SELECT_NEG(x, a, b) s_select_neg(x, a, b)
#define VM_PREFIX s_
#define VL 1
#define V_ZERO() 0.0f
#define V_LOAD(p) (*(p))
/* 16-bit integers (the noise tables) as floats, VL of them, aligned to VL·2 bytes. */
#define V_LOAD_I16(p) ((float)*(p))
#define V_STORE(p, v) (*(p) = (v))
#define V_HSUM(v) (v)

#endif
