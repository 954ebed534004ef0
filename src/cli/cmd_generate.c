/* cmd_generate.c — `gbac generate melody`: bars from the melody GAN's generator (chosen by its
 * critic), transposed to a key and written as a MIDI file (gb_melody_gen.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stddef.h>
#include <stdio.h>

#include "gb_cli.h"
#include "gb_melody_ds.h"
#include "gb_melody_gen.h"

typedef struct gen_args {
    gb_melody_gen_config_t cfg;
    int key[3], meter[3]; /* shift, mode, given; numerator, denominator, given */
    int no_critic, quiet;
} gen_args_t;

static void gen_init(void *p)
{
    gen_args_t *a = p;
    gb_melody_gen_config_init(&a->cfg);
    a->meter[0] = a->cfg.num;
    a->meter[1] = a->cfg.den;
}

static int parse_key(const char *v, void *field)
{
    int *k = field;
    k[2] = 1;
    return gb_melody_key_parse(v, &k[0], &k[1]);
}

static int parse_meter(const char *v, void *field)
{
    int *m = field;
    m[2] = 1;
    return gb_melody_meter_parse(v, &m[0], &m[1]);
}

#define A(f) offsetof(gen_args_t, f)
static const gb_opt_t gen_opts[] = {
    {.name = "model", .arg = "FILE", .kind = GB_OPT_STRING, .off = A(cfg.model),
     .flags = GB_OPT_NONEMPTY, .what = "a model file",
     .help = "generator model (default: the shipped " GB_MELODY_MODEL "); its critic "
             "FILE.disc is used when present"},
    {.name = "bars", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.bars), .lo = 1, .hi = 1024,
     .flags = GB_OPT_USAGE, .what = "a number of bars",
     .help = "bars to generate, {range} ({default})"},
    {.name = "seed", .arg = "S", .kind = GB_OPT_INT, .off = A(cfg.seed), .lo = 0,
     .hi = 2147483647.0, .flags = GB_OPT_USAGE,
     .help = "random seed ({default}); a seed always gives the same melody"},
    {.name = "key", .arg = "K", .kind = GB_OPT_CUSTOM, .off = A(key), .parse = parse_key,
     .flags = GB_OPT_USAGE, .what = "a key such as C, D, F#, Bb, Am or F#m",
     .help = "key: C, D, F#, Bb, ... or Am, F#m, ... (C; with --after the call's key, "
             "detected as the live unit does)"},
    {.name = "meter", .arg = "M", .kind = GB_OPT_CUSTOM, .off = A(meter), .parse = parse_meter,
     .flags = GB_OPT_USAGE, .what = "4/4, 3/4 or 6/8",
     .help = "4/4, 3/4 or 6/8 (4/4; with --after the call's meter)"},
    {.name = "after", .arg = "CALL.mid", .kind = GB_OPT_STRING, .off = A(cfg.after),
     .flags = GB_OPT_USAGE | GB_OPT_NONEMPTY, .what = "a MIDI file",
     .help = "answer a call: the first bar follows its last four bars (its top line; "
             "percussion on channel 10 left out) at its place in the phrase, in its key and at "
             "its tempo unless --key / --tempo say otherwise"},
    {.name = "tempo", .arg = "BPM", .kind = GB_OPT_DOUBLE, .off = A(cfg.bpm), .lo = 20,
     .hi = 300, .what = "a tempo in bpm",
     .help = "quarter notes per minute, {range} (120; with --after the call's first tempo)"},
    {.name = "temperature", .arg = "X", .kind = GB_OPT_DOUBLE, .off = A(cfg.temperature),
     .lo = 0.05, .hi = 5, .what = "a temperature",
     .help = "sampling temperature, {range} ({default})"},
    {.name = "top-k", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.top_k), .lo = 0,
     .hi = GB_MDS_VOCAB, .what = "a number of tokens",
     .help = "sample among the N likeliest tokens, 0 = all ({default})"},
    {.name = "candidates", .arg = "K", .kind = GB_OPT_INT, .off = A(cfg.candidates), .lo = 1,
     .hi = 64, .help = "bars sampled per bar, one chosen by the critic, {range} ({default})"},
    {.name = "no-critic", .kind = GB_OPT_FLAG, .off = A(no_critic),
     .help = "ignore FILE.disc (then K = 1)"},
    {.name = "out", .short_name = 'o', .arg = "OUT.mid", .kind = GB_OPT_STRING,
     .off = A(cfg.out), .flags = GB_OPT_REQUIRED | GB_OPT_NONEMPTY, .what = "a file name",
     .help = "MIDI file to write"},
    {.name = "quiet", .short_name = 'q', .kind = GB_OPT_FLAG, .off = A(quiet),
     .help = "do not print the bars"},
};
#undef A

/* "bar 1: C4 - . E4 ...": notes by name, holds as -, rests as . */
static void print_bars(const gb_melody_gen_result_t *r, int shift)
{
    static const char *const names[12] = {"C", "C#", "D", "Eb", "E", "F",
                                          "F#", "G", "Ab", "A", "Bb", "B"};
    for (int b = 0; b < r->bars; b++) {
        printf("bar %d:", b + 1);
        for (int i = 0; i < r->steps; i++) {
            const int tok = r->tokens[(size_t)b * GB_MDS_MAX_STEPS + (size_t)i];
            const int p = gb_melody_token_pitch(tok, shift);
            if (p >= 0)
                printf(" %s%d", names[p % 12], p / 12 - 1);
            else
                printf(" %s", tok == GB_MDS_HOLD ? "-" : ".");
        }
        printf("\n");
    }
}

/* How the call was heard, on stderr: key, meter, tempo, what was left out. */
static void print_call(const char *prog, const gb_melody_gen_config_t *cfg,
                       const gb_melody_gen_result_t *r)
{
    static const char *const names[12] = {"C", "C#", "D", "Eb", "E", "F",
                                          "F#", "G", "Ab", "A", "Bb", "B"};
    const gb_melody_call_info_t *c = &r->call;
    fprintf(stderr, "%s: call %s: %d/%d, %.1f BPM, %s %s%s\n", prog, cfg->after, c->num, c->den,
            c->bpm, names[c->tonic % 12], c->mode ? "minor" : "major",
            cfg->key_given ? " (answered in the --key given)" : " (detected)");
    if (c->polyphonic_steps)
        fprintf(stderr, "%s: the call has chords or overlapping notes on %d steps; its top line "
                        "is taken\n", prog, c->polyphonic_steps);
    if (c->percussion)
        fprintf(stderr, "%s: %d notes on channel 10 (percussion) left out\n", prog,
                c->percussion);
    if (c->tempo_changes)
        fprintf(stderr, "%s: the call changes tempo %d times; its steps follow the beats and the "
                        "answer is written at its first tempo\n", prog, c->tempo_changes);
    if (c->meter_changes)
        fprintf(stderr, "%s: the call changes meter %d times; its first meter is used\n", prog,
                c->meter_changes);
}

static int gen_run(void *p, const gb_cli_call_t *call)
{
    gen_args_t *a = p;
    gb_melody_gen_config_t *cfg = &a->cfg;
    cfg->shift = a->key[0];
    cfg->mode = a->key[1];
    cfg->key_given = a->key[2];
    cfg->num = a->meter[0];
    cfg->den = a->meter[1];
    cfg->meter_given = a->meter[2];
    cfg->use_critic = !a->no_critic;
    gb_melody_gen_result_t r;
    gb_error_t err = {0};
    if (gb_melody_gen_run(cfg, &r, &err) < 0) {
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
        gb_melody_gen_result_free(&r);
        return GB_EXIT_FAIL;
    }
    if (r.has_call && !a->quiet)
        print_call(call->prog, cfg, &r);
    if (!a->quiet)
        print_bars(&r, r.shift);
    gb_melody_gen_result_free(&r);
    return GB_EXIT_OK;
}

static const gb_cmd_t generate_melody = {
    .name = "melody",
    .summary = "generate bars with the shipped (or given) melody model, one of 4 candidates "
               "per bar chosen by the critic; --after answers a call in its key and tempo",
    .description = "Generate a melody bar by bar with the melody GAN (each bar conditioned on "
                   "the bars before it) and write it as a MIDI file with one track, \""
                   GB_MELODY_TRACK "\" (models/melody-gan.md).",
    .epilogue = "Exit status: 0 on success; 1 if a file cannot be read or written, the call "
                "has no melody (no notes, or drums only) or the model is not a melody GAN "
                "generator of this version; 2 on a "
                "usage error.",
    GB_CLI_LEAF(gen_opts, gen_args_t, gen_init, gen_run),
};

const gb_cmd_t gb_cli_generate = {
    .name = "generate",
    .summary = "generate a melody: `generate melody --bars N -o OUT.mid`",
    .description = "Generate with a trained model.",
    GB_CLI_SUBS(&generate_melody),
};

GB_CLI_ENTRY(gb_cmd_generate, gb_cli_generate)
