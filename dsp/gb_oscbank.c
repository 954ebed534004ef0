/* gb_oscbank.c — oscillator bank control (targets, rotations) and the noise tables.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_oscbank.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct gb_noise_tables {
    int16_t *data; /* GB_NOISE_TABLE_LEN × GB_TIMBRE_BANDS, interleaved */
};

/* splitmix32-style generator: deterministic across platforms. */
static uint32_t rng_next(uint32_t *s)
{
    uint32_t z = (*s += 0x9e3779b9u);
    z = (z ^ (z >> 16)) * 0x85ebca6bu;
    z = (z ^ (z >> 13)) * 0xc2b2ae35u;
    return z ^ (z >> 16);
}

gb_noise_tables_t *gb_noise_tables_new(double sample_rate, uint32_t seed, gb_error_t *err)
{
    if (!(sample_rate >= 8000.0 && sample_rate <= 384000.0)) {
        gb_error_set(err, GB_ERANGE, "sample rate %g Hz is outside 8000..384000", sample_rate);
        return NULL;
    }
    const int n = GB_NOISE_TABLE_LEN, nb = n / 2 + 1;
    gb_noise_tables_t *t = calloc(1, sizeof *t);
    float *band = fftwf_alloc_real((size_t)n);
    fftwf_complex *spec = fftwf_alloc_complex((size_t)nb);
    if (t)
        t->data = aligned_alloc(GB_ALIGN, sizeof(int16_t) * (size_t)n * GB_TIMBRE_BANDS);
    if (!t || !t->data || !band || !spec) {
        fftwf_free(band);
        fftwf_free(spec);
        gb_noise_tables_free(t);
        gb_error_set(err, GB_ENOMEM, "out of memory for the noise tables");
        return NULL;
    }
    fftwf_plan plan = fftwf_plan_dft_c2r_1d(n, spec, band, FFTW_ESTIMATE);
    uint32_t rs = seed;
    for (int b = 0; b < GB_TIMBRE_BANDS; b++) {
        const double lo = gb_timbre_band_edge(b), hi = gb_timbre_band_edge(b + 1);
        memset(spec, 0, sizeof(fftwf_complex) * (size_t)nb);
        int bins = 0;
        for (int k = 1; k < nb - 1; k++) {
            double f = (double)k * sample_rate / n;
            if (f >= lo && f < hi && f < 0.5 * sample_rate) {
                double ph = 2.0 * GB_PI * (rng_next(&rs) / 4294967296.0);
                spec[k][0] = (float)cos(ph);
                spec[k][1] = (float)sin(ph);
                bins++;
            }
        }
        if (bins)
            fftwf_execute(plan);
        else
            memset(band, 0, sizeof(float) * (size_t)n);
        double ss = 0.0;
        for (int i = 0; i < n; i++)
            ss += (double)band[i] * band[i];
        /* unit RMS, in steps of GB_NOISE_STEP (a peak beyond ±8 RMS — improbable for these
         * near-Gaussian signals — would saturate) */
        const double scale = ss > 0.0 ? 1.0 / sqrt(ss / n) / GB_NOISE_STEP : 0.0;
        for (int i = 0; i < n; i++) {
            const double v = round((double)band[i] * scale);
            t->data[(size_t)i * GB_TIMBRE_BANDS + b] =
                (int16_t)(v > 32767.0 ? 32767.0 : v < -32767.0 ? -32767.0 : v);
        }
    }
    fftwf_destroy_plan(plan);
    fftwf_free(band);
    fftwf_free(spec);
    return t;
}

void gb_noise_tables_free(gb_noise_tables_t *t)
{
    if (!t)
        return;
    free(t->data);
    free(t);
}

const void *gb_noise_tables_data(const gb_noise_tables_t *t) { return t->data; }

float gb_noise_tables_at(const gb_noise_tables_t *t, int i, int b)
{
    return GB_NOISE_STEP * t->data[(size_t)(i & (GB_NOISE_TABLE_LEN - 1)) * GB_TIMBRE_BANDS + b];
}

void gb_oscbank_start(gb_oscbank_t *b, uint32_t noise_pos) GB_RT
{
    memset(b, 0, sizeof *b);
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++) {
        b->c[k] = 1.0f;
        b->wc[k] = 1.0f;
    }
    b->noise_pos = noise_pos & (GB_NOISE_TABLE_LEN - 1);
}

void gb_oscbank_rotations(double th, float *base_c, float *base_s, float *blk_c, float *blk_s)
    GB_RT
{
    /* e^{ikθ} for k = 1..16 by a tree of complex products (4 levels of latency instead of a
     * 16-step chain), in double; then e^{i16jθ} for the block starts. */
    double c[17], s[17];
    c[0] = 1.0;
    s[0] = 0.0;
    c[1] = cos(th);
    s[1] = sin(th);
    for (int half = 1; half < 16; half *= 2)
        for (int k = half + 1; k <= 2 * half; k++) {
            c[k] = c[half] * c[k - half] - s[half] * s[k - half];
            s[k] = s[half] * c[k - half] + c[half] * s[k - half];
        }
    for (int k = 0; k < 16; k++) {
        base_c[k] = (float)c[k + 1];
        base_s[k] = (float)s[k + 1];
    }
    double pc = 1.0, ps = 0.0;
    for (int j = 0; j < GB_TIMBRE_HARMONICS / 16; j++) {
        blk_c[j] = (float)pc;
        blk_s[j] = (float)ps;
        const double t = pc * c[16] - ps * s[16];
        ps = ps * c[16] + pc * s[16];
        pc = t;
    }
}

void gb_oscbank_set_targets(gb_oscbank_t *b, const float *harm_amp, const float *noise_gain,
                            double f0_hz, double sample_rate, int period)
{
    static gb_oscbank_targets_fn fn;
    if (!fn) {
        gb_simd_t simd;
        if (gb_simd_default(&simd, NULL) != GB_OK || !(fn = gb_oscbank_targets_for(simd)))
            fn = gb_oscbank_targets_for(GB_SIMD_SCALAR);
    }
    fn(b, harm_amp, noise_gain, f0_hz, sample_rate, period);
}

#define GB_OSC_DECLARE(fam)                                                                   \
    void gb_oscbank_render_##fam(gb_oscbank_t *b, const void *noise, float *out, int n)        \
        GB_RT;                                                                                \
    void gb_oscbank_targets_##fam(gb_oscbank_t *b, const float *harm_amp,                      \
                                  const float *noise_gain, double f0_hz, double sample_rate,   \
                                  int period) GB_RT;
GB_OSC_DECLARE(scalar)
GB_OSC_DECLARE(avx2)
GB_OSC_DECLARE(avx512)
GB_OSC_DECLARE(neon)

gb_oscbank_targets_fn gb_oscbank_targets_for(gb_simd_t simd)
{
    if (!gb_simd_available(simd))
        return NULL;
    switch (simd) {
    case GB_SIMD_SCALAR: return gb_oscbank_targets_scalar;
#if defined(GB_HAVE_X86_KERNELS)
    case GB_SIMD_AVX2: return gb_oscbank_targets_avx2;
    case GB_SIMD_AVX512:
    case GB_SIMD_AVX512BF16: return gb_oscbank_targets_avx512;
#endif
#if defined(GB_HAVE_NEON_KERNELS)
    case GB_SIMD_NEON: return gb_oscbank_targets_neon;
#endif
    default: return NULL;
    }
}


gb_oscbank_render_fn gb_oscbank_render_for(gb_simd_t simd)
{
    if (!gb_simd_available(simd))
        return NULL;
    switch (simd) {
    case GB_SIMD_SCALAR: return gb_oscbank_render_scalar;
#if defined(GB_HAVE_X86_KERNELS)
    case GB_SIMD_AVX2: return gb_oscbank_render_avx2;
    case GB_SIMD_AVX512:
    case GB_SIMD_AVX512BF16: return gb_oscbank_render_avx512;
#endif
#if defined(GB_HAVE_NEON_KERNELS)
    case GB_SIMD_NEON: return gb_oscbank_render_neon;
#endif
    default: return NULL;
    }
}
