/* cmd_bench_engine.c — `gbac bench engine`: the engine's DSP load at live settings and its
 * offline real-time factor.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_bench.h"
#include "gb_cli.h"
#include "gb_share.h"
#include "gb_engine.h"
#include "gb_modelfile.h"
#include "gb_unit_registry.h"

#define BENCH_SR 48000.0
#define LIVE_BLOCK 64u
#define RENDER_BLOCK 1024u

/* The rack measured: the harmonic synth (64 harmonics, 32 noise bands per voice) followed by
 * delay, reverb and limiter, as a shipped preset would have it. */
static gb_preset_t *bench_rack_with(int fx, const gbp_descriptor_t *instrument);

static gb_preset_t *bench_rack(int fx)
{
    return bench_rack_with(fx, &gb_unit_harmsynth);
}

static gb_preset_t *bench_rack_with(int fx, const gbp_descriptor_t *instrument)
{
    gb_preset_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    snprintf(p->name, sizeof p->name, "bench");
    p->tempo_bpm = 120;
    p->beats_per_bar = 4;
    p->beat_unit = 4;
    p->polyphony = 16;
    p->instrument.desc = instrument;
    snprintf(p->instrument.slot, sizeof p->instrument.slot, "synth");
    const gbp_param_info_t *sus = gb_unit_param_by_name(instrument, "sustain");
    p->instrument.params[0].id = sus->id;
    p->instrument.params[0].value = 1.0f;
    p->instrument.n_params = 1;
    const gbp_descriptor_t *chain[] = {&gb_unit_delay, &gb_unit_reverb, &gb_unit_limiter};
    for (int i = 0; fx && i < 3; i++) {
        p->effects[i].desc = chain[i];
        snprintf(p->effects[i].slot, sizeof p->effects[i].slot, "fx%d", i);
    }
    p->n_effects = fx ? 3 : 0;
    return p;
}

static gb_engine_t *bench_engine(const gb_preset_t *p, uint32_t block)
{
    gb_engine_config_t c = gb_engine_config_default();
    c.sample_rate = BENCH_SR;
    c.max_block = block;
    gb_error_t err = {0};
    gb_engine_t *e = gb_engine_new(p, &c, &err);
    if (!e)
        fprintf(stderr, "gbac bench engine: %s\n", err.msg);
    return e;
}

typedef struct live_ctx {
    gb_engine_t *e;
    float l[LIVE_BLOCK], r[LIVE_BLOCK];
} live_ctx_t;

static void run_block(void *p)
{
    live_ctx_t *c = p;
    gb_engine_process(c->e, NULL, 0, c->l, c->r, LIVE_BLOCK);
}

/* Median DSP time of a 64-frame block with 16 voices held, as % of the block's duration. */
static double live_load_pct(int fx, const gbp_descriptor_t *instrument, int samples)
{
    gb_preset_t *p = bench_rack_with(fx, instrument);
    gb_engine_t *e = p ? bench_engine(p, LIVE_BLOCK) : NULL;
    if (!e) {
        free(p);
        return -1;
    }
    live_ctx_t *c = calloc(1, sizeof *c);
    c->e = e;
    gbp_event_t on[16];
    memset(on, 0, sizeof on);
    for (int i = 0; i < 16; i++) {
        on[i].type = GBP_EV_NOTE_ON;
        on[i].key = (uint8_t)(36 + 3 * i);
        on[i].value = 0.8f;
    }
    gb_engine_process(e, on, 16, c->l, c->r, LIVE_BLOCK);
    for (int i = 0; i < 750; i++) /* one second, past every attack */
        run_block(c);
    double ns = gb_bench_median_ns(run_block, c, samples);
    int voices = gb_engine_active_voices(e);
    if (voices != 16)
        fprintf(stderr, "gbac bench engine: expected 16 voices, %d sound\n", voices);
    free(c);
    gb_engine_free(e);
    free(p);
    return ns / (LIVE_BLOCK / BENCH_SR * 1e9) * 100.0;
}

/* Seconds of audio per second of wall time for a 20 s piece with `voices`-note chords changing
 * every half second, in render-sized blocks. */
static double render_rtf(int voices)
{
    gb_preset_t *p = bench_rack(1);
    gb_engine_t *e = p ? bench_engine(p, RENDER_BLOCK) : NULL;
    if (!e) {
        free(p);
        return -1;
    }
    const uint32_t total = (uint32_t)(20 * BENCH_SR), chord = (uint32_t)(BENCH_SR / 2);
    float *l = malloc(sizeof(float) * RENDER_BLOCK), *r = malloc(sizeof(float) * RENDER_BLOCK);
    gbp_event_t ev[2 * 16];
    double t0 = gb_bench_now_ns();
    int step = 0;
    for (uint32_t t = 0; t < total; t += RENDER_BLOCK) {
        uint32_t n = 0;
        uint32_t next = (uint32_t)step * chord;
        if (next >= t && next < t + RENDER_BLOCK) {
            memset(ev, 0, sizeof ev);
            for (int v = 0; v < voices; v++) { /* release the last chord, play the next */
                int prev = 40 + ((step - 1) % 5) * 2 + 3 * v, key = 40 + (step % 5) * 2 + 3 * v;
                if (step > 0)
                    ev[n++] = (gbp_event_t){.time = next - t, .type = GBP_EV_NOTE_OFF,
                                            .key = (uint8_t)prev};
                ev[n++] = (gbp_event_t){.time = next - t, .type = GBP_EV_NOTE_ON,
                                        .key = (uint8_t)key, .value = 0.8f};
            }
            step++;
        }
        gb_engine_process(e, ev, n, l, r, RENDER_BLOCK);
    }
    double wall = (gb_bench_now_ns() - t0) * 1e-9;
    free(l);
    free(r);
    gb_engine_free(e);
    free(p);
    return (total / BENCH_SR) / wall;
}

typedef struct dec_ctx {
    gb_nn_t *nn;
    float in[16 * 10], out[16 * 97];
} dec_ctx_t;

static void run_decode(void *p)
{
    dec_ctx_t *c = p;
    gb_nn_forward(c->nn, c->in, c->out, 16);
}

/* The shipped timbre-VAE decoder: 16 voices in one batched forward, median µs. */
static double decode16_us(int samples)
{
    char tried[8192], path[4200];
    if (gb_share_file("models/timbre-vae.safetensors", path, sizeof path, tried, sizeof tried)) {
        fprintf(stderr, "gbac bench engine: models/timbre-vae.safetensors not found in %s\n",
                tried);
        return -1;
    }
    gb_error_t err = {0};
    gb_model_t *m = gb_model_load(path, 16, &err);
    if (!m) {
        fprintf(stderr, "gbac bench engine: %s\n", err.msg);
        return -1;
    }
    dec_ctx_t *c = calloc(1, sizeof *c);
    c->nn = gb_model_nn(m);
    for (int i = 0; i < 16 * 10; i++)
        c->in[i] = (float)((i * 7) % 11) / 11.0f - 0.5f;
    double ns = gb_bench_median_ns(run_decode, c, samples);
    free(c);
    gb_model_free(m);
    return ns / 1000.0;
}

int gb_bench_engine(const gb_bench_args_t *a)
{
    const int json = a->json, samples = a->samples;
    double synth = live_load_pct(0, &gb_unit_harmsynth, samples);
    double full = live_load_pct(1, &gb_unit_harmsynth, samples);
    double vae = live_load_pct(0, &gb_unit_timbrevae, samples);
    double dec_us = decode16_us(samples);
    double rtf4 = render_rtf(4), rtf16 = render_rtf(16);
    gb_bench_melody_t mel;
    if (gb_bench_melody(&mel) < 0) {
        fprintf(stderr, "gbac bench engine: the gbac.melody-gan unit cannot start (model)\n");
        return GB_EXIT_FAIL;
    }
    if (synth < 0 || full < 0 || rtf4 < 0 || rtf16 < 0 || vae < 0 || dec_us < 0)
        return GB_EXIT_FAIL;
    const double block_us = LIVE_BLOCK / BENCH_SR * 1e6;
    const double mel_pct = 100.0 * mel.worst_us_all / mel.period_us;
    if (json) {
        printf("{\"dsp_load_pct_16v\": %.3f, \"dsp_load_pct_16v_synth\": %.3f, "
               "\"rtf_4v\": %.1f, \"rtf_16v\": %.1f, \"dsp_load_pct_16v_vae\": %.3f, "
               "\"vae_decode_16v_us\": %.3f, \"melody_worst_block_us\": %.2f, "
               "\"melody_worst_block_pct\": %.3f}\n",
               full, synth, rtf4, rtf16, vae, dec_us, mel.worst_us_all, mel_pct);
        return GB_EXIT_OK;
    }
    printf("gbac bench engine — 48 kHz\n\n");
    printf("  DSP load, 16 voices, 64-frame blocks (median of %d):\n", samples);
    printf("    harmonic synth alone          %6.2f %% of one core\n", synth);
    printf("    synth → delay → reverb → limiter %6.2f %% of one core\n", full);
    printf("    timbre-VAE synth alone         %6.2f %% of one core\n", vae);
    printf("  Timbre VAE decoder, 16 voices in one batched forward: %.2f us per control\n"
           "    frame; two control frames (every 32 samples) per 64-frame block = %.1f %% of\n"
           "    its budget\n", dec_us, 100.0 * 2.0 * dec_us / block_us);
    printf("  Melody GAN unit (K = 4), thread CPU time per 64-frame block (each block the least\n"
           "  of 3 runs):\n");
    for (int i = 0; i < mel.n; i++)
        printf("    %-42s worst %6.1f us, 99.9%% %6.1f us, median %5.1f us\n", mel.name[i],
               mel.worst_us[i], mel.p999_us[i], mel.median_us[i]);
    printf("    worst block %.1f us = %.2f %% of the block's period (%.0f us)\n",
           mel.worst_us_all, mel_pct, mel.period_us);
    printf("  Offline render, full rack, 1024-frame blocks:\n");
    printf("    4-voice piece                 %6.0f × real time\n", rtf4);
    printf("    16-voice piece                %6.0f × real time\n", rtf16);
    return GB_EXIT_OK;
}
