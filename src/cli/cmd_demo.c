/* cmd_demo.c — `gbac demo`: render the demo piece (the performer's calls, the melody GAN's
 * answers, the timbre VAE with a moving latent) to a WAV file (gb_demo.h), with no audio
 * hardware and no JACK server.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stddef.h>
#include <stdio.h>

#include "gb_cli.h"
#include "gb_demo.h"
#include "gb_render.h"
#include "gb_share.h"

typedef struct demo_args {
    gb_demo_config_t cfg;
    int quiet;
} demo_args_t;

static void demo_init(void *p)
{
    ((demo_args_t *)p)->cfg.out_path = "gbac-demo.wav";
}

#define A(f) offsetof(demo_args_t, f)
static const gb_opt_t demo_opts[] = {
    {.name = "output", .short_name = 'o', .arg = "OUT", .kind = GB_OPT_STRING,
     .off = A(cfg.out_path), .flags = GB_OPT_USAGE | GB_OPT_NONEMPTY,
     .help = "output file, .wav or .flac (default: {default} in the current folder)"},
    {.name = "preset", .arg = "P", .kind = GB_OPT_STRING, .off = A(cfg.preset),
     .flags = GB_OPT_USAGE,
     .help = "play the performer's calls through one preset instead: a file, or the name of a shipped "
             "preset (warm-pad, pluck-arp, breathy-lead, default)"},
    {.name = "record", .arg = "DIR", .kind = GB_OPT_STRING, .off = A(cfg.record_dir),
     .flags = GB_OPT_USAGE | GB_OPT_NONEMPTY, .what = "a folder name",
     .help = "also record a session folder (docs/session.md): the mix, notes.mid (the phrase "
             "as the performer's notes, note sources' notes on their own tracks), "
             "control.jsonl, provenance.json"},
    {.name = "quiet", .short_name = 'q', .kind = GB_OPT_FLAG, .off = A(quiet),
     .flags = GB_OPT_USAGE, .help = "print only the output file's name (and errors)"},
};
#undef A

static void report(const demo_args_t *a, const gb_demo_result_t *r, const char *prog)
{
    const double speed = r->wall_s > 0 ? r->seconds / r->wall_s : 0.0;
    if (r->session.stopped[0])
        fprintf(stderr, "%s: recording %s: %s\n", prog, a->cfg.record_dir, r->session.stopped);
    if (a->quiet)
        return;
    if (r->recorded && !r->session.stopped[0])
        fprintf(stderr, "%s: recorded the session in %s (%llu performer notes, %llu model "
                        "notes)\n", prog, a->cfg.record_dir,
                (unsigned long long)r->session.performer_notes,
                (unsigned long long)r->session.model_notes);
    fprintf(stderr, "%s: %.1f s through %s, rendered %.0fx faster than real time\n", prog,
            r->seconds, r->presets[0], speed);
}

static int demo_run(void *p, const gb_cli_call_t *call)
{
    demo_args_t *a = p;
    gb_error_t err = {0};
    int sf_format;
    if (gb_render_sf_format(a->cfg.out_path, GB_RENDER_PCM24, &sf_format, &err) < 0) {
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
        return GB_EXIT_USAGE;
    }
    gb_demo_result_t r;
    if (gb_demo_render(&a->cfg, &r, &err) < 0) {
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
        return GB_EXIT_FAIL;
    }
    printf("%s\n", a->cfg.out_path);
    report(a, &r, call->prog);
    return GB_EXIT_OK;
}

const gb_cmd_t gb_cli_demo = {
    .name = "demo",
    .summary = "render the bundled demo piece to gbac-demo.wav",
    .description =
        "Render a short co-creation piece (about 35 s), offline, and print the file's name "
        "on stdout. No audio hardware or JACK server is needed.\n\n"
        "The performer's four calls (examples/demo/calls.mid) are answered by the shipped "
        "melody GAN in answer mode, as live, in each call's key; the timbre VAE plays both, "
        "its latent moving along a path across the piece (the OSC score "
        "examples/demo/piece.osc); the rack is examples/demo/piece.json. The same file on "
        "every run. With --record DIR, `gbac plot DIR -o piece.png` draws both parts and the "
        "latent path.",
    .epilogue =
        "The data (presets/, examples/demo/) is looked for in " GB_SHARE_WHERE ".\n\n"
        "Exit status: 0 on success, 1 if the data is missing or the file cannot be written, 2 "
        "on a usage error.",
    GB_CLI_LEAF(demo_opts, demo_args_t, demo_init, demo_run),
};

GB_CLI_ENTRY(gb_cmd_demo, gb_cli_demo)
