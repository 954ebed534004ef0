/* main.c — the gbac command line: dispatch to subcommands.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_cli.h"
#include "gb_version.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command_t;

static const command_t commands[] = {
    {"live", gb_cmd_live, "play live over JACK (MIDI in, audio and MIDI out, OSC control)"},
    {"eval", gb_cmd_eval, "evaluate a model on held-out data: `eval timbre|melody ...`"},
    {"bench", gb_cmd_bench, "benchmarks: `bench nn` (neural runtime), `bench engine`"},
    {"model", gb_cmd_model, "inspect model files: `model info FILE`"},
    {"analyze", gb_cmd_analyze, "analyse a recorded note into timbre frames: `analyze NOTE.wav`"},
    {"dataset", gb_cmd_dataset, "build a training dataset: `dataset timbre|melody -o DIR`"},
    {"preset", gb_cmd_preset, "check presets, list units: `preset check FILE...`, `preset list`"},
    {"render", gb_cmd_render, "render a MIDI file (and an OSC score) offline to WAV/FLAC"},
    {"demo", gb_cmd_demo, "render the bundled demo piece to gbac-demo.wav"},
    {"train", gb_cmd_train, "train a model on the CPU: `train timbre|melody --data DS --out FILE`"},
    {"generate", gb_cmd_generate, "generate a melody: `generate melody --bars N -o OUT.mid`"},
    {"midi", gb_cmd_midi, "list MIDI input devices (PortMidi): `midi list`"},
    {"publish", gb_cmd_publish, "a recorded session ready to share: `publish SESSION -o OUT`"},
    {"plot", gb_cmd_plot, "draw a session or file: `plot SESSION|FILE -o OUT.png|OUT.svg`"},
};

static void usage(FILE *f)
{
    fprintf(f,
            "gbac %s — real-time music co-creation host\n\n"
            "Usage: gbac COMMAND [OPTIONS]\n"
            "       gbac --help | --version | --dump-osc-schema [--preset P]\n\n"
            "Commands:\n",
            GB_VERSION_STRING);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun `gbac COMMAND --help` for a command's options.\n"
               "Environment: GBAC_SIMD=scalar|avx2|avx512|avx512bf16|neon forces a kernel\n"
               "family; GBAC_NN_KERNEL=v1 the neural runtime's pre-issue-14 kernel path.\n"
               "Under a session manager (NSM_URL set), `gbac` alone runs `gbac live --no-ui`\n"
               "(docs/nsm.md).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 && getenv("NSM_URL") && *getenv("NSM_URL")) {
        /* A session manager starts the executable without arguments: play live. */
        char *live_argv[] = {"live", "--no-ui", NULL};
        return gb_cmd_live(2, live_argv);
    }
    if (argc < 2) {
        usage(stderr);
        return GB_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return GB_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("gbac %s\n", GB_VERSION_STRING);
        return GB_EXIT_OK;
    }
    if (strcmp(argv[1], "--dump-osc-schema") == 0)
        return gb_cmd_dump_osc_schema(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "gbac: unknown command '%s' (see `gbac --help`)\n", argv[1]);
    return GB_EXIT_USAGE;
}
