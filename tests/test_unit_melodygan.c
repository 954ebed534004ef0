/* test_unit_melodygan.c — gbac.melody-gan driven through its descriptor at 48 kHz, 120 BPM,
 * 4/4 (a 16th = 6000 frames, a bar = 96000): a D-major call then silence is answered from a
 * bar boundary, in key, with a note-off for every note-on, the same for a seed and for any
 * block size, without allocating in process(); free mode plays on its own; the performer's
 * events pass through.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gb_alloc_count.h"
#include "gb_units.h"

#define SR 48000.0
#define FPB 24000.0 /* frames per beat at 120 BPM */
#define BAR 96000u
#define STEP 6000u
#define MAX_EV 4096

typedef struct rec {
    uint64_t frame;
    gbp_event_t ev;
} rec_t;

typedef struct run {
    rec_t gen[MAX_EV], human[MAX_EV];
    int n_gen, n_human;
    double max_block_us, bar_us; /* slowest block; summed blocks holding a bar start */
    int n_bar_blocks;
    long allocs;
} run_t;

static run_t ra, rb;

/* The call: a D-major scale up and down in eighths over bars 0 and 1, each 10000 frames. */
static const uint8_t call_keys[16] = {62, 64, 66, 67, 69, 71, 73, 74,
                                      74, 73, 71, 69, 67, 66, 64, 62};
#define N_CALL_EV 32

static void call_events(rec_t *ev)
{
    for (int i = 0; i < 16; i++) {
        const uint64_t on = (uint64_t)i * 2u * STEP;
        ev[2 * i] = (rec_t){on, {.type = GBP_EV_NOTE_ON, .key = call_keys[i], .value = 0.7f}};
        ev[2 * i + 1] = (rec_t){on + 10000u, {.type = GBP_EV_NOTE_OFF, .key = call_keys[i]}};
    }
}

/* Run the unit for `bars` bars in blocks of `block` frames. */
static void run_unit(run_t *r, int mode, uint32_t block, int bars, int with_call, int seed,
                     int count_allocs)
{
    memset(r, 0, sizeof *r);
    const gbp_descriptor_t *d = &gb_unit_melodygan;
    void *u = d->create(d, NULL);
    assert_non_null(u);
    d->set_param(u, 0, (float)mode);
    d->set_param(u, 6, (float)seed);
    assert_int_equal(d->activate(u, SR, 64), 0);
    rec_t call[N_CALL_EV];
    call_events(call);
    int ic = with_call ? 0 : N_CALL_EV;
    gbp_event_t in[N_CALL_EV + 1], out[256];
    const uint64_t total = (uint64_t)bars * BAR;
    for (uint64_t f = 0; f < total; f += block) {
        uint32_t n_in = 0, n_out = 0;
        for (; ic < N_CALL_EV && call[ic].frame < f + block; ic++) {
            in[n_in] = call[ic].ev;
            in[n_in++].time = (uint32_t)(call[ic].frame - f);
        }
        if (f + block >= total) /* the host's all-off at the end (transport stop) */
            in[n_in++] = (gbp_event_t){.time = block - 1u, .type = GBP_EV_ALL_OFF};
        gbp_transport_t tr = {.sample_rate = SR, .frame = f, .tempo_bpm = 120.0,
                              .beat = (double)f / FPB, .beats_per_bar = 4, .beat_unit = 4,
                              .playing = 1};
        gbp_process_t p = {.frames = block, .events = in, .n_events = n_in,
                           .events_out = out, .events_out_capacity = 256,
                           .n_events_out = &n_out, .transport = &tr};
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (count_allocs)
            gb_arm();
        d->process(u, &p);
        if (count_allocs) {
            gb_disarm();
            r->allocs += gb_n_alloc + gb_n_free;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        const double us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 +
                          (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
        r->max_block_us = us > r->max_block_us ? us : r->max_block_us;
        if (f % BAR < block) {
            r->bar_us += us;
            r->n_bar_blocks++;
        }
        for (uint32_t i = 0; i < n_out; i++) {
            rec_t x = {f + out[i].time, out[i]};
            if (out[i].source == 0 && r->n_human < MAX_EV)
                r->human[r->n_human++] = x;
            else if (r->n_gen < MAX_EV)
                r->gen[r->n_gen++] = x;
        }
    }
    d->deactivate(u);
    d->destroy(u);
}

/* Every note-on has one note-off later (at most one generated note sounds at a time). */
static void assert_paired(const run_t *r)
{
    int sounding = -1;
    for (int i = 0; i < r->n_gen; i++) {
        const gbp_event_t *e = &r->gen[i].ev;
        assert_int_equal(e->source, 3);
        if (e->type == GBP_EV_NOTE_ON) {
            assert_int_equal(sounding, -1);
            sounding = e->key;
            assert_int_equal(r->gen[i].frame % STEP, 0);
        } else if (e->type == GBP_EV_NOTE_OFF) {
            assert_int_equal(e->key, sounding);
            sounding = -1;
        }
    }
    assert_int_equal(sounding, -1);
}

static void answers_on_a_bar_boundary_in_key(void **state)
{
    (void)state;
    run_unit(&ra, 0, 64, 8, 1, 1, 0);
    /* last call note-off at beat 7.83; silence_beats 2 → first bar start at or after beat
     * 9.83 is bar 3 (beat 12) = frame 288000; answer_bars 2 → bars 3 and 4. */
    const uint64_t start = 3u * BAR, end = 5u * BAR;
    assert_true(ra.n_gen > 0);
    assert_int_equal(ra.gen[0].frame, start);
    int on = 0, in_key = 0;
    static const int dmaj[12] = {0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1}; /* C# D E F# G A B */
    for (int i = 0; i < ra.n_gen; i++) {
        assert_true(ra.gen[i].frame >= start && ra.gen[i].frame <= end);
        if (ra.gen[i].ev.type == GBP_EV_NOTE_ON) {
            on++;
            in_key += dmaj[ra.gen[i].ev.key % 12];
        }
    }
    printf("  answer: %d notes, %d in D major (%.1f %%), first at frame %llu; max block "
           "(one bar generated, K = 4) %.0f us\n",
           on, in_key, 100.0 * in_key / on, (unsigned long long)ra.gen[0].frame,
           ra.max_block_us);
    assert_true(on >= 4);
    assert_true(in_key * 10 >= on * 9);
    assert_paired(&ra);
    /* the performer's events pass through unchanged, on their frames */
    rec_t call[N_CALL_EV];
    call_events(call);
    assert_int_equal(ra.n_human, N_CALL_EV + 1); /* + the final all-off */
    for (int i = 0; i < N_CALL_EV; i++) {
        assert_int_equal(ra.human[i].frame, call[i].frame);
        assert_int_equal(ra.human[i].ev.type, call[i].ev.type);
        assert_int_equal(ra.human[i].ev.key, call[i].ev.key);
        assert_true(ra.human[i].ev.value == call[i].ev.value);
    }
}

static int same_gen(const run_t *a, const run_t *b)
{
    if (a->n_gen != b->n_gen)
        return 0;
    for (int i = 0; i < a->n_gen; i++)
        if (a->gen[i].frame != b->gen[i].frame || a->gen[i].ev.type != b->gen[i].ev.type ||
            a->gen[i].ev.key != b->gen[i].ev.key)
            return 0;
    return 1;
}

static void deterministic_and_block_size_independent(void **state)
{
    (void)state;
    run_unit(&ra, 0, 64, 6, 1, 7, 0);
    run_unit(&rb, 0, 1, 6, 1, 7, 0);
    assert_true(ra.n_gen > 0);
    assert_true(same_gen(&ra, &rb));
    run_unit(&rb, 0, 64, 6, 1, 7, 0);
    assert_true(same_gen(&ra, &rb));
    run_unit(&rb, 0, 64, 6, 1, 8, 0);
    assert_false(same_gen(&ra, &rb)); /* another seed, another answer */
}

static void process_never_allocates(void **state)
{
    (void)state;
    gb_skip_if_not_interposed();
    run_unit(&ra, 0, 64, 6, 1, 1, 1);
    assert_true(ra.n_gen > 0);
    assert_int_equal(ra.allocs, 0);
}

static void continue_mode_keeps_going(void **state)
{
    (void)state;
    run_unit(&ra, 1, 64, 8, 1, 1, 0);
    int on_late = 0;
    for (int i = 0; i < ra.n_gen; i++)
        on_late += ra.gen[i].ev.type == GBP_EV_NOTE_ON && ra.gen[i].frame >= 6u * BAR;
    assert_int_equal(ra.gen[0].frame, 3u * BAR);
    assert_true(on_late > 0); /* past the 2 answer bars */
    assert_paired(&ra);
}

static void free_mode_plays_on_its_own(void **state)
{
    (void)state;
    run_unit(&ra, 2, 64, 16, 0, 1, 0);
    int on = 0;
    for (int i = 0; i < ra.n_gen; i++)
        on += ra.gen[i].ev.type == GBP_EV_NOTE_ON;
    printf("  free: %d notes in 16 bars; blocks of 64 holding a bar start (a bar generated, "
           "K = 4): mean %.0f us, slowest block %.0f us\n",
           on, ra.bar_us / ra.n_bar_blocks, ra.max_block_us);
    assert_true(on >= 32);
    assert_int_equal(ra.n_human, 1); /* the final all-off */
    assert_paired(&ra);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answers_on_a_bar_boundary_in_key),
        cmocka_unit_test(deterministic_and_block_size_independent),
        cmocka_unit_test(process_never_allocates),
        cmocka_unit_test(continue_mode_keeps_going),
        cmocka_unit_test(free_mode_plays_on_its_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
