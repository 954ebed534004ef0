/* gb_osc_impl.h — inside the OSC namespace: the handlers object and the helpers the handler
 * files (gb_osc_h_*.c) share. Not for front ends: they use gb_osc_handlers.h.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_OSC_IMPL_H
#define GB_OSC_IMPL_H

#include <stdatomic.h>

#include "gb_osc_handlers.h"

#define GB_OSC_PARAM_PREFIX "/gbac/param/"
#define GB_OSC_PATH_MAX 96 /* longest parameter path */

typedef struct gb_osc_param {
    char path[GB_OSC_PATH_MAX]; /* "/gbac/param/slot/name" */
    int32_t handle;
    float min, max;
    uint32_t flags; /* GBP_PARAM_* */
} gb_osc_param_t;

struct gb_osc_handlers {
    gb_osc_host_t host;
    unsigned flags; /* GB_OSC_HF_* */
    int n_params;
    gb_osc_param_t *params; /* sorted by path */
    char *schema;           /* compact JSON */
    atomic_uint_fast64_t n_ok, n_err;
};

/* ---- errors and arguments ---- */

/** Fill err (printf-style) and return code. */
int gb_osc_fail(gb_error_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Argument i as a number (i, h, f, d); -1 for another type or a missing one. */
int gb_osc_arg_number(const gb_osc_msg_t *m, int i, double *out);

/** Argument i as a whole number lo..hi: i/h, or f/d holding one. Errors name the argument:
 *  "PATH: NAME must be a whole number, got 2.5", "PATH: NAME 300 out of range 0..127". */
int gb_osc_arg_whole(const gb_osc_msg_t *m, int i, const char *name, long lo, long hi,
                     long *out, gb_error_t *err);

/** Argument i as a string (s or S), or NULL. */
const char *gb_osc_arg_string(const gb_osc_msg_t *m, int i);

/* ---- the engine and the audio thread ---- */

const gb_engine_t *gb_osc_engine(const gb_osc_handlers_t *h);
const gb_osc_param_t *gb_osc_param_find(const gb_osc_handlers_t *h, const char *path);

/** One command to the audio thread: GB_OK, GB_OSC_DROPPED (queue full) or an error when the
 *  host has no audio thread. */
int gb_osc_send(gb_osc_handlers_t *h, const char *path, const gb_live_cmd_t *cmd,
                gb_error_t *err);

/** Parameter events from one message, all checked before any is sent: each value must be
 *  finite and inside its parameter's range (errors name the parameter: "z3 = 5 is outside
 *  -4..4"). A full queue drops the rest (GB_OSC_DROPPED). */
int gb_osc_send_params(gb_osc_handlers_t *h, const char *path, const int32_t *handles,
                       const float *values, int n, gb_error_t *err);

/** The schema as JSON text with json_dumps flags (gb_osc_table.c). */
char *gb_osc_schema_text(const gb_engine_t *e, size_t flags);

/* ---- replies (peer may be NULL) ---- */

void gb_osc_reply(const gb_osc_peer_t *peer, const char *path, const char *types,
                  const gb_osc_arg_t *argv);
void gb_osc_reply_f(const gb_osc_peer_t *peer, const char *path, float v);
void gb_osc_reply_i(const gb_osc_peer_t *peer, const char *path, int32_t v);
void gb_osc_reply_s(const gb_osc_peer_t *peer, const char *path, const char *v);

/* ---- the handlers the table names ---- */

#define GB_OSC_HANDLER(name)                                                                  \
    int name(gb_osc_handlers_t *h, const gb_osc_msg_t *msg, const gb_osc_peer_t *peer,       \
             gb_error_t *err)

/* gb_osc_h_events.c */
GB_OSC_HANDLER(gb_osc_h_note_on);
GB_OSC_HANDLER(gb_osc_h_note_off);
GB_OSC_HANDLER(gb_osc_h_cc);
GB_OSC_HANDLER(gb_osc_h_param);
GB_OSC_HANDLER(gb_osc_h_tempo);
/* gb_osc_h_timbre.c */
GB_OSC_HANDLER(gb_osc_h_timbre_z);
GB_OSC_HANDLER(gb_osc_h_timbre_z_dim);
GB_OSC_HANDLER(gb_osc_h_timbre_morph);
GB_OSC_HANDLER(gb_osc_h_timbre_model);
GB_OSC_HANDLER(gb_osc_h_rate);
/* gb_osc_h_host.c */
GB_OSC_HANDLER(gb_osc_h_ping);
GB_OSC_HANDLER(gb_osc_h_status);
GB_OSC_HANDLER(gb_osc_h_window);
GB_OSC_HANDLER(gb_osc_h_schema);
GB_OSC_HANDLER(gb_osc_h_subscribe);
GB_OSC_HANDLER(gb_osc_h_unsubscribe);
GB_OSC_HANDLER(gb_osc_h_learn);
GB_OSC_HANDLER(gb_osc_h_learn_cancel);
GB_OSC_HANDLER(gb_osc_h_preset_load);
GB_OSC_HANDLER(gb_osc_h_preset_save);
GB_OSC_HANDLER(gb_osc_h_record_start);
GB_OSC_HANDLER(gb_osc_h_record_stop);

#endif
