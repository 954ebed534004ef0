/* bench_transfer.c — the timbre-transfer path's DSP load for `gbac bench engine`
 * (transfer_load_pct): the timbre-VAE instrument following a 64-frame audio input.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_bench.h"
#include "gb_builtin_units.h"
#include "gb_engine.h"
#include "gb_unit_registry.h"

#define TB_SR 48000.0
#define TB_BLOCK 64u
#define TB_LEN (TB_BLOCK * 750u) /* one second of input, looped */

typedef struct tb_ctx {
    gb_engine_t *e;
    float *in;
    uint32_t pos;
    float l[TB_BLOCK], r[TB_BLOCK];
} tb_ctx_t;

static void tb_block(void *p)
{
    tb_ctx_t *c = p;
    gb_engine_set_input(c->e, c->in + c->pos);
    gb_engine_process(c->e, NULL, 0, c->l, c->r, TB_BLOCK);
    c->pos = (c->pos + TB_BLOCK) % TB_LEN;
}

double gb_bench_transfer_pct(int samples)
{
    gb_preset_t *p = calloc(1, sizeof *p);
    tb_ctx_t *c = calloc(1, sizeof *c);
    float *in = malloc(sizeof(float) * TB_LEN);
    double pct = -1.0;
    if (!p || !c || !in)
        goto done;
    snprintf(p->name, sizeof p->name, "bench-transfer");
    p->tempo_bpm = 120;
    p->beats_per_bar = p->beat_unit = 4;
    p->polyphony = 16;
    p->instrument.desc = &gb_unit_timbrevae;
    snprintf(p->instrument.slot, sizeof p->instrument.slot, "vae");
    p->instrument.params[0].id = gb_unit_param_by_name(&gb_unit_timbrevae, "follow_input")->id;
    p->instrument.params[0].value = 1.0f;
    p->instrument.n_params = 1;
    gb_engine_config_t cfg = gb_engine_config_default();
    cfg.sample_rate = TB_SR;
    cfg.max_block = TB_BLOCK;
    gb_error_t err = {0};
    if (!(c->e = gb_engine_new(p, &cfg, &err))) {
        fprintf(stderr, "gbac bench engine: %s\n", err.msg);
        goto done;
    }
    /* A sung-like input: a 220 Hz tone with vibrato, then (second half) breath noise. */
    uint32_t rng = 12345u;
    double ph = 0.0;
    for (uint32_t i = 0; i < TB_LEN; i++) {
        ph += 2.0 * 3.141592653589793 * 220.0 * (1.0 + 0.01 * sin(i * 6.0 * 6.2832 / TB_SR)) /
              TB_SR;
        rng = rng * 1664525u + 1013904223u;
        in[i] = i < TB_LEN / 2 ? (float)(0.2 * sin(ph) + 0.1 * sin(2 * ph) + 0.05 * sin(3 * ph))
                               : (float)(0.05 * ((double)(rng >> 8) / 8388608.0 - 1.0));
    }
    c->in = in;
    for (int i = 0; i < 750; i++)
        tb_block(c);
    pct = gb_bench_median_ns(tb_block, c, samples) / (TB_BLOCK / TB_SR * 1e9) * 100.0;
done:
    if (c)
        gb_engine_free(c->e);
    free(c);
    free(in);
    free(p);
    return pct;
}
