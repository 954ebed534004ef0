/* test_analysis.c — note analysis (dsp/gb_analysis), the timbre JSON format
 * (models/io/gb_timbre_json) and `gbac analyze`.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Test signals are synthesised here in double precision from known parameters: harmonics of
 * known peak amplitude (random phases) plus band noise of known RMS (many random sinusoids
 * spread uniformly over the band), with silence around the note.
 *
 *   test_analysis                 the analysis and the JSON format
 *   test_analysis --cli GBAC      `gbac analyze` on WAV files written here
 *   test_analysis --fluidsynth    a real instrument note rendered by FluidSynth (skipped, and
 *                                 saying why, when fluidsynth, csvmidi or the SoundFont are
 *                                 missing)
 */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sndfile.h>

#include "gb_analysis.h"
#include "gb_timbre_json.h"

/* ---- signals -------------------------------------------------------------------------- */

static uint64_t rng;

static double rnd(void) /* uniform in [0, 1) */
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

#define NOTE_PRE_S 0.2
#define NOTE_DUR_S 1.0
#define NOTE_POST_S 0.2
#define NOTE_FADE_S 0.01

/* A test note: harmonic peak amplitudes amp[0..64) (0 = absent) and the noise level of each
 * band as a flat power density, given by the band RMS it makes, noise[0..32). Rendering
 * fills noise_true[] with the RMS each band's noise really has over the steady part. */
typedef struct tone {
    double sr, f0;
    double amp[GB_TIMBRE_HARMONICS];
    double noise[GB_TIMBRE_BANDS];
    double noise_true[GB_TIMBRE_BANDS];
} tone_t;

/* The part of the note every analysis window of a steady frame covers (the longest window,
 * 12 periods at 55 Hz, is 0.22 s): frame centres from NOTE_PRE_S + STEADY_MARGIN_S to
 * NOTE_PRE_S + NOTE_DUR_S − STEADY_MARGIN_S. */
#define STEADY_MARGIN_S 0.15

/* Harmonic k (1-based) at a1·k^−tilt, every third one at half that (a non-smooth spectrum),
 * up to 0.45·sr. */
static void tone_harmonics(tone_t *t, double a1, double tilt)
{
    for (int k = 1; k <= GB_TIMBRE_HARMONICS; k++)
        t->amp[k - 1] = k * t->f0 < 0.45 * t->sr ? a1 * pow(k, -tilt) * (k % 3 == 0 ? 0.5 : 1.0)
                                                 : 0.0;
}

/* Noise of flat power density over bands lo..hi, the middle one at RMS r (so every band's
 * RMS grows with the square root of its width). */
static void tone_noise(tone_t *t, int lo, int hi, int mid, double r)
{
    const double dens = r * r / (gb_timbre_band_edge(mid + 1) - gb_timbre_band_edge(mid));
    for (int b = lo; b <= hi; b++)
        t->noise[b] = sqrt(dens * (gb_timbre_band_edge(b + 1) - gb_timbre_band_edge(b)));
}

static double gauss(void)
{
    double u = rnd();
    u = u < 1e-300 ? 1e-300 : u;
    return sqrt(-2.0 * log(u)) * cos(2.0 * GB_PI * rnd());
}

/* In-place radix-2 complex FFT, n a power of two; sign −1 forward, +1 inverse (unscaled). */
static void fft(double *re, double *im, int n, int sign)
{
    for (int i = 1, j = 0; i < n; i++) {
        int bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
    }
    for (int len = 2; len <= n; len <<= 1)
        for (int k = 0; k < len / 2; k++) {
            const double wr = cos(sign * 2.0 * GB_PI * k / len);
            const double wi = sin(sign * 2.0 * GB_PI * k / len);
            for (int i = k; i < n; i += len) {
                const int j = i + len / 2;
                const double xr = re[j] * wr - im[j] * wi, xi = re[j] * wi + im[j] * wr;
                re[j] = re[i] - xr;
                im[j] = im[i] - xi;
                re[i] += xr;
                im[i] += xi;
            }
        }
}

/* NOTE_PRE_S of silence, NOTE_DUR_S of the tone (10 ms linear fades), NOTE_POST_S silence.
 * Band noise is Gaussian, brick-wall band-limited: random spectrum → inverse FFT. */
static float *tone_render(tone_t *t, size_t *n_out, uint64_t seed)
{
    const size_t pre = (size_t)(NOTE_PRE_S * t->sr), dur = (size_t)(NOTE_DUR_S * t->sr);
    const size_t n = pre + dur + (size_t)(NOTE_POST_S * t->sr);
    const double fade = NOTE_FADE_S * t->sr;
    int len = 1;
    while ((size_t)len < dur)
        len *= 2;
    double *acc = calloc(dur, sizeof *acc);
    double *re = malloc(sizeof(double) * (size_t)len), *im = malloc(sizeof(double) * (size_t)len);
    float *x = calloc(n, sizeof *x);
    assert_true(acc && re && im && x);
    rng = seed;
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++) {
        if (t->amp[k] == 0.0)
            continue;
        const double w = 2.0 * GB_PI * (k + 1) * t->f0 / t->sr, ph = 2.0 * GB_PI * rnd();
        for (size_t i = 0; i < dur; i++)
            acc[i] += t->amp[k] * cos(w * (double)i + ph);
    }
    /* Steady part, with half the longest window either side. */
    const size_t s0 = (size_t)((STEADY_MARGIN_S - 0.11) * t->sr);
    const size_t s1 = dur - s0;
    for (int b = 0; b < GB_TIMBRE_BANDS; b++) {
        t->noise_true[b] = 0.0;
        if (t->noise[b] == 0.0)
            continue;
        const double lo = gb_timbre_band_edge(b), hi = gb_timbre_band_edge(b + 1);
        memset(re, 0, sizeof(double) * (size_t)len);
        memset(im, 0, sizeof(double) * (size_t)len);
        for (int m = 1; m < len / 2; m++) {
            const double f = m * t->sr / len;
            if (f >= lo && f < hi) {
                re[m] = gauss();
                im[m] = gauss();
                re[len - m] = re[m];
                im[len - m] = -im[m];
            }
        }
        fft(re, im, len, +1);
        double ss = 0.0;
        for (int i = 0; i < len; i++)
            ss += re[i] * re[i];
        const double g = t->noise[b] / sqrt(ss / len);
        double st = 0.0;
        for (size_t i = 0; i < dur; i++) {
            const double v = g * re[i];
            acc[i] += v;
            if (i >= s0 && i < s1)
                st += v * v;
        }
        t->noise_true[b] = sqrt(st / (double)(s1 - s0));
    }
    for (size_t i = 0; i < dur; i++) {
        double e = 1.0;
        if ((double)i < fade)
            e = (double)i / fade;
        else if ((double)(dur - i) < fade)
            e = (double)(dur - i) / fade;
        x[pre + i] = (float)(acc[i] * e);
    }
    free(acc);
    free(re);
    free(im);
    *n_out = n;
    return x;
}

/* ---- measuring the analysis against the truth ----------------------------------------- */

typedef struct accuracy {
    double f0_err;          /* |note f0 − truth| Hz */
    double f0_frame_err;    /* max over steady frames */
    double harm_err;        /* max relative error, harmonics above −40 dB, steady frames */
    double harm_err_60;     /* same for harmonics from −40 to −60 dB */
    /* min/max of measured/true band RMS (RMS over the steady frames) of the bands inside a
     * stretch of noise, below and above 1 kHz */
    double noise_lo, noise_hi, noise_lo_1k, noise_hi_1k;
    double quiet_max;       /* largest band reading far from any added noise */
    double absent_max;      /* largest amplitude read for a harmonic that is not there */
    int n_steady, n_frames;
    double start_s, end_s;  /* centres of the first and last frame kept */
    float loudness_db, rms_db; /* of the middle frame */
} accuracy_t;

/* Render t, analyse it (hop_s 0: the default) and compare with the truth. */
static void analyse_tone(tone_t *t, uint64_t seed, double hop_s, accuracy_t *acc,
                         const char *label)
{
    size_t n;
    if (getenv("GB_TEST_SEED")) /* try other random signals: GB_TEST_SEED=N */
        seed += 1000 * strtoull(getenv("GB_TEST_SEED"), NULL, 10);
    float *x = tone_render(t, &n, seed);
    gb_analysis_config_t cfg;
    gb_analysis_config_init(&cfg, t->sr);
    if (hop_s > 0.0)
        cfg.hop_s = hop_s;
    gb_error_t err = {0};
    gb_analyzer_t *a = gb_analyzer_new(&cfg, &err);
    assert_non_null(a);
    gb_note_analysis_t r;
    int rc = gb_analyze_note(a, x, n, &r, &err);
    if (rc < 0)
        fail_msg("%s: %s", label, err.msg);

    memset(acc, 0, sizeof *acc);
    acc->f0_err = fabs(r.f0_hz - t->f0);
    acc->n_frames = r.n_frames;
    acc->start_s = r.start_s;
    acc->end_s = r.start_s + (r.n_frames - 1) * r.hop_s;
    acc->loudness_db = r.info[r.n_frames / 2].loudness_db;
    acc->rms_db = r.info[r.n_frames / 2].rms_db;
    acc->noise_lo = acc->noise_lo_1k = INFINITY;
    double amax = 0.0;
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
        amax = fmax(amax, t->amp[k]);
    double nsum[GB_TIMBRE_BANDS] = {0};
    /* Steady frames: the longest window (12 periods at 55 Hz ≈ 0.22 s) inside the tone. */
    const double margin = STEADY_MARGIN_S;
    for (int i = 0; i < r.n_frames; i++) {
        const double tc = r.start_s + i * r.hop_s;
        if (tc < NOTE_PRE_S + margin || tc > NOTE_PRE_S + NOTE_DUR_S - margin)
            continue;
        acc->n_steady++;
        acc->f0_frame_err = fmax(acc->f0_frame_err, fabs(r.info[i].f0_hz - t->f0));
        const gb_timbre_frame_t *f = &r.frames[i];
        for (int k = 0; k < GB_TIMBRE_HARMONICS; k++) {
            if (t->amp[k] == 0.0 && (k + 1) * t->f0 < 0.45 * t->sr)
                acc->absent_max = fmax(acc->absent_max, (double)f->amp * f->harm[k]);
            if (t->amp[k] < amax * 1e-3)
                continue;
            const double got = (double)f->amp * f->harm[k];
            const double e = fabs(got - t->amp[k]) / t->amp[k];
            if (t->amp[k] >= amax * 1e-2)
                acc->harm_err = fmax(acc->harm_err, e);
            else
                acc->harm_err_60 = fmax(acc->harm_err_60, e);
        }
        for (int b = 0; b < GB_TIMBRE_BANDS; b++)
            nsum[b] += (double)f->noise[b] * f->noise[b];
    }
    assert_true(acc->n_steady >= (int)(0.6 / r.hop_s));
    /* Bands inside a stretch of noise: the window's resolution moves energy across band
     * edges, which cancels only where the noise density is the same on both sides. */
    for (int b = 0; b < GB_TIMBRE_BANDS; b++) {
        const double got = sqrt(nsum[b] / acc->n_steady);
        if (gb_timbre_band_edge(b + 1) >= 0.45 * t->sr)
            continue;
        const int lo_n = b > 0 && t->noise[b - 1] > 0.0;
        const int hi_n = b + 1 < GB_TIMBRE_BANDS && t->noise[b + 1] > 0.0;
        if (t->noise[b] > 0.0 && lo_n && hi_n) {
            if (getenv("GB_TEST_VERBOSE"))
                print_message("  band %d (%.0f..%.0f Hz): %.3g of %.3g\n", b,
                              gb_timbre_band_edge(b), gb_timbre_band_edge(b + 1), got,
                              t->noise_true[b]);
            const double ratio = got / t->noise_true[b];
            if (gb_timbre_band_edge(b) < 1000.0) {
                acc->noise_lo = fmin(acc->noise_lo, ratio);
                acc->noise_hi = fmax(acc->noise_hi, ratio);
            } else {
                acc->noise_lo_1k = fmin(acc->noise_lo_1k, ratio);
                acc->noise_hi_1k = fmax(acc->noise_hi_1k, ratio);
            }
        } else if (t->noise[b] == 0.0 && !lo_n && !hi_n && (b < 2 || t->noise[b - 2] == 0.0) &&
                   (b + 2 >= GB_TIMBRE_BANDS || t->noise[b + 2] == 0.0)) {
            acc->quiet_max = fmax(acc->quiet_max, got);
        }
    }
    char noise[96] = "";
    if (isfinite(acc->noise_lo))
        snprintf(noise, sizeof noise, "; noise/truth %.2f..%.2f (from 1 kHz %.2f..%.2f)",
                 acc->noise_lo, acc->noise_hi, acc->noise_lo_1k, acc->noise_hi_1k);
    print_message("%-24s f0 %8.3f Hz, error %.4f Hz (frames %.4f); harmonics error %.2f%% "
                  "(-40..-60 dB: %.1f%%)%s; empty bands <= %.1e; %d frames from %.2f s\n",
                  label, r.f0_hz, acc->f0_err, acc->f0_frame_err, 100 * acc->harm_err,
                  100 * acc->harm_err_60, noise, acc->quiet_max, r.n_frames, r.start_s);
    gb_note_analysis_free(&r);
    gb_analyzer_free(a);
    free(x);
}

/* ---- analysis: accuracy --------------------------------------------------------------- */

/* A sine of peak amplitude A reads amp = A and harm[0] = 1, f0 within 0.05 Hz, no noise in
 * bands where there is none (harmonic leakage below −80 dB), the silence around it trimmed,
 * and its level right: RMS −9.03 dB, A-weighted the same at 1 kHz and 19.1 dB less at
 * 100 Hz. */
static void sine_reads_its_amplitude(void **state)
{
    (void)state;
    const double f0s[] = {55.0, 100.0, 261.63, 440.0, 1000.0, 2000.0};
    for (size_t i = 0; i < sizeof f0s / sizeof f0s[0]; i++) {
        tone_t t = {.sr = 48000.0, .f0 = f0s[i]};
        t.amp[0] = 0.5;
        accuracy_t acc;
        char label[64];
        snprintf(label, sizeof label, "sine %.2f Hz", f0s[i]);
        analyse_tone(&t, 1 + i, 0.0, &acc, label);
        assert_true(acc.f0_err <= 0.05);
        assert_true(acc.f0_frame_err <= 0.1);
        assert_true(acc.harm_err <= 0.005);
        assert_true(acc.quiet_max <= 5e-5);
        /* trimmed to the tone: NOTE_PRE_S .. NOTE_PRE_S + NOTE_DUR_S, within 2 hops */
        assert_true(fabs(acc.start_s - NOTE_PRE_S) <= 0.02);
        assert_true(fabs(acc.end_s - (NOTE_PRE_S + NOTE_DUR_S)) <= 0.02);
        if (f0s[i] >= 100.0) /* two hops hold whole periods, or many */
            assert_true(fabs(acc.rms_db - (-9.03)) <= 0.1);
        if (f0s[i] == 1000.0)
            assert_true(fabs(acc.loudness_db - (-9.03)) <= 0.2);
        if (f0s[i] == 100.0)
            assert_true(fabs(acc.loudness_db - (-9.03 - 19.1)) <= 0.3);
    }
}

static const struct {
    double sr, f0;
} rich_cases[] = {{48000, 55.0},  {48000, 110.0},  {48000, 261.63}, {48000, 440.0},
                  {44100, 440.0}, {48000, 1000.0}, {48000, 2000.0}};

/* Rich tones (harmonics falling as k^−1.3, every third at half that, up to 0.45·sr) with
 * faint Gaussian noise in three stretches of five bands (10^-4 RMS per band, −72 dB below the
 * fundamental): f0 within ±0.5 Hz (every steady frame within ±0.1 Hz); in every steady frame
 * each harmonic above −40 dB within 3% (−40..−60 dB: within 10%); the noise of the bands
 * inside each stretch within a factor 1.15 from 1 kHz up and 1.3 below (low bands are
 * narrow: 70..110 Hz wide, a few window bins, most of them under harmonics). */
static void rich_tones_faint_noise(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rich_cases / sizeof rich_cases[0]; i++) {
        tone_t t = {.sr = rich_cases[i].sr, .f0 = rich_cases[i].f0};
        tone_harmonics(&t, 0.4, 1.3);
        tone_noise(&t, 10, 14, 12, 1e-4); /* ≈ 0.28..0.74 kHz */
        tone_noise(&t, 18, 22, 20, 1e-4); /* ≈ 1.3..3.6 kHz */
        tone_noise(&t, 25, 29, 27, 1e-4); /* ≈ 5.1..13.5 kHz */
        accuracy_t acc;
        char label[64];
        snprintf(label, sizeof label, "faint %.2f Hz @ %.0f", t.f0, t.sr);
        analyse_tone(&t, 100 + i, 0.0, &acc, label);
        assert_true(acc.f0_err <= 0.5);
        assert_true(acc.f0_frame_err <= 0.1);
        assert_true(acc.harm_err <= 0.03);
        assert_true(acc.harm_err_60 <= 0.10);
        assert_true(acc.noise_lo >= 1 / 1.3 && acc.noise_hi <= 1.3);
        assert_true(acc.noise_lo_1k >= 1 / 1.15 && acc.noise_hi_1k <= 1.15);
        assert_true(acc.quiet_max <= 5e-5);
    }
}

/* The same tones with loud noise (3·10^-3 RMS per band, −42 dB): f0 still within ±0.5 Hz
 * (frames within ±1 Hz), the noise bands within the same factors. Harmonics buried in the
 * noise are not checked: their peaks are as much noise as tone. */
static void rich_tones_loud_noise(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rich_cases / sizeof rich_cases[0]; i++) {
        tone_t t = {.sr = rich_cases[i].sr, .f0 = rich_cases[i].f0};
        tone_harmonics(&t, 0.4, 1.3);
        tone_noise(&t, 10, 14, 12, 3e-3);
        tone_noise(&t, 18, 22, 20, 3e-3);
        tone_noise(&t, 25, 29, 27, 3e-3);
        accuracy_t acc;
        char label[64];
        snprintf(label, sizeof label, "loud %.2f Hz @ %.0f", t.f0, t.sr);
        analyse_tone(&t, 200 + i, 0.0, &acc, label);
        assert_true(acc.f0_err <= 0.5);
        assert_true(acc.f0_frame_err <= 1.0);
        assert_true(acc.noise_lo >= 1 / 1.3 && acc.noise_hi <= 1.3);
        assert_true(acc.noise_lo_1k >= 1 / 1.15 && acc.noise_hi_1k <= 1.15);
    }
}

/* Another hop: frames 5 ms apart, twice as many, the same accuracy. */
static void other_hop(void **state)
{
    (void)state;
    tone_t t = {.sr = 48000.0, .f0 = 261.63};
    tone_harmonics(&t, 0.4, 1.3);
    accuracy_t acc;
    analyse_tone(&t, 7, 0.005, &acc, "hop 5 ms 261.63 Hz");
    assert_true(acc.n_frames >= 200 && acc.n_frames <= 203);
    assert_true(acc.f0_err <= 0.5);
    assert_true(acc.harm_err <= 0.03);
}

/* Without its fundamental (harmonics 2..16): still the right f0, and harm[0] ≈ 0. */
static void missing_fundamental(void **state)
{
    (void)state;
    tone_t t = {.sr = 48000.0, .f0 = 220.0};
    tone_harmonics(&t, 0.4, 1.0);
    t.amp[0] = 0.0;
    for (int k = 16; k < GB_TIMBRE_HARMONICS; k++)
        t.amp[k] = 0.0;
    accuracy_t acc;
    analyse_tone(&t, 8, 0.0, &acc, "no fundamental 220 Hz");
    assert_true(acc.f0_err <= 0.5);
    assert_true(acc.harm_err <= 0.03);
    print_message("  largest absent harmonic read: %.1e\n", acc.absent_max);
    assert_true(acc.absent_max <= 1e-4); /* −72 dB re the strongest (0.2) */
}

/* ---- analysis: errors ----------------------------------------------------------------- */

static int analyse(const float *x, size_t n, double sr, gb_error_t *err)
{
    gb_analysis_config_t cfg;
    gb_analysis_config_init(&cfg, sr);
    gb_analyzer_t *a = gb_analyzer_new(&cfg, err);
    assert_non_null(a);
    gb_note_analysis_t r;
    int rc = gb_analyze_note(a, x, n, &r, err);
    if (rc == 0)
        gb_note_analysis_free(&r);
    else
        assert_null(r.frames);
    gb_analyzer_free(a);
    return rc;
}

/* Digital silence and a sine at −80 dBFS are "silent" (threshold −70 dBFS). */
static void silence_is_an_error(void **state)
{
    (void)state;
    const size_t n = 48000;
    float *x = calloc(n, sizeof *x);
    assert_non_null(x);
    gb_error_t err = {0};
    assert_int_equal(analyse(x, n, 48000.0, &err), GB_ERANGE);
    assert_non_null(strstr(err.msg, "the note is silent"));
    assert_non_null(strstr(err.msg, "-70 dBFS"));
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(1e-4 * sin(2.0 * GB_PI * 440.0 * (double)i / 48000.0));
    assert_int_equal(analyse(x, n, 48000.0, &err), GB_ERANGE);
    assert_non_null(strstr(err.msg, "silent"));
    free(x);
}

/* White noise has no pitch: GB_EFORMAT naming the search range. */
static void noise_has_no_pitch(void **state)
{
    (void)state;
    const size_t n = 48000;
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    rng = 99;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.1 * gauss());
    gb_error_t err = {0};
    assert_int_equal(analyse(x, n, 48000.0, &err), GB_EFORMAT);
    assert_non_null(strstr(err.msg, "no pitch found between 50 and 2100 Hz"));
    free(x);
}

/* A NaN sample is refused with its position; so is an empty input. */
static void bad_samples_are_errors(void **state)
{
    (void)state;
    float x[1000] = {0};
    x[480] = NAN;
    gb_error_t err = {0};
    assert_int_equal(analyse(x, 1000, 48000.0, &err), GB_EINVAL);
    assert_non_null(strstr(err.msg, "sample 480 (at 0.010 s) is not a finite number"));
    assert_int_equal(analyse(x, 0, 48000.0, &err), GB_EINVAL);
    assert_non_null(strstr(err.msg, "no samples"));
}

/* Bad settings name the field and its range. */
static void bad_config_is_refused(void **state)
{
    (void)state;
    gb_analysis_config_t cfg;
    gb_error_t err = {0};
    gb_analysis_config_init(&cfg, 1000.0);
    assert_null(gb_analyzer_new(&cfg, &err));
    assert_int_equal(err.code, GB_ERANGE);
    assert_non_null(strstr(err.msg, "sample_rate = 1000 is outside 8000..384000"));
    gb_analysis_config_init(&cfg, 48000.0);
    cfg.hop_s = 0.5;
    assert_null(gb_analyzer_new(&cfg, &err));
    assert_non_null(strstr(err.msg, "hop_s = 0.5 is outside 0.001..0.1"));
    gb_analysis_config_init(&cfg, 48000.0);
    cfg.version = 0;
    assert_null(gb_analyzer_new(&cfg, &err));
    assert_int_equal(err.code, GB_EINVAL);
    assert_non_null(strstr(err.msg, "gb_analysis_config_init"));
    gb_analyzer_free(NULL);
    gb_note_analysis_free(NULL);
}

static void note_names(void **state)
{
    (void)state;
    char name[16];
    assert_true(fabs(gb_analysis_note_name(440.0, name, sizeof name)) < 1e-9);
    assert_string_equal(name, "A4");
    assert_true(fabs(gb_analysis_note_name(261.63, name, sizeof name)) < 0.1);
    assert_string_equal(name, "C4");
    assert_true(fabs(gb_analysis_note_name(27.5, name, sizeof name)) < 1e-9);
    assert_string_equal(name, "A0");
    assert_true(fabs(gb_analysis_note_name(440.0 * pow(2.0, 0.3 / 12), name, sizeof name) -
                     30.0) < 1e-6);
    assert_string_equal(name, "A4");
    gb_analysis_note_name(466.16, name, sizeof name);
    assert_string_equal(name, "A#4");
    assert_true(gb_analysis_note_name(0.0, name, sizeof name) == 0.0);
    assert_string_equal(name, "?");
}

/* ---- timbre JSON ---------------------------------------------------------------------- */

static char tmpdir[128];

/* name inside the test's temporary directory (one of 8 rotating buffers: copy to keep). */
static const char *tmp_path(const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gb_test_analysis_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state) /* the directory is flat */
{
    (void)state;
    DIR *d = opendir(tmpdir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlink(tmp_path(e->d_name));
    closedir(d);
    return rmdir(tmpdir);
}

/* n random valid frames. */
static gb_timbre_frame_t *random_frames(int n, uint64_t seed)
{
    gb_timbre_frame_t *f = calloc((size_t)n, sizeof *f);
    assert_non_null(f);
    rng = seed;
    for (int i = 0; i < n; i++) {
        float sum = 0.0f;
        f[i].amp = (float)(2.0 * rnd());
        for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
            sum += f[i].harm[k] = (float)(rnd() * rnd());
        for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
            f[i].harm[k] /= sum;
        for (int b = 0; b < GB_TIMBRE_BANDS; b++)
            f[i].noise[b] = (float)(0.01 * rnd());
    }
    return f;
}

static gb_timbre_meta_t test_meta(void)
{
    gb_timbre_meta_t m;
    memset(&m, 0, sizeof m);
    m.f0_hz = 440.0123456789;
    m.sample_rate = 48000.0;
    m.hop_s = 0.01;
    snprintf(m.source, sizeof m.source, "a4 \"quoted\" \\ name.wav");
    return m;
}

/* write → read gives the same floats, bit for bit; f0 within 1e-8 relative. Through a file
 * and through a json_t (what presets do). */
static void json_round_trip(void **state)
{
    (void)state;
    const int n = 37;
    gb_timbre_frame_t *f = random_frames(n, 5);
    gb_timbre_meta_t m = test_meta(), m2;
    gb_timbre_seq_t *seq = malloc(sizeof *seq);
    assert_non_null(seq);
    gb_error_t err = {0};
    const char *path = tmp_path("round.json");
    assert_int_equal(gb_timbre_json_save(path, &m, f, n, &err), 0);
    assert_int_equal(gb_timbre_json_load(path, seq, &m2, &err), 0);
    assert_int_equal(seq->n_frames, n);
    assert_int_equal(m2.n_frames, n);
    assert_memory_equal(seq->frames, f, sizeof *f * (size_t)n);
    assert_true(fabs(m2.f0_hz - m.f0_hz) <= 1e-8 * m.f0_hz);
    assert_true(fabs(seq->f0_hz - (float)m.f0_hz) <= 1e-3f);
    assert_true(m2.sample_rate == 48000.0 && m2.hop_s == 0.01);
    assert_string_equal(m2.source, m.source);

    json_t *o = gb_timbre_json_build(&m, f, n, &err);
    assert_non_null(o);
    memset(seq, 0, sizeof *seq);
    assert_int_equal(gb_timbre_json_parse(o, "built", seq, NULL, &err), 0);
    assert_memory_equal(seq->frames, f, sizeof *f * (size_t)n);
    json_decref(o);

    /* the units' interface: optional keys left out when unknown */
    seq->f0_hz = 0.0f;
    o = gb_timbre_json_from_seq(seq);
    assert_non_null(o);
    assert_null(json_object_get(o, "f0_hz"));
    assert_null(json_object_get(o, "sample_rate"));
    char ebuf[256] = "";
    gb_timbre_seq_t *seq2 = malloc(sizeof *seq2);
    assert_non_null(seq2);
    assert_int_equal(gb_timbre_json_to_seq(o, "state.timbre", seq2, ebuf, sizeof ebuf), 0);
    assert_memory_equal(seq2->frames, f, sizeof *f * (size_t)n);
    assert_true(seq2->f0_hz == 0.0f);
    json_decref(o);
    free(seq2);
    free(seq);
    free(f);
}

/* Frames at another hop are interpolated to GB_TIMBRE_HOP_S. */
static void json_resamples_other_hops(void **state)
{
    (void)state;
    gb_timbre_frame_t f[5];
    memset(f, 0, sizeof f);
    for (int i = 0; i < 5; i++) {
        f[i].amp = (float)i;
        f[i].harm[i < 2 ? 0 : 1] = 1.0f;
        f[i].noise[3] = 0.1f * (float)i;
    }
    gb_timbre_meta_t m = test_meta();
    m.hop_s = 0.005;
    gb_timbre_seq_t *seq = malloc(sizeof *seq);
    assert_non_null(seq);
    gb_error_t err = {0};
    json_t *o = gb_timbre_json_build(&m, f, 5, &err);
    assert_int_equal(gb_timbre_json_parse(o, "t", seq, NULL, &err), 0);
    json_decref(o);
    assert_int_equal(seq->n_frames, 3); /* 0, 10, 20 ms */
    assert_true(seq->frames[1].amp == 2.0f && seq->frames[2].amp == 4.0f);
    m.hop_s = 0.02;
    o = gb_timbre_json_build(&m, f, 2, &err);
    assert_int_equal(gb_timbre_json_parse(o, "t", seq, NULL, &err), 0);
    json_decref(o);
    assert_int_equal(seq->n_frames, 3); /* 0, 10, 20 ms */
    assert_true(fabsf(seq->frames[1].amp - 0.5f) < 1e-6f);
    assert_true(fabsf(seq->frames[1].noise[3] - 0.05f) < 1e-6f);
    assert_true(fabsf(seq->frames[1].harm[0] - 1.0f) < 1e-6f);
    free(seq);
}

/* Each case breaks a valid document in one way; the reader names the place and the rule. */
typedef enum {
    BREAK_HARM_LEN, BREAK_NOISE_NEG, BREAK_AMP_STRING, BREAK_HARM_NAN_STRING, BREAK_NO_FRAMES,
    BREAK_NO_HOP, BREAK_FRAME_NO_NOISE, BREAK_FRAME_UNKNOWN, BREAK_TOP_UNKNOWN, BREAK_HOP_ZERO,
    BREAK_F0_NEG, BREAK_HARM_SUM, BREAK_FRAMES_EMPTY, BREAK_FRAMES_MANY, BREAK_FRAMES_TYPE,
    BREAK_HARM_BIG, BREAK_SOURCE_TYPE, BREAK_FRAME_TYPE, BREAK_COUNT
} break_t;

static const struct {
    break_t what;
    int code;
    const char *msg;
} breaks[] = {
    {BREAK_HARM_LEN, GB_EFORMAT, "t.json: frames[1].harm: expected 64 numbers, got 63"},
    {BREAK_NOISE_NEG, GB_ERANGE, "t.json: frames[0].noise[5]: -0.1 is out of range [0, 1]"},
    {BREAK_AMP_STRING, GB_EFORMAT,
     "t.json: frames[2].amp: expected a number in [0, 64], got a string"},
    {BREAK_HARM_NAN_STRING, GB_EFORMAT,
     "t.json: frames[0].harm[3]: expected a number in [0, 1], got a string"},
    {BREAK_NO_FRAMES, GB_EFORMAT, "t.json: missing key 'frames' (an array of 1 to 512 frames)"},
    {BREAK_NO_HOP, GB_EFORMAT, "t.json: missing key 'hop_s' (a number in [0.001, 0.1]"},
    {BREAK_FRAME_NO_NOISE, GB_EFORMAT,
     "t.json: frames[1]: missing key 'noise' (an array of 32 numbers in [0, 1])"},
    {BREAK_FRAME_UNKNOWN, GB_EFORMAT,
     "t.json: frames[0]: unknown key 'ampp' (allowed: amp, harm, noise)"},
    {BREAK_TOP_UNKNOWN, GB_EFORMAT,
     "t.json: unknown key 'f0' (allowed: f0_hz, sample_rate, hop_s, source, frames)"},
    {BREAK_HOP_ZERO, GB_ERANGE, "t.json: hop_s: 0 is out of range [0.001, 0.1]"},
    {BREAK_F0_NEG, GB_ERANGE, "t.json: f0_hz: -440 is out of range [1, 20000]"},
    {BREAK_HARM_SUM, GB_ERANGE,
     "t.json: frames[2].harm: the 64 values sum to 0.5; they must sum to 1 (within 0.01)"},
    {BREAK_FRAMES_EMPTY, GB_ERANGE, "t.json: frames: 0 frames; 1 to 512 are allowed"},
    {BREAK_FRAMES_MANY, GB_ERANGE, "t.json: frames: 513 frames; 1 to 512 are allowed"},
    {BREAK_FRAMES_TYPE, GB_EFORMAT,
     "t.json: frames: expected an array of 1 to 512 frames, got an object"},
    {BREAK_HARM_BIG, GB_ERANGE, "t.json: frames[0].harm[0]: 1.5 is out of range [0, 1]"},
    {BREAK_SOURCE_TYPE, GB_EFORMAT, "t.json: source: expected a string, got an integer"},
    {BREAK_FRAME_TYPE, GB_EFORMAT,
     "t.json: frames[1]: expected a frame object {\"amp\", \"harm\", \"noise\"}, got null"},
};

static void break_doc(json_t *o, break_t what)
{
    json_t *frames = json_object_get(o, "frames");
    json_t *f0 = json_array_get(frames, 0), *f1 = json_array_get(frames, 1);
    json_t *f2 = json_array_get(frames, 2);
    switch (what) {
    case BREAK_HARM_LEN: json_array_remove(json_object_get(f1, "harm"), 63); break;
    case BREAK_NOISE_NEG: json_array_set_new(json_object_get(f0, "noise"), 5, json_real(-0.1)); break;
    case BREAK_AMP_STRING: json_object_set_new(f2, "amp", json_string("NaN")); break;
    case BREAK_HARM_NAN_STRING:
        json_array_set_new(json_object_get(f0, "harm"), 3, json_string("nan"));
        break;
    case BREAK_NO_FRAMES: json_object_del(o, "frames"); break;
    case BREAK_NO_HOP: json_object_del(o, "hop_s"); break;
    case BREAK_FRAME_NO_NOISE: json_object_del(f1, "noise"); break;
    case BREAK_FRAME_UNKNOWN: json_object_set_new(f0, "ampp", json_real(0.5)); break;
    case BREAK_TOP_UNKNOWN: json_object_set_new(o, "f0", json_real(440.0)); break;
    case BREAK_HOP_ZERO: json_object_set_new(o, "hop_s", json_integer(0)); break;
    case BREAK_F0_NEG: json_object_set_new(o, "f0_hz", json_real(-440.0)); break;
    case BREAK_HARM_SUM: {
        json_t *h = json_object_get(f2, "harm");
        for (size_t k = 0; k < json_array_size(h); k++)
            json_array_set_new(h, k, json_real(k < 2 ? 0.25 : 0.0));
        break;
    }
    case BREAK_FRAMES_EMPTY: json_array_clear(frames); break;
    case BREAK_FRAMES_MANY:
        while (json_array_size(frames) < 513)
            json_array_append(frames, f0);
        break;
    case BREAK_FRAMES_TYPE: json_object_set_new(o, "frames", json_object()); break;
    case BREAK_HARM_BIG: json_array_set_new(json_object_get(f0, "harm"), 0, json_real(1.5)); break;
    case BREAK_SOURCE_TYPE: json_object_set_new(o, "source", json_integer(7)); break;
    case BREAK_FRAME_TYPE: json_array_set_new(frames, 1, json_null()); break;
    default: fail();
    }
}

static void json_reader_is_strict(void **state)
{
    (void)state;
    gb_timbre_frame_t *f = random_frames(3, 11);
    gb_timbre_meta_t m = test_meta();
    gb_timbre_seq_t *seq = malloc(sizeof *seq);
    assert_non_null(seq);
    assert_int_equal(sizeof breaks / sizeof breaks[0], BREAK_COUNT);
    for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
        gb_error_t err = {0};
        json_t *o = gb_timbre_json_build(&m, f, 3, &err);
        assert_non_null(o);
        break_doc(o, breaks[i].what);
        seq->n_frames = -7; /* untouched on failure */
        int rc = gb_timbre_json_parse(o, "t.json", seq, NULL, &err);
        json_decref(o);
        if (rc != breaks[i].code || !strstr(err.msg, breaks[i].msg))
            fail_msg("case %zu: got %d '%s', expected %d '%s'", i, rc, err.msg, breaks[i].code,
                     breaks[i].msg);
        assert_int_equal(seq->n_frames, -7);
    }
    free(seq);
    free(f);
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Files: JSON syntax (a NaN literal) with line and column, duplicate keys, a missing file;
 * the unit interface copies the message; the writer refuses what the reader would. */
static void json_file_errors(void **state)
{
    (void)state;
    gb_timbre_seq_t *seq = malloc(sizeof *seq);
    assert_non_null(seq);
    gb_error_t err = {0};
    const char *p = tmp_path("nan.json");
    write_text(p, "{\"hop_s\": 0.01,\n \"frames\": [{\"amp\": NaN}]}\n");
    assert_int_equal(gb_timbre_json_load(p, seq, NULL, &err), GB_EFORMAT);
    assert_non_null(strstr(err.msg, "nan.json: line 2, column"));
    p = tmp_path("dup.json");
    write_text(p, "{\"hop_s\": 0.01, \"hop_s\": 0.02, \"frames\": []}");
    assert_int_equal(gb_timbre_json_load(p, seq, NULL, &err), GB_EFORMAT);
    assert_non_null(strstr(err.msg, "duplicate"));
    assert_int_equal(gb_timbre_json_load(tmp_path("missing.json"), seq, NULL, &err), GB_EIO);
    assert_non_null(strstr(err.msg, "missing.json: cannot open: No such file or directory"));

    json_t *o = json_pack("{s:f, s:[]}", "hop_s", 0.01, "frames");
    char ebuf[128];
    assert_int_equal(gb_timbre_json_to_seq(o, "state.timbre", seq, ebuf, sizeof ebuf),
                     GB_ERANGE);
    assert_string_equal(ebuf, "state.timbre: frames: 0 frames; 1 to 512 are allowed");
    json_decref(o);

    gb_timbre_frame_t *f = random_frames(2, 3);
    gb_timbre_meta_t m = test_meta();
    f[1].noise[7] = 1.5f;
    assert_int_equal(gb_timbre_json_save(tmp_path("bad.json"), &m, f, 2, &err), GB_ERANGE);
    assert_non_null(strstr(err.msg, "bad.json: frames[1].noise[7]: 1.5 is out of range [0, 1]"));
    assert_true(access(tmp_path("bad.json"), F_OK) != 0);
    f[1].noise[7] = 0.0f;
    m.hop_s = 0.0;
    assert_null(gb_timbre_json_build(&m, f, 2, &err));
    assert_non_null(strstr(err.msg, "hop_s: 0 is out of range"));
    free(f);
    free(seq);
}

/* ---- the command line ----------------------------------------------------------------- */

static const char *gbac_path;

/* Write mono or stereo float WAV: channel c of frame i is tone_c (or silence if f0 is 0). */
static void write_wav(const char *path, double sr, int channels, const double *f0s, double amp)
{
    tone_t t = {.sr = sr};
    size_t n = 0;
    float *ch[2] = {NULL, NULL};
    for (int c = 0; c < channels; c++) {
        t.f0 = f0s[c] > 0.0 ? f0s[c] : 100.0;
        memset(t.amp, 0, sizeof t.amp);
        if (f0s[c] > 0.0)
            tone_harmonics(&t, amp, 1.3);
        ch[c] = tone_render(&t, &n, 40 + (uint64_t)c);
    }
    SF_INFO info = {.samplerate = (int)sr, .channels = channels,
                    .format = SF_FORMAT_WAV | SF_FORMAT_PCM_24};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    assert_non_null(sf);
    float *buf = malloc(n * (size_t)channels * sizeof *buf);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < channels; c++)
            buf[i * (size_t)channels + (size_t)c] = ch[c][i];
    assert_int_equal(sf_writef_float(sf, buf, (sf_count_t)n), (sf_count_t)n);
    sf_close(sf);
    free(buf);
    free(ch[0]);
    free(ch[1]);
}

/* Run `gbac ARGS` (args already quoted for sh) with stdout/stderr to files in tmpdir; return
 * its exit status. */
static int run_gbac(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", gbac_path, args, tmp_path("out.txt"),
             tmp_path("err.txt"));
    int st = system(cmd);
    assert_true(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

static char *slurp(const char *path);

/* run_gbac, failing with gbac's stderr when the status is not want. */
static void expect_status(const char *args, int want)
{
    const int got = run_gbac(args);
    if (got != want)
        fail_msg("gbac %s: exit status %d, expected %d; stderr:\n%s", args, got, want,
                 slurp(tmp_path("err.txt")));
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void expect_stderr(const char *text)
{
    const char *e = slurp(tmp_path("err.txt"));
    if (!strstr(e, text))
        fail_msg("expected '%s' in stderr:\n%s", text, e);
}

static void cli_analyses_a_wav(void **state)
{
    (void)state;
    const double c4[1] = {261.63};
    char wav[512], st[512];
    snprintf(wav, sizeof wav, "%s", tmp_path("c4 tone.wav"));
    write_wav(wav, 48000.0, 1, c4, 0.4);
    char args[1024];
    gb_timbre_seq_t *seq = malloc(sizeof *seq);
    assert_non_null(seq);
    gb_timbre_meta_t m;
    gb_error_t err = {0};

    snprintf(args, sizeof args, "analyze '%s' -o '%s'", wav, tmp_path("c4.json"));
    expect_status(args, 0);
    expect_stderr("f0            261.63 Hz = C4");
    expect_stderr("harmonic/noise energy ratio");
    if (gb_timbre_json_load(tmp_path("c4.json"), seq, &m, &err) < 0)
        fail_msg("%s", err.msg);
    assert_true(fabs(m.f0_hz - 261.63) <= 0.5);
    assert_true(m.sample_rate == 48000.0 && m.hop_s == 0.01);
    assert_string_equal(m.source, "c4 tone.wav");
    assert_true(seq->n_frames >= 99 && seq->n_frames <= 103);

    /* to stdout, 5 ms frames (read back at 10 ms) */
    snprintf(args, sizeof args, "analyze --hop-ms 5 '%s'", wav);
    expect_status(args, 0);
    expect_stderr("x 5 ms");
    if (gb_timbre_json_load(tmp_path("out.txt"), seq, &m, &err) < 0)
        fail_msg("%s", err.msg);
    assert_true(m.hop_s == 0.005 && m.n_frames >= 199 && m.n_frames <= 203);
    assert_true(fabs(m.f0_hz - 261.63) <= 0.5);

    /* a stereo file: each channel on its own, and the mix */
    const double two[2] = {220.0, 330.0};
    snprintf(st, sizeof st, "%s", tmp_path("stereo.wav"));
    write_wav(st, 44100.0, 2, two, 0.3);
    snprintf(args, sizeof args, "analyze --channel 2 '%s' -o '%s'", st, tmp_path("s.json"));
    expect_status(args, 0);
    assert_int_equal(gb_timbre_json_load(tmp_path("s.json"), seq, &m, &err), 0);
    assert_true(fabs(m.f0_hz - 330.0) <= 0.5);
    snprintf(args, sizeof args, "analyze --channel=1 '%s' -o '%s'", st, tmp_path("s.json"));
    expect_status(args, 0);
    assert_int_equal(gb_timbre_json_load(tmp_path("s.json"), seq, &m, &err), 0);
    assert_true(fabs(m.f0_hz - 220.0) <= 0.5);
    snprintf(args, sizeof args, "analyze --channel mix '%s' -o '%s'", st, tmp_path("s.json"));
    expect_status(args, 0); /* 220 + 330 Hz: a 110 Hz fifth */
    assert_int_equal(gb_timbre_json_load(tmp_path("s.json"), seq, &m, &err), 0);
    assert_true(fabs(m.f0_hz - 110.0) <= 0.5);
    expect_stderr("mixed to mono");
    free(seq);
}

static void cli_errors(void **state)
{
    (void)state;
    char args[1024];
    /* a corrupt file */
    char bad[512];
    snprintf(bad, sizeof bad, "%s", tmp_path("corrupt.wav"));
    write_text(bad, "RIFF\x24\x00\x00\x00WAVEfmt this is not audio at all");
    snprintf(args, sizeof args, "analyze '%s'", bad);
    expect_status(args, 1);
    expect_stderr("corrupt.wav: cannot read it as audio (libsndfile:");
    assert_string_equal(slurp(tmp_path("out.txt")), "");
    /* a missing file */
    snprintf(args, sizeof args, "analyze '%s'", tmp_path("nope.wav"));
    expect_status(args, 1);
    expect_stderr("nope.wav: no such file");
    /* silence, and noise without pitch */
    const double none[1] = {0.0};
    write_wav(tmp_path("silent.wav"), 48000.0, 1, none, 0.0);
    snprintf(args, sizeof args, "analyze '%s' -o '%s'", tmp_path("silent.wav"),
             tmp_path("silent.json"));
    expect_status(args, 1);
    expect_stderr("silent.wav: the note is silent");
    assert_true(access(tmp_path("silent.json"), F_OK) != 0);
    {
        SF_INFO info = {.samplerate = 48000, .channels = 1,
                        .format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16};
        SNDFILE *sf = sf_open(tmp_path("noise.flac"), SFM_WRITE, &info);
        assert_non_null(sf);
        float x[48000];
        rng = 5;
        for (int i = 0; i < 48000; i++)
            x[i] = (float)(0.1 * gauss());
        sf_writef_float(sf, x, 48000);
        sf_close(sf);
    }
    snprintf(args, sizeof args, "analyze '%s'", tmp_path("noise.flac"));
    expect_status(args, 1);
    expect_stderr("noise.flac: no pitch found between 50 and 2100 Hz");
    /* a channel the file does not have */
    const double a4[1] = {440.0};
    write_wav(tmp_path("a4.wav"), 48000.0, 1, a4, 0.4);
    snprintf(args, sizeof args, "analyze --channel 3 '%s'", tmp_path("a4.wav"));
    expect_status(args, 1);
    expect_stderr("a4.wav: has 1 channel; there is no channel 3");
    /* an output that cannot be created */
    snprintf(args, sizeof args, "analyze '%s' -o '%s/no/such/dir/x.json'", tmp_path("a4.wav"),
             tmpdir);
    expect_status(args, 1);
    expect_stderr("x.json: cannot create: No such file or directory");

    /* usage errors: status 2 */
    expect_status("analyze", 2);
    expect_stderr("missing NOTE");
    expect_status("analyze --frobnicate x.wav", 2);
    expect_stderr("unknown option '--frobnicate'");
    expect_status("analyze --hop-ms 0 x.wav", 2);
    expect_stderr("bad value '0' for --hop-ms: expected a number of milliseconds in 1..100");
    expect_status("analyze --channel left x.wav", 2);
    expect_stderr("bad value 'left' for --channel: expected 'mix' or a channel number");
    expect_status("analyze x.wav -o", 2);
    expect_stderr("-o needs a file name");
    expect_status("analyze a.wav b.wav", 2);
    expect_status("analyze --help", 0);
    assert_non_null(strstr(slurp(tmp_path("out.txt")), "Usage: gbac analyze [OPTIONS] NOTE"));
    expect_status("--help", 0);
    assert_non_null(strstr(slurp(tmp_path("out.txt")), "analyze"));
}

/* ---- a real instrument ---------------------------------------------------------------- */

#define SF2_PATH "/usr/share/sounds/sf2/FluidR3_GM.sf2"

static int have_program(const char *name)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* A4 (MIDI note 69) of six FluidR3 instruments, rendered by FluidSynth from a MIDI file made
 * with csvmidi (one note every 2 s, so the SoundFont loads once), reads 440 ± 1 Hz. */
static void fluidsynth_a4_is_440(void **state)
{
    (void)state;
    const char *missing = !have_program("fluidsynth") ? "fluidsynth"
                          : !have_program("csvmidi")  ? "csvmidi"
                          : access(SF2_PATH, R_OK) != 0 ? SF2_PATH
                                                         : NULL;
    if (missing) {
        print_message("SKIPPED: %s is not installed; install with `apt-get install -y "
                      "fluidsynth fluid-soundfont-gm midicsv` to run this test\n",
                      missing);
        skip();
    }
    static const struct {
        int program;
        const char *name;
    } inst[] = {{0, "Acoustic Grand Piano"}, {24, "Nylon Guitar"}, {40, "Violin"},
                {56, "Trumpet"},             {71, "Clarinet"},     {73, "Flute"}};
    const int n_inst = (int)(sizeof inst / sizeof inst[0]);
    FILE *csv = fopen(tmp_path("a4.csv"), "w");
    assert_non_null(csv);
    fprintf(csv, "0, 0, Header, 0, 1, 480\n1, 0, Start_track\n1, 0, Tempo, 500000\n");
    for (int i = 0; i < n_inst; i++) { /* 480 ticks = 0.5 s: note on at 2i s for 1 s */
        fprintf(csv, "1, %d, Program_c, 0, %d\n", i * 1920, inst[i].program);
        fprintf(csv, "1, %d, Note_on_c, 0, 69, 100\n", i * 1920);
        fprintf(csv, "1, %d, Note_off_c, 0, 69, 0\n", i * 1920 + 960);
    }
    fprintf(csv, "1, %d, End_track\n0, 0, End_of_file\n", n_inst * 1920);
    fclose(csv);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "csvmidi '%s' '%s' && fluidsynth -ni -q -g 1.0 -R 0 -C 0 -F '%s' -r 48000 '%s' "
             "'%s' >'%s' 2>&1",
             tmp_path("a4.csv"), tmp_path("a4.mid"), tmp_path("fs.wav"), SF2_PATH,
             tmp_path("a4.mid"), tmp_path("fs.log"));
    if (system(cmd) != 0)
        fail_msg("rendering failed: %s\n%s", cmd, slurp(tmp_path("fs.log")));

    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(tmp_path("fs.wav"), SFM_READ, &info);
    assert_non_null(sf);
    const size_t n = (size_t)info.frames, nch = (size_t)info.channels;
    float *buf = malloc(n * nch * sizeof *buf), *mono = malloc(n * sizeof *mono);
    assert_true(buf && mono);
    assert_int_equal(sf_readf_float(sf, buf, info.frames), info.frames);
    sf_close(sf);
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t c = 0; c < nch; c++)
            s += buf[i * nch + c];
        mono[i] = (float)(s / (double)nch);
    }
    gb_analysis_config_t cfg;
    gb_analysis_config_init(&cfg, info.samplerate);
    gb_error_t err = {0};
    gb_analyzer_t *a = gb_analyzer_new(&cfg, &err);
    assert_non_null(a);
    const size_t seg = 2 * (size_t)info.samplerate;
    for (int i = 0; i < n_inst; i++) {
        const size_t start = (size_t)i * seg;
        assert_true(start + seg <= n + (size_t)info.samplerate);
        const size_t len = start + seg <= n ? seg : n - start;
        gb_note_analysis_t r;
        if (gb_analyze_note(a, mono + start, len, &r, &err) < 0)
            fail_msg("%s: %s", inst[i].name, err.msg);
        char note[16];
        const double cents = gb_analysis_note_name(r.f0_hz, note, sizeof note);
        print_message("FluidR3 %-22s A4: f0 %.2f Hz (%s %+.1f cents), %d frames, "
                      "harmonic/noise %.1f dB\n",
                      inst[i].name, r.f0_hz, note, cents, r.n_frames,
                      10.0 * log10(r.harm_energy / r.noise_energy));
        assert_true(fabs(r.f0_hz - 440.0) <= 1.0);
        gb_note_analysis_free(&r);
    }
    gb_analyzer_free(a);
    free(buf);
    free(mono);
}

/* ---- main ----------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--cli") == 0) {
        gbac_path = argv[2];
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(cli_analyses_a_wav),
            cmocka_unit_test(cli_errors),
        };
        return cmocka_run_group_tests_name("analysis_cli", tests, make_tmpdir, remove_tmpdir);
    }
    if (argc == 2 && strcmp(argv[1], "--fluidsynth") == 0) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(fluidsynth_a4_is_440),
        };
        return cmocka_run_group_tests_name("analysis_fluidsynth", tests, make_tmpdir,
                                           remove_tmpdir);
    }
    if (argc != 1) {
        fprintf(stderr, "usage: test_analysis [--cli GBAC | --fluidsynth]\n");
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sine_reads_its_amplitude),
        cmocka_unit_test(rich_tones_faint_noise),
        cmocka_unit_test(rich_tones_loud_noise),
        cmocka_unit_test(other_hop),
        cmocka_unit_test(missing_fundamental),
        cmocka_unit_test(silence_is_an_error),
        cmocka_unit_test(noise_has_no_pitch),
        cmocka_unit_test(bad_samples_are_errors),
        cmocka_unit_test(bad_config_is_refused),
        cmocka_unit_test(note_names),
        cmocka_unit_test(json_round_trip),
        cmocka_unit_test(json_resamples_other_hops),
        cmocka_unit_test(json_reader_is_strict),
        cmocka_unit_test(json_file_errors),
    };
    return cmocka_run_group_tests_name("analysis", tests, make_tmpdir, remove_tmpdir);
}
