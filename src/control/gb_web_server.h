/* gb_web_server.h — the HTTP + WebSocket server behind gbac's browser pages (libwebsockets),
 * on a thread of its own. It serves the page's files, checks who may connect
 * (gb_web_access.h), parses what pages send (gb_web_msg.h) and sends them what their owner
 * posts, at most max_rate frames a second each (gb_web_feed.h). It decides nothing about
 * gbac: the owner (the live host's main loop, `gbac listen-test`) takes the messages and
 * answers them on its own thread.
 *
 * What a page receives: WebSocket text messages, each a JSON object (one reply, when nothing
 * else is waiting) or a JSON array of them: with rated_keys set, the replies queued for it, in
 * order, then what the feed has new for it; nothing waits for a timer except the rated keys
 * (the meters): a reply or an urgent post is written as soon as the server thread takes it
 * from the ring, joined with whatever else is waiting. Without rated_keys each reply is a
 * message of its own and feed frames (arrays) go at most max_rate times a second. How long that took is measured: from the owner's
 * post or send to the write, the most of any page (http_feed_max_us since start,
 * http_feed_window_us since the owner last cleared it).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Threads. The server thread does all socket work; the owner calls gb_web_server_recv,
 * _send, _post and _forget. They meet at two single-producer / single-consumer rings
 * (messages in, texts out) and an atomic wake-up; neither side ever waits for the other. A
 * full ring drops and counts (http_errors for messages in, fb_dropped for texts out). The
 * audio thread has nothing to do with any of it.
 *
 * Why libwebsockets (Debian's 4.1): one event loop on one thread serves every page, however
 * many connect, with per-connection memory the server sizes itself and writes that never
 * block (a slow tablet fills its own queue, not a thread); civetweb 1.15 gives each
 * connection a thread from a pool and writes from the caller's thread, which would put 100
 * connecting pages on 100 threads and make the owner wait on a slow socket.
 */
#ifndef GB_WEB_SERVER_H
#define GB_WEB_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"
#include "gb_live_msg.h"
#include "gb_osc_server.h" /* gb_cidr_t */
#include "gb_web_access.h"
#include "gb_web_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_WEB_MAX_ALLOW 16
#define GB_WEB_MAX_CLIENTS 256   /* WebSocket connections at once; more are refused */
#define GB_WEB_MAX_RATE 30.0     /* feed frames per page per second, at most */
#define GB_WEB_QUEUE_BYTES (4u << 20) /* replies waiting for one page, at most */

/** The server's configuration. Start from gb_web_server_config_default(). Strings are
 *  copied; stats must outlive the server. */
typedef struct gb_web_server_config {
    uint32_t struct_size;
    int port;             /* TCP port; 0: a free one (tests) */
    int n_allow;          /* other hosts that may connect with the token (0: loopback only,
                             and the server listens on 127.0.0.1 alone) */
    gb_cidr_t allow[GB_WEB_MAX_ALLOW];
    const char *doc_root; /* folder of the page's files */
    const char *index;    /* the file "/" serves, e.g. "index.html" */
    const char *mount_prefix; /* e.g. "/clips/": names under it come from mount_dir */
    const char *mount_dir;
    const char *token;    /* NULL: a fresh random one */
    double max_rate;      /* full feed frames per page per second (default GB_WEB_MAX_RATE) */
    const char *rated_keys; /* keys starting with it are sent at most max_rate times a second
                               per page and every other post at once (urgent); NULL: every
                               post waits for the page's next frame at max_rate */
    gb_live_stats_t *stats; /* http_clients, http_refused, http_errors, fb_dropped,
                               http_feed_max_us, http_feed_window_us; NULL: the server keeps
                               its own */
} gb_web_server_config_t;

/** struct_size set, port 0, index "index.html", max_rate GB_WEB_MAX_RATE. [any] */
gb_web_server_config_t gb_web_server_config_default(void);

typedef struct gb_web_server gb_web_server_t;

/** Bind the port and start the server thread. Fails with GB_EINVAL for a bad config, GB_EIO
 *  when the port cannot be bound (err names it), GB_ENOMEM. [main] */
gb_web_server_t *gb_web_server_new(const gb_web_server_config_t *cfg, gb_error_t *err);

/** Stop the thread, close every connection, free. NULL-safe. [main] */
void gb_web_server_free(gb_web_server_t *s);

/** The port it listens on, and the token other hosts must present (GB_WEB_TOKEN_LEN hex
 *  characters). [any] */
int gb_web_server_port(const gb_web_server_t *s);
const char *gb_web_server_token(const gb_web_server_t *s);

/* ---- what the owner receives ---- */

typedef enum gb_web_in_kind {
    GB_WEB_OPEN = 1, /* a page connected (client is its id, never reused) */
    GB_WEB_MSG,      /* a message from it, parsed and checked */
    GB_WEB_CLOSE,    /* it went away */
} gb_web_in_kind_t;

typedef struct gb_web_in {
    int kind;        /* gb_web_in_kind_t */
    uint32_t client;
    gb_web_msg_t msg; /* GB_WEB_MSG */
} gb_web_in_t;

/** The next thing that happened, or NULL. Give it back with gb_web_in_free. [owner] */
gb_web_in_t *gb_web_server_recv(gb_web_server_t *s);
void gb_web_in_free(gb_web_in_t *in);

/* ---- what the owner sends ---- */

/** Send text (a JSON text, malloc'd: the server owns it from now on, also on failure) to
 *  one page, now and in order with the other texts sent to it; a page that went away, or
 *  whose queue holds GB_WEB_QUEUE_BYTES already, does not get it. 0, or GB_ERANGE when the
 *  ring to the server was full (dropped, counted in fb_dropped). [owner] */
int gb_web_server_send(gb_web_server_t *s, uint32_t client, char *text);

/** Post text to every page through the feed: key NULL, an event (each page gets every
 *  one); else keyed state (a page gets the latest text of the key). Same ownership and
 *  result as gb_web_server_send. [owner] */
int gb_web_server_post(gb_web_server_t *s, const char *key, char *text);

/** Forget the keyed state whose keys start with prefix. [owner] */
int gb_web_server_forget(gb_web_server_t *s, const char *prefix);

/** Pages connected now. [any] */
int gb_web_server_clients(const gb_web_server_t *s);

#ifdef __cplusplus
}
#endif
#endif
