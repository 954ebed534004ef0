/* cmd_transfer.c — `gbac transfer IN -o OUT --preset P`: offline timbre transfer, an audio
 * file through an instrument that follows it (gb_transfer_file).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "gb_cli.h"
#include "gb_share.h"
#include "gb_transfer.h"

typedef struct transfer_args {
    gb_transfer_config_t cfg;
    const char *preset;
    char preset_file[4096];
    int quiet;
} transfer_args_t;

static void transfer_init(void *p)
{
    transfer_args_t *a = p;
    a->cfg = gb_transfer_config_default();
    a->preset = "timbre-transfer";
}

static const gb_opt_choice_t formats[] = {
    {"pcm24", GB_RENDER_PCM24}, {"pcm16", GB_RENDER_PCM16}, {"float", GB_RENDER_FLOAT},
    {NULL, 0}};

#define A(f) offsetof(transfer_args_t, f)
static const gb_opt_t transfer_opts[] = {
    {.name = "output", .short_name = 'o', .arg = "OUT", .kind = GB_OPT_STRING,
     .off = A(cfg.out_path), .flags = GB_OPT_REQUIRED | GB_OPT_NONEMPTY,
     .help = "output file; .wav or .flac chooses the container"},
    {.name = "preset", .arg = "P", .kind = GB_OPT_STRING, .off = A(preset),
     .flags = GB_OPT_USAGE | GB_OPT_NONEMPTY,
     .help = "a preset file, or the name of a shipped one (default {default}); its "
             "instrument must be able to follow an input (gbac.timbre-vae)"},
    {.name = "format", .arg = "F", .kind = GB_OPT_CHOICE, .off = A(cfg.format),
     .choices = formats, .help = "pcm24 (default), pcm16 (no dither) or float (WAV only)"},
    {.name = "tail", .arg = "S", .kind = GB_OPT_DOUBLE, .off = A(cfg.tail_s), .lo = 0,
     .hi = 60, .what = "a number of seconds",
     .help = "seconds rendered after the input ends, {range} (default {default})"},
    {.name = "seed", .arg = "N", .kind = GB_OPT_U32, .off = A(cfg.seed), .lo = 0,
     .hi = 4294967295.0, .help = "seed of anything random in the units (default {default})"},
    {.name = "quiet", .short_name = 'q', .kind = GB_OPT_FLAG, .off = A(quiet),
     .help = "print nothing but errors"},
};
#undef A

static int transfer_run(void *p, const gb_cli_call_t *call)
{
    transfer_args_t *a = p;
    char tried[8192];
    if (gb_share_preset(a->preset, a->preset_file, sizeof a->preset_file, tried,
                        sizeof tried) < 0) {
        fprintf(stderr, "%s: cannot find the shipped preset '%s' (looked in: %s)\n", call->prog,
                a->preset, tried);
        return GB_EXIT_FAIL;
    }
    a->cfg.in_path = call->pos[0];
    a->cfg.preset_path = a->preset_file;
    gb_error_t err = {0};
    gb_transfer_stats_t st;
    if (gb_transfer_file(&a->cfg, &st, &err) < 0) {
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
        return GB_EXIT_FAIL;
    }
    if (a->quiet)
        return GB_EXIT_OK;
    const double secs = (double)st.frames / st.sample_rate;
    fprintf(stderr, "%s: wrote %s: %.2f s at %.0f Hz from %d channel%s, peak %.1f dBFS, %.1fx "
            "real time\n", call->prog, a->cfg.out_path, secs, st.sample_rate, st.channels,
            st.channels == 1 ? "" : "s", st.peak > 0.0f ? 20.0 * log10(st.peak) : -INFINITY,
            st.wall_s > 0.0 ? secs / st.wall_s : 0.0);
    if (st.n_nonfinite)
        fprintf(stderr, "%s: warning: %llu non-finite input samples played as 0\n", call->prog,
                (unsigned long long)st.n_nonfinite);
    return GB_EXIT_OK;
}

const gb_cmd_t gb_cli_transfer = {
    .name = "transfer",
    .summary = "timbre transfer: an audio file played by an instrument that follows it",
    .positional = "IN",
    .min_pos = 1,
    .max_pos = 1,
    .description =
        "Play a recording (a voice, any monophonic instrument) through the timbre VAE: its "
        "pitch and loudness, tracked every 64 frames, drive the decoder; unvoiced sounds "
        "(breath, consonants) drive the noise bands. The same engine, unit and tracker as "
        "`gbac live`'s input port NAME:in, offline and deterministic.",
    .epilogue =
        "IN is anything libsndfile reads (WAV, FLAC, AIFF...), any channel count (mixed to "
        "mono), 8000..192000 Hz; the output has the input's sample rate.\n\n"
        "Exit status: 0 on success, 1 if the input is not audio, has no frames or a sample "
        "rate out of range, the preset is missing or its instrument cannot follow an input, "
        "or the output cannot be written (the message names the file), 2 on a usage error.",
    GB_CLI_LEAF(transfer_opts, transfer_args_t, transfer_init, transfer_run),
};

GB_CLI_ENTRY(gb_cmd_transfer, gb_cli_transfer)
