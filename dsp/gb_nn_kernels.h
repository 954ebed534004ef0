/* gb_nn_kernels.h — private: the kernel table each SIMD family fills, and the packed
 * weight layouts they share.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Packed f32 dense weights: outputs are grouped in blocks of GB_NN_BLK = 16 rows; a block
 * stores, for each input i, the 16 weights of its rows contiguously:
 *     w[(blk * in + i) * 16 + r] = W[blk * 16 + r][i]          (zero for padded rows)
 * so one input broadcast times one 64-byte load updates 16 outputs (AVX-512: one register,
 * AVX2: two, NEON: four).
 *
 * Packed bf16 dense weights: the same blocks of 16 rows, inputs taken in pairs p = 0 ..
 * np-1 (np = (in + 1) / 2); a block stores, for each pair, 16 32-bit words, word r holding
 * the bf16 of W[blk*16 + r][2p] in its low half and of W[blk*16 + r][2p+1] in its high half
 * (zero for the missing input of an odd `in` and for padded rows):
 *     wb[(blk * np + p) * 16 + r] = bf16(W[..][2p]) | bf16(W[..][2p+1]) << 16
 * One 64-byte load is the weight operand of vdpbf16ps (16 outputs × 2 inputs); the other
 * families widen it exactly with a shift and a mask into two f32 vectors.
 *
 * Every family reads the same packings, so a model can switch family without repacking.
 * Activation rows are padded to a multiple of 16 floats and 64-byte aligned; padded lanes
 * hold values that nobody reads.
 */
#ifndef GB_NN_KERNELS_H
#define GB_NN_KERNELS_H

#include <stdint.h>

#include "gb_nn.h"

#define GB_NN_BLK 16
/** Row stride (floats) of the scratch rows dense_bf16 rounds its input into. */
#define GB_NN_XQ_STRIDE(in) GB_ROUND_UP((in), 32)

typedef struct gb_dense_pack {
    const float *w;     /* f32: nblk * in * 16 floats, 64-byte aligned (NULL if bf16) */
    const uint32_t *wb; /* bf16: nblk * np * 16 words, 64-byte aligned (NULL if f32) */
    const float *b;     /* nblk * 16 floats */
    int in;             /* inputs read from each x row */
    int nblk;           /* output blocks of 16 */
} gb_dense_pack_t;

typedef struct gb_nn_kernels {
    gb_simd_t simd;
    int lanes; /* floats per vector register */
    /** y[f][0 .. nblk*16) = act(W · x[f][0 .. in) + b) for f < batch, f32 weights (d->w).
     *  xs, ys: row strides in floats; ys a multiple of 16 (y rows 64-byte aligned), xs
     *  anything (x is read one float at a time). act: any kind except softmax. [audio] */
    void (*dense)(const gb_dense_pack_t *d, const float *x, int xs, float *y, int ys,
                  int batch, gb_act_t act) GB_RT;
    /** The same product as at the start of issue 14 (fewer accumulator sets for a single
     *  frame), kept for side-by-side benchmarks (GBAC_NN_KERNEL=v1). [audio] */
    void (*dense_v1)(const gb_dense_pack_t *d, const float *x, int xs, float *y, int ys,
                     int batch, gb_act_t act) GB_RT;
    /** As dense, for bf16 weights (d->wb): every input is first rounded to bf16 (into xq:
     *  batch rows of GB_NN_XQ_STRIDE(in) floats, 64-byte aligned, owned by the model), the
     *  products of two bf16 are exact and the sums are f32 — the arithmetic of vdpbf16ps,
     *  in every family. [audio] */
    void (*dense_bf16)(const gb_dense_pack_t *d, const float *x, int xs, float *y, int ys,
                       int batch, gb_act_t act, float *xq) GB_RT;
    /** x[0 .. n) = act(x) in place, n a multiple of 16, x 64-byte aligned; softmax not
     *  allowed (the runtime composes it from exp). [audio] */
    void (*act)(float *x, int n, gb_act_t act) GB_RT;
    /** x = exp(x) in place, as act. [audio] */
    void (*exp)(float *x, int n) GB_RT;
    /** y[0 .. n) = exp(x[0 .. n)) for any n ≥ 0 and any alignment (in place allowed).
     *  [audio] */
    void (*exp_any)(const float *x, float *y, int n) GB_RT;
    /** GRU gate update for one slot: gi, gh hold [r | z | n] sections of hp floats each
     *  (W_i x + b_i and W_h h + b_h); h (hp floats) is updated in place. [audio] */
    void (*gru_gates)(const float *gi, const float *gh, float *h, int hp) GB_RT;
    /** One GRU step of a single frame in one pass: pi = W_ih (in → 3 sections of hp rows),
     *  ph = W_hh, both f32 or both bf16; x the input, h the hidden state (hp floats), h'
     *  written to hn (not in place); pre: 4·hp floats of scratch, 64-byte aligned. bf16: xq
     *  as for dense_bf16, room for the rounded x and h rows one after the other. [audio] */
    void (*gru_step1)(const gb_dense_pack_t *pi, const gb_dense_pack_t *ph, const float *x,
                      const float *h, float *hn, float *pre, float *xq) GB_RT;
    /** Benchmark probe: `iters` rounds of independent register FMAs (no memory traffic), so
     *  the caller can time this family's peak multiply-add rate. Returns a value that
     *  depends on the work so it cannot be optimised away. Performs iters × fma_per_iter
     *  vector FMAs. [main] */
    float (*fma_probe)(long iters);
    int fma_per_iter;
    /** Benchmark probe: `iters` rounds of independent register vdpbf16ps (each 2 multiply-
     *  adds per lane), bf16_per_iter per round; NULL unless the family has them. [main] */
    float (*bf16_probe)(long iters);
    int bf16_per_iter;
    /** Benchmark probe: read n floats (a multiple of 128, 64-byte aligned) with vector loads
     *  into independent sums, so the caller can time the rate at which this family streams
     *  a buffer of that size (e.g. larger than L1, smaller than L2). [main] */
    float (*stream_probe)(const float *buf, long n);
} gb_nn_kernels_t;

/** Kernel table of a family, or NULL if not compiled in. Does not check the CPU. [any] */
const gb_nn_kernels_t *gb_nn_kernels_scalar(void);
const gb_nn_kernels_t *gb_nn_kernels_avx2(void);
const gb_nn_kernels_t *gb_nn_kernels_avx512(void);
const gb_nn_kernels_t *gb_nn_kernels_avx512bf16(void);
const gb_nn_kernels_t *gb_nn_kernels_neon(void);

/** Kernel table for a family if compiled in and supported by this CPU, else NULL. [any] */
const gb_nn_kernels_t *gb_nn_kernels_for(gb_simd_t simd);

#endif
