/* gb_nn_kernels.h — private: the kernel table each SIMD family fills, and the packed
 * weight layout they share.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Packed dense weights: outputs are grouped in blocks of GB_NN_BLK = 16 rows; a block stores,
 * for each input i, the 16 weights of its rows contiguously:
 *     w[(blk * in + i) * 16 + r] = W[blk * 16 + r][i]          (zero for padded rows)
 * so one input broadcast times one 64-byte load updates 16 outputs (AVX-512: one register,
 * AVX2: two, NEON: four). Every family reads the same packing, so a model can switch family
 * without repacking. Activation rows are padded to a multiple of 16 floats and 64-byte
 * aligned; padded lanes hold values that nobody reads.
 */
#ifndef GB_NN_KERNELS_H
#define GB_NN_KERNELS_H

#include "gb_nn.h"

#define GB_NN_BLK 16

typedef struct gb_dense_pack {
    const float *w; /* nblk * in * 16 floats, 64-byte aligned */
    const float *b; /* nblk * 16 floats */
    int in;         /* inputs read from each x row */
    int nblk;       /* output blocks of 16 */
} gb_dense_pack_t;

typedef struct gb_nn_kernels {
    gb_simd_t simd;
    int lanes; /* floats per vector register */
    /** y[f][0 .. nblk*16) = act(W · x[f][0 .. in) + b) for f < batch. xs, ys: row strides in
     *  floats; ys a multiple of 16 (y rows 64-byte aligned), xs anything (x is read one
     *  float at a time). act: any kind except softmax. [audio] */
    void (*dense)(const gb_dense_pack_t *d, const float *x, int xs, float *y, int ys,
                  int batch, gb_act_t act) GB_RT;
    /** x[0 .. n) = act(x) in place, n a multiple of 16, x 64-byte aligned; softmax not
     *  allowed (the runtime composes it from exp). [audio] */
    void (*act)(float *x, int n, gb_act_t act) GB_RT;
    /** x = exp(x) in place, as act. [audio] */
    void (*exp)(float *x, int n) GB_RT;
    /** GRU gate update for one slot: gi, gh hold [r | z | n] sections of hp floats each
     *  (W_i x + b_i and W_h h + b_h); h (hp floats) is updated in place. [audio] */
    void (*gru_gates)(const float *gi, const float *gh, float *h, int hp) GB_RT;
    /** Benchmark probe: `iters` rounds of independent register FMAs (no memory traffic), so
     *  the caller can time this family's peak multiply-add rate. Returns a value that
     *  depends on the work so it cannot be optimised away. Performs iters × fma_per_iter
     *  vector FMAs. [main] */
    float (*fma_probe)(long iters);
    int fma_per_iter;
} gb_nn_kernels_t;

/** Kernel table of a family, or NULL if not compiled in. Does not check the CPU. [any] */
const gb_nn_kernels_t *gb_nn_kernels_scalar(void);
const gb_nn_kernels_t *gb_nn_kernels_avx2(void);
const gb_nn_kernels_t *gb_nn_kernels_avx512(void);
const gb_nn_kernels_t *gb_nn_kernels_neon(void);

/** Kernel table for a family if compiled in and supported by this CPU, else NULL. [any] */
const gb_nn_kernels_t *gb_nn_kernels_for(gb_simd_t simd);

#endif
