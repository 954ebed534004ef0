/* gb_pitch_track.c — live f0 and loudness tracking (gb_pitch_track.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_pitch_track.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WINDOW 16384
/* The period is measured on the input low-passed twice at LP_HZ: upper partials weigh less,
 * so a piano's stretched (inharmonic) partials do not pull the period sharp of the first. */
#define LP_HZ 1000.0

struct gb_pitch_track {
    gb_pitch_track_config_t cfg;
    int w, nfft, tmin, tmax;
    float *ring;          /* the newest w samples (low-passed), circular */
    float *raw;           /* the same, as they came (DC removed): for the level */
    uint32_t pos;         /* next write index in ring */
    uint32_t since_hop;   /* samples since the last hop */
    uint32_t heard;       /* samples of the window since the input rose above the gate */
    float *buf;           /* FFT input/output, nfft */
    fftwf_complex *spec;  /* nfft / 2 + 1 */
    fftwf_plan fwd, inv;
    float *bbuf;          /* the raw window for the band levels, w */
    fftwf_complex *bspec; /* w / 2 + 1 */
    fftwf_plan bfwd;
    double *r, *cs, *d;   /* autocorrelation, cumulative energy, CMNDF */
    int band_lo[GB_TIMBRE_BANDS], band_hi[GB_TIMBRE_BANDS]; /* bins [lo, hi) per band */
    double last_tau;      /* period in use while voiced (0: none) */
    double jump_tau;      /* an octave jump waiting to be confirmed */
    uint32_t jump_hops;
    float dc_x, dc_y, dc_r; /* DC blocker: y = x − x₁ + r·y₁ */
    float lp1, lp2, lp_a;   /* two one-pole low-passes (lp_a = their coefficient) */
    gb_pitch_est_t est;
};

gb_pitch_track_config_t gb_pitch_track_config_default(double sample_rate)
{
    gb_pitch_track_config_t c = {
        .struct_size = sizeof c,
        .sample_rate = sample_rate,
        .hop = 64,
        .window = 0,
        .level_window = 0,
        .f0_min = 50.0,
        .f0_max = 2100.0,
        .yin_threshold = 0.15,
        .voiced_enter = 0.25,
        .voiced_stay = 0.35,
        .gate_db = -60.0,
        .octave_hold = 3,
    };
    return c;
}

void gb_yin_cmndf(const double *r, const double *cs, int w, int tmax, double *d) GB_RT
{
    double run = 0.0;
    d[0] = 1.0;
    for (int t = 1; t <= tmax + 1; t++) {
        const double dd = cs[w - t] + (cs[w] - cs[t]) - 2.0 * r[t];
        run += dd;
        d[t] = run > 0 ? dd * t / run : 1.0;
    }
}

/* Parabolic interpolation of the CMNDF's minimum at integer lag bt. */
static double refine(const double *d, int bt, int tmax)
{
    double tt = bt;
    if (bt > 1 && bt < tmax + 1) {
        const double a = d[bt - 1], b = d[bt], c = d[bt + 1], den = a - 2 * b + c;
        if (den > 0)
            tt = bt + 0.5 * (a - c) / den;
    }
    return tt;
}

double gb_yin_period(const double *d, int tmin, int tmax, double threshold, double voiced_max,
                     double *dmin) GB_RT
{
    double best = 1e9;
    int bt = -1;
    for (int t = tmin; t <= tmax; t++) {
        if (d[t] < threshold) {
            while (t + 1 <= tmax && d[t + 1] < d[t])
                t++;
            bt = t;
            best = d[t];
            break;
        }
        if (d[t] < best) {
            best = d[t];
            bt = t;
        }
    }
    if (dmin)
        *dmin = bt < 0 ? 1.0 : best;
    if (bt < 0 || best >= voiced_max)
        return 0.0;
    return refine(d, bt, tmax);
}

static int cfg_check(gb_pitch_track_config_t *c, gb_error_t *err)
{
    const double sr = c->sample_rate;
    if (!(sr >= 8000.0 && sr <= 192000.0))
        return gb_error_set(err, GB_EINVAL, "pitch tracker: sample rate %g outside 8000..192000",
                            sr);
    if (c->window == 0) {
        c->window = 1;
        while (c->window < (uint32_t)(2048.0 * sr / 48000.0))
            c->window <<= 1;
    }
    if (c->level_window == 0)
        c->level_window = (uint32_t)lround(256.0 * sr / 48000.0);
    if (c->window < 64 || c->window > MAX_WINDOW || (c->window & (c->window - 1)))
        return gb_error_set(err, GB_EINVAL, "pitch tracker: window %u is not a power of two "
                            "in 64..%d", c->window, MAX_WINDOW);
    if (c->hop < 1 || c->hop > c->window || c->level_window < 1 || c->level_window > c->window)
        return gb_error_set(err, GB_EINVAL, "pitch tracker: hop %u and level window %u must "
                            "lie in 1..%u", c->hop, c->level_window, c->window);
    if (!(c->f0_min > 0.0) || !(c->f0_max > c->f0_min) || !(c->f0_max < sr / 4.0))
        return gb_error_set(err, GB_EINVAL, "pitch tracker: f0 range %g..%g Hz is not within "
                            "0..%g Hz", c->f0_min, c->f0_max, sr / 4.0);
    if (!(c->yin_threshold > 0.0) || !(c->voiced_enter > 0.0) ||
        !(c->voiced_stay >= c->voiced_enter) || !isfinite(c->gate_db))
        return gb_error_set(err, GB_EINVAL, "pitch tracker: thresholds must be positive, "
                            "voiced_stay >= voiced_enter");
    return GB_OK;
}

/* The bins [lo, hi) of each band in the w-point spectrum of the raw window. */
static void bands_setup(gb_pitch_track_t *t)
{
    const double bin_hz = t->cfg.sample_rate / t->w;
    for (int b = 0; b < GB_TIMBRE_BANDS; b++) {
        int lo = (int)ceil(gb_timbre_band_edge(b) / bin_hz);
        int hi = (int)ceil(gb_timbre_band_edge(b + 1) / bin_hz);
        lo = lo < 1 ? 1 : lo > t->w / 2 ? t->w / 2 : lo;
        hi = hi < lo ? lo : hi > t->w / 2 ? t->w / 2 : hi;
        t->band_lo[b] = lo;
        t->band_hi[b] = hi;
    }
}

gb_pitch_track_t *gb_pitch_track_new(const gb_pitch_track_config_t *cfg, gb_error_t *err)
{
    if (!cfg || cfg->struct_size < sizeof *cfg) {
        gb_error_set(err, GB_EINVAL, "pitch tracker: missing or old config");
        return NULL;
    }
    gb_pitch_track_config_t c = *cfg;
    if (cfg_check(&c, err))
        return NULL;
    gb_pitch_track_t *t = calloc(1, sizeof *t);
    if (!t) {
        gb_error_set(err, GB_ENOMEM, "pitch tracker: out of memory");
        return NULL;
    }
    t->cfg = c;
    t->w = (int)c.window;
    t->nfft = 2 * t->w;
    t->tmax = (int)fmin(floor(c.sample_rate / c.f0_min), t->w / 2 - 2);
    t->tmin = (int)fmax(2.0, floor(c.sample_rate / c.f0_max));
    t->cfg.f0_min = c.sample_rate / t->tmax;
    t->dc_r = (float)(1.0 - 2.0 * GB_PI * 20.0 / c.sample_rate); /* 20 Hz high-pass */
    t->lp_a = (float)(1.0 - exp(-2.0 * GB_PI * LP_HZ / c.sample_rate));
    t->ring = calloc((size_t)t->w, sizeof(float));
    t->raw = calloc((size_t)t->w, sizeof(float));
    t->buf = fftwf_alloc_real((size_t)t->nfft);
    t->spec = fftwf_alloc_complex((size_t)t->nfft / 2 + 1);
    t->r = calloc((size_t)t->tmax + 2, sizeof(double));
    t->d = calloc((size_t)t->tmax + 2, sizeof(double));
    t->cs = calloc((size_t)t->w + 1, sizeof(double));
    t->bbuf = fftwf_alloc_real((size_t)t->w);
    t->bspec = fftwf_alloc_complex((size_t)t->w / 2 + 1);
    if (t->ring && t->buf && t->spec) {
        t->fwd = fftwf_plan_dft_r2c_1d(t->nfft, t->buf, t->spec, FFTW_ESTIMATE);
        t->inv = fftwf_plan_dft_c2r_1d(t->nfft, t->spec, t->buf, FFTW_ESTIMATE);
    }
    if (t->bbuf && t->bspec)
        t->bfwd = fftwf_plan_dft_r2c_1d(t->w, t->bbuf, t->bspec, FFTW_ESTIMATE);
    if (!t->r || !t->d || !t->cs || !t->raw || !t->fwd || !t->inv || !t->bfwd) {
        gb_pitch_track_free(t);
        gb_error_set(err, GB_ENOMEM, "pitch tracker: out of memory");
        return NULL;
    }
    bands_setup(t);
    gb_pitch_track_reset(t);
    return t;
}

void gb_pitch_track_free(gb_pitch_track_t *t)
{
    if (!t)
        return;
    if (t->fwd)
        fftwf_destroy_plan(t->fwd);
    if (t->inv)
        fftwf_destroy_plan(t->inv);
    if (t->bfwd)
        fftwf_destroy_plan(t->bfwd);
    fftwf_free(t->buf);
    fftwf_free(t->spec);
    fftwf_free(t->bbuf);
    fftwf_free(t->bspec);
    free(t->ring);
    free(t->raw);
    free(t->r);
    free(t->d);
    free(t->cs);
    free(t);
}

void gb_pitch_track_reset(gb_pitch_track_t *t) GB_RT
{
    memset(t->ring, 0, sizeof(float) * (size_t)t->w);
    memset(t->raw, 0, sizeof(float) * (size_t)t->w);
    t->pos = 0;
    t->since_hop = 0;
    t->heard = 0;
    t->last_tau = t->jump_tau = 0.0;
    t->jump_hops = 0;
    t->dc_x = t->dc_y = t->lp1 = t->lp2 = 0.0f;
    memset(&t->est, 0, sizeof t->est);
    t->est.level_db = -120.0f;
}

const gb_pitch_est_t *gb_pitch_track_est(const gb_pitch_track_t *t) GB_RT { return &t->est; }

const gb_pitch_track_config_t *gb_pitch_track_config(const gb_pitch_track_t *t) GB_RT
{
    return &t->cfg;
}

/* The window in time order into buf[0 .. w), zeros after, and as it came into bbuf;
 * energies; level. */
static double window_in(gb_pitch_track_t *t) GB_RT
{
    const int w = t->w;
    const uint32_t mask = (uint32_t)w - 1;
    double e = 0.0, lev = 0.0;
    t->cs[0] = 0.0;
    for (int j = 0; j < w; j++) {
        const float v = t->ring[(t->pos + (uint32_t)j) & mask];
        t->buf[j] = v;
        t->bbuf[j] = t->raw[(t->pos + (uint32_t)j) & mask];
        e += (double)v * v;
        t->cs[j + 1] = e;
    }
    memset(t->buf + w, 0, sizeof(float) * (size_t)w);
    for (uint32_t j = 0; j < t->cfg.level_window; j++) {
        const float v = t->raw[(t->pos - 1 - j) & mask];
        lev += (double)v * v;
    }
    lev /= t->cfg.level_window;
    const double db = 10.0 * log10(lev + 1e-12);
    t->est.level_db = (float)(db < -120.0 ? -120.0 : db > 12.0 ? 12.0 : db);
    return e;
}

/* The band RMS of the raw window (not the low-passed one the period is measured on: undoing
 * the low-passes' gain there multiplied the leakage of the window's edges by up to 10⁴ in the
 * top bands, so a note's first hops read 6-10 dB above its level), over the samples heard
 * since the input rose above the gate: a sound's band levels from its first hop on. */
static void band_levels(gb_pitch_track_t *t) GB_RT
{
    /* FFTW executes a plan made at creation without allocating or locking (counted by
     * tests/test_pitch_track.c push_does_not_allocate, run under RTSan in CI). */
    GB_RT_ESCAPE_BEGIN
    fftwf_execute(t->bfwd);
    GB_RT_ESCAPE_END
    /* Parseval over the samples heard since the input rose above the gate (at most w):
     * mean square = 2 Σ|X_k|² / (w · heard) over one side. */
    const double n = t->heard > t->cfg.hop ? t->heard : t->cfg.hop;
    const double scale = 2.0 / ((double)t->w * n);
    for (int b = 0; b < GB_TIMBRE_BANDS; b++) {
        double p = 0.0;
        for (int k = t->band_lo[b]; k < t->band_hi[b]; k++)
            p += (double)t->bspec[k][0] * t->bspec[k][0] + (double)t->bspec[k][1] * t->bspec[k][1];
        t->est.bands[b] = (float)sqrt(p * scale);
    }
}

/* Power spectrum in place, then back to the autocorrelation. */
static void autocorrelate(gb_pitch_track_t *t) GB_RT
{
    GB_RT_ESCAPE_BEGIN
    fftwf_execute(t->fwd);
    GB_RT_ESCAPE_END
    const int half = t->nfft / 2;
    for (int k = 0; k <= half; k++) {
        const float re = t->spec[k][0], im = t->spec[k][1];
        t->spec[k][0] = re * re + im * im;
        t->spec[k][1] = 0.0f;
    }
    GB_RT_ESCAPE_BEGIN
    fftwf_execute(t->inv); /* buf[τ] = nfft · Σ_j x_j x_{j+τ} */
    GB_RT_ESCAPE_END
    const double inv = 1.0 / t->nfft;
    for (int k = 0; k <= t->tmax + 1; k++)
        t->r[k] = t->buf[k] * inv;
}

/* Lowest CMNDF within ±3% of lag tau (interpolated); its value in *dv. */
static double local_min(const gb_pitch_track_t *t, double tau, double *dv) GB_RT
{
    int lo = (int)floor(tau * 0.97), hi = (int)ceil(tau * 1.03);
    lo = lo < t->tmin ? t->tmin : lo;
    hi = hi > t->tmax ? t->tmax : hi;
    int bt = lo;
    for (int k = lo; k <= hi; k++)
        if (t->d[k] < t->d[bt])
            bt = k;
    *dv = lo <= hi ? t->d[bt] : 1.0;
    return lo <= hi ? refine(t->d, bt, t->tmax) : 0.0;
}

/* The octave guard: while voiced, a period near 2× or ½× the one in use must hold for
 * octave_hold hops before it is taken. Returns the period to use (0: unvoiced). */
static double octave_guard(gb_pitch_track_t *t, double tau, double *dv) GB_RT
{
    if (t->last_tau <= 0.0 || tau <= 0.0) {
        t->jump_hops = 0;
        return tau;
    }
    const double oct = log2(tau / t->last_tau);
    if (fabs(fabs(oct) - 1.0) > 0.08) {
        t->jump_hops = 0;
        return tau;
    }
    if (t->jump_hops > 0 && fabs(log2(tau / t->jump_tau)) < 0.08)
        t->jump_hops++;
    else
        t->jump_hops = 1;
    t->jump_tau = tau;
    if (t->jump_hops >= t->cfg.octave_hold) {
        t->jump_hops = 0;
        return tau;
    }
    double dold;
    const double old = local_min(t, t->last_tau, &dold);
    if (old > 0.0 && dold < t->cfg.voiced_stay) {
        *dv = dold;
        return old;
    }
    return tau;
}

static void analyse(gb_pitch_track_t *t) GB_RT
{
    const double e = window_in(t);
    t->est.hops++;
    const int gated = !(e > 1e-10 * t->w) || t->est.level_db <= t->cfg.gate_db;
    t->heard = gated ? 0u : t->heard + t->cfg.hop < (uint32_t)t->w ? t->heard + t->cfg.hop
                                                                     : (uint32_t)t->w;
    const int voiced_before = t->est.voiced;
    double dv = 1.0, tau = 0.0;
    /* The same work for every input (silence too): the cost does not depend on the signal. */
    autocorrelate(t);
    band_levels(t);
    gb_yin_cmndf(t->r, t->cs, t->w, t->tmax, t->d);
    const double vmax = voiced_before ? t->cfg.voiced_stay : t->cfg.voiced_enter;
    /* the best period whatever its CMNDF (the candidate), voiced when that is low enough */
    double cand = gb_yin_period(t->d, t->tmin, t->tmax, t->cfg.yin_threshold, 2.0, &dv);
    tau = dv < vmax ? cand : 0.0;
    if (gated) {
        tau = cand = 0.0; /* gated */
        dv = 1.0;
    }
    t->est.cand_hz = cand > 0.0 ? (float)(t->cfg.sample_rate / cand) : 0.0f;
    tau = octave_guard(t, tau, &dv);
    t->est.confidence = (float)(dv < 0.0 ? 1.0 : dv > 1.0 ? 0.0 : 1.0 - dv);
    t->est.voiced = tau > 0.0;
    if (tau > 0.0) {
        t->last_tau = tau;
        t->est.f0_hz = (float)(t->cfg.sample_rate / tau);
    } else {
        t->last_tau = 0.0;
        t->jump_hops = 0;
    }
}

int gb_pitch_track_push(gb_pitch_track_t *t, const float *x, size_t n) GB_RT
{
    const uint32_t mask = (uint32_t)t->w - 1;
    int hops = 0;
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        v = isfinite(v) ? (v > 4.0f ? 4.0f : v < -4.0f ? -4.0f : v) : 0.0f;
        const float y = v - t->dc_x + t->dc_r * t->dc_y;
        t->dc_x = v;
        t->dc_y = fabsf(y) > 1e-20f ? y : 0.0f; /* no denormals */
        t->lp1 += t->lp_a * (t->dc_y - t->lp1);
        t->lp2 += t->lp_a * (t->lp1 - t->lp2);
        t->lp1 = fabsf(t->lp1) > 1e-20f ? t->lp1 : 0.0f;
        t->lp2 = fabsf(t->lp2) > 1e-20f ? t->lp2 : 0.0f;
        t->ring[t->pos] = t->lp2;
        t->raw[t->pos] = t->dc_y;
        t->pos = (t->pos + 1) & mask;
        if (++t->since_hop >= t->cfg.hop) {
            t->since_hop = 0;
            analyse(t);
            hops++;
        }
    }
    return hops;
}
