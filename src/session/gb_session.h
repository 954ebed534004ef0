/* gb_session.h — a recording session folder (docs/session.md): audio (through gb_recorder),
 * notes.mid (the performer's and each model's notes on named tracks), control.jsonl (the
 * control log) and provenance.json (who made what).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Life cycle, all on [main]:
 *   gb_session_start()       creates the folder, a reserve file (so the final files can be
 *                            written on a full disk), the recorder, and a first
 *                            provenance.json ("complete": false);
 *   gb_session_add_engine()  describes an engine: its slots, units, note-source ids, the
 *                            models its units loaded (SHA-256 and card) and its parameter
 *                            names (used for events from this frame on);
 *   gb_session_recorder()    what the audio thread (or the render loop) pushes into;
 *   gb_session_log_*()       control-thread events (OSC) at the current recording frame;
 *   gb_session_stop()        after the producer let go: drains and closes the audio, deletes
 *                            the reserve, writes notes.mid, control.jsonl and
 *                            provenance.json (each under a temporary name, then renamed).
 */
#ifndef GB_SESSION_H
#define GB_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"
#include "gb_engine.h"
#include "gb_preset.h"
#include "gb_recorder.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_SESSION_FORMAT "gbac-session/1"

typedef struct gb_session_config {
    uint32_t struct_size;  /* sizeof(gb_session_config_t) */
    const char *dir;       /* the session folder: created if missing (its parent must exist);
                              an existing folder must not hold a session already */
    const char *command;   /* "live", "render", "demo" */
    double sample_rate;
    uint32_t seed;
    int format;            /* gb_rec_format_t */
    int offline;           /* 1: rings sized for a render loop that waits (gb_recorder.h) */
    size_t reserve_bytes;  /* space kept for the final files (default 1 MiB) */
} gb_session_config_t;

/** Defaults: command "live", 48000 Hz, seed 1, WAV, live rings, 1 MiB reserve. [any] */
gb_session_config_t gb_session_config_default(void);

typedef struct gb_session gb_session_t;

/** Start a session (see above). Errors name the folder or file. [main] */
gb_session_t *gb_session_start(const gb_session_config_t *cfg, gb_error_t *err);

/** Describe an engine built from preset (the preset's file is hashed): call once after
 *  start, and again after an engine swap (preset load) with the frame it took effect.
 *  [main] */
int gb_session_add_engine(gb_session_t *s, const gb_engine_t *e, const gb_preset_t *preset,
                          uint64_t frame, gb_error_t *err);

/** The recorder to hand to the producer. [main] */
gb_recorder_t *gb_session_recorder(gb_session_t *s);

/** The folder. [any] */
const char *gb_session_dir(const gb_session_t *s);

/** A parameter changed by OSC (value in its own range), at the current frame. [main] */
void gb_session_log_param(gb_session_t *s, int32_t handle, float value);

/** Another OSC message that changed something (args: a JSON array text, or NULL), at the
 *  current frame. [main] */
void gb_session_log_osc(gb_session_t *s, const char *path, const char *args_json);

/** What a session recorded, for the caller's messages. */
typedef struct gb_session_summary {
    uint64_t frames;          /* frames played while recording */
    uint64_t frames_written;  /* whole frames in the audio file */
    uint64_t overruns;
    uint64_t events_dropped;
    uint64_t performer_notes;
    uint64_t model_notes;
    int n_ratings;
    char stopped[256];        /* "" or why the audio recording stopped early */
} gb_session_summary_t;

/** Stop and write the files (see above). The producer must have let go of the recorder.
 *  Returns 0 or a negative error naming the file; sum may be NULL. [main] */
int gb_session_stop(gb_session_t *s, gb_session_summary_t *sum, gb_error_t *err);

/** Free (a session not stopped is stopped first, its errors ignored). NULL-safe. [main] */
void gb_session_free(gb_session_t *s);

/** The SHA-256 of a file's bytes as lower-case hex; 0 or a negative error. [any] */
int gb_session_file_sha256(const char *path, char hex[65], gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
