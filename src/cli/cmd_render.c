/* cmd_render.c — `gbac render`: a MIDI file (and an OSC control score) through a preset's
 * rack, offline, to a WAV or FLAC file.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_cli.h"
#include "gb_render.h"

#define MAX_PLUGIN_DIRS 16

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: gbac render --preset P --midi IN.mid -o OUT.wav|OUT.flac [OPTIONS]\n"
            "       gbac render --help\n\n"
            "Render a MIDI file through a preset's rack (note sources, instrument, effects),\n"
            "offline and faster than real time, with the same engine as `gbac live`. Events\n"
            "land on their exact frames; the same inputs give a bit-identical file.\n\n"
            "Options:\n"
            "  --preset P          preset file (JSON, see docs/preset-format.md); required\n"
            "  --midi IN.mid       Standard MIDI File (format 0 or 1), all tracks merged,\n"
            "                      following its tempo map\n"
            "  -o, --output OUT    output file; .wav or .flac chooses the container\n"
            "  --osc-score FILE    OSC control score: lines \"TIME_S PATH [TYPES ARGS...]\",\n"
            "                      e.g. \"1.5 /gbac/param/delay/mix f 0.4\" (docs/osc.md)\n"
            "  --format F          pcm24 (default), pcm16 (no dither) or float (WAV only)\n"
            "  --sample-rate R     8000..384000 Hz (default 48000)\n"
            "  --block N           frames per engine block, 1..%d (default 256)\n"
            "  --tail S            seconds rendered after the content ends, at most; stops\n"
            "                      early once the output stays below -90 dBFS for 0.5 s\n"
            "                      (default 2)\n"
            "  --seed N            seed of anything random in the units (default 1)\n"
            "  --plugin-dir DIR    also load the plugins (*.so) in DIR; may be repeated\n"
            "  --record DIR        also record a session folder (docs/session.md): audio,\n"
            "                      notes.mid (the input's notes as the performer's, each note\n"
            "                      source's on its own track), control.jsonl, provenance.json;\n"
            "                      -o is then optional\n"
            "  --record-format F   the session's audio: wav (32-bit float, default) or flac\n"
            "  --quiet             print nothing but errors\n"
            "  -h, --help          show this help\n\n"
            "At least one of --midi and --osc-score is needed. Notes still held when the\n"
            "content ends are released then. Progress is printed on stderr for long renders.\n\n"
            "Environment: GBAC_PLUGIN_PATH=DIR:DIR... more plugin folders.\n\n"
            "Exit status: 0 on success, 1 if an input is missing or invalid or the output\n"
            "cannot be written (the message names the file, and the line for a score), 2 on a\n"
            "usage error.\n",
            GB_ENGINE_MAX_BLOCK);
}

static int parse_u32(const char *s, unsigned long lo, unsigned long hi, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

int gb_cmd_render(int argc, char **argv)
{
    gb_render_config_t cfg = gb_render_config_default();
    const char *dirs[MAX_PLUGIN_DIRS];
    int quiet = 0;
    cfg.plugin_dirs = dirs;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return GB_EXIT_OK;
        }
        if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
            continue;
        }
        static const char *const with_value[] = {
            "--preset", "--midi", "-o", "--output", "--osc-score", "--format", "--sample-rate",
            "--block", "--tail", "--seed", "--plugin-dir", "--record", "--record-format"};
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
            known |= strcmp(a, with_value[k]) == 0;
        if (!known) {
            fprintf(stderr, "gbac render: unknown option '%s' (see `gbac render --help`)\n", a);
            return GB_EXIT_USAGE;
        }
        if (!v) {
            fprintf(stderr, "gbac render: %s needs a value (see `gbac render --help`)\n", a);
            return GB_EXIT_USAGE;
        }
        i++;
        int bad = 0;
        if (strcmp(a, "--preset") == 0)
            cfg.preset_path = v;
        else if (strcmp(a, "--midi") == 0)
            cfg.midi_path = v;
        else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)
            cfg.out_path = v;
        else if (strcmp(a, "--osc-score") == 0)
            cfg.score_path = v;
        else if (strcmp(a, "--format") == 0) {
            if (strcmp(v, "pcm24") == 0)
                cfg.format = GB_RENDER_PCM24;
            else if (strcmp(v, "pcm16") == 0)
                cfg.format = GB_RENDER_PCM16;
            else if (strcmp(v, "float") == 0)
                cfg.format = GB_RENDER_FLOAT;
            else
                bad = 1;
        } else if (strcmp(a, "--sample-rate") == 0)
            bad = parse_num(v, 8000.0, 384000.0, &cfg.sample_rate);
        else if (strcmp(a, "--block") == 0)
            bad = parse_u32(v, 1, GB_ENGINE_MAX_BLOCK, &cfg.opts.block);
        else if (strcmp(a, "--tail") == 0)
            bad = parse_num(v, 0.0, 600.0, &cfg.opts.tail_s);
        else if (strcmp(a, "--seed") == 0)
            bad = parse_u32(v, 0, 0xFFFFFFFFul, &cfg.seed);
        else if (strcmp(a, "--record") == 0) {
            cfg.record_dir = v;
            bad = !*v;
        } else if (strcmp(a, "--record-format") == 0) {
            bad = strcmp(v, "wav") != 0 && strcmp(v, "flac") != 0;
            cfg.record_format = strcmp(v, "flac") == 0;
        } else if (strcmp(a, "--plugin-dir") == 0) {
            if (cfg.n_plugin_dirs == MAX_PLUGIN_DIRS) {
                fprintf(stderr, "gbac render: at most %d --plugin-dir\n", MAX_PLUGIN_DIRS);
                return GB_EXIT_USAGE;
            }
            dirs[cfg.n_plugin_dirs++] = v;
        }
        if (bad) {
            fprintf(stderr, "gbac render: bad value '%s' for %s (see `gbac render --help`)\n", v,
                    a);
            return GB_EXIT_USAGE;
        }
    }
    if (!cfg.preset_path || (!cfg.out_path && !cfg.record_dir) ||
        (!cfg.midi_path && !cfg.score_path)) {
        fprintf(stderr, "gbac render: needs --preset, -o (or --record) and --midi and/or "
                        "--osc-score (see `gbac render --help`)\n");
        return GB_EXIT_USAGE;
    }
    cfg.opts.progress = !quiet;

    gb_error_t err = {0};
    gb_render_stats_t st;
    if (gb_render_file(&cfg, &st, &err) < 0) {
        fprintf(stderr, "gbac: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    if (!quiet) {
        const double secs = (double)st.frames / cfg.sample_rate;
        if (cfg.record_dir)
            fprintf(stderr, "gbac render: recorded the session in %s\n", cfg.record_dir);
        fprintf(stderr,
                "gbac render: wrote %s: %.2f s (%.2f s of content + %.2f s tail%s), peak "
                "%.1f dBFS, %.1fx real time\n",
                cfg.out_path ? cfg.out_path : cfg.record_dir, secs, (double)st.content_frames / cfg.sample_rate,
                (double)(st.frames - (st.frames < st.content_frames ? st.frames
                                                                    : st.content_frames)) /
                    cfg.sample_rate,
                st.tail_cut ? ", cut at silence" : "",
                st.peak > 0.0f ? 20.0 * log10(st.peak) : -INFINITY,
                st.wall_s > 0.0 ? secs / st.wall_s : 0.0);
        if (st.peak > 1.0f)
            fprintf(stderr, "gbac render: warning: peak above 0 dBFS%s: lower master/gain_db\n",
                    cfg.format == GB_RENDER_FLOAT ? "" : " (the file is clipped)");
        if (st.n_dropped)
            fprintf(stderr, "gbac render: warning: %llu events dropped (more than %d on one "
                            "frame)\n", (unsigned long long)st.n_dropped, GB_ENGINE_MAX_EVENTS);
        if (st.n_nonfinite)
            fprintf(stderr, "gbac render: warning: %llu non-finite samples written as 0\n",
                    (unsigned long long)st.n_nonfinite);
    }
    return GB_EXIT_OK;
}
