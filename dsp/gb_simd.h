/* gb_simd.h — which SIMD kernel family runs: CPU detection and the GBAC_SIMD override.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The binary runs on any x86-64: AVX2 and AVX-512 kernels are compiled with per-file target
 * flags and only called when the CPU (and OS) support them. Detection happens once.
 */
#ifndef GB_SIMD_H
#define GB_SIMD_H

#include <stdbool.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gb_simd {
    GB_SIMD_SCALAR = 0, /* plain C reference, never vectorised by the compiler */
    GB_SIMD_AVX2,       /* AVX2 + FMA, 8 lanes */
    GB_SIMD_AVX512,     /* AVX-512 F/DQ/BW/VL, 16 lanes */
    GB_SIMD_AVX512BF16, /* AVX-512 as above plus AVX512_BF16: bf16 weights run on vdpbf16ps */
    GB_SIMD_NEON,       /* arm64 NEON, 4 lanes (only in arm64 builds) */
    GB_SIMD_COUNT
} gb_simd_t;

/** "scalar", "avx2", "avx512", "avx512bf16", "neon". [any] */
const char *gb_simd_name(gb_simd_t s);

/** Parse a name as above. Returns 0 or GB_EINVAL. [any] */
int gb_simd_parse(const char *name, gb_simd_t *out);

/** True when the family is compiled into this binary and the CPU and OS support it. [any] */
bool gb_simd_available(gb_simd_t s);

/** The family to use: GBAC_SIMD from the environment if set (an error if unknown or not
 *  available on this CPU), else the best available (avx512bf16, avx512, avx2, neon, scalar
 *  in that order of preference). The result is computed once and cached;
 *  later calls return the same answer. [main] */
int gb_simd_default(gb_simd_t *out, gb_error_t *err);

/** Flush denormals to zero (FTZ/DAZ on x86, FZ on arm64) for the calling thread, so the cost
 *  of arithmetic does not depend on the signal. Call once at the start of the audio thread
 *  and of benchmarks. [any, RT-safe] */
void gb_denormals_off(void) GB_RT;

#ifdef __cplusplus
}
#endif
#endif
