/* test_oscbank_noise.c — the oscillator bank's noise: the int16 noise tables hold unit-RMS
 * bands (silent above Nyquist) with no saturated sample, and a voice rendered with one noise
 * band at gain g has RMS g in every kernel family, whatever the table's int16 scaling.
 * SPDX-License-Identifier: GPL-3.0-or-later
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

#include "gb_oscbank.h"

#define SR 48000.0

/* At sample rate sr: bands below Nyquist unit RMS, the others silent; returns how many
 * are audible. */
static int gb_check_tables(double sr)
{
    gb_error_t err = {0};
    gb_noise_tables_t *t = gb_noise_tables_new(sr, 7u, &err);
    assert_non_null(t);
    const int16_t *d = gb_noise_tables_data(t);
    int audible = 0;
    for (int b = 0; b < GB_TIMBRE_BANDS; b++) {
        double ss = 0, peak = 0;
        int sat = 0;
        for (int i = 0; i < GB_NOISE_TABLE_LEN; i++) {
            const float v = gb_noise_tables_at(t, i, b);
            assert_true(v == GB_NOISE_STEP * d[(size_t)i * GB_TIMBRE_BANDS + b]);
            ss += (double)v * v;
            peak = fmax(peak, fabs(v));
            sat += abs(d[(size_t)i * GB_TIMBRE_BANDS + b]) >= 32767;
        }
        const double rms = sqrt(ss / GB_NOISE_TABLE_LEN);
        const int below = gb_timbre_band_edge(b) < 0.5 * sr;
        printf("  %5.0f Hz, band %2d (%7.0f Hz..): rms %.5f, peak %.2f\n", sr, b,
               gb_timbre_band_edge(b), rms, peak);
        assert_int_equal(sat, 0);
        if (below) {
            assert_true(fabs(rms - 1.0) < 1e-3); /* int16 steps of 2^-12 */
            audible++;
        } else {
            assert_true(rms == 0.0);
        }
    }
    gb_noise_tables_free(t);
    return audible;
}

static void test_tables_are_unit_rms_and_never_saturate(void **state)
{
    (void)state;
    assert_int_equal(gb_check_tables(SR), GB_TIMBRE_BANDS);
    const int n16 = gb_check_tables(16000.0);
    assert_true(n16 > 20 && n16 < GB_TIMBRE_BANDS); /* the top bands are above 8 kHz */
}

static void test_one_noise_band_renders_at_its_gain_every_family(void **state)
{
    (void)state;
    gb_noise_tables_t *t = gb_noise_tables_new(SR, 7u, NULL);
    assert_non_null(t);
    enum { PERIOD = 32, PERIODS = 600, BAND = 17 };
    const float gain = 0.125f;
    float harm[GB_TIMBRE_HARMONICS] __attribute__((aligned(64))) = {0};
    float noise[GB_TIMBRE_BANDS] __attribute__((aligned(64))) = {0};
    noise[BAND] = gain;
    float *out = calloc(PERIOD * PERIODS, sizeof *out);
    gb_oscbank_t *b = aligned_alloc(64, GB_ROUND_UP(sizeof *b, 64));
    double first_rms = -1;
    for (int s = 0; s < GB_SIMD_COUNT; s++) {
        gb_oscbank_render_fn render = gb_oscbank_render_for((gb_simd_t)s);
        gb_oscbank_targets_fn targets = gb_oscbank_targets_for((gb_simd_t)s);
        if (!render || !targets)
            continue;
        gb_oscbank_start(b, 1234u);
        memset(out, 0, sizeof(float) * PERIOD * PERIODS);
        for (int p = 0; p < PERIODS; p++) {
            targets(b, harm, noise, 220.0, SR, PERIOD);
            render(b, gb_noise_tables_data(t), out + p * PERIOD, PERIOD);
        }
        double ss = 0; /* after the first period's ramp, the gain is constant */
        for (int i = PERIOD; i < PERIOD * PERIODS; i++)
            ss += (double)out[i] * out[i];
        const double rms = sqrt(ss / (PERIOD * (PERIODS - 1)));
        /* expected: gain × the band's RMS over this stretch of the table */
        double ts = 0;
        for (int i = PERIOD; i < PERIOD * PERIODS; i++) {
            const double v = gb_noise_tables_at(t, 1234 + i, BAND);
            ts += v * v;
        }
        const double want = gain * sqrt(ts / (PERIOD * (PERIODS - 1)));
        printf("  [%s] rms %.6f, expected %.6f\n", gb_simd_name((gb_simd_t)s), rms, want);
        assert_true(fabs(rms - want) < 1e-5);
        first_rms = first_rms < 0 ? rms : first_rms;
        assert_true(fabs(rms - first_rms) < 1e-6);
    }
    assert_true(first_rms > 0);
    free(b);
    free(out);
    gb_noise_tables_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_are_unit_rms_and_never_saturate),
        cmocka_unit_test(test_one_noise_band_renders_at_its_gain_every_family),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
