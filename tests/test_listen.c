/* test_listen.c — the listening test's pure parts: the exact binomial interval and test
 * against values computed independently (R's binom.test; mpmath's regularised incomplete
 * beta at 40 digits), the answers and their summary, and the results file written, read back
 * and refused when it was tampered with. The command and its page run in a real browser in
 * listen_test_browser.py.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gb_binom.h"
#include "gb_listen_cite.h"
#include "gb_listen_results.h"
#include "gb_tmpdir.h"

/* k, n, and the 95% Clopper–Pearson bounds (binom.test(k, n)$conf.int in R; the same to 12
 * digits from mpmath's betainc), and the two-sided p-value against 1/2. */
static const struct {
    long k, n;
    double lo, hi, p;
} known[] = {
    {7, 10, 0.34754714994, 0.933260488822, 0.34375},
    {14, 20, 0.457210817724, 0.881068409594, 0.11531829834},
    {50, 100, 0.398321129503, 0.601678870497, 1.0},
    {0, 10, 0.0, 0.308497107819, 0.001953125},
    {1, 10, 0.00252857854446, 0.445016117028, 0.021484375},
    {10, 10, 0.691502892181, 1.0, 0.001953125},
    {3, 8, 0.0852334141373, 0.755136783633, 0.7265625},
    {9, 10, 0.554983882972, 0.997471421456, 0.021484375},
};

static void test_clopper_pearson_known(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        double lo, hi;
        assert_int_equal(gb_binom_clopper_pearson(known[i].k, known[i].n, 0.95, &lo, &hi), 0);
        if (fabs(lo - known[i].lo) > 1e-9 || fabs(hi - known[i].hi) > 1e-9)
            fail_msg("%ld of %ld: [%.12f, %.12f], want [%.12f, %.12f]", known[i].k, known[i].n,
                     lo, hi, known[i].lo, known[i].hi);
        const double p = gb_binom_test_half(known[i].k, known[i].n);
        if (fabs(p - known[i].p) > 1e-9)
            fail_msg("%ld of %ld: p = %.12f, want %.12f", known[i].k, known[i].n, p,
                     known[i].p);
    }
}

static void test_binom_edges(void **state)
{
    (void)state;
    double lo, hi;
    assert_int_equal(gb_binom_clopper_pearson(0, 0, 0.95, &lo, &hi), -1);
    assert_true(lo == 0.0 && hi == 1.0);
    assert_int_equal(gb_binom_clopper_pearson(11, 10, 0.95, &lo, &hi), -1);
    assert_int_equal(gb_binom_clopper_pearson(5, 10, 1.0, &lo, &hi), -1);
    /* a wider level gives a wider interval; the bounds are the tails' roots */
    double lo99, hi99;
    gb_binom_clopper_pearson(7, 10, 0.99, &lo99, &hi99);
    gb_binom_clopper_pearson(7, 10, 0.95, &lo, &hi);
    assert_true(lo99 < lo && hi99 > hi);
    assert_true(fabs(gb_binom_cdf(7, 10, hi) - 0.025) < 1e-9);
    assert_true(fabs(1.0 - gb_binom_cdf(6, 10, lo) - 0.025) < 1e-9);
    assert_true(fabs(gb_binom_cdf(5, 10, 0.5) - 638.0 / 1024.0) < 1e-12);
    assert_true(gb_binom_test_half(0, 0) == 1.0);
}

/* A test of n pairs, clip a real on even pairs. */
static gb_listen_test_t *make_test(int n, int question)
{
    gb_listen_test_t *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->question = question;
    snprintf(t->model, sizeof t->model, "models/melody-gan.safetensors");
    snprintf(t->data, sizeof t->data, "ds");
    snprintf(t->preset, sizeof t->preset, "presets/default.json");
    snprintf(t->started, sizeof t->started, "2026-12-02T15:00:00Z");
    t->seed = 3;
    t->bars = 2;
    t->tempo = 120;
    t->sample_rate = 48000;
    t->n_pairs = n;
    for (int i = 0; i < n; i++) {
        snprintf(t->pair[i].tune, sizeof t->pair[i].tune, "tune%d", i);
        t->pair[i].a_source = i % 2;
        snprintf(t->pair[i].clip_a, sizeof t->pair[i].clip_a, "p%02da.wav", i);
        snprintf(t->pair[i].clip_b, sizeof t->pair[i].clip_b, "p%02db.wav", i);
        t->pair[i].frames = 192000;
    }
    return t;
}

static void test_choose_and_summary(void **state)
{
    (void)state;
    gb_listen_test_t *t = make_test(10, GB_LISTEN_HUMAN);
    gb_error_t err = {0};
    /* pick a on pairs 0..6 (real on 0, 2, 4, 6), b on 7..9 (real on 7, 9): 6 correct */
    for (int i = 0; i < 10; i++)
        assert_int_equal(gb_listen_choose(t, i, i >= 7, 1, 2, i, "now", &err), GB_OK);
    assert_int_equal(gb_listen_choose(t, 3, 0, 1, 1, 0, "", &err), GB_EINVAL);
    assert_non_null(strstr(err.msg, "pair 3 has been answered already"));
    assert_int_equal(gb_listen_choose(t, 10, 0, 1, 1, 0, "", &err), GB_EINVAL);
    assert_non_null(strstr(err.msg, "pairs 0..9"));
    assert_int_equal(t->n_choices, 10);
    gb_listen_summary_t s;
    gb_listen_summarise(t, &s);
    assert_int_equal(s.count[0], 6);
    assert_int_equal(s.count[1], 4);
    assert_true(s.complete);
    assert_true(fabs(s.rate - 0.6) < 1e-12);
    json_t *o = gb_listen_summary_json(t, &s);
    assert_int_equal(json_integer_value(json_object_get(o, "correct")), 6);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "counts"),
                                                        "generated")), 4);
    json_decref(o);
    free(t);
}

static char dir[512];

static int setup(void **state)
{
    (void)state;
    return gbt_tmpdir(dir, sizeof dir, "listen");
}

static int teardown(void **state)
{
    (void)state;
    return gbt_rm_rf(dir);
}

/* path holds text. */
static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Replace the first `from` in text with `to` (same file, rewritten). */
static void tamper(const char *src, const char *dst, const char *from, const char *to)
{
    char *text = slurp(src), *at = strstr(text, from);
    assert_non_null(at);
    FILE *f = fopen(dst, "w");
    fwrite(text, 1, (size_t)(at - text), f);
    fputs(to, f);
    fputs(at + strlen(from), f);
    fclose(f);
    free(text);
}

static void read_bad(const char *path, int code, const char *want)
{
    gb_listen_test_t *t = calloc(1, sizeof *t);
    gb_error_t err = {0};
    assert_int_equal(gb_listen_read(path, t, &err), code);
    if (!strstr(err.msg, want) || !strstr(err.msg, path))
        fail_msg("%s: got \"%s\", want \"%s\"", path, err.msg, want);
    free(t);
}

static void test_file_round_trip(void **state)
{
    (void)state;
    gb_listen_test_t *t = make_test(4, GB_LISTEN_HUMAN), *u = calloc(1, sizeof *u);
    gb_error_t err = {0};
    char path[600], bad[600];
    snprintf(path, sizeof path, "%s/r.json", dir);
    snprintf(bad, sizeof bad, "%s/bad.json", dir);
    assert_int_equal(gb_listen_choose(t, 2, 1, 1, 1, 3.5, "2026-12-02T15:00:03.500Z", &err), 0);
    assert_int_equal(gb_listen_choose(t, 0, 0, 2, 1, 9.0, "2026-12-02T15:00:09.000Z", &err), 0);
    assert_int_equal(gb_listen_write(t, path, &err), GB_OK);
    assert_int_equal(gb_listen_read(path, u, &err), GB_OK);
    assert_int_equal(u->n_pairs, 4);
    assert_int_equal(u->n_choices, 2);
    assert_int_equal(u->choice[0].pair, 2);
    assert_int_equal(u->choice[1].plays_a, 2);
    assert_int_equal(u->pair[1].a_source, 1);
    gb_listen_summary_t s;
    gb_listen_summarise(u, &s);
    assert_int_equal(s.count[0], 1); /* pair 2 picked b (generated), pair 0 a (real) */
    assert_false(s.complete);
    json_t *c = gb_listen_cite_json(u, path);
    assert_int_equal(json_integer_value(json_object_get(c, "choices")), 2);
    assert_string_equal(json_string_value(json_object_get(c, "file")), path);
    json_decref(c);
    /* tampered: a count, the pick behind a summary, the format; broken and missing */
    tamper(path, bad, "\"real\": 1", "\"real\": 2");
    read_bad(bad, GB_EFORMAT, "summary does not match its 2 choices (1 real, 1 generated)");
    tamper(path, bad, "\"picked\": \"b\"", "\"picked\": \"a\"");
    read_bad(bad, GB_EFORMAT, "choices[0].source is not the source the pair put there");
    tamper(path, bad, "gbac-listen-test/1", "gbac-listen-test/9");
    read_bad(bad, GB_EFORMAT, "not a gbac listening test");
    tamper(path, bad, "\"pair\": 2,\n      \"picked\"", "\"pair\": 7,\n      \"picked\"");
    read_bad(bad, GB_EFORMAT, "choices[0].pair is missing or not a whole number in range");
    put(bad, "{\"format\": ");
    read_bad(bad, GB_EFORMAT, "not JSON");
    snprintf(bad, sizeof bad, "%s/none.json", dir);
    read_bad(bad, GB_EIO, "cannot read");
    free(t);
    free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clopper_pearson_known),
        cmocka_unit_test(test_binom_edges),
        cmocka_unit_test(test_choose_and_summary),
        cmocka_unit_test(test_file_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
