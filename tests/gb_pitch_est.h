/* gb_pitch_est.h — the pitch of a recorded note, for tests that check what they hear.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_PITCH_EST_H
#define GB_PITCH_EST_H

#include <math.h>
#include <stddef.h>

/** Pitch of x[0..n) in Hz by normalised autocorrelation over lags for 300..700 Hz, refined by
 *  a parabola through the peak; 0 when nothing periodic is found. */
static inline double gbt_pitch(const float *x, size_t n, double sr)
{
    const int lo = (int)(sr / 700.0), hi = (int)(sr / 300.0) + 2;
    double best = 0.0, r[1024];
    int bl = -1;
    if (hi >= 1024 || n < (size_t)hi * 4)
        return 0.0;
    for (int l = lo - 1; l <= hi + 1; l++) {
        double num = 0.0, e0 = 0.0, e1 = 0.0;
        for (size_t i = 0; i + (size_t)l < n; i++) {
            num += (double)x[i] * x[i + (size_t)l];
            e0 += (double)x[i] * x[i];
            e1 += (double)x[i + (size_t)l] * x[i + (size_t)l];
        }
        r[l] = e0 > 0.0 && e1 > 0.0 ? num / sqrt(e0 * e1) : 0.0;
    }
    for (int l = lo; l <= hi; l++)
        if (r[l] > best && r[l] >= r[l - 1] && r[l] >= r[l + 1]) {
            best = r[l];
            bl = l;
        }
    if (bl < 0 || best < 0.5)
        return 0.0;
    const double a = r[bl - 1], b = r[bl], c = r[bl + 1], den = a - 2.0 * b + c;
    const double off = den != 0.0 ? 0.5 * (a - c) / den : 0.0;
    return sr / ((double)bl + off);
}

#endif
