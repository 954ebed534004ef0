/* cmd_bench_engine.c — `gbac bench engine`: the engine's DSP load at live settings and its
 * offline real-time factor.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "gb_bench.h"
#include "gb_cli.h"
#include "gb_share.h"
#include "gb_engine.h"
#include "gb_modelfile.h"
#include "gb_nn_kernels.h"
#include "gb_unit_registry.h"

#define BENCH_SR 48000.0
#define LIVE_BLOCK 64u
#define RENDER_BLOCK 1024u

/* The rack measured: the harmonic synth (64 harmonics, 32 noise bands per voice) followed by
 * delay, reverb and limiter, as a shipped preset would have it. `state`: the instrument's
 * state JSON (e.g. another model for the timbre VAE), or NULL. */
static gb_preset_t *bench_rack_with(int fx, const gbp_descriptor_t *instrument,
                                    const char *state);

static gb_preset_t *bench_rack(int fx)
{
    return bench_rack_with(fx, &gb_unit_harmsynth, NULL);
}

static void bench_rack_free(gb_preset_t *p)
{
    if (p)
        free(p->instrument.state_json);
    free(p);
}

static gb_preset_t *bench_rack_with(int fx, const gbp_descriptor_t *instrument,
                                    const char *state)
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
    if (state && !(p->instrument.state_json = strdup(state))) {
        free(p);
        return NULL;
    }
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
static double live_load_pct(int fx, const gbp_descriptor_t *instrument, const char *state,
                            int samples)
{
    gb_preset_t *p = bench_rack_with(fx, instrument, state);
    gb_engine_t *e = p ? bench_engine(p, LIVE_BLOCK) : NULL;
    if (!e) {
        bench_rack_free(p);
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
    bench_rack_free(p);
    return ns / (LIVE_BLOCK / BENCH_SR * 1e9) * 100.0;
}

/* Seconds of audio per second of wall time for a 20 s piece with `voices`-note chords changing
 * every half second, in render-sized blocks. */
static double render_rtf(int voices)
{
    gb_preset_t *p = bench_rack(1);
    gb_engine_t *e = p ? bench_engine(p, RENDER_BLOCK) : NULL;
    if (!e) {
        bench_rack_free(p);
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
    bench_rack_free(p);
    return (total / BENCH_SR) / wall;
}

#define DEC_MAX_IO 256 /* per voice: more than any timbre decoder's inputs or outputs */

typedef struct dec_ctx {
    gb_nn_t *nn;
    float in[16 * DEC_MAX_IO], out[16 * DEC_MAX_IO];
} dec_ctx_t;

static void run_decode(void *p)
{
    dec_ctx_t *c = p;
    gb_nn_forward(c->nn, c->in, c->out, 16);
}

/* The shipped timbre-VAE decoder's file, or -1 (message printed). */
static int shipped_model(char *path, size_t size)
{
    char tried[8192];
    if (gb_share_file("models/timbre-vae.safetensors", path, size, tried, sizeof tried)) {
        fprintf(stderr, "gbac bench engine: models/timbre-vae.safetensors not found in %s\n",
                tried);
        return -1;
    }
    return 0;
}

/* A timbre-VAE decoder: 16 voices in one batched forward, median µs; *macs receives the
 * multiply-adds of one such forward. */
static double decode16_us(const char *path, int samples, double *macs)
{
    gb_error_t err = {0};
    gb_model_t *m = gb_model_load(path, 16, &err);
    if (!m) {
        fprintf(stderr, "gbac bench engine: %s\n", err.msg);
        return -1;
    }
    dec_ctx_t *c = calloc(1, sizeof *c);
    if (!c || gb_nn_in_dim(gb_model_nn(m)) > DEC_MAX_IO ||
        gb_nn_out_dim(gb_model_nn(m)) > DEC_MAX_IO) {
        fprintf(stderr, "gbac bench engine: %s: %s\n", path,
                c ? "decoder wider than the benchmark's buffers" : "out of memory");
        free(c);
        gb_model_free(m);
        return -1;
    }
    c->nn = gb_model_nn(m);
    *macs = 0;
    for (int l = 0; l < gb_nn_n_layers(c->nn); l++) {
        gb_param_info_t pi;
        for (int p = 0; gb_nn_param_info(c->nn, l, p, &pi) == GB_OK; p++)
            *macs += pi.ndim > 1 ? 16.0 * (double)pi.count : 0.0;
    }
    for (int i = 0; i < 16 * gb_nn_in_dim(c->nn); i++)
        c->in[i] = (float)((i * 7) % 11) / 11.0f - 0.5f;
    double ns = gb_bench_median_ns(run_decode, c, samples);
    free(c);
    gb_model_free(m);
    return ns / 1000.0;
}

typedef struct probe_ctx {
    const gb_nn_kernels_t *k;
    int bf16;
    volatile float sink;
} probe_ctx_t;

static void run_probe(void *p)
{
    probe_ctx_t *c = p;
    c->sink = c->bf16 ? c->k->bf16_probe(1000) : c->k->fma_probe(1000);
}

/* Peak multiply-adds per ns of the default family: f32 FMAs, or vdpbf16ps (0 if none). */
static double peak_macs_per_ns(int bf16, int samples)
{
    gb_simd_t simd;
    probe_ctx_t c = {.bf16 = bf16};
    if (gb_simd_default(&simd, NULL) || !(c.k = gb_nn_kernels_for(simd)) ||
        (bf16 && !c.k->bf16_probe))
        return 0.0;
    const int per = bf16 ? 2 * c.k->bf16_per_iter : c.k->fma_per_iter;
    return 1000.0 * per * c.k->lanes / gb_bench_median_ns(run_probe, &c, samples);
}

/* The shipped decoder converted to BF16 weights, in a temporary file; its path in out. */
static int bf16_copy(const char *shipped, char *out, size_t size)
{
    const char *dir = getenv("TMPDIR");
    snprintf(out, size, "%s/gbac-bench-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(out);
    if (fd < 0) {
        fprintf(stderr, "gbac bench engine: cannot create %s: %s\n", out, strerror(errno));
        return -1;
    }
    close(fd);
    gb_error_t err = {0};
    if (gb_model_convert(shipped, out, GB_NN_WTYPE_BF16, &err)) {
        fprintf(stderr, "gbac bench engine: %s\n", err.msg);
        unlink(out);
        return -1;
    }
    return 0;
}

typedef struct engine_results {
    double synth, full, vae, vae_bf16, dec_us, dec_us_bf16, rtf4, rtf16;
    double macs, peak, peak_bf16; /* decoder multiply-adds per forward; probe peaks */
    double transfer;              /* the timbre-transfer path, % of one core */
    double lv2_hosted, lv2_raw;   /* x42 dpl: ns per 64-frame block as a unit / its run() */
    gb_bench_melody_t mel;
} engine_results_t;

static int measure(engine_results_t *r, int samples)
{
    char shipped[4200], bf16[4200], state[4400];
    if (shipped_model(shipped, sizeof shipped) || bf16_copy(shipped, bf16, sizeof bf16))
        return -1;
    snprintf(state, sizeof state, "{\"model\": \"%s\"}", bf16);
    r->synth = live_load_pct(0, &gb_unit_harmsynth, NULL, samples);
    r->full = live_load_pct(1, &gb_unit_harmsynth, NULL, samples);
    r->vae = live_load_pct(0, &gb_unit_timbrevae, NULL, samples);
    r->vae_bf16 = live_load_pct(0, &gb_unit_timbrevae, state, samples);
    r->dec_us = decode16_us(shipped, samples, &r->macs);
    r->dec_us_bf16 = decode16_us(bf16, samples, &r->macs);
    r->peak = peak_macs_per_ns(0, samples);
    r->peak_bf16 = peak_macs_per_ns(1, samples);
    unlink(bf16);
    r->rtf4 = render_rtf(4);
    r->rtf16 = render_rtf(16);
    r->transfer = gb_bench_transfer_pct(samples);
    if (gb_bench_melody(&r->mel) < 0) {
        fprintf(stderr, "gbac bench engine: the gbac.melody-gan unit cannot start (model)\n");
        return -1;
    }
    if (r->transfer < 0 || gb_bench_lv2_overhead(samples, &r->lv2_hosted, &r->lv2_raw) < 0)
        return -1;
    return r->synth < 0 || r->full < 0 || r->vae < 0 || r->vae_bf16 < 0 || r->dec_us < 0 ||
                   r->dec_us_bf16 < 0 || r->rtf4 < 0 || r->rtf16 < 0
               ? -1
               : 0;
}

/* % of a peak rate (multiply-adds per ns) that `macs` in `us` microseconds reach. */
static double pct_peak(double macs, double us, double peak)
{
    return peak > 0 ? 100.0 * macs / (us * 1000.0) / peak : 0.0;
}

static void print_json(const engine_results_t *r)
{
    const double peak16 = r->peak_bf16 > 0 ? r->peak_bf16 : r->peak;
    printf("{\"dsp_load_pct_16v\": %.3f, \"dsp_load_pct_16v_synth\": %.3f, "
           "\"rtf_4v\": %.1f, \"rtf_16v\": %.1f, \"dsp_load_pct_16v_vae\": %.3f, "
           "\"vae_decode_16v_us\": %.3f, \"vae_load_pct_16v\": %.3f, "
           "\"vae_load_pct_16v_bf16\": %.3f, \"vae_decode_16v_us_bf16\": %.3f, "
           "\"vae_decode_pct_peak\": %.1f, \"vae_decode_pct_peak_bf16\": %.1f, "
           "\"peak_macs_per_ns\": %.1f, \"peak_macs_per_ns_bf16\": %.1f, "
           "\"melody_worst_block_us\": %.2f, \"melody_worst_block_pct\": %.3f, "
           "\"lv2_run_ns_64\": %.1f, \"lv2_hosting_overhead_ns_64\": %.1f, "
           "\"transfer_load_pct\": %.3f}\n",
           r->full, r->synth, r->rtf4, r->rtf16, r->vae, r->dec_us, r->vae, r->vae_bf16,
           r->dec_us_bf16, pct_peak(r->macs, r->dec_us, r->peak),
           pct_peak(r->macs, r->dec_us_bf16, peak16), r->peak, r->peak_bf16,
           r->mel.worst_us_all, 100.0 * r->mel.worst_us_all / r->mel.period_us, r->lv2_raw,
           r->lv2_hosted - r->lv2_raw, r->transfer);
}

static void print_melody(const gb_bench_melody_t *mel)
{
    printf("  Melody GAN unit (K = 4), thread CPU time per 64-frame block (each block the least\n"
           "  of 3 runs):\n");
    for (int i = 0; i < mel->n; i++)
        printf("    %-42s worst %6.1f us, 99.9%% %6.1f us, median %5.1f us\n", mel->name[i],
               mel->worst_us[i], mel->p999_us[i], mel->median_us[i]);
    printf("    worst block %.1f us = %.2f %% of the block's period (%.0f us)\n",
           mel->worst_us_all, 100.0 * mel->worst_us_all / mel->period_us, mel->period_us);
}

static void print_table(const engine_results_t *r, int samples)
{
    const double block_us = LIVE_BLOCK / BENCH_SR * 1e6;
    const double peak16 = r->peak_bf16 > 0 ? r->peak_bf16 : r->peak;
    printf("gbac bench engine — 48 kHz\n\n");
    printf("  DSP load, 16 voices, 64-frame blocks (median of %d):\n", samples);
    printf("    harmonic synth alone             %6.2f %% of one core\n", r->synth);
    printf("    synth → delay → reverb → limiter %6.2f %% of one core\n", r->full);
    printf("    timbre-VAE synth alone           %6.2f %% of one core\n", r->vae);
    printf("    the same, decoder in BF16        %6.2f %% of one core (%.2fx)\n", r->vae_bf16,
           r->vae / r->vae_bf16);
    printf("    timbre transfer (audio input)    %6.2f %% of one core\n", r->transfer);
    printf("  Timbre VAE decoder, 16 voices in one batched forward (%.0f multiply-adds):\n"
           "    f32   %6.2f us per control frame, %3.0f %% of the FMA peak (%.1f per ns);\n"
           "          two control frames per 64-frame block = %.2f %% of its budget\n",
           r->macs, r->dec_us, pct_peak(r->macs, r->dec_us, r->peak), r->peak,
           100.0 * 2.0 * r->dec_us / block_us);
    printf("    bf16  %6.2f us per control frame, %3.0f %% of the %s peak (%.1f per ns),\n"
           "          %.2fx the f32 decoder\n",
           r->dec_us_bf16, pct_peak(r->macs, r->dec_us_bf16, peak16),
           r->peak_bf16 > 0 ? "vdpbf16ps" : "FMA", peak16, r->dec_us / r->dec_us_bf16);
    printf("  Offline render, full rack, 1024-frame blocks:\n");
    printf("    4-voice piece                 %6.0f × real time\n", r->rtf4);
    printf("    16-voice piece                %6.0f × real time\n", r->rtf16);
    print_melody(&r->mel);
    printf("  LV2 hosting, x42 dpl limiter, 64-frame blocks:\n");
    printf("    its own run()                 %6.0f ns per block\n", r->lv2_raw);
    printf("    as a gbac unit (process())    %6.0f ns per block: %.0f ns of hosting "
           "overhead (%.3f %% of the block)\n", r->lv2_hosted, r->lv2_hosted - r->lv2_raw,
           100.0 * (r->lv2_hosted - r->lv2_raw) * 1e-3 / block_us);
}

int gb_bench_engine(const gb_bench_args_t *a)
{
    const int json = a->json, samples = a->samples;
    engine_results_t r;
    if (measure(&r, samples))
        return GB_EXIT_FAIL;
    if (json)
        print_json(&r);
    else
        print_table(&r, samples);
    return GB_EXIT_OK;
}
