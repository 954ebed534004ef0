/* cmd_plot.c — `gbac plot SESSION|FILE -o OUT.png|OUT.svg [--width W] [--height H]`: the
 * picture of a recorded session (gb_plot.h), or of one audio or MIDI file.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stddef.h>
#include <stdio.h>

#include "gb_cli.h"
#include "gb_plot.h"
#include "gb_session_read.h"

typedef struct plot_args {
    const char *out;
    gb_plot_opts_t o;
} plot_args_t;

static void plot_init(void *p)
{
    gb_plot_opts_init(&((plot_args_t *)p)->o);
}

#define A(f) offsetof(plot_args_t, f)
static const gb_opt_t plot_opts[] = {
    {.name = "output", .short_name = 'o', .arg = "OUT", .kind = GB_OPT_STRING, .off = A(out),
     .flags = GB_OPT_REQUIRED | GB_OPT_NONEMPTY,
     .help = "the picture: PNG if OUT ends in .png, SVG if .svg"},
    {.name = "width", .arg = "W", .kind = GB_OPT_INT, .off = A(o.width), .lo = GB_PLOT_MIN_SIZE,
     .hi = GB_PLOT_MAX_SIZE, .flags = GB_OPT_USAGE, .what = "a number of pixels",
     .help = "width in pixels, {range} (default {default})"},
    {.name = "height", .arg = "H", .kind = GB_OPT_INT, .off = A(o.height),
     .lo = GB_PLOT_MIN_SIZE, .hi = GB_PLOT_MAX_SIZE, .flags = GB_OPT_USAGE,
     .what = "a number of pixels", .help = "height in pixels, {range} (default {default})"},
    {.name = "title", .arg = "T", .kind = GB_OPT_STRING, .off = A(o.title),
     .help = "the title drawn at the top (default: the folder's name)"},
};
#undef A

static int plot_run(void *p, const gb_cli_call_t *call)
{
    plot_args_t *a = p;
    if (!gb_plot_format_ok(a->out)) {
        fprintf(stderr, "%s: %s: unknown picture format (the name must end in .png or .svg)\n",
                call->prog, a->out);
        return GB_EXIT_USAGE;
    }
    gb_error_t err;
    gb_error_clear(&err);
    gb_session_data_t *s = gb_session_read_any(call->pos[0], &err);
    int rc = s ? gb_plot_write(s, a->out, &a->o, &err) : -1;
    if (rc == 0) {
        size_t notes = 0;
        for (int i = 0; i < s->n_tracks; i++)
            notes += s->tracks[i].n_notes;
        fprintf(stderr, "%s: wrote %s (%d x %d; %.1f s, %d tracks, %zu notes, %zu latent "
                        "points, %zu scores)\n",
                call->prog, a->out, a->o.width, a->o.height, s->seconds, s->n_tracks, notes,
                s->n_latent, s->n_scores);
    } else {
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
    }
    gb_session_data_free(s);
    return rc == 0 ? GB_EXIT_OK : GB_EXIT_FAIL;
}

const gb_cmd_t gb_cli_plot = {
    .name = "plot",
    .summary = "draw a session or file: `plot SESSION|FILE -o OUT.png|OUT.svg`",
    .positional = "SESSION|FILE",
    .min_pos = 1,
    .max_pos = 1,
    .description =
        "Draw a recorded session (a folder written by --record, docs/session.md): the "
        "spectrogram of its audio over a piano roll of the performer's and each model's notes "
        "(in their own colours, with a legend), the timbre latent z0..z7 over time and the "
        "critic scores and ratings of generated phrases, on one time axis.\n\n"
        "A single FILE draws one panel: .wav/.flac (or any audio libsndfile reads) the "
        "spectrogram, .mid/.midi the piano roll.",
    .epilogue = "Exit status: 0 on success; 1 if the input is missing or bad or OUT cannot be "
                "written (the reason is printed); 2 on a usage error.",
    GB_CLI_LEAF(plot_opts, plot_args_t, plot_init, plot_run),
};

GB_CLI_ENTRY(gb_cmd_plot, gb_cli_plot)
