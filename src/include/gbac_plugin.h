/* gbac_plugin.h — the unit / plugin ABI of gbac. Installed for plugin authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every sound or note processor in gbac is a *unit* behind this ABI: the built-in harmonic
 * synth, effects and arpeggiator, and external plugins loaded from a shared object.
 *
 * A plugin library exports one function:
 *
 *     const gbp_descriptor_t *gbac_plugin_entry(uint32_t index);
 *
 * returning its descriptors for index 0, 1, ... and NULL after the last. The host reads
 * `abi_version` first and refuses a descriptor whose version differs from
 * GBP_ABI_VERSION, or whose `struct_size` is smaller than the host's, or with a required
 * callback missing.
 *
 * Threads and states (tags on every callback, after CLAP):
 *   [main]      the host's control thread, never concurrently with another [main] call
 *   [audio]     the real-time thread: no allocation, locks, system calls, logging or I/O;
 *               cost bounded by A + B·frames, independent of the signal values
 *   [active]    between activate() and deactivate()
 * A unit MUST NOT crash when frames is 0, when events are empty, or when a parameter value is
 * outside its range (clamp it).
 *
 * Events carry a sample offset within the block. The host splits blocks at event offsets, so
 * instruments and effects see every event at `time == 0` of a (sub-)block and need not split
 * themselves; note sources may emit events at any offset inside their block.
 */
#ifndef GBAC_PLUGIN_H
#define GBAC_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GBP_ABI_VERSION 1u
#define GBP_ENTRY_SYMBOL "gbac_plugin_entry"

typedef enum gbp_kind {
    GBP_KIND_NOTE_SOURCE = 1, /* events in → events out (arpeggiator, melody generator) */
    GBP_KIND_INSTRUMENT = 2,  /* events in → stereo audio out */
    GBP_KIND_EFFECT = 3,      /* stereo audio in → stereo audio out (+ parameter events) */
} gbp_kind_t;

typedef enum gbp_event_type {
    GBP_EV_NOTE_ON = 1,   /* key, value = velocity 0..1 (0 is not a note-off here) */
    GBP_EV_NOTE_OFF = 2,  /* key, value = release velocity 0..1 */
    GBP_EV_CC = 3,        /* id = controller 0..127, value 0..1 */
    GBP_EV_PITCH_BEND = 4,/* value -1..1 (the unit scales by its bend range) */
    GBP_EV_PRESSURE = 5,  /* channel aftertouch, value 0..1 */
    GBP_EV_PARAM = 6,     /* id = parameter id, value in the parameter's own range */
    GBP_EV_ALL_OFF = 7,   /* all notes off (release), e.g. on transport stop */
} gbp_event_type_t;

/* Who made a note: the performer, or a model/unit (for provenance and separate tracks). */
#define GBP_SOURCE_HUMAN 0u

typedef struct gbp_event {
    uint32_t time;    /* sample offset within the block being processed */
    uint8_t type;     /* gbp_event_type_t */
    uint8_t channel;  /* MIDI channel 0..15 */
    uint8_t key;      /* MIDI note 0..127 */
    uint8_t source;   /* GBP_SOURCE_HUMAN or the id of the unit that generated it */
    uint32_t id;      /* controller number or parameter id */
    float value;      /* see the event types */
} gbp_event_t;

typedef struct gbp_transport {
    double sample_rate;
    uint64_t frame;      /* frames since the host started, at the block's first frame */
    double tempo_bpm;    /* quarter notes per minute */
    double beat;         /* position in beats at the block's first frame */
    uint32_t beats_per_bar;
    uint32_t beat_unit;  /* 4 = quarter note */
    uint32_t playing;    /* 1 when the transport rolls */
} gbp_transport_t;

typedef struct gbp_process {
    uint32_t frames;                /* 0 .. max_frames given to activate() */
    const gbp_event_t *events;      /* sorted by time; all at time 0 for instruments/effects */
    uint32_t n_events;
    const float *const *audio_in;   /* effects: 2 channels of `frames` samples; instruments:
                                       the host's audio input (mono: both channels the same
                                       buffer) when it has one; else NULL */
    float *const *audio_out;        /* instruments/effects: 2 channels (the unit writes, does
                                       not add), note sources: NULL */
    gbp_event_t *events_out;        /* note sources: room for events_out_capacity events */
    uint32_t events_out_capacity;
    uint32_t *n_events_out;         /* note sources set the count written; extra are dropped */
    const gbp_transport_t *transport;
} gbp_process_t;

#define GBP_PARAM_STEPPED 1u   /* integer values only */
#define GBP_PARAM_NO_SMOOTH (1u << 1) /* jumps are fine (switches, modes) */
#define GBP_PARAM_READONLY (1u << 2) /* a value the unit reports (meters); set_param ignores it */

typedef struct gbp_param_info {
    uint32_t id;          /* stable across versions: presets store ids and names */
    const char *name;     /* short, lower-case, no spaces: "cutoff", "decay_ms" */
    const char *unit;     /* "Hz", "ms", "dB", "%", "" */
    float min, max, def;
    float smoothing_ms;   /* time the unit smooths changes over (0: none) */
    uint32_t flags;       /* GBP_PARAM_* */
    const char *doc;      /* one line for the OSC schema and --help */
} gbp_param_info_t;

typedef struct gbp_host {
    uint32_t abi_version;
    void *host_data;
    /** Print a message for the user. [main] (never from [audio]) */
    void (*log)(const struct gbp_host *host, int level, const char *msg);
    /** Seed for anything random in the unit (noise, random patterns), fixed per engine so
     *  a render with the same seed is reproducible; recorded in session provenance. */
    uint32_t seed;
} gbp_host_t;

typedef struct gbp_descriptor gbp_descriptor_t;

struct gbp_descriptor {
    uint32_t abi_version; /* GBP_ABI_VERSION — first, always */
    uint32_t struct_size; /* sizeof(gbp_descriptor_t) the plugin was built with */
    const char *id;       /* unique, reverse-DNS or "gbac.<name>": "gbac.delay" */
    const char *name;
    const char *vendor;
    const char *version;
    const char *description;
    gbp_kind_t kind;
    uint32_t n_params;
    const gbp_param_info_t *params;

    /** New instance, parameters at their defaults. NULL on failure. [main] */
    void *(*create)(const gbp_descriptor_t *desc, const gbp_host_t *host);
    /** Free an instance (deactivated first by the host). [main] */
    void (*destroy)(void *self);
    /** Allocate everything processing needs. Returns 0 or a negative error. [main] */
    int (*activate)(void *self, double sample_rate, uint32_t max_frames);
    /** Release what activate() allocated. [main & active] */
    void (*deactivate)(void *self);
    /** Forget sounding notes and tails (e.g. before a render). Optional (NULL: nothing to
     *  forget). [audio & active] */
    void (*reset)(void *self);
    /** Process one block. [audio & active] */
    void (*process)(void *self, const gbp_process_t *proc);
    /** Set a parameter now, without smoothing (initial values, preset load). Out-of-range
     *  values are clamped. [main, not while processing] */
    void (*set_param)(void *self, uint32_t id, float value);
    /** Current value of a parameter. [main] */
    float (*get_param)(void *self, uint32_t id);
    /** Write the unit's state (beyond parameters) as a JSON object text into buf (cap
     *  bytes, NUL-terminated); returns the length needed (excluding the NUL) or a negative
     *  error. Optional (NULL: no extra state). [main] */
    int (*save_state)(void *self, char *buf, size_t cap);
    /** Restore state written by save_state. Returns 0, or a negative error with a message
     *  written to err (errcap bytes). Optional. [main, not while processing] */
    int (*load_state)(void *self, const char *json, char *err, size_t errcap);
};

/** The entry point a plugin library exports. [main] */
typedef const gbp_descriptor_t *(*gbp_entry_fn)(uint32_t index);

#ifdef __cplusplus
}
#endif
#endif
