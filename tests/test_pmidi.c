/* test_pmidi.c — PortMidi input (src/control/gb_pmidi.c): listing and opening on a machine without
 * an ALSA sequencer, and the pure bytes → commands path the poll thread runs, driven with
 * real byte sequences: running status across reads, sysex in 4-byte PmEvents with real-time
 * bytes inside, a truncated message, a full ring.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gb_pmidi.h"

#define NOW0 48000u
#define LOOK 256u

typedef struct want {
    uint8_t type, channel, key;
    uint32_t id;
    int vel; /* 0..127: value * 127 */
    uint64_t frame;
} want_t;

/* Pop everything from the ring and compare with want[] exactly. */
static void expect_cmds(gb_ring_t *ring, const want_t *want, size_t n_want)
{
    gb_live_cmd_t c;
    size_t i = 0;
    while (gb_ring_pop(ring, &c)) {
        assert_true(i < n_want);
        assert_int_equal(c.kind, GB_CMD_EVENT);
        assert_int_equal(c.frame, want[i].frame);
        assert_int_equal(c.ev.time, 0);
        assert_int_equal(c.ev.type, want[i].type);
        assert_int_equal(c.ev.channel, want[i].channel);
        assert_int_equal(c.ev.key, want[i].key);
        assert_int_equal(c.ev.id, want[i].id);
        assert_int_equal(c.ev.source, GBP_SOURCE_HUMAN);
        assert_float_equal(c.ev.value, want[i].vel / 127.0f, 1e-6);
        i++;
    }
    assert_int_equal(i, n_want);
}

static uint32_t word(uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
    return (uint32_t)b0 | (uint32_t)b1 << 8 | (uint32_t)b2 << 16 | (uint32_t)b3 << 24;
}

/* ---- PortMidi on this machine --------------------------------------------------------- */

static int n_devices = -1;

static void list_prints_the_no_devices_sentence(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    gb_error_t err = {0};
    n_devices = gb_pmidi_list(f, &err);
    assert_true(n_devices >= 0);
    if (n_devices > 0) {
        fclose(f);
        skip(); /* a machine with MIDI devices: nothing to assert about the sentence */
    }
    char buf[512] = "";
    rewind(f);
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    buf[got] = 0;
    fclose(f);
    assert_string_equal(buf, GB_PMIDI_NO_DEVICES "\n");
    assert_string_equal(buf, "No MIDI input devices found (PortMidi sees none: no ALSA "
                             "sequencer on this machine?)\n");
}

static uint64_t fixed_now(void *ctx)
{
    (void)ctx;
    return NOW0;
}

static void open_fails_with_the_sentence(void **state)
{
    (void)state;
    if (n_devices != 0)
        skip();
    gb_ring_t *ring = gb_ring_new(sizeof(gb_live_cmd_t), 64);
    gb_live_stats_t stats = {0};
    gb_error_t err = {0};
    gb_pmidi_t *pm = gb_pmidi_open("x", ring, fixed_now, NULL, LOOK, &stats, &err);
    assert_null(pm);
    assert_int_equal(err.code, GB_EIO);
    assert_non_null(strstr(err.msg, GB_PMIDI_NO_DEVICES));
    assert_non_null(strstr(err.msg, "\"x\""));
    /* Twice: PortMidi is initialised and terminated cleanly each time. */
    assert_null(gb_pmidi_open("", ring, fixed_now, NULL, LOOK, &stats, &err));
    gb_pmidi_close(NULL);
    gb_ring_free(ring);
}

/* ---- bytes → commands ----------------------------------------------------------------- */

/* A note-on whose bytes arrive in pieces, then running status (no status byte) for two more
 * notes, the last with velocity 0 (a note-off); each command is stamped with the time its
 * message completed plus the lookahead. */
static void running_status_split_across_reads(void **state)
{
    (void)state;
    gb_ring_t *ring = gb_ring_new(sizeof(gb_live_cmd_t), 64);
    gb_live_stats_t stats = {0};
    gb_pmidi_stream_t s;
    gb_pmidi_stream_init(&s, ring, &stats);

    const uint8_t r1[] = {0x92, 0x3C}, r2[] = {0x64, 0x3E}, r3[] = {0x50}, r4[] = {0x40, 0x00};
    assert_int_equal(gb_pmidi_feed_bytes(&s, r1, sizeof r1, 1000, LOOK), 0);
    assert_int_equal(gb_pmidi_feed_bytes(&s, r2, sizeof r2, 1010, LOOK), 1);
    assert_int_equal(gb_pmidi_feed_bytes(&s, r3, sizeof r3, 1020, LOOK), 1);
    assert_int_equal(gb_pmidi_feed_bytes(&s, r4, sizeof r4, 1030, LOOK), 1);
    const want_t want[] = {
        {GBP_EV_NOTE_ON, 2, 60, 0, 100, 1010 + LOOK},
        {GBP_EV_NOTE_ON, 2, 62, 0, 80, 1020 + LOOK},
        {GBP_EV_NOTE_OFF, 2, 64, 0, 64, 1030 + LOOK},
    };
    expect_cmds(ring, want, 3);

    /* The same as PortMidi words: a full message, then words that start with data bytes
     * (running status from a raw source) and must take exactly the bytes still needed —
     * the zero padding of a word is not a velocity. */
    assert_int_equal(gb_pmidi_feed_message(&s, word(0x91, 0x45, 0x7F, 0), NOW0, LOOK), 1);
    assert_int_equal(gb_pmidi_feed_message(&s, word(0x47, 0x20, 0, 0), NOW0 + 1, LOOK), 1);
    assert_int_equal(gb_pmidi_feed_message(&s, word(0xB1, 0x07, 0x00, 0), NOW0 + 2, LOOK), 1);
    const want_t want2[] = {
        {GBP_EV_NOTE_ON, 1, 69, 0, 127, NOW0 + LOOK},
        {GBP_EV_NOTE_ON, 1, 71, 0, 32, NOW0 + 1 + LOOK},
        {GBP_EV_CC, 1, 0, 7, 0, NOW0 + 2 + LOOK},
    };
    expect_cmds(ring, want2, 3);
    assert_int_equal(s.parser.n_truncated, 0);
    assert_int_equal(s.parser.n_dropped, 0);
    assert_int_equal(s.pushed, 6);
    assert_int_equal(atomic_load(&stats.midi_dropped), 0);
    gb_ring_free(ring);
}

/* A universal sysex (identity reply, 15 bytes) in 4-byte PmEvents with a clock tick as its
 * own PmEvent between two pieces and a start byte (0xFA) inside a piece, then a note: only the
 * note becomes a command, the sysex is counted whole, nothing is truncated or dropped. Then
 * a sysex cut short by a status byte in the low-order byte of the next word. */
static void sysex_in_pieces_with_realtime_inside(void **state)
{
    (void)state;
    gb_ring_t *ring = gb_ring_new(sizeof(gb_live_cmd_t), 64);
    gb_live_stats_t stats = {0};
    gb_pmidi_stream_t s;
    gb_pmidi_stream_init(&s, ring, &stats);

    const uint32_t words[] = {
        word(0xF0, 0x7E, 0x7F, 0x06), word(0xF8, 0, 0, 0), /* real-time between pieces */
        word(0x02, 0x00, 0x20, 0x29), word(0x33, 0xFA, 0x00, 0x01), /* 0xFA inside */
        word(0x00, 0x01, 0x02, 0x03), word(0xF7, 0x00, 0x00, 0x00), /* ends: padding unused */
        word(0x90, 0x3C, 0x40, 0x00),
    };
    int pushed = 0;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        pushed += gb_pmidi_feed_message(&s, words[i], NOW0 + i, LOOK);
    assert_int_equal(pushed, 1);
    const want_t want[] = {{GBP_EV_NOTE_ON, 0, 60, 0, 64, NOW0 + 6 + LOOK}};
    expect_cmds(ring, want, 1);
    assert_int_equal(s.parser.n_sysex, 1);
    assert_int_equal(s.parser.n_truncated, 0);
    assert_int_equal(s.parser.n_dropped, 0);
    assert_int_equal(s.parser.in_sysex, 0);

    /* Sysex whose end byte shares a word with a following byte: F7 ends it, the rest of the
     * word is not MIDI. */
    assert_int_equal(gb_pmidi_feed_message(&s, word(0xF0, 0x43, 0x10, 0xF7), NOW0, LOOK), 0);
    assert_int_equal(s.parser.n_sysex, 2);
    assert_int_equal(s.parser.in_sysex, 0);

    /* Truncated sysex: a note-off status in the low-order byte ends it. */
    assert_int_equal(gb_pmidi_feed_message(&s, word(0xF0, 0x01, 0x02, 0x03), NOW0, LOOK), 0);
    assert_int_equal(gb_pmidi_feed_message(&s, word(0x85, 0x3C, 0x7F, 0), NOW0 + 7, LOOK), 1);
    const want_t want2[] = {{GBP_EV_NOTE_OFF, 5, 60, 0, 127, NOW0 + 7 + LOOK}};
    expect_cmds(ring, want2, 1);
    assert_int_equal(s.parser.n_sysex, 3);
    assert_int_equal(s.parser.n_truncated, 1);
    gb_ring_free(ring);
}

/* A message cut short by a new status byte is dropped (counted as truncated); the new one
 * and everything after parse normally. Messages without an event form give no command. */
static void truncated_message_then_new_status(void **state)
{
    (void)state;
    gb_ring_t *ring = gb_ring_new(sizeof(gb_live_cmd_t), 64);
    gb_pmidi_stream_t s;
    gb_pmidi_stream_init(&s, ring, NULL);

    const uint8_t a[] = {0x90, 0x3C};             /* note-on missing its velocity */
    const uint8_t b[] = {0xB3, 0x07, 0x64, 0x0A}; /* CC 7 = 100, then running-status CC 10 */
    const uint8_t c[] = {0x40, 0xC0, 0x05, 0xFE, 0xE0, 0x00, 0x40, 0xD0, 0x7F};
    assert_int_equal(gb_pmidi_feed_bytes(&s, a, sizeof a, 100, LOOK), 0);
    assert_int_equal(gb_pmidi_feed_bytes(&s, b, sizeof b, 200, LOOK), 1);
    /* CC 10 completes, program change (no event), active sensing (no event), pitch bend
     * centre, channel pressure 127. */
    assert_int_equal(gb_pmidi_feed_bytes(&s, c, sizeof c, 300, LOOK), 3);
    assert_int_equal(s.parser.n_truncated, 1);

    gb_live_cmd_t cmd;
    assert_true(gb_ring_pop(ring, &cmd));
    assert_int_equal(cmd.ev.type, GBP_EV_CC);
    assert_int_equal(cmd.ev.channel, 3);
    assert_int_equal(cmd.ev.id, 7);
    assert_float_equal(cmd.ev.value, 100 / 127.0f, 1e-6);
    assert_int_equal(cmd.frame, 200 + LOOK);
    assert_true(gb_ring_pop(ring, &cmd));
    assert_int_equal(cmd.ev.type, GBP_EV_CC);
    assert_int_equal(cmd.ev.id, 10);
    assert_float_equal(cmd.ev.value, 64 / 127.0f, 1e-6);
    assert_int_equal(cmd.frame, 300 + LOOK);
    assert_true(gb_ring_pop(ring, &cmd));
    assert_int_equal(cmd.ev.type, GBP_EV_PITCH_BEND);
    assert_float_equal(cmd.ev.value, 0.0f, 1e-6);
    assert_true(gb_ring_pop(ring, &cmd));
    assert_int_equal(cmd.ev.type, GBP_EV_PRESSURE);
    assert_float_equal(cmd.ev.value, 1.0f, 1e-6);
    assert_false(gb_ring_pop(ring, &cmd));
    gb_ring_free(ring);
}

/* A full ring refuses commands; each refusal is counted in stats->midi_dropped, and the
 * commands that fit are the first ones, intact. */
static void full_ring_counts_drops(void **state)
{
    (void)state;
    gb_ring_t *ring = gb_ring_new(sizeof(gb_live_cmd_t), 4);
    size_t cap = gb_ring_capacity(ring);
    gb_live_stats_t stats = {0};
    gb_pmidi_stream_t s;
    gb_pmidi_stream_init(&s, ring, &stats);
    int pushed = 0;
    for (size_t i = 0; i < cap + 3; i++) {
        const uint8_t m[] = {0x90, (uint8_t)(40 + i), 0x50};
        pushed += gb_pmidi_feed_bytes(&s, m, sizeof m, 10 * i, LOOK);
    }
    assert_int_equal(pushed, cap);
    assert_int_equal(s.dropped, 3);
    assert_int_equal(atomic_load(&stats.midi_dropped), 3);
    gb_live_cmd_t cmd;
    for (size_t i = 0; i < cap; i++) {
        assert_true(gb_ring_pop(ring, &cmd));
        assert_int_equal(cmd.ev.key, 40 + i);
        assert_int_equal(cmd.frame, 10 * i + LOOK);
    }
    assert_false(gb_ring_pop(ring, &cmd));
    gb_ring_free(ring);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(list_prints_the_no_devices_sentence),
        cmocka_unit_test(open_fails_with_the_sentence),
        cmocka_unit_test(running_status_split_across_reads),
        cmocka_unit_test(sysex_in_pieces_with_realtime_inside),
        cmocka_unit_test(truncated_message_then_new_status),
        cmocka_unit_test(full_ring_counts_drops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
