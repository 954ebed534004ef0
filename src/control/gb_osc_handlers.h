/* gb_osc_handlers.h — the OSC namespace of gbac: one table of paths ({path, types, handler,
 * docs}, as liblo's methods) that every front end dispatches through. The live OSC server
 * (liblo, gb_osc_server.h), the offline render's control scores (gb_osc_score.h) and any other
 * surface (a browser page) hand a message over as a path and typed arguments, with a peer to
 * reply to, and get the same meaning, the same checks and the same error texts.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A front end:
 *   1. fills a gb_osc_host_t (what the handlers may do: send commands to the audio thread,
 *      read the engine, load presets, record...) and makes a gb_osc_handlers_t for the
 *      running engine (again when the engine is replaced);
 *   2. turns each incoming message into a gb_osc_msg_t (gb_osc_lo.h does it for liblo);
 *   3. calls gb_osc_dispatch() with a gb_osc_peer_t that can carry replies back, counts the
 *      result (GB_OK served, GB_OSC_DROPPED queue full, negative refused) and shows err.msg
 *      to the sender of a refused message (the OSC server replies /gbac/error s s).
 *
 * Type tags: every method states the type-tag strings it accepts as an anchored POSIX
 * extended regular expression ("[ihfd]{2,3}": two or three numbers of any OSC numeric type);
 * the dispatcher checks it before the handler runs. Whole-number arguments (key, velocity,
 * channel, dimension, port) may arrive as i, h, or f/d holding a whole number, because Pure
 * Data sends floats. docs/osc.md lists every path with exactly these types (a test checks).
 */
#ifndef GB_OSC_HANDLERS_H
#define GB_OSC_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gb_common.h"
#include "gb_engine.h"
#include "gb_live_msg.h"
#include "gbac_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_OSC_DEFAULT_PORT 9110 /* documented in docs/osc.md and `gbac live --help` */
#define GB_OSC_MAX_ARGS 32       /* more arguments in one message are refused */
#define GB_OSC_DROPPED 1         /* gb_osc_dispatch: the queue to the audio thread was full */

/** One argument. For 's' and 'S' v.s points into the caller's message; 'c' is in v.i;
 *  T F N I carry no value; other tags (blobs, MIDI, time tags) are kept by tag only, and no
 *  method accepts them. */
typedef struct gb_osc_arg {
    char type; /* the OSC type tag */
    union {
        int32_t i;
        int64_t h;
        float f;
        double d;
        const char *s;
    } v;
} gb_osc_arg_t;

/** One message: path, argc type tags (NUL-terminated) and argc arguments. */
typedef struct gb_osc_msg {
    const char *path;
    const char *types;
    int argc;
    const gb_osc_arg_t *argv;
} gb_osc_msg_t;

/** Where replies to a message go: the sender, as its front end knows it. Every member may be
 *  NULL/0 (a score has no one to answer). [main] */
typedef struct gb_osc_peer {
    void *ctx;
    /** Send `path` with type tags and arguments (strings are copied before it returns). */
    void (*reply)(void *ctx, const char *path, const char *types, const gb_osc_arg_t *argv);
    /** Subscribe the sender to feedback: to `port` on its host (0: its own port), with
     *  GB_OSC_SUB_* flags; subscribing again updates the flags. Returns the port subscribed,
     *  or a negative error with err set. NULL: this front end has no subscriptions. */
    int (*subscribe)(void *ctx, int port, unsigned flags, gb_error_t *err);
    /** Stop feedback to `port` on the sender's host (0: its own port); the port or an
     *  error. */
    int (*unsubscribe)(void *ctx, int port, gb_error_t *err);
    /** The sender armed MIDI learn: it wants /gbac/learned even when not subscribed. */
    void (*learn_armed)(void *ctx);
    /** Longest string one reply may carry (0: no limit); a longer /gbac/schema comes in
     *  chunks /gbac/schema iis INDEX COUNT TEXT. */
    size_t max_string;
} gb_osc_peer_t;

#define GB_OSC_SUB_ERRORS 1u /* also receive every /gbac/error sent to other senders */

/** What the handlers may do in their host (the live host, a test, the offline render). Every
 *  callback may be NULL: the paths that need it then reply "not available in this host". The
 *  callbacks and strings must outlive the handlers. */
typedef struct gb_osc_host {
    void *ctx; /* passed to the callbacks */
    /** Deliver a command to the audio thread; 0, or GB_ERANGE when the queue is full. */
    int (*send)(void *ctx, const gb_live_cmd_t *cmd);
    /** The engine now running (read its parameter registry; never process it). */
    const gb_engine_t *(*engine)(void *ctx);
    /** Load a preset file (already confined to preset_dir) and swap it in. */
    int (*load_preset)(void *ctx, const char *path, gb_error_t *err);
    /** Save the running state as a preset file (confined to preset_dir). */
    int (*save_preset)(void *ctx, const char *path, gb_error_t *err);
    /** Give unit `slot` new state while playing (/gbac/timbre/model: {"model": path}). */
    int (*unit_state)(void *ctx, const char *slot, const char *json, gb_error_t *err);
    /** Add the host's facts (client, sample rate, ...) to the /gbac/status object; the
     *  counters of `stats` are in it already. 0 or an error. */
    int (*status)(void *ctx, json_t *obj);
    /** Open a new measurement window (/gbac/window): the host's window_* figures count from
     *  now (stats' http_feed_window_us the handler clears itself). */
    void (*window)(void *ctx);
    /** Start recording a session into dir (already confined to session_dir). */
    int (*record_start)(void *ctx, const char *dir, gb_error_t *err);
    /** Stop recording; a one-line summary into msg. */
    int (*record_stop)(void *ctx, char *msg, size_t cap, gb_error_t *err);
    const char *preset_dir;  /* preset names in messages are confined here */
    const char *session_dir; /* recording names are confined here */
    const char *model_dir;   /* model names (/gbac/timbre/model) are confined here */
    gb_live_stats_t *stats;  /* the counters /gbac/status shows, or NULL */
} gb_osc_host_t;

typedef struct gb_osc_handlers gb_osc_handlers_t;

/** A handler: do what msg asks, reply through peer (may be NULL). Returns GB_OK (served),
 *  GB_OSC_DROPPED (the queue to the audio thread was full; err says so) or a negative
 *  error with err->msg naming the path and what was expected. [main] */
typedef int (*gb_osc_fn)(gb_osc_handlers_t *h, const gb_osc_msg_t *msg,
                         const gb_osc_peer_t *peer, gb_error_t *err);

/* Method flags. */
#define GB_OSC_M_SCORE 1u   /* also in control scores (offline), not only live */
#define GB_OSC_M_PATTERN 2u /* the path ends in placeholders (SLOT/NAME, N): a prefix match */

/** One entry of the namespace. Feedback entries (sent to subscribers) have fn NULL. */
typedef struct gb_osc_method {
    const char *path;  /* "/gbac/note/on", or a pattern "/gbac/param/SLOT/NAME" */
    const char *types; /* accepted type-tag strings: anchored POSIX ERE ("" = no arguments) */
    const char *args;  /* the arguments, for people */
    const char *reply; /* what the sender gets back, or NULL */
    const char *doc;
    unsigned flags;    /* GB_OSC_M_* */
    gb_osc_fn fn;
} gb_osc_method_t;

/** The namespace: the paths gbac serves, and the feedback it sends. [any] */
int gb_osc_method_count(void);
const gb_osc_method_t *gb_osc_method_get(int i);
int gb_osc_feedback_count(void);
const gb_osc_method_t *gb_osc_feedback_get(int i);

/** The method that serves path (exact paths first, then patterns), or NULL. [any] */
const gb_osc_method_t *gb_osc_method_find(const char *path);

/** Whether a type-tag string matches a method's accepted types. [any] */
int gb_osc_types_accepted(const gb_osc_method_t *m, const char *types);

/* Handler flags (gb_osc_handlers_set_flags). */
#define GB_OSC_HF_STRICT 1u  /* parameter values out of range are errors, not clamped */
#define GB_OSC_HF_QUERIES 2u /* paths that take a value answer a query without arguments */
#define GB_OSC_HF_SCORE 4u   /* a control score: only GB_OSC_M_SCORE paths */

/** Handlers for the engine host->engine() returns now: its parameter table is copied (paths,
 *  handles, ranges) and its schema text built. Rebuild them when the engine is replaced.
 *  host is copied. NULL on out of memory (err set). [main] */
gb_osc_handlers_t *gb_osc_handlers_new(const gb_osc_host_t *host, gb_error_t *err);

/** Free. NULL-safe. [main] */
void gb_osc_handlers_free(gb_osc_handlers_t *h);

/** Set GB_OSC_HF_* flags (0 by default). [main] */
void gb_osc_handlers_set_flags(gb_osc_handlers_t *h, unsigned flags);

/** Handle one message: find its method, check the handler flags and the type tags, run the
 *  handler. Returns GB_OK, GB_OSC_DROPPED or a negative error (err->msg like
 *  "/gbac/note/on: velocity 300 out of range 0..127"). Counted in gb_osc_handlers_ok /
 *  _errors. [main, one thread at a time per handlers object] */
int gb_osc_dispatch(gb_osc_handlers_t *h, const gb_osc_msg_t *msg, const gb_osc_peer_t *peer,
                    gb_error_t *err);

/** Messages served, and refused or dropped, since creation. [any] */
uint64_t gb_osc_handlers_ok(const gb_osc_handlers_t *h);
uint64_t gb_osc_handlers_errors(const gb_osc_handlers_t *h);

/** Number of parameter paths, and the i-th ("/gbac/param/synth/attack_ms"); NULL when i is
 *  out of range. [any] */
int gb_osc_handlers_param_count(const gb_osc_handlers_t *h);
const char *gb_osc_handlers_param_path(const gb_osc_handlers_t *h, int i);

/** The engine handle of a parameter path ("/gbac/param/synth/attack_ms"), or -1. [any] */
int32_t gb_osc_handlers_param_handle(const gb_osc_handlers_t *h, const char *path);

/** The path of an engine handle, or NULL (linear in the number of parameters). [any] */
const char *gb_osc_handlers_handle_path(const gb_osc_handlers_t *h, int32_t handle);

/** The schema of the engine the handlers were made for, compact JSON (owned by h). [any] */
const char *gb_osc_handlers_schema(const gb_osc_handlers_t *h);

/** The OSC schema of an engine as indented JSON text (malloc'd; free()): every path with its
 *  accepted type tags, arguments, reply and docs, every parameter with range, unit and docs
 *  (from the parameter registry), the feedback. e may be NULL (no parameter paths). NULL on
 *  out of memory. The reply to /gbac/schema is the same, compact. [main] */
char *gb_osc_schema_json(const gb_engine_t *e);

#ifdef __cplusplus
}
#endif
#endif
