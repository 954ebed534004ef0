/* test_osc_score.c — OSC control scores (src/control/gb_osc_score.c): every type tag, quoting,
 * comments, sorting by time, and one test per kind of bad line, each asserting the
 * "FILE:LINE: " the message starts with.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gb_osc_score.h"

/* liblo's arguments are only 4-byte aligned (OSC packing): read them with memcpy. */
static int32_t arg_i(lo_message m, int k)
{
    int32_t v;
    memcpy(&v, (const void *)lo_message_get_argv(m)[k], sizeof v);
    return v;
}

static int64_t arg_h(lo_message m, int k)
{
    int64_t v;
    memcpy(&v, (const void *)lo_message_get_argv(m)[k], sizeof v);
    return v;
}

static double arg_d(lo_message m, int k)
{
    double v;
    memcpy(&v, (const void *)lo_message_get_argv(m)[k], sizeof v);
    return v;
}

static float arg_f(lo_message m, int k)
{
    float v;
    memcpy(&v, (const void *)lo_message_get_argv(m)[k], sizeof v);
    return v;
}

static const char *arg_s(lo_message m, int k)
{
    return (const char *)lo_message_get_argv(m)[k];
}

static gb_osc_score_t *parse(const char *text, gb_error_t *err)
{
    return gb_osc_score_parse(text, strlen(text), "s.score", err);
}

static void lines_become_messages_sorted_by_time(void **state)
{
    (void)state;
    static const char text[] =
        "# a control score\n"
        "\n"
        "2.5 /gbac/note/off i 60   # release\n"
        "1.5   /gbac/param/delay/mix f 0.4\n"
        "0 /gbac/tempo ,d 96.5\n"
        "1.5 /gbac/note/on iii 60 100 0x2\n"
        "\t3 /gbac/cue\r\n"
        "4 /x/all sShcTFNI \"two words # not a comment \\\"q\\\"\" sym -9000000000 z\n";
    gb_error_t err = {0};
    gb_osc_score_t *s = parse(text, &err);
    if (!s)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(s);
    assert_string_equal(s->origin, "s.score");
    assert_int_equal(s->n, 6);
    static const double times[] = {0, 1.5, 1.5, 2.5, 3, 4};
    static const int lines[] = {5, 4, 6, 3, 7, 8};
    static const char *const paths[] = {"/gbac/tempo", "/gbac/param/delay/mix", "/gbac/note/on",
                                        "/gbac/note/off", "/gbac/cue", "/x/all"};
    static const char *const types[] = {"d", "f", "iii", "i", "", "sShcTFNI"};
    for (size_t i = 0; i < s->n; i++) {
        const gb_osc_score_entry_t *e = &s->entries[i];
        assert_float_equal(e->time_s, times[i], 0.0);
        assert_int_equal(e->line, lines[i]);
        assert_string_equal(e->path, paths[i]);
        assert_int_equal(lo_message_get_argc(e->msg), (int)strlen(types[i]));
        assert_string_equal(lo_message_get_types(e->msg), types[i]);
    }
    assert_float_equal(arg_d(s->entries[0].msg, 0), 96.5, 0.0);
    assert_float_equal(arg_f(s->entries[1].msg, 0), 0.4f, 0.0f);
    assert_int_equal(arg_i(s->entries[2].msg, 0), 60);
    assert_int_equal(arg_i(s->entries[2].msg, 1), 100);
    assert_int_equal(arg_i(s->entries[2].msg, 2), 2);
    lo_message m = s->entries[5].msg;
    assert_string_equal(arg_s(m, 0), "two words # not a comment \"q\"");
    assert_string_equal(arg_s(m, 1), "sym");
    assert_true(arg_h(m, 2) == -9000000000LL);
    assert_int_equal(arg_i(m, 3), 'z'); /* OSC sends a char as a 32-bit word */
    gb_osc_score_free(s);
}

static void empty_and_comment_only_scores_are_fine(void **state)
{
    (void)state;
    gb_error_t err = {0};
    gb_osc_score_t *s = parse("", &err);
    assert_non_null(s);
    assert_int_equal(s->n, 0);
    gb_osc_score_free(s);
    s = parse("# nothing\n   \n\t# still nothing", &err);
    assert_non_null(s);
    assert_int_equal(s->n, 0);
    gb_osc_score_free(s);
}

typedef struct bad {
    const char *text;
    const char *prefix; /* the message starts with it */
    const char *what;   /* and contains it */
} bad_t;

static void bad_lines_are_named_by_file_and_line(void **state)
{
    (void)state;
    static const bad_t bad[] = {
        {"0 /a\nx /gbac/tempo f 1\n", "s.score:2: ", "not a time"},
        {"-1 /gbac/tempo f 1\n", "s.score:1: ", "not a time"},
        {"nan /gbac/tempo f 1\n", "s.score:1: ", "not a time"},
        {"1e9 /gbac/tempo f 1\n", "s.score:1: ", "not a time"},
        {"1\n", "s.score:1: ", "missing OSC path"},
        {"# c\n1 gbac/tempo f 1\n", "s.score:2: ", "not an OSC path"},
        {"1 /gbac/tempo 120\n", "s.score:1: ", "not a type tag string"},
        {"1 /gbac/tempo b 1\n", "s.score:1: ", "not a type tag string"},
        {"1 /gbac/tempo f\n", "s.score:1: ", "need an argument 1 of type 'f'"},
        {"1 /gbac/note/on ii 60\n", "s.score:1: ", "need an argument 2 of type 'i'"},
        {"1 /gbac/tempo f 120 7\n", "s.score:1: ", "one argument too many"},
        {"1 /gbac/tempo f fast\n", "s.score:1: ", "is not a finite float"},
        {"1 /gbac/tempo f inf\n", "s.score:1: ", "is not a finite float"},
        {"1 /gbac/tempo f 1e39\n", "s.score:1: ", "is not a finite float"},
        {"1 /gbac/note/on ii 60 1.5\n", "s.score:1: ", "is not a 32-bit integer"},
        {"1 /gbac/note/on ii 60 4294967296\n", "s.score:1: ", "is not a 32-bit integer"},
        {"1 /gbac/x s \"open\n", "s.score:1: ", "unterminated string"},
        {"1 /gbac/x s \"a\\qb\"\n", "s.score:1: ", "unknown escape"},
        {"1 /gbac/x s \"a\"b\n", "s.score:1: ", "missing space after a string"},
        {"1 /gbac/x c ab\n", "s.score:1: ", "not a single character"},
        {"\n\n1 /gbac/x i \"5\"\n", "s.score:3: ", "not a 32-bit integer"},
        {"1 /gbac/a,b\n", "s.score:1: ", "character OSC does not allow"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gb_error_t err = {0};
        gb_osc_score_t *s = parse(bad[i].text, &err);
        if (s || strncmp(err.msg, bad[i].prefix, strlen(bad[i].prefix)) != 0 ||
            !strstr(err.msg, bad[i].what)) {
            fprintf(stderr, "case %zu: '%s' gave '%s'\n", i, bad[i].text, err.msg);
            gb_osc_score_free(s);
            fail();
        }
        assert_int_equal(err.code, GB_EFORMAT);
    }
}

static void nul_bytes_are_refused(void **state)
{
    (void)state;
    static const char text[] = "1 /a\n2 /b\0x\n";
    gb_error_t err = {0};
    assert_null(gb_osc_score_parse(text, sizeof text - 1, "bin", &err));
    assert_string_equal(err.msg, "bin:2: NUL byte: not a text file");
}

static void load_names_a_missing_file(void **state)
{
    (void)state;
    gb_error_t err = {0};
    assert_null(gb_osc_score_load("/nonexistent/score.txt", &err));
    assert_int_equal(err.code, GB_EIO);
    assert_int_equal(strncmp(err.msg, "/nonexistent/score.txt: cannot open", 35), 0);
}

static void random_text_never_crashes(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789./ifdhsScTFNI\"\\# \t\nabx-e,";
    char buf[300];
    uint64_t s = 7;
    int ok = 0;
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(round % 299) + 1;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            buf[i] = alphabet[(s >> 33) % (sizeof alphabet - 1)];
        }
        gb_error_t err = {0};
        gb_osc_score_t *sc = gb_osc_score_parse(buf, n, "r", &err);
        if (sc) {
            ok++;
            for (size_t i = 1; i < sc->n; i++)
                assert_true(sc->entries[i].time_s >= sc->entries[i - 1].time_s);
            gb_osc_score_free(sc);
        } else {
            assert_int_equal(strncmp(err.msg, "r:", 2), 0);
        }
    }
    assert_true(ok > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_become_messages_sorted_by_time),
        cmocka_unit_test(empty_and_comment_only_scores_are_fine),
        cmocka_unit_test(bad_lines_are_named_by_file_and_line),
        cmocka_unit_test(nul_bytes_are_refused),
        cmocka_unit_test(load_names_a_missing_file),
        cmocka_unit_test(random_text_never_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
