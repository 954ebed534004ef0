/* cmd_publish.c — `gbac publish SESSION -o OUT[.tar.gz|.tar]`: a recorded session made ready
 * to share (gb_publish.h, docs/publish.md).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stddef.h>
#include <stdio.h>

#include "gb_cli.h"
#include "gb_publish.h"

#define A(f) offsetof(gb_publish_config_t, f)
static const gb_opt_t publish_opts[] = {
    {.name = "output", .short_name = 'o', .arg = "OUT", .kind = GB_OPT_STRING, .off = A(out),
     .flags = GB_OPT_USAGE | GB_OPT_NONEMPTY,
     .help = "where to write (a folder, or .tar.gz/.tgz/.tar)"},
    {.name = "title", .arg = "T", .kind = GB_OPT_STRING, .off = A(title),
     .flags = GB_OPT_USAGE | GB_OPT_NONEMPTY,
     .help = "title tag (default: the preset's name and the date)"},
    {.name = "artist", .arg = "A", .kind = GB_OPT_STRING, .off = A(artist),
     .flags = GB_OPT_USAGE | GB_OPT_NONEMPTY,
     .help = "artist tag (default: the performer and the models that made notes, e.g. "
             "\"Performer with gbac melody-gan\")"},
    {.name = "license", .arg = "L", .kind = GB_OPT_STRING, .off = A(license),
     .flags = GB_OPT_USAGE | GB_OPT_NONEMPTY,
     .help = "licence tag of the recording (default: none; yours to choose)"},
    {.name = "force", .kind = GB_OPT_FLAG, .off = A(force), .flags = GB_OPT_USAGE,
     .help = "write into a non-empty OUT folder / replace an OUT archive"},
};
#undef A

static int publish_run(void *p, const gb_cli_call_t *call)
{
    gb_publish_config_t *cfg = p;
    if (!cfg->out)
        return gb_cli_usage_error(call, "no output given (-o OUT, OUT.tar.gz or OUT.tar)");
    cfg->session = call->pos[0];
    cfg->log = stderr;
    gb_publish_result_t res;
    gb_error_t err;
    gb_error_clear(&err);
    if (gb_publish(cfg, &res, &err) < 0) {
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
        return res.bad_out ? GB_EXIT_USAGE : GB_EXIT_FAIL;
    }
    fprintf(stderr, "%s: wrote %s\n  title:   %s\n  artist:  %s\n  comment: %s\n", call->prog,
            cfg->out, res.title, res.artist, res.comment);
    return GB_EXIT_OK;
}

const gb_cmd_t gb_cli_publish = {
    .name = "publish",
    .summary = "a recorded session ready to share: `publish SESSION -o OUT`",
    .positional = "SESSION",
    .min_pos = 1,
    .max_pos = 1,
    .description =
        "Make a recorded session (a folder written by --record, docs/session.md) ready to "
        "share. OUT is a folder (created), or OUT.tar.gz / OUT.tgz / OUT.tar holding one "
        "folder named after it. It holds:\n\n"
        "  audio.flac       the audio, 24-bit FLAC, tagged: title, artist, date, software,\n"
        "                   licence (if given) and a one-line provenance as the comment\n"
        "  notes.mid        the session's MIDI (performer and model tracks)\n"
        "  cover.png        a " GB_CLI_STR(GB_PUBLISH_COVER_PX) " x " GB_CLI_STR(
            GB_PUBLISH_COVER_PX) " picture: spectrogram over the piano roll\n"
        "  credits.txt      who made what (notes, sounding time, shares), each model with\n"
        "                   its training data and licence, ratings, gbac's licence\n"
        "  provenance.json  the session's provenance, unchanged",
    .epilogue = "Exit status: 0 on success; 1 if a part of SESSION is missing or bad (named on "
                "stderr) or OUT cannot be written; 2 on a usage error.",
    GB_CLI_LEAF(publish_opts, gb_publish_config_t, NULL, publish_run),
};

GB_CLI_ENTRY(gb_cmd_publish, gb_cli_publish)
