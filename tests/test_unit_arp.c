/* test_unit_arp.c — gbac.arpeggiator, measured: step onsets on the transport's beat grid to
 * the frame (also after ten hours and at tempos whose step is not a whole number of frames),
 * pitch order of every mode, gate lengths, one note-off per note-on, seeded random mode,
 * pass-through of CC / bend / pressure, all-off, and identical output for any block split.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_builtin_units.h"

#define SR 48000.0
#define MAX_REC 8192

static const gbp_descriptor_t *const A = &gb_unit_arpeggiator;

/* One generated event at its absolute frame. */
typedef struct rec {
    uint64_t frame;
    gbp_event_t ev;
} rec_t;

typedef struct run {
    uint64_t start;        /* absolute frame of the first rendered frame */
    double tempo;          /* BPM */
    const uint32_t *sizes; /* host block sizes, cycled */
    uint32_t n_sizes;
    int split;             /* 1: split blocks at event frames like the engine (events at 0) */
    uint32_t capacity;     /* events_out capacity per call (0: 512) */
} run_t;

static uint32_t param_id(const char *name)
{
    for (uint32_t i = 0; i < A->n_params; i++)
        if (strcmp(A->params[i].name, name) == 0)
            return A->params[i].id;
    fail_msg("no parameter '%s'", name);
    return 0;
}

static void *arp_new(void)
{
    void *u = A->create(A, NULL);
    assert_non_null(u);
    assert_int_equal(A->activate(u, SR, 4096), 0);
    return u;
}

static void arp_free(void *u)
{
    A->deactivate(u);
    A->destroy(u);
}

static void set(void *u, const char *name, float v)
{
    A->set_param(u, param_id(name), v);
}

static gbp_event_t note(uint32_t frame, int on, uint8_t key)
{
    gbp_event_t e = {.time = frame, .type = on ? GBP_EV_NOTE_ON : GBP_EV_NOTE_OFF, .key = key,
                     .value = on ? 0.75f : 0.0f};
    return e;
}

/* Render `frames` frames from r->start; ev holds events at frames relative to r->start,
 * sorted. Generated events are recorded with absolute frames; returns how many. */
static uint32_t render(void *u, const run_t *r, const gbp_event_t *ev, uint32_t n_ev,
                       uint32_t frames, rec_t *rec)
{
    static const uint32_t def_sizes[] = {64};
    const uint32_t *sizes = r->sizes ? r->sizes : def_sizes;
    const uint32_t n_sizes = r->sizes ? r->n_sizes : 1;
    const double tempo = r->tempo > 0 ? r->tempo : 120.0;
    const uint32_t cap = r->capacity ? r->capacity : 512;
    uint32_t pos = 0, ie = 0, b = 0, block_end = 0, n_rec = 0;
    while (pos < frames) {
        if (pos >= block_end) {
            block_end = pos + sizes[b++ % n_sizes];
            block_end = block_end < frames ? block_end : frames;
        }
        gbp_event_t in[64], out[512];
        uint32_t k = 0, n_out = 0, end = block_end;
        if (r->split) {
            while (ie < n_ev && ev[ie].time <= pos && k < 64) {
                in[k] = ev[ie++];
                in[k++].time = 0;
            }
            if (ie < n_ev && ev[ie].time < end)
                end = ev[ie].time;
        } else {
            while (ie < n_ev && ev[ie].time < end && k < 64) {
                in[k] = ev[ie++];
                in[k++].time -= pos;
            }
        }
        const uint64_t f = r->start + pos;
        gbp_transport_t tr = {.sample_rate = SR, .frame = f, .tempo_bpm = tempo,
                              .beat = (double)f * tempo / (60.0 * SR), .beats_per_bar = 4,
                              .beat_unit = 4, .playing = 1};
        gbp_process_t p = {.frames = end - pos, .events = in, .n_events = k, .events_out = out,
                           .events_out_capacity = cap, .n_events_out = &n_out,
                           .transport = &tr};
        A->process(u, &p);
        assert_true(n_out <= cap);
        for (uint32_t i = 0; i < n_out; i++) {
            assert_true(out[i].time < end - pos);
            if (i)
                assert_true(out[i].time >= out[i - 1].time); /* sorted */
            assert_true(n_rec < MAX_REC);
            rec[n_rec].frame = f + out[i].time;
            rec[n_rec++].ev = out[i];
        }
        pos = end;
    }
    return n_rec;
}

/* The note-ons of a recording: frames and keys (returns the count). */
static uint32_t note_ons(const rec_t *rec, uint32_t n, uint64_t *frame, uint8_t *key)
{
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        if (rec[i].ev.type == GBP_EV_NOTE_ON) {
            if (frame)
                frame[m] = rec[i].frame;
            if (key)
                key[m] = rec[i].ev.key;
            m++;
        }
    return m;
}

/* Every note-on is followed by exactly one note-off of its key (and none comes without one);
 * returns the number of pairs, fills the gate lengths in frames if asked. */
static uint32_t check_pairs(const rec_t *rec, uint32_t n, uint64_t *gate)
{
    int64_t on_at[128];
    for (int k = 0; k < 128; k++)
        on_at[k] = -1;
    uint32_t pairs = 0;
    for (uint32_t i = 0; i < n; i++) {
        const gbp_event_t *e = &rec[i].ev;
        if (e->type == GBP_EV_NOTE_ON) {
            assert_true(on_at[e->key] < 0); /* not sounding already */
            on_at[e->key] = (int64_t)rec[i].frame;
        } else if (e->type == GBP_EV_NOTE_OFF) {
            assert_true(on_at[e->key] >= 0); /* an off only for a sounding note */
            if (gate)
                gate[pairs] = rec[i].frame - (uint64_t)on_at[e->key];
            on_at[e->key] = -1;
            pairs++;
        }
    }
    for (int k = 0; k < 128; k++)
        assert_true(on_at[k] < 0); /* nothing left sounding */
    return pairs;
}

static rec_t g_rec[MAX_REC], g_rec2[MAX_REC];

/* ---------------------------------------------------------------- timing */

/* C E G held at 120 BPM, 1/16 at 48 kHz: note-ons at exactly every 6000th frame of the beat
 * grid, C E G C E G ..., each 3000 frames long (gate 0.5), from source 2, with the held
 * velocity. */
static void test_up_16ths_at_120bpm_fall_every_6000_frames(void **state)
{
    (void)state;
    static const uint32_t mixed[] = {64, 1, 100, 7, 1024, 333};
    static const uint8_t ceg[] = {60, 64, 67};
    const run_t runs[] = {{.sizes = NULL}, {.sizes = mixed, .n_sizes = 6}, {.split = 1}};
    for (int ri = 0; ri < 3; ri++) {
        void *u = arp_new();
        const gbp_event_t ev[] = {note(100, 1, 60),   note(101, 1, 64),   note(102, 1, 67),
                                  note(96001, 0, 60), note(96001, 0, 64), note(96001, 0, 67)};
        const uint32_t n = render(u, &runs[ri], ev, 6, 100000, g_rec);
        uint64_t on[64], gate[64];
        uint8_t key[64];
        const uint32_t m = note_ons(g_rec, n, on, key);
        const uint32_t pairs = check_pairs(g_rec, n, gate);
        int64_t worst = 0;
        for (uint32_t i = 0; i < m; i++) {
            const int64_t err = (int64_t)on[i] - (int64_t)(6000 * (i + 1));
            worst = llabs(err) > worst ? llabs(err) : worst;
            assert_int_equal(on[i], 6000 * (i + 1));
            assert_int_equal(key[i], ceg[i % 3]);
        }
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(g_rec[i].ev.source, 2);
            if (g_rec[i].ev.type == GBP_EV_NOTE_ON)
                assert_float_equal(g_rec[i].ev.value, 0.75f, 0.0f);
        }
        assert_int_equal(m, 16); /* frames 6000 .. 96000 */
        assert_int_equal(pairs, 16);
        for (uint32_t i = 0; i < pairs; i++)
            assert_int_equal(gate[i], 3000);
        printf("  run %d: %u note-ons, onset error vs 6000·k: max %lld frames, gate %llu "
               "frames\n",
               ri, m, (long long)worst, (unsigned long long)gate[0]);
        arp_free(u);
    }
}

/* After ten hours of transport (beat ≈ 72000) and at 127 BPM, whose 16th is 5669.29 frames,
 * every onset is still the first frame at or after its grid position: ceil(k·720000/127),
 * computed here in integers. */
static void test_no_drift_after_ten_hours_at_127bpm(void **state)
{
    (void)state;
    const uint64_t start = 10ull * 3600 * 48000;
    const double tempos[] = {120.0, 127.0};
    for (int t = 0; t < 2; t++) {
        void *u = arp_new();
        run_t r = {.start = start, .tempo = tempos[t]};
        const gbp_event_t ev[] = {note(0, 1, 60), note(0, 1, 64)};
        const uint32_t frames = 60 * 48000;
        const uint32_t n = render(u, &r, ev, 2, frames, g_rec);
        static uint64_t on[1024];
        const uint32_t m = note_ons(g_rec, n, on, NULL);
        /* step k at beat k/4; frame = ceil(k/4 · 60·48000/tempo) = ceil(k·720000/tempo) */
        const uint64_t num = 720000, den = (uint64_t)tempos[t];
        uint64_t k = (start * den + num - 1) / num; /* first step at or after start */
        int64_t worst = 0;
        for (uint32_t i = 0; i < m; i++, k++) {
            const uint64_t expect = (k * num + den - 1) / den;
            const int64_t err = (int64_t)on[i] - (int64_t)expect;
            worst = llabs(err) > worst ? llabs(err) : worst;
            assert_int_equal(on[i], expect);
        }
        printf("  %.0f BPM, from frame %llu: %u onsets over 60 s, max error %lld frames\n",
               tempos[t], (unsigned long long)start, m, (long long)worst);
        assert_true(m >= 60 * 4 * (uint32_t)den / 60 - 2);
        arp_free(u);
    }
}

/* 1/4, 1/8, 1/8T steps (24000, 12000, 8000 frames at 120 BPM), and swing 0.25 at 1/16:
 * odd steps 1500 frames late. */
static void test_rates_triplets_and_swing(void **state)
{
    (void)state;
    const struct {
        float rate, swing;
        uint32_t step, late;
    } c[] = {{0, 0, 24000, 0}, {1, 0, 12000, 0}, {3, 0, 8000, 0}, {2, 0.25f, 6000, 1500},
             {1, 0.5f, 12000, 6000}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        void *u = arp_new();
        set(u, "rate", c[i].rate);
        set(u, "swing", c[i].swing);
        set(u, "gate", 0.25f);
        run_t r = {.sizes = NULL};
        const gbp_event_t ev[] = {note(0, 1, 60), note(190000, 0, 60)};
        const uint32_t n = render(u, &r, ev, 2, 200000, g_rec);
        uint64_t on[64];
        const uint32_t m = note_ons(g_rec, n, on, NULL);
        assert_true(m >= 8);
        for (uint32_t k = 0; k < m; k++)
            assert_int_equal(on[k], (uint64_t)k * c[i].step + ((k & 1) ? c[i].late : 0));
        uint64_t gate[64];
        check_pairs(g_rec, n, gate);
        assert_int_equal(gate[0], c[i].step / 4);
        printf("  rate %.0f swing %.2f: %u onsets at k·%u (+%u on odd steps), gate %llu\n",
               (double)c[i].rate, (double)c[i].swing, m, c[i].step, c[i].late,
               (unsigned long long)gate[0]);
        arp_free(u);
    }
}

/* ---------------------------------------------------------------- pitch order */

static uint32_t keys_for(float mode, float octaves, float seed, uint8_t *key)
{
    void *u = arp_new();
    set(u, "mode", mode);
    set(u, "octaves", octaves);
    set(u, "seed", seed);
    run_t r = {.sizes = NULL};
    /* played E, C, G: sorted order differs from playing order */
    const gbp_event_t ev[] = {note(10, 1, 64),     note(20, 1, 60),     note(30, 1, 67),
                              note(144001, 0, 64), note(144001, 0, 60), note(144001, 0, 67)};
    const uint32_t n = render(u, &r, ev, 6, 160000, g_rec); /* steps 6000 .. 144000 */
    check_pairs(g_rec, n, NULL);
    const uint32_t m = note_ons(g_rec, n, NULL, key);
    arp_free(u);
    return m;
}

static void expect_keys(const char *what, const uint8_t *got, uint32_t m, const uint8_t *cycle,
                        uint32_t len)
{
    printf("  %-12s", what);
    for (uint32_t i = 0; i < m && i < 12; i++)
        printf(" %u", got[i]);
    printf(" ...\n");
    for (uint32_t i = 0; i < m; i++)
        assert_int_equal(got[i], cycle[i % len]);
}

static void test_modes_follow_the_pitch_order(void **state)
{
    (void)state;
    uint8_t k[64];
    uint32_t m;
    m = keys_for(0, 1, 1, k);
    assert_int_equal(m, 24);
    expect_keys("up", k, m, (const uint8_t[]){60, 64, 67}, 3);
    m = keys_for(1, 1, 1, k);
    expect_keys("down", k, m, (const uint8_t[]){67, 64, 60}, 3);
    m = keys_for(2, 1, 1, k);
    expect_keys("updown", k, m, (const uint8_t[]){60, 64, 67, 64}, 4);
    m = keys_for(4, 1, 1, k);
    expect_keys("as_played", k, m, (const uint8_t[]){64, 60, 67}, 3);
    m = keys_for(0, 2, 1, k);
    expect_keys("up 2 oct", k, m, (const uint8_t[]){60, 64, 67, 72, 76, 79}, 6);
    m = keys_for(2, 2, 1, k);
    expect_keys("updown 2 oct", k, m,
                (const uint8_t[]){60, 64, 67, 72, 76, 79, 76, 72, 67, 64}, 10);
    m = keys_for(1, 3, 1, k);
    expect_keys("down 3 oct", k, m, (const uint8_t[]){91, 88, 84, 79, 76, 72, 67, 64, 60}, 9);
}

/* Random mode: only held pitches (over the octaves), the same sequence for the same seed,
 * another for another seed, and all of them used. */
static void test_random_mode_is_seeded_and_deterministic(void **state)
{
    (void)state;
    uint8_t a[64], b[64], c[64];
    const uint32_t ma = keys_for(3, 2, 7, a), mb = keys_for(3, 2, 7, b);
    const uint32_t mc = keys_for(3, 2, 8, c);
    assert_int_equal(ma, mb);
    assert_int_equal(ma, mc);
    assert_memory_equal(a, b, ma);
    assert_true(memcmp(a, c, ma) != 0);
    int seen[128] = {0};
    for (uint32_t i = 0; i < ma; i++) {
        const uint8_t k = a[i];
        assert_true(k == 60 || k == 64 || k == 67 || k == 72 || k == 76 || k == 79);
        seen[k] = 1;
    }
    printf("  random seed 7:");
    for (uint32_t i = 0; i < 12; i++)
        printf(" %u", a[i]);
    printf(" ... seed 8:");
    for (uint32_t i = 0; i < 12; i++)
        printf(" %u", c[i]);
    printf(" ...\n");
    assert_true(seen[60] + seen[64] + seen[67] + seen[72] + seen[76] + seen[79] == 6);
}

/* ---------------------------------------------------------------- note bookkeeping */

/* Gate 0.05, 0.5 and 1 give 300, 3000 and 6000 frames; at gate 1 the off comes on the next
 * onset's frame, before it. A random performance (overlapping notes, repeated keys, fast
 * parameter changes) gives exactly one note-off per note-on and nothing left sounding once
 * every key is up. */
static void test_gate_lengths_and_one_note_off_per_note_on(void **state)
{
    (void)state;
    const float gates[] = {0.05f, 0.5f, 1.0f};
    for (int g = 0; g < 3; g++) {
        void *u = arp_new();
        set(u, "gate", gates[g]);
        run_t r = {.sizes = NULL};
        const gbp_event_t ev[] = {note(0, 1, 60), note(0, 1, 62), note(48000, 0, 60),
                                  note(48000, 0, 62)};
        const uint32_t n = render(u, &r, ev, 4, 60000, g_rec);
        uint64_t gate[64];
        const uint32_t pairs = check_pairs(g_rec, n, gate);
        for (uint32_t i = 0; i < pairs; i++)
            assert_int_equal(gate[i], (uint64_t)lround(gates[g] * 6000.0));
        printf("  gate %.2f: %u notes, each %llu frames\n", (double)gates[g], pairs,
               (unsigned long long)gate[0]);
        arp_free(u);
    }

    /* a random performance: 400 events over 20 s, all keys up at the end */
    void *u = arp_new();
    set(u, "gate", 1.0f);
    set(u, "octaves", 2.0f);
    static gbp_event_t ev[512];
    uint32_t n_ev = 0, seed = 12345;
    int down[128] = {0};
    for (uint32_t t = 0; t < 20 * 48000 && n_ev < 480; t += 1 + (seed >> 24) * 9) {
        seed = seed * 1664525u + 1013904223u;
        const uint8_t key = (uint8_t)(48 + (seed >> 16) % 24);
        if ((seed >> 8) % 7 == 0) {
            ev[n_ev++] = (gbp_event_t){.time = t, .type = GBP_EV_PARAM, .id = param_id("mode"),
                                       .value = (float)((seed >> 4) % 5)};
            continue;
        }
        ev[n_ev++] = note(t, !down[key], key);
        down[key] = !down[key];
    }
    for (int k = 0; k < 128; k++)
        if (down[k])
            ev[n_ev++] = note(20 * 48000, 0, (uint8_t)k);
    run_t r = {.sizes = (const uint32_t[]){64, 3, 500}, .n_sizes = 3};
    const uint32_t n = render(u, &r, ev, n_ev, 21 * 48000, g_rec);
    const uint32_t pairs = check_pairs(g_rec, n, NULL);
    printf("  random performance: %u input events, %u note-on/note-off pairs, none left on\n",
           n_ev, pairs);
    assert_true(pairs > 100);
    arp_free(u);
}

/* CC (the sustain pedal included), pitch bend and pressure come out unchanged on their
 * frames; the pedal does not hold notes: after the keys are up, no new step starts. */
static void test_passes_through_cc_bend_pressure_and_ignores_the_pedal(void **state)
{
    (void)state;
    void *u = arp_new();
    const gbp_event_t ev[] = {
        {.time = 5, .type = GBP_EV_CC, .channel = 3, .id = 64, .value = 1.0f},
        {.time = 10, .type = GBP_EV_NOTE_ON, .key = 60, .value = 0.5f},
        {.time = 700, .type = GBP_EV_PITCH_BEND, .channel = 1, .value = -0.25f},
        {.time = 6000, .type = GBP_EV_PRESSURE, .value = 0.6f},
        {.time = 6001, .type = GBP_EV_CC, .id = 1, .value = 0.125f},
        {.time = 7000, .type = GBP_EV_NOTE_OFF, .key = 60},
    };
    const run_t runs[] = {{.sizes = NULL}, {.split = 1}};
    for (int ri = 0; ri < 2; ri++) {
        A->reset(u);
        const uint32_t n = render(u, &runs[ri], ev, 6, 30000, g_rec);
        uint32_t passed = 0;
        for (uint32_t i = 0; i < n; i++) {
            const gbp_event_t *e = &g_rec[i].ev;
            if (e->type == GBP_EV_NOTE_ON || e->type == GBP_EV_NOTE_OFF)
                continue;
            const gbp_event_t *x = &ev[passed == 0 ? 0 : passed == 1 ? 2 : passed == 2 ? 3 : 4];
            assert_int_equal(g_rec[i].frame, x->time);
            assert_int_equal(e->type, x->type);
            assert_int_equal(e->channel, x->channel);
            assert_int_equal(e->id, x->id);
            assert_int_equal(e->source, GBP_SOURCE_HUMAN);
            assert_true(e->value == x->value);
            passed++;
        }
        assert_int_equal(passed, 4);
        uint64_t on[8];
        assert_int_equal(note_ons(g_rec, n, on, NULL), 1); /* only the step at 6000 */
        assert_int_equal(on[0], 6000);
        check_pairs(g_rec, n, NULL);
    }
    printf("  CC/bend/pressure passed through on their frames; pedal held no notes\n");
    arp_free(u);
}

/* With no key held nothing is generated; all-off ends the sounding note on its frame, is
 * passed on, and forgets the held keys. */
static void test_idle_without_notes_and_all_off(void **state)
{
    (void)state;
    void *u = arp_new();
    run_t r = {.sizes = NULL};
    uint32_t n = render(u, &r, NULL, 0, 100000, g_rec);
    assert_int_equal(n, 0);
    const gbp_event_t ev[] = {note(0, 1, 60), note(0, 1, 64),
                              {.time = 7000, .type = GBP_EV_ALL_OFF}};
    A->reset(u);
    set(u, "gate", 0.9f);
    n = render(u, &r, ev, 3, 100000, g_rec);
    /* steps at 0 and 6000; the second note is cut by all-off at 7000 */
    assert_int_equal(note_ons(g_rec, n, NULL, NULL), 2);
    uint64_t gate[4];
    assert_int_equal(check_pairs(g_rec, n, gate), 2);
    assert_int_equal(gate[0], 5400);
    assert_int_equal(gate[1], 1000);
    int all_off = 0;
    for (uint32_t i = 0; i < n; i++)
        if (g_rec[i].ev.type == GBP_EV_ALL_OFF) {
            assert_int_equal(g_rec[i].frame, 7000);
            assert_true(i > 0 && g_rec[i - 1].ev.type == GBP_EV_NOTE_OFF);
            all_off++;
        }
    assert_int_equal(all_off, 1);
    printf("  idle: 0 events in 100000 frames; all-off at 7000 cut the note (gate 1000)\n");
    arp_free(u);
}

/* A transport that jumps back (loop) restarts the grid at the new position. */
static void test_transport_jump_back_restarts_the_grid(void **state)
{
    (void)state;
    void *u = arp_new();
    run_t r = {.start = 100000};
    const gbp_event_t ev[] = {note(0, 1, 60)};
    uint32_t n = render(u, &r, ev, 1, 20000, g_rec);
    assert_int_equal(note_ons(g_rec, n, NULL, NULL), 3); /* 102000 108000 114000 */
    r.start = 3000; /* loop back, key still held */
    n = render(u, &r, NULL, 0, 20000, g_rec);
    uint64_t on[8];
    assert_int_equal(note_ons(g_rec, n, on, NULL), 3);
    assert_int_equal(on[0], 6000);
    assert_int_equal(on[1], 12000);
    assert_int_equal(on[2], 18000);
    arp_free(u);
}

/* The same performance in blocks of 1, of 64, mixed sizes, and split at events like the
 * engine does: the same events on the same frames. A tiny output capacity never orphans a
 * note-on. */
static void test_any_block_split_gives_the_same_events(void **state)
{
    (void)state;
    static gbp_event_t ev[64];
    uint32_t n_ev = 0;
    const uint8_t keys[] = {60, 67, 64, 72, 65};
    for (uint32_t i = 0; i < 5; i++)
        ev[n_ev++] = note(123 + 4567 * i, 1, keys[i]);
    ev[n_ev++] = (gbp_event_t){.time = 20000, .type = GBP_EV_PARAM, .id = param_id("rate"),
                               .value = 3};
    ev[n_ev++] = (gbp_event_t){.time = 30001, .type = GBP_EV_PARAM, .id = param_id("swing"),
                               .value = 0.3f};
    ev[n_ev++] = (gbp_event_t){.time = 30001, .type = GBP_EV_PARAM, .id = param_id("mode"),
                               .value = 3};
    ev[n_ev++] = (gbp_event_t){.time = 40000, .type = GBP_EV_CC, .id = 7, .value = 0.3f};
    for (uint32_t i = 0; i < 5; i++)
        ev[n_ev++] = note(50000 + 999 * i, 0, keys[i]);
    static const uint32_t one[] = {1}, mixed[] = {64, 1, 7, 1024, 13, 256, 3};
    const run_t runs[] = {{.sizes = one, .n_sizes = 1},
                          {.sizes = NULL},
                          {.sizes = mixed, .n_sizes = 7},
                          {.sizes = mixed, .n_sizes = 7, .split = 1}};
    void *u = arp_new();
    const uint32_t n0 = render(u, &runs[0], ev, n_ev, 70000, g_rec);
    check_pairs(g_rec, n0, NULL);
    for (int ri = 1; ri < 4; ri++) {
        arp_free(u); /* a fresh instance: the events change parameters */
        u = arp_new();
        const uint32_t n = render(u, &runs[ri], ev, n_ev, 70000, g_rec2);
        assert_int_equal(n, n0);
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(g_rec2[i].frame, g_rec[i].frame);
            assert_int_equal(g_rec2[i].ev.type, g_rec[i].ev.type);
            assert_int_equal(g_rec2[i].ev.key, g_rec[i].ev.key);
            assert_true(g_rec2[i].ev.value == g_rec[i].ev.value);
        }
    }
    printf("  %u generated events, identical for blocks of 1, 64, mixed and event-split\n",
           n0);
    /* capacity 1: room for pass-through only; capacity 2: notes, all paired */
    for (uint32_t cap = 1; cap <= 3; cap++) {
        arp_free(u);
        u = arp_new();
        run_t r = {.sizes = NULL, .capacity = cap};
        const uint32_t n = render(u, &r, ev, n_ev, 70000, g_rec2);
        const uint32_t pairs = check_pairs(g_rec2, n, NULL);
        printf("  output capacity %u: %u events, %u pairs\n", cap, n, pairs);
        if (cap == 1)
            assert_int_equal(pairs, 0);
        else
            assert_true(pairs > 0);
    }
    arp_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_up_16ths_at_120bpm_fall_every_6000_frames),
        cmocka_unit_test(test_no_drift_after_ten_hours_at_127bpm),
        cmocka_unit_test(test_rates_triplets_and_swing),
        cmocka_unit_test(test_modes_follow_the_pitch_order),
        cmocka_unit_test(test_random_mode_is_seeded_and_deterministic),
        cmocka_unit_test(test_gate_lengths_and_one_note_off_per_note_on),
        cmocka_unit_test(test_passes_through_cc_bend_pressure_and_ignores_the_pedal),
        cmocka_unit_test(test_idle_without_notes_and_all_off),
        cmocka_unit_test(test_transport_jump_back_restarts_the_grid),
        cmocka_unit_test(test_any_block_split_gives_the_same_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
