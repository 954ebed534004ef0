/* cmd_live.c — `gbac live`: play live over JACK.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_live_nsm.h"
#include "gb_cli.h"
#include "gb_live.h"
#include "gb_nsm.h"
#include "gb_osc_server.h"
#include "gb_share.h"

#define MAX_PLUGIN_DIRS 8

enum { UI_AUTO, UI_ON, UI_OFF };

typedef struct live_args {
    gb_live_config_t cfg;
    const char *preset;
    const char *plugin_dirs[MAX_PLUGIN_DIRS];
    int ui;
    char preset_file[4096], preset_dir[4096], model_dir[4096], web_dir[4096]; /* cfg's */
} live_args_t;

static void live_init(void *p)
{
    live_args_t *a = p;
    a->cfg = gb_live_config_default();
    a->preset = "default";
}

static const gb_opt_choice_t record_formats[] = {{"wav", 0}, {"flac", 1}, {NULL, 0}};

#define A(f) offsetof(live_args_t, f)
static const gb_opt_t live_opts[] = {
    {.name = "preset", .arg = "P", .kind = GB_OPT_STRING, .off = A(preset), .flags = GB_OPT_USAGE,
     .help = "preset file, or a shipped preset's name (default: {default})"},
    {.name = "name", .arg = "NAME", .kind = GB_OPT_STRING, .off = A(cfg.name),
     .help = "JACK client name (default {default})"},
    {.name = "server", .arg = "NAME", .kind = GB_OPT_STRING, .off = A(cfg.server),
     .help = "JACK server name (default: $JACK_DEFAULT_SERVER or the default server); gbac "
             "never starts a server itself"},
    {.name = "connect", .kind = GB_OPT_FLAG, .off = A(cfg.connect),
     .help = "connect out_L/out_R to the first system playback ports and the first physical "
             "MIDI source to midi_in"},
    {.name = "link", .kind = GB_OPT_FLAG, .off = A(cfg.link),
     .help = "join an Ableton Link session: its tempo and bars lead the transport (quantum = "
             "the preset's beats per bar); a tempo set in gbac is proposed to the session "
             "(docs/rigs.md)"},
    {.name = "exit-on-shutdown", .kind = GB_OPT_FLAG, .off = A(cfg.exit_on_shutdown),
     .help = "exit with status 1 when the JACK server goes away (default: say so, keep the "
             "session and reconnect when it is back)"},
    {.name = "osc-port", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.osc_port), .lo = 0,
     .hi = 65535, .what = "a UDP port number",
     .help = "OSC (UDP) port, default {default}: when it is taken, the first free one of the "
             "31 after it (said in the log); a port given here that is taken is an error; 0 "
             "turns OSC off"},
    {.name = "osc-allow", .arg = "CIDR", .kind = GB_OPT_APPEND, .off = A(cfg.allow),
     .count_off = A(cfg.n_allow), .max = GB_LIVE_MAX_ALLOW,
     .help = "serve OSC senders from this IPv4 network (repeatable, up to {max}); the list "
             "replaces the default, loopback only (127.0.0.0/8): add --osc-allow 127.0.0.0/8 "
             "to keep it"},
    {.name = "http", .arg = "PORT", .kind = GB_OPT_INT, .off = A(cfg.http_port), .lo = 0,
     .hi = 65535, .what = "a TCP port number",
     .help = "serve the browser surface (docs/web.md) on http://127.0.0.1:PORT/ (0: a free "
             "port, printed); off by default"},
    {.name = "http-allow", .arg = "CIDR", .kind = GB_OPT_APPEND, .off = A(cfg.http_allow),
     .count_off = A(cfg.n_http_allow), .max = GB_LIVE_MAX_ALLOW,
     .help = "also serve pages to this IPv4 network (repeatable, up to {max}), on every "
             "interface, only with the token gbac prints on stderr (token=...)"},
    {.name = "midi-device", .arg = "NAME", .kind = GB_OPT_STRING, .off = A(cfg.midi_device),
     .help = "open the PortMidi input whose name contains NAME (`gbac midi list` lists them)"},
    {.name = "stats-json", .arg = "FILE", .kind = GB_OPT_STRING, .off = A(cfg.stats_json),
     .help = "write counters (xruns, midi_events, osc_messages, osc_errors, osc_refused, "
             "osc_dropped), the transport (link_enabled, link_peers, link_tempo, ...) and the "
             "periods' cost (process_max_pct, process_p99_pct, units) to FILE at exit"},
    {.name = "no-ui", .kind = GB_OPT_FLAG, .off = A(ui), .set = UI_OFF,
     .help = "no status view: log the same facts as lines (default when standard output is "
             "not a terminal)"},
    {.name = "ui", .kind = GB_OPT_FLAG, .off = A(ui), .set = UI_ON,
     .help = "the ncurses status view"},
    {.name = "plugin-dir", .arg = "DIR", .kind = GB_OPT_APPEND, .off = A(plugin_dirs),
     .count_off = A(cfg.n_plugin_dirs), .max = MAX_PLUGIN_DIRS,
     .help = "load external plugins from DIR (also $GBAC_PLUGIN_PATH); up to {max}"},
    {.name = "preset-dir", .arg = "DIR", .kind = GB_OPT_STRING, .off = A(cfg.preset_dir),
     .help = "folder OSC preset names are confined to (default: the preset's folder)"},
    {.name = "session-dir", .arg = "DIR", .kind = GB_OPT_STRING, .off = A(cfg.session_dir),
     .help = "folder OSC recording names are confined to, and where the status view's R key "
             "records (default .)"},
    {.name = "record", .arg = "DIR", .kind = GB_OPT_STRING, .off = A(cfg.record_dir),
     .flags = GB_OPT_NONEMPTY | GB_OPT_USAGE, .what = "a folder name",
     .help = "record a session into DIR from the start: audio, notes.mid, control.jsonl, "
             "provenance.json (docs/session.md); written when gbac stops"},
    {.name = "record-format", .arg = "F", .kind = GB_OPT_CHOICE, .off = A(cfg.record_format),
     .choices = record_formats, .help = "wav (32-bit float, default) or flac (24-bit)"},
    {.name = "seed", .arg = "N", .kind = GB_OPT_U32, .off = A(cfg.seed), .lo = 0,
     .hi = 4294967295.0, .help = "seed for the units' randomness (default {default})"},
};
#undef A

/* The preset's path and the folders the running host needs, from the shipped data. 0, or
 * -1 (said on stderr) when a shipped preset is not found. */
static int live_paths(live_args_t *a)
{
    char data[4096] = ".", tried[8192];
    if (gb_share_preset(a->preset, a->preset_file, sizeof a->preset_file, tried,
                        sizeof tried) < 0) {
        fprintf(stderr, "gbac live: cannot find the shipped preset '%s' (looked in: %s); give "
                        "a file with --preset or set GBAC_DATA_DIR\n", a->preset, tried);
        return -1;
    }
    if (gb_share_dir("presets", data, sizeof data, tried, sizeof tried) < 0)
        snprintf(data, sizeof data, "."); /* a preset file given: models/ from here */
    a->cfg.preset = a->preset_file;
    if (!a->cfg.preset_dir) {
        snprintf(a->preset_dir, sizeof a->preset_dir, "%s", a->preset_file);
        char *slash = strrchr(a->preset_dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(a->preset_dir, sizeof a->preset_dir, ".");
        a->cfg.preset_dir = a->preset_dir;
    }
    snprintf(a->model_dir, sizeof a->model_dir, "%.4000s/models", data);
    a->cfg.model_dir = a->model_dir;
    char web[4096];
    if (gb_share_dir("web/index.html", web, sizeof web, tried, sizeof tried) == 0) {
        snprintf(a->web_dir, sizeof a->web_dir, "%.4000s/web", web);
        a->cfg.web_dir = a->web_dir;
    }
    return 0;
}

static int live_run(void *p, const gb_cli_call_t *call)
{
    live_args_t *a = p;
    if (live_paths(a) < 0)
        return GB_EXIT_FAIL;
    a->cfg.plugin_dirs = a->plugin_dirs;
    a->cfg.ui = a->ui == UI_AUTO ? isatty(1) : a->ui == UI_ON;
    live_nsm_t nsm;
    memset(&nsm, 0, sizeof nsm);
    const char *nsm_url = getenv("NSM_URL");
    if (nsm_url && *nsm_url) {
        int rc = gb_live_nsm_start(&nsm, nsm_url, &a->cfg, gb_cli_given(call, "osc-port"));
        if (rc >= 0) {
            gb_nsm_free(nsm.nsm);
            return rc;
        }
    }
    if (!a->cfg.session_dir)
        a->cfg.session_dir = ".";
    a->cfg.osc_port_next_free = !gb_cli_given(call, "osc-port");
    gb_error_t err = {0};
    gb_live_t *lv = gb_live_new(&a->cfg, &err);
    if (nsm.nsm && gb_live_nsm_opened(&nsm, lv, &err) >= 0) {
        gb_nsm_free(nsm.nsm);
        return GB_EXIT_FAIL; /* nsm_opened reported it */
    }
    if (!lv) {
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
        return GB_EXIT_FAIL;
    }
    int status = gb_live_run(lv);
    gb_live_free(lv);
    gb_nsm_free(nsm.nsm);
    return status ? GB_EXIT_FAIL : GB_EXIT_OK;
}

const gb_cmd_t gb_cli_live = {
    .name = "live",
    .summary = "play live over JACK (MIDI in, audio and MIDI out, OSC control)",
    .description =
        "Play live as a JACK client: MIDI in (JACK MIDI, or a PortMidi device), stereo audio "
        "out, the notes the note sources generate on MIDI out, steered by OSC. Ports: "
        "NAME:out_L, NAME:out_R, NAME:midi_in, NAME:midi_out.",
    .epilogue =
        "Stops on SIGINT/SIGTERM (or q in the status view). Exit status 0, or 1 when JACK "
        "cannot be joined or went away with --exit-on-shutdown, 2 on usage errors.\n\n"
        "Under a session manager (NSM_URL set, docs/nsm.md): announce, wait for it to open a "
        "session, play as JACK client CLIENT_ID (not --name) with the state kept in the "
        "session; without --osc-port a taken OSC port is replaced by a free one.",
    GB_CLI_LEAF(live_opts, live_args_t, live_init, live_run),
};

GB_CLI_ENTRY(gb_cmd_live, gb_cli_live)
