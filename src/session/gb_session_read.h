/* gb_session_read.h — load a recorded session folder (docs/session.md) for `gbac publish` and
 * `gbac plot`: the provenance JSON, the notes of every named track of notes.mid, and the
 * timbre latent path and critic scores from the control log. Also loads a lone MIDI or audio
 * file as a session with only that part, so `gbac plot FILE` draws it with the same code.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GB_SESSION_READ_H
#define GB_SESSION_READ_H

#include <jansson.h>
#include <stddef.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_SESSION_LATENT_DIMS 8 /* z0..z7 of the timbre VAE */

/** One note: start and end in seconds from the first frame of the audio. */
typedef struct gb_session_note {
    double t0, t1;
    int pitch;      /* MIDI 0..127 */
    float velocity; /* 0..1 */
} gb_session_note_t;

/** One named track of notes.mid (the tempo track is not listed). */
typedef struct gb_session_track {
    char *name;      /* as in the file: "performer", "melody (gbac.melody-gan)", or "track N" */
    char *source;    /* "performer", or the slot ("melody"); the name when it has no " (" */
    char *unit;      /* the unit id in the parentheses ("gbac.melody-gan"); NULL if none */
    int is_performer;/* 1 for the track named "performer" */
    size_t n_notes;
    gb_session_note_t *notes; /* sorted by start */
    double seconds;  /* sounding time: sum of t1 - t0 */
} gb_session_track_t;

/** A value at a time (a latent coordinate or a critic score). */
typedef struct gb_session_point {
    double t;     /* seconds */
    double value;
    int index;    /* latent: dimension 0..7; score: index of the track of its slot, or -1 */
} gb_session_point_t;

/** A session as read. Parts that are absent are empty (NULL / 0), never an error for the
 *  single-file loaders. Every field is read-only for the caller. */
typedef struct gb_session_data {
    char *dir;            /* the folder, or the single file's path */
    json_t *prov;         /* provenance.json (NULL for a single file) */
    double sample_rate;   /* Hz: the provenance's, the audio file's, or 48000 for a lone MIDI */
    double seconds;       /* length: the longest of audio, last note end, last control line */
    char *audio_path;     /* audio.wav / audio.flac / the single audio file; NULL if none */
    long long audio_frames;
    int audio_channels;
    int has_notes;        /* notes.mid (or the single MIDI file) was read */
    int n_tracks;
    gb_session_track_t *tracks;
    int has_control;      /* control.jsonl was read */
    char latent_slot[64]; /* slot of the latent params ("vae"), empty if none seen */
    size_t n_latent;
    gb_session_point_t *latent; /* every <slot>/zK param line, in frame order */
    size_t n_scores;
    gb_session_point_t *scores; /* every <slot>/score param line (or provenance phrases) */
    char (*score_slots)[64];    /* slot of each score, n_scores entries */
    size_t n_ratings;
    gb_session_point_t *ratings; /* value +1 / -1; index as for scores */
    size_t control_lines;        /* lines read from control.jsonl */
} gb_session_data_t;

/** Load the session folder dir: provenance.json (required; format "gbac-session/1",
 *  sample_rate), the audio (provenance audio.file, else audio.wav or audio.flac; must be
 *  readable by libsndfile), notes.mid (provenance midi.file; required) and the control log
 *  (provenance control_log; required when named). A last control line without its newline
 *  that does not parse is taken as cut short and skipped; any other bad line fails.
 *  Errors name the part: "DIR/provenance.json: line 3: ...", "DIR/notes.mid: ...",
 *  "DIR: no such folder". Returns the session or NULL with err set (GB_EIO, GB_EFORMAT,
 *  GB_ENOMEM). [main] */
gb_session_data_t *gb_session_read(const char *dir, gb_error_t *err);

/** A lone MIDI file as a session with only its tracks (sample rate 48000). [main] */
gb_session_data_t *gb_session_read_midi(const char *path, gb_error_t *err);

/** A lone audio file (anything libsndfile reads) as a session with only its audio. [main] */
gb_session_data_t *gb_session_read_audio(const char *path, gb_error_t *err);

/** A session folder, or a lone MIDI file (.mid, .midi, .smf) or audio file, by what path
 *  is. Errors as above, or "PATH: no such file or folder". [main] */
gb_session_data_t *gb_session_read_any(const char *path, gb_error_t *err);

/** Free a session. NULL-safe. [main] */
void gb_session_data_free(gb_session_data_t *s);

/** The model file's short name for credits and tags: the unit id without a leading "gbac."
 *  ("gbac.melody-gan" → "melody-gan"). Returns a pointer into unit. [any] */
const char *gb_session_unit_short(const char *unit);

#ifdef __cplusplus
}
#endif
#endif
