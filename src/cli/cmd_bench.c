/* cmd_bench.c — `gbac bench nn|engine`: the benchmark suites' table.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stddef.h>

#include "gb_bench.h"
#include "gb_cli.h"

static void nn_init(void *p)
{
    ((gb_bench_args_t *)p)->samples = 101;
}

static void engine_init(void *p)
{
    ((gb_bench_args_t *)p)->samples = 2001;
}

/* Both suites take the same options. */
static const gb_opt_t bench_opts[] = {
    {.name = "json", .kind = GB_OPT_FLAG, .off = offsetof(gb_bench_args_t, json),
     .flags = GB_OPT_USAGE, .help = "print one JSON document instead of the table"},
    {.name = "samples", .arg = "N", .kind = GB_OPT_INT, .off = offsetof(gb_bench_args_t, samples),
     .lo = 5, .hi = 1000000, .flags = GB_OPT_USAGE,
     .help = "timed samples per median, {range} (default {default})"},
};

static int nn_run(void *p, const gb_cli_call_t *call)
{
    (void)call;
    return gb_bench_nn(p);
}

static int engine_run(void *p, const gb_cli_call_t *call)
{
    (void)call;
    return gb_bench_engine(p);
}

static const gb_cmd_t bench_nn = {
    .name = "nn",
    .summary = "neural runtime kernels: median ns per frame for every kernel family this CPU "
               "has, against an OpenBLAS reference path",
    .description =
        "Median ns per frame of one forward on the shapes:\n\n"
        "  dense64_tanh       Dense 64→64 + tanh, batch 1\n"
        "  mlp16_128_128_64   Dense 16→128→128→64, ReLU between, batch 1 and 8\n"
        "  gru8_64            GRU input 8, hidden 64, one step, batch 1\n"
        "  conv1d16_k3        Conv1D 16→16 channels, kernel 3, one streaming step\n\n"
        "for every kernel family this CPU has (scalar, avx2, avx512, avx512bf16, neon):\n\n"
        "  FAMILY        f32 weights, the default kernel path (v2)\n"
        "  FAMILY-v1     f32 weights, the kernel path as before issue 14 (GBAC_NN_KERNEL=v1)\n"
        "  FAMILY-bf16   bf16 weights (avx512bf16: on vdpbf16ps; others: widened to f32)\n\n"
        "and an OpenBLAS reference path. Speed-ups are printed against the start (the default "
        "family's f32 v1 row), scalar and OpenBLAS; \"% peak\" is the shape's multiply-adds per "
        "frame over the peak multiply-add rate measured on this CPU in the same run (bf16 on "
        "vdpbf16ps: its own peak; OpenBLAS: the fastest family's), and \"% L2\" its weight "
        "bytes per frame over the rate measured for streaming a buffer from L2.\n\n"
        "With --json: one JSON array of {\"shape\", \"kernel\", \"batch\", \"ns_per_frame\", "
        "\"family\", \"weights\", \"path\", \"pct_peak\", \"pct_l2\", \"peak_macs_per_ns\", "
        "\"l2_bytes_per_ns\"}. GBAC_SIMD and GBAC_NN_KERNEL do not apply here: every variant is "
        "measured.",
    GB_CLI_LEAF(bench_opts, gb_bench_args_t, nn_init, nn_run),
};

static const gb_cmd_t bench_engine = {
    .name = "engine",
    .summary = "DSP load of 16 voices at 48 kHz / 64 frames, offline real-time factor of 4- "
               "and 16-voice pieces",
    .description =
        "DSP load: median time to process one 64-frame block at 48 kHz with 16 voices held "
        "(harmonic synth: 64 harmonics + 32 noise bands per voice), as % of the block's "
        "real-time budget (1.33 ms), for the synth alone and for the full rack synth → delay → "
        "reverb → limiter.\n\n"
        "Offline: real-time factor (seconds of audio per second of wall time) of a 20 s piece "
        "of 4-note and of 16-note chords through the full rack, 1024-frame blocks.\n\n"
        "Timbre VAE: the 16-voice load of the gbac.timbre-vae synth with the shipped "
        "decoder, and with the same decoder converted to BF16 weights (`gbac model convert`); "
        "the decoder's time for 16 voices in one batched forward, with its share of the core's "
        "peak multiply-add rate measured in the same run (f32 FMAs; vdpbf16ps for BF16 where "
        "the CPU has it); the timbre-transfer path (the synth following an audio input: pitch "
        "tracker + one decoded voice, no keys held).\n\n"
        "Melody GAN: the gbac.melody-gan unit's thread CPU time per 64-frame block (worst, "
        "99.9th percentile, median; each block the least of 3 runs of 24 bars at 120 BPM, so "
        "time taken by other processes does not count) in free mode, in accompany mode with a "
        "new chord on every bar line (every bar computed late, as it plays) and answering "
        "2-bar calls; the worst against the block's period (1.33 ms).\n\n"
        "LV2: the x42 dpl limiter's own run() per 64-frame block and the same plugin as a "
        "gbac unit; the difference is the hosting overhead.\n\n"
        "With --json: {\"dsp_load_pct_16v\", \"dsp_load_pct_16v_synth\", \"rtf_4v\", "
        "\"rtf_16v\", \"dsp_load_pct_16v_vae\", \"vae_decode_16v_us\", \"vae_load_pct_16v\", "
        "\"vae_load_pct_16v_bf16\", \"vae_decode_16v_us_bf16\", \"vae_decode_pct_peak\", "
        "\"vae_decode_pct_peak_bf16\", \"peak_macs_per_ns\", \"peak_macs_per_ns_bf16\", "
        "\"melody_worst_block_us\", \"melody_worst_block_pct\", \"lv2_run_ns_64\", "
        "\"lv2_hosting_overhead_ns_64\", \"transfer_load_pct\"}.",
    GB_CLI_LEAF(bench_opts, gb_bench_args_t, engine_init, engine_run),
};

const gb_cmd_t gb_cli_bench = {
    .name = "bench",
    .summary = "benchmarks: `bench nn` (neural runtime), `bench engine`",
    .description = "Benchmarks report medians of many timed samples after a warm-up, measured "
                   "side by side in one run, with ratios and the share of the core's measured "
                   "peak.",
    GB_CLI_SUBS(&bench_nn, &bench_engine),
};

GB_CLI_ENTRY(gb_cmd_bench, gb_cli_bench)
