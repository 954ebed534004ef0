/* test_pitch_track.c — the live f0 and loudness tracker (dsp/gb_pitch_track.h).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   test_pitch_track              synthesised notes A1..C7: cents, octave errors, onset
 *                                 latency; notes and noise bursts: voiced/unvoiced decisions;
 *                                 bad input; no allocation; bad configs
 *   test_pitch_track --fluidsynth FluidR3 notes A1..C7 (piano, and a few other programs on
 *                                 their own ranges); skipped, saying why, without the SF2
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fluidsynth.h>

#include "gb_alloc_count.h"
#include "gb_analysis.h"
#include "gb_pitch_track.h"

#define SR 48000.0
#define HOP 64

static uint64_t g_rng = 88172645463325252ull;
static double rnd(void) /* uniform in [0, 1) */
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (double)(g_rng >> 11) / 9007199254740992.0;
}

static double key_hz(int key) { return 440.0 * pow(2.0, (key - 69) / 12.0); }

/* A harmonic tone (1/k amplitudes up to 0.45·SR, random phases), peak about amp. */
static void tone(float *x, size_t n, double f0, double amp)
{
    double ph[128];
    int K = 0;
    while (K < 128 && (K + 1) * f0 < 0.45 * SR)
        ph[K++] = 2.0 * M_PI * rnd();
    for (size_t i = 0; i < n; i++) {
        double v = 0.0;
        for (int k = 0; k < K; k++)
            v += sin(2.0 * M_PI * f0 * (k + 1) * (double)i / SR + ph[k]) / (k + 1);
        x[i] = (float)(amp * 0.5 * v);
    }
}

static void noise(float *x, size_t n, double amp)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * (2.0 * rnd() - 1.0));
}

static gb_pitch_track_t *tracker(void)
{
    gb_pitch_track_config_t c = gb_pitch_track_config_default(SR);
    gb_error_t err = {0};
    gb_pitch_track_t *t = gb_pitch_track_new(&c, &err);
    assert_non_null(t);
    return t;
}

typedef struct score {
    long voiced, steady, in_tune, octave, wrong;
    double worst_cents;
    float f0[1024]; /* voiced steady estimates (for the median) */
} score_t;

static int cmp_float(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* Track x (the note f0 from frame `on` on, silence before); score the hops whose newest
 * sample is at least `settle` frames after the onset. Returns the onset latency in frames:
 * from the onset to the end of the first hop voiced within 50 cents (−1: never). */
static long track_note(const float *x, size_t n, size_t on, double f0, size_t settle,
                       score_t *s)
{
    gb_pitch_track_t *t = tracker();
    long latency = -1;
    for (size_t i = 0; i + HOP <= n; i += HOP) {
        gb_pitch_track_push(t, x + i, HOP);
        const gb_pitch_est_t *e = gb_pitch_track_est(t);
        const size_t end = i + HOP;
        const double cents = e->voiced ? 1200.0 * log2(e->f0_hz / f0) : 0.0;
        if (end > on && latency < 0 && e->voiced && fabs(cents) < 50.0)
            latency = (long)(end - on);
        if (end < on + settle)
            continue;
        s->steady++;
        if (!e->voiced)
            continue;
        if (s->voiced < 1024)
            s->f0[s->voiced] = e->f0_hz;
        s->voiced++;
        const double oct = round(cents / 1200.0);
        if (oct != 0.0 && fabs(cents - 1200.0 * oct) < 100.0)
            s->octave++;
        else if (fabs(cents) <= 10.0)
            s->in_tune++;
        else
            s->wrong++;
        if (oct == 0.0 && fabs(cents) > s->worst_cents)
            s->worst_cents = fabs(cents);
    }
    gb_pitch_track_free(t);
    return latency;
}

static void synth_notes_in_tune(void **state)
{
    (void)state;
    const size_t on = 4800, n = on + 24000; /* 0.1 s silence, 0.5 s note */
    float *x = calloc(n, sizeof *x);
    score_t s = {0};
    long worst_lat = 0;
    for (int key = 33; key <= 96; key += 3) { /* A1 .. C7 */
        memset(x, 0, sizeof(float) * on);
        tone(x + on, n - on, key_hz(key), 0.5);
        score_t k = {0};
        const long lat = track_note(x, n, on, key_hz(key), 4800, &k);
        printf("  key %2d %7.1f Hz: onset %4ld frames, %ld/%ld voiced, %ld in tune, worst "
               "%.2f cents, %ld octave errors\n", key, key_hz(key), lat, k.voiced, k.steady,
               k.in_tune, k.worst_cents, k.octave);
        assert_true(lat > 0);
        worst_lat = lat > worst_lat ? lat : worst_lat;
        assert_int_equal(k.voiced, k.steady);
        assert_int_equal(k.in_tune, k.voiced);
        s.octave += k.octave;
    }
    assert_int_equal(s.octave, 0);
    free(x);
}

/* Onset latency from silence: A2 .. A6, asserted per octave (about 2.5 periods + a hop). */
static void onset_latency(void **state)
{
    (void)state;
    const size_t on = 9600, n = on + 9600;
    float *x = calloc(n, sizeof *x);
    static const int keys[] = {45, 57, 69, 81, 93};
    static const long bound[] = {1600, 900, 512, 384, 320}; /* frames at 48 kHz */
    for (int i = 0; i < 5; i++) {
        memset(x, 0, sizeof(float) * n);
        tone(x + on, n - on, key_hz(keys[i]), 0.3);
        score_t s = {0};
        const long lat = track_note(x, n, on, key_hz(keys[i]), 2400, &s);
        printf("  key %d (%.1f Hz): voiced and in tune %ld frames (%.2f ms) after the onset\n",
               keys[i], key_hz(keys[i]), lat, lat / SR * 1e3);
        assert_true(lat > 0);
        assert_true(lat <= bound[i]);
    }
    free(x);
}

/* Notes (A2..A5) and noise bursts in turns with short silences: the voiced/unvoiced
 * decision per hop against the truth (the segment the hop ends in), hops within 20 ms
 * after a boundary not scored (the window still holds the previous segment). */
static void voicing_notes_and_noise(void **state)
{
    (void)state;
    const size_t seg = 14400, gap = 2400, n = 16 * (seg + gap); /* 0.3 s segments, 50 ms gaps */
    float *x = calloc(n, sizeof *x);
    unsigned char *truth = calloc(n, 1);
    for (int s = 0; s < 16; s++) {
        const size_t a = (size_t)s * (seg + gap) + gap;
        if (s % 2 == 0) {
            tone(x + a, seg, key_hz(45 + 3 * (s / 2) + (s / 2) % 3 * 4), 0.1 + 0.05 * (s % 5));
            memset(truth + a, 1, seg);
        } else {
            noise(x + a, seg, 0.02 + 0.1 * (s % 3));
        }
    }
    gb_pitch_track_t *t = tracker();
    long scored = 0, right = 0, false_v = 0, missed = 0;
    size_t last_change = 0;
    for (size_t i = 0; i + HOP <= n; i += HOP) {
        for (size_t j = i; j < i + HOP; j++)
            if (j > 0 && truth[j] != truth[j - 1])
                last_change = j;
        if (x[i] == 0.0f && i > 0 && x[i - 1] == 0.0f && truth[i] == 0 && i - last_change < 2)
            last_change = i;
        gb_pitch_track_push(t, x + i, HOP);
        const size_t end = i + HOP - 1;
        if (end - last_change < 960)
            continue;
        const gb_pitch_est_t *e = gb_pitch_track_est(t);
        scored++;
        right += e->voiced == truth[end];
        false_v += e->voiced && !truth[end];
        missed += !e->voiced && truth[end];
    }
    printf("  %ld of %ld hops right (%.2f%%): %ld noise/silence hops called voiced, %ld note "
           "hops unvoiced\n", right, scored, 100.0 * right / scored, false_v, missed);
    assert_true(scored > 2000);
    assert_true(right >= 0.95 * scored);
    gb_pitch_track_free(t);
    free(x);
    free(truth);
}

/* Silence, DC, NaN, full-scale noise: finite, defined, unvoiced; a note after them works. */
static void bad_input_stays_defined(void **state)
{
    (void)state;
    gb_pitch_track_t *t = tracker();
    float x[4096];
    const char *what[4] = {"silence", "DC 0.9", "NaN and Inf", "full-scale noise"};
    for (int c = 0; c < 4; c++) {
        for (int i = 0; i < 4096; i++)
            x[i] = c == 0 ? 0.0f : c == 1 ? 0.9f : c == 2 ? (i % 2 ? NAN : INFINITY)
                                                         : (float)(2.0 * rnd() - 1.0);
        for (int r = 0; r < 4; r++)
            gb_pitch_track_push(t, x, 4096);
        const gb_pitch_est_t *e = gb_pitch_track_est(t);
        printf("  %s: voiced %d, level %.1f dBFS, confidence %.2f\n", what[c], e->voiced,
               e->level_db, e->confidence);
        assert_false(e->voiced);
        assert_true(isfinite(e->level_db) && isfinite(e->confidence) && isfinite(e->f0_hz));
        for (int b = 0; b < GB_TIMBRE_BANDS; b++)
            assert_true(isfinite(e->bands[b]));
        if (c == 3) /* white noise of RMS 1/√3: the bands hold its part in 40 Hz..20 kHz */
        {
            double p = 0.0;
            for (int b = 0; b < GB_TIMBRE_BANDS; b++)
                p += (double)e->bands[b] * e->bands[b];
            const double want = sqrt(1.0 / 3.0 * (GB_TIMBRE_BAND_HI_HZ - GB_TIMBRE_BAND_LO_HZ) /
                                     (0.5 * SR));
            printf("  noise: bands' RMS %.3f (the signal's in %.0f..%.0f Hz: %.3f)\n", sqrt(p),
                   GB_TIMBRE_BAND_LO_HZ, GB_TIMBRE_BAND_HI_HZ, want);
            assert_true(fabs(sqrt(p) - want) < 0.03);
        }
    }
    tone(x, 4096, 440.0, 0.5);
    gb_pitch_track_push(t, x, 4096);
    assert_true(gb_pitch_track_est(t)->voiced);
    assert_true(fabs(1200.0 * log2(gb_pitch_track_est(t)->f0_hz / 440.0)) < 10.0);
    gb_pitch_track_free(t);
}

static void push_does_not_allocate(void **state)
{
    (void)state;
    gb_skip_if_not_interposed();
    gb_pitch_track_t *t = tracker();
    float x[64];
    tone(x, 64, 220.0, 0.5);
    gb_arm();
    for (int i = 0; i < 2000; i++)
        gb_pitch_track_push(t, x, 64);
    gb_pitch_track_reset(t);
    gb_pitch_track_push(t, x, 64);
    gb_disarm();
    printf("  2001 hops: %ld allocations, %ld frees\n", gb_n_alloc, gb_n_free);
    assert_int_equal(gb_n_alloc, 0);
    assert_int_equal(gb_n_free, 0);
    gb_pitch_track_free(t);
}

static void bad_config_is_refused(void **state)
{
    (void)state;
    gb_error_t err = {0};
    gb_pitch_track_config_t c = gb_pitch_track_config_default(SR);
    c.window = 1000;
    assert_null(gb_pitch_track_new(&c, &err));
    assert_non_null(strstr(err.msg, "window 1000"));
    c = gb_pitch_track_config_default(1000.0);
    assert_null(gb_pitch_track_new(&c, &err));
    assert_non_null(strstr(err.msg, "sample rate 1000"));
    c = gb_pitch_track_config_default(SR);
    c.f0_max = 30000.0;
    assert_null(gb_pitch_track_new(&c, &err));
    assert_non_null(strstr(err.msg, "f0 range"));
    c = gb_pitch_track_config_default(SR);
    c.struct_size = 4;
    assert_null(gb_pitch_track_new(&c, &err));
}

/* ---- FluidR3 ---------------------------------------------------------------------------- */

static const char *sf2(void)
{
    const char *e = getenv("GBAC_TEST_SF2");
    return e && *e ? e : "/usr/share/sounds/sf2/FluidR3_GM.sf2";
}

/* One note of a FluidR3 program: 0.1 s silence, 0.8 s held, mono (left). */
static void fluid_note(fluid_synth_t *syn, int prog, int key, float *x, size_t n, size_t on)
{
    float r[48000];
    fluid_synth_system_reset(syn);
    fluid_synth_program_change(syn, 0, prog);
    memset(x, 0, sizeof(float) * n);
    fluid_synth_write_float(syn, (int)on, x, 0, 1, r, 0, 1);
    fluid_synth_noteon(syn, 0, key, 100);
    fluid_synth_write_float(syn, (int)(n - on), x, (int)on, 1, r, 0, 1);
    fluid_synth_noteoff(syn, 0, key);
}

static void fluidr3_notes(void **state)
{
    (void)state;
    if (access(sf2(), R_OK) != 0) {
        printf("  %s is missing (apt-get install fluid-soundfont-gm)\n", sf2());
        skip();
    }
    fluid_settings_t *st = new_fluid_settings();
    fluid_settings_setnum(st, "synth.sample-rate", SR);
    fluid_settings_setint(st, "synth.reverb.active", 0);
    fluid_settings_setint(st, "synth.chorus.active", 0);
    fluid_settings_setnum(st, "synth.gain", 1.0);
    fluid_synth_t *syn = new_fluid_synth(st);
    assert_int_not_equal(fluid_synth_sfload(syn, sf2(), 1), FLUID_FAILED);
    /* program, lowest key, highest key, step */
    static const int set[][4] = {{0, 33, 96, 3},   /* piano A1..C7 */
                                 {32, 33, 60, 3},  /* acoustic bass */
                                 {40, 55, 96, 4},  /* violin */
                                 {71, 50, 91, 4},  /* clarinet */
                                 {73, 60, 96, 4},  /* flute */
                                 {56, 52, 82, 5}}; /* trumpet */
    const size_t on = 4800, n = on + 38400;
    float *x = calloc(n, sizeof *x);
    static score_t all, s;
    int notes = 0, off_notes = 0;
    double worst_note = 0.0;
    gb_analysis_config_t ac;
    gb_analysis_config_init(&ac, SR);
    gb_analyzer_t *an = gb_analyzer_new(&ac, NULL);
    assert_non_null(an);
    for (size_t p = 0; p < sizeof set / sizeof set[0]; p++) {
        for (int key = set[p][1]; key <= set[p][2]; key += set[p][3]) {
            fluid_note(syn, set[p][0], key, x, n, on);
            /* The reference: the offline analyser's f0 of the same note (harmonic peaks, a
             * stiff-string fit: FluidR3's samples are not all tuned to the key). */
            gb_note_analysis_t na;
            assert_int_equal(gb_analyze_note(an, x, n, &na, NULL), 0);
            const double ref = na.f0_hz;
            gb_note_analysis_free(&na);
            memset(&s, 0, sizeof s);
            /* steady: 150 ms after the onset to the end of the held note */
            track_note(x, n, on, ref, 7200, &s);
            const long m = s.voiced < 1024 ? s.voiced : 1024;
            qsort(s.f0, (size_t)m, sizeof(float), cmp_float);
            const double med = m ? 1200.0 * log2(s.f0[m / 2] / ref) : 1e9;
            worst_note = fabs(med) > worst_note ? fabs(med) : worst_note;
            off_notes += !(fabs(med) <= 10.0);
            if (s.octave || !(fabs(med) <= 10.0) || s.voiced < s.steady * 9 / 10)
                printf("  program %d key %d (analyser: %.2f Hz, key %+.1f cents): median %+.2f "
                       "cents; %ld/%ld voiced, %ld hops within 10 cents, %ld octave errors\n",
                       set[p][0], key, ref, 1200.0 * log2(ref / key_hz(key)), med, s.voiced,
                       s.steady, s.in_tune, s.octave);
            all.steady += s.steady;
            all.voiced += s.voiced;
            all.in_tune += s.in_tune;
            all.octave += s.octave;
            all.wrong += s.wrong;
            notes++;
        }
    }
    printf("  %d FluidR3 notes: median tracked f0 within ±10 cents of the analyser's on %d "
           "(worst %.2f cents); %ld steady hops, %ld voiced (%.2f%%); of the voiced hops "
           "%.2f%% within ±10 cents (vibrato included), %ld octave errors (%.3f%%)\n", notes,
           notes - off_notes, worst_note, all.steady, all.voiced,
           100.0 * all.voiced / all.steady, 100.0 * all.in_tune / all.voiced, all.octave,
           100.0 * all.octave / all.voiced);
    assert_int_equal(off_notes, 0);
    assert_true(all.voiced >= 0.95 * all.steady);
    assert_true(all.octave < 0.01 * all.voiced);
    gb_analyzer_free(an);
    free(x);
    delete_fluid_synth(syn);
    delete_fluid_settings(st);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--fluidsynth") == 0) {
        const struct CMUnitTest fs[] = {cmocka_unit_test(fluidr3_notes)};
        return cmocka_run_group_tests(fs, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(synth_notes_in_tune),
        cmocka_unit_test(onset_latency),
        cmocka_unit_test(voicing_notes_and_noise),
        cmocka_unit_test(bad_input_stays_defined),
        cmocka_unit_test(push_does_not_allocate),
        cmocka_unit_test(bad_config_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
