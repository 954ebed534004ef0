/* gbac_plugin.h — the unit / plugin ABI of gbac, version 2. Installed for plugin authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every sound or note processor in gbac is a *unit* behind this ABI: the built-in harmonic
 * synth, timbre VAE, melody generator, effects and arpeggiator, and external plugins loaded
 * from a shared object. A plugin library exports one function:
 *
 *     const gbp_descriptor_t *gbac_plugin_entry(uint32_t index);
 *
 * returning its descriptors for index 0, 1, ... and NULL after the last. The host reads
 * `abi_version` first and refuses a descriptor whose version differs from GBP_ABI_VERSION
 * (an ABI-1 plugin is refused with a message naming both versions: rebuild it against this
 * header, see docs/units.md "Porting a plugin from ABI 1"), whose `struct_size` is smaller
 * than the host's, with a required callback missing, or whose parameter table is unusable
 * (names, ranges, defaults, ids unique and at most GBP_PARAM_ID_MAX).
 *
 * Threads and states (tags on every callback, after CLAP):
 *   [main]        the host's control thread; never two [main] calls at once on one instance
 *   [audio]       the real-time thread: no allocation, locks, system calls, logging or I/O;
 *                 cost bounded by A + B·frames, independent of the signal values. Callbacks
 *                 the host calls there are typed GBP_RT (clang's `nonblocking`: with clang ≥ 20
 *                 and -Wfunction-effects the compiler checks them, RealtimeSanitizer at run time)
 *   [active]      between activate() and deactivate()
 *   [processing]  while process() may run on the audio thread: a [main] call tagged
 *                 "not while processing" is never made then
 * A unit MUST NOT crash when frames is 0, when events are empty, or when a parameter value is
 * outside its range (clamp it).
 *
 * Events carry a sample offset within the block. The host splits blocks at event offsets, so
 * instruments and effects see every event at `time == 0` of a (sub-)block and need not split
 * themselves; note sources may emit events at any offset inside their block.
 *
 * What the host relies on beyond process() is asked for by extension id (get_extension), as
 * in CLAP, never inferred from parameter names: the latency a unit adds, its sounding voices,
 * its polyphony, the timbre latent it can be steered by, the model file it plays, the blocks
 * it muted for NaN/Inf. See
 * "Extensions" below.
 */
#ifndef GBAC_PLUGIN_H
#define GBAC_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GBP_ABI_VERSION 2u
#define GBP_ENTRY_SYMBOL "gbac_plugin_entry"

/* GBP_RT marks the callbacks the host calls on the audio thread. With clang ≥ 20 it is the
 * `nonblocking` function effect: a unit built with clang may mark its process(), reset(),
 * get_param() and the RT extension functions GBP_RT too and have them checked (a function
 * assigned to a GBP_RT pointer without the mark gets a -Wfunction-effects warning). With
 * other compilers it is empty; the rules hold all the same. */
#if defined(__clang__) && defined(__has_attribute)
#if __has_attribute(nonblocking)
#define GBP_RT __attribute__((nonblocking))
#endif
#endif
#ifndef GBP_RT
#define GBP_RT
#endif

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
/* A value the unit reports (a meter, a count, a critic score); set_param and GBP_EV_PARAM
 * ignore it. The host reads it with get_param on the audio thread right after each process()
 * call (so the unit needs no atomics for it) and publishes it to the other threads itself; a
 * note source may instead (or also) report it with a GBP_EV_PARAM event in its output, which
 * gives the value the frame it belongs to — the host takes such events out of the rack. */
#define GBP_PARAM_READONLY (1u << 2)

/* The host packs a parameter id with the unit's place in the rack into 32 bits: ids are
 * 0..GBP_PARAM_ID_MAX. A descriptor with a larger id is refused at load, naming the plugin,
 * the parameter and this limit. */
#define GBP_PARAM_ID_MAX 0xffffu
/* "No parameter", where an extension names a parameter id. */
#define GBP_NO_PARAM 0xffffffffu

typedef struct gbp_param_info {
    uint32_t id;          /* 0..GBP_PARAM_ID_MAX, stable across versions (presets store names
                             and, for OSC and MIDI maps, ids) */
    const char *name;     /* short, lower-case, no spaces: "cutoff", "decay_ms" */
    const char *unit;     /* "Hz", "ms", "dB", "%", "" */
    float min, max, def;
    float smoothing_ms;   /* time the unit smooths changes over (0: none) */
    uint32_t flags;       /* GBP_PARAM_* */
    const char *doc;      /* one line for the OSC schema and --help */
} gbp_param_info_t;

/* Log levels for gbp_host_t.log. */
enum { GBP_LOG_ERROR = 0, GBP_LOG_WARNING = 1, GBP_LOG_INFO = 2, GBP_LOG_DEBUG = 3 };
/* Longest message the host keeps whole when log() is called from the audio thread (bytes,
 * including the NUL); longer ones are cut. */
#define GBP_LOG_RT_MAX 200u

typedef struct gbp_host {
    uint32_t abi_version;
    void *host_data;
    /** Tell the user something (a model that failed to load, a file that was replaced).
     *  The host prefixes the unit's slot and id. Units MUST use this instead of printing.
     *  [any thread] From [main] (create, activate, set_param, load_state, extension calls)
     *  the message is shown at once. From [audio] it is RT-safe: the host copies at most
     *  GBP_LOG_RT_MAX - 1 bytes into a queue allocated in advance and shows it later from a
     *  non-real-time thread; when the queue is full the message is dropped and counted. The
     *  unit must not format on the audio thread with functions that allocate (snprintf of
     *  floats may): pass a fixed text. */
    void (*log)(const struct gbp_host *host, int level, const char *msg) GBP_RT;
    /** Seed for anything random in the unit (noise, random patterns), fixed per engine so
     *  a render with the same seed is reproducible; recorded in session provenance. */
    uint32_t seed;
} gbp_host_t;

typedef struct gbp_descriptor gbp_descriptor_t;

/* Descriptor flags (gbp_descriptor_t.flags). */
/* load_state() may be called while process() runs on the audio thread (LV2's
 * state:threadSafeRestore): the unit builds the new state on the calling thread and hands it
 * over without allocating, freeing or locking in process(). Without the flag the host only
 * calls load_state() when the unit is not processing (a live host refuses such a request). */
#define GBP_UNIT_THREAD_SAFE_STATE 1u

struct gbp_descriptor {
    uint32_t abi_version; /* GBP_ABI_VERSION — first, always */
    uint32_t struct_size; /* sizeof(gbp_descriptor_t) the plugin was built with */
    const char *id;       /* unique, reverse-DNS or "gbac.<name>": "gbac.delay" */
    const char *name;
    const char *vendor;
    const char *version;
    const char *description;
    gbp_kind_t kind;
    uint32_t flags;       /* GBP_UNIT_* */
    uint32_t n_params;
    const gbp_param_info_t *params;

    /** New instance, parameters at their defaults. NULL on failure. [main] */
    void *(*create)(const gbp_descriptor_t *desc, const gbp_host_t *host);
    /** Free an instance (deactivated first by the host). [main] */
    void (*destroy)(void *self);
    /** Allocate everything processing needs. Returns 0 or a negative error (say why with
     *  host->log). [main] */
    int (*activate)(void *self, double sample_rate, uint32_t max_frames);
    /** Release what activate() allocated. [main & active, not while processing] */
    void (*deactivate)(void *self);
    /** Forget sounding notes and tails (e.g. before a render). Optional (NULL: nothing to
     *  forget). [audio & active] */
    void (*reset)(void *self) GBP_RT;
    /** Process one block. [audio & active] */
    void (*process)(void *self, const gbp_process_t *proc) GBP_RT;
    /** Set a parameter now, without smoothing (initial values, preset load). Out-of-range
     *  values are clamped. [main, not while processing] */
    void (*set_param)(void *self, uint32_t id, float value);
    /** Current value of a parameter. Two contracts, both without locks:
     *  - any parameter: [main, not while processing] (the host reads the initial values after
     *    create(), set_param() and load_state());
     *  - READONLY parameters: also [audio & active], right after each process() call — the
     *    host's only way of reading a report while the unit runs. It never calls get_param
     *    from a third thread; meters and OSC read the host's copy.
     *  MUST be RT-safe. */
    float (*get_param)(void *self, uint32_t id) GBP_RT;
    /** Write the unit's state (beyond parameters) as a JSON object text into buf (cap
     *  bytes, NUL-terminated); returns the length needed (excluding the NUL) or a negative
     *  error. Optional (NULL: no extra state). [main; MAY be called while processing — a
     *  session manager saves a playing set — so a unit whose state changes in process()
     *  publishes a copy (the melody GAN uses a seqlock)] */
    int (*save_state)(void *self, char *buf, size_t cap);
    /** Restore state written by save_state. Returns 0, or a negative error with a message
     *  written to err (errcap bytes). Optional (NULL exactly when save_state is NULL). [main,
     *  not while processing unless flags has GBP_UNIT_THREAD_SAFE_STATE] */
    int (*load_state)(void *self, const char *json, char *err, size_t errcap);
    /** The extension with this id (GBP_EXT_*), or NULL when the unit does not provide it.
     *  Optional (NULL: no extensions). [main] The host asks once after create(), before
     *  activate(), and keeps the pointer: it MUST stay valid, and the answer the same, until
     *  destroy(). See "Extensions". */
    const void *(*get_extension)(void *self, const char *id);
};

/* ---- Extensions ---------------------------------------------------------------------------
 *
 * Per instance, as in CLAP (clap_plugin.get_extension), not per descriptor: what a unit can
 * do may depend on what it was given — a wrapped LV2 plugin knows whether it reports latency
 * or keeps state once it is instantiated, a timbre unit's latent has as many dimensions as
 * the model it loaded — and every host use of an extension (latency to JACK, voices for the
 * meter, polyphony before activation, the latent for OSC) has an instance at hand. What must
 * be known without an instance stays in the descriptor: kind, parameters, and state (presets
 * are validated, and their "state" objects accepted or refused, before any engine runs), so
 * save_state/load_state stay core callbacks.
 *
 * Ids are strings; an incompatible change to an extension gets a new id ("gbac.latency.2"),
 * so a struct behind an id never changes. Each struct is a table of functions taking the
 * instance (`self`), valid until destroy().
 */

/* The frames the unit's output lags its input (a limiter's lookahead, an FFT's block): the
 * host sums the rack's latencies, reports the sum to JACK and compensates it. */
#define GBP_EXT_LATENCY "gbac.latency"
typedef struct gbp_latency {
    /** Latency in frames at the activated sample rate. [main & active, not while processing]
     *  and [audio & active] right after each process() call. RT-safe.
     *  How the host learns of a change: it reads this after activate() and after every
     *  process() call, so a unit whose latency changes while it runs (a lookahead parameter
     *  event, an LV2 plugin's latency port) only returns the new value; the host notices at
     *  the end of that block (and, live, has JACK recompute the graph's latencies). */
    uint32_t (*get)(void *self) GBP_RT;
} gbp_latency_t;

/* Voices sounding now, for meters and the status view. */
#define GBP_EXT_VOICES "gbac.voices"
typedef struct gbp_voices {
    /** Voices sounding (any stage, fading ones not counted). [audio & active] right after
     *  each process() call; RT-safe. */
    uint32_t (*active)(void *self) GBP_RT;
} gbp_voices_t;

/* The largest number of voices the unit plays at once (the preset's "polyphony"). */
#define GBP_EXT_POLYPHONY "gbac.polyphony"
typedef struct gbp_polyphony {
    /** Largest polyphony the unit supports (≥ 1). [main] */
    uint32_t (*capacity)(void *self);
    /** Polyphony now, 1..capacity(). [main] */
    uint32_t (*get)(void *self);
    /** Set the polyphony (clamped to 1..capacity()); it takes effect at the next activate()
     *  or reset(). [main, not while processing] */
    void (*set)(void *self, uint32_t voices);
} gbp_polyphony_t;

/* The timbre latent a unit's sound is decoded from (gbac.timbre-vae): the dimensions the
 * performer steers and the XY morph pad between stored latents. The latent *is* parameters —
 * the host gets and sets it as parameters (GBP_EV_PARAM events on the audio thread,
 * set_param before activation, the host's copy to read), so it is smoothed, automated,
 * MIDI-learned, saved in presets and recorded like every other control. The extension says
 * which parameters they are. */
#define GBP_EXT_TIMBRE_LATENT "gbac.timbre-latent"
enum {
    GBP_MORPH_X = 0,      /* pad x, 0..1 */
    GBP_MORPH_Y = 1,      /* pad y, 0..1 */
    GBP_MORPH_AMOUNT = 2, /* 0: the latent is the dimensions; 1: the pad's mix */
};
typedef struct gbp_timbre_latent {
    /** Latent dimensions the host can steer (≥ 1). [main] */
    uint32_t (*dims)(void *self);
    /** Id of the parameter holding dimension `dim` (0 ≤ dim < dims()). [main] */
    uint32_t (*dim_param)(void *self, uint32_t dim);
    /** Id of the morph pad parameter `which` (GBP_MORPH_*), or GBP_NO_PARAM when the unit has
     *  no pad. [main] */
    uint32_t (*morph_param)(void *self, uint32_t which);
} gbp_timbre_latent_t;

/* Blocks whose output the unit muted because it held NaN or Inf (a wrapped plugin that blew
 * up, a model that diverged): the host sums them over the rack for its health counter
 * (`gbac live`: nonfinite_blocks). Offered by a unit that checks its own output; one that
 * cannot produce NaN/Inf (it clamps its input and state) need not offer it. */
#define GBP_EXT_NONFINITE "gbac.nonfinite"
typedef struct gbp_nonfinite {
    /** Blocks muted for NaN/Inf since activate() (one per process() call at most; it only
     *  grows while active). [audio & active] right after each process() call; RT-safe. The
     *  host publishes the value to its other threads itself, so the unit needs no atomics. */
    uint64_t (*blocks)(void *self) GBP_RT;
} gbp_nonfinite_t;

/* The model file a unit plays (a neural network's weights). */
#define GBP_EXT_MODEL "gbac.model"
typedef struct gbp_model {
    /** The file in use (as resolved) into buf (cap bytes, NUL-terminated, cut to fit);
     *  returns the full length, or 0 with "" when none is loaded yet. [main] */
    int (*path)(void *self, char *buf, size_t cap);
    /** Load another model file: read and checked on the calling thread; when the unit is
     *  active it is handed to process() at its next block (no allocation, lock or free on
     *  the audio thread; the old model is freed later on [main]). Returns 0, or a negative
     *  error with a message in err (errcap bytes). Optional (NULL: the model changes only
     *  through load_state). [main; MAY be called while processing] */
    int (*load)(void *self, const char *path, char *err, size_t errcap);
} gbp_model_t;

/** The entry point a plugin library exports. [main] */
typedef const gbp_descriptor_t *(*gbp_entry_fn)(uint32_t index);

#ifdef __cplusplus
}
#endif
#endif
