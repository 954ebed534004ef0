/* cmd_plot.c — `gbac plot SESSION|FILE -o OUT.png|OUT.svg [--width W] [--height H]`: the
 * picture of a recorded session (gb_plot.h), or of one audio or MIDI file.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "gb_cli.h"
#include "gb_cli_opts.h"
#include "gb_plot.h"
#include "gb_session_read.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: gbac plot SESSION|FILE -o OUT.png|OUT.svg [--width W] [--height H]\n"
            "       gbac plot --help\n\n"
            "Draw a recorded session (a folder written by --record, docs/session.md): the\n"
            "spectrogram of its audio over a piano roll of the performer's and each model's\n"
            "notes (in their own colours, with a legend), the timbre latent z0..z7 over time\n"
            "and the critic scores and ratings of generated phrases, on one time axis.\n"
            "A single FILE draws one panel: .wav/.flac (or any audio libsndfile reads) the\n"
            "spectrogram, .mid/.midi the piano roll.\n\n"
            "Options:\n"
            "  -o, --output OUT   the picture: PNG if OUT ends in .png, SVG if .svg\n"
            "  --width W          width in pixels, %d..%d (default 1600)\n"
            "  --height H         height in pixels, %d..%d (default 1000)\n"
            "  --title T          the title drawn at the top (default: the folder's name)\n"
            "  -h, --help         show this help\n\n"
            "Exit status: 0 on success; 1 if the input is missing or bad or OUT cannot be\n"
            "written (the reason is printed); 2 on a usage error.\n",
            GB_PLOT_MIN_SIZE, GB_PLOT_MAX_SIZE, GB_PLOT_MIN_SIZE, GB_PLOT_MAX_SIZE);
}

static int has_ext(const char *p, const char *e)
{
    size_t n = strlen(p), m = strlen(e);
    return n > m && strcasecmp(p + n - m, e) == 0;
}

int gb_cmd_plot(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *v;
    gb_plot_opts_t o;
    gb_plot_opts_init(&o);
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return GB_EXIT_OK;
        } else if ((v = gb_opt_value(argc, argv, &i, "-o", &missing)) ||
                   (v = gb_opt_value(argc, argv, &i, "--output", &missing))) {
            if (missing)
                goto missing_value;
            out = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--width", &missing))) {
            if (missing)
                goto missing_value;
            if (gb_parse_int(v, GB_PLOT_MIN_SIZE, GB_PLOT_MAX_SIZE, &o.width)) {
                fprintf(stderr, "gbac plot: --width '%s': expected %d..%d pixels\n", v,
                        GB_PLOT_MIN_SIZE, GB_PLOT_MAX_SIZE);
                return GB_EXIT_USAGE;
            }
        } else if ((v = gb_opt_value(argc, argv, &i, "--height", &missing))) {
            if (missing)
                goto missing_value;
            if (gb_parse_int(v, GB_PLOT_MIN_SIZE, GB_PLOT_MAX_SIZE, &o.height)) {
                fprintf(stderr, "gbac plot: --height '%s': expected %d..%d pixels\n", v,
                        GB_PLOT_MIN_SIZE, GB_PLOT_MAX_SIZE);
                return GB_EXIT_USAGE;
            }
        } else if ((v = gb_opt_value(argc, argv, &i, "--title", &missing))) {
            if (missing)
                goto missing_value;
            o.title = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "gbac plot: unknown option '%s' (see `gbac plot --help`)\n",
                    argv[i]);
            return GB_EXIT_USAGE;
        } else if (in) {
            fprintf(stderr, "gbac plot: one SESSION or FILE only ('%s' and '%s')\n", in,
                    argv[i]);
            return GB_EXIT_USAGE;
        } else {
            in = argv[i];
        }
        continue;
    missing_value:
        fprintf(stderr, "gbac plot: %s needs a value\n", argv[i]);
        return GB_EXIT_USAGE;
    }
    if (!in || !out) {
        fprintf(stderr, "gbac plot: %s\n", !in ? "no SESSION or FILE given"
                                              : "no output given (-o OUT.png or OUT.svg)");
        usage(stderr);
        return GB_EXIT_USAGE;
    }
    if (!gb_plot_format_ok(out)) {
        fprintf(stderr, "gbac plot: %s: unknown picture format (the name must end in .png or "
                        ".svg)\n", out);
        return GB_EXIT_USAGE;
    }
    gb_error_t err;
    gb_error_clear(&err);
    struct stat st;
    gb_session_data_t *s;
    if (stat(in, &st) != 0) {
        fprintf(stderr, "gbac plot: %s: %s\n", in,
                errno == ENOENT ? "no such file or folder" : strerror(errno));
        return GB_EXIT_FAIL;
    }
    if (S_ISDIR(st.st_mode))
        s = gb_session_read(in, &err);
    else if (has_ext(in, ".mid") || has_ext(in, ".midi") || has_ext(in, ".smf"))
        s = gb_session_read_midi(in, &err);
    else
        s = gb_session_read_audio(in, &err);
    if (!s) {
        fprintf(stderr, "gbac plot: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    int rc = gb_plot_write(s, out, &o, &err);
    if (rc == 0) {
        size_t notes = 0;
        for (int i = 0; i < s->n_tracks; i++)
            notes += s->tracks[i].n_notes;
        fprintf(stderr, "gbac plot: wrote %s (%d x %d; %.1f s, %d tracks, %zu notes, "
                        "%zu latent points, %zu scores)\n",
                out, o.width, o.height, s->seconds, s->n_tracks, notes, s->n_latent,
                s->n_scores);
    } else {
        fprintf(stderr, "gbac plot: %s\n", err.msg);
    }
    gb_session_data_free(s);
    return rc == 0 ? GB_EXIT_OK : GB_EXIT_FAIL;
}
