/* gb_unit_registry.h — the registry of unit descriptors: the built-in units and external plugins
 * loaded with dlopen(), all behind the ABI of gbac_plugin.h.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GB_UNIT_REGISTRY_H
#define GB_UNIT_REGISTRY_H

#include <jansson.h>

#include "gb_common.h"
#include "gb_builtin_units.h"
#include "gbac_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_unit_registry gb_unit_registry_t;

/** New registry holding the built-in units. [main] */
gb_unit_registry_t *gb_unit_registry_new(gb_error_t *err);

/** Free the registry and dlclose() the plugins it loaded (after every instance created from
 *  them is destroyed). NULL-safe. [main] */
void gb_unit_registry_free(gb_unit_registry_t *reg);

/** Check a descriptor against the host's ABI: version (an ABI-1 plugin is refused naming
 *  both versions), size, id, kind, flags, required callbacks (save_state and load_state
 *  both or neither), parameter table (names, ranges, defaults inside them, unique ids of at
 *  most GBP_PARAM_ID_MAX: the engine packs them into 16 bits). origin names where it came
 *  from (a file path or "built-in") for the message. [main] */
int gb_unit_check_descriptor(const gbp_descriptor_t *d, const char *origin, gb_error_t *err);

/** dlopen() one plugin file and register every descriptor it exports; a refused plugin
 *  (wrong ABI version, missing entry point, bad descriptor, duplicate id) gives an error
 *  naming the file and the reason and registers nothing from it. [main] */
int gb_unit_registry_load_file(gb_unit_registry_t *reg, const char *path, gb_error_t *err);

/** Load every *.so file in dir (non-recursive, sorted by name). Stops at the first refused
 *  plugin and reports it. [main] */
int gb_unit_registry_load_dir(gb_unit_registry_t *reg, const char *dir, gb_error_t *err);

/** Load the directories in a colon-separated path list (GBAC_PLUGIN_PATH). [main] */
int gb_unit_registry_load_path(gb_unit_registry_t *reg, const char *pathlist, gb_error_t *err);

/** Descriptor by id, or NULL. An id "lv2:URI" names an installed LV2 plugin, hosted through
 *  lilv (units/lv2/gb_lv2.h). [main] */
const gbp_descriptor_t *gb_unit_registry_find(const gb_unit_registry_t *reg, const char *id);

/** As gb_unit_registry_find, with the reason in err when the id is an LV2 plugin that cannot
 *  be hosted (not installed, a required feature missing, ports that fit no kind). [main] */
const gbp_descriptor_t *gb_unit_registry_resolve(const gb_unit_registry_t *reg, const char *id,
                                                 gb_error_t *err);

/** Number of descriptors, and descriptor i. [main] */
int gb_unit_registry_count(const gb_unit_registry_t *reg);
const gbp_descriptor_t *gb_unit_registry_get(const gb_unit_registry_t *reg, int i);

/** The plugin file descriptor i came from, or NULL for a built-in unit. [main] */
const char *gb_unit_registry_origin(const gb_unit_registry_t *reg, int i);

/** Parameter of a descriptor by name, or NULL. [any] */
const gbp_param_info_t *gb_unit_param_by_name(const gbp_descriptor_t *d, const char *name);

/** Parameter of a descriptor by id, or NULL. [any] */
const gbp_param_info_t *gb_unit_param_by_id(const gbp_descriptor_t *d, uint32_t id);

/** "note source", "instrument", "effect" (or "?"). [any] */
const char *gb_unit_kind_name(gbp_kind_t k);

/** A host for a unit created outside an engine — to check a preset's state, or to ask an
 *  instance which extensions it offers — that never processes: log prints "gbac: unit: MSG"
 *  on stderr at once; seed 1. [any] */
const gbp_host_t *gb_unit_lone_host(void);

/** A unit described as JSON for `gbac preset list --json` and the docs: id, name, vendor,
 *  version, description, kind ("note source", "instrument", "effect"), state (whether it
 *  keeps state beyond its parameters), thread_safe_state, extensions (the GBP_EXT_* ids an
 *  instance offers: one is created and destroyed, not activated) and params (id, name, unit,
 *  min, max, default, smoothing_ms, stepped, no_smooth, read_only, doc). NULL when out of
 *  memory. [main] */
json_t *gb_unit_describe(const gbp_descriptor_t *d);

/** Every registered unit, described, as a JSON array in registry order. [main] */
json_t *gb_unit_registry_describe(const gb_unit_registry_t *reg);

/** A unit registry with the built-in units and the plugins of dirs[0 .. n_dirs) (the
 *  --plugin-dir folders), of $GBAC_PLUGIN_PATH and of the plugin folder of the installed
 *  gbac (PREFIX/lib/gbac/plugins beside PREFIX/bin/gbac, gb_share_plugin_dir()), in that
 *  order; missing folders of the path and the installed one are skipped. [main] */
gb_unit_registry_t *gb_unit_registry_open(const char *const *dirs, int n_dirs, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
