/* gb_midi.h — a defensive MIDI 1.0 byte-stream parser, and the conversion of channel messages
 * to gbac events (gbp_event_t).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The parser takes bytes one at a time, from any source (a PortMidi stream, a raw device, a
 * JACK MIDI buffer, a fuzzer) and never fails: whatever it is given, it returns the complete
 * messages it can recognise and counts what it had to drop. It follows the MIDI 1.0
 * specification:
 *
 *   - running status: data bytes after a complete channel message start another message
 *     with the same status byte;
 *   - real-time bytes (0xF8..0xFF) may arrive anywhere, even between the bytes of another
 *     message or inside a system exclusive; they are reported at once as one-byte messages
 *     and disturb nothing (not the running status, not a half-received message);
 *   - system exclusive (0xF0 ... 0xF7) is skipped without being stored, whatever its length
 *     (memory and cost per byte are bounded), and reported once when it ends; any status byte
 *     other than a real-time one ends it (the spec's "unterminated sysex" case);
 *   - system common messages (0xF1..0xF6) are reported and cancel the running status;
 *   - a status byte that arrives before the message in progress is complete drops that message
 *     (counted as truncated); data bytes with no status to belong to are dropped (counted).
 *
 * The parser state is a plain caller-owned struct: no allocation, cost O(1) per byte, safe on
 * the audio thread. One parser per byte stream.
 */
#ifndef GB_MIDI_H
#define GB_MIDI_H

#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"
#include "gbac_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a complete message is. */
typedef enum gb_midi_kind {
    GB_MIDI_NOTE_OFF = 1,      /* 0x8n key velocity */
    GB_MIDI_NOTE_ON = 2,       /* 0x9n key velocity (velocity 0: a note-off by convention) */
    GB_MIDI_POLY_PRESSURE = 3, /* 0xAn key pressure */
    GB_MIDI_CC = 4,            /* 0xBn controller value */
    GB_MIDI_PROGRAM = 5,       /* 0xCn program */
    GB_MIDI_CHANNEL_PRESSURE = 6, /* 0xDn pressure */
    GB_MIDI_PITCH_BEND = 7,    /* 0xEn lsb msb */
    GB_MIDI_SYSEX = 8,         /* a whole system exclusive, skipped (data not kept) */
    GB_MIDI_SYSTEM_COMMON = 9, /* 0xF1 (1 byte), 0xF2 (2), 0xF3 (1), 0xF6 (0), 0xF4/0xF5 (0) */
    GB_MIDI_REALTIME = 10,     /* 0xF8..0xFF, one byte */
} gb_midi_kind_t;

/** A complete message. For channel messages, status is 0x80..0xEF (the channel in the low
 *  nibble) and data[] holds the 1 or 2 data bytes (len). For GB_MIDI_SYSEX, status is 0xF0,
 *  len is 0 and sysex_len counts the data bytes between 0xF0 and the end (saturating). */
typedef struct gb_midi_msg {
    uint8_t kind;    /* gb_midi_kind_t */
    uint8_t status;
    uint8_t len;     /* number of data bytes in data[] */
    uint8_t data[2];
    uint32_t sysex_len;
} gb_midi_msg_t;

/** Parser state. Initialise with gb_midi_parser_init(); the fields are public for tests and
 *  meters, not for writing. */
typedef struct gb_midi_parser {
    uint8_t status;      /* status of the message in progress, 0 if none (also running status) */
    uint8_t need;        /* data bytes the message in progress needs */
    uint8_t have;        /* data bytes received so far */
    uint8_t in_sysex;    /* 1 between 0xF0 and its end */
    uint8_t pending;     /* 1 from a status or data byte until its message completes */
    uint8_t data[2];
    uint32_t sysex_len;  /* data bytes of the sysex in progress (saturating) */
    /* counters (saturating at UINT32_MAX) */
    uint32_t n_messages;  /* complete messages returned, every kind */
    uint32_t n_dropped;   /* data bytes with no status, stray 0xF7, undefined 0xF4/0xF5 */
    uint32_t n_truncated; /* messages cut short by a status byte (sysex included) */
    uint32_t n_sysex;     /* system exclusives skipped */
} gb_midi_parser_t;

/** Reset a parser to its initial state (no running status, counters zero). [any] */
void gb_midi_parser_init(gb_midi_parser_t *p) GB_RT;

/** Feed one byte. Returns 1 and fills *msg when the byte completes a message (a real-time
 *  byte always does), else 0. [any, RT-safe] */
int gb_midi_parser_feed(gb_midi_parser_t *p, uint8_t byte, gb_midi_msg_t *msg) GB_RT;

/** Convert a complete message to a gbac event stamped `time`, with source GBP_SOURCE_HUMAN.
 *  Returns 1 if an event was written, 0 if the message has no event equivalent (poly
 *  pressure, program change, sysex, system common, real-time: the caller may act on them
 *  itself). The mapping:
 *    note on v>0     → GBP_EV_NOTE_ON, value v/127
 *    note on v=0     → GBP_EV_NOTE_OFF, value 64/127 (the spec's default release velocity)
 *    note off v      → GBP_EV_NOTE_OFF, value v/127
 *    CC 120 and 123  → GBP_EV_ALL_OFF (all sound off, all notes off), id = the controller
 *    other CC c v    → GBP_EV_CC, id c, value v/127
 *    pitch bend      → GBP_EV_PITCH_BEND, value (b-8192)/8192 below the centre and
 *                      (b-8192)/8191 above it, so 0 → -1, 8192 → 0, 16383 → +1
 *    channel pressure p → GBP_EV_PRESSURE, value p/127
 *  [any, RT-safe] */
int gb_midi_to_event(const gb_midi_msg_t *msg, uint32_t time, gbp_event_t *ev) GB_RT;

/** Feed n bytes and append the events they complete to events[*n_events .. cap), all stamped
 *  `time`. Events beyond cap are dropped; returns how many were dropped (0 normally).
 *  [any, RT-safe] */
uint32_t gb_midi_parse(gb_midi_parser_t *p, const uint8_t *bytes, size_t n, uint32_t time,
                       gbp_event_t *events, uint32_t *n_events, uint32_t cap) GB_RT;

/** Number of data bytes a status byte's message carries (0..2), or -1 for 0xF0 (sysex, open
 *  ended), a data byte, 0xF7, or a real-time byte. [any] */
int gb_midi_data_len(uint8_t status) GB_RT;

/** Encode an event as a MIDI channel message (the inverse of gb_midi_to_event): writes 2 or 3
 *  bytes to out and returns the count, or 0 if the event has no MIDI form (GBP_EV_PARAM).
 *  Note-on velocity is rounded and kept ≥ 1 (0 would mean note-off); GBP_EV_ALL_OFF becomes
 *  CC 123 (all notes off). [any, RT-safe] */
int gb_midi_from_event(const gbp_event_t *ev, uint8_t out[3]) GB_RT;

#ifdef __cplusplus
}
#endif
#endif
