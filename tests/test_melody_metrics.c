/* test_melody_metrics.c — the melody metrics (models/gb_melody_metrics.c) on hand-made token
 * phrases with known answers.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "gb_melody_ds.h"
#include "gb_melody_metrics.h"

#define P(m) ((uint8_t)(GB_MDS_PITCH_BASE + (m) - GB_MDS_PITCH_LO))
#define H GB_MDS_HOLD
#define R GB_MDS_REST

/* C major scale C4..C5 in 8th notes: 16 steps, pitch + hold. */
static void c_major(uint8_t *t, int shift)
{
    static const int sc[8] = {60, 62, 64, 65, 67, 69, 71, 72};
    for (int i = 0; i < 8; i++) {
        t[2 * i] = P(sc[i] + shift);
        t[2 * i + 1] = H;
    }
}

static void scale_features(void **state)
{
    (void)state;
    uint8_t t[16];
    gb_mm_features_t f;
    c_major(t, 0);
    gb_mm_features(t, 16, &f);
    assert_int_equal(f.pitch_count, 8);
    assert_int_equal(f.note_count, 8);
    assert_int_equal(f.pitch_range, 12);
    assert_true(fabs(f.avg_ioi - 2.0) < 1e-12);
    /* intervals 2,2,1,2,2,2,1 = 12 over 7 */
    assert_true(fabs(f.avg_interval - 12.0 / 7.0) < 1e-12);
    assert_true(fabs(f.pc_hist[0] - 0.25) < 1e-12); /* C twice of 8 */
    assert_true(fabs(f.pc_hist[2] - 0.125) < 1e-12);
    assert_true(f.pc_hist[1] == 0.0);
    assert_true(fabs(f.nl_hist[1] - 1.0) < 1e-12); /* all two steps long */
    assert_true(fabs(f.pc_trans[0 * 12 + 2] - 1.0 / 7.0) < 1e-12); /* C -> D */
    assert_true(fabs(gb_mm_scale_consistency(f.pc_hist) - 1.0) < 1e-12);
}

static void rests_holds_and_pads(void **state)
{
    (void)state;
    /* hold after a rest is silence; pads skipped; a note tied over the pad */
    uint8_t t[8] = {R, H, P(60), H, GB_MDS_PAD, H, R, P(61)};
    gb_mm_features_t f;
    gb_mm_features(t, 8, &f);
    assert_int_equal(f.note_count, 2);
    assert_int_equal(f.pitch_range, 1);
    assert_true(fabs(f.nl_hist[2] - 0.5) < 1e-12); /* 60 lasts 3 steps */
    assert_true(fabs(f.nl_hist[0] - 0.5) < 1e-12);
    assert_true(fabs(f.avg_ioi - 4.0) < 1e-12);
    assert_true(fabs(gb_mm_scale_consistency(f.pc_hist) - 1.0) < 1e-12); /* C# major has C */
    uint8_t e[4] = {R, R, H, R};
    gb_mm_features(e, 4, &f);
    assert_int_equal(f.note_count, 0);
    assert_true(gb_mm_scale_consistency(f.pc_hist) == 0.0);
}

static void entropy(void **state)
{
    (void)state;
    double h[12] = {0};
    static const int maj[7] = {0, 2, 4, 5, 7, 9, 11};
    for (int i = 0; i < 7; i++)
        h[maj[i]] = 1.0 / 7.0;
    assert_true(fabs(gb_mm_pc_entropy(h) - log2(7.0)) < 1e-12);
    assert_true(fabs(gb_mm_scale_consistency(h) - 1.0) < 1e-12);
    double one[12] = {0};
    one[3] = 1.0;
    assert_true(gb_mm_pc_entropy(one) == 0.0);
    for (int i = 0; i < 12; i++)
        h[i] = 1.0 / 12.0;
    assert_true(fabs(gb_mm_pc_entropy(h) - log2(12.0)) < 1e-12);
    assert_true(fabs(gb_mm_scale_consistency(h) - 7.0 / 12.0) < 1e-12);
}

static void distances(void **state)
{
    (void)state;
    uint8_t a[16], b[16];
    c_major(a, 0);
    c_major(b, 2);
    gb_mm_features_t fa, fb;
    gb_mm_features(a, 16, &fa);
    gb_mm_features(b, 16, &fb);
    assert_true(gb_mm_feature_distance(&fa, &fb, 0) == 0.0);
    assert_true(gb_mm_feature_distance(&fa, &fb, 3) == 0.0);
    assert_true(gb_mm_feature_distance(&fa, &fb, 1) > 0.1);
    assert_true(gb_mm_feature_distance(&fa, &fa, 2) == 0.0);
    assert_non_null(gb_mm_feature_name(GB_MM_N_FEATURES - 1));
    assert_null(gb_mm_feature_name(GB_MM_N_FEATURES));
    assert_true(isnan(gb_mm_feature_distance(&fa, &fb, GB_MM_N_FEATURES)));
}

static void overlap(void **state)
{
    (void)state;
    double a[200], b[200], kl;
    for (int i = 0; i < 200; i++) {
        a[i] = sin(i * 0.7) + 0.01 * i;
        b[i] = a[i] + 100.0;
    }
    double oa = gb_mm_overlap(a, 200, a, 200, &kl);
    assert_true(fabs(oa - 1.0) < 1e-9);
    assert_true(fabs(kl) < 1e-9);
    oa = gb_mm_overlap(a, 200, b, 200, &kl);
    assert_true(oa < 1e-6);
    assert_true(kl > 5.0);
    /* half-shifted: in between */
    for (int i = 0; i < 200; i++)
        b[i] = a[i] + 0.5;
    oa = gb_mm_overlap(a, 200, b, 200, NULL);
    assert_true(oa > 0.2 && oa < 0.95);
    /* constant samples (zero spread) */
    double c[3] = {1, 1, 1};
    assert_true(fabs(gb_mm_overlap(c, 3, c, 3, NULL) - 1.0) < 1e-9);
    assert_true(isnan(gb_mm_overlap(a, 0, b, 3, &kl)) && isnan(kl));
}

static void novelty(void **state)
{
    (void)state;
    uint8_t tr[3][16], x[16], y[16], z[16];
    c_major(tr[0], 0);
    c_major(tr[1], 5);
    memset(tr[2], R, 16);
    tr[2][0] = P(70);
    uint64_t hx[3], ht[3];
    for (int i = 0; i < 3; i++) {
        hx[i] = gb_mm_hash(tr[i], 16, 0);
        ht[i] = gb_mm_hash(tr[i], 16, 1);
    }
    gb_mm_hash_sort(hx, 3);
    gb_mm_hash_sort(ht, 3);
    c_major(x, 0); /* exact copy */
    c_major(y, 3); /* transposed copy */
    c_major(z, 0);
    z[15] = P(74); /* changed */
    assert_int_equal(gb_mm_hash_find(hx, 3, gb_mm_hash(x, 16, 0)), 1);
    assert_int_equal(gb_mm_hash_find(ht, 3, gb_mm_hash(x, 16, 1)), 1);
    assert_int_equal(gb_mm_hash_find(hx, 3, gb_mm_hash(y, 16, 0)), 0);
    assert_int_equal(gb_mm_hash_find(ht, 3, gb_mm_hash(y, 16, 1)), 1);
    assert_int_equal(gb_mm_hash_find(hx, 3, gb_mm_hash(z, 16, 0)), 0);
    assert_int_equal(gb_mm_hash_find(ht, 3, gb_mm_hash(z, 16, 1)), 0);
    /* the same tokens in a shorter bar are not a copy */
    assert_int_equal(gb_mm_hash_find(hx, 3, gb_mm_hash(x, 12, 0)), 0);
    assert_int_equal(gb_mm_hash_find(hx, 0, hx[0]), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scale_features), cmocka_unit_test(rests_holds_and_pads),
        cmocka_unit_test(entropy),        cmocka_unit_test(distances),
        cmocka_unit_test(overlap),        cmocka_unit_test(novelty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
