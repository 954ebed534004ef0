/* cmd_live.c — `gbac live`: play live over JACK.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_cli.h"
#include "gb_share.h"
#include "cmd_live_nsm.h"
#include "gb_live.h"
#include "gb_nsm.h"
#include "gb_osc_server.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: gbac live [--preset P] [OPTIONS]\n\n"
            "Play live as a JACK client: MIDI in (JACK MIDI, or a PortMidi device), stereo\n"
            "audio out, the notes the note sources generate on MIDI out, steered by OSC.\n"
            "Ports: NAME:out_L, NAME:out_R, NAME:midi_in, NAME:midi_out.\n\n"
            "  --preset P          preset file, or a shipped preset's name (default: default)\n"
            "  --name NAME         JACK client name (default gbac)\n"
            "  --server NAME       JACK server name (default: $JACK_DEFAULT_SERVER or the\n"
            "                      default server); gbac never starts a server itself\n"
            "  --connect           connect out_L/out_R to the first system playback ports and\n"
            "                      the first physical MIDI source to midi_in\n"
            "  --exit-on-shutdown  exit with status 1 when the JACK server goes away (default:\n"
            "                      say so, keep the session and reconnect when it is back)\n"
            "  --osc-port N        OSC (UDP) port, default %d; 0 turns OSC off\n"
            "  --osc-allow CIDR    serve OSC senders from this IPv4 network (repeatable, up to\n"
            "                      %d); the list replaces the default, loopback only\n"
            "                      (127.0.0.0/8): add --osc-allow 127.0.0.0/8 to keep it\n"
            "  --midi-device NAME  open the PortMidi input whose name contains NAME\n"
            "                      (`gbac midi list` lists them)\n"
            "  --stats-json FILE   write counters (xruns, midi_events, osc_messages,\n"
            "                      osc_errors, osc_refused, osc_dropped) to FILE at exit\n"
            "  --no-ui             no status view: log the same facts as lines (default when\n"
            "                      standard output is not a terminal)\n"
            "  --ui                the ncurses status view\n"
            "  --plugin-dir DIR    load external plugins from DIR (also $GBAC_PLUGIN_PATH)\n"
            "  --preset-dir DIR    folder OSC preset names are confined to (default: the\n"
            "                      preset's folder)\n"
            "  --session-dir DIR   folder OSC recording names are confined to, and where the\n"
            "                      status view's R key records (default .)\n"
            "  --record DIR        record a session into DIR from the start: audio, notes.mid,\n"
            "                      control.jsonl, provenance.json (docs/session.md); written\n"
            "                      when gbac stops\n"
            "  --record-format F   wav (32-bit float, default) or flac (24-bit)\n"
            "  --seed N            seed for the units' randomness (default 1)\n\n"
            "Stops on SIGINT/SIGTERM (or q in the status view). Exit status 0, or 1 when\n"
            "JACK cannot be joined or went away with --exit-on-shutdown, 2 on usage errors.\n\n"
            "Under a session manager (NSM_URL set, docs/nsm.md): announce, wait for it to\n"
            "open a session, play as JACK client CLIENT_ID (not --name) with the state kept in\n"
            "the session; without --osc-port a taken OSC port is replaced by a free one.\n",
            GB_OSC_DEFAULT_PORT, GB_LIVE_MAX_ALLOW);
}

static int parse_int(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) {
        fprintf(stderr, "gbac live: %s %s: expected a number %ld..%ld\n", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int gb_cmd_live(int argc, char **argv)
{
    gb_live_config_t cfg = gb_live_config_default();
    const char *preset_arg = "default", *plugin_dirs[8];
    int n_dirs = 0, ui = -1, osc_port_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
#define NEEDS_VALUE                                                                           \
    do {                                                                                      \
        if (!v) {                                                                             \
            fprintf(stderr, "gbac live: %s needs a value\n", a);                              \
            return GB_EXIT_USAGE;                                                             \
        }                                                                                     \
        i++;                                                                                  \
    } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return GB_EXIT_OK;
        } else if (!strcmp(a, "--preset")) {
            NEEDS_VALUE;
            preset_arg = v;
        } else if (!strcmp(a, "--name")) {
            NEEDS_VALUE;
            cfg.name = v;
        } else if (!strcmp(a, "--server")) {
            NEEDS_VALUE;
            cfg.server = v;
        } else if (!strcmp(a, "--connect")) {
            cfg.connect = 1;
        } else if (!strcmp(a, "--exit-on-shutdown")) {
            cfg.exit_on_shutdown = 1;
        } else if (!strcmp(a, "--osc-port")) {
            NEEDS_VALUE;
            if (parse_int(a, v, 0, 65535, &n))
                return GB_EXIT_USAGE;
            cfg.osc_port = (int)n;
            osc_port_given = 1;
        } else if (!strcmp(a, "--osc-allow")) {
            NEEDS_VALUE;
            if (cfg.n_allow >= GB_LIVE_MAX_ALLOW) {
                fprintf(stderr, "gbac live: at most %d --osc-allow\n", GB_LIVE_MAX_ALLOW);
                return GB_EXIT_USAGE;
            }
            cfg.allow[cfg.n_allow++] = v;
        } else if (!strcmp(a, "--midi-device")) {
            NEEDS_VALUE;
            cfg.midi_device = v;
        } else if (!strcmp(a, "--stats-json")) {
            NEEDS_VALUE;
            cfg.stats_json = v;
        } else if (!strcmp(a, "--no-ui")) {
            ui = 0;
        } else if (!strcmp(a, "--ui")) {
            ui = 1;
        } else if (!strcmp(a, "--plugin-dir")) {
            NEEDS_VALUE;
            if (n_dirs < 8)
                plugin_dirs[n_dirs++] = v;
        } else if (!strcmp(a, "--preset-dir")) {
            NEEDS_VALUE;
            cfg.preset_dir = v;
        } else if (!strcmp(a, "--session-dir")) {
            NEEDS_VALUE;
            cfg.session_dir = v;
        } else if (!strcmp(a, "--record")) {
            NEEDS_VALUE;
            if (!*v) {
                fprintf(stderr, "gbac live: --record needs a folder name\n");
                return GB_EXIT_USAGE;
            }
            cfg.record_dir = v;
        } else if (!strcmp(a, "--record-format")) {
            NEEDS_VALUE;
            if (strcmp(v, "wav") && strcmp(v, "flac")) {
                fprintf(stderr, "gbac live: --record-format %s: expected wav or flac\n", v);
                return GB_EXIT_USAGE;
            }
            cfg.record_format = strcmp(v, "flac") == 0;
        } else if (!strcmp(a, "--seed")) {
            NEEDS_VALUE;
            if (parse_int(a, v, 0, 4294967295L, &n))
                return GB_EXIT_USAGE;
            cfg.seed = (uint32_t)n;
        } else {
            fprintf(stderr, "gbac live: unknown option '%s' (see --help)\n", a);
            return GB_EXIT_USAGE;
        }
#undef NEEDS_VALUE
    }
    char data[4096] = ".", tried[8192], preset[4096], pdir[4096];
    if (gb_share_preset(preset_arg, preset, sizeof preset, tried, sizeof tried) < 0) {
        fprintf(stderr, "gbac live: cannot find the shipped preset '%s' (looked in: %s); give "
                        "a file with --preset or set GBAC_DATA_DIR\n", preset_arg, tried);
        return GB_EXIT_FAIL;
    }
    if (gb_share_dir("presets", data, sizeof data, tried, sizeof tried) < 0)
        snprintf(data, sizeof data, "."); /* a preset file given: models/ from here */
    cfg.preset = preset;
    if (!cfg.preset_dir) {
        snprintf(pdir, sizeof pdir, "%s", preset);
        char *slash = strrchr(pdir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(pdir, sizeof pdir, ".");
        cfg.preset_dir = pdir;
    }
    char mdir[4200];
    snprintf(mdir, sizeof mdir, "%s/models", data);
    cfg.model_dir = mdir;
    cfg.plugin_dirs = plugin_dirs;
    cfg.n_plugin_dirs = n_dirs;
    cfg.ui = ui >= 0 ? ui : isatty(1);
    live_nsm_t nsm;
    memset(&nsm, 0, sizeof nsm);
    const char *nsm_url = getenv("NSM_URL");
    if (nsm_url && *nsm_url) {
        int rc = gb_live_nsm_start(&nsm, nsm_url, &cfg, osc_port_given);
        if (rc >= 0) {
            gb_nsm_free(nsm.nsm);
            return rc;
        }
    }
    if (!cfg.session_dir)
        cfg.session_dir = ".";
    gb_error_t err = {0};
    gb_live_t *lv = gb_live_new(&cfg, &err);
    if (nsm.nsm && gb_live_nsm_opened(&nsm, lv, &err) >= 0) {
        gb_nsm_free(nsm.nsm);
        return GB_EXIT_FAIL; /* nsm_opened reported it */
    }
    if (!lv) {
        fprintf(stderr, "gbac live: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    int status = gb_live_run(lv);
    gb_live_free(lv);
    gb_nsm_free(nsm.nsm);
    return status ? GB_EXIT_FAIL : GB_EXIT_OK;
}
