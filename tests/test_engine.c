/* test_engine.c — the engine and the harmonic synth: pitch, sample-accurate onsets, block-size
 * independence, polyphony and stealing, aliasing, parameters. Numbers, not impressions.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gb_engine_util.h"

#define SECOND 48000u

static float *zbuf(uint32_t n) { return calloc(n, sizeof(float)); }

static void test_a4_is_440_hz_and_bend_moves_it_two_semitones(void **state)
{
    (void)state;
    gb_preset_t *p = gbt_rack(16, NULL, 0);
    gb_engine_t *e = gbt_engine(p, 64);
    assert_non_null(e);
    float *l = zbuf(2 * SECOND), *r = zbuf(2 * SECOND);
    gbp_event_t ev[2] = {gbt_ev(0, GBP_EV_NOTE_ON, 69, 0.8f, 0),
                         gbt_ev(SECOND, GBP_EV_PITCH_BEND, 0, 1.0f, 0)};
    gbt_render(e, ev, 2, l, r, 2 * SECOND, 64);
    /* Skip the attack and the bend's control-rate step; analyse 0.5 s of steady tone. */
    double f = gbt_peak_hz(l + SECOND / 4, SECOND / 2, 300, 600);
    double fb = gbt_peak_hz(l + SECOND + SECOND / 4, SECOND / 2, 300, 600);
    printf("A4: %.3f Hz, bent +2 semitones: %.3f Hz\n", f, fb);
    assert_true(fabs(f - 440.0) <= 1.0);
    assert_true(fabs(fb - 493.883) <= 1.0);
    gb_engine_free(e);
    free(p);
    free(l);
    free(r);
}

static void test_note_starts_on_its_frame(void **state)
{
    (void)state;
    gb_preset_t *p = gbt_rack(16, NULL, 0);
    gb_engine_t *e = gbt_engine(p, 64);
    float *l = zbuf(4096), *r = zbuf(4096);
    gbp_event_t ev = gbt_ev(1000, GBP_EV_NOTE_ON, 60, 0.7f, 0);
    gbt_render(e, &ev, 1, l, r, 4096, 64);
    int first = -1;
    for (int i = 0; i < 4096 && first < 0; i++)
        if (l[i] != 0.0f)
            first = i;
    printf("first non-zero sample at frame %d\n", first);
    assert_int_equal(first, 1000);
    gb_engine_free(e);
    free(p);
    free(l);
    free(r);
}

/* The same events rendered in blocks of 64, 1 and 37 give bit-identical output. */
static void test_block_size_does_not_change_output(void **state)
{
    (void)state;
    gb_preset_t *p = gbt_rack(16, NULL, 0);
    const uint32_t n = SECOND / 2;
    gbp_event_t ev[] = {
        gbt_ev(0, GBP_EV_NOTE_ON, 60, 0.9f, 0),      gbt_ev(1000, GBP_EV_NOTE_ON, 64, 0.5f, 0),
        gbt_ev(2345, GBP_EV_PITCH_BEND, 0, 0.3f, 0), gbt_ev(3001, GBP_EV_CC, 0, 0.8f, 1),
        gbt_ev(5003, GBP_EV_NOTE_OFF, 60, 0.0f, 0),  gbt_ev(7777, GBP_EV_PRESSURE, 0, 0.6f, 0),
        gbt_ev(9000, GBP_EV_NOTE_ON, 67, 1.0f, 0),   gbt_ev(15001, GBP_EV_NOTE_OFF, 64, 0, 0),
    };
    const int nev = (int)(sizeof ev / sizeof ev[0]);
    float *ref = NULL;
    const uint32_t blocks[] = {64, 1, 37, 1024};
    for (int b = 0; b < 4; b++) {
        gb_engine_t *e = gbt_engine(p, 1024);
        float *l = zbuf(n), *r = zbuf(n);
        gbt_render(e, ev, nev, l, r, n, blocks[b]);
        if (!ref) {
            ref = l;
        } else {
            int diff = -1;
            for (uint32_t i = 0; i < n && diff < 0; i++)
                if (memcmp(&l[i], &ref[i], sizeof(float)) != 0)
                    diff = (int)i;
            printf("block %u vs 64: first differing frame %d\n", blocks[b], diff);
            assert_int_equal(diff, -1);
            free(l);
        }
        free(r);
        gb_engine_free(e);
    }
    free(ref);
    free(p);
}

/* 17 notes with polyphony 16: exactly 16 sound, and the stolen voice fades without a click:
 * around the steal the largest sample-to-sample step stays within the steps the 16 steady
 * voices make anyway (a voice cut off dead adds a step as large as its amplitude). The
 * stolen voice is the oldest (all are equally loud): A3, 220 Hz, started at frame 0 in cosine
 * phase, so at the steal (frame 24000 = 110 periods) it is at its peak, the worst moment. */
static void test_seventeen_notes_sixteen_voices_no_click(void **state)
{
    (void)state;
    const uint32_t n = SECOND, steal = SECOND / 2;
    gbp_event_t ev[17];
    ev[0] = gbt_ev(0, GBP_EV_NOTE_ON, 57, 1.0f, 0);
    for (int i = 1; i < 16; i++)
        ev[i] = gbt_ev(100u * (uint32_t)i, GBP_EV_NOTE_ON, 59 + i, 1.0f, 0);
    ev[16] = gbt_ev(steal, GBP_EV_NOTE_ON, 40, 1.0f, 0);
    for (int poly = 16; poly <= 17; poly++) {
        gb_preset_t *p = gbt_rack(poly, NULL, 0);
        gbt_param(&p->instrument, "sustain", 1.0f);
        gb_engine_t *e = gbt_engine(p, 64);
        float *l = zbuf(n), *r = zbuf(n);
        gbt_render(e, ev, 17, l, r, n, 64);
        const int voices = gb_engine_active_voices(e);
        printf("polyphony %d: %d voices sounding\n", poly, voices);
        assert_int_equal(voices, poly == 16 ? 16 : 17);
        if (poly == 16) {
            double before = 0, around = 0;
            for (uint32_t i = steal - SECOND / 10; i < steal; i++)
                before = fmax(before, fabs(l[i] - l[i - 1]));
            for (uint32_t i = steal; i < steal + SECOND / 100; i++)
                around = fmax(around, fabs(l[i] - l[i - 1]));
            printf("largest step: steady %.5f, during the steal %.5f\n", before, around);
            assert_true(around <= 1.25 * before);
        }
        free(l);
        free(r);
        gb_engine_free(e);
        free(p);
    }
}

/* A note whose harmonics reach past Nyquist: no energy away from the harmonic series. */
static void test_harmonics_above_nyquist_are_silent(void **state)
{
    (void)state;
    gb_preset_t *p = gbt_rack(16, NULL, 0);
    gbt_param(&p->instrument, "noise_db", -60.0f);
    gbt_param(&p->instrument, "brightness", 1.0f); /* lots of energy in high harmonics */
    gbt_param(&p->instrument, "sustain", 1.0f);    /* a steady tone: no decay sidebands */
    gb_engine_t *e = gbt_engine(p, 64);
    const uint32_t n = SECOND;
    float *l = zbuf(n), *r = zbuf(n);
    gbp_event_t ev = gbt_ev(0, GBP_EV_NOTE_ON, 93, 1.0f, 0); /* A6, 1760 Hz */
    gbt_render(e, &ev, 1, l, r, n, 64);
    /* Spectrum of the steady part; aliases of harmonics 14..64 would land between the
     * harmonics of 1760 Hz. */
    int m = 32768;
    double *in = fftw_alloc_real((size_t)m);
    fftw_complex *out = fftw_alloc_complex((size_t)m / 2 + 1);
    for (int i = 0; i < m; i++)
        in[i] = l[8000 + i] * (0.5 - 0.5 * cos(2 * 3.141592653589793 * i / (m - 1)));
    fftw_plan pl = fftw_plan_dft_r2c_1d(m, in, out, FFTW_ESTIMATE);
    fftw_execute(pl);
    /* Energy within ±10 Hz of where harmonics 14..64 would alias to, against the energy of
     * the harmonics themselves. */
    double harm = 0, alias = 0;
    for (int k = 1; k < m / 2; k++) {
        double f = k * GBT_SR / m, m2 = out[k][0] * out[k][0] + out[k][1] * out[k][1];
        double h = f / 1760.0;
        if (fabs(h - round(h)) * 1760.0 < 10.0 && round(h) >= 1)
            harm += m2;
        for (int j = 14; j <= 64; j++) {
            double fa = fabs(GBT_SR * round(j * 1760.0 / GBT_SR) - j * 1760.0);
            if (fabs(f - fa) < 10.0 && fabs(fa / 1760.0 - round(fa / 1760.0)) * 1760.0 > 20.0)
                alias += m2;
        }
    }
    double db = 10 * log10((alias + 1e-30) / harm);
    printf("energy where harmonics above Nyquist would alias: %.1f dB\n", db);
    assert_true(db < -80.0); /* without the Nyquist fade: about -14 dB */
    fftw_destroy_plan(pl);
    fftw_free(in);
    fftw_free(out);
    gb_engine_free(e);
    free(p);
    free(l);
    free(r);
}

/* A parameter event changes the level on its frame: master gain −20 dB at frame 24000. */
static void test_param_event_takes_effect(void **state)
{
    (void)state;
    gb_preset_t *p = gbt_rack(16, NULL, 0);
    gbt_param(&p->instrument, "sustain", 1.0f);
    gb_engine_t *e = gbt_engine(p, 64);
    int32_t h = gb_engine_param_find(e, "master/gain_db");
    assert_true(h >= 0);
    assert_true(gb_engine_param_find(e, "synth/attack_ms") >= 0);
    assert_true(gb_engine_param_find(e, "synth/nope") < 0);
    assert_true(gb_engine_param_find(e, "nope") < 0);
    const uint32_t n = SECOND;
    float *l = zbuf(n), *r = zbuf(n);
    gbp_event_t ev[2] = {gbt_ev(0, GBP_EV_NOTE_ON, 57, 1.0f, 0),
                         gbt_ev(24000, GBP_EV_PARAM, 0, -20.0f, (uint32_t)h)};
    gbt_render(e, ev, 2, l, r, n, 64);
    double a = 0, b = 0;
    for (uint32_t i = 12000; i < 22000; i++)
        a = fmax(a, fabs(l[i]));
    for (uint32_t i = 36000; i < 46000; i++)
        b = fmax(b, fabs(l[i]));
    printf("peak before %.4f after %.4f: %.2f dB\n", a, b, 20 * log10(b / a));
    assert_true(fabs(20 * log10(b / a) + 20.0) < 0.5);
    assert_true(fabs(gb_engine_param_get(e, h) + 20.0f) < 1e-6f);
    gb_engine_free(e);
    free(p);
    free(l);
    free(r);
}

static void test_same_input_same_output(void **state)
{
    (void)state;
    gb_preset_t *p = gbt_rack(16, NULL, 0);
    const uint32_t n = SECOND / 4;
    gbp_event_t ev[] = {gbt_ev(0, GBP_EV_NOTE_ON, 50, 0.7f, 0),
                        gbt_ev(300, GBP_EV_NOTE_ON, 57, 0.7f, 0)};
    float *x[2];
    for (int k = 0; k < 2; k++) {
        gb_engine_t *e = gbt_engine(p, 256);
        float *r = zbuf(n);
        x[k] = zbuf(n);
        gbt_render(e, ev, 2, x[k], r, n, 256);
        free(r);
        gb_engine_free(e);
    }
    assert_memory_equal(x[0], x[1], n * sizeof(float));
    free(x[0]);
    free(x[1]);
    free(p);
}

/* A loud rack (16 notes at +12 dB into delay and reverb) through the limiter: no sample above
 * the ceiling (−0.3 dBFS by default, so below 0 dBFS), none NaN or infinite — also when a
 * parameter event carries NaN. */
static void test_limiter_keeps_the_output_below_0_dbfs(void **state)
{
    (void)state;
    const gbp_descriptor_t *fx[] = {&gb_unit_delay, &gb_unit_reverb, &gb_unit_limiter};
    gb_preset_t *p = gbt_rack(16, fx, 3);
    gbt_param(&p->instrument, "gain_db", 12.0f);
    gbt_param(&p->instrument, "sustain", 1.0f);
    gbt_param(&p->effects[0], "feedback", 0.9f);
    gb_engine_t *e = gbt_engine(p, 128);
    const uint32_t n = 2 * SECOND;
    gbp_event_t ev[18];
    for (int i = 0; i < 16; i++)
        ev[i] = gbt_ev((uint32_t)i * 50u, GBP_EV_NOTE_ON, 36 + 2 * i, 1.0f, 0);
    ev[16] = gbt_ev(SECOND, GBP_EV_PARAM, 0, NAN, (uint32_t)gb_engine_param_find(e, "fx0/mix"));
    ev[17] = gbt_ev(SECOND + 7, GBP_EV_PARAM, 0, 1e30f,
                    (uint32_t)gb_engine_param_find(e, "synth/gain_db"));
    float *l = zbuf(n), *r = zbuf(n);
    gbt_render(e, ev, 18, l, r, n, 128);
    double peak = 0;
    int bad = 0;
    for (uint32_t i = 0; i < n; i++) {
        bad += !isfinite(l[i]) || !isfinite(r[i]);
        peak = fmax(peak, fmax(fabs(l[i]), fabs(r[i])));
    }
    printf("peak after the limiter %.6f (%.2f dBFS), non-finite samples %d\n", peak,
           20 * log10(peak), bad);
    assert_int_equal(bad, 0);
    assert_true(peak <= pow(10.0, -0.3 / 20.0) + 1e-6);
    assert_true(peak > 0.5); /* it was driven into limiting */
    gb_engine_free(e);
    free(p);
    free(l);
    free(r);
}

/* After gb_engine_reset() the same input renders the same output again, through a full rack
 * (every unit's reset forgets its notes and tails). */
static void test_reset_renders_the_same_again(void **state)
{
    (void)state;
    const gbp_descriptor_t *fx[] = {&gb_unit_delay, &gb_unit_reverb, &gb_unit_limiter};
    gb_preset_t *p = gbt_rack(16, fx, 3);
    const uint32_t n = SECOND / 2;
    gbp_event_t ev[] = {gbt_ev(0, GBP_EV_NOTE_ON, 50, 0.7f, 0),
                        gbt_ev(3000, GBP_EV_PITCH_BEND, 0, 0.5f, 0),
                        gbt_ev(9000, GBP_EV_NOTE_OFF, 50, 0.0f, 0)};
    gb_engine_t *e = gbt_engine(p, 256);
    float *x[2], *r = zbuf(n);
    for (int k = 0; k < 2; k++) {
        x[k] = zbuf(n);
        gbt_render(e, ev, 3, x[k], r, n, 256);
        gb_engine_reset(e);
    }
    int diff = -1;
    for (uint32_t i = 0; i < n && diff < 0; i++)
        if (x[0][i] != x[1][i])
            diff = (int)i;
    printf("second render after reset: first differing frame %d\n", diff);
    assert_int_equal(diff, -1);
    free(x[0]);
    free(x[1]);
    free(r);
    gb_engine_free(e);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a4_is_440_hz_and_bend_moves_it_two_semitones),
        cmocka_unit_test(test_note_starts_on_its_frame),
        cmocka_unit_test(test_block_size_does_not_change_output),
        cmocka_unit_test(test_seventeen_notes_sixteen_voices_no_click),
        cmocka_unit_test(test_harmonics_above_nyquist_are_silent),
        cmocka_unit_test(test_param_event_takes_effect),
        cmocka_unit_test(test_same_input_same_output),
        cmocka_unit_test(test_reset_renders_the_same_again),
        cmocka_unit_test(test_limiter_keeps_the_output_below_0_dbfs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
