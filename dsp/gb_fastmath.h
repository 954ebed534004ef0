/* gb_fastmath.h — fast, branch-free exp, tanh, sigmoid, log1p and softplus for float32.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same formulas run in every kernel family (gb_vmath.inc is instantiated once per
 * family: scalar, AVX2, AVX-512, NEON), so families differ only by FMA rounding.
 * None of them branches on the value: inputs are clamped, NaN in gives NaN or a clamped
 * value out but never a slower path. Maximum errors, measured over a dense sweep of the
 * range by tests/test_fastmath.c (which fails if they are exceeded):
 *
 *   gb_fast_exp(x)      relative error ≤ 4e-7 for x in [-87, 88]; x is clamped to
 *                       [-87.3, 88.3] (0 < result < FLT_MAX)
 *   gb_fast_tanh(x)     absolute error ≤ 2e-6 for all x (rational 13/6 minimax fit,
 *                       input clamped to ±7.9, where tanh is within 1e-6 of ±1)
 *   gb_fast_sigmoid(x)  absolute error ≤ 1e-6 for all x, as 1 / (1 + exp(-x))
 *   gb_fast_log1p(u)    absolute error ≤ 1e-6 for u in [0, 1] (atanh series)
 *   gb_fast_softplus(x) absolute error ≤ 2e-6 for all x, as max(x,0) + log1p(exp(-|x|))
 *
 * These bounds are what GB_FASTMATH_*_MAX_ERR state; the tests use the same constants.
 */
#ifndef GB_FASTMATH_H
#define GB_FASTMATH_H

#include "gb_common.h"
#include "gb_simd.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_FASTMATH_EXP_MAX_RELERR 4e-7f
#define GB_FASTMATH_TANH_MAX_ERR 2e-6f
#define GB_FASTMATH_SIGMOID_MAX_ERR 1e-6f
#define GB_FASTMATH_LOG1P_MAX_ERR 1e-6f
#define GB_FASTMATH_SOFTPLUS_MAX_ERR 2e-6f

/** Fast e^x. [any, RT-safe] */
float gb_fast_exp(float x) GB_RT;
/** Fast tanh(x). [any, RT-safe] */
float gb_fast_tanh(float x) GB_RT;
/** Fast 1 / (1 + e^-x). [any, RT-safe] */
float gb_fast_sigmoid(float x) GB_RT;
/** Fast log(1 + u) for u in [0, 1]. [any, RT-safe] */
float gb_fast_log1p(float u) GB_RT;
/** Fast log(1 + e^x). [any, RT-safe] */
float gb_fast_softplus(float x) GB_RT;

/** y[i] = gb_fast_exp(x[i]) for 0 ≤ i < n, any n and alignment (x == y allowed), with a
 *  kernel family's vector registers: the same formula, so the same bound. */
typedef void (*gb_fast_exp_array_fn)(const float *x, float *y, int n) GB_RT;

/** The array exp of a family, or NULL if it is not available on this CPU. [any] */
gb_fast_exp_array_fn gb_fast_exp_array_for(gb_simd_t simd);

#ifdef __cplusplus
}
#endif
#endif
