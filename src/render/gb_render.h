/* gb_render.h — offline rendering: the live engine driven by a file clock. MIDI file events
 * and OSC score actions are delivered on their exact frames (each at its offset within the
 * block it falls in), the output goes to a sink or to a WAV/FLAC file (libsndfile), and a
 * tail is rendered after the content until the output falls silent. Same inputs, same
 * options → bit-identical output.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GB_RENDER_H
#define GB_RENDER_H

#include <stdint.h>

#include "gb_common.h"
#include "gb_engine.h"
#include "gb_midifile.h"
#include "gb_osc_score.h"
#include "gb_preset.h"
#include "gb_unit_registry.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of the render loop. */
typedef struct gb_render_opts {
    uint32_t struct_size; /* sizeof(gb_render_opts_t) */
    uint32_t block;       /* frames per engine call, 1..GB_ENGINE_MAX_BLOCK and ≤ the
                             engine's max_block (default 256) */
    double tail_s;        /* longest time rendered after the content ends, 0..600 (2) */
    double silence_dbfs;  /* the tail stops early once the output stays below this... (-90) */
    double silence_s;     /* ...for this long (0.5) */
    int progress;         /* 1: progress lines on stderr, at most one per second, once the
                             render has taken more than 2 s of wall time (0) */
    /* Called after each engine block, before the sink, with the block's input events (times
     * within the block), the frame of its first frame and its length (NULL: none): how a
     * session recorder sees the performer's and the models' notes (gb_render_recorder). */
    void (*observe)(void *ud, const gb_engine_t *e, const gbp_event_t *in, uint32_t n_in,
                    uint64_t pos, uint32_t frames);
    void *observe_ud;
    /* 1: the raw output, lagging the score by the rack's latency (a limiter's lookahead, an
     * LV2 plugin's reported latency); 0 (default): compensated as a DAW's export is — the
     * first latency frames the rack puts out are dropped and as many more rendered at the
     * end, so a note scheduled at frame F sounds at frame F of the output. */
    int no_latency_comp;
} gb_render_opts_t;

/** Defaults as documented above. [any] */
gb_render_opts_t gb_render_opts_default(void);

/** What a render did. */
typedef struct gb_render_stats {
    uint64_t frames;         /* frames written */
    uint64_t content_frames; /* end of the content: the MIDI file's end or the last score
                                message, whichever is later */
    uint64_t n_midi_events;  /* events delivered from the MIDI file */
    uint64_t n_score;        /* score messages applied */
    uint64_t n_dropped;      /* events beyond GB_ENGINE_MAX_EVENTS on one frame (dropped) */
    uint64_t n_nonfinite;    /* non-finite samples from the engine, written as 0 */
    float peak;              /* largest |sample| written */
    int tail_cut;            /* 1 if the tail stopped early on silence */
    double wall_s;           /* wall time of the render loop */
    uint32_t latency;        /* the rack's latency in frames when the render started */
    uint32_t compensated;    /* frames dropped at the start to compensate it (0 or latency) */
} gb_render_stats_t;

/** Receives each rendered block. Returns 0, or a negative error (stops the render). */
typedef int (*gb_render_sink_fn)(void *user, const float *l, const float *r, uint32_t frames,
                                 gb_error_t *err);

/** Render with an engine already built (sample rate, max block and seed set by its config):
 *  gb_engine_reset() is called first, but for bit-identical renders pass a freshly built
 *  engine (a reset does not restore parameter values a score changed, nor, at present, all
 *  of every unit's state). midi and score may each be NULL. The MIDI file must have been
 *  loaded at the engine's sample rate. Score messages are turned into actions through
 *  gb_osc_handlers before anything is rendered: one that is refused fails the render with
 *  "SCORE:LINE: " and the handler's message. Tempo changes (the MIDI file's Set Tempo events
 *  and /gbac/tempo) are applied on their frames by splitting the block there. When the
 *  content ends, an all-notes-off is sent on every channel, then the tail is rendered.
 *  stats may be NULL. Returns 0 or a negative error. [main: runs the engine on this thread] */
int gb_render_run(gb_engine_t *e, const gb_midifile_t *midi, const gb_osc_score_t *score,
                  const gb_render_opts_t *opts, gb_render_sink_fn sink, void *user,
                  gb_render_stats_t *stats, gb_error_t *err);

/** Output sample format. */
typedef enum gb_render_format {
    GB_RENDER_PCM24 = 0, /* 24-bit integer PCM (WAV or FLAC), clipped at full scale */
    GB_RENDER_FLOAT = 1, /* 32-bit float (WAV only) */
    GB_RENDER_PCM16 = 2, /* 16-bit integer PCM (WAV or FLAC), clipped, not dithered */
} gb_render_format_t;

/** Everything `gbac render` needs. */
typedef struct gb_render_config {
    uint32_t struct_size;    /* sizeof(gb_render_config_t) */
    const char *preset_path; /* required */
    const char *midi_path;   /* a Standard MIDI File, or NULL */
    const char *score_path;  /* an OSC score (gb_osc_score.h), or NULL */
    const char *out_path;    /* required: *.wav or *.flac (case-insensitive) */
    const char *const *plugin_dirs; /* extra plugin folders (n_plugin_dirs of them) */
    int n_plugin_dirs;
    double sample_rate;      /* 8000..384000 (48000) */
    uint32_t seed;           /* the engine's seed (1) */
    gb_render_format_t format;
    gb_render_opts_t opts;
    const char *record_dir;  /* also record a session folder here (docs/session.md), or NULL;
                                out_path may then be NULL */
    int record_format;       /* gb_rec_format_t: the session's audio file */
} gb_render_config_t;

/** Defaults: 48000 Hz, seed 1, 24-bit PCM, gb_render_opts_default(). [any] */
gb_render_config_t gb_render_config_default(void);

/** Load the preset (and plugins from plugin_dirs and $GBAC_PLUGIN_PATH), the MIDI file and
 *  the score, build the engine and render to out_path. The file is written under a temporary
 *  name and renamed when complete: a failed render leaves no output. Every error names the
 *  file it is about (with the line for score errors). [main] */
int gb_render_file(const gb_render_config_t *cfg, gb_render_stats_t *stats, gb_error_t *err);

/** A gb_render_opts_t observer for a gb_recorder_t (ud): waits for room in its rings (so
 *  nothing is lost offline), then records the block as gb_recorder_capture_block() does,
 *  plus the score's parameter events (from "osc"). [main] */
void gb_render_recorder(void *ud, const gb_engine_t *e, const gbp_event_t *in, uint32_t n_in,
                        uint64_t pos, uint32_t frames);

/** An output file being written (libsndfile): stereo, at sample_rate, in the container its
 *  name's extension chooses, under a temporary name until gb_render_out_close() keeps it.
 *  title (may be NULL) is stored in the file. [main] */
typedef struct gb_render_out gb_render_out_t;
gb_render_out_t *gb_render_out_open(const char *path, double sample_rate,
                                    gb_render_format_t fmt, const char *title, gb_error_t *err);

/** A gb_render_sink_fn writing to the gb_render_out_t passed as user. [main] */
int gb_render_out_sink(void *user, const float *l, const float *r, uint32_t frames,
                       gb_error_t *err);

/** Close the file: keep = 1 renames it to its name, keep = 0 removes it. Returns 0 or a
 *  negative error (a failed write or rename; the file is then removed). NULL-safe. [main] */
int gb_render_out_close(gb_render_out_t *o, int keep, gb_error_t *err);

/** The container and format for a path: 0 and the libsndfile format code, or a negative
 *  error naming the path (unknown extension, float in FLAC). [any] */
int gb_render_sf_format(const char *path, gb_render_format_t fmt, int *sf_format,
                        gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
