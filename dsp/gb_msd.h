/* gb_msd.h — multi-scale spectral distance between two signals (DDSP-style): for FFT sizes
 * 2048, 1024, 512, 256, 128 and 64 (Hann window, hop = size/4), the L1 distance of the
 * magnitude spectrograms relative to the reference's L1 norm, plus the mean absolute
 * difference of the log magnitudes; the result averages the scales. 0 means identical;
 * unrelated signals of similar loudness score around 1–3.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GB_MSD_H
#define GB_MSD_H

#include <stddef.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_MSD_SCALES 6

typedef struct gb_msd {
    double total;                    /* mean over scales of lin + log */
    double lin[GB_MSD_SCALES];       /* Σ|A − B| / Σ|A| per scale (A = reference) */
    double log[GB_MSD_SCALES];       /* mean |log(A + ε) − log(B + ε)| per scale */
} gb_msd_t;

/** Distance of x (test) from ref (reference), both n samples (n ≥ 2048). [main: plans FFTs
 *  and allocates] */
int gb_msd(const float *ref, const float *x, size_t n, gb_msd_t *out, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
