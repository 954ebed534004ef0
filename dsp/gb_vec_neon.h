/* gb_vec_neon.h — the vector operations of the neon kernel family, for the *.inc kernels.
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Include only from a file compiled for this family (see dsp/CMakeLists.txt). */
#ifndef GB_VEC_NEON_H
#define GB_VEC_NEON_H

#include <arm_neon.h>

typedef float32x4_t V;
#define VL 4
#define V_ZERO() vdupq_n_f32(0.0f)
#define V_LOAD(p) vld1q_f32(p)
#define V_STORE(p, v) vst1q_f32((p), (v))
#define V_SET1(f) vdupq_n_f32(f)
#define V_ADD(a, b) vaddq_f32(a, b)
#define V_SUB(a, b) vsubq_f32(a, b)
#define V_MUL(a, b) vmulq_f32(a, b)
#define V_DIV(a, b) vdivq_f32(a, b)
#define V_MIN(a, b) vminq_f32(a, b)
#define V_MAX(a, b) vmaxq_f32(a, b)
#define V_FMA(a, b, c) vfmaq_f32((c), (a), (b))
#define V_ABS(a) vabsq_f32(a)
#define V_POW2I(n)                                                                            \
    vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23))
#define V_SELECT_NEG(x, a, b) vbslq_f32(vcltq_f32((x), vdupq_n_f32(0.0f)), (a), (b))
#define VM_PREFIX neon_
#define V_HSUM(v) vaddvq_f32(v)
#define V_LOADU(p) vld1q_f32(p)
/* 16-bit integers (the noise tables) as floats, VL of them, aligned to VL·2 bytes. */
#define V_LOAD_I16(p) vcvtq_f32_s32(vmovl_s16(vld1_s16((const int16_t *)(p))))
#define V_STOREU(p, v) vst1q_f32((p), (v))
/* bf16 weight pairs (gb_nn_kernels.h): 4 words, each (low half: even input, high: odd). */
#define V_BF16_LO(p) vreinterpretq_f32_u32(vshlq_n_u32(vld1q_u32((const uint32_t *)(p)), 16))
#define V_BF16_HI(p) vreinterpretq_f32_u32(vandq_u32(vld1q_u32((const uint32_t *)(p)), vdupq_n_u32(0xffff0000u)))
/* Round each lane to the nearest bf16 (ties to even; NaN stays NaN), as gb_bf16_round(). */
static inline float32x4_t gb_bf16_round_neon(float32x4_t x)
{
    const uint32x4_t u = vreinterpretq_u32_f32(x);
    const uint32x4_t lsb = vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(1));
    const uint32x4_t r = vaddq_u32(u, vaddq_u32(lsb, vdupq_n_u32(0x7fff)));
    const uint32x4_t q = vorrq_u32(u, vdupq_n_u32(0x00400000));
    const uint32x4_t ok = vceqq_f32(x, x); /* all ones unless NaN */
    return vreinterpretq_f32_u32(vandq_u32(vbslq_u32(ok, r, q), vdupq_n_u32(0xffff0000u)));
}
#define V_BF16_ROUND(x) gb_bf16_round_neon(x)

#endif
