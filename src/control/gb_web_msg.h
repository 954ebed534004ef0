/* gb_web_msg.h — the messages a browser page and gbac exchange over the WebSocket: OSC
 * messages written as JSON, so the page speaks the namespace of gb_osc_handlers.h (the same
 * paths, type tags, checks and error texts as OSC) and needs no second vocabulary.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * From the page (one JSON object per WebSocket text message, docs/web.md):
 *
 *   {"path": "/gbac/param/delay/mix", "types": "f", "args": [0.3], "id": 7}
 *
 *   path   required; a string of 1..GB_WEB_PATH_MAX-1 printable ASCII characters starting
 *          with '/'
 *   types  optional OSC type tags, one per argument: i (int32), h (int64), f (float),
 *          d (double), s / S (string, symbol). Without it, each argument's tag comes from
 *          its JSON type: a whole number is i (h when it does not fit 32 bits), another
 *          number d, a string s.
 *   args   optional (none), an array of at most GB_OSC_MAX_ARGS numbers and strings; strings
 *          together at most GB_WEB_STRINGS_MAX - 1 bytes, no NUL
 *   id     optional, a whole number 0..2^53; replies to this message carry it
 *
 * Anything else — not JSON, not an object, an unknown key, a number where a string belongs,
 * 2.5 for an 'i', 1e300 for an 'f', more than GB_WEB_MSG_MAX bytes — is refused with a
 * message that names what was wrong ("WebSocket message: args[1]: 2.5 is not a whole number
 * (type 'i')"), never a crash (a libFuzzer target feeds gb_web_msg_parse).
 *
 * To the page: {"path": ..., "args": [...]} (with "id" when it answers a message that had
 * one), built by gb_web_msg_format; a feed frame is a JSON array of such objects.
 */
#ifndef GB_WEB_MSG_H
#define GB_WEB_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"
#include "gb_osc_handlers.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_WEB_MSG_MAX 16384     /* longest message from a page, bytes */
#define GB_WEB_PATH_MAX 128      /* path, with its NUL */
#define GB_WEB_STRINGS_MAX 4096  /* all string arguments of one message, with their NULs */
#define GB_WEB_ID_MAX 9007199254740992LL /* 2^53: every id a JavaScript number holds exactly */

/** One message from a page, parsed and checked. Self-contained (no pointers): it may be
 *  copied and handed to another thread. */
typedef struct gb_web_msg {
    long long id;                     /* -1: the message had none */
    char path[GB_WEB_PATH_MAX];
    char types[GB_OSC_MAX_ARGS + 1];  /* one tag per argument, NUL-terminated */
    int argc;
    gb_osc_arg_t num[GB_OSC_MAX_ARGS]; /* numbers (i h f d); for s/S see str_off */
    int str_off[GB_OSC_MAX_ARGS];     /* s/S: offset of the string in strings */
    char strings[GB_WEB_STRINGS_MAX];
} gb_web_msg_t;

/** Parse one text message of len bytes (need not be NUL-terminated). Returns 0, or
 *  GB_EFORMAT with err->msg saying what was wrong (starting "WebSocket message: "); out->id
 *  is set as soon as the id has been read, so an error reply can carry it. [any] */
int gb_web_msg_parse(const char *text, size_t len, gb_web_msg_t *out, gb_error_t *err);

/** The message as the handlers take it: argv (GB_OSC_MAX_ARGS) is the caller's; strings
 *  point into m, which must outlive *out. [any] */
void gb_web_msg_view(const gb_web_msg_t *m, gb_osc_msg_t *out, gb_osc_arg_t *argv);

/** {"path": path, "args": [...]} (and "id" when id >= 0) as compact JSON text, malloc'd
 *  (free()). types/argv as gb_osc_peer_t.reply gets them (i h f d s S c T F N I; unknown
 *  tags and non-finite numbers become null). NULL on out of memory. [any] */
char *gb_web_msg_format(long long id, const char *path, const char *types,
                        const gb_osc_arg_t *argv);

#ifdef __cplusplus
}
#endif
#endif
