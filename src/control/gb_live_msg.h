/* gb_live_msg.h — the messages that cross between the live host's threads: commands towards
 * the audio thread, feedback from it, and the counters every thread may read. The OSC server,
 * the PortMidi reader and the JACK driver (src/live/gb_live.h) all speak them.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_LIVE_MSG_H
#define GB_LIVE_MSG_H

#include <stdatomic.h>
#include <stdint.h>

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

/* ---- counters, readable from any thread ---------------------------------------------------- */

typedef struct gb_live_stats {
    atomic_uint_fast64_t xruns;        /* JACK xrun callbacks */
    atomic_uint_fast64_t midi_events;  /* MIDI events applied (JACK MIDI and PortMidi) */
    atomic_uint_fast64_t midi_dropped; /* MIDI events lost: ring full or too many per block */
    atomic_uint_fast64_t osc_messages; /* OSC messages served */
    atomic_uint_fast64_t osc_errors;   /* unknown path, wrong types, bad values */
    atomic_uint_fast64_t osc_refused;  /* from senders outside the allow list */
    atomic_uint_fast64_t osc_dropped;  /* commands lost because the ring to audio was full */
    atomic_uint_fast64_t fb_dropped;   /* feedback lost because main was slow */
    atomic_uint_fast64_t late_periods; /* periods gbac itself finished after their deadline */
    atomic_uint_fast64_t max_cycle_pct;/* most of a period used by the time gbac finished, % */
} gb_live_stats_t;

#ifdef __cplusplus
}
#endif
#endif
