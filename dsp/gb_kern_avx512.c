/* gb_kern_avx512.c — AVX-512 kernels (16 lanes). Compiled with -mavx512f/dq/bw/vl and only
 * called after gb_simd_available(GB_SIMD_AVX512) said yes.
 * SPDX-License-Identifier: GPL-3.0-or-later */

#include "gb_nn_kernels.h"

#include "gb_vec_avx512.h"

/* 4 blocks × 4 frames = 16 accumulators + 4 weights + a broadcast of 32 zmm registers; a
 * single frame splits its inputs over 4 accumulator sets (FMA latency 4), a single block
 * over 8 (two FMA pipes × latency 4). */
#define DN_NB 4
#define DN_F 4
#define DN_KS 4
#define DN_KS1 8
#if !defined(GB_NN_BF16_NATIVE)
#define KERNELS_NAME gb_nn_kernels_avx512
#define KERNELS_SIMD GB_SIMD_AVX512
#endif
#include "gb_nn_simd.inc"

#if !defined(GB_NN_BF16_NATIVE) /* gb_kern_avx512bf16.c reuses the oscillator bank's */
#define OSC_RENDER_NAME gb_oscbank_render_avx512
#define OSC_TARGETS_NAME gb_oscbank_targets_avx512
#include "gb_oscbank_simd.inc"
#endif
