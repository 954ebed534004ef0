/* gb_lv2p_plugins.h — the units gbac ships as LV2 plugins (the bundle gbac.lv2), their URIs
 * and their port layout: the one list the wrapper (gb_lv2p_wrap.c) and the generator of the
 * bundle's Turtle files (gb_lv2p_ttl.c) both read, so the .ttl files always describe the
 * shared object.
 *
 * Ports, in this order, then one control port per unit parameter (its name as the symbol,
 * READONLY parameters as output ports):
 *   instrument:  events_in (atom MIDI + time:Position), out_l, out_r, latency (output)
 *   note source: events_in (atom MIDI + time:Position), events_out (atom MIDI), latency
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_LV2P_PLUGINS_H
#define GB_LV2P_PLUGINS_H

#include <stdint.h>

#include "gbac_plugin.h"

/** The URI prefix of everything gbac defines for LV2 (plugins, state keys). */
#define GB_LV2P_URI "urn:gbac:"
/** State keys: the unit's state JSON (model, latents, taste, timbre) and the model file when
 *  it lies outside gbac's data folder (an atom:Path, mapped with state:mapPath). */
#define GB_LV2P_STATE_JSON GB_LV2P_URI "state#json"
#define GB_LV2P_STATE_MODEL GB_LV2P_URI "state#model"
/** The shared object's file name inside the bundle. */
#define GB_LV2P_BINARY "gbac.so"

typedef struct gb_lv2p_plugin {
    const gbp_descriptor_t *unit;
    const char *uri;   /* GB_LV2P_URI + name */
    const char *ttl;   /* the plugin's Turtle file in the bundle */
} gb_lv2p_plugin_t;

/** The wrapped units; NULL after the last. [any] */
const gb_lv2p_plugin_t *gb_lv2p_plugin(uint32_t index);

/** Fixed ports before the parameters. */
typedef struct gb_lv2p_layout {
    uint32_t events_in, events_out, out_l, out_r, latency; /* UINT32_MAX: no such port */
    uint32_t first_param;                                  /* = number of fixed ports */
} gb_lv2p_layout_t;

#define GB_LV2P_NO_PORT UINT32_MAX

/** The fixed ports of a unit of this kind (instrument or note source; effects are not
 *  wrapped). [any] */
gb_lv2p_layout_t gb_lv2p_layout(gbp_kind_t kind);

/** Whether s is a valid LV2 port symbol ([_A-Za-z][_A-Za-z0-9]*) not used by a fixed port.
 *  [any] */
int gb_lv2p_symbol_ok(const char *s);

#endif
