/* cmd_dataset.c — `gbac dataset timbre -o DIR [...]`: build the timbre VAE's dataset
 * (gb_timbre_ds_build.h); `gbac dataset melody -o DIR [...]`: the melody GAN's
 * (gb_melody_ds_build.h). See docs/dataset.md.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_cli.h"
#include "gb_melody_ds_build.h"
#include "gb_timbre_ds_build.h"

/* ---------------------------------------------------------------- values */

typedef struct int_list {
    int v[128], n;
} int_list_t;

/* "0-7,40,73" → l, each in lo..hi. Returns 0 or −1. */
static int parse_list(const char *s, int lo, int hi, int_list_t *l)
{
    l->n = 0;
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
            if (l->n >= (int)(sizeof l->v / sizeof l->v[0]))
                return -1;
            l->v[l->n++] = (int)v;
        }
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return l->n > 0 ? 0 : -1;
}

static int parse_midi_list(const char *s, void *field)
{
    return parse_list(s, 0, 127, field);
}

static int parse_velocity_list(const char *s, void *field)
{
    return parse_list(s, 1, 127, field);
}

/* "T,V,E": three shares >= 0 summing to 1. */
static int parse_split(const char *v, void *field)
{
    double *split = field, x[3];
    char *e;
    for (int i = 0; i < 3; i++) {
        x[i] = strtod(v, &e);
        if (e == v || *e != (i < 2 ? ',' : '\0') || !(x[i] >= 0))
            return -1;
        v = e + 1;
    }
    if (fabs(x[0] + x[1] + x[2] - 1.0) > 1e-6)
        return -1;
    memcpy(split, x, sizeof x);
    return 0;
}

/* "LO..HI" semitones, -11 <= LO <= HI <= 11. */
static int parse_transpose(const char *v, void *field)
{
    int *t = field, lo, hi, used = 0;
    if (sscanf(v, "%d..%d%n", &lo, &hi, &used) != 2 || v[used] != '\0' || lo < -11 ||
        hi > 11 || lo > hi)
        return -1;
    t[0] = lo;
    t[1] = hi;
    return 0;
}

/* ---------------------------------------------------------------- gbac dataset timbre */

typedef struct timbre_args {
    gb_timbre_ds_build_config_t cfg;
    int_list_t programs, keys, velocities;
    const char *recs[GB_DATASET_MAX_RECORDINGS];
    int n_recs;
    int quiet;
} timbre_args_t;

static void timbre_init(void *p)
{
    gb_timbre_ds_build_config_init(&((timbre_args_t *)p)->cfg);
}

#define A(f) offsetof(timbre_args_t, f)
static const gb_opt_t timbre_opts[] = {
    {.name = "output", .short_name = 'o', .arg = "DIR", .kind = GB_OPT_STRING,
     .off = A(cfg.out_dir), .flags = GB_OPT_REQUIRED | GB_OPT_NONEMPTY,
     .what = "a folder name", .help = "dataset folder (created if missing; files replaced)"},
    {.name = "soundfont", .arg = "SF2", .kind = GB_OPT_STRING, .off = A(cfg.soundfont),
     .help = "SoundFont to render (default " GB_DATASET_DEFAULT_SF2
             ", unless --notes-from or --from-recording is given)"},
    {.name = "programs", .arg = "LIST", .kind = GB_OPT_CUSTOM, .off = A(programs),
     .parse = parse_midi_list, .what = "a list of GM programs 0..127 such as 0-7,40,73",
     .help = "GM programs, e.g. 0-127 or 0,40,73 (default 0-127; bank 0 only: percussion is "
             "never rendered)"},
    {.name = "keys", .arg = "LIST", .kind = GB_OPT_CUSTOM, .off = A(keys),
     .parse = parse_midi_list, .what = "a list of MIDI keys 0..127 such as 36,48,60",
     .help = "MIDI keys (default 36,48,60,72,84)"},
    {.name = "velocities", .arg = "LIST", .kind = GB_OPT_CUSTOM, .off = A(velocities),
     .parse = parse_velocity_list, .what = "a list of velocities 1..127 such as 40,80,120",
     .help = "velocities 1..127 (default 40,80,120)"},
    {.name = "notes-from", .arg = "FOLDER", .kind = GB_OPT_STRING, .off = A(cfg.notes_dir),
     .help = "also read every .wav/.flac/.ogg in FOLDER (one note each)"},
    {.name = "from-recording", .arg = "FILE", .kind = GB_OPT_APPEND, .off = A(recs),
     .count_off = A(n_recs), .max = GB_DATASET_MAX_RECORDINGS, .flags = GB_OPT_NONEMPTY,
     .what = "an audio file",
     .help = "cut a solo recording of one instrument (anything libsndfile reads, up to 30 "
             "min, channels mixed) into notes by onset, f0 and stability (docs/dataset.md "
             "§6); repeatable, and the FILEs after the options are recordings too (at most "
             "{max} in all)"},
    {.name = "sample-rate", .arg = "HZ", .kind = GB_OPT_DOUBLE, .off = A(cfg.sample_rate),
     .lo = 8000, .hi = 192000, .what = "a sample rate in Hz",
     .help = "dataset sample rate, {range} (default {default})"},
    {.name = "note-s", .arg = "S", .kind = GB_OPT_DOUBLE, .off = A(cfg.note_s), .lo = 0.05,
     .hi = 10, .what = "a number of seconds",
     .help = "seconds each rendered key is held, {range} (default {default}; the release "
             "tail follows, see --release-s)"},
    {.name = "release-s", .arg = "S", .kind = GB_OPT_DOUBLE, .off = A(cfg.release_s), .lo = 0,
     .hi = 5, .what = "a number of seconds",
     .help = "seconds rendered after note-off, {range} (default {default})"},
    {.name = "seed", .arg = "N", .kind = GB_OPT_U32, .off = A(cfg.seed), .lo = 0,
     .hi = 4294967295.0, .help = "seed of the train/validation/test split (default {default})"},
    {.name = "split", .arg = "T,V,E", .kind = GB_OPT_CUSTOM, .off = A(cfg.split),
     .parse = parse_split, .what = "three shares T,V,E >= 0 summing to 1",
     .help = "split shares summing to 1 (default 0.8,0.1,0.1)"},
    {.name = "noise-gate-db", .arg = "X", .kind = GB_OPT_DOUBLE, .off = A(cfg.noise_gate_db),
     .lo = -200, .hi = 0, .what = "a level in dB",
     .help = "spectral noise gate: zero STFT bins more than -X dB below the note's loudest "
             "bin (X < 0, e.g. -60; default off)"},
    {.name = "licence", .arg = "TEXT", .kind = GB_OPT_STRING, .off = A(cfg.licence),
     .help = "licence recorded in the manifest (default: MIT for FluidR3_GM alone, else "
             "unknown)"},
    {.name = "quiet", .short_name = 'q', .kind = GB_OPT_FLAG, .off = A(quiet),
     .help = "no progress on stderr"},
};
#undef A

static void copy_list(const int_list_t *l, int *to, int *n)
{
    memcpy(to, l->v, sizeof(int) * (size_t)l->n);
    *n = l->n;
}

static int timbre_run(void *p, const gb_cli_call_t *call)
{
    timbre_args_t *a = p;
    gb_timbre_ds_build_config_t *cfg = &a->cfg;
    if (gb_cli_given(call, "programs"))
        copy_list(&a->programs, cfg->programs, &cfg->n_programs);
    if (gb_cli_given(call, "keys"))
        copy_list(&a->keys, cfg->keys, &cfg->n_keys);
    if (gb_cli_given(call, "velocities")) {
        if (a->velocities.n > (int)(sizeof cfg->velocities / sizeof cfg->velocities[0]))
            return gb_cli_usage_error(call, "at most 127 velocities");
        copy_list(&a->velocities, cfg->velocities, &cfg->n_velocities);
    }
    for (int i = 0; i < call->n_pos; i++) { /* --from-recording a.wav b.wav ... */
        if (a->n_recs == GB_DATASET_MAX_RECORDINGS)
            return gb_cli_usage_error(call, "at most %d recordings", GB_DATASET_MAX_RECORDINGS);
        a->recs[a->n_recs++] = call->pos[i];
    }
    if (call->n_pos > 0 && !gb_cli_given(call, "from-recording"))
        return gb_cli_usage_error(call, "unexpected argument '%s' (recordings follow "
                                  "--from-recording)", call->pos[0]);
    cfg->recordings = a->recs;
    cfg->n_recordings = a->n_recs;
    if (!cfg->soundfont && !cfg->notes_dir && cfg->n_recordings == 0)
        cfg->soundfont = GB_DATASET_DEFAULT_SF2;
    cfg->progress = a->quiet ? NULL : stderr;
    gb_timbre_ds_build_result_t res;
    gb_error_t err = {0};
    if (gb_timbre_ds_build(cfg, &res, &err) < 0) {
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
        return GB_EXIT_FAIL;
    }
    if (cfg->progress)
        fprintf(stderr,
                "%s: wrote %s: %d notes (%d train, %d validation, %d test), %u frames; dropped "
                "%d silent, %d duplicate, %d without pitch; %d files unreadable; render %.1f "
                "s, analysis %.1f s\n",
                call->prog, cfg->out_dir, res.notes, res.train, res.validation, res.test,
                res.frames, res.silent_dropped, res.duplicates_dropped, res.no_pitch_dropped,
                res.unreadable_skipped, res.render_s, res.analyse_s);
    if (cfg->progress && cfg->n_recordings > 0)
        fprintf(stderr,
                "%s: %d recording%s: %d onsets; dropped %d segments without a stable pitch or "
                "too short, %d clipped notes\n",
                call->prog, res.recordings, res.recordings == 1 ? "" : "s", res.onsets,
                res.unstable_dropped, res.clipped_dropped);
    return GB_EXIT_OK;
}

static const gb_cmd_t dataset_timbre = {
    .name = "timbre",
    .summary = "render a SoundFont grid, read a folder of notes or cut solo recordings into a "
               "timbre dataset",
    .positional = "[FILE...]",
    .min_pos = 0,
    .max_pos = -1,
    .description =
        "Build the timbre VAE's dataset in DIR (manifest.json + frames.f32, see "
        "docs/dataset.md): render a grid of notes from a SoundFont with FluidSynth, read "
        "a folder of recorded notes and/or cut solo recordings into notes "
        "(--from-recording FILE...); trim silence, normalise loudness, drop silent, duplicate "
        "and pitchless notes, analyse every note into timbre frames (as `gbac analyze`), and "
        "split the notes into train/validation/test.",
    .epilogue =
        "Exit status: 0 on success; 1 if the SoundFont, the folder or a recording cannot be "
        "read (not audio, no samples, a sample rate outside 8000..384000 Hz), DIR cannot "
        "be written, or no note is left (the reason is printed on stderr); 2 on a usage "
        "error.",
    GB_CLI_LEAF(timbre_opts, timbre_args_t, timbre_init, timbre_run),
};

/* ---------------------------------------------------------------- gbac dataset melody */

typedef struct melody_args {
    gb_melody_ds_build_config_t cfg;
    int transpose[2];
    int quiet;
} melody_args_t;

static void melody_init(void *p)
{
    melody_args_t *a = p;
    gb_melody_ds_build_config_init(&a->cfg);
    a->transpose[0] = a->cfg.transpose_lo;
    a->transpose[1] = a->cfg.transpose_hi;
}

#define A(f) offsetof(melody_args_t, f)
static const gb_opt_t melody_opts[] = {
    {.name = "output", .short_name = 'o', .arg = "DIR", .kind = GB_OPT_STRING,
     .off = A(cfg.out_dir), .flags = GB_OPT_REQUIRED | GB_OPT_NONEMPTY,
     .what = "a folder name", .help = "dataset folder (created if missing; files replaced)"},
    {.name = "from", .arg = "FOLDER", .kind = GB_OPT_STRING, .off = A(cfg.from_dir),
     .flags = GB_OPT_NONEMPTY, .what = "a folder",
     .help = "MIDI files (default: the corpus shipped with gbac, " GB_MELODY_CORPUS
             " in its data folder)"},
    {.name = "licence", .arg = "TEXT", .kind = GB_OPT_STRING, .off = A(cfg.licence),
     .flags = GB_OPT_NONEMPTY, .what = "a licence",
     .help = "licence recorded in the manifest, at most 255 bytes (default: "
             GB_MELODY_CORPUS_LICENCE " for the shipped corpus, else \""
             GB_MELODY_UNKNOWN_LICENCE "\")"},
    {.name = "seed", .arg = "N", .kind = GB_OPT_U32, .off = A(cfg.seed), .lo = 0,
     .hi = 4294967295.0, .help = "seed of the split (default {default})"},
    {.name = "split", .arg = "T,V,E", .kind = GB_OPT_CUSTOM, .off = A(cfg.split),
     .parse = parse_split, .what = "three shares T,V,E >= 0 summing to 1",
     .help = "split shares summing to 1 (default 0.8,0.1,0.1)"},
    {.name = "transpose", .arg = "LO..HI", .kind = GB_OPT_CUSTOM, .off = A(transpose),
     .parse = parse_transpose, .what = "semitones LO..HI within -11..11",
     .help = "augmentation of train tunes in semitones, -11..11 (default -5..6; 0..0 = none)"},
    {.name = "quiet", .short_name = 'q', .kind = GB_OPT_FLAG, .off = A(quiet),
     .help = "no progress on stderr"},
};
#undef A

static int melody_run(void *p, const gb_cli_call_t *call)
{
    melody_args_t *a = p;
    gb_melody_ds_build_config_t *cfg = &a->cfg;
    cfg->transpose_lo = a->transpose[0];
    cfg->transpose_hi = a->transpose[1];
    cfg->progress = a->quiet ? NULL : stderr;
    if (cfg->licence && strlen(cfg->licence) > 255)
        return gb_cli_usage_error(call, "--licence: at most 255 bytes");
    gb_melody_ds_build_result_t res;
    gb_error_t err = {0};
    if (gb_melody_ds_build(cfg, &res, &err) < 0) {
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
        return GB_EXIT_FAIL;
    }
    const int per_split[3] = {res.train, res.validation, res.test};
    static const char *const split_names[3] = {"train", "validation", "test"};
    for (int i = 0; i < 3; i++) /* even with -q: an empty split changes what can be measured */
        if (per_split[i] == 0)
            fprintf(stderr, "%s: warning: the %s split is empty (%d tunes, shares %g,%g,%g)\n",
                    call->prog, split_names[i], res.tunes, cfg->split[0], cfg->split[1],
                    cfg->split[2]);
    if (!cfg->progress)
        return GB_EXIT_OK;
    fprintf(stderr,
            "%s: wrote %s: %d files, %d skipped; %d tunes (%d train, %d validation, %d test); "
            "%u bars, %u records with augmentation; %ld percussion notes (channel 10) "
            "dropped, %ld polyphonic steps reduced to the top note; bars by meter:",
            call->prog, cfg->out_dir, res.files, res.skipped, res.tunes, res.train,
            res.validation, res.test, res.bars, res.records, res.percussion_dropped,
            res.polyphonic_steps);
    for (int m = 0; m < res.n_meters; m++)
        fprintf(stderr, " %d/%d %u", res.meters[m].num, res.meters[m].den, res.meters[m].bars);
    fprintf(stderr, "\n");
    return GB_EXIT_OK;
}

static const gb_cmd_t dataset_melody = {
    .name = "melody",
    .summary = "quantise monophonic MIDI melodies into a melody dataset",
    .description =
        "Build the melody GAN's dataset in DIR (manifest.json + bars.bin, see docs/dataset.md "
        "and models/gb_melody_ds.h): read every .mid/.midi in a folder (by default the "
        "Nottingham folk tunes shipped with gbac, GPL-3.0), leave out notes on channel 10 "
        "(percussion), keep the highest "
        "sounding note, quantise to 16th-note steps with the file's time signature, detect "
        "the key and move it to C major / A minor, cut bar records (previous bar as context), "
        "split by tune into train/validation/test and transpose the train tunes for "
        "augmentation. Unreadable files are skipped and counted.",
    .epilogue = "A split left empty by the shares is warned about on stderr (also with -q).\n\n"
                "Exit status: 0 on success; 1 if the folder cannot be read, DIR cannot be "
                "written or no tune is left; 2 on a usage error.",
    GB_CLI_LEAF(melody_opts, melody_args_t, melody_init, melody_run),
};

const gb_cmd_t gb_cli_dataset = {
    .name = "dataset",
    .summary = "build a training dataset: `dataset timbre|melody -o DIR`",
    .description = "Build the dataset a model trains on (docs/dataset.md).",
    GB_CLI_SUBS(&dataset_timbre, &dataset_melody),
};

GB_CLI_ENTRY(gb_cmd_dataset, gb_cli_dataset)
