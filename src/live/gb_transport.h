/* gb_transport.h — where the live engine's transport (the gbp_transport_t every unit sees:
 * tempo, beat, bar) comes from, period by period, and what main may tell about it.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One rule decides who leads (docs/rigs.md):
 *   1. link      — `gbac live --link`: the Link session leads, always. Its tempo, and its beat
 *                  at the moment the period's first frame is heard, with quantum = the
 *                  preset's beats per bar, so gbac's bars start on Link's bars. A JACK
 *                  transport that rolls meanwhile is ignored (and shown as ignored).
 *   2. jack      — otherwise, JACK transport rolling with BBT from a timebase master.
 *   3. internal  — otherwise, the internal tempo (preset, /gbac/tempo).
 * With Link, a tempo change in gbac (/gbac/tempo, a preset loaded) is proposed to the session
 * (gb_transport_propose_tempo) and comes back to the engine through Link like any peer's.
 *
 * When a frame is heard: JACK's filtered time of the cycle's start (jack_get_cycle_times) plus
 * the playback latency of gbac's outputs, moved to Link's clock (CLOCK_MONOTONIC_RAW) by the
 * offset between the two clocks read back to back. All times here are that clock's µs.
 *
 * Threads: gb_transport_follow runs in the audio thread and posts one record per period on an
 * SPSC ring; main drains it (gb_transport_poll) and answers from the latest record.
 */
#ifndef GB_TRANSPORT_H
#define GB_TRANSPORT_H

#include <jack/jack.h>
#include <jansson.h>
#include <stdint.h>

#include "gb_common.h"
#include "gb_engine.h"
#include "gb_link.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gb_transport_source {
    GB_TRANSPORT_INTERNAL = 0,
    GB_TRANSPORT_JACK = 1,
    GB_TRANSPORT_LINK = 2,
} gb_transport_source_t;

/** What the units saw at the first frame of a period. */
typedef struct gb_transport_info {
    int source;            /* gb_transport_source_t */
    int jack_rolling;      /* JACK transport rolls with BBT (also when Link leads) */
    double tempo_bpm;
    double beat;           /* the engine's beat at the period's first frame */
    uint32_t beats_per_bar;
    int64_t heard_us;      /* when that frame is heard, CLOCK_MONOTONIC_RAW µs */
    uint64_t frame;        /* the JACK frame time of that frame */
    double link_phase;     /* Link only: the session's phase at heard_us (== beat mod bar) */
    int64_t tempo_since_us; /* heard_us of the first period at this tempo */
} gb_transport_info_t;

typedef struct gb_transport gb_transport_t;

/** Transport selection with Link (link: may be NULL for none; not owned). NULL when out of
 *  memory. [main] */
gb_transport_t *gb_transport_new(gb_link_t *link);

/** NULL-safe. [main] */
void gb_transport_free(gb_transport_t *t);

/** The playback latency of gbac's outputs in frames (from JACK's latency callback). [any] */
void gb_transport_set_latency(gb_transport_t *t, uint32_t frames);

/** Set the engine's transport for the period about to be processed (nframes from JACK frame
 *  `start`), by the rule above, and post what the units see. [audio] */
void gb_transport_follow(gb_transport_t *t, jack_client_t *c, gb_engine_t *e, uint64_t start,
                         uint32_t nframes) GB_RT;

/** Take the records the audio thread posted; call every turn of main's loop. [main] */
void gb_transport_poll(gb_transport_t *t);

/** The latest record (all zero before the first period). Returns 1 when the audio thread
 *  posted one within the last 0.5 s, else 0. [main] */
int gb_transport_latest(const gb_transport_t *t, gb_transport_info_t *out);

/** The source's name: "internal", "jack" or "link". [any] */
const char *gb_transport_source_name(int source);

/** A tempo asked for by gbac (OSC, preset): proposed to the Link session when Link leads.
 *  Returns 1 when it went to Link (the engine gets it back from Link), 0 when gbac keeps its
 *  own tempo (no Link). [main] */
int gb_transport_propose_tempo(gb_transport_t *t, double bpm);

/** What the performer should hear of: Link enabled on which interfaces, no network interface
 *  up (Link can find no peer; it looks again every 5 s), the network back, the number of
 *  peers changed. Looks at the interfaces once a second. Returns 1 with msg filled when there
 *  is news, else 0. [main] */
int gb_transport_news(gb_transport_t *t, char *msg, size_t cap);

/** Add to obj the transport facts of /gbac/status and --stats-json (link_enabled,
 *  link_peers, link_tempo, ...: the keys and what they mean are docs/rigs.md's table, which
 *  test_rig_link holds to what gbac reports). 0 or GB_ENOMEM. [main] */
int gb_transport_to_json(gb_transport_t *t, json_t *obj);

/** One line for the status view, e.g. "link, 1 peer, bar 2.31/4" or "jack". [main] */
void gb_transport_describe(gb_transport_t *t, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
