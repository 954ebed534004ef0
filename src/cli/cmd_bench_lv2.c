/* cmd_bench_lv2.c — `gbac bench engine`'s LV2 figure: what hosting an LV2 plugin as a unit
 * costs per 64-frame block beyond the plugin's own run() (events to atoms, buffers, the worker
 * and NaN checks), measured on the x42 dpl limiter (x42-plugins).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <string.h>

#include "gb_bench.h"
#include "gb_lv2.h"
#include "gb_unit_registry.h"

#define LV2_BENCH_URI "lv2:http://gareus.org/oss/lv2/dpl#stereo"
#define LV2_BENCH_BLOCK 64u
#define LV2_BENCH_REPS 256 /* blocks per timed call: far above the clock's resolution */

typedef struct lv2_bench {
    const gbp_descriptor_t *d;
    void *u;
    float in[2][LV2_BENCH_BLOCK], out[2][LV2_BENCH_BLOCK];
    gbp_transport_t tr;
    gbp_process_t p;
} lv2_bench_t;

static void run_hosted(void *ctx)
{
    lv2_bench_t *b = ctx;
    for (int i = 0; i < LV2_BENCH_REPS; i++) {
        b->d->process(b->u, &b->p);
        b->tr.frame += LV2_BENCH_BLOCK;
    }
}

static void run_raw(void *ctx)
{
    lv2_bench_t *b = ctx;
    for (int i = 0; i < LV2_BENCH_REPS; i++)
        gb_lv2_run_raw(b->u, LV2_BENCH_BLOCK);
}

int gb_bench_lv2_overhead(int samples, double *hosted_ns, double *raw_ns)
{
    static lv2_bench_t b;
    gb_error_t err = {0};
    memset(&b, 0, sizeof b);
    if (!(b.d = gb_lv2_descriptor(LV2_BENCH_URI, &err))) {
        fprintf(stderr, "gbac bench engine: %s\n", err.msg);
        return -1;
    }
    if (!(b.u = b.d->create(b.d, gb_unit_lone_host())) ||
        b.d->activate(b.u, 48000.0, LV2_BENCH_BLOCK) != 0) {
        fprintf(stderr, "gbac bench engine: %s could not be activated\n", LV2_BENCH_URI);
        return -1;
    }
    for (uint32_t i = 0; i < LV2_BENCH_BLOCK; i++)
        b.in[0][i] = b.in[1][i] = 0.25f * (float)((i * 37u) % 17u) / 17.0f;
    static const float *ins[2];
    static float *outs[2];
    ins[0] = b.in[0];
    ins[1] = b.in[1];
    outs[0] = b.out[0];
    outs[1] = b.out[1];
    b.tr = (gbp_transport_t){48000.0, 0, 120.0, 0.0, 4, 4, 1};
    b.p = (gbp_process_t){.frames = LV2_BENCH_BLOCK, .audio_in = ins, .audio_out = outs,
                          .transport = &b.tr};
    /* interleaved, so a change of clock speed touches both alike */
    double h = 0, r = 0;
    for (int k = 0; k < 3; k++) {
        h += gb_bench_median_ns(run_hosted, &b, samples) / LV2_BENCH_REPS;
        r += gb_bench_median_ns(run_raw, &b, samples) / LV2_BENCH_REPS;
    }
    *hosted_ns = h / 3;
    *raw_ns = r / 3;
    b.d->deactivate(b.u);
    b.d->destroy(b.u);
    return 0;
}
