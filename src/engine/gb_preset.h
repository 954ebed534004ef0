/* gb_preset.h — presets: a rack of units (note sources → instrument → effects), parameter
 * values, unit state (timbre frames, later latent positions) and MIDI CC mappings, stored as
 * JSON (see docs/preset-format.md).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GB_PRESET_H
#define GB_PRESET_H

#include <stdint.h>

#include "gb_common.h"
#include "gb_master.h"
#include "gb_unit_registry.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_PRESET_MAX_SOURCES 4
#define GB_PRESET_MAX_EFFECTS 8
#define GB_PRESET_MAX_PARAMS 64
#define GB_PRESET_MAX_CCMAP 128
#define GB_SLOT_NAME_MAX 32

typedef struct gb_preset_param {
    uint32_t id;
    float value;
} gb_preset_param_t;

/** One unit of the rack. */
typedef struct gb_preset_unit {
    char slot[GB_SLOT_NAME_MAX];  /* its name in the rack, unique: "synth", "delay" */
    const gbp_descriptor_t *desc; /* from the registry */
    int n_params;
    gb_preset_param_t params[GB_PRESET_MAX_PARAMS]; /* every value the preset gives */
    char *state_json;             /* the unit's "state" object as JSON text, or NULL */
} gb_preset_unit_t;

/** A MIDI CC mapped to a parameter: value 0..127 → min..max of the mapping. */
typedef struct gb_preset_ccmap {
    uint8_t cc;       /* 0..127 */
    uint8_t channel;  /* 0..15, or 255 for any channel */
    char slot[GB_SLOT_NAME_MAX];
    uint32_t param;   /* parameter id in that unit */
    float min, max;   /* mapped range (may be reversed) */
} gb_preset_ccmap_t;

typedef struct gb_preset {
    char name[64];
    char *description;
    char *path;          /* file it came from, or NULL */
    double tempo_bpm;    /* internal tempo, 20..300 */
    int beats_per_bar;   /* meter, e.g. 4/4, 3/4, 6/8 */
    int beat_unit;
    int polyphony;       /* voices of the instrument, 1..64 (default 16) */
    int n_sources;
    gb_preset_unit_t sources[GB_PRESET_MAX_SOURCES];
    gb_preset_unit_t instrument;
    int n_effects;
    gb_preset_unit_t effects[GB_PRESET_MAX_EFFECTS];
    /** The master section after the effects ("master": {"params": {"gain_db": -6}}): slot
     *  "master", desc gb_master_desc once parsed; only params are used (no state). A preset
     *  built in code may leave it zeroed: the engine then uses the defaults. */
    gb_preset_unit_t master;
    int n_ccmap;
    gb_preset_ccmap_t ccmap[GB_PRESET_MAX_CCMAP];
} gb_preset_t;

/** Load and validate a preset file. Errors name the file, the line/column (JSON syntax) or the
 *  key path ("rack.effects[1].params.feedback") and the allowed range. [main] */
gb_preset_t *gb_preset_load(const char *path, const gb_unit_registry_t *reg, gb_error_t *err);

/** Same from memory; origin names the source in messages. [main] */
gb_preset_t *gb_preset_parse(const char *json, size_t len, const char *origin,
                             const gb_unit_registry_t *reg, gb_error_t *err);

/** Write a preset as JSON (atomically: temp file + rename). [main] */
int gb_preset_save(const gb_preset_t *p, const char *path, gb_error_t *err);

/** Free a preset. NULL-safe. [main] */
void gb_preset_free(gb_preset_t *p);

#ifdef __cplusplus
}
#endif
#endif
