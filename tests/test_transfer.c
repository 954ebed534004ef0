/* test_transfer.c — timbre transfer: the timbre-VAE instrument following an audio input
 * through the engine (presets/timbre-transfer.json), and `gbac transfer`.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   test_transfer            engine: a note after silence sounds at its pitch within 10 ms
 *                            of its onset; its attack's noise part stays below the bounds
 *                            (onset_noise_burst); noise bursts sound as noise, silence as
 *                            silence;
 *                            DC, NaN, full-scale noise stay finite; block size does not
 *                            change a sample; process() does not allocate
 *   test_transfer --cli GBAC `gbac transfer` on files it writes: output pitch, mono/stereo/
 *                            4 channels, and the bad inputs (not audio, empty, 4 kHz, a
 *                            preset whose instrument cannot follow) with exit 1 and a message
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gb_alloc_count.h"
#include "gb_engine.h"
#include "gb_pitch_track.h"
#include "gb_preset.h"
#include "gb_tmpdir.h"
#include "gb_unit_registry.h"

#define SR 48000.0
#define BLOCK 64

static const char *g_gbac;
static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static double rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (double)(g_rng >> 11) / 9007199254740992.0;
}

static void preset_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/presets/%s.json", getenv("GBAC_SOURCE_DIR"), name);
}

static gb_engine_t *engine_with(uint32_t block, gb_unit_registry_t **reg, gb_preset_t **p,
                                float noise_db);

static gb_engine_t *engine(uint32_t block, gb_unit_registry_t **reg, gb_preset_t **p)
{
    return engine_with(block, reg, p, 0.0f);
}

/* The preset with the instrument's noise_db set (the preset's own value is 0 dB). */
static gb_engine_t *engine_with(uint32_t block, gb_unit_registry_t **reg, gb_preset_t **p,
                                float noise_db)
{
    char path[4096];
    preset_path(path, sizeof path, "timbre-transfer");
    gb_error_t err = {0};
    *reg = gb_unit_registry_open(NULL, 0, &err);
    assert_non_null(*reg);
    *p = gb_preset_load(path, *reg, &err);
    if (!*p)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(*p);
    gb_preset_unit_t *u = &(*p)->instrument;
    const gbp_param_info_t *pi = gb_unit_param_by_name(u->desc, "noise_db");
    assert_non_null(pi);
    for (int i = 0; i < u->n_params; i++)
        if (u->params[i].id == pi->id)
            u->params[i].value = noise_db;
    gb_engine_t *e = gb_engine_build(*p, SR, block, 1, &err);
    if (!e)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(e);
    return e;
}

static void engine_free(gb_engine_t *e, gb_unit_registry_t *reg, gb_preset_t *p)
{
    gb_engine_free(e);
    gb_preset_free(p);
    gb_unit_registry_free(reg);
}

/* Run the input x[0 .. n) through, in blocks of `block`; left output into out. */
static void run(gb_engine_t *e, const float *x, float *out, size_t n, uint32_t block)
{
    float r[1024];
    for (size_t t = 0; t < n; t += block) {
        const uint32_t nb = (uint32_t)(n - t < block ? n - t : block);
        gb_engine_set_input(e, x + t);
        gb_engine_process(e, NULL, 0, out + t, r, nb);
    }
}

static void saw(float *x, size_t n, double f0, double amp)
{
    double ph = 0.0;
    for (size_t i = 0; i < n; i++) { /* band-limited: 1/k harmonics below 18 kHz */
        double v = 0.0;
        for (int k = 1; k * f0 < 18000.0 && k < 200; k++)
            v += sin(k * ph) / k;
        x[i] = (float)(amp * 0.55 * v);
        ph += 2.0 * M_PI * f0 / SR;
        ph -= ph > 2.0 * M_PI ? 2.0 * M_PI : 0.0;
    }
}

static double rms(const float *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return sqrt(s / (double)n);
}

/* f0 of y[0 .. n) by the tracker (after the whole stretch), 0 if unvoiced. */
static double track(const float *y, size_t n)
{
    gb_pitch_track_config_t c = gb_pitch_track_config_default(SR);
    gb_pitch_track_t *t = gb_pitch_track_new(&c, NULL);
    gb_pitch_track_push(t, y, n);
    const double f = gb_pitch_track_est(t)->voiced ? gb_pitch_track_est(t)->f0_hz : 0.0;
    gb_pitch_track_free(t);
    return f;
}

/* The end of the first hop at which the tracker hears y voiced within 50 cents of f0 (−1:
 * never). */
static long pitched_from(const float *y, size_t n, double f0)
{
    gb_pitch_track_config_t c = gb_pitch_track_config_default(SR);
    gb_pitch_track_t *t = gb_pitch_track_new(&c, NULL);
    long at = -1;
    for (size_t i = 0; i + 64 <= n && at < 0; i += 64) {
        gb_pitch_track_push(t, y + i, 64);
        const gb_pitch_est_t *e = gb_pitch_track_est(t);
        if (e->voiced && fabs(1200.0 * log2(e->f0_hz / f0)) < 50.0)
            at = (long)(i + 64);
    }
    gb_pitch_track_free(t);
    return at;
}

/* A note after silence: the output's onset (first 64-frame stretch 30 dB above the silence
 * before and within 20 dB of the note's level) within 10 ms, at the input's pitch. */
static void note_follows_the_input(void **state)
{
    (void)state;
    static const double keys_hz[] = {220.0, 440.0, 880.0};
    for (int k = 0; k < 3; k++) {
        gb_unit_registry_t *reg;
        gb_preset_t *p;
        gb_engine_t *e = engine(BLOCK, &reg, &p);
        const size_t on = 24000 + 17, n = on + 24000;
        float *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
        saw(x + on, n - on, keys_hz[k], 0.3);
        run(e, x, y, n, BLOCK);
        const double quiet = rms(y + 4800, on - 4800), level = rms(y + on + 12000, 9600);
        size_t first = 0;
        for (size_t t = on - 4800; t + 64 <= n; t += 16)
            if (rms(y + t, 64) > level * 0.1) {
                first = t + 64;
                break;
            }
        const long lat = (long)first - (long)on;
        const double f = track(y + on + 12000, 9600);
        /* The pitch: when a second tracker hears the output in tune, against when it hears
         * the input so (its own latency cancels). */
        const long p_in = pitched_from(x, n, keys_hz[k]), p_out = pitched_from(y, n, keys_hz[k]);
        printf("  %.0f Hz in: out %.2f Hz (%+.2f cents), level %.1f dBFS, silence before "
               "%.1f dBFS, onset %ld frames (%.2f ms) after the input's; in tune %ld frames "
               "after the input is\n", keys_hz[k], f, 1200.0 * log2(f / keys_hz[k]),
               20 * log10(level), 20 * log10(quiet + 1e-12), lat, lat / SR * 1e3, p_out - p_in);
        assert_true(p_in > 0 && p_out > 0); /* reported, not bounded: see the closing note */
        assert_true(quiet < 1e-5);
        assert_true(level > 0.01);
        assert_true(fabs(1200.0 * log2(f / keys_hz[k])) < 10.0);
        assert_true(lat > 0 && lat <= 480);
        free(x);
        free(y);
        engine_free(e, reg, p);
    }
}

/* The attack's noise burst, measured apart from the harmonics: the same input through the
 * same engine with the noise part at -60 dB (noise_db) leaves the harmonics alone (the
 * oscillator bank's harmonics and noise share nothing), so the difference of the two outputs
 * is the noise part. Its RMS over the first 20 ms after the input's onset and over the
 * sustain, both re the harmonics' RMS in the sustain, for a saw at A4, A3, A2.
 * Measured (48 kHz, first 20 ms): before +1.8, +4.9, +12.3 dB (the tracker's band levels,
 * read off the low-passed window with its gain undone, were 6-10 dB above the input at an
 * onset, and drove the noise bands in full); (1 − confidence) alone: -0.3, +3.3, +10.1;
 * band levels of the raw input heard since the gate opened, times (1 − confidence): -5.4,
 * +0.4, +5.7 (over the whole 2048-sample window: -8.4, -6.7, -2.0, but the first sound
 * through JACK came too late, see tv_follow.inc). The sustain's noise part stays at
 * -37..-42 dB. Bounds: the figures + 2 dB, below the old ones. */
static const double burst_bound_db[3] = {-3.4, 2.4, 7.7};
static void burst_run(const float *x, float *y, size_t n, float noise_db)
{
    gb_unit_registry_t *reg;
    gb_preset_t *p;
    gb_engine_t *e = engine_with(BLOCK, &reg, &p, noise_db);
    run(e, x, y, n, BLOCK);
    engine_free(e, reg, p);
}

static void onset_noise_burst(void **state)
{
    (void)state;
    static const double f0[3] = {440.0, 220.0, 110.0};
    const size_t on = 9600 + 17, n = on + 24000, w20 = 960;
    for (int k = 0; k < 3; k++) {
        float *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y), *h = calloc(n, sizeof *h);
        saw(x + on, n - on, f0[k], 0.3);
        burst_run(x, y, n, 0.0f);
        burst_run(x, h, n, -60.0f);
        for (size_t i = 0; i < n; i++)
            y[i] -= h[i]; /* the noise part */
        const double harm = rms(h + on + 12000, 9600);
        const double b = 20 * log10(rms(y + on, w20) / harm + 1e-12);
        const double s = 20 * log10(rms(y + on + 12000, 9600) / harm + 1e-12);
        printf("  %.0f Hz: noise part in the first 20 ms %.1f dB, in the sustain %.1f dB (re "
               "the sustained harmonics, %.1f dBFS); burst %.1f dB above the sustain's noise\n",
               f0[k], b, s, 20 * log10(harm), b - s);
        assert_true(b <= burst_bound_db[k]);
        assert_true(s < -30.0);
        free(x);
        free(y);
        free(h);
    }
}

/* Noise bursts sound as unpitched noise with a level near the input's, silence stays silent. */
static void noise_drives_the_noise_bands(void **state)
{
    (void)state;
    gb_unit_registry_t *reg;
    gb_preset_t *p;
    gb_engine_t *e = engine(BLOCK, &reg, &p);
    const size_t n = 48000;
    float *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
    for (size_t i = 12000; i < 36000; i++)
        x[i] = (float)(0.2 * (2.0 * rnd() - 1.0));
    run(e, x, y, n, BLOCK);
    const double in = rms(x + 18000, 12000), out = rms(y + 18000, 12000);
    const double before = rms(y + 2000, 9000), after = rms(y + 42000, 6000);
    printf("  noise in %.1f dBFS → out %.1f dBFS, pitch %.1f Hz (0 = none); silence before "
           "%.1f, 6 ms after %.1f dBFS\n", 20 * log10(in), 20 * log10(out),
           track(y + 18000, 12000), 20 * log10(before + 1e-12), 20 * log10(after + 1e-12));
    assert_true(out > in * 0.25 && out < in * 4.0);
    assert_true(track(y + 18000, 12000) == 0.0);
    assert_true(before < 1e-5 && after < 1e-4);
    free(x);
    free(y);
    engine_free(e, reg, p);
}

/* DC, NaN/Inf, full-scale noise: the output stays finite and bounded; DC is silence. */
static void bad_input_stays_finite(void **state)
{
    (void)state;
    gb_unit_registry_t *reg;
    gb_preset_t *p;
    gb_engine_t *e = engine(BLOCK, &reg, &p);
    const size_t n = 24000;
    float *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
    const char *what[3] = {"DC 0.8", "NaN and Inf", "full-scale noise"};
    for (int c = 0; c < 3; c++) {
        for (size_t i = 0; i < n; i++)
            x[i] = c == 0 ? 0.8f : c == 1 ? (i % 3 ? NAN : -INFINITY)
                                          : (float)(2.0 * rnd() - 1.0);
        run(e, x, y, n, BLOCK);
        float peak = 0.0f;
        int finite = 1;
        for (size_t i = 0; i < n; i++) {
            finite &= isfinite(y[i]);
            peak = fabsf(y[i]) > peak ? fabsf(y[i]) : peak;
        }
        const double tail = rms(y + n / 2, n / 2);
        printf("  %s: finite %d, peak %.3f, second half %.1f dBFS\n", what[c], finite, peak,
               20 * log10(tail + 1e-12));
        assert_true(finite);
        assert_true(peak <= 1.0f);
        if (c < 2)
            assert_true(tail < 1e-4);
    }
    free(x);
    free(y);
    engine_free(e, reg, p);
}

/* Blocks of 64, 37 and 256 frames give the same samples. */
static void block_size_does_not_matter(void **state)
{
    (void)state;
    const size_t n = 30000;
    float *x = calloc(n, sizeof *x), *y[3];
    saw(x + 5000, 12000, 330.0, 0.3);
    for (size_t i = 20000; i < n; i++)
        x[i] = (float)(0.1 * (2.0 * rnd() - 1.0));
    static const uint32_t blocks[3] = {64, 37, 256};
    for (int b = 0; b < 3; b++) {
        gb_unit_registry_t *reg;
        gb_preset_t *p;
        gb_engine_t *e = engine(blocks[b], &reg, &p);
        y[b] = calloc(n, sizeof(float));
        run(e, x, y[b], n, blocks[b]);
        engine_free(e, reg, p);
    }
    assert_true(rms(y[0], n) > 0.01);
    assert_memory_equal(y[0], y[1], n * sizeof(float));
    assert_memory_equal(y[0], y[2], n * sizeof(float));
    for (int b = 0; b < 3; b++)
        free(y[b]);
    free(x);
}

static void process_does_not_allocate(void **state)
{
    (void)state;
    gb_skip_if_not_interposed();
    gb_unit_registry_t *reg;
    gb_preset_t *p;
    gb_engine_t *e = engine(BLOCK, &reg, &p);
    const size_t n = 19200;
    float *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
    saw(x, n / 2, 262.0, 0.3);
    for (size_t i = n / 2; i < n; i++)
        x[i] = (float)(0.1 * (2.0 * rnd() - 1.0));
    gb_arm();
    run(e, x, y, n, BLOCK);
    gb_disarm();
    printf("  %zu blocks: %ld allocations, %ld frees\n", n / BLOCK, gb_n_alloc, gb_n_free);
    assert_int_equal(gb_n_alloc, 0);
    assert_int_equal(gb_n_free, 0);
    free(x);
    free(y);
    engine_free(e, reg, p);
}

/* ---- the command ------------------------------------------------------------------------ */

static char g_dir[512];

static void path_in(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", g_dir, name);
}

static void write_wav(const char *path, const float *mono, size_t frames, int ch, int rate)
{
    float *inter = calloc(frames * (size_t)ch, sizeof *inter);
    for (size_t i = 0; i < frames; i++)
        for (int c = 0; c < ch; c++)
            inter[i * (size_t)ch + (size_t)c] = mono[i];
    SF_INFO info = {.samplerate = rate, .channels = ch, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    assert_non_null(f);
    assert_int_equal(sf_writef_float(f, inter, (sf_count_t)frames), (sf_count_t)frames);
    sf_close(f);
    free(inter);
}

/* Run gbac transfer IN -o OUT [--preset P]; returns the exit status, stderr into msg. */
static int transfer(const char *in, const char *out, const char *preset, char *msg, size_t cap)
{
    char errf[600];
    path_in(errf, sizeof errf, "stderr.txt");
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(errf, "w", stderr))
            _exit(127);
        if (preset)
            execl(g_gbac, g_gbac, "transfer", in, "-o", out, "--preset", preset, (char *)NULL);
        else
            execl(g_gbac, g_gbac, "transfer", in, "-o", out, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    FILE *f = fopen(errf, "r");
    size_t k = f ? fread(msg, 1, cap - 1, f) : 0;
    msg[k] = 0;
    if (f)
        fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static float *read_left(const char *path, size_t *frames, int *rate)
{
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    assert_non_null(f);
    float *inter = calloc((size_t)info.frames * (size_t)info.channels, sizeof *inter);
    float *l = calloc((size_t)info.frames, sizeof *l);
    sf_readf_float(f, inter, info.frames);
    for (sf_count_t i = 0; i < info.frames; i++)
        l[i] = inter[i * info.channels];
    sf_close(f);
    free(inter);
    *frames = (size_t)info.frames;
    *rate = info.samplerate;
    return l;
}

static void cli_transfer(void **state)
{
    (void)state;
    const size_t n = 48000;
    float *x = calloc(n, sizeof *x);
    saw(x + 9600, n - 9600, 196.0, 0.3);
    char in[600], out[600], msg[2048];
    static const int chans[3] = {1, 2, 4};
    for (int c = 0; c < 3; c++) {
        path_in(in, sizeof in, "in.wav");
        path_in(out, sizeof out, "out.wav");
        write_wav(in, x, n, chans[c], 48000);
        assert_int_equal(transfer(in, out, NULL, msg, sizeof msg), 0);
        size_t m;
        int rate;
        float *y = read_left(out, &m, &rate);
        const double f = track(y + 24000, 12000);
        printf("  %d channel(s): %zu frames at %d Hz, out %.2f Hz (in 196), %s", chans[c], m,
               rate, f, msg);
        assert_int_equal(rate, 48000);
        assert_int_equal(m, n + 24000); /* the 0.5 s tail */
        assert_true(fabs(1200.0 * log2(f / 196.0)) < 10.0);
        free(y);
    }
    free(x);
}

/* Forward-looking periodicity of y at frame t for period p: the normalised correlation of
 * y[t, t + 256) with y[t + p, t + p + 256). */
static double periodic_at(const float *y, size_t t, double p)
{
    const size_t lag = (size_t)lround(p);
    double xy = 0.0, xx = 0.0, yy = 0.0;
    for (size_t i = t; i < t + 256; i++) {
        xy += (double)y[i] * y[i + lag];
        xx += (double)y[i] * y[i];
        yy += (double)y[i + lag] * y[i + lag];
    }
    return xx > 0.0 && yy > 0.0 ? xy / sqrt(xx * yy) : 0.0;
}

/* The pitched onset through `gbac transfer`: a saw after silence at A4, A3, A2. The output's
 * onset is its first 64 frames above 10% of the note's RMS; its pitched onset the first frame
 * from which it is loud that way AND periodic at the note's period (correlation >= 0.9 with
 * itself one period on). Measured (48 kHz): before the onset hold (main at 8544198) pitched
 * 736, 960, 1264 frames after the input's onset; with it 608, 576, 1152. The bounds are those
 * figures plus one 64-frame hop, each below the old path's, so the old path fails them. What
 * plays before the pitched onset (the noise bands) is printed: 6-13 dB above the note's RMS
 * before the band levels came from the raw input, +0.7, +4.7, +6.4 dB now (see
 * onset_noise_burst and docs/live.md). */
static const long onset_bound[3] = {672, 640, 1216};

static void cli_pitched_onset(void **state)
{
    (void)state;
    static const double f0[3] = {440.0, 220.0, 110.0};
    const size_t on = 9600 + 17, n = 48000;
    for (int k = 0; k < 3; k++) {
        float *x = calloc(n, sizeof *x);
        saw(x + on, n - on, f0[k], 0.3);
        char in[600], out[600], msg[2048];
        path_in(in, sizeof in, "onset.wav");
        path_in(out, sizeof out, "onset-out.wav");
        write_wav(in, x, n, 1, 48000);
        assert_int_equal(transfer(in, out, NULL, msg, sizeof msg), 0);
        size_t m;
        int rate;
        float *y = read_left(out, &m, &rate);
        const double level = rms(y + on + 12000, 9600), p = SR / f0[k];
        long loud = -1, pitched = -1;
        for (size_t t = on - 4800; t + 64 + 2 * (size_t)p + 256 < m && pitched < 0; t += 16) {
            const int l = rms(y + t, 64) > level * 0.1;
            loud = l && loud < 0 ? (long)t : loud;
            pitched = l && periodic_at(y, t, p) >= 0.9 ? (long)t : -1;
        }
        const double burst = loud >= 0 && pitched > loud ? rms(y + loud, (size_t)(pitched - loud))
                                                         : 0.0;
        printf("  %.0f Hz: output loud %ld frames after the input's onset, pitched %ld frames "
               "after it (bound %ld); before that %.1f dB re the note\n", f0[k],
               loud - (long)on, pitched - (long)on, onset_bound[k],
               20 * log10(burst / level + 1e-12));
        assert_true(loud >= (long)on && pitched >= loud);
        assert_true(pitched - (long)on <= onset_bound[k]);
        free(x);
        free(y);
    }
}

static void expect_fail(const char *in, const char *preset, const char *text)
{
    char out[600], msg[2048];
    path_in(out, sizeof out, "bad-out.wav");
    const int rc = transfer(in, out, preset, msg, sizeof msg);
    printf("  exit %d: %s", rc, msg);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(msg, text));
    assert_int_equal(access(out, F_OK), -1); /* nothing half-written left */
}

static void cli_bad_input(void **state)
{
    (void)state;
    char p[600], preset[4096];
    path_in(p, sizeof p, "not-audio.wav");
    FILE *f = fopen(p, "w");
    fputs("RIFF this is not a wave file at all", f);
    fclose(f);
    expect_fail(p, NULL, "not an audio file");
    path_in(p, sizeof p, "missing.wav");
    expect_fail(p, NULL, "cannot open");
    float z[16] = {0};
    path_in(p, sizeof p, "empty.wav");
    write_wav(p, z, 0, 1, 48000);
    expect_fail(p, NULL, "no audio frames");
    path_in(p, sizeof p, "4k.wav");
    write_wav(p, z, 16, 1, 4000);
    expect_fail(p, NULL, "sample rate 4000 Hz");
    path_in(p, sizeof p, "ok.wav");
    write_wav(p, z, 16, 1, 48000);
    preset_path(preset, sizeof preset, "default"); /* the harmonic synth: no input */
    expect_fail(p, preset, "cannot follow an audio input");
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--cli") == 0) {
        g_gbac = argv[2];
        if (gbt_tmpdir(g_dir, sizeof g_dir, "transfer") != 0)
            return 1;
        const struct CMUnitTest cli[] = {cmocka_unit_test(cli_transfer),
                                         cmocka_unit_test(cli_pitched_onset),
                                         cmocka_unit_test(cli_bad_input)};
        const int rc = cmocka_run_group_tests(cli, NULL, NULL);
        gbt_rm_rf(g_dir);
        return rc;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(note_follows_the_input),
        cmocka_unit_test(onset_noise_burst),
        cmocka_unit_test(noise_drives_the_noise_bands),
        cmocka_unit_test(bad_input_stays_finite),
        cmocka_unit_test(block_size_does_not_matter),
        cmocka_unit_test(process_does_not_allocate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
