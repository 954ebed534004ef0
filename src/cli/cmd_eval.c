/* cmd_eval.c — `gbac eval timbre` (gb_timbre_eval.h) and `gbac eval melody`
 * (gb_melody_eval.h): the measures, printed as a table or JSON, and their pictures.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_cli.h"
#include "gb_latent_map.h"
#include "gb_listen_cite.h"
#include "gb_melody_ds.h"
#include "gb_melody_eval.h"
#include "gb_pianoroll.h"
#include "gb_timbre_eval.h"
#include "gb_vae.h"


/* ---------------------------------------------------------------- gbac eval timbre */

typedef struct timbre_args {
    const char *model, *data, *map, *static_model;
    int map_dims[2];
    int json, max_notes;
} timbre_args_t;

static void timbre_init(void *p)
{
    timbre_args_t *a = p;
    a->map_dims[1] = 1;
    a->max_notes = -1;
}

/* "I,J": two different latent dimensions. */
static int parse_dims(const char *v, void *field)
{
    int *d = field, used = 0;
    if (sscanf(v, "%d,%d%n", &d[0], &d[1], &used) != 2 || v[used] || d[0] < 0 || d[1] < 0 ||
        d[0] >= GB_VAE_MAX_LATENT || d[1] >= GB_VAE_MAX_LATENT || d[0] == d[1])
        return -1;
    return 0;
}

#define A(f) offsetof(timbre_args_t, f)
static const gb_opt_t timbre_opts[] = {
    {.name = "model", .arg = "M", .kind = GB_OPT_STRING, .off = A(model),
     .flags = GB_OPT_REQUIRED,
     .help = "the timbre VAE's decoder file (the encoder is M.enc)"},
    {.name = "data", .arg = "DS", .kind = GB_OPT_STRING, .off = A(data),
     .flags = GB_OPT_REQUIRED, .help = "a dataset folder made by `gbac dataset timbre`"},
    {.name = "json", .kind = GB_OPT_FLAG, .off = A(json), .flags = GB_OPT_USAGE,
     .help = "print {\"msd_model\", \"msd_mean_frame\", \"msd_nearest_note\", \"test_notes\", "
             "\"improvement_over_mean_frame\", \"latent_smoothness_max_step_ratio\", "
             "\"latent_smoothness_mean_step_ratio\", \"latent_centroid_monotonic_fraction\", "
             "\"latent_paths\", \"latent_dim_effect\", \"latent_dim_change\", \"time_in_note\", "
             "\"onset_notes\", \"msd_onset_model\", \"msd_onset_static\", \"msd_static\", "
             "\"msd_model_onset_notes\"} instead of the table"},
    {.name = "static", .arg = "S", .kind = GB_OPT_STRING, .off = A(static_model),
     .flags = GB_OPT_NONEMPTY,
     .help = "the static ablation to compare onsets with (default M.static, written by `gbac "
             "train timbre`; none if it is missing)"},
    {.name = "max-notes", .arg = "N", .kind = GB_OPT_INT, .off = A(max_notes), .lo = 1,
     .hi = 2147483647.0, .what = "a number of notes",
     .help = "evaluate at most N test notes (default: all; the smoothness paths use all test "
             "notes)"},
    {.name = "map", .arg = "FILE", .kind = GB_OPT_STRING, .off = A(map),
     .flags = GB_OPT_USAGE | GB_OPT_NONEMPTY,
     .help = "draw every note of DS (all splits; test notes outlined) at the encoder's "
             "(mu_0, mu_1), coloured by GM instrument family: a "
             GB_CLI_STR(GB_LATENT_MAP_WIDTH) "x" GB_CLI_STR(GB_LATENT_MAP_HEIGHT)
             " PNG, or SVG when FILE ends in .svg"},
    {.name = "map-dims", .arg = "I,J", .kind = GB_OPT_CUSTOM, .off = A(map_dims),
     .parse = parse_dims, .what = "two different latent dimensions I,J (e.g. 0,1)",
     .help = "plot latent dimensions I and J instead (default 0,1)"},
};
#undef A

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

/* Every note of the dataset on the map (gb_latent_map.h). */
static int latent_map(const gb_timbre_eval_t *e, const timbre_args_t *a, gb_error_t *err)
{
    gb_timbre_eval_point_t *pt = NULL;
    gb_latent_point_t *lp = NULL;
    int n = 0;
    double sd[2];
    int rc = gb_timbre_eval_points(e, a->map_dims, &pt, &n, sd, err);
    if (rc == 0 && !(lp = malloc(sizeof *lp * (size_t)n)))
        rc = gb_error_set(err, GB_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < n; i++)
        lp[i] = (gb_latent_point_t){pt[i].x, pt[i].y, pt[i].program, pt[i].test};
    if (rc == 0) {
        char title[320], sub[1024], xl[64], yl[64];
        const int *d = a->map_dims;
        snprintf(title, sizeof title, "Timbre VAE latent map \xe2\x80\x94 %.280s",
                 base_name(a->model));
        snprintf(sub, sizeof sub,
                 "all %d notes of %.200s (train, validation, test) at the encoder mean; sd over "
                 "notes: %.3f (mu_%d), %.3f (mu_%d)",
                 n, base_name(a->data), sd[0], d[0], sd[1], d[1]);
        snprintf(xl, sizeof xl, "latent dimension %d (mu_%d)", d[0], d[0]);
        snprintf(yl, sizeof yl, "latent dimension %d (mu_%d)", d[1], d[1]);
        rc = gb_latent_map_write(a->map, lp, n, title, sub, xl, yl, "test split", err);
    }
    free(lp);
    free(pt);
    return rc;
}

static void timbre_table(const timbre_args_t *a, const gb_timbre_eval_result_t *r)
{
    printf("gbac eval timbre — %s on %s, %d test notes\n\n", a->model, a->data, r->test_notes);
    printf("  multi-scale spectral distance to the original (lower is better)\n");
    printf("    timbre VAE reconstruction   %8.4f\n", r->msd_model);
    printf("    mean frame of training set  %8.4f   (model %.0f%% better)\n", r->msd_mean_frame,
           100.0 * (1.0 - r->msd_model / r->msd_mean_frame));
    printf("    nearest training note       %8.4f   (model %.0f%% better)\n",
           r->msd_nearest_note, 100.0 * (1.0 - r->msd_model / r->msd_nearest_note));
    printf("\n  latent smoothness, %d straight paths between test notes of different\n"
           "  instruments (%d steps, decoded at the midpoint pitch and %.0f dB)\n",
           r->paths, GB_TIMBRE_EVAL_STEPS, (double)GB_TIMBRE_EVAL_DB);
    printf("    largest step / mean step    %8.4f mean, %.4f max   (1.0 is even)\n",
           r->smooth_mean_ratio, r->smooth_max_ratio);
    printf("    centroid monotonic          %8.4f of the paths\n", r->monotonic_fraction);
    printf("\n  latent knobs (%s): change of a rendered A3 when knob k goes to -2 and +2,\n"
           "  relative to the strongest knob\n   ",
           r->has_basis ? "principal components" : "no basis in the model: raw dimensions");
    for (int k = 0; k < r->latent; k++)
        printf(" %d: %.2f", k, r->knob_effect[k]);
    printf("\n");
    if (r->onset_notes) {
        printf("\n  first 100 ms of %d test notes (time in the note: %s)\n", r->onset_notes,
               r->time_in_note ? "yes" : "no");
        printf("    this model                  %8.4f\n", r->msd_onset_model);
        if (r->has_static)
            printf("    static ablation             %8.4f   (model %.0f%% better; whole notes "
                   "%.4f vs %.4f)\n", r->msd_onset_static,
                   100.0 * (1.0 - r->msd_onset_model / r->msd_onset_static),
                   r->msd_model_onset_notes, r->msd_static);
    }
    if (a->map)
        printf("\n  latent map: %s\n", a->map);
}

static int timbre_run(void *p, const gb_cli_call_t *call)
{
    const timbre_args_t *a = p;
    gb_error_t err = {0};
    gb_timbre_eval_result_t r;
    gb_timbre_eval_t *e = gb_timbre_eval_open(a->model, a->static_model, a->data, &err);
    const char *what = "";
    int rc = e ? 0 : -1;
    if (rc == 0 && a->map) { /* first: a bad path fails before the long evaluation */
        what = "--map ";
        rc = latent_map(e, a, &err);
    }
    if (rc == 0) {
        what = "";
        rc = gb_timbre_eval_run(e, a->max_notes, &r, &err);
    }
    if (rc == 0 && a->json)
        gb_timbre_eval_write_json(&r, stdout);
    else if (rc == 0)
        timbre_table(a, &r);
    else
        fprintf(stderr, "%s: %s%s\n", call->prog, what, err.msg);
    gb_timbre_eval_free(e);
    return rc < 0 ? GB_EXIT_FAIL : GB_EXIT_OK;
}

static const gb_cmd_t eval_timbre = {
    .name = "timbre",
    .summary = "reconstruction quality of the timbre VAE on the test split against the "
               "mean-frame and nearest-note baselines, latent smoothness, a latent map",
    .description =
        "Reconstruct every test-split note of the dataset DS (`gbac dataset timbre`) with the "
        "timbre VAE M (decoder file; the encoder is M.enc): encode the note, decode each "
        "frame from the latent, the frame's pitch and loudness. Original and reconstructed "
        "frames are rendered through the harmonic synth's oscillator bank and compared by "
        "multi-scale spectral distance (FFT 2048..64, L1 on magnitude and log magnitude). Two "
        "baselines get the same treatment: the training set's mean frame, and the frames of "
        "the training note nearest in pitch (both scaled to the original's loudness frame by "
        "frame).\n\n"
        "Latent smoothness: for up to " GB_CLI_STR(GB_TIMBRE_EVAL_PATHS) " pairs of test notes "
        "of different instruments (test note i and note i + n/2, in manifest order), z goes "
        "linearly from A's mu to B's mu in " GB_CLI_STR(GB_TIMBRE_EVAL_STEPS) " steps; each "
        "latent is decoded at the midpoint key's pitch and -20 dB. A step's change is the "
        "mean over the 64 harmonics of |log(p + 1e-4)| differences of the harmonic "
        "distributions p. Reported: the largest step / mean step of a path (1.0 = perfectly "
        "even), its mean and max over paths, and the fraction of paths whose spectral "
        "centroid (in harmonic numbers) changes monotonically.\n\n"
        "Latent knobs: a 1.5 s A3 (held 1 s at -20 dB, then released) decoded at the centre "
        "of the knobs and with knob k at -2 and +2; knob k's change is the mean multi-scale "
        "spectral distance of the two to the centre, relative to the strongest knob "
        "(latent_dim_effect; latent_dim_change: absolute).\n\n"
        "Onsets: the first 100 ms of every test note of at least 10 frames, for M and for the "
        "static ablation S: msd_onset_model, msd_onset_static, and msd_static, the ablation's "
        "whole-note distance on the same notes.",
    .epilogue = "Exit status: 0; 1 if a file cannot be read or written or DS has no usable "
                "test note; 2 on a usage error.",
    GB_CLI_LEAF(timbre_opts, timbre_args_t, timbre_init, timbre_run),
};

/* ---------------------------------------------------------------- gbac eval melody */

typedef struct melody_args {
    gb_melody_eval_config_t cfg;
    const char *roll, *listen;
    int json;
} melody_args_t;

static void melody_init(void *p)
{
    gb_melody_eval_config_init(&((melody_args_t *)p)->cfg);
}

#define A(f) offsetof(melody_args_t, f)
static const gb_opt_t melody_opts[] = {
    {.name = "data", .arg = "DS", .kind = GB_OPT_STRING, .off = A(cfg.data),
     .flags = GB_OPT_REQUIRED,
     .help = "a dataset folder made by `gbac dataset melody` (its test split is used)"},
    {.name = "model", .arg = "M", .kind = GB_OPT_STRING, .off = A(cfg.model),
     .flags = GB_OPT_USAGE,
     .help = "the generator (default: the shipped models/melody-gan.safetensors); its critic "
             "is M.disc"},
    {.name = "json", .kind = GB_OPT_FLAG, .off = A(json), .flags = GB_OPT_USAGE,
     .help = "print one JSON object (oa_<feature>, kl_<feature>, c2st_accuracy, "
             "phrase_repeat, phrase_variation, phrase_end_tonic_dominant (each also _heldout), "
             "copy_rate_generated, copy_rate_heldout, scale_consistency, key_from_call, "
             "answer_in_key, answer_cadence, answer_range_ratio, answer_empty_bars, "
             "answer_density_ratio, acc_strong_chord_tones, acc_in_key, acc_above_chord, "
             "acc_mean_interval (acc_* also _heldout), ...) instead of the table"},
    {.name = "listen-test", .arg = "FILE", .kind = GB_OPT_STRING, .off = A(listen),
     .flags = GB_OPT_USAGE | GB_OPT_NONEMPTY, .what = "a results file",
     .help = "cite a listening test's results (`gbac listen-test --out FILE`), checked: its "
             "summary goes into the JSON as \"listen_test\" and under the table"},
    {.name = "bars", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.bars), .lo = 1,
     .hi = GB_MELODY_EVAL_MAX_BARS, .what = "a number of bars",
     .help = "bars generated per tune, {range} ({default})"},
    {.name = "seed", .arg = "S", .kind = GB_OPT_INT, .off = A(cfg.seed), .lo = 0,
     .hi = 2147483647.0, .help = "random seed ({default})"},
    {.name = "top-k", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.top_k), .lo = 0,
     .hi = GB_MDS_VOCAB, .what = "a number of tokens",
     .help = "sample among the N likeliest tokens, 0 = all ({default})"},
    {.name = "candidates", .arg = "K", .kind = GB_OPT_INT, .off = A(cfg.candidates), .lo = 1,
     .hi = 64, .what = "a number of bars",
     .help = "bars sampled per bar, one chosen by the critic, {range} ({default})"},
    {.name = "roll", .arg = "FILE", .kind = GB_OPT_STRING, .off = A(roll),
     .flags = GB_OPT_USAGE | GB_OPT_NONEMPTY,
     .help = "draw " GB_CLI_STR(GB_MELODY_ANSWERS_SHOWN) " held-out calls (blue, as gbac plot "
             "draws the performer) each followed by the model's answer (orange) as a "
             GB_CLI_STR(GB_PIANOROLL_WIDTH) "x" GB_CLI_STR(GB_PIANOROLL_HEIGHT) " PNG"},
};
#undef A

static int draw_roll(const char *path, const gb_melody_eval_result_t *r, gb_error_t *err)
{
    static const char *const names[12] = {"C", "C#", "D", "Eb", "E", "F",
                                          "F#", "G", "Ab", "A", "Bb", "B"};
    gb_pianoroll_row_t rows[GB_MELODY_ANSWERS_SHOWN];
    char labels[GB_MELODY_ANSWERS_SHOWN][96];
    if (r->n_shown < 1)
        return gb_error_set(err, GB_EINVAL,
                            "%s: no call to draw: no held-out tune of the dataset has the 8 bars "
                            "(after a pickup) that a call and its answer are cut from", path);
    for (int i = 0; i < r->n_shown; i++) {
        const gb_melody_answer_shown_t *sh = &r->shown[i];
        snprintf(labels[i], sizeof labels[i], "%.40s, %s %s", sh->tune, names[sh->tonic % 12],
                 sh->mode ? "minor" : "major");
        rows[i] = (gb_pianoroll_row_t){labels[i], sh->bars, 4, sh->steps, 2};
    }
    return gb_pianoroll_write(path, rows, r->n_shown, "gbac eval melody: calls and answers",
                              err);
}

/* The answers and the accompaniment (gb_melody_answers.h, gb_melody_accomp.h). */
static void answers_table(const gb_melody_eval_result_t *r)
{
    printf("  answers to %ld calls in 24 keys (%ld answered):\n", r->answer_calls, r->answers);
    printf("  %-36s %10.3f   (own key: ABC of %ld tunes, dataset's of %ld; %ld agree)\n",
           "key detected from the call", r->key_from_call, r->key_ref_abc, r->key_ref_fallback,
           r->key_ref_agree);
    printf("  %-36s %10.3f\n", "answer notes in the call's key", r->answer_in_key);
    printf("  %-36s %10.3f %10.3f\n", "answers ending on tonic or dominant", r->answer_cadence,
           r->answer_cadence_heldout);
    printf("  %-36s %10.3f\n", "answer range / call range", r->answer_range_ratio);
    printf("  %-36s %10.3f\n", "answers with a bar of < 2 onsets", r->answer_empty_bars);
    printf("  %-36s %10.3f %10.3f\n", "onsets per bar after dense / sparse",
           r->answer_density_dense, r->answer_density_sparse);
    printf("  accompaniment of %ld bars of chord progressions:\n", r->acc_bars);
    printf("  %-36s %10.3f %10.3f\n", "chord tones on beats 1 and 3", r->acc_strong_chord_tones,
           r->acc_strong_chord_tones_heldout);
    printf("  %-36s %10.3f %10.3f\n", "notes in the key", r->acc_in_key, r->acc_in_key_heldout);
    printf("  %-36s %10.3f %10.3f\n", "notes above the chord", r->acc_above_chord,
           r->acc_above_chord_heldout);
    printf("  %-36s %10.3f %10.3f\n", "mean interval (semitones)", r->acc_mean_interval,
           r->acc_mean_interval_heldout);
}

static void melody_table(const melody_args_t *a, const gb_melody_eval_result_t *r)
{
    printf("gbac eval melody — %s on %s: %d test tunes, %ld generated bars (seed %d)\n\n",
           r->model, a->cfg.data, r->phrases, r->generated_bars, a->cfg.seed);
    printf("  %-24s %8s %8s %10s %10s %10s\n", "feature", "OA", "KL", "intra real",
           "intra gen", "inter");
    for (int k = 0; k < GB_MM_N_FEATURES; k++)
        printf("  %-24s %8.3f %8.3f %10.3f %10.3f %10.3f\n", gb_mm_feature_name(k), r->oa[k],
               r->kl[k], r->intra_real[k], r->intra_gen[k], r->inter[k]);
    printf("  (OA / KL: real intra-set vs generated-to-real distance densities; mean "
           "distances)\n\n");
    const struct {
        const char *label;
        double gen, real;
    } rows[] = {
        {"scale consistency", r->scale_consistency, r->scale_consistency_real},
        {"pitch-class entropy (bits)", r->pitch_class_entropy, r->pitch_class_entropy_real},
        {"2-bar copies of training, exact", r->copy_rate_generated, r->copy_rate_heldout},
        {"2-bar copies, up to transposition", r->copy_rate_generated_transposed,
         r->copy_rate_heldout_transposed},
        {"bar copies of training, exact", r->bar_copy_rate_generated, r->bar_copy_rate_heldout},
        {"bar copies, up to transposition", r->bar_copy_rate_generated_transposed,
         r->bar_copy_rate_heldout_transposed},
    };
    printf("  %-36s %10s %10s\n", "", "generated", "real");
    printf("  %-36s %10.3f\n", "two-sample test accuracy (0.5 best)", r->c2st_accuracy);
    printf("  %-36s %10.3f %10.3f\n", "bars repeating one of their phrase", r->phrase_repeat,
           r->phrase_repeat_heldout);
    printf("  %-36s %10.3f %10.3f\n", "bars varying one of their phrase", r->phrase_variation,
           r->phrase_variation_heldout);
    printf("  %-36s %10.3f %10.3f\n", "phrase ends on tonic or dominant",
           r->phrase_end_tonic_dominant, r->phrase_end_tonic_dominant_heldout);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        printf("  %-36s %10.3f %10.3f\n", rows[i].label, rows[i].gen, rows[i].real);
    if (r->has_critic)
        printf("  %-36s %10.3f %10.3f\n", "critic mean logit", r->critic_generated,
               r->critic_real);
    else
        printf("  critic: %s not found, not scored\n", r->critic);
    answers_table(r);
    if (a->roll)
        printf("\n  piano roll: %s\n", a->roll);
}

static int melody_run(void *p, const gb_cli_call_t *call)
{
    const melody_args_t *a = p;
    gb_error_t err = {0};
    gb_melody_eval_result_t r;
    memset(&r, 0, sizeof r);
    gb_listen_test_t *lt = a->listen ? calloc(1, sizeof *lt) : NULL;
    int rc = a->listen && (!lt || gb_listen_read(a->listen, lt, &err) != 0) ? -1 : 0;
    if (rc == 0) /* the listening test first: a bad file fails before the evaluation */
        rc = gb_melody_eval(&a->cfg, &r, &err);
    if (rc == 0 && a->roll)
        rc = draw_roll(a->roll, &r, &err);
    if (rc == 0 && a->json) {
        json_t *o = gb_melody_eval_json(&r);
        if (o && lt)
            json_object_set_new(o, "listen_test", gb_listen_cite_json(lt, a->listen));
        rc = o && json_dumpf(o, stdout, JSON_REAL_PRECISION(6)) == 0 ? 0 : -1;
        json_decref(o);
        if (rc == 0)
            putchar('\n');
        else
            snprintf(err.msg, sizeof err.msg, "cannot write the JSON");
    } else if (rc == 0) {
        melody_table(a, &r);
        if (lt)
            gb_listen_cite_print(stdout, lt, a->listen);
    }
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
    gb_melody_eval_result_free(&r);
    free(lt);
    return rc < 0 ? GB_EXIT_FAIL : GB_EXIT_OK;
}

static const gb_cmd_t eval_melody = {
    .name = "melody",
    .summary = "the melody model against the held-out tunes: Yang & Lerch features "
               "(overlapped area, KL), a two-sample test, phrase form, scale consistency, copy "
               "rates, critic score",
    .description =
        "Evaluate the melody GAN M on the dataset DS. For each test-split tune with at least "
        "two bars, N bars (fewer if the tune is shorter) are generated as live: the first "
        "conditioned on the tune's first bar, each next one on the bars generated before it, "
        "at the tune's phrase positions (a first bar starting with a rest is a pickup), the "
        "density the model's own (top-k 6, one of 4 chosen by the critic, seed S + tune "
        "index). The reference phrases are the same tunes' real bars 2..N+1.\n\n"
        "Reported: the Yang & Lerch features per phrase (pitch count, pitch-class histogram, "
        "pitch-class transitions, pitch range, average interval, note count, average "
        "inter-onset interval, note-length histogram), for each the overlapped area (OA, 1 = "
        "same) and KL divergence of the real intra-set distance density against the "
        "generated-to-real inter-set one (Gaussian KDE); scale consistency and pitch-class "
        "entropy; the share of 2-bar phrases and of bars that copy a training-split one "
        "exactly or up to transposition, for the generated and the held-out real phrases; the "
        "critic's mean logit on generated and real bars; a classifier two-sample test (a "
        "fresh classifier of (bar before, bar) learns 3000 train-split bars against as many "
        "generated from their contexts, and is scored on the held-out phrases against the "
        "generated ones; 0.5 = indistinguishable); phrase form: bars that repeat or vary an "
        "earlier bar of their 8-bar phrase, phrase ends on the tonic or dominant.",
    .epilogue = "Exit status: 0; 1 if a file cannot be read or written or DS has no usable "
                "test tune; 2 on a usage error.",
    GB_CLI_LEAF(melody_opts, melody_args_t, melody_init, melody_run),
};

const gb_cmd_t gb_cli_eval = {
    .name = "eval",
    .summary = "evaluate a model on held-out data: `eval timbre|melody ...`",
    .description = "Judge a model with numbers (and pictures) on the held-out split of a "
                   "dataset.",
    GB_CLI_SUBS(&eval_timbre, &eval_melody),
};

GB_CLI_ENTRY(gb_cmd_eval, gb_cli_eval)
