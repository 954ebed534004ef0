/* gb_vae_basis.c — principal components of the timbre VAE's encoder means (gb_vae_basis.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_vae_basis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gb_vae_time.h"

void gb_sym_eigen(double *a, int n, double *w, double *vec)
{
    double v[64 * 64];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            v[i * n + j] = i == j;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0.0;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++)
                off += a[p * n + q] * a[p * n + q];
        if (off < 1e-30)
            break;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                const double apq = a[p * n + q];
                if (fabs(apq) < 1e-300)
                    continue;
                const double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                const double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                const double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < n; k++) { /* columns p, q */
                    const double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) { /* rows p, q */
                    const double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < n; k++) { /* eigenvectors in the columns of v */
                    const double vkp = v[k * n + p], vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
    }
    int order[64];
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 1; i < n; i++) /* insertion sort, descending eigenvalue */
        for (int j = i; j > 0 && a[order[j] * n + order[j]] > a[order[j - 1] * n + order[j - 1]]; j--) {
            const int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int k = 0; k < n; k++) {
        w[k] = a[order[k] * n + order[k]];
        for (int i = 0; i < n; i++)
            vec[k * n + i] = v[i * n + order[k]];
    }
}

/* Spectral centroid (harmonic number) of the decoded frame for latent z at A3, −20 dB, held
 * half a second. */
static double centroid_a3(gb_mlp_t *dec, const float *z, int Z)
{
    float in[GB_VAE_MAX_LATENT + 2 + GB_VAE_TIME_FEATURES];
    const int din = gb_mlp_in_dim(dec);
    memcpy(in, z, sizeof(float) * (size_t)Z);
    in[Z] = log2f(220.0f / 440.0f);
    in[Z + 1] = -20.0f / 60.0f;
    if (din > Z + 2)
        gb_vae_time_features(0.5f, -1.0f, in + Z + 2);
    const float *y = gb_mlp_forward(dec, in, 1);
    double mx = y[0], s = 0.0, c = 0.0;
    for (int k = 1; k < GB_TIMBRE_HARMONICS; k++)
        mx = y[k] > mx ? y[k] : mx;
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++) {
        const double p = exp(y[k] - mx);
        s += p;
        c += (k + 1) * p;
    }
    return c / s;
}

int gb_vae_latent_basis(gb_vae_t *v, const gb_tds_t *ds, float *mean, float *basis, float *sd,
                        gb_error_t *err)
{
    gb_mlp_t *enc = gb_vae_encoder(v), *dec = gb_vae_decoder(v);
    const int Z = gb_mlp_out_dim(enc) / 2;
    double m[GB_VAE_MAX_LATENT] = {0}, *c = calloc((size_t)Z * Z, sizeof *c);
    double *mus = NULL;
    int n = 0;
    for (int i = 0; i < ds->n_notes; i++)
        n += ds->notes[i].split == GB_TDS_TRAIN;
    if (n > 0)
        mus = malloc(sizeof *mus * (size_t)n * (size_t)Z);
    if (!c || !mus) {
        free(c);
        free(mus);
        return n ? gb_error_set(err, GB_ENOMEM, "timbre VAE: out of memory")
                 : gb_error_set(err, GB_EFORMAT, "timbre VAE: no training note for the basis");
    }
    for (int i = 0, r = 0; i < ds->n_notes; i++) {
        if (ds->notes[i].split != GB_TDS_TRAIN)
            continue;
        float feat[GB_VAE_ENC_IN];
        gb_vae_note_features(ds, i, feat);
        const float *o = gb_mlp_forward(enc, feat, 1);
        for (int d = 0; d < Z; d++) {
            mus[(size_t)r * Z + d] = o[d];
            m[d] += o[d];
        }
        r++;
    }
    for (int d = 0; d < Z; d++)
        m[d] /= n;
    for (int r = 0; r < n; r++)
        for (int a = 0; a < Z; a++)
            for (int b = 0; b < Z; b++)
                c[a * Z + b] += (mus[(size_t)r * Z + a] - m[a]) * (mus[(size_t)r * Z + b] - m[b]);
    for (int k = 0; k < Z * Z; k++)
        c[k] /= n > 1 ? n - 1 : 1;
    double w[GB_VAE_MAX_LATENT], vec[GB_VAE_MAX_LATENT * GB_VAE_MAX_LATENT];
    gb_sym_eigen(c, Z, w, vec);
    for (int d = 0; d < Z; d++)
        mean[d] = (float)m[d];
    for (int k = 0; k < Z; k++) {
        const double s = sqrt(w[k] > 0 ? w[k] : 0.0);
        /* the sign: raising the knob brightens the sound */
        float zp[GB_VAE_MAX_LATENT], zm[GB_VAE_MAX_LATENT];
        for (int d = 0; d < Z; d++) {
            zp[d] = (float)(m[d] + s * vec[k * Z + d]);
            zm[d] = (float)(m[d] - s * vec[k * Z + d]);
        }
        const double sign = centroid_a3(dec, zp, Z) >= centroid_a3(dec, zm, Z) ? 1.0 : -1.0;
        for (int d = 0; d < Z; d++)
            basis[k * Z + d] = (float)(sign * s * vec[k * Z + d]);
        if (sd)
            sd[k] = (float)s;
    }
    free(c);
    free(mus);
    return GB_OK;
}
