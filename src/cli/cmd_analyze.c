/* cmd_analyze.c — `gbac analyze [OPTIONS] NOTE`: one recorded note → its timbre frames as
 * JSON (docs/timbre-format.md, gb_note_timbre.h), a summary on stderr.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_cli.h"
#include "gb_note_timbre.h"

typedef struct analyze_args {
    const char *out;
    double hop_ms;
    int channel;
} analyze_args_t;

static void analyze_init(void *p)
{
    ((analyze_args_t *)p)->hop_ms = 1000.0 * GB_TIMBRE_HOP_S;
}

/* "mix" (0) or a channel number 1..1024. */
static int parse_channel(const char *v, void *field)
{
    if (strcmp(v, "mix") == 0) {
        *(int *)field = 0;
        return 0;
    }
    return gb_parse_int(v, 1, 1024, field);
}

#define A(f) offsetof(analyze_args_t, f)
static const gb_opt_t analyze_opts[] = {
    {.name = "output", .short_name = 'o', .arg = "OUT", .kind = GB_OPT_STRING, .off = A(out),
     .what = "a file name", .help = "write the JSON to OUT instead of stdout"},
    {.name = "hop-ms", .arg = "N", .kind = GB_OPT_DOUBLE, .off = A(hop_ms), .lo = 1, .hi = 100,
     .what = "a number of milliseconds",
     .help = "milliseconds between frames, {range} (default {default}; the synth plays 10 ms "
             "frames and resamples others when it loads them)"},
    {.name = "channel", .arg = "N|mix", .kind = GB_OPT_CUSTOM, .off = A(channel),
     .parse = parse_channel, .what = "'mix' or a channel number (1 = first)",
     .help = "analyse channel N (1 = first) instead of the mix of all channels (default: mix)"},
};
#undef A

static void summary(const char *path, const gb_note_timbre_t *t, int channel, const char *out)
{
    const gb_note_analysis_t *r = &t->an;
    char note[16];
    const double cents = gb_analysis_note_name(r->f0_hz, note, sizeof note);
    fprintf(stderr, "%s: %.0f Hz, %.2f s, %d channel%s (%s)\n", path, r->sample_rate,
            t->seconds, t->channels, t->channels == 1 ? "" : "s",
            channel ? "one channel analysed" : t->channels > 1 ? "mixed to mono" : "mono");
    fprintf(stderr, "  f0            %.2f Hz = %s %+.1f cents (%d of %d frames voiced)\n",
            r->f0_hz, note, cents, r->n_voiced, r->n_frames);
    fprintf(stderr, "  frames        %d x %g ms, from %.2f s to %.2f s", r->n_frames,
            1000.0 * r->hop_s, r->start_s, r->start_s + (r->n_frames - 1) * r->hop_s);
    if (t->kept < r->n_frames)
        fprintf(stderr, "; the first %d written", t->kept);
    fputc('\n', stderr);
    if (r->noise_energy > 0.0)
        fprintf(stderr, "  harmonic/noise energy ratio  %.3g (%.1f dB)\n",
                r->harm_energy / r->noise_energy,
                10.0 * log10(r->harm_energy / r->noise_energy));
    else
        fprintf(stderr, "  harmonic/noise energy ratio  no noise measured\n");
    fprintf(stderr, "  loudest       %.1f dBFS RMS\n", r->peak_rms_db);
    fprintf(stderr, "  wrote         %s\n", out ? out : "(stdout)");
}

static int analyze_run(void *p, const gb_cli_call_t *call)
{
    const analyze_args_t *a = p;
    const char *file = call->pos[0];
    gb_note_timbre_config_t cfg = {file, a->channel, a->hop_ms / 1000.0};
    gb_note_timbre_t t;
    gb_error_t err = {0};
    int rc = gb_note_timbre_analyze(&cfg, &t, &err);
    if (rc == 0)
        rc = a->out ? gb_timbre_json_save(a->out, &t.meta, t.an.frames, t.kept, &err)
                    : gb_timbre_json_write(stdout, "stdout", &t.meta, t.an.frames, t.kept, &err);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
        gb_note_timbre_free(&t);
        return GB_EXIT_FAIL;
    }
    summary(file, &t, a->channel, a->out);
    gb_note_timbre_free(&t);
    return GB_EXIT_OK;
}

const gb_cmd_t gb_cli_analyze = {
    .name = "analyze",
    .summary = "analyse a recorded note into timbre frames: `analyze NOTE.wav`",
    .positional = "NOTE",
    .min_pos = 1,
    .max_pos = 1,
    .description =
        "Analyse one recorded note (WAV, FLAC, OGG or anything else libsndfile reads) into "
        "timbre frames: its f0 and, every 10 ms, the peak amplitudes of 64 harmonics and the "
        "RMS of 32 noise bands, as gbac's harmonic synth plays them. Silence before and after "
        "the note is trimmed. The timbre JSON (docs/timbre-format.md) goes to stdout or OUT, a "
        "summary to stderr.",
    .epilogue =
        "At most " GB_CLI_STR(GB_TIMBRE_MAX_FRAMES) " frames are written (the synth plays no "
        "more); a longer note keeps its beginning. f0 is searched between 50 and 2100 Hz (at most 1/8 of the sample "
        "rate).\n\n"
        "Exit status: 0 on success; 1 if NOTE is missing, unreadable, silent or has no pitch, "
        "or OUT cannot be written (the reason is printed on stderr); 2 on a usage error.",
    GB_CLI_LEAF(analyze_opts, analyze_args_t, analyze_init, analyze_run),
};

GB_CLI_ENTRY(gb_cmd_analyze, gb_cli_analyze)
