/* gb_demo.h — the demo piece, a short co-creation: the performer's four bundled calls
 * (examples/demo/calls.mid) answered by the shipped melody GAN in answer mode — the same unit
 * and preset form as live — both played by the shipped timbre VAE whose latent moves along
 * a path across the piece (the OSC score examples/demo/piece.osc), to a WAV or FLAC file, with
 * no audio hardware and no JACK server. Deterministic: the same file on every run.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_DEMO_H
#define GB_DEMO_H

#include "gb_common.h"
#include "gb_session.h"

/* In the data folder (gb_share.h): */
#define GB_DEMO_MIDI "examples/demo/calls.mid"   /* the performer's calls */
#define GB_DEMO_PRESET "examples/demo/piece.json" /* melody GAN answering, timbre VAE */
#define GB_DEMO_SCORE "examples/demo/piece.osc"   /* the latent path */

typedef struct gb_demo_config {
    const char *out_path;   /* .wav or .flac */
    const char *preset;     /* the calls through this preset instead (a file or a shipped
                               name), without the latent score, or NULL: the piece */
    const char *record_dir; /* also record a session folder (docs/session.md), or NULL */
} gb_demo_config_t;

typedef struct gb_demo_result {
    double seconds;                /* length of the piece */
    double wall_s;                 /* time spent rendering */
    char presets[1][4200];         /* what played: the preset */
    int recorded;                  /* 1: a session was recorded */
    gb_session_summary_t session;  /* its summary (session.stopped: why it stopped early) */
} gb_demo_result_t;

/** Render the demo (see above). Returns 0, or a negative error naming what is missing or
 *  cannot be written (the data folder's search path when the phrase is not found). [main] */
int gb_demo_render(const gb_demo_config_t *cfg, gb_demo_result_t *res, gb_error_t *err);

#endif
