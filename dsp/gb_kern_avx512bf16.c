/* gb_kern_avx512bf16.c — the AVX-512 kernels again, with bf16 weights multiplied by
 * vdpbf16ps (AVX512_BF16). Compiled with -mavx512bf16 on top of the AVX-512 flags and only
 * called after gb_simd_available(GB_SIMD_AVX512BF16) said yes. The f32 kernels are the same
 * source as gb_kern_avx512.c.
 * SPDX-License-Identifier: GPL-3.0-or-later */

#define GB_NN_BF16_NATIVE 1
#define KERNELS_NAME gb_nn_kernels_avx512bf16
#define KERNELS_SIMD GB_SIMD_AVX512BF16
#include "gb_kern_avx512.c"
