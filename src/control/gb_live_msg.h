/* gb_live_msg.h — the messages that cross between the live host's threads: commands towards
 * the audio thread, feedback from it, and the counters every thread may read. The OSC server,
 * the PortMidi reader and the JACK driver (src/live/gb_live.h) all speak them.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_LIVE_MSG_H
#define GB_LIVE_MSG_H

#include <stdatomic.h>
#include <stdint.h>

#include "gb_engine.h"
#include "gbac_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- commands towards the audio thread ---------------------------------------------------- */

typedef enum gb_live_cmd_kind {
    GB_CMD_EVENT = 1, /* ev: a note/CC/bend/pressure/param event (param: ev.id = handle) */
    GB_CMD_TEMPO,     /* value: internal tempo in BPM */
    GB_CMD_LEARN,     /* handle: arm MIDI learn for this parameter (-1: disarm) */
    GB_CMD_MAP_CC,    /* handle, cc, channel (255 = any), min, max: add a CC mapping */
} gb_live_cmd_kind_t;

typedef struct gb_live_cmd {
    uint8_t kind;      /* gb_live_cmd_kind_t */
    uint8_t cc;
    uint8_t channel;
    uint8_t pad;
    int32_t handle;
    float value, min, max;
    uint64_t frame;    /* JACK frame the event belongs to (0: as soon as possible) */
    gbp_event_t ev;
} gb_live_cmd_t;

/* ---- feedback from the audio thread ------------------------------------------------------- */

typedef enum gb_live_fb_kind {
    GB_FB_METER = 1, /* peak_l/peak_r since the last meter, dsp_load, voices, tempo */
    GB_FB_PARAM,     /* handle changed to value by a MIDI CC mapping */
    GB_FB_NOTE,      /* ev: a note the note sources generated (also sent to MIDI out) */
    GB_FB_LEARNED,   /* handle now follows cc / channel */
    GB_FB_REPORT,    /* a unit reported value for its read-only parameter handle (e.g. the
                        melody GAN's critic `score`); sent to OSC subscribers like
                        GB_FB_PARAM, but not a change a preset save would keep */
    GB_FB_PLAYED,    /* ev: a note the performer played (JACK MIDI, PortMidi, OSC), as the
                        engine received it (for the browser surface's piano roll) */
} gb_live_fb_kind_t;

typedef struct gb_live_fb {
    uint8_t kind;      /* gb_live_fb_kind_t */
    uint8_t cc;
    uint8_t channel;
    uint8_t pad;
    int32_t handle;
    float value;
    float peak_l, peak_r; /* linear */
    float dsp_load;       /* JACK's DSP load, % */
    int32_t voices;
    float tempo_bpm;
    uint64_t frame;
    gbp_event_t ev;
} gb_live_fb_t;

/* What a period cost, measured by the audio thread (gb_rt_clock.h) and handed to main through
 * its own SPSC ring (one record per period; main turns them into means, worsts and the p99:
 * src/live/gb_cost.h). Only clock reads and these stores happen in the audio thread. */
typedef struct gb_live_cost {
    uint64_t serial;      /* gb_engine_serial() of the engine whose units unit_ns lists */
    uint32_t frames;      /* the period's length */
    uint32_t process_ns;  /* thread CPU time of the whole process callback */
    uint32_t n_units;     /* entries in unit_ns, in rack order (gb_engine_unit_name) */
    uint32_t unit_ns[GB_ENGINE_MAX_UNITS]; /* monotonic time in each unit's process() */
} gb_live_cost_t;

/* The cost keys of /gbac/status and --stats-json, beside the counters: one list for the
 * JSON writer and docs/osc.md (tests/test_osc_doc.c). Each X(name, doc). */
#define GB_LIVE_COST_KEYS(X)                                                                   \
    X(process_max_pct, "worst period: thread CPU time of gbac's process callback, % of the "  \
                       "period")                                                               \
    X(process_p99_pct, "99th percentile of the same, % of the period (0.1 % steps)")           \
    X(window_process_max_pct, "process_max_pct over the periods since /gbac/window (or start)")\
    X(window_process_p99_pct, "process_p99_pct over the same periods")                         \
    X(window_periods, "periods the window has counted")                                        \
    X(cost_periods, "periods the units' figures cover (since the preset was loaded)")        \
    X(units, "each unit of the rack in order: {name, unit, mean_pct, max_pct}, the mean and "  \
             "worst share of the period its process() took since the preset was loaded")

/* ---- counters, readable from any thread ---------------------------------------------------- */

/* The live host's counters: one list for the struct, /gbac/status, --stats-json, the status
 * view and its log (gb_live_stats.h). Each X(name, doc); names are the contract scripts read
 * (docs/osc.md "Counters"). A new counter is one line here. */
#define GB_LIVE_COUNTERS(X)                                                                    \
    X(xruns, "JACK xrun callbacks")                                                            \
    X(nonfinite_blocks, "blocks whose output a unit muted because it held NaN or Inf, over "   \
                        "every unit of every rack played since start (each unit's extension "  \
                        "gbac.nonfinite, docs/units.md; every LV2 unit offers it)")            \
    X(midi_events, "MIDI events applied (JACK MIDI and PortMidi)")                             \
    X(midi_dropped, "MIDI events lost: a ring was full or a period had too many events")       \
    X(osc_messages, "OSC messages served")                                                     \
    X(osc_errors, "OSC messages refused with an error reply (unknown path, wrong types, bad "  \
                  "values), and packets liblo could not parse")                                \
    X(osc_refused, "OSC messages from senders outside the allow list (no reply)")              \
    X(osc_dropped, "OSC commands lost because the queue to the audio thread was full")         \
    X(fb_dropped, "feedback lost: the ring from the audio thread was full, or a subscriber "   \
                  "had used its budget for one poll")                                          \
    X(subscribers, "OSC subscribers now (a level, not a count of events)")                     \
    X(http_clients, "browser pages connected over the WebSocket now (a level)")                \
    X(http_messages, "WebSocket messages from pages served")                                   \
    X(http_errors, "WebSocket messages refused with an error reply (malformed, refused by "    \
                   "the handlers, or dropped because a queue was full)")                       \
    X(http_refused, "HTTP connections and requests refused: an address outside --http-allow, " \
                    "no or a wrong token, a foreign Origin or Host")                           \
    X(http_feed_max_us, "most time a change or a reply waited in gbac before the WebSocket "   \
                        "message carrying it was written to a page, since start, microseconds "\
                        "(from its OSC, page, MIDI or preset handling on the main thread to "  \
                        "the write; the meters, held to 30 a second, are not timed)")          \
    X(http_feed_window_us, "http_feed_max_us since /gbac/window (or start)")                    \
    X(http_feed_own_us, "the same less the time the web server's thread waited for a core "    \
                        "meanwhile (the kernel's run_delay): gbac's own share, since "         \
                        "/gbac/window (or start)")                                             \
    X(late_periods, "periods gbac itself finished after their deadline")                       \
    X(max_cycle_pct, "most of a period used by the time gbac finished, %")

typedef struct gb_live_stats {
#define GB_LIVE_STATS_FIELD(name, doc) atomic_uint_fast64_t name;
    GB_LIVE_COUNTERS(GB_LIVE_STATS_FIELD)
#undef GB_LIVE_STATS_FIELD
} gb_live_stats_t;

/* Indices into the list: GB_LC_xruns, GB_LC_midi_events, ... */
enum {
#define GB_LIVE_COUNTER_INDEX(name, doc) GB_LC_##name,
    GB_LIVE_COUNTERS(GB_LIVE_COUNTER_INDEX)
#undef GB_LIVE_COUNTER_INDEX
    GB_LIVE_N_COUNTERS
};

#ifdef __cplusplus
}
#endif
#endif
