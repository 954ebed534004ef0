/* gb_lv2p_wrap.h — the one LV2 wrapper over gbac's units (the shared object of gbac.lv2).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An instance holds one unit (gb_lv2p_plugins.h names which) behind the LV2 interface:
 *   instantiate  [main]  creates the unit, finds gbac's data folder and gives the unit its
 *                        shipped model by absolute path (see gb_lv2p_data_dir), reads the
 *                        options (bufsz:maxBlockLength) and the log feature
 *   activate     [main]  sets every parameter from its control port, activates the unit
 *   run          [audio] atom MIDI and time:Position in; the block is split at every
 *                        time:Position (and, for instruments, at every MIDI event, as gbac's
 *                        engine does) and into chunks of at most the activated block length;
 *                        control port changes become GBP_EV_PARAM events at frame 0; a note
 *                        source's events go out as atom MIDI; READONLY parameters and the
 *                        unit's latency (gbac.latency, lv2:reportsLatency) go to output ports.
 *                        No allocation, lock, system call or I/O (GB_RT).
 *   state        [main]  save/restore through LV2 state (gb_lv2p_state.c).
 * Units log through the LV2 log feature (stderr without it); a message from the audio thread
 * is dropped and counted, never formatted or written there.
 */
#ifndef GB_LV2P_WRAP_H
#define GB_LV2P_WRAP_H

#include <lv2/atom/atom.h>
#include <lv2/core/lv2.h>
#include <lv2/log/logger.h>
#include <lv2/urid/urid.h>
#include <stdatomic.h>

#include "gb_lv2p_plugins.h"

/* URIDs the wrapper uses, mapped at instantiate. */
typedef struct gb_lv2p_urids {
    LV2_URID atom_Object, atom_Blank, atom_Float, atom_Double, atom_Int, atom_Long;
    LV2_URID atom_Sequence, atom_String, atom_Path, midi_Event;
    LV2_URID time_Position, time_frame, time_speed, time_bar, time_barBeat, time_beatUnit;
    LV2_URID time_beatsPerBar, time_beatsPerMinute, bufsz_max;
    LV2_URID state_json, state_model;
} gb_lv2p_urids_t;

#define GB_LV2P_MAX_EVENTS 512u /* MIDI events taken per block; more are dropped and counted */

typedef struct gb_lv2p {
    const gb_lv2p_plugin_t *pl;
    const gbp_descriptor_t *d;
    gb_lv2p_layout_t lay;
    void *self;
    gbp_host_t host;
    const gbp_latency_t *latency;
    double sr;
    uint32_t max_block;
    int active;
    char data_dir[4096]; /* gbac's data folder ("" when none was found) */
    LV2_URID_Map *map;
    LV2_Log_Logger logger;
    gb_lv2p_urids_t u;
    /* ports */
    const LV2_Atom_Sequence *in;
    LV2_Atom_Sequence *out;
    float *audio[2];
    float *lat_port;
    float **pport;  /* per parameter */
    float *sent;    /* per parameter: the value the unit has */
    /* [audio] */
    uint32_t out_cap, out_last;
    gbp_event_t ev[GB_LV2P_MAX_EVENTS];
    uint32_t n_ev;
    gbp_event_t evo[GB_LV2P_MAX_EVENTS];
    gbp_transport_t tr;
    double speed;
    atomic_int in_run;
    atomic_uint dropped_events, dropped_logs;
} gb_lv2p_t;

/** gbac's data folder for a bundle at `bundle` (a folder path, '/' at the end or not) that
 *  holds `probe` (a relative path such as "models/timbre-vae.safetensors"):
 *  $GBAC_DATA_DIR when set (the only place looked at, as for gbac), else the bundle itself,
 *  BUNDLE/GBAC_LV2P_REL_DATADIR (installed: PREFIX/lib/lv2/gbac.lv2 → PREFIX/share/gbac) and
 *  BUNDLE/../../share/gbac (build tree: build/lv2/gbac.lv2 → build/share/gbac). Writes the
 *  canonical folder into out, or returns -1 with the folders looked at in tried. [main] */
int gb_lv2p_data_dir(const char *bundle, const char *probe, char *out, size_t cap, char *tried,
                    size_t tcap);

/** The LV2 state interface of the wrapper (gb_lv2p_state.c). [any] */
const void *gb_lv2p_state_interface(void);

/** Log a message through the instance's logger. [main] */
void gb_lv2p_log(gb_lv2p_t *g, int level, const char *msg);

#endif
