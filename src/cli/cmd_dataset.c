/* cmd_dataset.c — `gbac dataset timbre -o DIR [...]`: build the timbre VAE's dataset
 * (gb_timbre_ds_build.h); `gbac dataset melody -o DIR [...]`: the melody GAN's (gb_melody_ds_build.h).
 * See docs/dataset.md.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_cli.h"
#include "gb_cli_opts.h"
#include "gb_timbre_ds_build.h"
#include "gb_melody_ds_build.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: gbac dataset timbre -o DIR [OPTIONS]\n"
            "       gbac dataset melody -o DIR [OPTIONS]   (see `gbac dataset melody --help`)\n"
            "       gbac dataset --help\n\n"
            "Build the timbre VAE's dataset in DIR (manifest.json + frames.f32, see\n"
            "docs/dataset.md): render a grid of notes from a SoundFont with FluidSynth\n"
            "and/or read a folder of recorded notes and/or cut solo recordings into notes;\n"
            "trim silence, normalise loudness,\n"
            "drop silent, duplicate and pitchless notes, analyse every note into timbre\n"
            "frames (as `gbac analyze`), and split the notes into train/validation/test.\n\n"
            "Options:\n"
            "  -o, --output DIR       dataset folder (created if missing; files replaced)\n"
            "  --soundfont SF2        SoundFont to render (default %s,\n"
            "                         unless --notes-from or --from-recording is given)\n"
            "  --programs LIST        GM programs, e.g. 0-127 or 0,40,73 (default 0-127;\n"
            "                         bank 0 only: percussion is never rendered)\n"
            "  --keys LIST            MIDI keys (default 36,48,60,72,84)\n"
            "  --velocities LIST      velocities 1..127 (default 40,80,120)\n"
            "  --notes-from FOLDER    also read every .wav/.flac/.ogg in FOLDER (one note each)\n"
            "  --from-recording FILE...  cut solo recordings of one instrument (anything\n"
            "                         libsndfile reads, up to 30 min each, channels mixed)\n"
            "                         into notes by onset, f0 and stability; the files\n"
            "                         follow the option until the next option\n"
            "  --sample-rate HZ       dataset sample rate (default 48000)\n"
            "  --note-s S             seconds each rendered key is held (default 1.0; 0.5 s of\n"
            "                         release tail follows; see --release-s)\n"
            "  --release-s S          seconds rendered after note-off (default 0.5)\n"
            "  --seed N               seed of the train/validation/test split (default 1)\n"
            "  --split T,V,E          split shares summing to 1 (default 0.8,0.1,0.1)\n"
            "  --noise-gate-db X      spectral noise gate: zero STFT bins more than -X dB\n"
            "                         below the note's loudest bin (X < 0, e.g. -60; default off)\n"
            "  --licence TEXT         licence recorded in the manifest (default: MIT for\n"
            "                         FluidR3_GM alone, else unknown)\n"
            "  -q, --quiet            no progress on stderr\n"
            "  -h, --help             show this help\n\n"
            "Exit status: 0 on success; 1 if the SoundFont, folder or a recording cannot be\n"
            "read (not audio, no samples, sample rate outside 8000..384000 Hz), DIR\n"
            "cannot be written, or no note is left (the reason is printed on stderr); 2 on\n"
            "a usage error.\n",
            GB_DATASET_DEFAULT_SF2);
}

/* "0-7,40,73" → out[0 .. *n), each in lo..hi, at most cap. Returns 0 or −1. */
static int parse_list(const char *s, int lo, int hi, int *out, int *n, int cap)
{
    *n = 0;
    while (*s) {
        char *end;
        errno = 0;
        long a = strtol(s, &end, 10), b;
        if (end == s || errno)
            return -1;
        s = end;
        b = a;
        if (*s == '-') {
            b = strtol(++s, &end, 10);
            if (end == s || errno)
                return -1;
            s = end;
        }
        if (a < lo || b > hi || b < a)
            return -1;
        for (long v = a; v <= b; v++) {
            if (*n >= cap)
                return -1;
            out[(*n)++] = (int)v;
        }
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return *n > 0 ? 0 : -1;
}

static int parse_num(const char *v, double lo, double hi, double *out)
{
    char *end;
    const double d = strtod(v, &end);
    if (end == v || *end || !(d >= lo && d <= hi))
        return -1;
    *out = d;
    return 0;
}

static void usage_melody(FILE *f)
{
    fprintf(f,
            "Usage: gbac dataset melody -o DIR [OPTIONS]\n\n"
            "Build the melody GAN's dataset in DIR (manifest.json + bars.bin, see\n"
            "docs/dataset.md and models/gb_melody_ds.h): read every .mid/.midi in a folder,\n"
            "keep the highest sounding note, quantise to 16th-note steps with the file's\n"
            "time signature, detect the key and move it to C major / A minor, cut bar\n"
            "records (previous bar as context), split by tune into train/validation/test\n"
            "and transpose the train tunes for augmentation. Unreadable files are skipped\n"
            "and counted.\n\n"
            "Options:\n"
            "  -o, --output DIR       dataset folder (created if missing; files replaced)\n"
            "  --from FOLDER          MIDI files (default %s)\n"
            "  --seed N               seed of the split (default 1)\n"
            "  --split T,V,E          split shares summing to 1 (default 0.8,0.1,0.1)\n"
            "  --transpose LO..HI     augmentation of train tunes in semitones, -11..11\n"
            "                         (default -5..6; 0..0 = none)\n"
            "  -q, --quiet            no progress on stderr\n"
            "  -h, --help             show this help\n\n"
            "Exit status: 0 on success; 1 if the folder cannot be read, DIR cannot be\n"
            "written or no tune is left; 2 on a usage error.\n",
            GB_MELODY_DEFAULT_FROM);
}

static int cmd_dataset_melody(int argc, char **argv)
{
    gb_melody_ds_build_config_t cfg;
    gb_melody_ds_build_config_init(&cfg);
    cfg.progress = stderr;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0, bad = 0;
        double d;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage_melody(stdout);
            return GB_EXIT_OK;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            cfg.progress = NULL;
        } else if ((v = gb_opt_value(argc, argv, &i, "--output", &missing)) ||
                   (v = gb_opt_value(argc, argv, &i, "-o", &missing))) {
            cfg.out_dir = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--from", &missing))) {
            cfg.from_dir = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--seed", &missing))) {
            bad = !missing && (parse_num(v, 0, 4294967295.0, &d) < 0 || d != floor(d));
            if (!bad && !missing)
                cfg.seed = (uint32_t)d;
        } else if ((v = gb_opt_value(argc, argv, &i, "--transpose", &missing))) {
            int lo, hi, used = 0;
            bad = !missing && (sscanf(v, "%d..%d%n", &lo, &hi, &used) != 2 ||
                               v[used] != '\0' || lo < -11 || hi > 11 || lo > hi);
            if (!bad && !missing) {
                cfg.transpose_lo = lo;
                cfg.transpose_hi = hi;
            }
        } else if ((v = gb_opt_value(argc, argv, &i, "--split", &missing))) {
            char *e1, *e2, *e3;
            if (!missing) {
                cfg.split[0] = strtod(v, &e1);
                bad = *e1 != ',';
                cfg.split[1] = bad ? 0 : strtod(e1 + 1, &e2);
                bad = bad || *e2 != ',';
                cfg.split[2] = bad ? 0 : strtod(e2 + 1, &e3);
                bad = bad || *e3 || !(cfg.split[0] >= 0 && cfg.split[1] >= 0 &&
                                      cfg.split[2] >= 0) ||
                      fabs(cfg.split[0] + cfg.split[1] + cfg.split[2] - 1.0) > 1e-6;
            }
        } else {
            fprintf(stderr, "gbac dataset melody: unknown option or argument '%s' (see "
                            "`gbac dataset melody --help`)\n", a);
            return GB_EXIT_USAGE;
        }
        if (missing) {
            fprintf(stderr, "gbac dataset melody: %s needs a value\n", a);
            return GB_EXIT_USAGE;
        }
        if (bad) {
            fprintf(stderr, "gbac dataset melody: %s: bad value '%s' (see `gbac dataset "
                            "melody --help`)\n", a, v);
            return GB_EXIT_USAGE;
        }
    }
    if (!cfg.out_dir) {
        fprintf(stderr, "gbac dataset melody: missing -o DIR (see `gbac dataset melody "
                        "--help`)\n");
        return GB_EXIT_USAGE;
    }
    gb_melody_ds_build_result_t res;
    gb_error_t err = {0};
    if (gb_melody_ds_build(&cfg, &res, &err) < 0) {
        fprintf(stderr, "gbac dataset melody: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    if (cfg.progress) {
        fprintf(stderr,
                "gbac dataset melody: wrote %s: %d files, %d skipped; %d tunes (%d train, %d "
                "validation, %d test); %u bars, %u records with augmentation; bars by meter:",
                cfg.out_dir, res.files, res.skipped, res.tunes, res.train, res.validation,
                res.test, res.bars, res.records);
        for (int m = 0; m < res.n_meters; m++)
            fprintf(stderr, " %d/%d %u", res.meters[m].num, res.meters[m].den,
                    res.meters[m].bars);
        fprintf(stderr, "\n");
    }
    return GB_EXIT_OK;
}

int gb_cmd_dataset(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return GB_EXIT_OK;
    }
    if (argc >= 2 && strcmp(argv[1], "melody") == 0)
        return cmd_dataset_melody(argc, argv);
    if (argc < 2 || strcmp(argv[1], "timbre") != 0) {
        fprintf(stderr, "gbac dataset: %s (see `gbac dataset --help`)\n",
                argc < 2 ? "missing the kind of dataset: `gbac dataset timbre -o DIR` or "
                           "`gbac dataset melody -o DIR`"
                         : "unknown kind of dataset; 'timbre' and 'melody' exist");
        return GB_EXIT_USAGE;
    }
    gb_timbre_ds_build_config_t cfg;
    gb_timbre_ds_build_config_init(&cfg);
    cfg.progress = stderr;
    const char *sf2 = NULL;
    const char *recs[GB_DATASET_MAX_RECORDINGS];
    cfg.recordings = recs;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0, bad = 0;
        double d;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return GB_EXIT_OK;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            cfg.progress = NULL;
        } else if ((v = gb_opt_value(argc, argv, &i, "--output", &missing)) ||
                   (v = gb_opt_value(argc, argv, &i, "-o", &missing))) {
            cfg.out_dir = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--soundfont", &missing))) {
            sf2 = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--notes-from", &missing))) {
            cfg.notes_dir = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--from-recording", &missing))) {
            for (int first = 1; !missing; first = 0) { /* FILE... up to the next option */
                if (!first && (i + 1 >= argc || argv[i + 1][0] == '-'))
                    break;
                if (!first)
                    v = argv[++i];
                if (cfg.n_recordings == GB_DATASET_MAX_RECORDINGS) {
                    fprintf(stderr, "gbac dataset: --from-recording: at most %d files\n",
                            GB_DATASET_MAX_RECORDINGS);
                    return GB_EXIT_USAGE;
                }
                recs[cfg.n_recordings++] = v;
            }
        } else if ((v = gb_opt_value(argc, argv, &i, "--licence", &missing))) {
            cfg.licence = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--programs", &missing))) {
            bad = !missing && parse_list(v, 0, 127, cfg.programs, &cfg.n_programs, 128) < 0;
        } else if ((v = gb_opt_value(argc, argv, &i, "--keys", &missing))) {
            bad = !missing && parse_list(v, 0, 127, cfg.keys, &cfg.n_keys, 128) < 0;
        } else if ((v = gb_opt_value(argc, argv, &i, "--velocities", &missing))) {
            bad = !missing &&
                  parse_list(v, 1, 127, cfg.velocities, &cfg.n_velocities, 127) < 0;
        } else if ((v = gb_opt_value(argc, argv, &i, "--sample-rate", &missing))) {
            bad = !missing && parse_num(v, 8000, 192000, &cfg.sample_rate) < 0;
        } else if ((v = gb_opt_value(argc, argv, &i, "--note-s", &missing))) {
            bad = !missing && parse_num(v, 0.05, 10, &cfg.note_s) < 0;
        } else if ((v = gb_opt_value(argc, argv, &i, "--release-s", &missing))) {
            bad = !missing && parse_num(v, 0, 5, &cfg.release_s) < 0;
        } else if ((v = gb_opt_value(argc, argv, &i, "--noise-gate-db", &missing))) {
            bad = !missing && parse_num(v, -200, 0, &cfg.noise_gate_db) < 0;
        } else if ((v = gb_opt_value(argc, argv, &i, "--seed", &missing))) {
            bad = !missing && (parse_num(v, 0, 4294967295.0, &d) < 0 || d != floor(d));
            if (!bad && !missing)
                cfg.seed = (uint32_t)d;
        } else if ((v = gb_opt_value(argc, argv, &i, "--split", &missing))) {
            char *e1, *e2, *e3;
            if (!missing) {
                cfg.split[0] = strtod(v, &e1);
                bad = *e1 != ',';
                cfg.split[1] = bad ? 0 : strtod(e1 + 1, &e2);
                bad = bad || *e2 != ',';
                cfg.split[2] = bad ? 0 : strtod(e2 + 1, &e3);
                bad = bad || *e3 || !(cfg.split[0] >= 0 && cfg.split[1] >= 0 &&
                                      cfg.split[2] >= 0) ||
                      fabs(cfg.split[0] + cfg.split[1] + cfg.split[2] - 1.0) > 1e-6;
            }
        } else {
            fprintf(stderr, "gbac dataset: unknown option or argument '%s' (see `gbac dataset "
                            "--help`)\n", a);
            return GB_EXIT_USAGE;
        }
        if (missing) {
            fprintf(stderr, "gbac dataset: %s needs a value\n", a);
            return GB_EXIT_USAGE;
        }
        if (bad) {
            fprintf(stderr, "gbac dataset: %s: bad value '%s' (see `gbac dataset --help`)\n",
                    a, v);
            return GB_EXIT_USAGE;
        }
    }
    if (!cfg.out_dir) {
        fprintf(stderr, "gbac dataset: missing -o DIR (see `gbac dataset --help`)\n");
        return GB_EXIT_USAGE;
    }
    cfg.soundfont = sf2                                    ? sf2
                    : cfg.notes_dir || cfg.n_recordings > 0 ? NULL
                                                           : GB_DATASET_DEFAULT_SF2;

    gb_timbre_ds_build_result_t res;
    gb_error_t err = {0};
    if (gb_timbre_ds_build(&cfg, &res, &err) < 0) {
        fprintf(stderr, "gbac dataset: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    if (cfg.progress)
        fprintf(stderr,
                "gbac dataset: wrote %s: %d notes (%d train, %d validation, %d test), %u "
                "frames; dropped %d silent, %d duplicate, %d without pitch; %d files "
                "unreadable; render %.1f s, analysis %.1f s\n",
                cfg.out_dir, res.notes, res.train, res.validation, res.test, res.frames,
                res.silent_dropped, res.duplicates_dropped, res.no_pitch_dropped,
                res.unreadable_skipped, res.render_s, res.analyse_s);
    if (cfg.progress && cfg.n_recordings > 0)
        fprintf(stderr,
                "gbac dataset: %d recording%s: %d onsets; dropped %d segments without a "
                "stable pitch or too short, %d clipped notes\n",
                res.recordings, res.recordings == 1 ? "" : "s", res.onsets,
                res.unstable_dropped, res.clipped_dropped);
    return GB_EXIT_OK;
}
