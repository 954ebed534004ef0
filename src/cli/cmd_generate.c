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
            "  --key K          key: C, D, F#, Bb, ... or Am, F#m, ... (C)\n"
            "  --meter M        4/4, 3/4 or 6/8 (4/4)\n"
            "  --after CALL.mid condition the first bar on the last bar of a call\n"
            "  --tempo BPM      quarter notes per minute, 20..300 (120)\n"
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

/* "D", "F#", "Bb", "Am", "C#m" -> semitones from C / A (−5..6) and mode. */
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
    int t = ((pc - (*mode ? 9 : 0)) % 12 + 12) % 12;
    *shift = t > 6 ? t - 12 : t;
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

/* The last bar of a call as tokens in the normalised key: the highest note starting in a
 * step, holds while it sounds, rests otherwise. */
static int call_context(const char *path, int steps, int shift, double bpm, uint8_t *ctx)
{
    gb_error_t err = {0};
    gb_midifile_t *mf = gb_midifile_load(path, 48000.0, &err);
    if (!mf) {
        fprintf(stderr, "gbac generate: %s\n", err.msg);
        return -1;
    }
    if (mf->n_tempos)
        bpm = mf->tempos[0].bpm;
    double step_s = 60.0 / bpm / 4.0;
    long n_steps = (long)ceil(mf->length_s / step_s - 1e-6);
    long last_end = 0;
    for (size_t i = 0; i < mf->n_events; i++) {
        long st = lround((double)mf->events[i].frame / 48000.0 / step_s);
        last_end = st > last_end ? st : last_end;
    }
    if (last_end < n_steps)
        n_steps = last_end;
    long bar0 = n_steps > 0 ? (n_steps - 1) / steps * steps : 0;
    for (int i = 0; i < GB_MDS_MAX_STEPS; i++)
        ctx[i] = i < steps ? GB_MDS_REST : GB_MDS_PAD;
    int sounding = -1, prev_step_tok = GB_MDS_REST;
    for (long s = 0, e = 0; s < bar0 + steps; s++) {
        int onset = -1;
        for (; e < (long)mf->n_events; e++) {
            const gb_timed_event_t *te = &mf->events[e];
            long st = lround((double)te->frame / 48000.0 / step_s);
            if (st > s)
                break;
            if (te->ev.type == GBP_EV_NOTE_ON) {
                onset = te->ev.key > onset ? te->ev.key : onset;
                sounding = te->ev.key;
            } else if ((te->ev.type == GBP_EV_NOTE_OFF && te->ev.key == sounding) ||
                       te->ev.type == GBP_EV_ALL_OFF) {
                sounding = -1;
            }
        }
        if (onset >= 0)
            sounding = onset;
        int tok = onset >= 0 ? GB_MDS_PITCH_BASE + fold_pitch(onset - shift) - GB_MDS_PITCH_LO
                  : sounding >= 0 && prev_step_tok != GB_MDS_REST ? GB_MDS_HOLD
                                                                  : GB_MDS_REST;
        if (s >= bar0)
            ctx[s - bar0] = (uint8_t)tok;
        prev_step_tok = tok == GB_MDS_HOLD ? prev_step_tok : tok;
    }
    gb_midifile_free(mf);
    return 0;
}

static const char *note_name(int p, char *buf, size_t n)
{
    static const char *names[12] = {"C", "C#", "D", "Eb", "E", "F",
                                    "F#", "G", "Ab", "A", "Bb", "B"};
    snprintf(buf, n, "%s%d", names[p % 12], p / 12 - 1);
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
                    char nb[8];
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
    int shift = 0, mode = 0, num = 4, den = 4;
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
        } else if ((v = gb_opt_value(argc, argv, &i, "--meter", &missing))) {
            if (missing || parse_meter(v, &num, &den) < 0)
                NEED("4/4, 3/4 or 6/8");
        } else if ((v = gb_opt_value(argc, argv, &i, "--tempo", &missing))) {
            if (missing || gb_parse_double(v, 20.0, 300.0, &bpm) < 0)
                NEED("a tempo in 20..300 bpm");
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
    uint8_t *tokens = NULL, ctx[GB_MDS_MAX_STEPS];
    gm = gb_model_load(model, 1, &err);
    if (!gm) {
        fprintf(stderr, "gbac generate: %s\n", err.msg);
        goto done;
    }
    if (strcmp(gb_model_kind(gm), "melody-gan-generator") != 0) {
        fprintf(stderr, "gbac generate: %s: a %s model, not a melody-gan-generator\n", model,
                gb_model_kind(gm));
        goto done;
    }
    if (!no_critic && access(disc, R_OK) == 0) {
        cm = gb_model_load(disc, 1, &err);
        if (!cm) {
            fprintf(stderr, "gbac generate: %s\n", err.msg);
            goto done;
        }
    }
    if (after && call_context(after, steps, shift, bpm, ctx) < 0)
        goto done;
    tokens = malloc((size_t)bars * GB_MDS_MAX_STEPS);
    if (!tokens) {
        fprintf(stderr, "gbac generate: out of memory\n");
        goto done;
    }
    gb_melgan_gen_opts_t o = {.version = 1, .bars = bars, .num = num, .den = den, .mode = mode,
                              .seed = (uint64_t)seed, .temperature = (float)temp,
                              .top_k = top_k, .candidates = cm ? cands : 1};
    if (gb_melgan_generate(gb_model_nn(gm), cm ? gb_model_nn(cm) : NULL, &o,
                           after ? ctx : NULL, tokens, NULL, &err) < 0) {
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
