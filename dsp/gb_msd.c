/* gb_msd.c — multi-scale spectral distance.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_msd.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MSD_EPS 1e-7

static int one_scale(const float *ref, const float *x, size_t n, int size, double *lin,
                     double *lg)
{
    float *in = fftwf_alloc_real((size_t)size);
    fftwf_complex *sa = fftwf_alloc_complex((size_t)size / 2 + 1);
    fftwf_complex *sb = fftwf_alloc_complex((size_t)size / 2 + 1);
    float *win = malloc(sizeof(float) * (size_t)size);
    if (!in || !sa || !sb || !win) {
        fftwf_free(in);
        fftwf_free(sa);
        fftwf_free(sb);
        free(win);
        return GB_ENOMEM;
    }
    fftwf_plan pa = fftwf_plan_dft_r2c_1d(size, in, sa, FFTW_ESTIMATE);
    fftwf_plan pb = fftwf_plan_dft_r2c_1d(size, in, sb, FFTW_ESTIMATE);
    for (int i = 0; i < size; i++)
        win[i] = (float)(0.5 - 0.5 * cos(2.0 * GB_PI * i / size));
    const int hop = size / 4, bins = size / 2 + 1;
    double diff = 0.0, norm = 0.0, ldiff = 0.0;
    long cells = 0;
    for (size_t t = 0; t + (size_t)size <= n; t += (size_t)hop) {
        for (int i = 0; i < size; i++)
            in[i] = ref[t + i] * win[i];
        fftwf_execute(pa);
        for (int i = 0; i < size; i++)
            in[i] = x[t + i] * win[i];
        fftwf_execute(pb);
        for (int k = 0; k < bins; k++) {
            double ma = hypot(sa[k][0], sa[k][1]), mb = hypot(sb[k][0], sb[k][1]);
            diff += fabs(ma - mb);
            norm += ma;
            ldiff += fabs(log(ma + MSD_EPS) - log(mb + MSD_EPS));
            cells++;
        }
    }
    *lin = norm > 0.0 ? diff / norm : (diff > 0.0 ? 1.0 : 0.0);
    *lg = cells ? ldiff / (double)cells : 0.0;
    fftwf_destroy_plan(pa);
    fftwf_destroy_plan(pb);
    fftwf_free(in);
    fftwf_free(sa);
    fftwf_free(sb);
    free(win);
    return GB_OK;
}

int gb_msd(const float *ref, const float *x, size_t n, gb_msd_t *out, gb_error_t *err)
{
    memset(out, 0, sizeof *out);
    if (!ref || !x || n < 2048)
        return gb_error_set(err, GB_EINVAL, "spectral distance needs at least 2048 samples "
                            "(got %zu)", n);
    for (int s = 0; s < GB_MSD_SCALES; s++) {
        int rc = one_scale(ref, x, n, 2048 >> s, &out->lin[s], &out->log[s]);
        if (rc)
            return gb_error_set(err, rc, "out of memory for the spectral distance");
        out->total += (out->lin[s] + out->log[s]) / GB_MSD_SCALES;
    }
    return GB_OK;
}
