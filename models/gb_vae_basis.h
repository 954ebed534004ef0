/* gb_vae_basis.h — the timbre VAE's latent basis: the knobs ordered by importance.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A principal component analysis of the encoder means (mu) of the training notes, as RAVE
 * does: mean m (Z values) and covariance C of mu over the notes; C = Σ_k λ_k e_k e_kᵀ with
 * λ_0 ≥ λ_1 ≥ ... (Jacobi eigendecomposition). The basis rows are b_k = sqrt(λ_k)·e_k, so
 * the latent a knob setting u (Z values) plays is
 *     z = m + Σ_k u_k · b_k
 * Knob k moves along the k-th component; u_k = ±1 is one standard deviation of the training
 * notes along it, and u = 0 is their mean. Each row's sign is chosen so that raising u_k
 * makes the decoded A3 (220 Hz, −20 dB, held) brighter (spectral centroid in harmonic
 * numbers), so every knob turns the same way.
 *
 * Stored in the decoder file as auxiliary tensors (docs/model-format.md §9):
 *   aux.latent.mean   [Z]      m
 *   aux.latent.basis  [Z, Z]   row k = b_k
 */
#ifndef GB_VAE_BASIS_H
#define GB_VAE_BASIS_H

#include "gb_common.h"
#include "gb_vae.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Compute the basis of v's encoder over the training notes of ds: mean (Z floats) and
 *  basis (Z × Z, row-major), and, if sd is non-NULL, sqrt(λ_k) (Z floats). Returns 0 or
 *  GB_ENOMEM / GB_EFORMAT (no training note) with err. [main] */
int gb_vae_latent_basis(gb_vae_t *v, const gb_tds_t *ds, float *mean, float *basis, float *sd,
                        gb_error_t *err);

/** Eigen-decomposition of the symmetric n × n matrix a (row-major, destroyed): eigenvalues
 *  in w (descending), unit eigenvectors in the rows of vec (row k belongs to w[k]).
 *  Cyclic Jacobi; n ≤ 64. [any] */
void gb_sym_eigen(double *a, int n, double *w, double *vec);

/** z = mean + Σ_k u_k basis[k] for a Z-dimensional latent. [any] */
static inline void gb_vae_basis_apply(const float *mean, const float *basis, int Z,
                                      const float *u, float *z) GB_RT
{
    for (int d = 0; d < Z; d++)
        z[d] = mean[d];
    for (int k = 0; k < Z; k++) {
        const float uk = u[k];
        for (int d = 0; d < Z; d++)
            z[d] += uk * basis[k * Z + d];
    }
}

#ifdef __cplusplus
}
#endif
#endif
