/* gb_kern_avx2.c — AVX2 + FMA kernels (8 lanes). Compiled with -mavx2 -mfma and only
 * called after gb_simd_available(GB_SIMD_AVX2) said yes.
 * SPDX-License-Identifier: GPL-3.0-or-later */

#include "gb_nn_kernels.h"

#include "gb_vec_avx2.h"

/* 16 ymm registers: 2 blocks (4 vectors) × 2 frames = 8 accumulators + 4 weights + a
 * broadcast; a single frame splits its inputs over 2 accumulator sets. */
#define DN_NB 2
#define DN_F 2
#define DN_KS 2
#define DN_KS1 4
#define KERNELS_NAME gb_nn_kernels_avx2
#define KERNELS_SIMD GB_SIMD_AVX2
#include "gb_nn_simd.inc"

#define OSC_RENDER_NAME gb_oscbank_render_avx2
#define OSC_TARGETS_NAME gb_oscbank_targets_avx2
#include "gb_oscbank_simd.inc"
