/* gb_listen_web.h — a blind listening test served to a browser (`gbac listen-test --http
 * PORT`): the same web server as `gbac live --http` (../control/gb_web_server.h: its thread,
 * access rules, token, file serving), with the test's page (share/gbac/web/listen) at "/" and
 * the clips under /clips/. This file is the server's owner, on the calling thread: it answers
 * the page's two messages and writes the results after every choice. docs/listen-test.md.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Messages (OSC as JSON, gb_web_msg.h):
 *   /listen/info                → /listen/info JSON: {"question": TEXT, "question_key":
 *                                 "human"|"prefer", "pairs": [{"a": "/clips/p00a.wav", "b":
 *                                 ..., "seconds": S}, ...], "answered": [PAIR, ...],
 *                                 "done": BOOL} — nothing that tells which clip is which
 *   /listen/choose i:PAIR i:PICKED(0 a, 1 b) i:PLAYS_A i:PLAYS_B
 *                               → /listen/chosen i:PAIR i:ANSWERED i:PAIRS once it is saved,
 *                                 then, after the last pair, /listen/done JSON (the summary,
 *                                 gb_listen_summary_json); a refused one: /gbac/error PATH
 *                                 MESSAGE (unknown pair, answered already, the file could
 *                                 not be written)
 */
#ifndef GB_LISTEN_WEB_H
#define GB_LISTEN_WEB_H

#include "gb_common.h"
#include "gb_listen_results.h"
#include "gb_osc_server.h" /* gb_cidr_t */

#ifdef __cplusplus
extern "C" {
#endif

#define GB_LISTEN_DONE_WAIT_S 5.0 /* after the last choice, how long the page may stay */

typedef struct gb_listen_serve_config {
    int port;              /* 0: a free one */
    const gb_cidr_t *allow; /* other networks that may connect with the token */
    int n_allow;
    const char *doc_root;  /* the page's folder */
    const char *clip_dir;  /* served as /clips/ */
    const char *out;       /* the results file, written after every choice */
} gb_listen_serve_config_t;

typedef struct gb_listen_web gb_listen_web_t;

/** Bind the port and start the server (before the clips are made, so a port in use fails
 *  at once). Returns NULL with err naming the port when it cannot be bound. [main] */
gb_listen_web_t *gb_listen_web_open(const gb_listen_serve_config_t *c, gb_error_t *err);

/** Serve the test t until every pair is answered (then until the page that answered last
 *  closes, at most GB_LISTEN_DONE_WAIT_S), or SIGINT / SIGTERM; t gets the choices and the
 *  file c->out is rewritten after each. Prints "gbac: listening test at
 *  http://127.0.0.1:PORT/" and "token=..." on stderr first. [main: handles SIGINT and SIGTERM
 *  while it runs] */
void gb_listen_web_run(gb_listen_web_t *w, gb_listen_test_t *t);

/** The port it listens on. [main] */
int gb_listen_web_port(const gb_listen_web_t *w);

/** Stop the server and free. NULL-safe. [main] */
void gb_listen_web_free(gb_listen_web_t *w);

#ifdef __cplusplus
}
#endif
#endif
