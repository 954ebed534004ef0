/* cmd_bench.c — `gbac bench WHAT`: dispatch to the benchmark suites.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <string.h>

#include "gb_bench.h"
#include "gb_cli.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: gbac bench SUITE [OPTIONS]\n\n"
               "Suites:\n"
               "  nn       neural runtime kernels: median ns per frame for every kernel family\n"
               "           this CPU has, against an OpenBLAS reference path\n"
               "  engine   DSP load of 16 voices at 48 kHz / 64 frames, offline real-time\n"
               "           factor of 4- and 16-voice pieces\n\n"
               "Run `gbac bench SUITE --help` for the suite's options.\n");
}

int gb_cmd_bench(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return GB_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return GB_EXIT_OK;
    }
    if (strcmp(argv[1], "nn") == 0)
        return gb_bench_nn(argc - 1, argv + 1);
    if (strcmp(argv[1], "engine") == 0)
        return gb_bench_engine(argc - 1, argv + 1);
    fprintf(stderr, "gbac bench: unknown suite '%s' (see `gbac bench --help`)\n", argv[1]);
    return GB_EXIT_USAGE;
}
