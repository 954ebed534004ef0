/* gb_link.h — Ableton Link for the live host: a session of peers on the network that share a
 * tempo and a beat grid (Live, Bitwig, Pd, SuperCollider, phone apps...). A small C interface
 * over Debian's ableton-link-dev (C++ headers only), implemented in gb_link.cpp; the rest of
 * gbac stays C. docs/rigs.md explains how gbac's transport follows it.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Times are Link's host clock: CLOCK_MONOTONIC_RAW in microseconds (gb_link_clock_us). Beats
 * are quarter notes; a quantum is the number of beats in a bar: every peer that uses the same
 * quantum agrees on the phase (beat mod quantum), so bars start together everywhere, while the
 * beat count itself may differ between peers by whole bars.
 *
 * Threads. gb_link_audio_state is the only call for the audio thread (it reads Link's
 * real-time copy of the session, lock- and allocation-free) and must be called from one
 * thread only. Everything else is [main]: it may lock, allocate or wait for Link's own
 * network thread. gbac never commits a session state from the audio thread: tempo proposals
 * come from main (OSC, presets), so Link's audio copy is never held back by a local change.
 */
#ifndef GB_LINK_H
#define GB_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_link gb_link_t;

typedef struct gb_link_state {
    int64_t host_us;  /* the Link clock time the other fields hold at */
    double tempo_bpm; /* the session tempo */
    double beat;      /* the session's beat at host_us for the quantum asked */
    double phase;     /* beat within the bar: 0 <= phase < quantum */
} gb_link_state_t;

/** A Link instance, not yet enabled, that proposes bpm (20..999) when it starts a session of
 *  its own; joining a session adopts that session's tempo. NULL when Link cannot be made (out
 *  of memory, no thread): err says why. [main] */
gb_link_t *gb_link_new(double bpm, gb_error_t *err);

/** Disable and free. NULL-safe. [main] */
void gb_link_free(gb_link_t *l);

/** Join (1) or leave (0) the session on every network interface that is up. [main] */
void gb_link_enable(gb_link_t *l, int on);

/** Whether it is enabled (an atomic read). [any, real-time safe] */
int gb_link_is_enabled(const gb_link_t *l) GB_RT;

/** Other peers in the session now. [any, real-time safe] */
uint32_t gb_link_peers(const gb_link_t *l);

/** Link's host clock now, CLOCK_MONOTONIC_RAW microseconds. [any, real-time safe] */
int64_t gb_link_clock_us(const gb_link_t *l);

/** The session at host time host_us for quantum (beats per bar, >= 1). One audio thread
 *  only. [audio] */
void gb_link_audio_state(gb_link_t *l, int64_t host_us, double quantum, gb_link_state_t *out)
    GB_RT;

/** The same, read from main's copy of the session. [main] */
void gb_link_app_state(gb_link_t *l, int64_t host_us, double quantum, gb_link_state_t *out);

/** When things happened, on the Link clock (µs; 0: not yet): Link was enabled, the number
 *  of peers last changed, the session tempo last changed (seen by this instance: a peer's
 *  proposal arriving, or its own). Lets a rig measure discovery and tempo propagation
 *  where they happen. */
typedef struct gb_link_times {
    int64_t enabled_us, peers_us, tempo_us;
} gb_link_times_t;

/** [any] */
void gb_link_get_times(const gb_link_t *l, gb_link_times_t *out);

/** Propose a new tempo (clamped by Link to 20..999) to the session from now on, keeping the
 *  beat where it is. Every peer follows within a network round trip. [main] */
void gb_link_propose_tempo(gb_link_t *l, double bpm);

/** How many network interfaces are up with an IPv4 or IPv6 address (the ones Link can use;
 *  it looks for new ones every 5 s). names (may be NULL) gets them, comma-separated. [main] */
int gb_link_interfaces(char *names, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
