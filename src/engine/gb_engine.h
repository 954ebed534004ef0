/* gb_engine.h — the engine: a rack of units built from a preset, processed in blocks with
 * sample-accurate events. Live (JACK) and offline rendering drive the same engine.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Per block, gb_engine_process():
 *   1. maps incoming MIDI CCs through the preset's CC map to parameter events;
 *   2. runs the note sources (events in → generated events out), split at event offsets;
 *   3. merges the performer's and the generated events and runs the instrument, the block
 *      split at every event offset so each event takes effect on its exact frame;
 *   4. runs the effects in order (parameter events split them too), then the master gain.
 * After each unit's process() the engine reads, on the same thread, what the unit reports
 * (gbac_plugin.h): its READONLY parameters (get_param), its latency (gbac.latency) and, for
 * the instrument, its sounding voices (gbac.voices), and publishes them to other threads.
 * Nothing here allocates, locks or does I/O after gb_engine_new().
 */
#ifndef GB_ENGINE_H
#define GB_ENGINE_H

#include <stdint.h>

#include "gb_common.h"
#include "gb_preset.h"
#include "gbac_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_ENGINE_MAX_EVENTS 1024    /* events per block in, and generated per block */
#define GB_ENGINE_MAX_BLOCK 8192

typedef struct gb_engine_config {
    uint32_t struct_size; /* sizeof(gb_engine_config_t) */
    double sample_rate;   /* 8000..384000 */
    uint32_t max_block;   /* largest block gb_engine_process() will be given */
    uint32_t seed;        /* for anything random (noise phases, voice noise offsets) */
} gb_engine_config_t;

/** Defaults: 48000 Hz, 1024 frames, seed 1. [any] */
gb_engine_config_t gb_engine_config_default(void);

typedef struct gb_engine gb_engine_t;

/** Instantiate, configure (parameters, state) and activate every unit of the preset. [main] */
gb_engine_t *gb_engine_new(const gb_preset_t *preset, const gb_engine_config_t *cfg,
                           gb_error_t *err);

/** Deactivate and destroy the units. NULL-safe. [main] */
void gb_engine_free(gb_engine_t *e);

/** Process `frames` (≤ max_block) frames. events: sorted by time (offsets < frames); types
 *  note on/off, CC, pitch bend, pressure, all-off, and GBP_EV_PARAM whose id is a handle
 *  from gb_engine_param_find(). Writes (not adds) out_l and out_r. [audio] */
void gb_engine_process(gb_engine_t *e, const gbp_event_t *events, uint32_t n_events,
                       float *out_l, float *out_r, uint32_t frames) GB_RT;

/** The audio input for the next gb_engine_process() call only: `frames` mono samples the
 *  instrument gets as its audio_in (the same buffer as both channels), e.g. for the timbre
 *  VAE following a live input. NULL (the default, and after every call): no input. [audio] */
void gb_engine_set_input(gb_engine_t *e, const float *in) GB_RT;

/** Events the note sources generated during the last gb_engine_process() (times relative
 *  to that block), for MIDI out and recording. [audio] */
const gbp_event_t *gb_engine_generated(const gb_engine_t *e, uint32_t *n) GB_RT;

/** Handle of parameter "slot/name" (e.g. "synth/attack_ms", "master/gain_db"), or a
 *  negative error. [main] */
int32_t gb_engine_param_find(const gb_engine_t *e, const char *path);

/** Describe a handle: slot name, parameter info. [main] */
int gb_engine_param_info(const gb_engine_t *e, int32_t handle, const char **slot,
                         const gbp_param_info_t **info);

/** Number of parameters (all units + master), and the handle of the i-th. [main] */
int gb_engine_param_count(const gb_engine_t *e);
int32_t gb_engine_param_handle(const gb_engine_t *e, int i);

/** Current value of a parameter: as last applied on the audio thread, or, for a READONLY
 *  one, as the unit last reported it (read right after its process(), see gbac_plugin.h).
 *  Never calls into the unit. [any] */
float gb_engine_param_get(const gb_engine_t *e, int32_t handle) GB_RT;

/** Set the internal tempo (used when no transport rolls). [audio] */
void gb_engine_set_tempo(gb_engine_t *e, double bpm) GB_RT;

/** The transport the units see (tempo, beat, frame). [any] */
const gbp_transport_t *gb_engine_transport(const gb_engine_t *e) GB_RT;

/** The beat at the first frame of the next block: the internal clock's, or the last
 *  followed transport's carried on at its tempo. [any] */
double gb_engine_beat(const gb_engine_t *e) GB_RT;

/** Silence every unit (notes, tails) and rewind the transport to frame 0. [audio] */
void gb_engine_reset(gb_engine_t *e) GB_RT;

/** Number of voices of the instrument that are sounding now (for meters and tests), as its
 *  gbac.voices extension reported it after the last block; -1 for an instrument without
 *  that extension. [any] */
int gb_engine_active_voices(const gb_engine_t *e) GB_RT;

/** Blocks whose output a unit muted because it held NaN or Inf, summed over the rack's units:
 *  the gbac.nonfinite extension of each unit that offers it (every LV2 unit with audio out,
 *  docs/units.md), as read after its last process(). Units without it are not counted (the
 *  built-in ones clamp what they take in and make no NaN/Inf). Grows while this engine runs; a host counting
 *  since its start adds the growth of each engine it runs (gb_live: the counter
 *  nonfinite_blocks). [any] */
uint64_t gb_engine_nonfinite_blocks(const gb_engine_t *e) GB_RT;

/* ---- live control (all [audio]: the host calls them from its process callback with
 * commands that arrived through its rings) ---------------------------------------------- */

/** Arm MIDI learn: the next CC event is mapped to parameter `handle` over its whole range
 *  (and consumed); handle < 0 disarms. [audio] */
void gb_engine_learn(gb_engine_t *e, int32_t handle) GB_RT;

/** After gb_engine_process(): whether a CC was learned during it (reported once). [audio] */
int gb_engine_learned(gb_engine_t *e, uint8_t *cc, uint8_t *channel, int32_t *handle) GB_RT;

/** Map CC `cc` on `channel` (255: any) to parameter `handle`, value 0..1 → min..max; an
 *  existing mapping of that CC and channel is replaced. Returns 0, or GB_ERANGE when the
 *  table is full, GB_EINVAL for a bad handle. [audio] */
int gb_engine_map_cc(gb_engine_t *e, uint8_t cc, uint8_t channel, int32_t handle, float min,
                     float max) GB_RT;

/** Parameter changes that CC mappings made during the last gb_engine_process() (for
 *  feedback to OSC subscribers), at most GB_ENGINE_MAX_CHANGES. [audio] */
#define GB_ENGINE_MAX_CHANGES 64
int gb_engine_param_changes(const gb_engine_t *e, const int32_t **handles, const float **values)
    GB_RT;

/** Values note sources reported during the last gb_engine_process(): a note source that
 *  writes a GBP_EV_PARAM event for one of its own READONLY parameters into its output (e.g.
 *  the melody GAN's critic `score` of the bar it just generated) updates that parameter's
 *  value (gb_engine_param_get) and is listed here with its handle, value and frame offset in
 *  the block; such events go no further down the rack. At most GB_ENGINE_MAX_REPORTS.
 *  [audio] */
#define GB_ENGINE_MAX_REPORTS 16
int gb_engine_reports(const gb_engine_t *e, const int32_t **handles, const float **values,
                      const uint32_t **offsets) GB_RT;

/** Follow an external transport (JACK BBT) from the next block on: tempo, meter and beat
 *  position as given; NULL returns to the internal clock (continuing from where the
 *  external one was). [audio] */
void gb_engine_follow_transport(gb_engine_t *e, const gbp_transport_t *tr) GB_RT;

/** Give the unit in `slot` new state (e.g. another model for the timbre VAE) while the
 *  engine runs. Only for units whose descriptor has GBP_UNIT_THREAD_SAFE_STATE
 *  (gbac.timbre-vae hands models over to its audio thread); returns the unit's result, or
 *  GB_EINVAL for an unknown slot, a unit without state or one that cannot take state while
 *  it plays. err receives its message. [main] */
int gb_engine_unit_load_state(gb_engine_t *e, const char *slot, const char *json, char *err,
                              size_t errcap);

/** The state of the unit in `slot` as its save_state writes it (a JSON object text) into buf
 *  (cap bytes, NUL-terminated). Returns the length needed (0 and "" for a unit that keeps no
 *  state) or GB_EINVAL for an unknown slot. [main] */
int gb_engine_unit_save_state(const gb_engine_t *e, const char *slot, char *buf, size_t cap);

/** The same state in a new string (free() it), or NULL for a unit without state, an unknown
 *  slot or no memory. A unit's state may change between two save_state calls (the melody GAN
 *  records taste while it plays): the size is asked again until the text fits. [main] */
char *gb_engine_unit_state_dup(const gb_engine_t *e, const char *slot);

/** Latency the rack adds: the sum of what the units' gbac.latency extensions reported after
 *  activation and after their last process(), in frames. [any] */
uint32_t gb_engine_latency(const gb_engine_t *e) GB_RT;

/** Whether the rack's latency changed since the last call (a unit's latency moved during a
 *  block); the live host then has JACK recompute latencies. [main] */
int gb_engine_latency_changed(gb_engine_t *e);

/* ---- capabilities by extension (gbac_plugin.h) ------------------------------------------ */

#define GB_ENGINE_MAX_LATENT 64
/** The rack's timbre latent: the first unit (instrument, then note sources, then effects)
 *  with the gbac.timbre-latent extension, its dimensions and morph pad as parameter
 *  handles (set them with GBP_EV_PARAM events, read them with gb_engine_param_get). */
typedef struct gb_engine_timbre {
    const char *slot;                    /* NULL when no unit has a timbre latent */
    int n_dims;                          /* 0 .. GB_ENGINE_MAX_LATENT */
    int32_t dim[GB_ENGINE_MAX_LATENT];   /* handle of dimension i */
    int32_t morph[3];                    /* handles of GBP_MORPH_X, _Y, _AMOUNT, or -1 */
} gb_engine_timbre_t;

/** The rack's timbre latent (found once when the engine was built). Returns GB_OK, or
 *  GB_EINVAL when no unit has one (t->slot NULL, n_dims 0). [any] */
int gb_engine_timbre(const gb_engine_t *e, gb_engine_timbre_t *t);

/** The model file the unit in `slot` plays (its gbac.model extension) into buf. Returns the
 *  length, or GB_EINVAL for an unknown slot or a unit without a model. [main] */
int gb_engine_unit_model(const gb_engine_t *e, const char *slot, char *buf, size_t cap);

/** Load another model file into the unit in `slot` while the engine runs (its gbac.model
 *  extension's load: handed to the audio thread at its next block). Returns GB_OK, the
 *  unit's error with its message in err, or GB_EINVAL for an unknown slot or a unit that
 *  cannot swap models while it plays. [main] */
int gb_engine_unit_model_load(gb_engine_t *e, const char *slot, const char *path, char *err,
                              size_t errcap);

/** Show the messages units logged from the audio thread (gbp_host_t.log) since the last call,
 *  and how many were dropped; also done by gb_engine_free(). [main] */
void gb_engine_log_flush(gb_engine_t *e);

/** gb_engine_new() with a preset, a rate, a maximum block and a seed; errors name the preset. [main] */
gb_engine_t *gb_engine_build(const gb_preset_t *preset, double sample_rate, uint32_t block,
                              uint32_t seed, gb_error_t *err);

/* ---- each unit's cost (gb_engine_cost.c) -------------------------------------------------
 * gb_engine_process() charges each unit with the monotonic time its process() took
 * (gb_rt_clock.h: one vDSO clock read per unit per block, no system call). The units are
 * listed in rack order: note sources, the instrument, the effects (the master gain is the
 * host's, not a unit). */

/** Largest number of units a rack lists. */
#define GB_ENGINE_MAX_UNITS (GB_PRESET_MAX_SOURCES + 1 + GB_PRESET_MAX_EFFECTS)

/** A number no other engine of this process has (1, 2, ...): tells whose unit times a
 *  record holds after engines were swapped. [any] */
uint64_t gb_engine_serial(const gb_engine_t *e) GB_RT;

/** Number of units (≤ GB_ENGINE_MAX_UNITS); for i below it, the i-th unit's slot name and
 *  unit id (e.g. "synth", "gbac.harmonic-synth"). [any] */
int gb_engine_unit_count(const gb_engine_t *e) GB_RT;
int gb_engine_unit_name(const gb_engine_t *e, int i, const char **slot, const char **id);

/** Copy the ns each unit spent since the last call (in rack order, at most cap) into ns and
 *  start again from 0. Returns the number of units written. [audio] */
int gb_engine_take_unit_ns(gb_engine_t *e, uint32_t *ns, int cap) GB_RT;

#ifdef __cplusplus
}
#endif
#endif
