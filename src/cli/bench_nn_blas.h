/* bench_nn_blas.h — the OpenBLAS reference path of `gbac bench nn`: the same models run
 * with cblas_sgemv / cblas_sgemm for the products and the default family's activations.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef BENCH_NN_BLAS_H
#define BENCH_NN_BLAS_H

#include "gb_nn.h"
#include "gb_nn_kernels.h"

typedef struct blas_layer {
    gb_layer_info_t info;
    float *w, *w2, *b, *b2; /* row-major canonical (conv: [out][k·in + c] im2col order) */
    float *y, *g1, *g2, *col, *hist;
    int ys, cols, pos;
} blas_layer_t;

typedef struct blas_model {
    int n, in, batch;
    blas_layer_t l[4];
    const gb_nn_kernels_t *k; /* for the activations: the default family's */
} blas_model_t;

/** Copy a runtime model's parameters (dense, GRU at batch 1, Conv1D at batch 1 with
 *  dilation 1) into row-major BLAS operands. [main] */
void gb_blas_build(blas_model_t *m, const gb_nn_t *nn);

/** Free what gb_blas_build allocated. [main] */
void gb_blas_free(blas_model_t *m);

/** One forward of `batch` frames (row-major, stride = input size). [main] */
void gb_blas_forward(blas_model_t *m, const float *in, int batch);

#endif
