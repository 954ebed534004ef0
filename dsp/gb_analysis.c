/* gb_analysis.c — note analysis: YIN pitch, harmonic peaks and residual noise bands.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Calibration, for a window w of length L zero-padded to an FFT of size N:
 *   a sine A·cos(2πft+φ) has a spectral peak of height A/2·Σw, so A = 2·|X|peak / Σw;
 *   noise of variance σ² has E|X_m|² = σ²·Σw² in every bin, so the mean square of the noise in
 *   a band is 2/(N·Σw²) · Σ_{m in band} |X_m|² (one-sided, whatever the zero-padding).
 * Blackman–Harris (4 terms, −92 dB side lobes, main lobe ±4 bins) keeps a −40 dB harmonic
 * clean next to a 0 dB one; the log-magnitude parabola through the three highest bins of a
 * zero-padded (≥ 2×) spectrum reads its peak height and frequency within a small fraction of
 * a percent / a bin.
 */
#include "gb_analysis.h"

#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HARM_PERIODS 6.0   /* harmonic window: neighbours 6 bins apart, main lobes ±4 */
#define HARM_MIN_S 0.025
#define NOISE_PERIODS 12.0 /* noise window: 12 bins between harmonics, 9 masked, 3 free */
#define NOISE_MIN_S 0.050
#define MASK_BINS 4.5      /* masked half-width around a harmonic, in window bins */
#define FILL_BINS 3.0      /* how far either side of a masked run the fill level is taken */
#define SEARCH_FRAC 0.25   /* a harmonic's peak is searched within ±0.25·f0 */
#define REFINE_REL 0.01    /* harmonics within 40 dB of the strongest refine the frame f0 */
#define TRACK_REL 0.03     /* a peak within 3% of k·f0 updates the f0 used for k + 1 */
#define NEAR_OCTAVES 0.4   /* a frame's YIN f0 this close to the note's is trusted */
#define DB_FLOOR -200.0

struct gb_analyzer {
    gb_analysis_config_t cfg;
    double sr, hop;        /* sample rate; hop in samples (may be fractional) */
    /* YIN: difference function over lags 0..tau_max with an integration window of yin_w */
    int tau_min, tau_max, yin_w, yin_len, yin_n;
    float *yin_a, *yin_b;
    fftwf_complex *yin_fa, *yin_fb;
    fftwf_plan yin_fwd, yin_inv;
    double *yin_pre, *yin_d, *yin_cmndf;
    /* spectra: windows up to max_win samples zero-padded to n_fft */
    int n_fft, max_win;
    float *seg;
    fftwf_complex *spec;
    fftwf_plan spec_plan;
    double *pw, *aw2;      /* power per bin; squared A-weighting per bin */
    unsigned char *mask;
    double band_lo[GB_TIMBRE_BANDS], band_hi[GB_TIMBRE_BANDS]; /* in bin-boundary units */
    /* windows of the current note */
    int lh, ln;
    float *wh, *wn;
    double wh_sum, wn_sumsq;
};

/* ---- settings ------------------------------------------------------------------------- */

void gb_analysis_config_init(gb_analysis_config_t *cfg, double sample_rate)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->version = GB_ANALYSIS_CONFIG_VERSION;
    cfg->sample_rate = sample_rate;
    cfg->hop_s = GB_TIMBRE_HOP_S;
    cfg->f0_min_hz = 50.0;
    cfg->f0_max_hz = sample_rate / 8.0 < 2100.0 ? sample_rate / 8.0 : 2100.0;
    cfg->yin_threshold = 0.15;
    cfg->voiced_max = 0.35;
    cfg->silence_db = -70.0;
    cfg->trim_db = 50.0;
}

static int check_range(gb_error_t *err, const char *field, double v, double lo, double hi)
{
    if (v >= lo && v <= hi) /* false for NaN */
        return GB_OK;
    return gb_error_set(err, GB_ERANGE, "analysis config: %s = %g is outside %g..%g", field, v,
                        lo, hi);
}

static int check_config(const gb_analysis_config_t *c, gb_error_t *err)
{
    if (c->version != GB_ANALYSIS_CONFIG_VERSION)
        return gb_error_set(err, GB_EINVAL,
                            "analysis config: version %d, expected %d "
                            "(fill it with gb_analysis_config_init)",
                            c->version, GB_ANALYSIS_CONFIG_VERSION);
    int rc;
    if ((rc = check_range(err, "sample_rate", c->sample_rate, 8000.0, 384000.0)) < 0 ||
        (rc = check_range(err, "hop_s", c->hop_s, 0.001, 0.1)) < 0 ||
        (rc = check_range(err, "f0_max_hz", c->f0_max_hz, 40.0, c->sample_rate / 8.0)) < 0 ||
        (rc = check_range(err, "f0_min_hz", c->f0_min_hz, 20.0, c->f0_max_hz / 2.0)) < 0 ||
        (rc = check_range(err, "yin_threshold", c->yin_threshold, 0.01, 0.99)) < 0 ||
        (rc = check_range(err, "voiced_max", c->voiced_max, 0.01, 1.0)) < 0 ||
        (rc = check_range(err, "silence_db", c->silence_db, -200.0, 0.0)) < 0 ||
        (rc = check_range(err, "trim_db", c->trim_db, 0.0, 200.0)) < 0)
        return rc;
    return GB_OK;
}

/* ---- set-up --------------------------------------------------------------------------- */

static int next_pow2(int n)
{
    int p = 1;
    while (p < n)
        p *= 2;
    return p;
}

/* A-weighting (IEC 61672), squared, 1 at 1 kHz. */
static double a_weight2(double f)
{
    const double c1 = 20.598997 * 20.598997, c2 = 107.65265 * 107.65265;
    const double c3 = 737.86223 * 737.86223, c4 = 12194.217 * 12194.217;
    const double f2 = f * f;
    const double num = c4 * c4 * f2 * f2 * f2 * f2;
    const double den = (f2 + c1) * (f2 + c1) * (f2 + c2) * (f2 + c3) * (f2 + c4) * (f2 + c4);
    return num / den;
}

gb_analyzer_t *gb_analyzer_new(const gb_analysis_config_t *cfg, gb_error_t *err)
{
    if (!cfg) {
        gb_error_set(err, GB_EINVAL, "gb_analyzer_new: no config");
        return NULL;
    }
    if (check_config(cfg, err) < 0)
        return NULL;
    gb_analyzer_t *a = calloc(1, sizeof *a);
    if (!a)
        goto nomem;
    a->cfg = *cfg;
    a->sr = cfg->sample_rate;
    a->hop = cfg->hop_s * cfg->sample_rate;

    a->tau_min = (int)floor(a->sr / cfg->f0_max_hz);
    a->tau_max = (int)ceil(a->sr / cfg->f0_min_hz) + 1;
    a->yin_w = a->tau_max;
    a->yin_len = a->yin_w + a->tau_max;
    a->yin_n = next_pow2(a->yin_len);
    const int yc = a->yin_n / 2 + 1;
    a->yin_a = fftwf_alloc_real((size_t)a->yin_n);
    a->yin_b = fftwf_alloc_real((size_t)a->yin_n);
    a->yin_fa = fftwf_alloc_complex((size_t)yc);
    a->yin_fb = fftwf_alloc_complex((size_t)yc);
    a->yin_pre = malloc(sizeof(double) * (size_t)(a->yin_len + 1));
    a->yin_d = malloc(sizeof(double) * (size_t)(a->tau_max + 1));
    a->yin_cmndf = malloc(sizeof(double) * (size_t)(a->tau_max + 1));

    const double lmax = fmax(NOISE_PERIODS * a->sr / cfg->f0_min_hz, NOISE_MIN_S * a->sr);
    a->max_win = (int)ceil(lmax);
    a->n_fft = next_pow2(2 * a->max_win);
    const int nb = a->n_fft / 2 + 1;
    a->seg = fftwf_alloc_real((size_t)a->n_fft);
    a->spec = fftwf_alloc_complex((size_t)nb);
    a->pw = malloc(sizeof(double) * (size_t)nb);
    a->aw2 = malloc(sizeof(double) * (size_t)nb);
    a->mask = malloc((size_t)nb);
    a->wh = malloc(sizeof(float) * (size_t)a->max_win);
    a->wn = malloc(sizeof(float) * (size_t)a->max_win);
    if (!a->yin_a || !a->yin_b || !a->yin_fa || !a->yin_fb || !a->yin_pre || !a->yin_d ||
        !a->yin_cmndf || !a->seg || !a->spec || !a->pw || !a->aw2 || !a->mask || !a->wh ||
        !a->wn)
        goto nomem;
    a->yin_fwd = fftwf_plan_dft_r2c_1d(a->yin_n, a->yin_a, a->yin_fa, FFTW_ESTIMATE);
    a->yin_inv = fftwf_plan_dft_c2r_1d(a->yin_n, a->yin_fa, a->yin_a, FFTW_ESTIMATE);
    a->spec_plan = fftwf_plan_dft_r2c_1d(a->n_fft, a->seg, a->spec, FFTW_ESTIMATE);
    if (!a->yin_fwd || !a->yin_inv || !a->spec_plan)
        goto nomem;

    const double df = a->sr / a->n_fft;
    for (int m = 0; m < nb; m++)
        a->aw2[m] = m ? a_weight2(m * df) / a_weight2(1000.0) : 0.0;
    /* Bin m stands for [m − ½, m + ½)·df; in units u = f/df + ½ it covers [m, m + 1). */
    for (int b = 0; b < GB_TIMBRE_BANDS; b++) {
        a->band_lo[b] = gb_timbre_band_edge(b) / df + 0.5;
        a->band_hi[b] = gb_timbre_band_edge(b + 1) / df + 0.5;
    }
    return a;
nomem:
    gb_analyzer_free(a);
    gb_error_set(err, GB_ENOMEM, "out of memory for the note analyzer");
    return NULL;
}

void gb_analyzer_free(gb_analyzer_t *a)
{
    if (!a)
        return;
    if (a->yin_fwd)
        fftwf_destroy_plan(a->yin_fwd);
    if (a->yin_inv)
        fftwf_destroy_plan(a->yin_inv);
    if (a->spec_plan)
        fftwf_destroy_plan(a->spec_plan);
    fftwf_free(a->yin_a);
    fftwf_free(a->yin_b);
    fftwf_free(a->yin_fa);
    fftwf_free(a->yin_fb);
    fftwf_free(a->seg);
    fftwf_free(a->spec);
    free(a->yin_pre);
    free(a->yin_d);
    free(a->yin_cmndf);
    free(a->pw);
    free(a->aw2);
    free(a->mask);
    free(a->wh);
    free(a->wn);
    free(a);
}

const gb_analysis_config_t *gb_analyzer_config(const gb_analyzer_t *a) { return &a->cfg; }

/* ---- per frame ------------------------------------------------------------------------ */

/* The input the analysis sees: x with its DC removed, zero outside [0, n). */
typedef struct signal {
    const float *x;
    size_t n;
    double dc;
} signal_t;

static float sample_at(const signal_t *s, long i)
{
    return (i >= 0 && (size_t)i < s->n) ? (float)(s->x[i] - s->dc) : 0.0f;
}

/* 20·log10(RMS) of the samples [c − half, c + half). */
static double rms_db_at(const signal_t *s, long c, long half)
{
    double ss = 0.0;
    for (long i = c - half; i < c + half; i++) {
        const double v = sample_at(s, i);
        ss += v * v;
    }
    const double ms = ss / (double)(2 * half);
    return ms > 0.0 ? 10.0 * log10(ms) : DB_FLOOR;
}

/* YIN around sample c: the period's f0 and the CMNDF at it (1 for silence). */
static void yin_frame(gb_analyzer_t *a, const signal_t *s, long c, double *f0, double *cmndf)
{
    const int W = a->yin_w, T = a->tau_max, len = a->yin_len, N = a->yin_n;
    const long start = c - len / 2;
    for (int i = 0; i < len; i++)
        a->yin_b[i] = sample_at(s, start + i);
    memset(a->yin_b + len, 0, sizeof(float) * (size_t)(N - len));
    memcpy(a->yin_a, a->yin_b, sizeof(float) * (size_t)W);
    memset(a->yin_a + W, 0, sizeof(float) * (size_t)(N - W));
    a->yin_pre[0] = 0.0;
    for (int i = 0; i < len; i++)
        a->yin_pre[i + 1] = a->yin_pre[i] + (double)a->yin_b[i] * a->yin_b[i];

    /* r(τ) = Σ_{j<W} x_j·x_{j+τ}: the circular correlation of a (x[0..W), zero-padded) with
     * b (x[0..W+T)); no wrap-around because N ≥ W + T. */
    fftwf_execute_dft_r2c(a->yin_fwd, a->yin_b, a->yin_fb);
    fftwf_execute(a->yin_fwd); /* a → fa */
    for (int k = 0; k < N / 2 + 1; k++) {
        const float ar = a->yin_fa[k][0], ai = a->yin_fa[k][1];
        const float br = a->yin_fb[k][0], bi = a->yin_fb[k][1];
        a->yin_fa[k][0] = ar * br + ai * bi; /* conj(A)·B */
        a->yin_fa[k][1] = ar * bi - ai * br;
    }
    fftwf_execute(a->yin_inv); /* fa → a, unnormalised */

    /* d(τ) = Σ (x_j − x_{j+τ})² = e(0) + e(τ) − 2 r(τ);  CMNDF d'(τ) = d(τ)·τ / Σ_{1..τ} d. */
    const double e0 = a->yin_pre[W], inv_n = 1.0 / N;
    double run = 0.0;
    a->yin_d[0] = 0.0;
    a->yin_cmndf[0] = 1.0;
    for (int t = 1; t <= T; t++) {
        const double et = a->yin_pre[t + W] - a->yin_pre[t];
        double d = e0 + et - 2.0 * a->yin_a[t] * inv_n;
        d = d > 0.0 ? d : 0.0;
        a->yin_d[t] = d;
        run += d;
        a->yin_cmndf[t] = run > 0.0 ? d * t / run : 1.0;
    }

    int best = -1;
    for (int t = a->tau_min; t < T; t++)
        if (a->yin_cmndf[t] < a->cfg.yin_threshold) {
            while (t + 1 < T && a->yin_cmndf[t + 1] < a->yin_cmndf[t])
                t++;
            best = t;
            break;
        }
    if (best < 0) {
        best = a->tau_min;
        for (int t = a->tau_min; t < T; t++)
            if (a->yin_cmndf[t] < a->yin_cmndf[best])
                best = t;
    }
    /* The vertex of the parabola through d at τ−1, τ, τ+1: for a sine d ∝ 1 − cos(ωτ), whose
     * parabola vertex errs by less than 0.02·ω² samples. */
    const double dm = a->yin_d[best - 1], d0 = a->yin_d[best], dp = a->yin_d[best + 1];
    const double den = dm - 2.0 * d0 + dp;
    double shift = den > 0.0 ? 0.5 * (dm - dp) / den : 0.0;
    if (shift < -1.0 || shift > 1.0)
        shift = 0.0;
    *f0 = a->sr / (best + shift);
    *cmndf = a->yin_cmndf[best];
}

/* Windowed, zero-padded spectrum of the L samples centred on c into a->spec. */
static void spectrum_at(gb_analyzer_t *a, const signal_t *s, long c, const float *w, int L)
{
    const long start = c - L / 2;
    for (int i = 0; i < L; i++)
        a->seg[i] = sample_at(s, start + i) * w[i];
    memset(a->seg + L, 0, sizeof(float) * (size_t)(a->n_fft - L));
    fftwf_execute(a->spec_plan);
}

static double mag2(const gb_analyzer_t *a, int m)
{
    return (double)a->spec[m][0] * a->spec[m][0] + (double)a->spec[m][1] * a->spec[m][1];
}

/* Harmonic peaks in a->spec (the harmonic window's spectrum) near k·f0. amp[k] is the peak
 * amplitude of harmonic k+1, freq[k] its frequency (k+1)·f0 when no clear peak was found.
 * Returns the frame f0 refined from the strong peaks (see the fit below). */
static double harmonics(gb_analyzer_t *a, double f0, double amp[GB_TIMBRE_HARMONICS],
                        double freq[GB_TIMBRE_HARMONICS])
{
    const double df = a->sr / a->n_fft, gain = 2.0 / a->wh_sum, r = SEARCH_FRAC * f0 / df;
    const int top = a->n_fft / 2 - 1;
    double f0e = f0, amax = 0.0;
    unsigned char peak[GB_TIMBRE_HARMONICS];
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++) {
        const int h = k + 1;
        const double fc = h * f0e;
        amp[k] = 0.0;
        freq[k] = fc;
        peak[k] = 0;
        int lo = (int)ceil(fc / df - r), hi = (int)floor(fc / df + r);
        lo = lo < 1 ? 1 : lo;
        hi = hi > top ? top : hi;
        if (fc >= 0.5 * a->sr || lo > hi)
            continue;
        int m = lo;
        for (int i = lo + 1; i <= hi; i++)
            if (mag2(a, i) > mag2(a, m))
                m = i;
        /* A main lobe sampled at ≥ 2 FFT bins per window bin has its neighbours of the
         * highest bin within 12 dB; anything steeper is rounding noise, not a harmonic. */
        const double pm = mag2(a, m), lim = pm * 0.0625;
        if (m > lo && m < hi && pm > 0.0 && mag2(a, m - 1) > lim && mag2(a, m + 1) > lim) {
            /* log-magnitude parabola: BH's main lobe is close to a Gaussian, whose log is one */
            const double al = 0.5 * log(mag2(a, m - 1));
            const double be = 0.5 * log(pm);
            const double ga = 0.5 * log(mag2(a, m + 1));
            const double den = al - 2.0 * be + ga;
            double p = den < 0.0 ? 0.5 * (al - ga) / den : 0.0;
            p = p < -0.5 ? -0.5 : p > 0.5 ? 0.5 : p;
            amp[k] = gain * exp(be - 0.25 * (al - ga) * p);
            freq[k] = (m + p) * df;
            peak[k] = 1;
            amax = amp[k] > amax ? amp[k] : amax;
            /* Follow a slightly wrong f0 or stretched partials, but only from a strong peak
             * near where it was expected (not from noise where a harmonic is missing). */
            if (amp[k] >= REFINE_REL * amax && fabs(freq[k] / fc - 1.0) < TRACK_REL)
                f0e = freq[k] / h;
        } else {
            amp[k] = gain * sqrt(mag2(a, m));
        }
    }
    /* Weighted (by energy) least squares of the strong partials' frequencies to a stiff
     * string, f_k = a·k + c·k³ (c = 0 for a harmonic tone; c > 0 stretches a piano's upper
     * partials, which would pull a plain f_k = k·f0 fit sharp). The frame f0 is the first
     * partial, a + c. With fewer than 3 partials: f0 = Σ w k f_k / Σ w k². */
    double s2 = 0.0, s4 = 0.0, s6 = 0.0, b1 = 0.0, b3 = 0.0;
    int np = 0;
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
        if (peak[k] && amp[k] >= REFINE_REL * amax) {
            const double w = amp[k] * amp[k], h = k + 1, h2 = h * h;
            s2 += w * h2;
            s4 += w * h2 * h2;
            s6 += w * h2 * h2 * h2;
            b1 += w * h * freq[k];
            b3 += w * h * h2 * freq[k];
            np++;
        }
    if (np == 0)
        return f0;
    const double det = s2 * s6 - s4 * s4;
    if (np < 3 || !(det > 1e-9 * s2 * s6))
        return b1 / s2;
    const double fa = (b1 * s6 - b3 * s4) / det, fc = (s2 * b3 - s4 * b1) / det;
    return fa + fc;
}

/* Noise bands from a->spec (the noise window's spectrum): the bins within MASK_BINS of each
 * harmonic are replaced by the mean level of the free bins on either side (interpolated
 * across), then summed per band. Also returns the A-weighted level of the whole spectrum. */
static double noise_bands(gb_analyzer_t *a, const double freq[GB_TIMBRE_HARMONICS],
                          float noise[GB_TIMBRE_BANDS])
{
    const int nb = a->n_fft / 2 + 1;
    const double df = a->sr / a->n_fft, bins_per_bin = (double)a->n_fft / a->ln;
    const double scale = 2.0 / ((double)a->n_fft * a->wn_sumsq);
    double loud = 0.0;
    for (int m = 0; m < nb; m++) {
        a->pw[m] = mag2(a, m);
        loud += a->aw2[m] * a->pw[m];
    }
    memset(a->mask, 0, (size_t)nb);
    const double half = MASK_BINS * bins_per_bin;
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++) {
        if (freq[k] >= 0.5 * a->sr)
            break;
        int lo = (int)ceil(freq[k] / df - half), hi = (int)floor(freq[k] / df + half);
        lo = lo < 0 ? 0 : lo;
        hi = hi > nb - 1 ? nb - 1 : hi;
        for (int m = lo; m <= hi; m++)
            a->mask[m] = 1;
    }
    const int g = (int)ceil(FILL_BINS * bins_per_bin);
    for (int m = 0; m < nb;) {
        if (!a->mask[m]) {
            m++;
            continue;
        }
        int e = m;
        while (e + 1 < nb && a->mask[e + 1])
            e++;
        double ls = 0.0, rs = 0.0;
        int ln = 0, rn = 0;
        for (int i = m - g; i < m; i++)
            if (i >= 0 && !a->mask[i]) {
                ls += a->pw[i];
                ln++;
            }
        for (int i = e + 1; i <= e + g && i < nb; i++)
            if (!a->mask[i]) {
                rs += a->pw[i];
                rn++;
            }
        if (ln || rn) {
            const double lv = ln ? ls / ln : rs / rn, rv = rn ? rs / rn : ls / ln;
            for (int i = m; i <= e; i++) {
                const double t = (double)(i - m + 1) / (e - m + 2);
                a->pw[i] = lv + (rv - lv) * t;
            }
        }
        m = e + 1;
    }
    for (int b = 0; b < GB_TIMBRE_BANDS; b++) {
        const double lo = a->band_lo[b], hi = a->band_hi[b];
        double sum = 0.0;
        for (int m = (int)floor(lo); m < nb && m < hi; m++) {
            const double ov = fmin(hi, m + 1.0) - fmax(lo, (double)m);
            if (ov > 0.0)
                sum += ov * a->pw[m];
        }
        noise[b] = (float)sqrt(sum * scale);
    }
    return loud > 0.0 ? 10.0 * log10(loud * scale) : DB_FLOOR;
}

/* ---- per note ------------------------------------------------------------------------- */

/* Blackman–Harris, 4 terms, periodic ("DFT-even") form. Returns Σw, *sumsq = Σw². */
static double make_window(float *w, int L, double *sumsq)
{
    const double c0 = 0.35875, c1 = 0.48829, c2 = 0.14128, c3 = 0.01168;
    double s = 0.0, s2 = 0.0;
    for (int i = 0; i < L; i++) {
        const double t = 2.0 * GB_PI * i / L;
        const double v = c0 - c1 * cos(t) + c2 * cos(2.0 * t) - c3 * cos(3.0 * t);
        w[i] = (float)v;
        s += w[i];
        s2 += (double)w[i] * w[i];
    }
    if (sumsq)
        *sumsq = s2;
    return s;
}

static int window_len(const gb_analyzer_t *a, double periods, double min_s, double f0)
{
    const double l = fmax(periods * a->sr / f0, min_s * a->sr);
    const int L = (int)ceil(l);
    return L > a->max_win ? a->max_win : L;
}

static int cmp_double(const void *p, const void *q)
{
    const double x = *(const double *)p, y = *(const double *)q;
    return (x > y) - (x < y);
}

/* Median of v[0 .. n) (sorts v). */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void gb_note_analysis_free(gb_note_analysis_t *r)
{
    if (!r)
        return;
    free(r->frames);
    free(r->info);
    memset(r, 0, sizeof *r);
}

int gb_analyze_note(gb_analyzer_t *a, const float *x, size_t n, gb_note_analysis_t *out,
                    gb_error_t *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!a || !x || !out)
        return gb_error_set(err, GB_EINVAL, "gb_analyze_note: NULL argument");
    if (n == 0)
        return gb_error_set(err, GB_EINVAL, "the note has no samples");
    const gb_analysis_config_t *cfg = &a->cfg;
    const double sr = a->sr;

    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return gb_error_set(err, GB_EINVAL, "sample %zu (at %.3f s) is not a finite number",
                                i, (double)i / sr);
        sum += x[i];
    }
    const signal_t s = {x, n, sum / (double)n};

    /* 1. Levels; the note runs from the first to the last frame above the threshold (quiet
     *    gaps inside it stay). */
    const size_t total = (size_t)floor((double)(n - 1) / a->hop) + 1;
    const long half = llround(a->hop) > 0 ? (long)llround(a->hop) : 1;
    double *level = malloc(sizeof(double) * total);
    if (!level)
        return gb_error_set(err, GB_ENOMEM, "out of memory for %zu analysis frames", total);
    double peak = DB_FLOOR;
    for (size_t t = 0; t < total; t++) {
        level[t] = rms_db_at(&s, (long)llround((double)t * a->hop), half);
        peak = level[t] > peak ? level[t] : peak;
    }
    const double thr = fmax(peak - cfg->trim_db, cfg->silence_db);
    size_t first = 0, last = total - 1;
    while (first < total && level[first] < thr)
        first++;
    while (last > first && level[last] < thr)
        last--;
    free(level);
    if (peak < cfg->silence_db)
        return gb_error_set(err, GB_ERANGE,
                            "the note is silent: its loudest %.0f ms are at %.1f dBFS "
                            "(silence threshold %.0f dBFS)",
                            2000.0 * cfg->hop_s, peak, cfg->silence_db);
    const int nf = (int)(last - first + 1);

    out->frames = calloc((size_t)nf, sizeof *out->frames);
    out->info = calloc((size_t)nf, sizeof *out->info);
    double *yf0 = calloc((size_t)nf, sizeof(double));
    double *ycm = calloc((size_t)nf, sizeof(double));
    double *tmp = malloc(sizeof(double) * (size_t)nf);
    int rc = GB_OK;
    if (!out->frames || !out->info || !yf0 || !ycm || !tmp) {
        rc = gb_error_set(err, GB_ENOMEM, "out of memory for %d analysis frames", nf);
        goto done;
    }

    /* 2. Pitch per frame; the note's first f0 is the median of the voiced frames. */
    int nv = 0, most = 0;
    for (int t = 0; t < nf; t++) {
        const long c = (long)llround((double)(first + (size_t)t) * a->hop);
        yin_frame(a, &s, c, &yf0[t], &ycm[t]);
        if (ycm[t] < cfg->voiced_max && yf0[t] >= cfg->f0_min_hz && yf0[t] <= cfg->f0_max_hz)
            tmp[nv++] = yf0[t];
        if (ycm[t] < ycm[most])
            most = t;
    }
    if (nv == 0) {
        rc = gb_error_set(err, GB_EFORMAT,
                          "no pitch found between %g and %g Hz: the most periodic frame "
                          "(at %.2f s) has a YIN aperiodicity of %.2f (voiced needs < %.2f)",
                          cfg->f0_min_hz, cfg->f0_max_hz,
                          (double)(first + (size_t)most) * cfg->hop_s, ycm[most],
                          cfg->voiced_max);
        goto done;
    }
    const double f0_note = median(tmp, nv);

    /* 3–4. Timbre per frame, with windows sized for the note's f0. */
    a->lh = window_len(a, HARM_PERIODS, HARM_MIN_S, f0_note);
    a->ln = window_len(a, NOISE_PERIODS, NOISE_MIN_S, f0_note);
    a->wh_sum = make_window(a->wh, a->lh, NULL);
    make_window(a->wn, a->ln, &a->wn_sumsq);

    nv = 0;
    for (int t = 0; t < nf; t++) {
        const long c = (long)llround((double)(first + (size_t)t) * a->hop);
        gb_timbre_frame_t *fr = &out->frames[t];
        gb_frame_info_t *in = &out->info[t];
        const int near = fabs(log2(yf0[t] / f0_note)) < NEAR_OCTAVES;
        const int voiced = ycm[t] < cfg->voiced_max && near;
        double amp[GB_TIMBRE_HARMONICS], freq[GB_TIMBRE_HARMONICS];

        spectrum_at(a, &s, c, a->wh, a->lh);
        const double f0 = harmonics(a, voiced ? yf0[t] : f0_note, amp, freq);
        spectrum_at(a, &s, c, a->wn, a->ln);
        in->loudness_db = (float)noise_bands(a, freq, fr->noise);

        double asum = 0.0, hms = 0.0, nms = 0.0;
        for (int k = 0; k < GB_TIMBRE_HARMONICS; k++) {
            asum += amp[k];
            hms += 0.5 * amp[k] * amp[k];
        }
        fr->amp = (float)asum;
        for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
            fr->harm[k] = asum > 0.0 ? (float)(amp[k] / asum) : 0.0f;
        for (int b = 0; b < GB_TIMBRE_BANDS; b++)
            nms += (double)fr->noise[b] * fr->noise[b];
        out->harm_energy += hms;
        out->noise_energy += nms;

        in->f0_hz = (float)f0;
        in->periodicity = (float)(1.0 - ycm[t]);
        in->voiced = voiced;
        in->rms_db = (float)rms_db_at(&s, c, half);
        if (voiced)
            tmp[nv++] = f0;
    }

    /* 5. The note's f0 from the refined frames (the YIN median if none stayed voiced). */
    out->f0_hz = nv ? median(tmp, nv) : f0_note;
    out->n_voiced = nv;
    out->sample_rate = sr;
    out->hop_s = cfg->hop_s;
    out->start_s = (double)first * cfg->hop_s;
    out->n_frames = nf;
    out->peak_rms_db = peak;
done:
    free(yf0);
    free(ycm);
    free(tmp);
    if (rc < 0)
        gb_note_analysis_free(out);
    return rc;
}

double gb_analysis_note_name(double f0_hz, char *name, size_t size)
{
    static const char *const names[12] = {"C",  "C#", "D",  "D#", "E",  "F",
                                          "F#", "G",  "G#", "A",  "A#", "B"};
    if (!(f0_hz > 0.0) || !isfinite(f0_hz)) {
        snprintf(name, size, "?");
        return 0.0;
    }
    const double midi = 69.0 + 12.0 * log2(f0_hz / 440.0);
    const long k = lround(midi);
    const long pc = ((k % 12) + 12) % 12;
    const long octave = (k - pc) / 12 - 1;
    snprintf(name, size, "%s%ld", names[pc], octave);
    return 100.0 * (midi - (double)k);
}
