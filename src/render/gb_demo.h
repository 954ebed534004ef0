/* gb_demo.h — the demo piece: the bundled waltz (examples/demo/waltz.mid) through shipped
 * presets, mixed to a WAV or FLAC file, with no audio hardware and no JACK server.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_DEMO_H
#define GB_DEMO_H

#include "gb_common.h"
#include "gb_session.h"

#define GB_DEMO_MIDI "examples/demo/waltz.mid" /* in the data folder (gb_share.h) */

typedef struct gb_demo_config {
    const char *out_path;   /* .wav or .flac */
    const char *preset;     /* every track through this preset (a file or a shipped name), or
                               NULL: the melody through breathy-lead, the chords through
                               warm-pad, mixed */
    const char *record_dir; /* also record a session folder (docs/session.md), or NULL */
    int no_latency_comp;    /* 1: the raw output, late by each rack's latency (gb_render_opts) */
} gb_demo_config_t;

typedef struct gb_demo_result {
    double seconds;                /* length of the piece */
    double wall_s;                 /* time spent rendering */
    char presets[2][4200];         /* what played: [0] the melody (or every track), [1] the
                                      chords ("" with one preset) */
    int recorded;                  /* 1: a session was recorded */
    gb_session_summary_t session;  /* its summary (session.stopped: why it stopped early) */
} gb_demo_result_t;

/** Render the demo (see above). Returns 0, or a negative error naming what is missing or
 *  cannot be written (the data folder's search path when the phrase is not found). [main] */
int gb_demo_render(const gb_demo_config_t *cfg, gb_demo_result_t *res, gb_error_t *err);

#endif
