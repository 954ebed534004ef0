/* bench_util.c — timing helpers shared by the benchmark suites.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gb_bench.h"
#include "gb_cli.h"

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

int gb_bench_options(int argc, char **argv, const char *suite, void (*usage)(FILE *f),
                     int *json, int *samples)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            *json = 1;
        } else if (strcmp(argv[i], "--samples") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 5 || v > 1000000) {
                fprintf(stderr, "gbac bench %s: --samples %s: expected a number 5..1000000\n",
                        suite, argv[i]);
                return GB_EXIT_USAGE;
            }
            *samples = (int)v;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return GB_EXIT_OK;
        } else {
            fprintf(stderr, "gbac bench %s: unknown option '%s' (see --help)\n", suite, argv[i]);
            return GB_EXIT_USAGE;
        }
    }
    return -1;
}
