/* gb_kern_neon.c — arm64 NEON kernels (4 lanes). Only built for arm64.
 * SPDX-License-Identifier: GPL-3.0-or-later */

#include "gb_nn_kernels.h"

#include "gb_vec_neon.h"

/* 32 q registers: 2 blocks (8 vectors) × 2 frames = 16 accumulators. */
#define DN_NB 2
#define DN_F 2
#define DN_KS 2
#define DN_KS1 4
#define KERNELS_NAME gb_nn_kernels_neon
#define KERNELS_SIMD GB_SIMD_NEON
#include "gb_nn_simd.inc"

#define OSC_RENDER_NAME gb_oscbank_render_neon
#define OSC_TARGETS_NAME gb_oscbank_targets_neon
#include "gb_oscbank_simd.inc"
