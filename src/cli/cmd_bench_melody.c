/* cmd_bench_melody.c — the gbac.melody-gan unit's cost per block for `gbac bench engine`:
 * the unit driven through its descriptor at 48 kHz in blocks of 64 frames, 120 BPM, in the
 * situations that load it most, its thread CPU time per block measured. The unit does the same
 * work in block i of every run, so the cost of block i is its least time over 3 runs (a
 * shared machine adds interrupts, cache evictions and hypervisor steal at random blocks); the
 * worst block is the largest of those.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gb_bench.h"
#include "gb_builtin_units.h"

#define MB_SR 48000.0
#define MB_BLOCK 64u
#define MB_BAR 96000u /* 4/4 at 120 BPM */
#define MB_BARS 24

/* Thread CPU time in ns: the unit's own cost, not the time other processes take the core. */
static double cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Events of a scenario in [f, f + MB_BLOCK): 0 free (none), 1 accompany with the chord
 * changing on every bar line (every bar late), 2 answer: a 2-bar call, 2 bars of answer. */
static uint32_t scenario_events(int sc, uint64_t f, gbp_event_t *ev)
{
    static const uint8_t chords[4][3] = {{62, 66, 69}, {67, 71, 74}, {64, 67, 71}, {69, 73, 76}};
    uint32_t n = 0;
    const uint64_t bar = f / MB_BAR, in = f % MB_BAR;
    if (sc == 1 && in < MB_BLOCK) { /* release the last chord, press the next, on the line */
        for (int i = 0; i < 3 && bar > 0; i++)
            ev[n++] = (gbp_event_t){.type = GBP_EV_NOTE_OFF, .key = chords[(bar - 1) % 4][i]};
        for (int i = 0; i < 3; i++)
            ev[n++] = (gbp_event_t){.type = GBP_EV_NOTE_ON, .key = chords[bar % 4][i],
                                    .value = 0.7f};
    } else if (sc == 2 && bar % 4 < 2) { /* eighths up the D-major scale, 9000 frames each */
        static const uint8_t keys[8] = {62, 64, 66, 67, 69, 71, 73, 74};
        for (uint64_t t = f; t < f + MB_BLOCK; t++) {
            const uint64_t k = (t % (2 * MB_BAR)) / 12000u, ph = t % 12000u;
            if (ph == 0)
                ev[n++] = (gbp_event_t){.time = (uint32_t)(t - f), .type = GBP_EV_NOTE_ON,
                                        .key = keys[k % 8], .value = 0.7f};
            else if (ph == 9000)
                ev[n++] = (gbp_event_t){.time = (uint32_t)(t - f), .type = GBP_EV_NOTE_OFF,
                                        .key = keys[k % 8]};
        }
    }
    return n;
}

/* Per-block CPU times of one run into t (MB_BARS · MB_BAR / MB_BLOCK blocks), each the least
 * of its value there and this run's. Returns 0 or -1 when the unit cannot start (no model). */
static int run_scenario(int sc, double *t, int n_blocks)
{
    const gbp_descriptor_t *d = &gb_unit_melodygan;
    void *u = d->create(d, NULL);
    if (!u)
        return -1;
    d->set_param(u, 0, sc == 0 ? 2.0f : sc == 1 ? 3.0f : 0.0f); /* mode */
    if (d->activate(u, MB_SR, MB_BLOCK) != 0) {
        d->destroy(u);
        return -1;
    }
    gbp_event_t in[64], out[256];
    for (int b = 0; b < n_blocks; b++) {
        const uint64_t f = (uint64_t)b * MB_BLOCK;
        uint32_t n_out = 0;
        gbp_transport_t tr = {.sample_rate = MB_SR, .frame = f, .tempo_bpm = 120.0,
                              .beat = (double)f / 24000.0, .beats_per_bar = 4, .beat_unit = 4,
                              .playing = 1};
        gbp_process_t p = {.frames = MB_BLOCK, .events = in,
                           .n_events = scenario_events(sc, f, in), .events_out = out,
                           .events_out_capacity = 256, .n_events_out = &n_out, .transport = &tr};
        const double t0 = cpu_ns();
        d->process(u, &p);
        t[b] = fmin(t[b], (cpu_ns() - t0) / 1000.0);
    }
    d->deactivate(u);
    d->destroy(u);
    return 0;
}

int gb_bench_melody(gb_bench_melody_t *r)
{
    static const char *const names[3] = {"free", "accompany, a new chord on every bar line",
                                         "answer, 2-bar calls"};
    const int n = MB_BARS * (int)(MB_BAR / MB_BLOCK);
    double *t = malloc((size_t)n * sizeof *t);
    if (!t)
        return -1;
    memset(r, 0, sizeof *r);
    r->period_us = MB_BLOCK / MB_SR * 1e6;
    for (int sc = 0; sc < 3; sc++) {
        for (int b = 0; b < n; b++)
            t[b] = INFINITY;
        for (int rep = 0; rep < 3; rep++)
            if (run_scenario(sc, t, n) < 0) {
                free(t);
                return -1;
            }
        qsort(t, (size_t)n, sizeof *t, cmp_double);
        r->name[sc] = names[sc];
        r->worst_us[sc] = t[n - 1];
        r->p999_us[sc] = t[(int)(0.999 * (n - 1))];
        r->median_us[sc] = t[n / 2];
        r->worst_us_all = fmax(r->worst_us_all, t[n - 1]);
    }
    r->n = 3;
    free(t);
    return 0;
}
