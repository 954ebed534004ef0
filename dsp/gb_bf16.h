/* gb_bf16.h — bfloat16 ⇄ float32, branch-free, the same rounding everywhere (packing weights,
 * reading and writing model files, the kernels' scalar tails).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bfloat16 is the upper half of a float32: sign, the same 8-bit exponent, 7 stored mantissa
 * bits (8 significant bits). Widening is exact. Narrowing rounds to nearest, ties to even
 * (as vcvtne2ps2bf16 and PyTorch's .bfloat16() do), so the relative error of a normal value
 * is at most 2^-8 (GB_BF16_REL_ERR); values beyond the largest bfloat16 round to ±inf; a NaN
 * stays a (quiet) NaN.
 */
#ifndef GB_BF16_H
#define GB_BF16_H

#include <stdint.h>

/* Type punning through a union (defined in C); no <string.h>, so the freestanding arm64
 * syntax check of the NEON kernels (.ci/run) compiles this too. */
typedef union gb_bf16_pun {
    float f;
    uint32_t u;
} gb_bf16_pun_t;

/** Largest relative error of rounding a normal float32 to bfloat16: 2^-8. */
#define GB_BF16_REL_ERR 0.00390625

/** Round a float32 to bfloat16 (nearest, ties to even; NaN stays NaN). [any, RT-safe] */
static inline uint16_t gb_bf16_from_f32(float f)
{
    const gb_bf16_pun_t p = {.f = f};
    const uint32_t u = p.u;
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    /* A NaN must not round into the infinity next to it: keep its upper half, quieted. The
     * select is arithmetic, not a branch, so the cost does not depend on the value. */
    const uint32_t nan = 0u - (uint32_t)((u & 0x7fffffffu) > 0x7f800000u);
    return (uint16_t)((rounded & ~nan) | (((u >> 16) | 0x40u) & nan));
}

/** Widen a bfloat16 to float32 (exact). [any, RT-safe] */
static inline float gb_bf16_to_f32(uint16_t h)
{
    const gb_bf16_pun_t p = {.u = (uint32_t)h << 16};
    return p.f;
}

/** f rounded to the nearest bfloat16, as a float32. [any, RT-safe] */
static inline float gb_bf16_round(float f) { return gb_bf16_to_f32(gb_bf16_from_f32(f)); }

#endif
