/* gb_lv2.h — LV2 plugins as gbac units: a plugin named "lv2:URI" becomes a unit descriptor
 * (kind from its ports, its input control ports as parameters, its output control ports as
 * read-only parameters) whose instances host the plugin through lilv, with the features
 * urid:map/unmap, options, buf-size (bounded block length), worker, state (mapPath), log and
 * atom MIDI in/out with time:Position.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The lilv world is loaded once (LV2_PATH honoured) at the first call and kept to the end of
 * the process; descriptors are built once per URI and kept as well, so a descriptor pointer
 * stays valid for as long as the registry that handed it out.
 */
#ifndef GB_LV2_H
#define GB_LV2_H

#include <jansson.h>

#include "gb_common.h"
#include "gbac_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Unit ids of LV2 plugins start with this prefix: "lv2:urn:dragonfly:room". */
#define GB_LV2_PREFIX "lv2:"

/** Read-only parameter every LV2 unit has: blocks whose output held NaN or Inf (muted), a
 *  report for the performer (OSC, status). The host sums the same count through the
 *  gbac.nonfinite extension, not through this name. */
#define GB_LV2_PARAM_NONFINITE 0xfff0u
#define GB_LV2_PARAM_NONFINITE_NAME "nonfinite_blocks"

/** Whether id names an LV2 plugin (starts with "lv2:"). [any] */
int gb_lv2_is_id(const char *id);

/** The descriptor of the LV2 plugin "lv2:URI", built once. NULL with a message when the URI
 *  is not an installed plugin, when it requires a feature gbac does not provide (naming the
 *  feature's URI), or when its ports fit no unit kind. [main] */
const gbp_descriptor_t *gb_lv2_descriptor(const char *id, gb_error_t *err);

/** Every installed LV2 plugin gbac can host, as JSON objects (uri, id, name, format "lv2",
 *  kind, ports or the reason it cannot be hosted). [main] */
json_t *gb_lv2_list(void);

/** One plugin described in full (ports with symbols, ranges, presets, features). NULL with a
 *  message when unknown. [main] */
json_t *gb_lv2_info(const char *uri, gb_error_t *err);

/** Offline (render): the worker runs synchronously inside the schedule call, so a render is
 *  reproducible. Live: a worker thread per instance. Set before instances activate. [main] */
void gb_lv2_set_offline(int offline);

/** Apply the plugin's preset named `name` (its rdfs:label) or with that URI to the instance:
 *  control values and state. [main, not while processing] */
int gb_lv2_load_preset(const gbp_descriptor_t *d, void *self, const char *name, gb_error_t *err);

/** The plugin's own run() alone on an activated instance, without gbac's event and buffer
 *  handling (for `gbac bench engine`: the hosting overhead is process() minus this). [audio] */
void gb_lv2_run_raw(void *self, uint32_t frames);

#ifdef __cplusplus
}
#endif
#endif
