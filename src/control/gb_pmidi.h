/* gb_pmidi.h — MIDI input through PortMidi (ALSA sequencer devices on Linux): device listing,
 * and a polling thread that turns a device's bytes into commands for the audio thread.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Threads: gb_pmidi_list/open/close run on [main]; the poll thread ([midi thread]) reads the
 * device every ~1 ms, parses the bytes with the defensive parser of gb_midi.h, stamps every
 * event with a target JACK frame (now + lookahead, so the audio thread can place it on an
 * exact frame with constant latency instead of jittering with the poll period) and pushes a
 * gb_live_cmd_t {GB_CMD_EVENT, frame, ev} onto the ring it was given. It is that ring's only
 * producer. A full ring drops the event and counts it in stats->midi_dropped; nothing blocks.
 *
 * The per-event work is a pure function of the bytes (gb_pmidi_feed_bytes /
 * gb_pmidi_feed_message), so tests drive it with real byte sequences and no device.
 */
#ifndef GB_PMIDI_H
#define GB_PMIDI_H

#include <stdint.h>
#include <stdio.h>

#include "gb_common.h"
#include "gb_live_msg.h"
#include "gb_midi.h"
#include "gb_ring.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The sentence printed (and put in errors) when PortMidi sees no input device. */
#define GB_PMIDI_NO_DEVICES \
    "No MIDI input devices found (PortMidi sees none: no ALSA sequencer on this machine?)"

/** Print the MIDI input devices, one a line ("  0  ALSA  Keystation 49 MIDI 1"), or the
 *  GB_PMIDI_NO_DEVICES sentence when there are none.
 *  Returns the number of input devices (≥ 0), or a negative GB_E* code when PortMidi fails
 *  to initialise (err says why). Initialises and terminates PortMidi itself, so do not call
 *  it while a device is open. [main] */
int gb_pmidi_list(FILE *out, gb_error_t *err);

/* ---- the pure per-event path ---------------------------------------------------------- */

/** What the poll thread keeps between PmEvents: one parser per device stream. Public so
 *  tests can hold one on the stack; initialise with gb_pmidi_stream_init(). */
typedef struct gb_pmidi_stream {
    gb_midi_parser_t parser;
    gb_ring_t *ring;           /* commands go here (this stream is its only producer) */
    gb_live_stats_t *stats;    /* midi_dropped counts full-ring drops; may be NULL */
    uint64_t pushed;           /* commands pushed (for tests and meters) */
    uint64_t dropped;          /* commands refused by a full ring (also in stats) */
} gb_pmidi_stream_t;

/** Reset s: fresh parser (no running status), counters zero. [any] */
void gb_pmidi_stream_init(gb_pmidi_stream_t *s, gb_ring_t *ring, gb_live_stats_t *stats);

/** Feed raw MIDI bytes (any split: a message may continue in the next call, running status
 *  carries over). Every complete message with an event form (gb_midi_to_event: notes, CCs,
 *  bend, channel pressure, all-off) becomes a command {GB_CMD_EVENT, frame = now_frame +
 *  lookahead, ev (ev.time 0)} pushed onto s->ring; sysex, program change, real-time bytes
 *  are parsed and skipped. Returns the number of commands pushed; refused ones are counted
 *  in s->dropped and stats->midi_dropped. [midi thread, or any single producer] */
int gb_pmidi_feed_bytes(gb_pmidi_stream_t *s, const uint8_t *bytes, size_t n,
                        uint64_t now_frame, uint32_t lookahead);

/** Feed one PortMidi message word (PmEvent.message: byte 0 in the low-order byte). How many
 *  of its 4 bytes are MIDI follows PortMidi's rules: a channel or system-common message
 *  takes its status byte plus its data bytes; a real-time byte always fills a PmEvent of its
 *  own; inside a sysex the word carries 4 sysex bytes, up to and including the 0xF7 that
 *  ends it; a non-real-time status byte in the low-order byte ends an unfinished sysex. A
 *  word that starts with a data byte (running status, not produced by PortMidi but by raw
 *  sources) supplies the data bytes the parser still needs. Returns the commands pushed, as
 *  gb_pmidi_feed_bytes. [midi thread] */
int gb_pmidi_feed_message(gb_pmidi_stream_t *s, uint32_t message, uint64_t now_frame,
                          uint32_t lookahead);

/* ---- the device and its thread -------------------------------------------------------- */

typedef struct gb_pmidi gb_pmidi_t;

/** Open the first input device whose name contains `name` (case-sensitive substring; "" is
 *  the first input device) and start the poll thread. now_frame(ctx) must return the
 *  current JACK frame and be callable from the poll thread (e.g. jack_frame_time());
 *  lookahead_frames is added to it (about one period plus the poll interval is a good
 *  value). ring receives gb_live_cmd_t elements; stats->midi_dropped counts drops.
 *  Returns NULL with err set when no device matches (the message lists the available input
 *  names, or is the GB_PMIDI_NO_DEVICES sentence) or PortMidi fails. One device at a time:
 *  PortMidi is initialised here and terminated by gb_pmidi_close. [main] */
gb_pmidi_t *gb_pmidi_open(const char *name, gb_ring_t *ring, uint64_t (*now_frame)(void *ctx),
                          void *ctx, uint32_t lookahead_frames, gb_live_stats_t *stats,
                          gb_error_t *err);

/** Name of the opened device. [any] */
const char *gb_pmidi_name(const gb_pmidi_t *pm);

/** Stop and join the poll thread, close the device, terminate PortMidi. NULL-safe. [main] */
void gb_pmidi_close(gb_pmidi_t *pm);

#ifdef __cplusplus
}
#endif
#endif
