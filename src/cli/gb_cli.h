/* gb_cli.h — the gbac commands: one table each (gb_cli_opts.h), in its own cmd_*.c file.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each table drives the command's parser, --help and its part of the man page. The
 * gb_cmd_*() functions run one command as main() does: argv[0] is the command's name (e.g.
 * "render"); they return the process exit status: 0 on success, 1 on a runtime failure (bad
 * file, failed check), 2 on a usage error (unknown option, bad or missing value).
 */
#ifndef GB_CLI_H
#define GB_CLI_H

#include "gb_cli_opts.h"

extern const gb_cmd_t gb_cli_live, gb_cli_eval, gb_cli_bench, gb_cli_model, gb_cli_analyze,
    gb_cli_dataset, gb_cli_preset, gb_cli_render, gb_cli_demo, gb_cli_train, gb_cli_generate,
    gb_cli_midi, gb_cli_publish, gb_cli_plot, gb_cli_dump_osc_schema, gb_cli_plugins,
    gb_cli_transfer, gb_cli_listen_test;

/* `gbac model convert` (cmd_model_convert.c), a subcommand of gb_cli_model. */
extern const gb_cmd_t gb_cli_model_convert;

/* Define `int fn(int argc, char **argv)` running the table `cmd` under "gbac". */
#define GB_CLI_ENTRY(fn, cmd)                                                                \
    int fn(int argc, char **argv)                                                            \
    {                                                                                        \
        return gb_cli_run(&cmd, "gbac", argc, argv);                                         \
    }

/** `gbac live [--preset P] [OPTIONS]` — play live over JACK. [main] */
int gb_cmd_live(int argc, char **argv);

/** `gbac eval timbre|melody ...` — evaluate a model on held-out data. [main] */
int gb_cmd_eval(int argc, char **argv);

/** `gbac bench nn|engine [--json] [--samples N]` — benchmarks. [main] */
int gb_cmd_bench(int argc, char **argv);

/** `gbac model info [--json] FILE` — model card and layer table of a model file. [main] */
int gb_cmd_model(int argc, char **argv);


/** `gbac preset check|list [--plugin-dir DIR]...` — validate presets, list units. [main] */
int gb_cmd_preset(int argc, char **argv);

/** `gbac render --preset P --midi IN.mid -o OUT.wav|OUT.flac [...]` — offline render. [main] */
int gb_cmd_render(int argc, char **argv);

/** `gbac transfer IN -o OUT [--preset P]` — offline timbre transfer. [main] */
int gb_cmd_transfer(int argc, char **argv);

/** `gbac demo [-o OUT.wav] [--preset P]` — render the bundled demo piece. [main] */
int gb_cmd_demo(int argc, char **argv);

/** `gbac analyze [OPTIONS] NOTE` — one recorded note → its timbre frames as JSON. [main] */
int gb_cmd_analyze(int argc, char **argv);

/** `gbac dataset timbre|melody -o DIR [...]` — build a training dataset. [main] */
int gb_cmd_dataset(int argc, char **argv);

/** `gbac train timbre|melody --data DS --out FILE [...]` — train a model (CPU). [main] */
int gb_cmd_train(int argc, char **argv);

/** `gbac generate melody --bars N -o OUT.mid [...]` — generate with the melody GAN. [main] */
int gb_cmd_generate(int argc, char **argv);

/** `gbac midi list` — the MIDI input devices PortMidi sees. [main] */
int gb_cmd_midi(int argc, char **argv);

/** `gbac --dump-osc-schema [--preset P]` — the OSC namespace of a preset's engine as JSON
 *  (argv[0] is "--dump-osc-schema"). [main] */
int gb_cmd_dump_osc_schema(int argc, char **argv);

/** `gbac listen-test --http PORT --pairs N [--out FILE]` — a blind A/B listening test in the
 *  browser. [main] */
int gb_cmd_listen_test(int argc, char **argv);

/** `gbac publish SESSION -o OUT [...]` — a recorded session ready to share. [main] */
int gb_cmd_publish(int argc, char **argv);

/** `gbac plot SESSION|FILE -o OUT.png|OUT.svg [...]` — the picture of a session. [main] */
int gb_cmd_plot(int argc, char **argv);

#endif
