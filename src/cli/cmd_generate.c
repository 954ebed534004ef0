/* cmd_generate.c — `gbac generate melody`: bars from the melody GAN's generator (ranked by its
 * critic), transposed to a key and written as a MIDI file.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_cli.h"
#include "gb_cli_opts.h"
#include "gb_share.h"
#include "gb_melgan.h"
#include "gb_melody_ds_build.h"
#include "gb_midifile.h"
#include "gb_modelfile.h"

#define MODEL_PROBE "models/melody-gan.safetensors"
#define TRACK_NAME "gbac melody-gan"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: gbac generate melody --bars N -o OUT.mid [OPTIONS]\n\n"
            "Generate a melody bar by bar with the melody GAN (each bar conditioned on the\n"
            "previous one) and write it as a MIDI file with one track, \"" TRACK_NAME "\".\n\n"
            "Options:\n"
            "  --model FILE     generator model (default: the shipped " MODEL_PROBE
            ");\n"
            "                   its critic FILE.disc is used when present\n"
            "  --bars N         bars to generate, 1..1024 (8)\n"
            "  --seed S         random seed (1); a seed always gives the same melody\n"
            "  --key K          key: C, D, F#, Bb, ... or Am, F#m, ... (C; with --after the\n"
            "                   call's key, detected as the live unit does)\n"
            "  --meter M        4/4, 3/4 or 6/8 (4/4; with --after the call's meter)\n"
            "  --after CALL.mid answer a call: the first bar follows its last two bars (its\n"
            "                   top line; percussion on channel 10 left out), in its key\n"
            "                   and at its tempo unless --key / --tempo say otherwise\n"
            "  --tempo BPM      quarter notes per minute, 20..300 (120; with --after the\n"
            "                   call's first tempo)\n"
            "  --temperature X  sampling temperature, 0.05..5 (1)\n"
            "  --top-k N        sample among the N likeliest tokens, 0 = all (6)\n"
            "  --candidates K   bars sampled per bar, the critic's best kept, 1..64 (4)\n"
            "  --no-critic      ignore FILE.disc (then K = 1)\n"
            "  -o, --out FILE   MIDI file to write\n"
            "  -q, --quiet      do not print the bars\n"
            "  -h, --help       show this help\n\n"
            "Exit status: 0 on success; 1 if a file cannot be read or written; 2 on a usage\n"
            "error.\n");
}

/* "D", "F#", "Bb", "Am", "C#m" -> semitones from C / A (−6..5) and mode. */
static int parse_key(const char *s, int *shift, int *mode)
{
    static const int pcs[7] = {9, 11, 0, 2, 4, 5, 7}; /* A..G */
    if (!s[0] || s[0] < 'A' || s[0] > 'G')
        return -1;
    int pc = pcs[s[0] - 'A'], i = 1;
    if (s[i] == '#' || s[i] == 'b')
        pc += s[i++] == '#' ? 1 : -1;
    *mode = 0;
    if (s[i] == 'm') {
        *mode = 1;
        i++;
    }
    if (s[i])
        return -1;
    *shift = gb_melody_key_offset((pc + 12) % 12, *mode);
    return 0;
}

static int parse_meter(const char *s, int *num, int *den)
{
    if (strcmp(s, "4/4") == 0)
        *num = 4, *den = 4;
    else if (strcmp(s, "3/4") == 0)
        *num = 3, *den = 4;
    else if (strcmp(s, "6/8") == 0)
        *num = 6, *den = 8;
    else
        return -1;
    return 0;
}

static int fold_pitch(int p)
{
    while (p < GB_MDS_PITCH_LO)
        p += 12;
    while (p > GB_MDS_PITCH_HI)
        p -= 12;
    return p;
}

/* What a call gives the answer. */
typedef struct call {
    uint8_t hist[4 * GB_MDS_MAX_STEPS]; /* its last four bars, normalised, the last first */
    int offset, mode;      /* its key: semitones from C major / A minor, and mode */
    int num, den, steps;   /* its meter */
    int phrase_pos;        /* bars it spans, mod 8: where the answer starts in the phrase */
    double bpm;
} call_t;

/* Read a call (gb_melody_tune_read: the top line in 16th steps, its key by the same function
 * as the live unit, gb_melody_key_of_notes / gb_melody_key). A --key (key_given) overrides
 * the detected key, a --meter (num > 0) the file's. Returns 0 or -1 with a message. */
static int read_call(const char *path, int key_given, int offset, int mode, int num, int den,
                     int quiet, call_t *c)
{
    gb_error_t err = {0};
    gb_melody_tune_t t;
    if (gb_melody_tune_read(path, &t, &err) < 0) {
        fprintf(stderr, "gbac generate: --after %s\n", err.msg);
        return -1;
    }
    c->offset = key_given ? offset : -t.shift;
    c->mode = key_given ? mode : t.mode;
    c->num = num > 0 ? num : t.meter_num;
    c->den = num > 0 ? den : t.meter_den;
    c->steps = c->num * 16 / c->den;
    c->bpm = t.bpm;
    if (!quiet) {
        static const char *names[12] = {"C", "C#", "D", "Eb", "E", "F",
                                        "F#", "G", "Ab", "A", "Bb", "B"};
        fprintf(stderr, "gbac generate: call %s: %d/%d, %.1f BPM, %s %s%s\n", path, t.meter_num,
                t.meter_den, t.bpm, names[t.tonic], t.mode ? "minor" : "major",
                key_given ? " (answering in the --key given)" : " (detected)");
        if (t.polyphonic_steps)
            fprintf(stderr, "gbac generate: the call has chords or overlapping notes on %d "
                            "steps; its top line is taken\n", t.polyphonic_steps);
        if (t.percussion)
            fprintf(stderr, "gbac generate: %d notes on channel 10 (percussion) left out\n",
                    t.percussion);
        if (t.tempo_changes)
            fprintf(stderr, "gbac generate: the call changes tempo %d times; steps follow its "
                            "beats and the answer is written at its first tempo\n",
                    t.tempo_changes);
        if (t.meter_changes)
            fprintf(stderr, "gbac generate: the call changes meter %d times; its first meter "
                            "is used\n", t.meter_changes);
    }
    /* The tokens in the key answered (tune_read normalised them by the detected key). */
    const int by = key_given ? t.shift + offset : 0;
    int first = -1, last = -1;
    for (int s = 0; s < t.n_steps; s++) {
        int tok = t.tokens[s];
        if (tok >= GB_MDS_PITCH_BASE && by)
            tok = GB_MDS_PITCH_BASE + fold_pitch(GB_MDS_PITCH_LO + tok - GB_MDS_PITCH_BASE - by) -
                  GB_MDS_PITCH_LO;
        t.tokens[s] = (uint8_t)tok;
        if (tok >= GB_MDS_PITCH_BASE) {
            first = first < 0 ? s : first;
            last = s;
        }
    }
    /* the bar of the last onset and the three before, in the answer's meter */
    const int bar = last / c->steps, st = c->steps;
    for (int h = 0; h < 4; h++)
        for (int i = 0; i < GB_MDS_MAX_STEPS; i++) {
            const int k = (bar - h) * st + i;
            c->hist[h * GB_MDS_MAX_STEPS + i] = i >= st                   ? GB_MDS_PAD
                                                : k >= 0 && k < t.n_steps ? t.tokens[k]
                                                                          : GB_MDS_REST;
        }
    c->phrase_pos = (bar - first / st + 1) % GB_MELGEN_PHRASE;
    gb_melody_tune_clear(&t);
    return 0;
}

static const char *note_name(int p, char *buf, size_t n)
{
    static const char *names[12] = {"C", "C#", "D", "Eb", "E", "F",
                                    "F#", "G", "Ab", "A", "Bb", "B"};
    snprintf(buf, n, "%s%d", names[(p & 127) % 12], (p & 127) / 12 - 1);
    return buf;
}

static int write_midi(const char *path, const uint8_t *bars, int n_bars, int steps, int shift,
                      double bpm, int quiet)
{
    gb_error_t err = {0};
    gb_midifile_writer_t *w = gb_midifile_writer_new(bpm, 960, &err);
    int tr = w ? gb_midifile_writer_add_track(w, TRACK_NAME, &err) : -1;
    double step_s = 60.0 / bpm / 4.0;
    int rc = tr < 0 ? -1 : 0, sounding = -1;
    for (int b = 0; b < n_bars && rc == 0; b++) {
        if (!quiet)
            printf("bar %d:", b + 1);
        for (int i = 0; i <= steps && rc == 0; i++) {
            int last = b == n_bars - 1 && i == steps;
            if (i == steps && !last)
                break;
            int tok = i < steps ? bars[(size_t)b * GB_MDS_MAX_STEPS + (size_t)i] : GB_MDS_REST;
            double t = ((double)b * steps + i) * step_s;
            if (tok != GB_MDS_HOLD && sounding >= 0) {
                gbp_event_t off = {.type = GBP_EV_NOTE_OFF, .key = (uint8_t)sounding,
                                   .value = 0.5f};
                rc = gb_midifile_writer_add(w, tr, t, &off, &err);
                sounding = -1;
            }
            if (tok >= GB_MDS_PITCH_BASE && tok < GB_MDS_VOCAB && rc == 0) {
                int p = GB_MDS_PITCH_LO + tok - GB_MDS_PITCH_BASE + shift;
                gbp_event_t on = {.type = GBP_EV_NOTE_ON, .key = (uint8_t)p, .value = 0.8f};
                rc = gb_midifile_writer_add(w, tr, t, &on, &err);
                sounding = p;
                if (!quiet) {
                    char nb[16];
                    printf(" %s", note_name(p, nb, sizeof nb));
                }
            } else if (!quiet && i < steps) {
                printf(" %s", tok == GB_MDS_HOLD ? "-" : ".");
            }
            if (last && rc == 0) { /* mark the end of the last bar */
                gbp_event_t off = {.type = GBP_EV_ALL_OFF};
                rc = gb_midifile_writer_add(w, tr, t, &off, &err);
            }
        }
        if (!quiet)
            printf("\n");
    }
    if (rc == 0)
        rc = gb_midifile_writer_save(w, path, &err);
    if (rc < 0)
        fprintf(stderr, "gbac generate: %s\n", err.msg[0] ? err.msg : "cannot write the file");
    gb_midifile_writer_free(w);
    return rc;
}

#define NEED(what)                                                                           \
    do {                                                                                     \
        fprintf(stderr, "gbac generate: %s needs %s\n", a, what);                            \
        return GB_EXIT_USAGE;                                                                \
    } while (0)

int gb_cmd_generate(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return GB_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "melody") != 0) {
        fprintf(stderr, "gbac generate: %s%s%s (only `gbac generate melody` exists; see `gbac "
                        "generate --help`)\n",
                argc < 2 ? "missing what to generate" : "unknown kind '",
                argc < 2 ? "" : argv[1], argc < 2 ? "" : "'");
        return GB_EXIT_USAGE;
    }
    const char *model = NULL, *out = NULL, *after = NULL;
    int bars = 8, seed = 1, top_k = 6, cands = 4, no_critic = 0, quiet = 0;
    int shift = 0, mode = 0, num = 4, den = 4, key_given = 0, meter_given = 0, tempo_given = 0;
    double bpm = 120.0, temp = 1.0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return GB_EXIT_OK;
        } else if ((v = gb_opt_value(argc, argv, &i, "--model", &missing))) {
            if (missing)
                NEED("a model file");
            model = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--out", &missing)) ||
                   (v = gb_opt_value(argc, argv, &i, "-o", &missing))) {
            if (missing)
                NEED("a file name");
            out = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--after", &missing))) {
            if (missing)
                NEED("a MIDI file");
            after = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--bars", &missing))) {
            if (missing || gb_parse_int(v, 1, 1024, &bars) < 0)
                NEED("a number of bars in 1..1024");
        } else if ((v = gb_opt_value(argc, argv, &i, "--seed", &missing))) {
            if (missing || gb_parse_int(v, 0, INT_MAX, &seed) < 0)
                NEED("a non-negative integer");
        } else if ((v = gb_opt_value(argc, argv, &i, "--key", &missing))) {
            if (missing || parse_key(v, &shift, &mode) < 0)
                NEED("a key such as C, D, F#, Bb, Am or F#m");
            key_given = 1;
        } else if ((v = gb_opt_value(argc, argv, &i, "--meter", &missing))) {
            if (missing || parse_meter(v, &num, &den) < 0)
                NEED("4/4, 3/4 or 6/8");
            meter_given = 1;
        } else if ((v = gb_opt_value(argc, argv, &i, "--tempo", &missing))) {
            if (missing || gb_parse_double(v, 20.0, 300.0, &bpm) < 0)
                NEED("a tempo in 20..300 bpm");
            tempo_given = 1;
        } else if ((v = gb_opt_value(argc, argv, &i, "--temperature", &missing))) {
            if (missing || gb_parse_double(v, 0.05, 5.0, &temp) < 0)
                NEED("a temperature in 0.05..5");
        } else if ((v = gb_opt_value(argc, argv, &i, "--top-k", &missing))) {
            if (missing || gb_parse_int(v, 0, GB_MDS_VOCAB, &top_k) < 0)
                NEED("a number of tokens in 0..51");
        } else if ((v = gb_opt_value(argc, argv, &i, "--candidates", &missing))) {
            if (missing || gb_parse_int(v, 1, 64, &cands) < 0)
                NEED("a number in 1..64");
        } else if (strcmp(a, "--no-critic") == 0) {
            no_critic = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else {
            fprintf(stderr, "gbac generate melody: unknown option '%s' (see `gbac generate "
                            "--help`)\n", a);
            return GB_EXIT_USAGE;
        }
    }
    if (!out) {
        fprintf(stderr, "gbac generate melody: -o OUT.mid is required (see `gbac generate "
                        "--help`)\n");
        return GB_EXIT_USAGE;
    }
    char path[4200], disc[4300], tried[8192];
    if (!model) {
        if (gb_share_file(MODEL_PROBE, path, sizeof path, tried, sizeof tried) < 0) {
            fprintf(stderr, "gbac generate: " MODEL_PROBE " not found in %s; train one with "
                            "`gbac train melody` and pass --model FILE\n", tried);
            return GB_EXIT_FAIL;
        }
        model = path;
    }
    snprintf(disc, sizeof disc, "%s.disc", model);
    int rc = GB_EXIT_FAIL, steps = num * 16 / den;
    gb_error_t err = {0};
    gb_model_t *gm = NULL, *cm = NULL;
    uint8_t *tokens = NULL;
    call_t call;
    memset(&call, 0, sizeof call);
    gm = gb_model_load(model, cands, &err);
    if (!gm) {
        fprintf(stderr, "gbac generate: %s\n", err.msg);
        goto done;
    }
    if (strcmp(gb_model_kind(gm), "melody-gan-generator") != 0) {
        fprintf(stderr, "gbac generate: %s: a %s model, not a melody-gan-generator\n", model,
                gb_model_kind(gm));
        goto done;
    }
    if (gb_melgan_check_generator(gb_model_nn(gm), model, &err) < 0) {
        fprintf(stderr, "gbac generate: %s\n", err.msg);
        goto done;
    }
    if (!no_critic && access(disc, R_OK) == 0) {
        cm = gb_model_load(disc, cands, &err);
        if (!cm || gb_melgan_check_critic(gb_model_nn(cm), disc, &err) < 0) {
            fprintf(stderr, "gbac generate: %s\n", err.msg);
            goto done;
        }
    }
    if (after) {
        if (read_call(after, key_given, shift, mode, meter_given ? num : 0, den, quiet, &call) < 0)
            goto done;
        shift = call.offset;
        mode = call.mode;
        num = call.num;
        den = call.den;
        steps = call.steps;
        if (!tempo_given)
            bpm = call.bpm < 20.0 ? 20.0 : call.bpm > 300.0 ? 300.0 : call.bpm;
    }
    tokens = malloc((size_t)bars * GB_MDS_MAX_STEPS);
    if (!tokens) {
        fprintf(stderr, "gbac generate: out of memory\n");
        goto done;
    }
    gb_melgan_gen_opts_t o = {.version = 2, .bars = bars, .num = num, .den = den, .mode = mode,
                              .phrase_pos = after ? call.phrase_pos : 0,
                              .density = after ? 0 : -1,
                              .seed = (uint64_t)seed, .temperature = (float)temp,
                              .top_k = top_k, .candidates = cm ? cands : 1};
    if (gb_melgan_generate(gb_model_nn(gm), cm ? gb_model_nn(cm) : NULL, &o,
                           after ? call.hist : NULL, after ? 4 : 0, tokens, NULL, &err) < 0) {
        fprintf(stderr, "gbac generate: %s: %s\n", model, err.msg);
        goto done;
    }
    if (write_midi(out, tokens, bars, steps, shift, bpm, quiet) < 0)
        goto done;
    rc = GB_EXIT_OK;
done:
    free(tokens);
    gb_model_free(gm);
    gb_model_free(cm);
    return rc;
}
