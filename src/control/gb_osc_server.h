/* gb_osc_server.h — the live OSC control surface (liblo, UDP): access control, the
 * self-describing namespace, replies, subscriptions with rate-limited feedback.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server is polled from the live host's main thread (gb_osc_server_poll), so its handlers
 * run there and may read the engine's parameter registry; what must reach the audio thread
 * goes through the host's send callback (an SPSC ring). The namespace is the path table of
 * gb_osc_handlers.h (docs/osc.md); this file is the liblo front end to it: who may send,
 * where replies go, subscriptions and feedback.
 */
#ifndef GB_OSC_SERVER_H
#define GB_OSC_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <lo/lo.h>

#include "gb_common.h"
#include "gb_engine.h"
#include "gb_live_msg.h"
#include "gb_osc_handlers.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_OSC_MAX_ALLOW 16
#define GB_OSC_MAX_SUBSCRIBERS 8
#define GB_OSC_METER_INTERVAL_MS 34  /* > 1000/30: at most 30 meters in any 1 s window */
#define GB_OSC_FB_BUDGET 256         /* feedback messages per subscriber per poll (meters
                                        apart); more are counted in stats->fb_dropped */
#define GB_OSC_SCHEMA_CHUNK 7000     /* a longer /gbac/schema reply comes in chunks */

/** An IPv4 network: addr/prefix, host byte order. */
typedef struct gb_cidr {
    uint32_t addr;
    int prefix; /* 0..32 */
} gb_cidr_t;

/** Parse "a.b.c.d/n" or "a.b.c.d" (= /32). Returns 0 or GB_EINVAL. [any] */
int gb_cidr_parse(const char *s, gb_cidr_t *out);

/** Whether the IPv4 address ip (host byte order) is inside the network. [any] */
int gb_cidr_match(const gb_cidr_t *net, uint32_t ip);

/** Whether a sender (a host name as liblo gives it: "127.0.0.1", "::ffff:10.0.0.7", "::1")
 *  lies in one of the n_allow networks; n_allow 0 means loopback only. [any] */
int gb_osc_sender_allowed(const gb_cidr_t *allow, int n_allow, const char *host);

/** The server's configuration. Start from gb_osc_server_config_default(). The strings of
 *  host are copied by gb_osc_server_new; host.stats, host.ctx and the callbacks must outlive
 *  the server. */
typedef struct gb_osc_server_config {
    uint32_t struct_size;
    int port;                       /* UDP port; 0 picks a free one (tests) */
    int n_allow;                    /* 0: loopback only (127.0.0.0/8); else exactly these
                                       networks (add 127.0.0.0/8 to keep local clients) */
    gb_cidr_t allow[GB_OSC_MAX_ALLOW];
    /** What the handlers may do (gb_osc_handlers.h). host.stats also receives the server's
     *  counters (osc_*, fb_dropped, subscribers) and gives it xruns; NULL: it keeps its own. */
    gb_osc_host_t host;
} gb_osc_server_config_t;

/** struct_size set, port GB_OSC_DEFAULT_PORT, everything else 0/NULL. [any] */
gb_osc_server_config_t gb_osc_server_config_default(void);

typedef struct gb_osc_server gb_osc_server_t;

/** Open the UDP server (binds 0.0.0.0 in liblo 0.31, hence the sender filter). Fails with
 *  GB_EINVAL for a bad config (struct_size, port, n_allow) and GB_EIO when the port cannot
 *  be bound (err names the port). [main] */
gb_osc_server_t *gb_osc_server_new(const gb_osc_server_config_t *cfg, gb_error_t *err);

/** Close it. NULL-safe. [main] */
void gb_osc_server_free(gb_osc_server_t *s);

/** The port it listens on. [main] */
int gb_osc_server_port(const gb_osc_server_t *s);

/** Handle the messages waiting, at most max_msgs (a bundle's messages are all handled with
 *  the packet that carries them), waiting up to timeout_ms for the first. Every message
 *  received ends in exactly one of stats->osc_messages (served), osc_errors (refused with
 *  an error reply, or a packet liblo could not parse: no reply), osc_refused (sender not
 *  allowed: no reply) and osc_dropped (ring to audio full: error reply). Also sends
 *  /gbac/xrun to subscribers when stats->xruns changed, and renews the feedback budgets.
 *  Returns the number of messages handled. [main] */
int gb_osc_server_poll(gb_osc_server_t *s, int timeout_ms, int max_msgs);

/** Handle one message as if it had arrived from `from` (its sender, also where replies go;
 *  NULL: refused like an unknown sender): access control, then gb_osc_dispatch through the
 *  path table. A refused message gets /gbac/error s s PATH MESSAGE, to the sender and to the
 *  subscribers that asked for errors. The poll loop calls it for every message; tests and the
 *  fuzz target call it directly. [main] */
void gb_osc_server_dispatch(gb_osc_server_t *s, const char *path, lo_message msg,
                            lo_address from);

/** The engine was replaced (preset load, sample-rate change): the namespace is rebuilt
 *  before the next message or feedback is handled (not now: this may be called from inside
 *  a handler, through host.load_preset). [main] */
void gb_osc_server_engine_changed(gb_osc_server_t *s);

/** Forward feedback from the audio thread to subscribers, meters rate-limited (at most
 *  30 per second per subscriber, peaks held in between); parameter changes and generated
 *  notes as they come, at most GB_OSC_FB_BUDGET per subscriber between two polls. Formats
 *  in docs/osc.md. [main] */
void gb_osc_server_feedback(gb_osc_server_t *s, const gb_live_fb_t *fb);

/** Send `path s text` to every subscriber (e.g. /gbac/record/stopped with the reason a
 *  recording stopped early). [main] */
void gb_osc_server_notify(gb_osc_server_t *s, const char *path, const char *text);

#ifdef __cplusplus
}
#endif
#endif
