/* cmd_render.c — `gbac render`: a MIDI file (and an OSC control score) through a preset's
 * rack, offline, to a WAV or FLAC file (gb_render_file).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "gb_cli.h"
#include "gb_render.h"

#define MAX_PLUGIN_DIRS 16

typedef struct render_args {
    gb_render_config_t cfg;
    const char *plugin_dirs[MAX_PLUGIN_DIRS];
    int quiet;
} render_args_t;

static void render_init(void *p)
{
    render_args_t *a = p;
    a->cfg = gb_render_config_default();
}

static const gb_opt_choice_t formats[] = {
    {"pcm24", GB_RENDER_PCM24}, {"pcm16", GB_RENDER_PCM16}, {"float", GB_RENDER_FLOAT},
    {NULL, 0}};
static const gb_opt_choice_t record_formats[] = {{"wav", 0}, {"flac", 1}, {NULL, 0}};

#define A(f) offsetof(render_args_t, f)
static const gb_opt_t render_opts[] = {
    {.name = "preset", .arg = "P", .kind = GB_OPT_STRING, .off = A(cfg.preset_path),
     .flags = GB_OPT_REQUIRED, .help = "preset file (JSON, see docs/preset-format.md)"},
    {.name = "midi", .arg = "IN.mid", .kind = GB_OPT_STRING, .off = A(cfg.midi_path),
     .flags = GB_OPT_USAGE,
     .help = "Standard MIDI File (format 0 or 1), all tracks merged, following its tempo map"},
    {.name = "output", .short_name = 'o', .arg = "OUT", .kind = GB_OPT_STRING,
     .off = A(cfg.out_path), .flags = GB_OPT_USAGE,
     .help = "output file; .wav or .flac chooses the container"},
    {.name = "osc-score", .arg = "FILE", .kind = GB_OPT_STRING, .off = A(cfg.score_path),
     .help = "OSC control score: lines \"TIME_S PATH [TYPES ARGS...]\", e.g. "
             "\"1.5 /gbac/param/delay/mix f 0.4\" (docs/osc.md)"},
    {.name = "format", .arg = "F", .kind = GB_OPT_CHOICE, .off = A(cfg.format),
     .choices = formats, .help = "pcm24 (default), pcm16 (no dither) or float (WAV only)"},
    {.name = "sample-rate", .arg = "R", .kind = GB_OPT_DOUBLE, .off = A(cfg.sample_rate),
     .lo = 8000, .hi = 384000, .what = "a sample rate in Hz",
     .help = "{range} Hz (default {default})"},
    {.name = "block", .arg = "N", .kind = GB_OPT_U32, .off = A(cfg.opts.block), .lo = 1,
     .hi = GB_ENGINE_MAX_BLOCK, .what = "a number of frames",
     .help = "frames per engine block, {range} (default {default})"},
    {.name = "tail", .arg = "S", .kind = GB_OPT_DOUBLE, .off = A(cfg.opts.tail_s), .lo = 0,
     .hi = 600, .what = "a number of seconds",
     .help = "seconds rendered after the content ends, at most ({range}); stops early once "
             "the output stays below -90 dBFS for 0.5 s (default {default})"},
    {.name = "seed", .arg = "N", .kind = GB_OPT_U32, .off = A(cfg.seed), .lo = 0,
     .hi = 4294967295.0, .help = "seed of anything random in the units (default {default})"},
    {.name = "plugin-dir", .arg = "DIR", .kind = GB_OPT_APPEND, .off = A(plugin_dirs),
     .count_off = A(cfg.n_plugin_dirs), .max = MAX_PLUGIN_DIRS,
     .help = "also load the plugins (*.so) in DIR; may be repeated (up to {max})"},
    {.name = "record", .arg = "DIR", .kind = GB_OPT_STRING, .off = A(cfg.record_dir),
     .flags = GB_OPT_NONEMPTY, .what = "a folder name",
     .help = "also record a session folder (docs/session.md): audio, notes.mid (the input's "
             "notes as the performer's, each note source's on its own track), control.jsonl, "
             "provenance.json; -o is then optional"},
    {.name = "record-format", .arg = "F", .kind = GB_OPT_CHOICE, .off = A(cfg.record_format),
     .choices = record_formats,
     .help = "the session's audio: wav (32-bit float, default) or flac"},
    {.name = "no-latency-comp", .kind = GB_OPT_FLAG, .off = A(cfg.opts.no_latency_comp),
     .help = "write the raw output, late by the rack's latency (a limiter's lookahead, an LV2 "
             "plugin's); by default it is compensated: a note scheduled at frame F sounds at "
             "frame F"},
    {.name = "quiet", .short_name = 'q', .kind = GB_OPT_FLAG, .off = A(quiet),
     .help = "print nothing but errors"},
};
#undef A

static void report(const render_args_t *a, const gb_render_stats_t *st, const char *prog)
{
    const gb_render_config_t *cfg = &a->cfg;
    const double sr = cfg->sample_rate, secs = (double)st->frames / sr;
    const uint64_t tail = st->frames - (st->frames < st->content_frames ? st->frames
                                                                        : st->content_frames);
    if (cfg->record_dir)
        fprintf(stderr, "%s: recorded the session in %s\n", prog, cfg->record_dir);
    fprintf(stderr,
            "%s: wrote %s: %.2f s (%.2f s of content + %.2f s tail%s), peak %.1f dBFS, "
            "%.1fx real time\n",
            prog, cfg->out_path ? cfg->out_path : cfg->record_dir, secs,
            (double)st->content_frames / sr, (double)tail / sr,
            st->tail_cut ? ", cut at silence" : "",
            st->peak > 0.0f ? 20.0 * log10(st->peak) : -INFINITY,
            st->wall_s > 0.0 ? secs / st->wall_s : 0.0);
    if (st->peak > 1.0f)
        fprintf(stderr, "%s: warning: peak above 0 dBFS%s: lower master/gain_db\n", prog,
                cfg->format == GB_RENDER_FLOAT ? "" : " (the file is clipped)");
    if (st->n_dropped)
        fprintf(stderr, "%s: warning: %llu events dropped (more than %d on one frame)\n", prog,
                (unsigned long long)st->n_dropped, GB_ENGINE_MAX_EVENTS);
    if (st->n_nonfinite)
        fprintf(stderr, "%s: warning: %llu non-finite samples written as 0\n", prog,
                (unsigned long long)st->n_nonfinite);
}

static int render_run(void *p, const gb_cli_call_t *call)
{
    render_args_t *a = p;
    gb_render_config_t *cfg = &a->cfg;
    if ((!cfg->out_path && !cfg->record_dir) || (!cfg->midi_path && !cfg->score_path))
        return gb_cli_usage_error(call, "needs -o (or --record) and --midi and/or --osc-score");
    cfg->plugin_dirs = a->plugin_dirs;
    cfg->opts.progress = !a->quiet;
    gb_error_t err = {0};
    gb_render_stats_t st;
    if (gb_render_file(cfg, &st, &err) < 0) {
        fprintf(stderr, "gbac: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    if (!a->quiet)
        report(a, &st, call->prog);
    return GB_EXIT_OK;
}

const gb_cmd_t gb_cli_render = {
    .name = "render",
    .summary = "render a MIDI file (and an OSC score) offline to WAV/FLAC",
    .description =
        "Render a MIDI file through a preset's rack (note sources, instrument, effects), "
        "offline and faster than real time, with the same engine as `gbac live`. Events land "
        "on their exact frames; the same inputs give a bit-identical file.",
    .epilogue =
        "At least one of --midi and --osc-score is needed. Notes still held when the content "
        "ends are released then. Progress is printed on stderr for long renders.\n\n"
        "Environment: GBAC_PLUGIN_PATH=DIR:DIR... more plugin folders.\n\n"
        "Exit status: 0 on success, 1 if an input is missing or invalid or the output cannot "
        "be written (the message names the file, and the line for a score), 2 on a usage "
        "error.",
    GB_CLI_LEAF(render_opts, render_args_t, render_init, render_run),
};

GB_CLI_ENTRY(gb_cmd_render, gb_cli_render)
