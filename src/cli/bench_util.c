/* bench_util.c — timing helpers shared by the benchmark suites.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gb_bench.h"

double gb_bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double gb_bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double gb_bench_median_ns(void (*fn)(void *ctx), void *ctx, int samples)
{
    /* Warm up caches and branch predictors, and find a repeat count per sample. */
    long reps = 1;
    for (;;) {
        double t0 = gb_bench_now_ns();
        for (long r = 0; r < reps; r++)
            fn(ctx);
        double dt = gb_bench_now_ns() - t0;
        if (dt > 20000.0 || reps > (1L << 24))
            break;
        reps *= 2;
    }
    double *v = malloc(sizeof *v * (size_t)samples);
    if (!v)
        return -1.0;
    for (int s = 0; s < samples; s++) {
        double t0 = gb_bench_now_ns();
        for (long r = 0; r < reps; r++)
            fn(ctx);
        v[s] = (gb_bench_now_ns() - t0) / (double)reps;
    }
    double m = gb_bench_median(v, samples);
    free(v);
    return m;
}
