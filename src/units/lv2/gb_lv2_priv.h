/* gb_lv2_priv.h — what the LV2 host's files share: the world, the descriptor behind each
 * "lv2:URI" unit, the instance, the worker.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GB_LV2_PRIV_H
#define GB_LV2_PRIV_H

#include <lilv/lilv.h>
#include <lv2/atom/forge.h>
#include <lv2/options/options.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>
#include <lv2/log/log.h>
#include <lv2/state/state.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include "gb_lv2.h"

/* Atom buffers: bytes per atom port (a sequence of MIDI events and a time:Position). */
#define GB_LV2_ATOM_BUF 8192u

/* URIDs the host uses, mapped once. */
typedef struct gb_lv2_urids {
    LV2_URID atom_Sequence, atom_Chunk, atom_Float, atom_Int, atom_Long, atom_Double,
        atom_Object, atom_eventTransfer, midi_MidiEvent, time_Position, time_frame, time_speed,
        time_bar, time_barBeat, time_beatsPerMinute, time_beatsPerBar, time_beatUnit,
        param_sampleRate, bufsz_min, bufsz_max, bufsz_nominal, bufsz_seq, log_Error,
        log_Warning, log_Note, log_Trace;
} gb_lv2_urids_t;

/* The process-wide world: lilv, the URID map, the URIs it uses. */
typedef struct gb_lv2_world {
    LilvWorld *world;
    LV2_URID_Map map;
    LV2_URID_Unmap unmap;
    gb_lv2_urids_t u;
    LilvNode *n_audio, *n_control, *n_atom, *n_input, *n_output, *n_midi_event, *n_position,
        *n_integer, *n_toggled, *n_enum, *n_latency, *n_reports_latency, *n_instrument,
        *n_state_iface, *n_worker_iface, *n_label, *n_preset, *n_connection_optional;
} gb_lv2_world_t;

typedef enum gb_lv2_port_kind {
    GB_LV2_PORT_AUDIO_IN, GB_LV2_PORT_AUDIO_OUT, GB_LV2_PORT_CONTROL_IN,
    GB_LV2_PORT_CONTROL_OUT, GB_LV2_PORT_ATOM_IN, GB_LV2_PORT_ATOM_OUT, GB_LV2_PORT_OTHER,
} gb_lv2_port_kind_t;

typedef struct gb_lv2_port {
    gb_lv2_port_kind_t kind;
    uint32_t index;
    float def;        /* control ports: the default (and initial value) */
    int midi;         /* atom ports: supports midi:MidiEvent */
    int position;     /* atom input: supports time:Position */
} gb_lv2_port_t;

/* The unit descriptor of one plugin: gbac's descriptor first, so the callbacks (given the
 * gbp_descriptor_t) find the rest. */
typedef struct gb_lv2_desc {
    gbp_descriptor_t d;
    const LilvPlugin *plugin;
    char *id, *name, *uri;
    gbp_param_info_t *params;
    char **param_names;
    uint32_t n_ports;
    gb_lv2_port_t *ports;
    int audio_in[2], audio_out[2];  /* port indices (-1: none; a mono port fills both) */
    int atom_in, atom_out;          /* port indices or -1 */
    int latency_port;               /* control output reporting latency, or -1 */
    int has_state, has_worker;
} gb_lv2_desc_t;

typedef struct gb_lv2_ring {  /* single producer, single consumer, of byte messages */
    uint8_t *buf;
    uint32_t cap;             /* power of two */
    _Atomic uint32_t head, tail;
} gb_lv2_ring_t;

typedef struct gb_lv2_worker {
    const LV2_Worker_Interface *iface;
    LV2_Handle handle;
    gb_lv2_ring_t req, resp;
    uint8_t *scratch;         /* one message, for the reader */
    pthread_t thread;
    sem_t sem;
    int threaded, running;
    _Atomic int stop;
    LV2_Worker_Schedule sched;
} gb_lv2_worker_t;

/* One instance. */
typedef struct gb_lv2_inst {
    const gb_lv2_desc_t *D;
    const gbp_host_t *host;
    LilvInstance *inst;
    double sr;
    uint32_t max_frames;
    float *controls;          /* one value per port (control ports used) */
    uint8_t *explicit_set;    /* per port: set by set_param before activation */
    float *dummy_in, *dummy_out; /* silent input / discarded output, max_frames each */
    LV2_Atom_Sequence *atom_in, *atom_out;
    LV2_Atom_Forge forge;
    gb_lv2_worker_t worker;
    LV2_Log_Log log;
    LV2_Options_Option options[6];
    int32_t opt_min, opt_max, opt_nominal, opt_seq;
    float opt_sr;
    LV2_State_Map_Path map_path;
    LV2_State_Free_Path free_path;
    LV2_Feature f_map, f_unmap, f_options, f_bounded, f_worker, f_log, f_map_path, f_free_path;
    const LV2_Feature *features[9];
    char *pending_state;      /* state given before activate (Turtle), restored then */
    uint64_t nonfinite_blocks;
    double last_bpm;          /* the last time:Position sent */
    uint64_t next_frame;
    int last_playing, sent_position;
} gb_lv2_inst_t;

/* gb_lv2_world.c */
gb_lv2_world_t *gb_lv2_world(void);
/** The feature URIs gbac provides (NULL-terminated). [any] */
extern const char *const gb_lv2_host_features[];

/* gb_lv2_desc.c */
const gbp_descriptor_t *gb_lv2_desc_build(const LilvPlugin *p, gb_error_t *err);
/** Kind of a plugin from its ports, or 0 with a reason in why. [main] */
gbp_kind_t gb_lv2_kind(const LilvPlugin *p, const char **why);

/* gb_lv2_unit.c: the callbacks */
void gb_lv2_desc_callbacks(gbp_descriptor_t *d);
void gb_lv2_set_port_value(const char *symbol, void *user, const void *value, uint32_t size,
                           uint32_t type);

/* gb_lv2_midi.c */
void gb_lv2_events_to_atoms(gb_lv2_inst_t *I, const gbp_process_t *proc) GBP_RT;
void gb_lv2_atoms_to_events(gb_lv2_inst_t *I, const gbp_process_t *proc) GBP_RT;

/* gb_lv2_worker.c */
int gb_lv2_worker_init(gb_lv2_worker_t *w, int threaded, gb_error_t *err);
void gb_lv2_worker_start(gb_lv2_worker_t *w, const LV2_Worker_Interface *iface,
                         LV2_Handle handle);
void gb_lv2_worker_deliver(gb_lv2_worker_t *w) GBP_RT;
void gb_lv2_worker_fini(gb_lv2_worker_t *w);

/* gb_lv2_state.c */
int gb_lv2_state_save(void *self, char *buf, size_t cap);
int gb_lv2_state_load(void *self, const char *json, char *err, size_t errcap);
int gb_lv2_state_apply(gb_lv2_inst_t *I, const char *ttl, char *err, size_t errcap);

#endif
