/* main.c — the gbac command line: the table of commands, dispatch, --version, --man.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_cli.h"
#include "gb_version.h"

static const gb_cmd_t *const commands[] = {
    &gb_cli_live,    &gb_cli_eval,   &gb_cli_bench,   &gb_cli_model,   &gb_cli_analyze,
    &gb_cli_dataset, &gb_cli_preset, &gb_cli_render,  &gb_cli_transfer, &gb_cli_demo,    &gb_cli_train,
    &gb_cli_generate, &gb_cli_midi,  &gb_cli_publish, &gb_cli_plot,    &gb_cli_dump_osc_schema,
    &gb_cli_plugins, &gb_cli_listen_test, NULL,
};

static const gb_cmd_t root = {
    .name = "gbac",
    .summary = "real-time music co-creation host",
    .usage = "gbac COMMAND [OPTIONS]\n"
             "       gbac --help | --version | --dump-osc-schema [--preset P]",
    .description =
        "gbac plays a MIDI keyboard over JACK through a small neural timbre VAE whose latent "
        "space the performer steers, while a small neural melody GAN answers, continues or "
        "accompanies them; everything is steered by MIDI and OSC. Around the live host: data "
        "preparation, CPU training, evaluation, offline rendering, session recording and "
        "publishing with provenance.\n\n"
        "Every command documents its options with --help; options take their value as "
        "`--opt V` or `--opt=V`. Exit status: 0 success, 1 failure (bad file, failed check), "
        "2 usage error.",
    .epilogue =
        "GBAC_SIMD=scalar|avx2|avx512|avx512bf16|neon forces a kernel family (an error if this "
        "CPU lacks it); by default the best one the CPU supports is chosen once at start-up. "
        "GBAC_NN_KERNEL=v1 runs the neural runtime's single-frame products as before issue 14 "
        "(for comparisons; v2, the default, otherwise). "
        "GBAC_PLUGIN_PATH lists folders of external plugins; GBAC_DATA_DIR where presets, "
        "models and the demo phrase are found.\n\n"
        "Under a session manager (NSM_URL set), `gbac` alone runs `gbac live --no-ui` "
        "(docs/nsm.md).",
    .subs = commands,
};

/* The man page on stdout, or into the file path. */
static int man_page(const char *path)
{
    FILE *f = path ? fopen(path, "w") : stdout;
    if (!f) {
        fprintf(stderr, "gbac: %s: cannot write: %s\n", path, strerror(errno));
        return GB_EXIT_FAIL;
    }
    gb_cli_man(&root, GB_VERSION_STRING, f);
    int bad = ferror(f) || (path ? fclose(f) : fflush(f)) != 0;
    if (bad)
        fprintf(stderr, "gbac: cannot write the man page\n");
    return bad ? GB_EXIT_FAIL : GB_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2 && getenv("NSM_URL") && *getenv("NSM_URL")) {
        /* A session manager starts the executable without arguments: play live. */
        char *live_argv[] = {"live", "--no-ui", NULL};
        return gb_cmd_live(2, live_argv);
    }
    if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
        printf("gbac %s\n", GB_VERSION_STRING);
        return GB_EXIT_OK;
    }
    if ((argc == 2 || argc == 3) && strcmp(argv[1], "--man") == 0) /* hidden: the build */
        return man_page(argc == 3 ? argv[2] : NULL);                 /* writes gbac.1 */
    if (argc < 2) {
        gb_cli_help(&root, "gbac", stderr);
        return GB_EXIT_USAGE;
    }
    return gb_cli_run(&root, NULL, argc, argv);
}
