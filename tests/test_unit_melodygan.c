/* test_unit_melodygan.c — gbac.melody-gan driven through its descriptor at 48 kHz, 120 BPM,
 * 4/4 (a 16th = 6000 frames, a bar = 96000): a D-major call then silence is answered from a
 * bar boundary, in key, with a note-off for every note-on, the same for a seed and for any
 * block size, without allocating in process(); free mode plays on its own; the performer's
 * events pass through; accompany plays over a held chord, in its key, on chord tones; likes
 * pull the chosen latents towards the liked ones and survive save/load; the critic's score is
 * reported through the engine once per generated bar; the bar's inference is spread over ticks
 * of 64 frames (one batched forward each) before it; a bar whose conditioning changes on its
 * bar line is played late but whole; answers to dense calls are denser than answers to sparse
 * ones.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gb_alloc_count.h"
#include "gb_engine_util.h"
#include "gb_unit_registry.h"

/* parameter ids of gbac.melody-gan */
enum { P_MODE, P_ANSWER_BARS, P_SILENCE, P_TEMP, P_CAND, P_SOURCE, P_SEED, P_LIKE, P_DISLIKE,
       P_TASTE, P_SCORE, P_RATINGS, P_FORWARDS };

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
    rec_t gen[MAX_EV], human[MAX_EV], score[MAX_EV];
    int n_gen, n_human, n_score;
    double max_block_us, bar_us; /* slowest block; summed blocks holding a bar start */
    int n_bar_blocks;
    int max_block_fw, bar_fw;    /* the same in batched forwards run (`forwards`) */
    int n_forwards;              /* forwards of the whole run */
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

/* What a run does: mode, seed, length, block size, the performer's events (absolute frames,
 * sorted), parameters set before activation, a state loaded before it and saved after. */
typedef struct cfg {
    int mode, seed, bars;
    uint32_t block;
    const rec_t *ev;
    int n_ev;
    float taste; /* < 0: default */
    const char *state_in;
    char *state_out;
    size_t state_cap;
    int count_allocs;
    float ratings; /* out: the READONLY `ratings` after the run */
} cfg_t;

static void run_cfg(run_t *r, cfg_t *c)
{
    memset(r, 0, sizeof *r);
    const gbp_descriptor_t *d = &gb_unit_melodygan;
    void *u = d->create(d, NULL);
    assert_non_null(u);
    d->set_param(u, P_MODE, (float)c->mode);
    d->set_param(u, P_SEED, (float)c->seed);
    if (c->taste >= 0.0f)
        d->set_param(u, P_TASTE, c->taste);
    if (c->state_in) {
        char err[256] = "";
        assert_int_equal(d->load_state(u, c->state_in, err, sizeof err), 0);
    }
    assert_int_equal(d->activate(u, SR, 64), 0);
    int ic = 0;
    gbp_event_t in[256], out[256];
    const uint64_t total = (uint64_t)c->bars * BAR;
    const uint32_t block = c->block;
    for (uint64_t f = 0; f < total; f += block) {
        uint32_t n_in = 0, n_out = 0;
        for (; ic < c->n_ev && c->ev[ic].frame < f + block && n_in < 250; ic++) {
            in[n_in] = c->ev[ic].ev;
            in[n_in++].time = (uint32_t)(c->ev[ic].frame - f);
        }
        if (f + block >= total) /* the host's all-off at the end (transport stop) */
            in[n_in++] = (gbp_event_t){.time = block - 1u, .type = GBP_EV_ALL_OFF};
        gbp_transport_t tr = {.sample_rate = SR, .frame = f, .tempo_bpm = 120.0,
                              .beat = (double)f / FPB, .beats_per_bar = 4, .beat_unit = 4,
                              .playing = 1};
        gbp_process_t p = {.frames = block, .events = in, .n_events = n_in,
                           .events_out = out, .events_out_capacity = 256,
                           .n_events_out = &n_out, .transport = &tr};
        const float fw0 = d->get_param(u, P_FORWARDS);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (c->count_allocs)
            gb_arm();
        d->process(u, &p);
        if (c->count_allocs) {
            gb_disarm();
            r->allocs += gb_n_alloc + gb_n_free;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        const double us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 +
                          (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
        const int fw = (int)(d->get_param(u, P_FORWARDS) - fw0);
        if (f >= BAR) { /* bar 0 has no bar before it to prepare in */
            r->max_block_us = us > r->max_block_us ? us : r->max_block_us;
            r->max_block_fw = fw > r->max_block_fw ? fw : r->max_block_fw;
        }
        if (f % BAR < block && f >= BAR) {
            r->bar_us += us;
            r->bar_fw += fw;
            r->n_bar_blocks++;
        }
        for (uint32_t i = 0; i < n_out; i++) {
            rec_t x = {f + out[i].time, out[i]};
            if (out[i].type == GBP_EV_PARAM) {
                assert_int_equal(out[i].id, P_SCORE);
                if (r->n_score < MAX_EV)
                    r->score[r->n_score++] = x;
            } else if (out[i].source == 0 && r->n_human < MAX_EV)
                r->human[r->n_human++] = x;
            else if (r->n_gen < MAX_EV)
                r->gen[r->n_gen++] = x;
        }
    }
    c->ratings = d->get_param(u, P_RATINGS);
    r->n_forwards = (int)d->get_param(u, P_FORWARDS);
    if (c->state_out)
        assert_true(d->save_state(u, c->state_out, c->state_cap) > 0);
    d->deactivate(u);
    d->destroy(u);
}

static rec_t call_buf[N_CALL_EV];

/* Run the unit for `bars` bars in blocks of `block` frames (with the D-major call or none). */
static void run_unit(run_t *r, int mode, uint32_t block, int bars, int with_call, int seed,
                     int count_allocs)
{
    call_events(call_buf);
    cfg_t c = {.mode = mode, .seed = seed, .bars = bars, .block = block, .ev = call_buf,
               .n_ev = with_call ? N_CALL_EV : 0, .taste = -1.0f,
               .count_allocs = count_allocs};
    run_cfg(r, &c);
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
    run_unit(&rb, 0, 1024, 6, 1, 7, 0);
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

static const int dmaj_pc[12] = {0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1}; /* C# D E F# G A B */

/* ---- accompany ---------------------------------------------------------------------------- */

/* D–F#–A held from frame 1000 (bar 0) to 5 bars + 100: the melody plays in bars 1..5 (the
 * first bar start with the chord held, then every bar while it is held), stops at bar 6. */
static void accompany_plays_over_a_held_chord(void **state)
{
    (void)state;
    static const uint8_t chord[3] = {62, 66, 69};
    rec_t ev[6];
    for (int i = 0; i < 3; i++) {
        ev[i] = (rec_t){1000u, {.type = GBP_EV_NOTE_ON, .key = chord[i], .value = 0.7f}};
        ev[3 + i] = (rec_t){5u * BAR + 100u, {.type = GBP_EV_NOTE_OFF, .key = chord[i]}};
    }
    int on = 0, in_key = 0, tones = 0, beats = 0, beat_tones = 0;
    for (int seed = 1; seed <= 6; seed++) {
        cfg_t c = {.mode = 3, .seed = seed, .bars = 8, .block = 64, .ev = ev, .n_ev = 6,
                   .taste = -1.0f};
        run_cfg(&ra, &c);
        assert_true(ra.n_gen > 0);
        assert_true(ra.gen[0].frame >= BAR && ra.gen[0].frame < 2u * BAR); /* bar 1 plays */
        assert_int_equal(ra.n_score, 5);             /* bars 1..5 generated */
        assert_int_equal(ra.score[0].frame, BAR);
        assert_int_equal(ra.score[4].frame, 5u * BAR);
        assert_int_equal(ra.n_human, 7);             /* the chord passes through (+ all-off) */
        assert_paired(&ra);
        for (int i = 0; i < ra.n_gen; i++) {
            if (ra.gen[i].ev.type != GBP_EV_NOTE_ON)
                continue;
            assert_true(ra.gen[i].frame >= BAR && ra.gen[i].frame < 6u * BAR);
            const int pc = ra.gen[i].ev.key % 12, ct = pc == 2 || pc == 6 || pc == 9;
            on++;
            in_key += dmaj_pc[pc];
            tones += ct;
            if (ra.gen[i].frame % (uint64_t)FPB == 0) {
                beats++;
                beat_tones += ct;
            }
        }
    }
    printf("  accompany (D-F#-A, 6 seeds x 5 bars): %d notes, %.1f %% in D major, %.1f %% chord "
           "tones; on the beats %d notes, %.1f %% chord tones\n",
           on, 100.0 * in_key / on, 100.0 * tones / on, beats, 100.0 * beat_tones / beats);
    assert_true(on >= 60);
    assert_true(in_key * 10 >= on * 9);
    assert_true(tones * 100 >= on * 55);          /* D major melodies alone: about 3 in 7 */
    assert_true(beat_tones * 100 >= beats * 75);  /* chord tones on beats 1 and 3 */
}

/* ---- taste -------------------------------------------------------------------------------- */

static double mean_dist(json_t *lat, const double *mu)
{
    double s = 0.0;
    size_t i;
    json_t *z;
    json_array_foreach(lat, i, z) {
        double d2 = 0.0;
        for (int d = 0; d < 8; d++) {
            const double x = json_number_value(json_array_get(z, (size_t)d)) - mu[d];
            d2 += x * x;
        }
        s += sqrt(d2);
    }
    return s / (double)json_array_size(lat);
}

static char st_s[65536], st_t[65536], st_u[65536];

/* Seed 3 plays freely and is liked 4 times (button presses; the releases, and a dislike
 * event below 0.5, are no ratings). A unit of another seed loading that taste, with taste 1,
 * chooses latents much nearer the liked ones than with taste 0. The state round-trips. */
static void likes_pull_the_latents_and_survive_save_load(void **state)
{
    (void)state;
    rec_t ev[16];
    int n = 0;
    for (int i = 1; i <= 4; i++) {
        ev[n++] = (rec_t){(uint64_t)(2 * i) * BAR + 10u,
                          {.type = GBP_EV_PARAM, .id = P_LIKE, .value = 1.0f}};
        ev[n++] = (rec_t){(uint64_t)(2 * i) * BAR + 1000u,
                          {.type = GBP_EV_PARAM, .id = P_LIKE, .value = 0.0f}};
    }
    ev[n++] = (rec_t){9u * BAR + 10u, {.type = GBP_EV_PARAM, .id = P_DISLIKE, .value = 0.4f}};
    cfg_t c = {.mode = 2, .seed = 3, .bars = 10, .block = 64, .ev = ev, .n_ev = n,
               .taste = 0.0f, .state_out = st_s, .state_cap = sizeof st_s};
    run_cfg(&ra, &c);
    assert_true(c.ratings == 4.0f);
    json_error_t je;
    json_t *js = json_loads(st_s, 0, &je);
    assert_non_null(js);
    json_t *like = json_object_get(json_object_get(js, "taste"), "like");
    /* bars 0..2 at the first like (bar 2 started 10 frames before), then 2 bars each */
    assert_int_equal(json_array_size(like), 9);
    assert_int_equal(json_array_size(json_object_get(json_object_get(js, "taste"), "dislike")),
                     0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(js, "taste"),
                                                        "ratings")), 4);
    double mu[8] = {0};
    for (size_t i = 0; i < 9; i++)
        for (int d = 0; d < 8; d++)
            mu[d] += json_number_value(json_array_get(json_array_get(like, i), (size_t)d)) / 9.0;

    double dist[2];
    for (int t = 0; t < 2; t++) {
        cfg_t ct = {.mode = 2, .seed = 9, .bars = 8, .block = 64, .taste = (float)t,
                    .state_in = st_s, .state_out = st_t, .state_cap = sizeof st_t};
        run_cfg(&rb, &ct);
        json_t *jt = json_loads(st_t, 0, &je);
        assert_non_null(jt);
        json_t *ph = json_object_get(json_object_get(jt, "taste"), "phrase");
        assert_int_equal(json_array_size(ph), 8); /* the last 8 bars chosen */
        dist[t] = mean_dist(ph, mu);
        json_decref(jt);
    }
    printf("  taste: 9 liked latents (4 likes); chosen latents of another seed, mean distance "
           "to their mean: %.3f with taste 0, %.3f with taste 1\n",
           dist[0], dist[1]);
    assert_true(dist[1] < 0.7 * dist[0]);

    /* save/load round trip: the same JSON again; bad taste named by its path */
    const gbp_descriptor_t *d = &gb_unit_melodygan;
    void *u = d->create(d, NULL);
    char err[256] = "";
    assert_int_equal(d->load_state(u, st_s, err, sizeof err), 0);
    assert_true(d->save_state(u, st_u, sizeof st_u) > 0);
    assert_string_equal(st_u, st_s);
    assert_true(d->get_param(u, P_RATINGS) == 4.0f);
    assert_true(d->load_state(u, "{\"taste\": {\"like\": [[1, 2]]}}", err, sizeof err) < 0);
    printf("  bad taste: %s\n", err);
    assert_non_null(strstr(err, "state.taste.like[0]"));
    assert_true(d->load_state(u, "{\"taste\": {\"likes\": []}}", err, sizeof err) < 0);
    assert_non_null(strstr(err, "state.taste.likes: unknown key"));
    d->destroy(u);
    json_decref(js);
}

/* ---- scores through the engine ------------------------------------------------------------ */

static void scores_are_reported_through_the_engine(void **state)
{
    (void)state;
    gb_preset_t *p = gbt_rack(8, NULL, 0);
    p->n_sources = 1;
    p->sources[0].desc = &gb_unit_melodygan;
    snprintf(p->sources[0].slot, sizeof p->sources[0].slot, "melody");
    gbt_param(&p->sources[0], "mode", 2.0f);
    gb_engine_t *e = gbt_engine(p, 512);
    assert_non_null(e);
    const int32_t hs = gb_engine_param_find(e, "melody/score");
    assert_true(hs >= 0);
    static float l[512], r[512];
    uint64_t frames[16];
    float vals[16];
    int n = 0, notes = 0;
    for (uint64_t f = 0; f < 4u * BAR; f += 500) { /* blocks of 500: bars start mid-block */
        gb_engine_process(e, NULL, 0, l, r, 500);
        const int32_t *h;
        const float *v;
        const uint32_t *off;
        const int nr = gb_engine_reports(e, &h, &v, &off);
        for (int i = 0; i < nr; i++) {
            assert_int_equal(h[i], hs);
            assert_true(n < 16);
            frames[n] = f + off[i];
            vals[n++] = v[i];
        }
        uint32_t ng;
        const gbp_event_t *g = gb_engine_generated(e, &ng);
        for (uint32_t i = 0; i < ng; i++) {
            assert_true(g[i].type != GBP_EV_PARAM); /* reports go no further */
            notes += g[i].type == GBP_EV_NOTE_ON;
        }
    }
    printf("  engine reports of melody/score: %d (frames %llu, %llu, %llu, %llu; values %.2f "
           "%.2f %.2f %.2f), %d notes\n",
           n, (unsigned long long)frames[0], (unsigned long long)frames[1],
           (unsigned long long)frames[2], (unsigned long long)frames[3], vals[0], vals[1],
           vals[2], vals[3], notes);
    assert_int_equal(n, 4);
    /* bar 0 starts cold (late): its score comes with the tick that completes it, 17 ticks
     * of 64 frames at most; the next bars were ready at their bar starts */
    assert_true(frames[0] > 0 && frames[0] <= 17u * 64u);
    for (int i = 0; i < 4; i++) {
        if (i)
            assert_int_equal(frames[i], (uint64_t)i * BAR);
        assert_true(isfinite(vals[i]) && fabsf(vals[i]) < 100.0f);
    }
    assert_true(gb_engine_param_get(e, hs) == vals[3]);
    assert_true(notes >= 8);
    gb_engine_free(e);
    free(p);
}

/* ---- cost spread over the bar ------------------------------------------------------------- */

/* Free mode, 16 bars, blocks of 64 frames (one tick each): the next bar's K candidates are
 * sampled one step per tick (one batched forward), then scored (one critic forward), while the
 * bar before plays: at most one forward in any block, steps + 1 per bar, and none in the
 * blocks holding a bar start. With a parameter change at every bar start the conditioning is
 * only known there: the bar is late (candidate 0 plays, its steps computed as needed) and a
 * block runs at most two forwards (its tick and a step played). */
static void cost_is_spread_over_the_bar(void **state)
{
    (void)state;
    static rec_t ev[32];
    for (int b = 1; b < 16; b++)
        ev[b - 1] = (rec_t){(uint64_t)b * BAR,
                            {.type = GBP_EV_PARAM, .id = P_TEMP,
                             .value = (b & 1) ? 0.999f : 1.0f}};
    double spread_max = 1e30, spread_bar = 1e30, late_max = 1e30, late_bar = 1e30;
    int fw_a = 0, fw_b = 0;
    for (int rep = 0; rep < 3; rep++) { /* best of 3: other processes share the cores */
        cfg_t a = {.mode = 2, .seed = 1, .bars = 16, .block = 64, .taste = -1.0f};
        run_cfg(&ra, &a);
        fw_a = ra.n_forwards;
        cfg_t b = {.mode = 2, .seed = 1, .bars = 16, .block = 64, .ev = ev, .n_ev = 15,
                   .taste = -1.0f};
        run_cfg(&rb, &b);
        fw_b = rb.n_forwards;
        spread_max = ra.max_block_us < spread_max ? ra.max_block_us : spread_max;
        spread_bar = ra.bar_us / ra.n_bar_blocks < spread_bar ? ra.bar_us / ra.n_bar_blocks
                                                             : spread_bar;
        late_max = rb.max_block_us < late_max ? rb.max_block_us : late_max;
        late_bar = rb.bar_us / rb.n_bar_blocks < late_bar ? rb.bar_us / rb.n_bar_blocks : late_bar;
    }
    printf("  cost, K = 4, blocks of 64 (bars 1..15): ready ahead: at most %d forward(s) per "
           "block, %d in the %d bar-start blocks, %d in 16 bars (worst block %.0f us, bar-start "
           "blocks %.1f us on average); late bars: at most %d per block, %d in the %d bar-start "
           "blocks, %d in 16 bars (worst %.0f us, bar-start blocks %.1f us on average)\n",
           ra.max_block_fw, ra.bar_fw, ra.n_bar_blocks, fw_a, spread_max, spread_bar,
           rb.max_block_fw, rb.bar_fw, rb.n_bar_blocks, fw_b, late_max, late_bar);
    /* The work, counted (times are printed, never asserted). */
    assert_int_equal(ra.max_block_fw, 1);
    assert_true(ra.bar_fw <= ra.n_bar_blocks); /* the tick of the next bar's first step */
    assert_int_equal(fw_a, 17 * (16 + 1)); /* bars 0..16: 16 steps and the critic each */
    assert_true(rb.max_block_fw <= 2);
    assert_true(rb.bar_fw <= 2 * rb.n_bar_blocks);
    assert_true(rb.bar_fw >= rb.n_bar_blocks); /* the late bars' first steps */
}

/* ---- density follows the call ------------------------------------------------------------- */

/* A 2-bar call in D major; dur: steps per note (a list repeated to fill the 2 bars). */
static int make_call(rec_t *ev, const int *dur, int n_dur)
{
    static const uint8_t scale[8] = {62, 64, 66, 67, 69, 71, 73, 74};
    int n = 0, step = 0, i = 0;
    while (step < 32) {
        const int d = dur[i % n_dur];
        const uint8_t key = scale[(i * 3) % 8];
        ev[n++] = (rec_t){(uint64_t)step * STEP, {.type = GBP_EV_NOTE_ON, .key = key,
                                                   .value = 0.7f}};
        ev[n++] = (rec_t){(uint64_t)(step + d) * STEP - 1000u,
                          {.type = GBP_EV_NOTE_OFF, .key = key}};
        step += d;
        i++;
    }
    /* sort by frame (a note-off precedes the next note-on) */
    for (int a = 1; a < n; a++)
        for (int b = a; b > 0 && ev[b].frame < ev[b - 1].frame; b--) {
            rec_t t = ev[b];
            ev[b] = ev[b - 1];
            ev[b - 1] = t;
        }
    return n;
}

static void density_follows_the_call(void **state)
{
    (void)state;
    static rec_t sparse[80], dense[80];
    static const int d_sparse[] = {4, 4, 8}, d_dense[] = {2, 1, 1};
    const int ns = make_call(sparse, d_sparse, 3), nd = make_call(dense, d_dense, 3);
    double per_bar[2] = {0, 0};
    int in_key = 0, on = 0;
    const int seeds = 8;
    for (int k = 0; k < 2; k++)
        for (int seed = 1; seed <= seeds; seed++) {
            cfg_t c = {.mode = 0, .seed = seed, .bars = 6, .block = 256,
                       .ev = k ? dense : sparse, .n_ev = k ? nd : ns, .taste = -1.0f};
            run_cfg(&ra, &c);
            assert_int_equal(ra.n_score, 2); /* bars 3 and 4 */
            for (int i = 0; i < ra.n_gen; i++)
                if (ra.gen[i].ev.type == GBP_EV_NOTE_ON) {
                    assert_true(ra.gen[i].frame >= 3u * BAR && ra.gen[i].frame < 5u * BAR);
                    per_bar[k] += 0.5 / seeds;
                    on++;
                    in_key += dmaj_pc[ra.gen[i].ev.key % 12];
                }
        }
    printf("  density: answers to sparse calls (quarters, halves) %.2f onsets per bar, to dense "
           "calls (8ths, 16ths) %.2f (%d seeds); %.1f %% of %d notes in D major\n",
           per_bar[0], per_bar[1], seeds, 100.0 * in_key / on, on);
    assert_true(per_bar[1] >= 1.3 * per_bar[0]);
    assert_true(in_key * 10 >= on * 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answers_on_a_bar_boundary_in_key),
        cmocka_unit_test(deterministic_and_block_size_independent),
        cmocka_unit_test(process_never_allocates),
        cmocka_unit_test(continue_mode_keeps_going),
        cmocka_unit_test(free_mode_plays_on_its_own),
        cmocka_unit_test(accompany_plays_over_a_held_chord),
        cmocka_unit_test(likes_pull_the_latents_and_survive_save_load),
        cmocka_unit_test(scores_are_reported_through_the_engine),
        cmocka_unit_test(cost_is_spread_over_the_bar),
        cmocka_unit_test(density_follows_the_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
