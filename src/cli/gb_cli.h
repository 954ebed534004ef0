/* gb_cli.h — the gbac subcommands. Each lives in its own cmd_*.c file.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every command takes (argc, argv) with argv[0] being the command name (e.g. "bench"),
 * prints its own --help, and returns the process exit status: 0 on success, 1 on a runtime
 * failure (bad file, failed check), 2 on a usage error (unknown option, missing argument).
 */
#ifndef GB_CLI_H
#define GB_CLI_H

#define GB_EXIT_OK 0
#define GB_EXIT_FAIL 1
#define GB_EXIT_USAGE 2

/** `gbac live [--preset P] [--name N] [--server S] ...` — play live over JACK. [main] */
int gb_cmd_live(int argc, char **argv);

/** `gbac eval timbre --model M --data DS [--json] [--map OUT.png]` — evaluate the timbre VAE. [main] */
int gb_cmd_eval(int argc, char **argv);

/** `gbac bench nn [--json] [--runs N]` — neural kernel benchmarks. [main] */
int gb_cmd_bench(int argc, char **argv);

/** `gbac model info FILE` — model card and layer table of a model file. [main] */
int gb_cmd_model(int argc, char **argv);

/** `gbac model convert IN -o OUT --weights bf16|f32` (argv[0] == "convert"). [main] */
int gb_cmd_model_convert(int argc, char **argv);

/** `gbac preset check|list [--plugin-dir DIR]...` — validate presets, list units. [main] */
int gb_cmd_preset(int argc, char **argv);

/** `gbac render --preset P --midi IN.mid -o OUT.wav|OUT.flac [...]` — offline render. [main] */
int gb_cmd_render(int argc, char **argv);

/** `gbac demo [-o OUT.wav] [--preset P]` — render the bundled demo piece. [main] */
int gb_cmd_demo(int argc, char **argv);

/** `gbac analyze NOTE [-o OUT.json] [--hop-ms N] [--channel N|mix]` — one recorded note → its
 *  timbre frames as JSON. [main] */
int gb_cmd_analyze(int argc, char **argv);

/** `gbac dataset timbre -o DIR [--soundfont SF2] [--programs L] [--notes-from FOLDER] ...` —
 *  build the timbre dataset (gb_timbre_ds_build.h). [main] */
int gb_cmd_dataset(int argc, char **argv);

/** `gbac train timbre|melody --data DS --out FILE [...]` — train the timbre VAE or the melody
 *  GAN (CPU). [main] */
int gb_cmd_train(int argc, char **argv);

/** `gbac generate melody --bars N -o OUT.mid [--model M] [--key K] [--meter M] ...` —
 *  generate a melody with the melody GAN. [main] */
int gb_cmd_generate(int argc, char **argv);

/** `gbac midi list` — the MIDI input devices PortMidi sees. [main] */
int gb_cmd_midi(int argc, char **argv);

/** `gbac --dump-osc-schema [--preset P]` — the OSC namespace of a preset's engine as JSON
 *  (argv[0] is "--dump-osc-schema"). [main] */
int gb_cmd_dump_osc_schema(int argc, char **argv);

/** `gbac publish SESSION -o OUT[.tar.gz|.tar] [--title T] [--artist A] [--license L]
 *  [--force]` — a recorded session ready to share: tagged FLAC, MIDI, cover, credits,
 *  provenance. [main] */
int gb_cmd_publish(int argc, char **argv);

/** `gbac plot SESSION|FILE -o OUT.png|OUT.svg [--width W] [--height H]` — spectrogram,
 *  piano roll, timbre latent path and critic scores of a session. [main] */
int gb_cmd_plot(int argc, char **argv);

#endif
