/* gb_live_web.h — the live host's browser surface: `gbac live --http PORT`. A web server
 * (../control/gb_web_server.h, its own thread) serves the page (share/gbac/web) and its
 * WebSocket; this file, on the live host's main thread, hands every message a page sends to
 * the OSC path table (gb_osc_dispatch, the same handlers, checks and error texts as OSC) and
 * posts what pages show: meters, parameter values (whoever changed them: a page, OSC, a MIDI
 * CC, a preset load), the performer's and the models' notes, critic scores, MIDI learn,
 * recording. docs/web.md.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_LIVE_WEB_H
#define GB_LIVE_WEB_H

#include "gb_common.h"
#include "gb_live_msg.h"
#include "gb_osc_handlers.h"
#include "gb_osc_server.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_live_web gb_live_web_t;

/** Open the server on port (0: a free one) of 127.0.0.1, or of every interface when n_allow
 *  networks are given (pages from them need the token). host is what the OSC handlers get
 *  (host->stats receives http_* counters). doc_root: the page's folder. Prints
 *  "gbac: web page at http://127.0.0.1:PORT/" and "token=..." on stderr. [main] */
gb_live_web_t *gb_live_web_new(const gb_osc_host_t *host, int port, const gb_cidr_t *allow,
                               int n_allow, const char *doc_root, gb_error_t *err);

/** Stop the server and free. NULL-safe. [main] */
void gb_live_web_free(gb_live_web_t *w);

/** The port, and the token. [main] */
int gb_live_web_port(const gb_live_web_t *w);
const char *gb_live_web_token(const gb_live_web_t *w);

/** Serve the messages pages sent since the last call (at most max). [main] */
void gb_live_web_poll(gb_live_web_t *w, int max);

/** Feedback from the audio thread, for every page. [main] */
void gb_live_web_feedback(gb_live_web_t *w, const gb_live_fb_t *fb);

/** A command went to the audio thread (from OSC, a page, ...): a parameter change reaches
 *  every page. [main] */
void gb_live_web_command(gb_live_web_t *w, const gb_live_cmd_t *cmd);

/** The engine was replaced: handlers are rebuilt, pages re-read the schema and get every
 *  parameter's value. [main] */
void gb_live_web_engine_changed(gb_live_web_t *w);

/** The recording: take name (NULL: not recording) and seconds recorded. Posted when it
 *  changes and once a second while recording. [main] */
void gb_live_web_record(gb_live_web_t *w, const char *take, double seconds);

#ifdef __cplusplus
}
#endif
#endif
