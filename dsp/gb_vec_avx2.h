/* gb_vec_avx2.h — the vector operations of the avx2 kernel family, for the *.inc kernels.
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Include only from a file compiled for this family (see dsp/CMakeLists.txt). */
#ifndef GB_VEC_AVX2_H
#define GB_VEC_AVX2_H

#include <immintrin.h>

typedef __m256 V;
#define VL 8
#define V_ZERO() _mm256_setzero_ps()
#define V_LOAD(p) _mm256_load_ps(p)
#define V_STORE(p, v) _mm256_store_ps((p), (v))
#define V_SET1(f) _mm256_set1_ps(f)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_SUB(a, b) _mm256_sub_ps(a, b)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#define V_DIV(a, b) _mm256_div_ps(a, b)
#define V_MIN(a, b) _mm256_min_ps(a, b)
#define V_MAX(a, b) _mm256_max_ps(a, b)
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_ABS(a) _mm256_and_ps((a), _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)))
#define V_POW2I(n)                                                                            \
    _mm256_castsi256_ps(_mm256_slli_epi32(                                                    \
        _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23))
#define V_SELECT_NEG(x, a, b)                                                                 \
    _mm256_blendv_ps((b), (a), _mm256_cmp_ps((x), _mm256_setzero_ps(), _CMP_LT_OQ))
#define VM_PREFIX avx2_
static inline float gb_hsum_avx2(__m256 v)
{
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
    return _mm_cvtss_f32(x);
}
#define V_HSUM(v) gb_hsum_avx2(v)
#define V_LOADU(p) _mm256_loadu_ps(p)
/* 16-bit integers (the noise tables) as floats, VL of them, aligned to VL·2 bytes. */
#define V_LOAD_I16(p) _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm_load_si128((const __m128i *)(const void *)(p))))
#define V_STOREU(p, v) _mm256_storeu_ps((p), (v))
/* bf16 weight pairs (gb_nn_kernels.h): 8 words, each (low half: even input, high: odd). */
#define V_BF16_LO(p)                                                                          \
    _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_load_si256((const __m256i *)(const void *)(p)), 16))
#define V_BF16_HI(p)                                                                          \
    _mm256_castsi256_ps(_mm256_and_si256(_mm256_load_si256((const __m256i *)(const void *)(p)), \
                                         _mm256_set1_epi32((int)0xffff0000u)))
/* Round each lane to the nearest bf16 (ties to even; NaN stays NaN), as gb_bf16_round(). */
static inline __m256 gb_bf16_round_avx2(__m256 x)
{
    const __m256i u = _mm256_castps_si256(x), hi = _mm256_set1_epi32((int)0xffff0000u);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const __m256i r = _mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff)));
    const __m256i q = _mm256_or_si256(u, _mm256_set1_epi32(0x00400000));
    const __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
    const __m256 pick = _mm256_blendv_ps(_mm256_castsi256_ps(r), _mm256_castsi256_ps(q), nan);
    return _mm256_and_ps(pick, _mm256_castsi256_ps(hi));
}
#define V_BF16_ROUND(x) gb_bf16_round_avx2(x)

#endif
