/* gb_osc_handlers.h — the OSC namespace of gbac: turn one OSC message (path + liblo message)
 * into an engine event or action. Shared by the live OSC server and by the offline render's
 * --osc-score, so a score and a live controller mean exactly the same thing.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Paths (docs/osc.md):
 *   /gbac/note/on  i i [i]    key 0..127, velocity 0..127 (0 = note off), channel 0..15 (0)
 *   /gbac/note/off i [i]      key, channel (release velocity 64)
 *   /gbac/cc       i i [i]    controller 0..127, value 0..127, channel; CC 120 and 123 are
 *                             all-notes-off, as in MIDI
 *   /gbac/param/SLOT/NAME f   parameter NAME of the rack slot SLOT ("synth", "delay",
 *                             "master"), value in the parameter's own range (clamped)
 *   /gbac/tempo    f          internal tempo in bpm, 20..300
 * With GB_OSC_HF_QUERIES (the live server) a /gbac/param/SLOT/NAME or /gbac/tempo message
 * without arguments is a query (GB_OSC_ACT_QUERY_*); with GB_OSC_HF_STRICT a parameter value
 * outside its range is refused (GB_ERANGE) instead of clamped. Scores use neither.
 * Integer arguments may also arrive as float/double (Pure Data sends floats) if they hold
 * a whole number; value arguments may be int32/int64/float/double. Anything else (unknown
 * path, wrong argument count or type, out-of-range key/velocity/channel, non-finite value,
 * read-only parameter) gives an error message naming the path and what was expected, and
 * increments the error counter; never a crash.
 */
#ifndef GB_OSC_HANDLERS_H
#define GB_OSC_HANDLERS_H

#include <stdint.h>

#include <lo/lo.h>

#include "gb_common.h"
#include "gb_engine.h"
#include "gbac_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gb_osc_action_kind {
    GB_OSC_ACT_EVENT = 1, /* give ev to the engine (ev.time is 0: the caller stamps it) */
    GB_OSC_ACT_TEMPO = 2, /* call gb_engine_set_tempo(tempo_bpm) */
    GB_OSC_ACT_QUERY_PARAM = 3, /* reply with the value of parameter ev.id (a handle) */
    GB_OSC_ACT_QUERY_TEMPO = 4, /* reply with the tempo */
} gb_osc_action_kind_t;

/* Handler flags (gb_osc_handlers_set_flags). */
#define GB_OSC_HF_STRICT 1u  /* parameter values out of range are errors, not clamped */
#define GB_OSC_HF_QUERIES 2u /* /gbac/param/... and /gbac/tempo without arguments query */

typedef struct gb_osc_action {
    int kind;          /* gb_osc_action_kind_t */
    gbp_event_t ev;    /* GB_OSC_ACT_EVENT: note on/off, CC, all-off, or GBP_EV_PARAM whose id
                          is an engine parameter handle */
    double tempo_bpm;  /* GB_OSC_ACT_TEMPO */
} gb_osc_action_t;

typedef struct gb_osc_handlers gb_osc_handlers_t;

/** Handlers for an engine: its parameter table is copied now (paths, handles, ranges), so
 *  handling needs no engine call. engine may be NULL (then /gbac/param/... are unknown
 *  paths). Rebuild the handlers when the engine is replaced. [main] */
gb_osc_handlers_t *gb_osc_handlers_new(const gb_engine_t *engine, gb_error_t *err);

/** Free. NULL-safe. [main] */
void gb_osc_handlers_free(gb_osc_handlers_t *h);

/** Set GB_OSC_HF_* flags (0 by default: the offline score's meaning). [main] */
void gb_osc_handlers_set_flags(gb_osc_handlers_t *h, unsigned flags);

/** Handle one message. Returns 0 and fills *act, or a negative error with err->msg like
 *  "/gbac/note/on: velocity 300 out of range 0..127" (and the error counter incremented).
 *  Allocates nothing. [any, one thread at a time per handlers object] */
int gb_osc_handle(gb_osc_handlers_t *h, const char *path, lo_message msg, gb_osc_action_t *act,
                  gb_error_t *err);

/** Messages handled successfully, and refused, since creation. [any] */
uint64_t gb_osc_handlers_ok(const gb_osc_handlers_t *h);
uint64_t gb_osc_handlers_errors(const gb_osc_handlers_t *h);

/** Number of parameter paths, and the i-th ("/gbac/param/synth/attack_ms"), for schemas and
 *  docs. NULL when i is out of range. [any] */
int gb_osc_handlers_param_count(const gb_osc_handlers_t *h);
const char *gb_osc_handlers_param_path(const gb_osc_handlers_t *h, int i);

/** The engine handle of a parameter path ("/gbac/param/synth/attack_ms"), or -1. [any] */
int32_t gb_osc_handlers_param_handle(const gb_osc_handlers_t *h, const char *path);

/** The path of an engine handle, or NULL (linear in the number of parameters). [any] */
const char *gb_osc_handlers_handle_path(const gb_osc_handlers_t *h, int32_t handle);

#ifdef __cplusplus
}
#endif
#endif
