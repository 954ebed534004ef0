/* gb_bench.h — benchmark suites and their shared timing helpers.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Benchmarks report medians of many timed samples after a warm-up, measured side by side in
 * one run, so ratios between variants are meaningful even on a noisy machine.
 */
#ifndef GB_BENCH_H
#define GB_BENCH_H

#include <stdio.h>

/** The options every suite takes (one table in cmd_bench.c). */
typedef struct gb_bench_args {
    int json;    /* 1: one JSON document instead of the table */
    int samples; /* timed samples per median */
} gb_bench_args_t;

/** `gbac bench nn`: returns an exit status. [main] */
int gb_bench_nn(const gb_bench_args_t *a);

/** `gbac bench engine`: returns an exit status. [main] */
int gb_bench_engine(const gb_bench_args_t *a);

/** The gbac.melody-gan unit's cost per 64-frame block at 48 kHz (cmd_bench_melody.c): thread
 *  CPU time per block over 24 bars at 120 BPM in each situation, the best of 3 runs. */
typedef struct gb_bench_melody {
    int n;
    const char *name[3];
    double worst_us[3], p999_us[3], median_us[3];
    double worst_us_all, period_us;
} gb_bench_melody_t;

/** Measure it (the shipped model). Returns 0, or -1 when the unit cannot start. [main] */
int gb_bench_melody(gb_bench_melody_t *r);

/** The x42 dpl limiter hosted as a unit: ns per 64-frame block of process() (*hosted_ns) and of
 *  its own run() alone (*raw_ns). 0, or -1 (said on stderr) when it is not installed. [main] */
int gb_bench_lv2_overhead(int samples, double *hosted_ns, double *raw_ns);

/** Median DSP time of a 64-frame block of the timbre-transfer path (the timbre-VAE
 *  instrument following an audio input, no keyboard voices) at 48 kHz, as % of the block's
 *  duration; −1 on failure (said on stderr). [main] */
double gb_bench_transfer_pct(int samples);

/** Monotonic clock in nanoseconds. [any] */
double gb_bench_now_ns(void);

/** Median of n doubles (sorts the array in place). [any] */
double gb_bench_median(double *v, int n);

/** Time fn(ctx) and return the median ns per call: a warm-up, then `samples` samples of
 *  enough calls each to last about 20 µs. [main] */
double gb_bench_median_ns(void (*fn)(void *ctx), void *ctx, int samples);

#endif
