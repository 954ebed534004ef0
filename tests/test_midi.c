/* test_midi.c — the MIDI byte-stream parser (models/io/gb_midi.c): running status, real-time bytes
 * anywhere, truncated messages, sysex in the middle of a stream, system common, garbage, and
 * the exact events each stream gives.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gb_midi.h"

#define MAXEV 64

typedef struct expect {
    uint8_t type, channel, key;
    uint32_t id;
    float value;
} expect_t;

/* Parse bytes with a fresh parser and compare to the expected events exactly. */
static void check_stream(const uint8_t *bytes, size_t n, const expect_t *want, uint32_t n_want,
                         gb_midi_parser_t *pout)
{
    gb_midi_parser_t p;
    gb_midi_parser_init(&p);
    gbp_event_t ev[MAXEV];
    uint32_t n_ev = 0;
    assert_int_equal(gb_midi_parse(&p, bytes, n, 7, ev, &n_ev, MAXEV), 0);
    assert_int_equal(n_ev, n_want);
    for (uint32_t i = 0; i < n_ev; i++) {
        assert_int_equal(ev[i].time, 7);
        assert_int_equal(ev[i].type, want[i].type);
        assert_int_equal(ev[i].channel, want[i].channel);
        assert_int_equal(ev[i].key, want[i].key);
        assert_int_equal(ev[i].id, want[i].id);
        assert_int_equal(ev[i].source, GBP_SOURCE_HUMAN);
        assert_float_equal(ev[i].value, want[i].value, 0.0f);
    }
    if (pout)
        *pout = p;
}

#define CHECK(bytes, want, p)                                                                 \
    check_stream(bytes, sizeof bytes, want, (uint32_t)(sizeof want / sizeof want[0]), p)

static const float V100 = 100.0f / 127.0f, V64 = 64.0f / 127.0f;

static void running_status_continues_note_messages(void **state)
{
    (void)state;
    /* One status byte, three notes; the last has velocity 0: a note-off. */
    static const uint8_t b[] = {0x90, 0x3C, 0x64, 0x3E, 0x64, 0x40, 0x00};
    static const expect_t want[] = {{GBP_EV_NOTE_ON, 0, 60, 0, V100},
                                    {GBP_EV_NOTE_ON, 0, 62, 0, V100},
                                    {GBP_EV_NOTE_OFF, 0, 64, 0, V64}};
    gb_midi_parser_t p;
    CHECK(b, want, &p);
    assert_int_equal(p.n_messages, 3);
    assert_int_equal(p.n_dropped, 0);
    assert_int_equal(p.n_truncated, 0);
}

static void running_status_for_one_data_byte_messages(void **state)
{
    (void)state;
    static const uint8_t b[] = {0xD5, 0x10, 0x20, 0x7F};
    static const expect_t want[] = {{GBP_EV_PRESSURE, 5, 0, 0, 16.0f / 127.0f},
                                    {GBP_EV_PRESSURE, 5, 0, 0, 32.0f / 127.0f},
                                    {GBP_EV_PRESSURE, 5, 0, 0, 1.0f}};
    CHECK(b, want, NULL);
}

static void realtime_bytes_inside_messages_change_nothing(void **state)
{
    (void)state;
    /* Clock, active sensing, start, stop and reset between every byte, even between a
     * status and its data and inside running status. */
    static const uint8_t b[] = {0xF8, 0x91, 0xF8, 0x3C, 0xFE, 0x64, 0xFA,
                                0x3E, 0xFC, 0x00, 0xFF, 0x40, 0xF9, 0x7F};
    static const expect_t want[] = {{GBP_EV_NOTE_ON, 1, 60, 0, V100},
                                    {GBP_EV_NOTE_OFF, 1, 62, 0, V64},
                                    {GBP_EV_NOTE_ON, 1, 64, 0, 1.0f}};
    gb_midi_parser_t p;
    CHECK(b, want, &p);
    assert_int_equal(p.n_messages, 3 + 7);
    assert_int_equal(p.n_dropped + p.n_truncated, 0);

    /* Each real-time byte is itself a message, returned at once. */
    gb_midi_parser_init(&p);
    gb_midi_msg_t m;
    assert_int_equal(gb_midi_parser_feed(&p, 0x90, &m), 0);
    assert_int_equal(gb_midi_parser_feed(&p, 0xF8, &m), 1);
    assert_int_equal(m.kind, GB_MIDI_REALTIME);
    assert_int_equal(m.status, 0xF8);
    gbp_event_t ev;
    assert_int_equal(gb_midi_to_event(&m, 0, &ev), 0);
}

static void realtime_bytes_inside_sysex_change_nothing(void **state)
{
    (void)state;
    static const uint8_t b[] = {0xF0, 0x7E, 0xF8, 0x7F, 0xFE, 0x09, 0xF7, 0x92, 0x30, 0x40};
    static const expect_t want[] = {{GBP_EV_NOTE_ON, 2, 48, 0, V64}};
    gb_midi_parser_t p;
    CHECK(b, want, &p);
    assert_int_equal(p.n_sysex, 1);
    assert_int_equal(p.n_truncated, 0);
    assert_int_equal(p.n_messages, 2 + 1 + 1); /* 2 real-time, the sysex, the note */
}

static void truncated_message_is_dropped_and_counted(void **state)
{
    (void)state;
    /* Note-on missing its velocity, then a CC; a bare status byte, then a pitch bend. */
    static const uint8_t b[] = {0x90, 0x3C, 0xB0, 0x07, 0x64, 0x80, 0xE0, 0x00, 0x40};
    static const expect_t want[] = {{GBP_EV_CC, 0, 0, 7, V100},
                                    {GBP_EV_PITCH_BEND, 0, 0, 0, 0.0f}};
    gb_midi_parser_t p;
    CHECK(b, want, &p);
    assert_int_equal(p.n_truncated, 2);
    assert_int_equal(p.n_dropped, 0);
}

static void message_split_across_calls_completes(void **state)
{
    (void)state;
    gb_midi_parser_t p;
    gb_midi_parser_init(&p);
    gbp_event_t ev[4];
    uint32_t n = 0;
    static const uint8_t a[] = {0x93, 0x45}, b[] = {0x50, 0x45};
    gb_midi_parse(&p, a, sizeof a, 10, ev, &n, 4);
    assert_int_equal(n, 0);
    gb_midi_parse(&p, b, sizeof b, 20, ev, &n, 4);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].type, GBP_EV_NOTE_ON);
    assert_int_equal(ev[0].channel, 3);
    assert_int_equal(ev[0].key, 69);
    assert_int_equal(ev[0].time, 20);
    assert_float_equal(ev[0].value, 80.0f / 127.0f, 0.0f);
    assert_int_equal(p.have, 1); /* running status: 0x45 waits for its velocity */
}

static void sysex_in_the_middle_cancels_running_status(void **state)
{
    (void)state;
    /* MIDI 1.0: any status byte but real-time stops running status, sysex included; the
     * data bytes after the sysex belong to no status and are dropped. */
    static const uint8_t b[] = {0x90, 0x3C, 0x64, 0xF0, 0x7E, 0x7F, 0x09,
                                0x01, 0xF7, 0x3E, 0x64, 0x90, 0x3E, 0x64};
    static const expect_t want[] = {{GBP_EV_NOTE_ON, 0, 60, 0, V100},
                                    {GBP_EV_NOTE_ON, 0, 62, 0, V100}};
    gb_midi_parser_t p;
    CHECK(b, want, &p);
    assert_int_equal(p.n_sysex, 1);
    assert_int_equal(p.n_dropped, 2);
    assert_int_equal(p.n_truncated, 0);
}

static void sysex_reports_its_length_and_is_not_stored(void **state)
{
    (void)state;
    gb_midi_parser_t p;
    gb_midi_parser_init(&p);
    gb_midi_msg_t m;
    assert_int_equal(gb_midi_parser_feed(&p, 0xF0, &m), 0);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(gb_midi_parser_feed(&p, (uint8_t)(i & 0x7F), &m), 0);
    assert_int_equal(gb_midi_parser_feed(&p, 0xF7, &m), 1);
    assert_int_equal(m.kind, GB_MIDI_SYSEX);
    assert_int_equal(m.sysex_len, 100000);
    assert_int_equal(p.n_sysex, 1);
}

static void sysex_cut_by_a_status_byte_and_message_cut_by_sysex(void **state)
{
    (void)state;
    /* Unterminated sysex ended by a note-on; then a note-on cut short by a sysex. */
    static const uint8_t b[] = {0xF0, 0x01, 0x02, 0x90, 0x3C, 0x64,
                                0x91, 0x3C, 0xF0, 0x01, 0xF7, 0x64};
    static const expect_t want[] = {{GBP_EV_NOTE_ON, 0, 60, 0, V100}};
    gb_midi_parser_t p;
    CHECK(b, want, &p);
    assert_int_equal(p.n_sysex, 2);
    assert_int_equal(p.n_truncated, 2);
    assert_int_equal(p.n_dropped, 1);
}

static void garbage_is_dropped_and_counted(void **state)
{
    (void)state;
    /* Data bytes before any status, a stray EOX, undefined 0xF4/0xF5 (with data after them),
     * then a good note-off. */
    static const uint8_t b[] = {0x01, 0x02, 0x03, 0xF7, 0xF4, 0x11, 0xF5, 0x80, 0x3C, 0x40};
    static const expect_t want[] = {{GBP_EV_NOTE_OFF, 0, 60, 0, V64}};
    gb_midi_parser_t p;
    CHECK(b, want, &p);
    assert_int_equal(p.n_dropped, 3 + 1 + 2 + 1);
    assert_int_equal(p.n_messages, 1);
}

static void system_common_is_reported_and_cancels_running_status(void **state)
{
    (void)state;
    gb_midi_parser_t p;
    gb_midi_parser_init(&p);
    gb_midi_msg_t m;
    /* Song position pointer (2 data bytes), inside running status of a note-on. */
    static const uint8_t b[] = {0x90, 0x3C, 0x64, 0xF2, 0x10, 0x20, 0x3E, 0x64};
    int got = 0, common = 0, notes = 0;
    for (size_t i = 0; i < sizeof b; i++) {
        if (!gb_midi_parser_feed(&p, b[i], &m))
            continue;
        got++;
        if (m.kind == GB_MIDI_SYSTEM_COMMON) {
            common++;
            assert_int_equal(m.status, 0xF2);
            assert_int_equal(m.len, 2);
            assert_int_equal(m.data[0], 0x10);
            assert_int_equal(m.data[1], 0x20);
        } else {
            assert_int_equal(m.kind, GB_MIDI_NOTE_ON);
            notes++;
        }
    }
    assert_int_equal(got, 2);
    assert_int_equal(common, 1);
    assert_int_equal(notes, 1);
    assert_int_equal(p.n_dropped, 2);
    /* Tune request has no data: complete at once. MTC quarter frame and song select: 1. */
    assert_int_equal(gb_midi_parser_feed(&p, 0xF6, &m), 1);
    assert_int_equal(m.kind, GB_MIDI_SYSTEM_COMMON);
    assert_int_equal(gb_midi_parser_feed(&p, 0xF1, &m), 0);
    assert_int_equal(gb_midi_parser_feed(&p, 0x21, &m), 1);
    assert_int_equal(m.status, 0xF1);
    assert_int_equal(gb_midi_parser_feed(&p, 0xF3, &m), 0);
    assert_int_equal(gb_midi_parser_feed(&p, 0x05, &m), 1);
    assert_int_equal(gb_midi_parser_feed(&p, 0x05, &m), 0); /* no running status */
}

static void pitch_bend_maps_14_bits_to_minus_one_one(void **state)
{
    (void)state;
    static const uint8_t b[] = {0xE0, 0x00, 0x00, 0xE0, 0x00, 0x40, 0xE0,
                                0x7F, 0x7F, 0xE1, 0x00, 0x60, 0xE1, 0x00, 0x20};
    static const expect_t want[] = {{GBP_EV_PITCH_BEND, 0, 0, 0, -1.0f},
                                    {GBP_EV_PITCH_BEND, 0, 0, 0, 0.0f},
                                    {GBP_EV_PITCH_BEND, 0, 0, 0, 1.0f},
                                    {GBP_EV_PITCH_BEND, 1, 0, 0, 4096.0f / 8191.0f},
                                    {GBP_EV_PITCH_BEND, 1, 0, 0, -0.5f}};
    CHECK(b, want, NULL);
}

static void cc_all_off_pressure_and_ignored_messages(void **state)
{
    (void)state;
    /* CC 7 on channel 3; all notes off (123) and all sound off (120); channel pressure;
     * program change and poly pressure give no event. */
    static const uint8_t b[] = {0xB2, 0x07, 0x7F, 0xB0, 0x7B, 0x00, 0xB4, 0x78, 0x00,
                                0xD3, 0x40, 0xC0, 0x05, 0xA0, 0x3C, 0x40};
    static const expect_t want[] = {{GBP_EV_CC, 2, 0, 7, 1.0f},
                                    {GBP_EV_ALL_OFF, 0, 0, 123, 0.0f},
                                    {GBP_EV_ALL_OFF, 4, 0, 120, 0.0f},
                                    {GBP_EV_PRESSURE, 3, 0, 0, V64}};
    gb_midi_parser_t p;
    CHECK(b, want, &p);
    assert_int_equal(p.n_messages, 6);
}

static void parse_reports_events_beyond_capacity(void **state)
{
    (void)state;
    gb_midi_parser_t p;
    gb_midi_parser_init(&p);
    static const uint8_t b[] = {0x90, 1, 1, 2, 2, 3, 3};
    gbp_event_t ev[2];
    uint32_t n = 0;
    assert_int_equal(gb_midi_parse(&p, b, sizeof b, 0, ev, &n, 2), 1);
    assert_int_equal(n, 2);
    assert_int_equal(ev[1].key, 2);
}

static void encoding_inverts_decoding(void **state)
{
    (void)state;
    uint8_t out[3];
    gb_midi_msg_t m = {.len = 2};
    gbp_event_t ev;
    for (int v = 1; v < 128; v++) { /* every velocity survives a round trip */
        m.status = 0x9A;
        m.data[0] = 61;
        m.data[1] = (uint8_t)v;
        m.kind = GB_MIDI_NOTE_ON;
        assert_int_equal(gb_midi_to_event(&m, 0, &ev), 1);
        assert_int_equal(gb_midi_from_event(&ev, out), 3);
        assert_memory_equal(out, ((uint8_t[]){0x9A, 61, (uint8_t)v}), 3);
    }
    for (int bend = 0; bend < 16384; bend++) { /* every bend value too */
        m.status = 0xE3;
        m.data[0] = (uint8_t)(bend & 0x7F);
        m.data[1] = (uint8_t)(bend >> 7);
        assert_int_equal(gb_midi_to_event(&m, 0, &ev), 1);
        assert_int_equal(gb_midi_from_event(&ev, out), 3);
        assert_int_equal(out[0], 0xE3);
        assert_int_equal(out[1] | (out[2] << 7), bend);
    }
    /* A note-on of velocity 0.0 stays a note-on (velocity 1); PARAM has no MIDI form. */
    gbp_event_t on0 = {.type = GBP_EV_NOTE_ON, .key = 60};
    assert_int_equal(gb_midi_from_event(&on0, out), 3);
    assert_int_equal(out[2], 1);
    gbp_event_t par = {.type = GBP_EV_PARAM, .id = 3, .value = 0.5f};
    assert_int_equal(gb_midi_from_event(&par, out), 0);
}

static void random_bytes_give_only_valid_events(void **state)
{
    (void)state;
    gb_midi_parser_t p;
    gb_midi_parser_init(&p);
    uint64_t s = 12345;
    gbp_event_t ev[1024];
    uint8_t buf[1024];
    uint64_t total = 0;
    for (int round = 0; round < 1000; round++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            buf[i] = (uint8_t)(s >> 56);
        }
        uint32_t n = 0;
        assert_int_equal(gb_midi_parse(&p, buf, sizeof buf, 0, ev, &n, 1024), 0);
        for (uint32_t i = 0; i < n; i++) {
            assert_true(ev[i].type >= GBP_EV_NOTE_ON && ev[i].type <= GBP_EV_ALL_OFF);
            assert_true(ev[i].type != GBP_EV_PARAM);
            assert_true(ev[i].channel < 16 && ev[i].key < 128 && ev[i].id < 128);
            assert_true(ev[i].value >= -1.0f && ev[i].value <= 1.0f);
        }
        total += n;
    }
    assert_true(total > 1000); /* random streams do contain messages */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(running_status_continues_note_messages),
        cmocka_unit_test(running_status_for_one_data_byte_messages),
        cmocka_unit_test(realtime_bytes_inside_messages_change_nothing),
        cmocka_unit_test(realtime_bytes_inside_sysex_change_nothing),
        cmocka_unit_test(truncated_message_is_dropped_and_counted),
        cmocka_unit_test(message_split_across_calls_completes),
        cmocka_unit_test(sysex_in_the_middle_cancels_running_status),
        cmocka_unit_test(sysex_reports_its_length_and_is_not_stored),
        cmocka_unit_test(sysex_cut_by_a_status_byte_and_message_cut_by_sysex),
        cmocka_unit_test(garbage_is_dropped_and_counted),
        cmocka_unit_test(system_common_is_reported_and_cancels_running_status),
        cmocka_unit_test(pitch_bend_maps_14_bits_to_minus_one_one),
        cmocka_unit_test(cc_all_off_pressure_and_ignored_messages),
        cmocka_unit_test(parse_reports_events_beyond_capacity),
        cmocka_unit_test(encoding_inverts_decoding),
        cmocka_unit_test(random_bytes_give_only_valid_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
