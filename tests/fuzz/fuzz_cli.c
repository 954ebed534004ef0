/* fuzz_cli.c — libFuzzer target for the command tables' parser (src/cli/gb_cli_opts.c): the
 * input, split at newlines into arguments, goes through a group and a leaf with every kind of
 * option. Whatever the arguments, the parser returns 0 (and the command saw values inside
 * their ranges) or 2 (a usage error), and never reads or writes out of bounds.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Built with -fsanitize=fuzzer when GBAC_FUZZ=ON (clang), and in every build linked with
 * replay.c, which runs it over the committed corpus (tests/fuzz/corpus/cli/). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_cli_opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 24

typedef struct args {
    const char *out, *name;
    int n, flag, mode;
    uint32_t seed;
    double rate;
    float gain;
    const char *dirs[3];
    int n_dirs;
    int pair[2];
} args_t;

static int parse_pair(const char *v, void *field)
{
    int *x = field, used = 0;
    return sscanf(v, "%d..%d%n", &x[0], &x[1], &used) == 2 && !v[used] && x[0] <= x[1] ? 0 : -1;
}

static const gb_opt_choice_t modes[] = {{"wav", 0}, {"flac", 1}, {NULL, 0}};

#define A(f) offsetof(args_t, f)
static const gb_opt_t opts[] = {
    {.name = "output", .short_name = 'o', .arg = "OUT", .kind = GB_OPT_STRING, .off = A(out),
     .flags = GB_OPT_NONEMPTY, .help = "out"},
    {.name = "n", .short_name = 'n', .arg = "N", .kind = GB_OPT_INT, .off = A(n), .lo = 1,
     .hi = 64, .help = "{range} ({default})"},
    {.name = "seed", .arg = "S", .kind = GB_OPT_U32, .off = A(seed), .lo = 0,
     .hi = 4294967295.0, .help = "seed"},
    {.name = "rate", .arg = "R", .kind = GB_OPT_DOUBLE, .off = A(rate), .lo = 8000,
     .hi = 192000, .help = "rate"},
    {.name = "gain", .arg = "G", .kind = GB_OPT_FLOAT, .off = A(gain), .lo = 0, .hi = 1,
     .help = "gain"},
    {.name = "mode", .arg = "M", .kind = GB_OPT_CHOICE, .off = A(mode), .choices = modes,
     .help = "mode"},
    {.name = "dir", .arg = "DIR", .kind = GB_OPT_APPEND, .off = A(dirs), .count_off = A(n_dirs),
     .max = 3, .help = "dir"},
    {.name = "pair", .arg = "A..B", .kind = GB_OPT_CUSTOM, .off = A(pair), .parse = parse_pair,
     .help = "pair"},
    {.name = "flag", .short_name = 'f', .kind = GB_OPT_FLAG, .off = A(flag), .help = "flag"},
    {.name = "name", .arg = "NAME", .kind = GB_OPT_STRING, .off = A(name),
     .flags = GB_OPT_REQUIRED, .help = "name"},
};
#undef A

static void init(void *p)
{
    args_t *a = p;
    a->n = 8;
    a->rate = 48000;
}

static int run(void *p, const gb_cli_call_t *call)
{
    const args_t *a = p;
    if (a->n < 1 || a->n > 64 || !(a->rate >= 8000 && a->rate <= 192000) ||
        !(a->gain >= 0 && a->gain <= 1) || a->mode < 0 || a->mode > 1 || a->n_dirs < 0 ||
        a->n_dirs > 3 || !a->name || (a->out && !a->out[0]) || call->n_pos < 0 ||
        call->n_pos > 1)
        abort();
    for (int i = 0; i < a->n_dirs; i++)
        if (!a->dirs[i])
            abort();
    return 0;
}

static const gb_cmd_t leaf = {
    .name = "leaf",
    .summary = "leaf",
    .positional = "FILE",
    .max_pos = 1,
    GB_CLI_LEAF(opts, args_t, init, run),
};

static const gb_cmd_t group = {.name = "grp", .summary = "group", GB_CLI_SUBS(&leaf)};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = "grp";
    for (char *s = buf, *nl; argc < MAX_ARGS && s; s = nl ? nl + 1 : NULL) {
        nl = strchr(s, '\n');
        if (nl)
            *nl = '\0';
        argv[argc++] = s;
    }
    argv[argc] = NULL;
    const int rc = gb_cli_run(&group, "gbac", argc, argv);
    if (rc != GB_EXIT_OK && rc != GB_EXIT_USAGE)
        abort();
    free(buf);
    return 0;
}
