/* cmd_eval.c — `gbac eval timbre`: how well the timbre VAE reconstructs held-out notes,
 * against two baselines, as multi-scale spectral distance of rendered audio.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_cli.h"
#include "gb_modelfile.h"
#include "gb_msd.h"
#include "gb_timbre_ds.h"
#include "gb_timbre_render.h"
#include "gb_vae.h"

#define EVAL_SR 48000.0
#define DEC_BATCH 64

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: gbac eval timbre --model M --data DS [--json] [--max-notes N]\n\n"
            "Reconstruct every test-split note of the dataset DS (`gbac dataset timbre`) with\n"
            "the timbre VAE M (decoder file; the encoder is M.enc): encode the note, decode\n"
            "each frame from the latent, the frame's pitch and loudness. Original and\n"
            "reconstructed frames are rendered through the harmonic synth's oscillator bank\n"
            "and compared by multi-scale spectral distance (FFT 2048..64, L1 on magnitude and\n"
            "log magnitude). Two baselines get the same treatment: the training set's mean\n"
            "frame, and the frames of the training note nearest in pitch (both scaled to the\n"
            "original's loudness frame by frame).\n\n"
            "  --json         print {\"msd_model\", \"msd_mean_frame\", \"msd_nearest_note\",\n"
            "                 \"test_notes\"} instead of the table\n"
            "  --max-notes N  evaluate at most N test notes (default: all)\n");
}

/* Decode every frame of note `ni` from latent z into out[]. */
static int decode_note(gb_nn_t *dec, const gb_tds_t *ds, int ni, const float *z, int zdim,
                       gb_timbre_frame_t *out)
{
    const gb_tds_note_t *nt = &ds->notes[ni];
    const int in = gb_nn_in_dim(dec), od = gb_nn_out_dim(dec);
    if (in != zdim + 2 || od != GB_VAE_DEC_OUT)
        return GB_EFORMAT;
    float x[DEC_BATCH * 80], y[DEC_BATCH * GB_VAE_DEC_OUT];
    for (uint32_t f0 = 0; f0 < nt->n_frames; f0 += DEC_BATCH) {
        int nb = (int)(nt->n_frames - f0 < DEC_BATCH ? nt->n_frames - f0 : DEC_BATCH);
        for (int b = 0; b < nb; b++) {
            const gb_tds_frame_t *fr = &ds->frames[nt->first_frame + f0 + (uint32_t)b];
            float hz = fr->f0_hz > 0 ? fr->f0_hz : (nt->f0_hz > 0 ? nt->f0_hz : 440.0f);
            memcpy(x + b * in, z, sizeof(float) * (size_t)zdim);
            x[b * in + zdim] = log2f(hz / 440.0f);
            x[b * in + zdim + 1] = fr->loudness_db / 60.0f;
        }
        gb_nn_forward(dec, x, y, nb);
        for (int b = 0; b < nb; b++) {
            const float *o = y + b * od;
            gb_timbre_frame_t *t = &out[f0 + (uint32_t)b];
            float m = o[0], s = 0.0f;
            for (int k = 1; k < GB_TIMBRE_HARMONICS; k++)
                m = o[k] > m ? o[k] : m;
            for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
                s += (t->harm[k] = expf(o[k] - m));
            for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
                t->harm[k] /= s;
            for (int k = 0; k < GB_TIMBRE_BANDS; k++)
                t->noise[k] = fmaxf(expf(o[GB_TIMBRE_HARMONICS + k]) - 1e-5f, 0.0f);
            t->amp = fmaxf(expf(o[GB_TIMBRE_HARMONICS + GB_TIMBRE_BANDS]) - 1e-4f, 0.0f);
            gb_timbre_normalize(t);
        }
    }
    return GB_OK;
}

/* A baseline: the timbre of `shape` frames (cycled by index, the last holding) with the
 * original's amplitude and noise level frame by frame. */
static void baseline(const gb_tds_t *ds, int ni, const gb_timbre_frame_t *shape, int n_shape,
                     gb_timbre_frame_t *out)
{
    const gb_tds_note_t *nt = &ds->notes[ni];
    for (uint32_t f = 0; f < nt->n_frames; f++) {
        const gb_timbre_frame_t *o = &ds->frames[nt->first_frame + f].t;
        const gb_timbre_frame_t *s = &shape[(int)f < n_shape ? (int)f : n_shape - 1];
        out[f] = *s;
        out[f].amp = o->amp;
        double on = 0, sn = 0;
        for (int b = 0; b < GB_TIMBRE_BANDS; b++) {
            on += o->noise[b] * o->noise[b];
            sn += s->noise[b] * s->noise[b];
        }
        const float g = sn > 0 ? (float)sqrt(on / sn) : 0.0f;
        for (int b = 0; b < GB_TIMBRE_BANDS; b++)
            out[f].noise[b] = fminf(s->noise[b] * g, 1.0f);
    }
}

static int nearest_training_note(const gb_tds_t *ds, int ni)
{
    int best = -1, bd = 1 << 30;
    for (int i = 0; i < ds->n_notes; i++) {
        if (ds->notes[i].split != GB_TDS_TRAIN)
            continue;
        int d = abs(ds->notes[i].key - ds->notes[ni].key);
        if (d < bd) {
            bd = d;
            best = i;
        }
    }
    return best;
}

static double msd_of(const gb_timbre_frame_t *ref, const gb_timbre_frame_t *x, int n, double f0,
                     const gb_noise_tables_t *tab, float *a, float *b, size_t len)
{
    gb_msd_t d;
    if (gb_timbre_render(ref, n, f0, EVAL_SR, tab, a, len, NULL) ||
        gb_timbre_render(x, n, f0, EVAL_SR, tab, b, len, NULL) || gb_msd(a, b, len, &d, NULL))
        return NAN;
    return d.total;
}

static int eval_timbre(int argc, char **argv)
{
    const char *model = NULL, *data = NULL;
    int json = 0;
    long max_notes = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc) {
            model = argv[++i];
        } else if (!strcmp(argv[i], "--data") && i + 1 < argc) {
            data = argv[++i];
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--max-notes") && i + 1 < argc) {
            char *end;
            max_notes = strtol(argv[++i], &end, 10);
            if (*end || max_notes < 1) {
                fprintf(stderr, "gbac eval timbre: --max-notes %s: expected a number >= 1\n",
                        argv[i]);
                return GB_EXIT_USAGE;
            }
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return GB_EXIT_OK;
        } else {
            fprintf(stderr, "gbac eval timbre: unknown option '%s' (see --help)\n", argv[i]);
            return GB_EXIT_USAGE;
        }
    }
    if (!model || !data) {
        fprintf(stderr, "gbac eval timbre: --model and --data are required (see --help)\n");
        return GB_EXIT_USAGE;
    }
    gb_error_t err = {0};
    char enc_path[4096];
    snprintf(enc_path, sizeof enc_path, "%s.enc", model);
    gb_model_t *dec = gb_model_load(model, DEC_BATCH, &err);
    gb_model_t *enc = dec ? gb_model_load(enc_path, 1, &err) : NULL;
    gb_tds_t *ds = enc ? gb_tds_load(data, &err) : NULL;
    gb_noise_tables_t *tab = ds ? gb_noise_tables_new(EVAL_SR, 7u, &err) : NULL;
    int rc = GB_EXIT_FAIL;
    float *a = NULL, *b = NULL;
    gb_timbre_frame_t *rec = NULL, *base = NULL;
    if (!tab) {
        fprintf(stderr, "gbac: %s\n", err.msg);
        goto done;
    }
    gb_nn_t *encn = gb_model_nn(enc), *decn = gb_model_nn(dec);
    const int zdim = gb_nn_out_dim(encn) / 2;
    if (gb_nn_in_dim(encn) != GB_VAE_ENC_IN || gb_nn_in_dim(decn) != zdim + 2) {
        fprintf(stderr, "gbac: %s / %s: not a matching timbre-VAE encoder and decoder\n",
                enc_path, model);
        goto done;
    }
    if (gb_tds_count(ds, GB_TDS_TEST) == 0 || gb_tds_count(ds, GB_TDS_TRAIN) == 0) {
        fprintf(stderr, "gbac: %s: the dataset needs training and test notes\n", data);
        goto done;
    }
    gb_timbre_frame_t mean;
    gb_vae_mean_frame(ds, &mean);
    uint32_t maxf = 0;
    for (int i = 0; i < ds->n_notes; i++)
        maxf = ds->notes[i].n_frames > maxf ? ds->notes[i].n_frames : maxf;
    const size_t len_max = (size_t)(maxf * GB_TIMBRE_HOP_S * EVAL_SR) + 4096;
    a = malloc(sizeof(float) * len_max);
    b = malloc(sizeof(float) * len_max);
    rec = malloc(sizeof *rec * maxf);
    base = malloc(sizeof *base * maxf);
    gb_timbre_frame_t *orig = malloc(sizeof *orig * maxf);
    if (!a || !b || !rec || !base || !orig) {
        fprintf(stderr, "gbac: out of memory\n");
        free(orig);
        goto done;
    }
    double s_model = 0, s_mean = 0, s_near = 0;
    int n_eval = 0;
    for (int i = 0; i < ds->n_notes && (max_notes < 0 || n_eval < max_notes); i++) {
        const gb_tds_note_t *nt = &ds->notes[i];
        if (nt->split != GB_TDS_TEST || nt->n_frames == 0)
            continue;
        float feat[GB_VAE_ENC_IN], mulv[2 * GB_VAE_MAX_LATENT];
        gb_vae_note_features(ds, i, feat);
        gb_nn_forward(encn, feat, mulv, 1);
        if (decode_note(decn, ds, i, mulv, zdim, rec)) {
            fprintf(stderr, "gbac: %s: decoder does not match (inputs/outputs)\n", model);
            free(orig);
            goto done;
        }
        for (uint32_t f = 0; f < nt->n_frames; f++)
            orig[f] = ds->frames[nt->first_frame + f].t;
        const int n = (int)nt->n_frames;
        const double f0 = nt->f0_hz > 0 ? nt->f0_hz : 440.0 * pow(2.0, (nt->key - 69) / 12.0);
        const size_t len = (size_t)(n * GB_TIMBRE_HOP_S * EVAL_SR);
        if (len < 2048)
            continue;
        double dm = msd_of(orig, rec, n, f0, tab, a, b, len);
        baseline(ds, i, &mean, 1, base);
        double dmean = msd_of(orig, base, n, f0, tab, a, b, len);
        int nn = nearest_training_note(ds, i);
        const gb_tds_note_t *ntr = &ds->notes[nn];
        for (uint32_t f = 0; f < (uint32_t)n; f++) { /* its frames, the last holding */
            uint32_t g = f < ntr->n_frames ? f : ntr->n_frames - 1;
            rec[f] = ds->frames[ntr->first_frame + g].t;
        }
        baseline(ds, i, rec, n, base);
        double dnear = msd_of(orig, base, n, f0, tab, a, b, len);
        if (!isfinite(dm) || !isfinite(dmean) || !isfinite(dnear))
            continue;
        s_model += dm;
        s_mean += dmean;
        s_near += dnear;
        n_eval++;
    }
    free(orig);
    if (n_eval == 0) {
        fprintf(stderr, "gbac: %s: no test note long enough to evaluate\n", data);
        goto done;
    }
    s_model /= n_eval;
    s_mean /= n_eval;
    s_near /= n_eval;
    if (json) {
        printf("{\"msd_model\": %.4f, \"msd_mean_frame\": %.4f, \"msd_nearest_note\": %.4f, "
               "\"test_notes\": %d, \"improvement_over_mean_frame\": %.4f}\n",
               s_model, s_mean, s_near, n_eval, 1.0 - s_model / s_mean);
    } else {
        printf("gbac eval timbre — %s on %s, %d test notes\n\n", model, data, n_eval);
        printf("  multi-scale spectral distance to the original (lower is better)\n");
        printf("    timbre VAE reconstruction   %8.4f\n", s_model);
        printf("    mean frame of training set  %8.4f   (model %.0f%% better)\n", s_mean,
               100.0 * (1.0 - s_model / s_mean));
        printf("    nearest training note       %8.4f   (model %.0f%% better)\n", s_near,
               100.0 * (1.0 - s_model / s_near));
    }
    rc = GB_EXIT_OK;
done:
    free(a);
    free(b);
    free(rec);
    free(base);
    gb_noise_tables_free(tab);
    gb_tds_free(ds);
    gb_model_free(enc);
    gb_model_free(dec);
    return rc;
}

int gb_cmd_eval(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "timbre"))
        return eval_timbre(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return GB_EXIT_OK;
    }
    fprintf(stderr, "gbac eval: expected `gbac eval timbre ...` (see `gbac eval --help`)\n");
    return GB_EXIT_USAGE;
}
