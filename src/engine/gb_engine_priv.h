/* gb_engine_priv.h — private: the engine's struct, shared by gb_engine.c (the rack, its
 * parameters and block processing) and gb_engine_unit.c (a unit's life cycle in the rack:
 * create, extensions, activation, the host callbacks it is given).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_ENGINE_PRIV_H
#define GB_ENGINE_PRIV_H

#include <pthread.h>

#include "gb_engine.h"
#include "gb_ring.h"

/* Unit indices: note sources 0..3, the instrument, effects, the master section. Parameter
 * handles are (unit index << 16) | parameter id (ids are at most GBP_PARAM_ID_MAX, which the
 * unit registry checks when it loads a descriptor). */
#define U_SRC0 0
#define U_INSTR GB_PRESET_MAX_SOURCES
#define U_FX0 (U_INSTR + 1)
#define U_MASTER (U_FX0 + GB_PRESET_MAX_EFFECTS)
#define U_COUNT (U_MASTER + 1)
#define HANDLE(u, id) ((int32_t)(((uint32_t)(u) << 16) | ((id)&GBP_PARAM_ID_MAX)))

/* Messages units log from the audio thread wait here until gb_engine_log_flush(). */
#define GB_ENGINE_LOG_RING 32

typedef struct eng_log_rec {
    int32_t unit, level;
    char msg[GBP_LOG_RT_MAX];
} eng_log_rec_t;

typedef struct eng_unit {
    const gbp_descriptor_t *d;
    void *self;
    int active;
    char slot[GB_SLOT_NAME_MAX];
    float *pv;          /* current parameter values, by index in d->params ([audio] writes,
                           atomic; [any] reads) */
    uint16_t *ro;       /* indices of the READONLY parameters, read after each process() */
    uint32_t n_ro;
    gbp_host_t host;    /* this unit's host: host_data points back here */
    struct gb_engine *e;
    int index;
    /* extensions (NULL when the unit lacks one), asked once after create() */
    const gbp_latency_t *latency;
    const gbp_voices_t *voices;
    const gbp_polyphony_t *polyphony;
    const gbp_timbre_latent_t *timbre;
    const gbp_model_t *model;
    const gbp_nonfinite_t *nonfinite;
    uint32_t latency_frames; /* last value read ([audio] writes, [any] reads; atomic) */
    uint64_t nonfinite_blocks; /* gbac.nonfinite's last count ([audio] writes, [any] reads;
                                  atomic) */
} eng_unit_t;

struct gb_engine {
    gb_engine_config_t cfg;
    eng_unit_t u[U_COUNT];
    int n_sources, n_effects;
    int n_ccmap;
    gb_preset_ccmap_t ccmap[GB_PRESET_MAX_CCMAP];
    int32_t cc_handle[GB_PRESET_MAX_CCMAP];
    float *buf[4];             /* two stereo buffers for the effect chain */
    gbp_event_t *ev_a, *ev_b;  /* event lists, GB_ENGINE_MAX_EVENTS each */
    gbp_event_t *scratch;      /* events handed to one process() call */
    gbp_event_t *gen;          /* generated events of the last block */
    uint32_t n_gen;
    gbp_transport_t tr;
    double anchor_beat;
    uint64_t anchor_frame;
    float master_pv[1];
    float master_g, master_coef;
    const float *input; /* [audio] the audio input for the next block (NULL: none) */
    int32_t *handles;
    int n_handles;
    int32_t learn_handle; /* armed MIDI learn, or -1 */
    int learned;
    uint8_t learned_cc, learned_ch;
    int32_t learned_to;
    int n_changes;
    int32_t change_handle[GB_ENGINE_MAX_CHANGES];
    float change_value[GB_ENGINE_MAX_CHANGES];
    int n_reports;
    int32_t report_handle[GB_ENGINE_MAX_REPORTS];
    float report_value[GB_ENGINE_MAX_REPORTS];
    uint32_t report_offset[GB_ENGINE_MAX_REPORTS];
    int external_tr;      /* the transport is set from outside for this block */
    /* what the units report, published by the audio thread (atomics) */
    int32_t voices_now;   /* the instrument's sounding voices, -1 without gbac.voices */
    int latency_changed;  /* set when a unit's latency changed, cleared by the reader */
    gb_engine_timbre_t timbre; /* the rack's timbre latent (n_dims 0: none) */
    /* host->log from the audio thread: who is processing, and the queue */
    int in_process;
    pthread_t audio_thread;
    gb_ring_t *log_ring;
    uint32_t log_dropped;
    /* each unit's cost: monotonic ns spent in its process() since gb_engine_take_unit_ns */
    uint64_t unit_ns[U_COUNT];
    uint64_t serial;      /* this engine's number in the process (gb_engine_serial) */
};

/* gb_engine_unit.c */
/** Create, configure (polyphony, parameters, state), ask the extensions of, and activate the
 *  unit of preset slot pu at rack index ui. [main] */
int gb_engine_unit_open(gb_engine_t *e, int ui, const gb_preset_unit_t *pu, int polyphony,
                        gb_error_t *err);
/** Deactivate and destroy unit ui, free its tables. [main] */
void gb_engine_unit_close(gb_engine_t *e, int ui);
/** After unit ui's process(): read its READONLY parameters, latency and voices. [audio] */
void gb_engine_unit_after_process(gb_engine_t *e, int ui) GB_RT;
/** The host callbacks' log queue. [main] */
int gb_engine_log_init(gb_engine_t *e, gb_error_t *err);
/** Find the rack's timbre latent (e->timbre) from the units' extensions. [main] */
void gb_engine_find_timbre(gb_engine_t *e);

/* gb_engine.c */
/** Index of parameter id in d->params, or -1. [any] */
int gb_engine_param_index(const gbp_descriptor_t *d, uint32_t id) GB_RT;

#endif
