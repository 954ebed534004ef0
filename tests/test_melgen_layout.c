/* test_melgen_layout.c — the melody model's feature writers (models/gb_melgen.c,
 * models/gb_melody_c2st.c) write exactly the floats their size names, no more, no fewer, and
 * put each block where its named offset says: for every meter the dataset and the CLI accept,
 * every writer fills a buffer with sentinels before and after it; the sentinels must be intact
 * and every float of the block written (no hole). The block contents are then read back
 * through the GB_MELGEN_MK_* / C_* / K_* / ST_* offsets, so a writer and its offsets cannot
 * drift apart (a critic input of one float more than GB_MELGEN_CRIT_IN overflowed its buffer);
 * and a critic of the layout before that fix (card features version 2) is refused.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gb_melgan.h"
#include "gb_melgen.h"
#include "gb_melody_c2st.h"

#define S GB_MDS_MAX_STEPS
#define GUARD 8
#define SENTINEL (-7777.25f) /* never a feature value */
#define MAX_FLOATS (GB_MELGEN_STEP_IN + GB_MELGEN_CRIT_IN)

/* Every meter with at most GB_MDS_MAX_STEPS 16th steps that `gbac generate melody` and the
 * dataset take, one per meter class at least, and the shortest and longest bars. */
static const int meters[][2] = {{4, 4}, {3, 4}, {6, 8}, {2, 4}, {2, 2}, {5, 4}, {9, 8},
                                {12, 8}, {3, 8}, {1, 4}, {6, 4}, {7, 8}};
#define N_METERS ((int)(sizeof meters / sizeof meters[0]))

typedef struct buf {
    float f[GUARD + MAX_FLOATS + GUARD];
} buf_t;

static float *arm(buf_t *b)
{
    for (size_t i = 0; i < sizeof b->f / sizeof b->f[0]; i++)
        b->f[i] = SENTINEL;
    return b->f + GUARD;
}

/* The writer wrote exactly n floats at the start of b's body: every one of them changed, no
 * guard float before it or float after it changed. */
static void assert_wrote(const buf_t *b, int n, const char *what, int num, int den)
{
    int written = 0, outside = 0;
    for (int i = 0; i < GUARD + MAX_FLOATS + GUARD; i++) {
        const int in = i >= GUARD && i < GUARD + n;
        const int changed = b->f[i] != SENTINEL;
        written += in && changed;
        outside += !in && changed;
    }
    if (written != n || outside)
        print_message("%s, %d/%d: %d of %d floats written, %d outside\n", what, num, den,
                      written, n, outside);
    assert_int_equal(written, n);
    assert_int_equal(outside, 0);
}

static uint8_t tok(int midi)
{
    return (uint8_t)(GB_MDS_PITCH_BASE + midi - GB_MDS_PITCH_LO);
}

/* A bar of `steps` steps with a note every other step, the last on B (pitch class 11, the
 * last float of the statistics); pads after. */
static void make_bar(uint8_t *bar, int steps, int base)
{
    memset(bar, GB_MDS_PAD, S);
    for (int i = 0; i < steps; i++)
        bar[i] = i % 2 ? GB_MDS_HOLD : tok(base + (i / 2) % 5);
    bar[steps - 1] = tok(71);
}

static void make_cond(gb_melgen_cond_t *c, int num, int den)
{
    memset(c, 0, sizeof *c);
    c->num = num;
    c->den = den;
    c->steps = num * 16 / den;
    make_bar(c->prev1, c->steps, 60);
    make_bar(c->prev2, c->steps, 62);
    make_bar(c->prev4, c->steps, 64);
    c->mode = 1;
    c->key = 11;
    c->phrase_pos = 7;
    c->density = 5;
    c->chord = (1 << 2) | (1 << 7) | (1 << 11); /* G major, pitch class 11 the last flag */
}

/* The meter/key block at m for c. */
static void check_meter_key(const float *m, const gb_melgen_cond_t *c)
{
    const int mc = gb_melgen_meter_class(c->num, c->den);
    for (int k = 0; k < GB_MELGEN_METERS; k++)
        assert_true(m[GB_MELGEN_MK_METER + k] == (k == mc ? 1.0f : 0.0f));
    assert_true(m[GB_MELGEN_MK_STEPS] == (float)c->steps / 16.0f);
    assert_true(m[GB_MELGEN_MK_MODE] == 1.0f);
    for (int k = 0; k < 12; k++)
        assert_true(m[GB_MELGEN_MK_KEY + k] == (k == c->key ? 1.0f : 0.0f));
}

static void check_phrase_chord(const float *phrase, const float *chord, const gb_melgen_cond_t *c)
{
    for (int k = 0; k < GB_MELGEN_PHRASE; k++)
        assert_true(phrase[k] == (k == c->phrase_pos ? 1.0f : 0.0f));
    for (int k = 0; k < 12; k++)
        assert_true(chord[k] == (float)((c->chord >> k) & 1));
    assert_true(chord[GB_MELGEN_CHORD - 1] == 0.0f); /* a chord is held */
}

static void test_cond_vector(void **state)
{
    (void)state;
    for (int i = 0; i < N_METERS; i++) {
        gb_melgen_cond_t c;
        make_cond(&c, meters[i][0], meters[i][1]);
        float z[GB_MELGEN_Z];
        for (int d = 0; d < GB_MELGEN_Z; d++)
            z[d] = 0.25f * (float)(d + 1);
        buf_t b;
        float *o = arm(&b);
        gb_melgen_cond_vector(&c, z, o);
        assert_wrote(&b, GB_MELGEN_COND, "conditioning", c.num, c.den);
        check_meter_key(o + GB_MELGEN_C_METER, &c);
        assert_true(o[GB_MELGEN_C_STEPS] == (float)c.steps / 16.0f);
        check_phrase_chord(o + GB_MELGEN_C_PHRASE, o + GB_MELGEN_C_CHORD, &c);
        assert_true(o[GB_MELGEN_C_DENSITY] == 5.0f / 16.0f);
        assert_true(o[GB_MELGEN_C_DENSITY + 1] == 1.0f);
        for (int d = 0; d < GB_MELGEN_Z; d++)
            assert_true(o[GB_MELGEN_C_Z + d] == z[d]);
        /* the last step of prev1 sounds B (71 − 72 = −1/12) */
        assert_true(o[GB_MELGEN_C_PREV1 + 3 * (c.steps - 1) + 2] == -1.0f / 12.0f);
    }
}

static void test_critic_input(void **state)
{
    (void)state;
    for (int i = 0; i < N_METERS; i++) {
        gb_melgen_cond_t c;
        make_cond(&c, meters[i][0], meters[i][1]);
        uint8_t bar[S];
        memcpy(bar, c.prev1, S); /* repeats bar b−1 exactly */
        buf_t b;
        float *o = arm(&b);
        gb_melgen_critic_input(&c, bar, o);
        assert_wrote(&b, GB_MELGEN_CRIT_IN, "critic input", c.num, c.den);
        check_meter_key(o + GB_MELGEN_K_METER, &c);
        check_phrase_chord(o + GB_MELGEN_K_PHRASE, o + GB_MELGEN_K_CHORD, &c);
        assert_true(o[GB_MELGEN_K_REPEAT] == 1.0f);     /* equals b−1 */
        assert_true(o[GB_MELGEN_K_REPEAT + 1] == 1.0f); /* on every step */
        assert_true(o[GB_MELGEN_K_REPEAT + 2] == 0.0f); /* not b−2 */
        /* both bars end on B: the statistics' last float is b's last pitch class 11 */
        assert_true(o[GB_MELGEN_K_STATS1 + GB_MELGEN_ST_LAST + 11] == 1.0f);
        assert_true(o[GB_MELGEN_K_STATS + GB_MELGEN_ST_LAST + 11] == 1.0f);
        assert_true(o[GB_MELGEN_CRIT_IN - 1] == 1.0f); /* the very last float: written */
        const int onsets = gb_melgen_onsets(bar, c.steps);
        assert_true(o[GB_MELGEN_K_STATS + GB_MELGEN_ST_ONSETS] == (float)onsets / 16.0f);
        /* the bar judged is the fourth bar block: its last step sounds B */
        assert_true(o[GB_MELGEN_K_BAR + 3 * (c.steps - 1) + 2] == -1.0f / 12.0f);
    }
}

static void test_bar_writers(void **state)
{
    (void)state;
    for (int i = 0; i < N_METERS; i++) {
        gb_melgen_cond_t c;
        make_cond(&c, meters[i][0], meters[i][1]);
        buf_t b;
        float *o = arm(&b);
        gb_melgen_bar_features(c.prev1, c.steps, o);
        assert_wrote(&b, GB_MELGEN_BAR_FEAT, "bar features", c.num, c.den);
        o = arm(&b);
        gb_melgen_bar_stats(c.prev2, c.prev1, c.steps, o);
        assert_wrote(&b, GB_MELGEN_BAR_STATS, "bar statistics", c.num, c.den);
        float sum = 0.0f;
        for (int k = 0; k < 8; k++)
            sum += o[GB_MELGEN_ST_LENGTH + k];
        assert_true(fabsf(sum - 1.0f) < 1e-6f); /* a histogram, where it is named */
        o = arm(&b);
        gb_c2st_features(c.prev2, c.prev1, c.steps, c.num, c.den, o);
        assert_wrote(&b, GB_C2ST_IN, "two-sample features", c.num, c.den);
        assert_true(o[2 * GB_MELGEN_BAR_FEAT + gb_melgen_meter_class(c.num, c.den)] == 1.0f);
    }
}

static void test_step_input(void **state)
{
    (void)state;
    for (int i = 0; i < N_METERS; i++) {
        gb_melgen_cond_t c;
        make_cond(&c, meters[i][0], meters[i][1]);
        float cond[GB_MELGEN_COND];
        gb_melgen_cond_vector(&c, NULL, cond);
        uint8_t refs[GB_MELGEN_REFS * S];
        gb_melgen_refs(&c, refs);
        const int match[GB_MELGEN_REFS] = {1, 0, 1};
        for (int s = 0; s < c.steps; s++) {
            buf_t b;
            float *o = arm(&b);
            gb_melgen_step_input(GB_MDS_PITCH_BASE + 12, s, refs, match, cond, o);
            assert_wrote(&b, GB_MELGEN_STEP_IN, "step input", c.num, c.den);
            assert_true(o[GB_MDS_PITCH_BASE + 12] == 1.0f);
            assert_true(o[GB_MELGEN_IN_STEP + s] == 1.0f);
            assert_true(o[GB_MELGEN_IN_REF + GB_MDS_VOCAB] == 1.0f);
            assert_true(o[GB_MELGEN_IN_REF + 2 * (GB_MDS_VOCAB + 1) - 1] == 0.0f);
            assert_memory_equal(o + GB_MELGEN_IN_COND, cond, sizeof cond);
        }
    }
}

/* The named blocks tile each vector: sizes add up to the totals. */
static void test_sizes(void **state)
{
    (void)state;
    assert_int_equal(GB_MELGEN_MK, GB_MELGEN_METERS + 1 + 1 + 12);
    assert_int_equal(GB_MELGEN_COND, 3 * GB_MELGEN_BAR_FEAT + GB_MELGEN_MK + GB_MELGEN_PHRASE +
                                         GB_MELGEN_DENSITY + GB_MELGEN_CHORD + GB_MELGEN_Z);
    assert_int_equal(GB_MELGEN_CRIT_IN, 4 * GB_MELGEN_BAR_FEAT + GB_MELGEN_MK +
                                            GB_MELGEN_PHRASE + GB_MELGEN_CHORD +
                                            2 * GB_MELGEN_REFS + 2 * GB_MELGEN_BAR_STATS);
    assert_int_equal(GB_MELGEN_BAR_STATS, 1 + 8 + 8 + 7 + 12);
    assert_int_equal(GB_MELGEN_CRIT_IN, 453); /* the shipped critic's input (model card) */
    assert_int_equal(GB_MELGEN_COND, 301);
}

/* A critic whose card says an older layout (or none) is refused by name; this one loads. */
static void test_critic_version(void **state)
{
    (void)state;
    gb_error_t err = {0};
    assert_true(gb_melgan_check_critic_version(2, "old.disc", &err) < 0);
    assert_non_null(strstr(err.msg, "old.disc"));
    assert_non_null(strstr(err.msg, "version 2"));
    assert_true(gb_melgan_check_critic_version(0, "none.disc", &err) < 0);
    assert_int_equal(gb_melgan_check_critic_version(GB_MELGAN_FEATURES_VERSION, "new.disc", &err),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_cond_vector),
        cmocka_unit_test(test_critic_input),
        cmocka_unit_test(test_bar_writers),
        cmocka_unit_test(test_step_input),
        cmocka_unit_test(test_critic_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
