/* test_cli_opts.c — the command tables' parser and help generator (src/cli/gb_cli_opts.h) on a
 * table made for the test: both value forms, short options, every kind of value with its
 * range, the messages and exit statuses of bad input, subcommands, and the generated --help.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gb_cli_opts.h"

typedef struct args {
    const char *out, *name;
    int n, flag, mode, count;
    uint32_t seed;
    double rate;
    float gain;
    const char *dirs[2];
    int n_dirs;
    int pair[2];
} args_t;

static args_t got; /* what the last run saw */
static int got_pos;
static char got_first[64];
static int got_given_n;

static void init(void *p)
{
    args_t *a = p;
    a->n = 8;
    a->rate = 48000;
    a->gain = 0.5f;
    a->seed = 1;
}

static int parse_pair(const char *v, void *field)
{
    int *x = field, used = 0;
    return sscanf(v, "%d..%d%n", &x[0], &x[1], &used) == 2 && !v[used] && x[0] <= x[1] ? 0 : -1;
}

static const gb_opt_choice_t modes[] = {{"wav", 0}, {"flac", 1}, {"ogg", 2}, {NULL, 0}};

#define A(f) offsetof(args_t, f)
static const gb_opt_t opts[] = {
    {.name = "output", .short_name = 'o', .arg = "OUT", .kind = GB_OPT_STRING, .off = A(out),
     .flags = GB_OPT_REQUIRED | GB_OPT_NONEMPTY, .what = "a file name", .help = "where to"},
    {.name = "n", .arg = "N", .kind = GB_OPT_INT, .off = A(n), .lo = 1, .hi = 64,
     .flags = GB_OPT_USAGE, .what = "a number of bars", .help = "bars, {range} ({default})"},
    {.name = "seed", .arg = "S", .kind = GB_OPT_U32, .off = A(seed), .lo = 0,
     .hi = 4294967295.0, .help = "seed ({default})"},
    {.name = "rate", .arg = "R", .kind = GB_OPT_DOUBLE, .off = A(rate), .lo = 8000,
     .hi = 192000, .help = "rate ({default} Hz)"},
    {.name = "gain", .arg = "G", .kind = GB_OPT_FLOAT, .off = A(gain), .lo = 0, .hi = 1,
     .help = "gain"},
    {.name = "mode", .arg = "M", .kind = GB_OPT_CHOICE, .off = A(mode), .choices = modes,
     .help = "mode ({default})"},
    {.name = "dir", .arg = "DIR", .kind = GB_OPT_APPEND, .off = A(dirs), .count_off = A(n_dirs),
     .max = 2, .flags = GB_OPT_USAGE, .help = "up to {max}"},
    {.name = "pair", .arg = "A..B", .kind = GB_OPT_CUSTOM, .off = A(pair), .parse = parse_pair,
     .what = "two numbers A..B", .help = "a pair"},
    {.name = "flag", .short_name = 'f', .kind = GB_OPT_FLAG, .off = A(flag), .help = "a flag"},
    {.name = "name", .arg = "NAME", .kind = GB_OPT_STRING, .off = A(name), .help = "a name"},
};
#undef A

static int run(void *p, const gb_cli_call_t *call)
{
    got = *(args_t *)p;
    got_pos = call->n_pos;
    snprintf(got_first, sizeof got_first, "%s", call->n_pos ? call->pos[0] : "");
    got_given_n = gb_cli_given(call, "n");
    return 0;
}

static const gb_cmd_t leaf = {
    .name = "leaf",
    .summary = "a leaf",
    .positional = "FILE...",
    .max_pos = -1,
    .description = "A test command.",
    GB_CLI_LEAF(opts, args_t, init, run),
};

static const gb_cmd_t group = {
    .name = "grp",
    .summary = "a group",
    GB_CLI_SUBS(&leaf),
};

static char err_text[4096], out_text[8192];

/* Run the group with argv (NULL-terminated), stdout and stderr captured. */
static int call(const char *first, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    memset(&got, 0, sizeof got);
    fflush(stdout);
    fflush(stderr);
    FILE *fo = tmpfile(), *fe = tmpfile();
    int so = dup(1), se = dup(2);
    dup2(fileno(fo), 1);
    dup2(fileno(fe), 2);
    int rc = gb_cli_run(&group, "gbac", argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    rewind(fo);
    rewind(fe);
    size_t n = fread(out_text, 1, sizeof out_text - 1, fo);
    out_text[n] = '\0';
    n = fread(err_text, 1, sizeof err_text - 1, fe);
    err_text[n] = '\0';
    fclose(fo);
    fclose(fe);
    return rc;
}

static void expect(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("expected '%s' in:\n%s", want, text);
}

static void both_value_forms_and_short_options(void **state)
{
    (void)state;
    assert_int_equal(call("grp", "leaf", "-o", "a.wav", "--n", "12", "--seed=7", "--rate",
                          "44100", "--gain=0.25", "--mode", "ogg", "--dir", "x", "--dir=y",
                          "--pair", "3..5", "-f", "in1", "in2", NULL),
                     0);
    assert_string_equal(got.out, "a.wav");
    assert_int_equal(got.n, 12);
    assert_int_equal(got.seed, 7);
    assert_true(got.rate == 44100.0);
    assert_true(got.gain == 0.25f);
    assert_int_equal(got.mode, 2);
    assert_int_equal(got.n_dirs, 2);
    assert_string_equal(got.dirs[1], "y");
    assert_int_equal(got.pair[0], 3);
    assert_int_equal(got.pair[1], 5);
    assert_int_equal(got.flag, 1);
    assert_int_equal(got_pos, 2);
    assert_string_equal(got_first, "in1");
    assert_int_equal(got_given_n, 1);
    /* defaults stay; positional arguments before options; -oVALUE */
    assert_int_equal(call("grp", "leaf", "in", "-ob.wav", NULL), 0);
    assert_string_equal(got.out, "b.wav");
    assert_int_equal(got.n, 8);
    assert_true(got.rate == 48000.0);
    assert_int_equal(got.seed, 1);
    assert_int_equal(got_given_n, 0);
    assert_int_equal(got_pos, 1);
    /* the same order whatever POSIXLY_CORRECT says (getopt would stop at "in") */
    setenv("POSIXLY_CORRECT", "1", 1);
    assert_int_equal(call("grp", "leaf", "in", "-o", "d.wav", "--n", "3", NULL), 0);
    unsetenv("POSIXLY_CORRECT");
    assert_string_equal(got.out, "d.wav");
    assert_int_equal(got.n, 3);
    assert_int_equal(got_pos, 1);
    /* "--" ends the options: a file may start with a dash */
    assert_int_equal(call("grp", "leaf", "-o", "c", "--", "-x", NULL), 0);
    assert_string_equal(got_first, "-x");
}

static void bad_values_name_the_option_and_the_range(void **state)
{
    (void)state;
    static const struct {
        const char *opt, *value, *msg;
    } cases[] = {
        {"--n", "0", "gbac grp leaf: bad value '0' for --n: expected a number of bars in 1..64"},
        {"--n", "65", "bad value '65' for --n: expected a number of bars in 1..64"},
        {"--n", "3x", "bad value '3x' for --n"},
        {"--n", "", "bad value '' for --n"},
        {"--seed", "-1", "bad value '-1' for --seed: expected a whole number in 0..4294967295"},
        {"--seed", "4294967296", "bad value '4294967296' for --seed"},
        {"--rate", "nan", "bad value 'nan' for --rate: expected a number in 8000..192000"},
        {"--rate", "1e999", "bad value '1e999' for --rate"},
        {"--gain", "1.5", "bad value '1.5' for --gain: expected a number in 0..1"},
        {"--mode", "mp3", "bad value 'mp3' for --mode: expected wav, flac or ogg"},
        {"--pair", "5..3", "bad value '5..3' for --pair: expected two numbers A..B"},
        {"-o", "", "bad value '' for -o: expected a file name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(call("grp", "leaf", "-o", "x", cases[i].opt, cases[i].value, NULL),
                         GB_EXIT_USAGE);
        expect(err_text, cases[i].msg);
        expect(err_text, "(see `gbac grp leaf --help`)");
    }
    /* the --opt=V form names the option as typed */
    assert_int_equal(call("grp", "leaf", "-o", "x", "--n=99", NULL), GB_EXIT_USAGE);
    expect(err_text, "bad value '99' for --n:");
}

static void usage_errors(void **state)
{
    (void)state;
    assert_int_equal(call("grp", "leaf", "in", NULL), GB_EXIT_USAGE);
    expect(err_text, "gbac grp leaf: missing -o OUT");
    assert_int_equal(call("grp", "leaf", "-o", "x", "--bogus", NULL), GB_EXIT_USAGE);
    expect(err_text, "unknown option '--bogus'");
    assert_int_equal(call("grp", "leaf", "-o", "x", "--bogus=3", NULL), GB_EXIT_USAGE);
    expect(err_text, "unknown option '--bogus'");
    assert_int_equal(call("grp", "leaf", "-o", "x", "-z", NULL), GB_EXIT_USAGE);
    expect(err_text, "unknown option '-z'");
    assert_int_equal(call("grp", "leaf", "-o", "x", "--name", NULL), GB_EXIT_USAGE);
    expect(err_text, "gbac grp leaf: --name needs a value");
    assert_int_equal(call("grp", "leaf", "-o", NULL), GB_EXIT_USAGE);
    expect(err_text, "-o needs a file name");
    assert_int_equal(call("grp", "leaf", "-o", "x", "--flag=1", NULL), GB_EXIT_USAGE);
    expect(err_text, "--flag takes no value");
    assert_int_equal(call("grp", "leaf", "-o", "x", "--dir", "a", "--dir", "b", "--dir", "c",
                          NULL),
                     GB_EXIT_USAGE);
    expect(err_text, "at most 2 --dir");
    assert_int_equal(call("grp", NULL), GB_EXIT_USAGE);
    expect(err_text, "gbac grp: missing a subcommand: leaf");
    assert_int_equal(call("grp", "twig", NULL), GB_EXIT_USAGE);
    expect(err_text, "gbac grp: unknown subcommand 'twig' (leaf exist)");
    assert_int_equal(call("grp", "--json", NULL), GB_EXIT_USAGE);
    expect(err_text, "unknown option '--json'");
}

static void generated_help(void **state)
{
    (void)state;
    assert_int_equal(call("grp", "leaf", "--bogus", "--help", NULL), GB_EXIT_USAGE);
    assert_int_equal(call("grp", "leaf", "--help", NULL), 0);
    assert_string_equal(err_text, "");
    expect(out_text, "Usage: gbac grp leaf -o OUT [--n N] [--dir DIR]... [OPTIONS] FILE...\n");
    expect(out_text, "\nA test command.\n");
    expect(out_text, "  -o, --output OUT");
    expect(out_text, "      --n N ");
    expect(out_text, "bars, 1..64 (8)");
    expect(out_text, "seed (1)");
    expect(out_text, "rate (48000 Hz)");
    expect(out_text, "mode (wav)");
    expect(out_text, "up to 2");
    expect(out_text, "  -h, --help");
    assert_int_equal(call("grp", "leaf", "-h", NULL), 0);
    expect(out_text, "Usage: gbac grp leaf");
    assert_int_equal(call("grp", "--help", NULL), 0);
    expect(out_text, "Usage: gbac grp leaf -o OUT [--n N] [--dir DIR]... [OPTIONS] FILE...\n");
    expect(out_text, "Subcommands:\n  leaf");
    /* no line of the help is wider than 79 columns */
    assert_int_equal(call("grp", "leaf", "--help", NULL), 0);
    for (char *l = strtok(out_text, "\n"); l; l = strtok(NULL, "\n"))
        if (strlen(l) > 79 && !strstr(l, "Usage:"))
            fail_msg("help line of %zu columns: %s", strlen(l), l);
}

static void number_parsers(void **state)
{
    (void)state;
    int i;
    double d;
    assert_int_equal(gb_parse_int("42", 0, 100, &i), 0);
    assert_int_equal(i, 42);
    assert_int_equal(gb_parse_int("-3", -5, 5, &i), 0);
    assert_int_equal(i, -3);
    assert_int_equal(gb_parse_int("101", 0, 100, &i), -1);
    assert_int_equal(gb_parse_int("99999999999999999999", 0, 100, &i), -1);
    assert_int_equal(gb_parse_int(" ", 0, 100, &i), -1);
    assert_int_equal(gb_parse_double("0.5", 0, 1, &d), 0);
    assert_true(d == 0.5);
    assert_int_equal(gb_parse_double("inf", 0, 1e300, &d), -1);
    assert_int_equal(gb_parse_double("1.0x", 0, 2, &d), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(both_value_forms_and_short_options),
        cmocka_unit_test(bad_values_name_the_option_and_the_range),
        cmocka_unit_test(usage_errors),
        cmocka_unit_test(generated_help),
        cmocka_unit_test(number_parsers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
