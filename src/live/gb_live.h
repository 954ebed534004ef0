/* gb_live.h — the live host: gbac as a JACK client, and the messages that cross between its
 * threads.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Threads (see ../docs/live.md):
 *   audio   JACK's process callback: drains the command rings, reads JACK MIDI in, runs the
 *           engine, writes audio and JACK MIDI out, posts feedback. Never blocks.
 *   main    everything else that is not real-time: OSC server (polled, so its handlers run
 *           here), status view / log, engine swaps, reconnecting to JACK, stats.
 *   midi    one PortMidi polling thread when --midi-device is given.
 * They meet only at SPSC rings (gb_ring.h) of gb_live_cmd_t (towards audio) and gb_live_fb_t
 * (from audio; both in ../control/gb_live_msg.h), and at an atomic engine pointer swapped at a block boundary with the old
 * engine returned on a ring and freed on main.
 */
#ifndef GB_LIVE_H
#define GB_LIVE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"
#include "gb_engine.h"
#include "gb_live_msg.h"
#include "gbac_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the host ------------------------------------------------------------------------------ */

#define GB_LIVE_MAX_ALLOW 16

typedef struct gb_live gb_live_t;

typedef struct gb_live_config {
    uint32_t struct_size;
    const char *preset;      /* preset file */
    const char *name;        /* JACK client name (default "gbac") */
    const char *server;      /* JACK server name (NULL: the default / $JACK_DEFAULT_SERVER) */
    int connect;             /* connect out_L/out_R to the first system playback ports and
                                the first physical MIDI source to midi_in */
    int exit_on_shutdown;    /* exit with status 1 when the server goes away */
    int osc_port;            /* 0: no OSC server; default GB_OSC_DEFAULT_PORT */
    int n_allow;
    const char *allow[GB_LIVE_MAX_ALLOW]; /* CIDR strings */
    const char *midi_device; /* PortMidi input device name (substring), or NULL */
    int http_port;           /* the browser surface: -1 off (default), 0 a free port */
    int n_http_allow;
    const char *http_allow[GB_LIVE_MAX_ALLOW]; /* CIDR strings: other hosts, with the token */
    const char *web_dir;     /* the page's files (share/gbac/web) */
    const char *stats_json;  /* file written at exit, or NULL */
    const char *preset_dir;  /* confinement for preset names over OSC */
    const char *session_dir; /* confinement for recording names over OSC */
    const char *model_dir;   /* confinement for model names over OSC (/gbac/timbre/model) */
    const char *const *plugin_dirs;
    int n_plugin_dirs;
    int ui;                  /* 1: ncurses status view, 0: log lines */
    uint32_t seed;
    const char *record_dir;  /* record a session into this folder from the start, or NULL */
    int record_format;       /* gb_rec_format_t (gb_recorder.h): 0 WAV float, 1 FLAC 24 */
    int link;                /* join an Ableton Link session: it leads the transport
                                (gb_transport.h, docs/rigs.md) */
    int osc_port_next_free;  /* when osc_port is taken, take the first free one of the 31
                                after it (and say which) instead of failing */
    /* Called on main once per turn of gb_live_run's loop (every ~5 ms), e.g. to serve a
     * session manager; NULL: none. */
    void (*idle)(struct gb_live *lv, void *ud);
    void *idle_ud;
} gb_live_config_t;

/** Defaults: name "gbac", OSC on GB_OSC_DEFAULT_PORT, log lines, seed 1. [any] */
gb_live_config_t gb_live_config_default(void);

/** Load the preset, join JACK, open the OSC server and the MIDI device. Errors name what
 *  failed (file, server, port). [main] */
gb_live_t *gb_live_new(const gb_live_config_t *cfg, gb_error_t *err);

/** Run until SIGINT/SIGTERM (or 'q' in the status view, or the server going away with
 *  exit_on_shutdown). Returns the process exit status. [main] */
int gb_live_run(gb_live_t *lv);

/** Save the current state as a preset file: the loaded preset with every writable
 *  parameter's current value, learned CC mappings and each unit's state (save_state), e.g.
 *  the timbre VAE's latents. The same as /gbac/preset/save. [main] */
int gb_live_save_preset(gb_live_t *lv, const char *path, gb_error_t *err);

/** A counter that grows with every change a save would keep: parameter changes from OSC or
 *  mapped MIDI CCs, learned mappings, unit state and preset loads. Compare two readings to
 *  know whether the session is dirty. [main] */
uint64_t gb_live_change_count(const gb_live_t *lv);

/** Start recording a session into dir (docs/session.md): audio, notes.mid, control.jsonl,
 *  provenance.json. The same as --record, /gbac/record/start and the status view's R key.
 *  Fails (err names the folder) when already recording or the folder cannot be used.
 *  [main] */
int gb_live_record_start(gb_live_t *lv, const char *dir, gb_error_t *err);

/** Stop recording and write the session's files; a one-line summary goes to stderr and to
 *  msg (may be NULL). Fails when not recording. [main] */
int gb_live_record_stop(gb_live_t *lv, char *msg, size_t cap, gb_error_t *err);

/** The folder being recorded into, or NULL. [main] */
const char *gb_live_recording(const gb_live_t *lv);

/** Ask gb_live_run to return (exit status 0) at its next turn, as SIGTERM does. [any] */
void gb_live_request_quit(void);

/** Leave JACK, write the stats file, free everything. NULL-safe. [main] */
void gb_live_free(gb_live_t *lv);

#ifdef __cplusplus
}
#endif
#endif
