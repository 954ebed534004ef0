/* gb_vec_avx512.h — the vector operations of the avx512 kernel family, for the *.inc kernels.
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Include only from a file compiled for this family (see dsp/CMakeLists.txt). */
#ifndef GB_VEC_AVX512_H
#define GB_VEC_AVX512_H

#include <immintrin.h>

typedef __m512 V;
#define VL 16
#define V_ZERO() _mm512_setzero_ps()
#define V_LOAD(p) _mm512_load_ps(p)
#define V_STORE(p, v) _mm512_store_ps((p), (v))
#define V_SET1(f) _mm512_set1_ps(f)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_SUB(a, b) _mm512_sub_ps(a, b)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#define V_DIV(a, b) _mm512_div_ps(a, b)
#define V_MIN(a, b) _mm512_min_ps(a, b)
#define V_MAX(a, b) _mm512_max_ps(a, b)
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_ABS(a) _mm512_abs_ps(a)
#define V_POW2I(n)                                                                            \
    _mm512_castsi512_ps(_mm512_slli_epi32(                                                    \
        _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23))
#define V_SELECT_NEG(x, a, b)                                                                 \
    _mm512_mask_blend_ps(_mm512_cmp_ps_mask((x), _mm512_setzero_ps(), _CMP_LT_OQ), (b), (a))
#define VM_PREFIX avx512_
#define V_HSUM(v) _mm512_reduce_add_ps(v)
#define V_LOADU(p) _mm512_loadu_ps(p)
/* 16-bit integers (the noise tables) as floats, VL of them, aligned to VL·2 bytes. */
#define V_LOAD_I16(p) _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(_mm256_load_si256((const __m256i *)(const void *)(p))))
#define V_STOREU(p, v) _mm512_storeu_ps((p), (v))
/* bf16 weight pairs (gb_nn_kernels.h): 16 words, each (low half: even input, high: odd). */
#define V_BF16_LO(p) _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_load_si512((const void *)(p)), 16))
#define V_BF16_HI(p)                                                                          \
    _mm512_castsi512_ps(_mm512_and_si512(_mm512_load_si512((const void *)(p)),               \
                                         _mm512_set1_epi32((int)0xffff0000u)))
/* Round each lane to the nearest bf16 (ties to even; NaN stays NaN), as gb_bf16_round(). */
static inline __m512 gb_bf16_round_avx512(__m512 x)
{
    const __m512i u = _mm512_castps_si512(x), hi = _mm512_set1_epi32((int)0xffff0000u);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
    const __m512i q = _mm512_or_si512(u, _mm512_set1_epi32(0x00400000));
    r = _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), q);
    return _mm512_castsi512_ps(_mm512_and_si512(r, hi));
}
#define V_BF16_ROUND(x) gb_bf16_round_avx512(x)

#endif
