/* cmd_eval.c — `gbac eval timbre` and `gbac eval melody` (below).
 * `gbac eval timbre`: how well the timbre VAE reconstructs held-out notes,
 * against two baselines, as multi-scale spectral distance of rendered audio.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_cli.h"
#include "gb_cli_opts.h"
#include "gb_share.h"
#include "gb_latent_map.h"
#include "gb_melgan.h"
#include "gb_melody_metrics.h"
#include "gb_modelfile.h"
#include "gb_msd.h"
#include "gb_pianoroll.h"
#include "gb_timbre_ds.h"
#include "gb_timbre_render.h"
#include "gb_vae.h"
#include "gb_vae_eval.h"
#include "gb_vae_time.h"

#define EVAL_SR 48000.0
#define DEC_BATCH 64
#define SMOOTH_K 16     /* interpolation steps per latent path */
#define SMOOTH_PAIRS 50 /* at most this many paths */
#define SMOOTH_DB -20.0f
#define ONSET_FRAMES 10 /* 100 ms */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: gbac eval timbre --model M --data DS [--json] [--max-notes N]\n"
            "                        [--static S] [--map OUT.png|OUT.svg [--map-dims I,J]]\n\n"
            "Reconstruct every test-split note of the dataset DS (`gbac dataset timbre`) with\n"
            "the timbre VAE M (decoder file; the encoder is M.enc): encode the note, decode\n"
            "each frame from the latent, the frame's pitch and loudness. Original and\n"
            "reconstructed frames are rendered through the harmonic synth's oscillator bank\n"
            "and compared by multi-scale spectral distance (FFT 2048..64, L1 on magnitude and\n"
            "log magnitude). Two baselines get the same treatment: the training set's mean\n"
            "frame, and the frames of the training note nearest in pitch (both scaled to the\n"
            "original's loudness frame by frame).\n\n"
            "Latent smoothness: for up to 50 pairs of test notes of different instruments\n"
            "(test note i and note i + n/2, in manifest order), z goes linearly from A's mu\n"
            "to B's mu in 16 steps; each of the 17 latents is decoded at the midpoint key's\n"
            "pitch and -20 dB. A step's change is the mean over the 64 harmonics of\n"
            "|log(p + 1e-4)| differences of the harmonic distributions p. Reported: the\n"
            "largest step / mean step of a path (1.0 = perfectly even), its mean and max\n"
            "over paths, and the fraction of paths whose spectral centroid (in harmonic\n"
            "numbers) changes monotonically.\n\n"
            "Latent knobs: a 1.5 s A3 (held 1 s at -20 dB, then released) decoded at the\n"
            "centre of the knobs and with knob k at -2 and +2; knob k's change is the mean\n"
            "multi-scale spectral distance of the two to the centre, reported relative to\n"
            "the strongest knob (latent_dim_effect; latent_dim_change: absolute).\n\n"
            "Onsets: the first 100 ms of every test note of at least 10 frames, for M and\n"
            "for the static ablation S (default M.static, written by `gbac train timbre`;\n"
            "null when there is none): msd_onset_model, msd_onset_static, and msd_static,\n"
            "the ablation's whole-note distance on the same notes.\n\n"
            "  --json         print {\"msd_model\", \"msd_mean_frame\", \"msd_nearest_note\",\n"
            "                 \"test_notes\", \"improvement_over_mean_frame\",\n"
            "                 \"latent_smoothness_max_step_ratio\",\n"
            "                 \"latent_smoothness_mean_step_ratio\",\n"
            "                 \"latent_centroid_monotonic_fraction\", \"latent_paths\",\n"
            "                 \"latent_dim_effect\", \"latent_dim_change\", \"time_in_note\",\n"
            "                 \"onset_notes\", \"msd_onset_model\", \"msd_onset_static\",\n"
            "                 \"msd_static\", \"msd_model_onset_notes\"}\n"
            "                 instead of the table\n"
            "  --static S     the static ablation to compare onsets with (default M.static)\n"
            "  --max-notes N  evaluate at most N test notes (default: all; the smoothness\n"
            "                 paths use all test notes)\n"
            "  --map FILE     draw every note of DS (all splits; test notes outlined) at\n"
            "                 the encoder's (mu_0, mu_1), coloured by GM instrument family:\n"
            "                 a 1000x800 PNG, or SVG when FILE ends in .svg\n"
            "  --map-dims I,J plot latent dimensions I and J instead (default 0,1)\n");
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

static int same_instrument(const gb_tds_t *ds, int a, int b)
{
    const gb_tds_note_t *x = &ds->notes[a], *y = &ds->notes[b];
    return x->program == y->program && (x->program >= 0 || !strcmp(x->name, y->name));
}

typedef struct smoothness {
    double max_ratio, mean_ratio, monotonic_fraction;
    int paths;
} smoothness_t;

/* Latent smoothness along straight paths between test notes of different instruments (the
 * scheme is in usage()). The pairs are i and i + n/2 over the test notes, i visited with a
 * stride so that the paths spread over the whole (program-ordered) manifest. */
static int latent_smoothness(const gb_vae_pair_t *vp, const gb_tds_t *ds, smoothness_t *r)
{
    gb_nn_t *encn = vp->enc, *decn = vp->dec;
    const int zdim = vp->zdim, tf = vp->time_features;
    memset(r, 0, sizeof *r);
    int n = 0, *idx = malloc(sizeof(int) * (size_t)ds->n_notes);
    if (!idx)
        return GB_ENOMEM;
    for (int i = 0; i < ds->n_notes; i++)
        if (ds->notes[i].split == GB_TDS_TEST && ds->notes[i].n_frames > 0)
            idx[n++] = i;
    const int in = zdim + 2 + tf, stride = n / SMOOTH_PAIRS > 1 ? n / SMOOTH_PAIRS : 1;
    int pa[SMOOTH_PAIRS], pb[SMOOTH_PAIRS], n_mono = 0;
    double sum_ratio = 0;
    float x[(SMOOTH_K + 1) * (GB_VAE_MAX_LATENT + 2 + GB_VAE_TIME_FEATURES)],
        y[(SMOOTH_K + 1) * GB_VAE_DEC_OUT];
    float lp[SMOOTH_K + 1][GB_TIMBRE_HARMONICS];
    double cen[SMOOTH_K + 1];
    for (int off = 0; off < stride && r->paths < SMOOTH_PAIRS; off++) {
        for (int i = off; i < n && r->paths < SMOOTH_PAIRS; i += stride) {
            const int a = idx[i], b = idx[(i + n / 2) % n];
            int dup = a == b || same_instrument(ds, a, b);
            for (int q = 0; q < r->paths && !dup; q++)
                dup = (pa[q] == a && pb[q] == b) || (pa[q] == b && pb[q] == a);
            if (dup)
                continue;
            float feat[GB_VAE_ENC_IN], mu[2][2 * GB_VAE_MAX_LATENT];
            gb_vae_note_features(ds, a, feat);
            gb_nn_forward(encn, feat, mu[0], 1);
            gb_vae_note_features(ds, b, feat);
            gb_nn_forward(encn, feat, mu[1], 1);
            const float kmid = 0.5f * (float)(ds->notes[a].key + ds->notes[b].key);
            for (int k = 0; k <= SMOOTH_K; k++) {
                const float t = (float)k / SMOOTH_K;
                for (int d = 0; d < zdim; d++)
                    x[k * in + d] = mu[0][d] + t * (mu[1][d] - mu[0][d]);
                x[k * in + zdim] = (kmid - 69.0f) / 12.0f; /* log2(f0 / 440) */
                x[k * in + zdim + 1] = SMOOTH_DB / 60.0f;
                if (tf) /* held for half a second */
                    gb_vae_time_features(0.5f, -1.0f, x + k * in + zdim + 2);
            }
            gb_nn_forward(decn, x, y, SMOOTH_K + 1);
            for (int k = 0; k <= SMOOTH_K; k++) {
                const float *o = y + k * GB_VAE_DEC_OUT;
                float m = o[0];
                double s = 0, c = 0;
                for (int h = 1; h < GB_TIMBRE_HARMONICS; h++)
                    m = o[h] > m ? o[h] : m;
                for (int h = 0; h < GB_TIMBRE_HARMONICS; h++)
                    s += exp((double)(o[h] - m));
                for (int h = 0; h < GB_TIMBRE_HARMONICS; h++) {
                    const double p = exp((double)(o[h] - m)) / s;
                    lp[k][h] = (float)log(p + 1e-4);
                    c += (h + 1) * p;
                }
                cen[k] = c;
            }
            double total = 0, big = 0;
            int up = 1, down = 1;
            for (int k = 0; k < SMOOTH_K; k++) {
                double d = 0;
                for (int h = 0; h < GB_TIMBRE_HARMONICS; h++)
                    d += fabs((double)lp[k + 1][h] - lp[k][h]);
                d /= GB_TIMBRE_HARMONICS;
                total += d;
                big = d > big ? d : big;
                up &= cen[k + 1] >= cen[k] - 1e-3; /* tolerance: float rounding */
                down &= cen[k + 1] <= cen[k] + 1e-3;
            }
            if (!(total > 1e-9) || !isfinite(total))
                continue; /* the two notes decode alike: no path to measure */
            const double ratio = big / (total / SMOOTH_K);
            pa[r->paths] = a;
            pb[r->paths] = b;
            r->paths++;
            sum_ratio += ratio;
            r->max_ratio = ratio > r->max_ratio ? ratio : r->max_ratio;
            n_mono += up || down;
        }
    }
    free(idx);
    if (r->paths) {
        r->mean_ratio = sum_ratio / r->paths;
        r->monotonic_fraction = (double)n_mono / r->paths;
    }
    return GB_OK;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

/* Every note of the dataset at (mu_dx, mu_dy). The subtitle gives each axis's spread over the
 * notes: a dimension the KL term collapsed onto the prior shows as a spread near 0. */
static int latent_map(gb_nn_t *encn, const gb_tds_t *ds, const char *model, const char *data,
                      const int dims[2], const char *out, gb_error_t *err)
{
    gb_latent_point_t *pt = malloc(sizeof *pt * (size_t)ds->n_notes);
    if (!pt)
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    double s[2] = {0}, s2[2] = {0};
    for (int i = 0; i < ds->n_notes; i++) {
        float feat[GB_VAE_ENC_IN], mulv[2 * GB_VAE_MAX_LATENT];
        gb_vae_note_features(ds, i, feat);
        gb_nn_forward(encn, feat, mulv, 1);
        pt[i] = (gb_latent_point_t){mulv[dims[0]], mulv[dims[1]], ds->notes[i].program,
                                    ds->notes[i].split == GB_TDS_TEST};
        for (int a = 0; a < 2; a++) {
            s[a] += mulv[dims[a]];
            s2[a] += (double)mulv[dims[a]] * mulv[dims[a]];
        }
    }
    double sd[2];
    for (int a = 0; a < 2; a++) {
        const double m = s[a] / ds->n_notes;
        sd[a] = sqrt(fmax(s2[a] / ds->n_notes - m * m, 0.0));
    }
    char title[320], sub[1024], xl[64], yl[64];
    snprintf(title, sizeof title, "Timbre VAE latent map \xe2\x80\x94 %.280s", base_name(model));
    snprintf(sub, sizeof sub,
             "all %d notes of %.200s (train, validation, test) at the encoder mean; "
             "sd over notes: %.3f (mu_%d), %.3f (mu_%d)",
             ds->n_notes, base_name(data), sd[0], dims[0], sd[1], dims[1]);
    snprintf(xl, sizeof xl, "latent dimension %d (mu_%d)", dims[0], dims[0]);
    snprintf(yl, sizeof yl, "latent dimension %d (mu_%d)", dims[1], dims[1]);
    int rc = gb_latent_map_write(out, pt, ds->n_notes, title, sub, xl, yl, "test split", err);
    free(pt);
    return rc;
}

static int eval_timbre(int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *map = NULL, *static_model = NULL;
    int map_dims[2] = {0, 1};
    int json = 0;
    long max_notes = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc) {
            model = argv[++i];
        } else if (!strcmp(argv[i], "--data") && i + 1 < argc) {
            data = argv[++i];
        } else if (!strcmp(argv[i], "--map") && i + 1 < argc) {
            map = argv[++i];
        } else if (!strcmp(argv[i], "--static") && i + 1 < argc) {
            static_model = argv[++i];
        } else if (!strcmp(argv[i], "--map-dims") && i + 1 < argc) {
            char *end;
            long d0 = strtol(argv[++i], &end, 10), d1 = -1;
            if (*end == ',')
                d1 = strtol(end + 1, &end, 10);
            if (*end || d0 < 0 || d1 < 0 || d0 >= GB_VAE_MAX_LATENT ||
                d1 >= GB_VAE_MAX_LATENT || d0 == d1) {
                fprintf(stderr, "gbac eval timbre: --map-dims %s: expected two different "
                                "latent dimensions I,J (e.g. 0,1)\n",
                        argv[i]);
                return GB_EXIT_USAGE;
            }
            map_dims[0] = (int)d0;
            map_dims[1] = (int)d1;
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
    char enc_path[4096], static_path[4096];
    snprintf(enc_path, sizeof enc_path, "%s.enc", model);
    if (!static_model) { /* the ablation `gbac train timbre` writes beside the model */
        snprintf(static_path, sizeof static_path, "%s.static", model);
        static_model = access(static_path, R_OK) == 0 ? static_path : NULL;
    }
    gb_vae_pair_t vp = {0}, sp = {0};
    gb_tds_t *ds = NULL;
    if (gb_vae_pair_load(model, DEC_BATCH, &vp, &err) == 0 &&
        (!static_model || gb_vae_pair_load(static_model, DEC_BATCH, &sp, &err) == 0))
        ds = gb_tds_load(data, &err);
    gb_noise_tables_t *tab = ds ? gb_noise_tables_new(EVAL_SR, 7u, &err) : NULL;
    int rc = GB_EXIT_FAIL;
    float *a = NULL, *b = NULL;
    gb_timbre_frame_t *rec = NULL, *base = NULL;
    if (!tab) {
        fprintf(stderr, "gbac: %s\n", err.msg);
        goto done;
    }
    gb_nn_t *encn = vp.enc;
    const int zdim = vp.zdim;
    double effect[GB_VAE_MAX_LATENT], effect_max = 0.0;
    if (gb_vae_knob_effect(&vp, tab, effect)) {
        fprintf(stderr, "gbac: out of memory\n");
        goto done;
    }
    for (int k = 0; k < zdim; k++)
        effect_max = effect[k] > effect_max ? effect[k] : effect_max;
    if (gb_tds_count(ds, GB_TDS_TEST) == 0 || gb_tds_count(ds, GB_TDS_TRAIN) == 0) {
        fprintf(stderr, "gbac: %s: the dataset needs training and test notes\n", data);
        goto done;
    }
    if (map) { /* first: a bad path fails before the long evaluation */
        if (map_dims[0] >= zdim || map_dims[1] >= zdim) {
            fprintf(stderr, "gbac: --map-dims %d,%d: %s has latent dimensions 0..%d\n",
                    map_dims[0], map_dims[1], enc_path, zdim - 1);
            goto done;
        }
        if (latent_map(encn, ds, model, data, map_dims, map, &err)) {
            fprintf(stderr, "gbac eval timbre: --map %s\n", err.msg);
            goto done;
        }
    }
    smoothness_t sm;
    if (latent_smoothness(&vp, ds, &sm)) {
        fprintf(stderr, "gbac: out of memory\n");
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
    double s_model = 0, s_mean = 0, s_near = 0, s_static = 0, s_on_model = 0, s_on_static = 0,
           s_model_on = 0;
    int n_eval = 0, n_onset = 0;
    for (int i = 0; i < ds->n_notes && (max_notes < 0 || n_eval < max_notes); i++) {
        const gb_tds_note_t *nt = &ds->notes[i];
        if (nt->split != GB_TDS_TEST || nt->n_frames == 0)
            continue;
        float feat[GB_VAE_ENC_IN], mulv[2 * GB_VAE_MAX_LATENT];
        gb_vae_note_features(ds, i, feat);
        gb_nn_forward(encn, feat, mulv, 1);
        if (gb_vae_decode_note(&vp, ds, i, mulv, (int)nt->n_frames, rec)) {
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
        double dm = msd_of(orig, rec, n, f0, tab, a, b, len), ds_whole = NAN;
        if (n >= ONSET_FRAMES) { /* the first 100 ms */
            const size_t lon = (size_t)(ONSET_FRAMES * GB_TIMBRE_HOP_S * EVAL_SR);
            const double don = msd_of(orig, rec, ONSET_FRAMES, f0, tab, a, b, lon);
            if (getenv("GBAC_DIAG")) {
                static double sd[4]; static int cnt;
                gb_timbre_frame_t t2[ONSET_FRAMES];
                for (int v = 0; v < 3; v++) {
                    for (int f = 0; f < ONSET_FRAMES; f++) {
                        t2[f] = rec[f];
                        if (v == 0) t2[f].amp = orig[f].amp;
                        if (v == 1) memcpy(t2[f].noise, orig[f].noise, sizeof t2[f].noise);
                        if (v == 2) memcpy(t2[f].harm, orig[f].harm, sizeof t2[f].harm);
                    }
                    sd[v] += msd_of(orig, t2, ONSET_FRAMES, f0, tab, a, b, lon);
                }
                sd[3] += don; cnt++;
                if (cnt % 61 == 0) fprintf(stderr, "diag n=%d model %.4f origamp %.4f orignoise %.4f origharm %.4f\n", cnt, sd[3]/cnt, sd[0]/cnt, sd[1]/cnt, sd[2]/cnt);
            }
            double dson = NAN;
            if (sp.dec) {
                float smulv[2 * GB_VAE_MAX_LATENT];
                gb_nn_forward(sp.enc, feat, smulv, 1);
                gb_vae_decode_note(&sp, ds, i, smulv, n, base);
                dson = msd_of(orig, base, ONSET_FRAMES, f0, tab, a, b, lon);
                ds_whole = msd_of(orig, base, n, f0, tab, a, b, len);
            }
            if (isfinite(don) && (!sp.dec || (isfinite(dson) && isfinite(ds_whole)))) {
                s_on_model += don;
                s_on_static += sp.dec ? dson : 0.0;
                s_static += sp.dec ? ds_whole : 0.0;
                s_model_on += dm;
                n_onset++;
            }
        }
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
    if (n_onset) {
        s_on_model /= n_onset;
        s_on_static /= n_onset;
        s_static /= n_onset;
        s_model_on /= n_onset;
    }
    if (json) {
        printf("{\"msd_model\": %.4f, \"msd_mean_frame\": %.4f, \"msd_nearest_note\": %.4f, "
               "\"test_notes\": %d, \"improvement_over_mean_frame\": %.4f, "
               "\"latent_smoothness_max_step_ratio\": %.4f, "
               "\"latent_smoothness_mean_step_ratio\": %.4f, "
               "\"latent_centroid_monotonic_fraction\": %.4f, \"latent_paths\": %d, "
               "\"latent_dim_effect\": [",
               s_model, s_mean, s_near, n_eval, 1.0 - s_model / s_mean, sm.max_ratio,
               sm.mean_ratio, sm.monotonic_fraction, sm.paths);
        for (int k = 0; k < zdim; k++)
            printf("%s%.4f", k ? ", " : "", effect_max > 0 ? effect[k] / effect_max : 0.0);
        printf("], \"latent_dim_change\": [");
        for (int k = 0; k < zdim; k++)
            printf("%s%.4f", k ? ", " : "", effect[k]);
        printf("], \"time_in_note\": %s, \"onset_notes\": %d", vp.time_features ? "true" : "false",
               n_onset);
        if (n_onset)
            printf(", \"msd_onset_model\": %.4f", s_on_model);
        else
            printf(", \"msd_onset_model\": null");
        if (n_onset && sp.dec)
            printf(", \"msd_onset_static\": %.4f, \"msd_static\": %.4f, "
                   "\"msd_model_onset_notes\": %.4f", s_on_static, s_static, s_model_on);
        else
            printf(", \"msd_onset_static\": null, \"msd_static\": null");
        printf("}\n");
    } else {
        printf("gbac eval timbre — %s on %s, %d test notes\n\n", model, data, n_eval);
        printf("  multi-scale spectral distance to the original (lower is better)\n");
        printf("    timbre VAE reconstruction   %8.4f\n", s_model);
        printf("    mean frame of training set  %8.4f   (model %.0f%% better)\n", s_mean,
               100.0 * (1.0 - s_model / s_mean));
        printf("    nearest training note       %8.4f   (model %.0f%% better)\n", s_near,
               100.0 * (1.0 - s_model / s_near));
        printf("\n  latent smoothness, %d straight paths between test notes of different\n"
               "  instruments (%d steps, decoded at the midpoint pitch and %.0f dB)\n",
               sm.paths, SMOOTH_K, (double)SMOOTH_DB);
        printf("    largest step / mean step    %8.4f mean, %.4f max   (1.0 is even)\n",
               sm.mean_ratio, sm.max_ratio);
        printf("    centroid monotonic          %8.4f of the paths\n", sm.monotonic_fraction);
        printf("\n  latent knobs (principal components%s): change of a rendered A3 when knob k\n"
               "  goes to -2 and +2, relative to the strongest knob\n   ",
               vp.basis ? "" : "; this model has no basis: raw dimensions");
        for (int k = 0; k < zdim; k++)
            printf(" %d: %.2f", k, effect_max > 0 ? effect[k] / effect_max : 0.0);
        printf("\n");
        if (n_onset) {
            printf("\n  first 100 ms of %d test notes (time in the note: %s)\n", n_onset,
                   vp.time_features ? "yes" : "no");
            printf("    this model                  %8.4f\n", s_on_model);
            if (sp.dec)
                printf("    static ablation %-12s%8.4f   (model %.0f%% better; whole "
                       "notes: %.4f vs %.4f)\n", "", s_on_static,
                       100.0 * (1.0 - s_on_model / s_on_static), s_model_on, s_static);
        }
        if (map)
            printf("\n  latent map: %s\n", map);
    }
    rc = GB_EXIT_OK;
done:
    free(a);
    free(b);
    free(rec);
    free(base);
    gb_noise_tables_free(tab);
    gb_tds_free(ds);
    gb_vae_pair_free(&vp);
    gb_vae_pair_free(&sp);
    return rc;
}

/* ---- gbac eval melody ------------------------------------------------------------------ */

#define MEL_MODEL_PROBE "models/melody-gan.safetensors"
#define MEL_S GB_MDS_MAX_STEPS
#define MEL_ROLL_TUNES 3

static void usage_melody(FILE *f)
{
    fprintf(f,
            "Usage: gbac eval melody --data DS [--model M] [--json] [--bars N] [--seed S]\n"
            "                        [--roll OUT.png]\n\n"
            "Evaluate the melody GAN M (default: the shipped models/melody-gan.safetensors;\n"
            "its critic is M.disc) on the dataset DS (`gbac dataset melody`). For each\n"
            "test-split tune with at least two bars, N bars (default 8, fewer if the tune is\n"
            "shorter) are generated as in live answer mode: the first conditioned on the\n"
            "tune's first bar, each next one on the previous generated bar (top-k 6, best of\n"
            "4 by the critic, seed S + tune index). The reference phrases are the same tunes'\n"
            "real bars 2..N+1.\n\n"
            "Reported: the Yang & Lerch features per phrase (pitch count, pitch-class\n"
            "histogram, pitch-class transitions, pitch range, average interval, note count,\n"
            "average inter-onset interval, note-length histogram), for each the overlapped\n"
            "area (OA, 1 = same) and KL divergence of the real intra-set distance density\n"
            "against the generated-to-real inter-set one (Gaussian KDE); scale consistency\n"
            "and pitch-class entropy; the share of 2-bar phrases and of bars that copy a\n"
            "training-split one exactly or up to transposition, for the generated and the\n"
            "held-out real phrases; the critic's mean logit on generated and real bars.\n\n"
            "  --json        print one JSON object (oa_<feature>, kl_<feature>,\n"
            "                copy_rate_generated, copy_rate_heldout, scale_consistency, ...)\n"
            "  --bars N      bars generated per tune, 1..64 (8)\n"
            "  --seed S      random seed (1)\n"
            "  --roll FILE   draw %d generated phrases under their real ones as a %dx%d PNG\n\n"
            "Exit status: 0; 1 if a file cannot be read or written or DS has no usable test\n"
            "tune; 2 on a usage error.\n",
            MEL_ROLL_TUNES, GB_PIANOROLL_WIDTH, GB_PIANOROLL_HEIGHT);
}

static void jnum(const char *key, double v, int last)
{
    if (isfinite(v))
        printf("\"%s\": %.6g%s", key, v, last ? "" : ", ");
    else
        printf("\"%s\": null%s", key, last ? "" : ", ");
}

typedef struct mel_phrase {
    int tune, bars, steps, num, den, mode;
    uint8_t first[MEL_S];  /* the tune's first bar (context of generated bar 0) */
    uint32_t rec0;         /* index into the original-record list of real bar 1 */
    uint8_t *gen, *real;   /* bars × MEL_S tokens */
} mel_phrase_t;

static double critic_score(gb_nn_t *critic, const mel_phrase_t *p, const uint8_t *ctx,
                           const uint8_t *bar)
{
    float in[GB_MELGAN_CRIT_IN], sc = 0.0f;
    gb_melgan_critic_input(ctx, p->steps, p->num, p->den, p->mode, 0, bar, in);
    gb_nn_reset(critic);
    gb_nn_forward(critic, in, &sc, 1);
    return sc;
}

/* Copy shares of n2 2-bar phrases (pairs of consecutive bars in ph) and of single bars. */
typedef struct mel_copy {
    long pairs, pair_exact, pair_tf, bars, bar_exact, bar_tf;
} mel_copy_t;

typedef struct mel_hashes {
    uint64_t *bar_x, *bar_t, *pair_x, *pair_t;
    int n_bar, n_pair;
} mel_hashes_t;

static void count_copies(const mel_hashes_t *h, const uint8_t *bars, int nb, int steps,
                         mel_copy_t *c)
{
    uint8_t two[2 * MEL_S];
    for (int b = 0; b < nb; b++) {
        const uint8_t *x = bars + (size_t)b * MEL_S;
        c->bars++;
        c->bar_exact += gb_mm_hash_find(h->bar_x, h->n_bar, gb_mm_hash(x, steps, 0));
        c->bar_tf += gb_mm_hash_find(h->bar_t, h->n_bar, gb_mm_hash(x, steps, 1));
        if (b == 0)
            continue;
        memcpy(two, x - MEL_S, (size_t)steps);
        memcpy(two + steps, x, (size_t)steps);
        c->pairs++;
        c->pair_exact += gb_mm_hash_find(h->pair_x, h->n_pair, gb_mm_hash(two, 2 * steps, 0));
        c->pair_tf += gb_mm_hash_find(h->pair_t, h->n_pair, gb_mm_hash(two, 2 * steps, 1));
    }
}

static double share(long k, long n)
{
    return n > 0 ? (double)k / (double)n : NAN;
}

static int eval_melody(int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *roll = NULL;
    int json = 0, bars = 8, seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage_melody(stdout);
            return GB_EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (i + 1 >= argc && (!strcmp(a, "--model") || !strcmp(a, "--data") ||
                                     !strcmp(a, "--roll") || !strcmp(a, "--bars") ||
                                     !strcmp(a, "--seed"))) {
            fprintf(stderr, "gbac eval melody: %s needs a value (see `gbac eval melody "
                            "--help`)\n", a);
            return GB_EXIT_USAGE;
        } else if (!strcmp(a, "--model")) {
            model = argv[++i];
        } else if (!strcmp(a, "--data")) {
            data = argv[++i];
        } else if (!strcmp(a, "--roll")) {
            roll = argv[++i];
        } else if (!strcmp(a, "--bars")) {
            if (gb_parse_int(argv[++i], 1, 64, &bars) < 0) {
                fprintf(stderr, "gbac eval melody: --bars '%s': expected 1..64\n", argv[i]);
                return GB_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--seed")) {
            if (gb_parse_int(argv[++i], 0, 2147483647L, &seed) < 0) {
                fprintf(stderr, "gbac eval melody: --seed '%s': expected a non-negative "
                                "integer\n", argv[i]);
                return GB_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "gbac eval melody: unknown option '%s' (see `gbac eval melody "
                            "--help`)\n", a);
            return GB_EXIT_USAGE;
        }
    }
    if (!data) {
        fprintf(stderr, "gbac eval melody: --data DS is required (a folder made by `gbac "
                        "dataset melody`)\n");
        return GB_EXIT_USAGE;
    }
    char path[4200], disc[4300], tried[8192];
    if (!model) {
        if (gb_share_file(MEL_MODEL_PROBE, path, sizeof path, tried, sizeof tried) < 0) {
            fprintf(stderr, "gbac eval melody: " MEL_MODEL_PROBE " not found in %s; pass "
                            "--model FILE\n", tried);
            return GB_EXIT_FAIL;
        }
        model = path;
    }
    snprintf(disc, sizeof disc, "%s.disc", model);

    int rc = GB_EXIT_FAIL, n_ph = 0;
    gb_error_t err = {0};
    gb_model_t *gm = NULL, *cm = NULL;
    gb_melody_ds_t *ds = NULL;
    uint32_t *orig = NULL, *first_of = NULL, *count_of = NULL;
    mel_phrase_t *ph = NULL;
    gb_mm_features_t *fg = NULL, *fr = NULL;
    double *d_rr = NULL, *d_gr = NULL, *d_gg = NULL;
    mel_hashes_t h = {0};

    gm = gb_model_load(model, 1, &err);
    if (!gm) {
        fprintf(stderr, "gbac eval melody: %s\n", err.msg);
        goto done;
    }
    if (strcmp(gb_model_kind(gm), "melody-gan-generator") != 0) {
        fprintf(stderr, "gbac eval melody: %s: a %s model, not a melody-gan-generator\n",
                model, gb_model_kind(gm));
        goto done;
    }
    if (access(disc, R_OK) == 0 && !(cm = gb_model_load(disc, 1, &err))) {
        fprintf(stderr, "gbac eval melody: %s\n", err.msg);
        goto done;
    }
    ds = gb_melody_ds_load(data, &err);
    if (!ds) {
        fprintf(stderr, "gbac eval melody: %s\n", err.msg);
        goto done;
    }

    /* Original (untransposed) records tune by tune, and the training hashes. */
    const int nt = ds->n_tunes;
    orig = malloc(sizeof *orig * (ds->n_records + 1u));
    first_of = calloc((size_t)nt + 1, sizeof *first_of);
    count_of = calloc((size_t)nt + 1, sizeof *count_of);
    h.bar_x = malloc(sizeof(uint64_t) * (ds->n_records + 1u));
    h.bar_t = malloc(sizeof(uint64_t) * (ds->n_records + 1u));
    h.pair_x = malloc(sizeof(uint64_t) * (ds->n_records + 1u));
    h.pair_t = malloc(sizeof(uint64_t) * (ds->n_records + 1u));
    ph = calloc((size_t)nt + 1, sizeof *ph);
    if (!orig || !first_of || !count_of || !h.bar_x || !h.bar_t || !h.pair_x || !h.pair_t ||
        !ph) {
        fprintf(stderr, "gbac eval melody: out of memory\n");
        goto done;
    }
    uint32_t n_orig = 0;
    for (uint32_t r = 0; r < ds->n_records; r++) {
        const gb_mds_record_t *rec = &ds->records[r];
        if (rec->transpose != 0)
            continue;
        if (!count_of[rec->tune]++)
            first_of[rec->tune] = n_orig;
        orig[n_orig++] = r;
        if (rec->split != GB_MDS_TRAIN)
            continue;
        const int st = rec->steps_per_bar;
        h.bar_x[h.n_bar] = gb_mm_hash(rec->target, st, 0);
        h.bar_t[h.n_bar++] = gb_mm_hash(rec->target, st, 1);
        if (!(rec->flags & 1)) {
            uint8_t two[2 * MEL_S];
            memcpy(two, rec->context, (size_t)st);
            memcpy(two + st, rec->target, (size_t)st);
            h.pair_x[h.n_pair] = gb_mm_hash(two, 2 * st, 0);
            h.pair_t[h.n_pair++] = gb_mm_hash(two, 2 * st, 1);
        }
    }
    gb_mm_hash_sort(h.bar_x, h.n_bar);
    gb_mm_hash_sort(h.bar_t, h.n_bar);
    gb_mm_hash_sort(h.pair_x, h.n_pair);
    gb_mm_hash_sort(h.pair_t, h.n_pair);

    /* Generate. */
    mel_copy_t cg = {0}, cr = {0};
    double crit_g = 0, crit_r = 0;
    long n_crit = 0, gen_bars = 0;
    for (int t = 0; t < nt; t++) {
        const gb_mds_tune_t *tu = &ds->tunes[t];
        if (tu->split != GB_MDS_TEST || count_of[t] < 2)
            continue;
        mel_phrase_t *p = &ph[n_ph];
        p->tune = t;
        p->num = tu->meter_num;
        p->den = tu->meter_den;
        p->steps = tu->steps_per_bar;
        p->mode = tu->mode;
        if (p->den <= 0 || p->num * 16 % p->den || p->num * 16 / p->den != p->steps ||
            p->steps > MEL_S)
            continue; /* a meter the generator cannot take */
        p->bars = (int)count_of[t] - 1 < bars ? (int)count_of[t] - 1 : bars;
        p->rec0 = first_of[t] + 1;
        memcpy(p->first, ds->records[orig[first_of[t]]].target, MEL_S);
        p->gen = malloc((size_t)p->bars * MEL_S);
        p->real = malloc((size_t)p->bars * MEL_S);
        if (!p->gen || !p->real) {
            free(p->gen);
            free(p->real);
            fprintf(stderr, "gbac eval melody: out of memory\n");
            goto done;
        }
        n_ph++;
        for (int b = 0; b < p->bars; b++)
            memcpy(p->real + (size_t)b * MEL_S, ds->records[orig[p->rec0 + (uint32_t)b]].target,
                   MEL_S);
        gb_melgan_gen_opts_t o = {.version = 1, .bars = p->bars, .num = p->num, .den = p->den,
                                  .mode = p->mode, .seed = (uint64_t)seed + (uint64_t)t,
                                  .temperature = 1.0f, .top_k = 6,
                                  .candidates = cm ? 4 : 1};
        if (gb_melgan_generate(gb_model_nn(gm), cm ? gb_model_nn(cm) : NULL, &o, p->first,
                               p->gen, NULL, &err) < 0) {
            fprintf(stderr, "gbac eval melody: %s: %s\n", model, err.msg);
            goto done;
        }
        gen_bars += p->bars;
        count_copies(&h, p->gen, p->bars, p->steps, &cg);
        count_copies(&h, p->real, p->bars, p->steps, &cr);
        if (cm)
            for (int b = 0; b < p->bars; b++) {
                const uint8_t *gc = b ? p->gen + (size_t)(b - 1) * MEL_S : p->first;
                const gb_mds_record_t *rr = &ds->records[orig[p->rec0 + (uint32_t)b]];
                crit_g += critic_score(gb_model_nn(cm), p, gc, p->gen + (size_t)b * MEL_S);
                crit_r += critic_score(gb_model_nn(cm), p, rr->context, rr->target);
                n_crit++;
            }
    }
    if (n_ph < 2) {
        fprintf(stderr, "gbac eval melody: %s: %d test-split tune(s) with 2+ bars in a meter "
                        "of at most %d steps; at least 2 are needed (make the dataset with a "
                        "larger test share, --split)\n", data, n_ph, MEL_S);
        goto done;
    }

    /* Features, distance distributions, OA / KL. */
    fg = malloc(sizeof *fg * (size_t)n_ph);
    fr = malloc(sizeof *fr * (size_t)n_ph);
    const size_t n_intra = (size_t)n_ph * (size_t)(n_ph - 1) / 2, n_inter = (size_t)n_ph * n_ph;
    d_rr = malloc(sizeof *d_rr * n_intra);
    d_gg = malloc(sizeof *d_gg * n_intra);
    d_gr = malloc(sizeof *d_gr * n_inter);
    if (!fg || !fr || !d_rr || !d_gg || !d_gr) {
        fprintf(stderr, "gbac eval melody: out of memory\n");
        goto done;
    }
    double sc_g = 0, sc_r = 0, en_g = 0, en_r = 0;
    for (int i = 0; i < n_ph; i++) {
        gb_mm_features(ph[i].gen, ph[i].bars * MEL_S, &fg[i]);
        gb_mm_features(ph[i].real, ph[i].bars * MEL_S, &fr[i]);
        sc_g += gb_mm_scale_consistency(fg[i].pc_hist) / n_ph;
        sc_r += gb_mm_scale_consistency(fr[i].pc_hist) / n_ph;
        en_g += gb_mm_pc_entropy(fg[i].pc_hist) / n_ph;
        en_r += gb_mm_pc_entropy(fr[i].pc_hist) / n_ph;
    }
    double oa[GB_MM_N_FEATURES], kl[GB_MM_N_FEATURES], m_rr[GB_MM_N_FEATURES],
        m_gr[GB_MM_N_FEATURES], m_gg[GB_MM_N_FEATURES];
    for (int k = 0; k < GB_MM_N_FEATURES; k++) {
        size_t a = 0, b = 0;
        m_rr[k] = m_gg[k] = m_gr[k] = 0;
        for (int i = 0; i < n_ph; i++)
            for (int j = 0; j < n_ph; j++) {
                d_gr[b] = gb_mm_feature_distance(&fg[i], &fr[j], k);
                m_gr[k] += d_gr[b++] / (double)n_inter;
                if (j <= i)
                    continue;
                d_rr[a] = gb_mm_feature_distance(&fr[i], &fr[j], k);
                d_gg[a] = gb_mm_feature_distance(&fg[i], &fg[j], k);
                m_rr[k] += d_rr[a] / (double)n_intra;
                m_gg[k] += d_gg[a++] / (double)n_intra;
            }
        oa[k] = gb_mm_overlap(d_rr, (int)n_intra, d_gr, (int)n_inter, &kl[k]);
    }
    const double cgx = share(cg.pair_exact, cg.pairs), crx = share(cr.pair_exact, cr.pairs);
    const double cgt = share(cg.pair_tf, cg.pairs), crt = share(cr.pair_tf, cr.pairs);
    const double bgx = share(cg.bar_exact, cg.bars), brx = share(cr.bar_exact, cr.bars);
    const double bgt = share(cg.bar_tf, cg.bars), brt = share(cr.bar_tf, cr.bars);
    const double mcg = n_crit ? crit_g / n_crit : NAN, mcr = n_crit ? crit_r / n_crit : NAN;

    if (roll) {
        gb_pianoroll_row_t rows[2 * MEL_ROLL_TUNES];
        char labels[2 * MEL_ROLL_TUNES][96];
        int nr = 0;
        for (int i = 0; i < n_ph && i < MEL_ROLL_TUNES; i++) {
            const int nb = ph[i].bars < 8 ? ph[i].bars : 8;
            snprintf(labels[nr], sizeof labels[nr], "%.60s (real)", ds->tunes[ph[i].tune].name);
            rows[nr] = (gb_pianoroll_row_t){labels[nr], ph[i].real, nb, ph[i].steps, 0};
            nr++;
            snprintf(labels[nr], sizeof labels[nr], "generated");
            rows[nr] = (gb_pianoroll_row_t){labels[nr], ph[i].gen, nb, ph[i].steps, 1};
            nr++;
        }
        if (gb_pianoroll_write(roll, rows, nr, "gbac eval melody: generated vs real phrases",
                               &err) < 0) {
            fprintf(stderr, "gbac eval melody: %s\n", err.msg);
            goto done;
        }
    }

    if (json) {
        printf("{");
        char key[64];
        for (int k = 0; k < GB_MM_N_FEATURES; k++) {
            snprintf(key, sizeof key, "oa_%s", gb_mm_feature_name(k));
            jnum(key, oa[k], 0);
            snprintf(key, sizeof key, "kl_%s", gb_mm_feature_name(k));
            jnum(key, kl[k], 0);
        }
        jnum("copy_rate_generated", cgx, 0);
        jnum("copy_rate_heldout", crx, 0);
        jnum("copy_rate_generated_transposed", cgt, 0);
        jnum("copy_rate_heldout_transposed", crt, 0);
        jnum("bar_copy_rate_generated", bgx, 0);
        jnum("bar_copy_rate_heldout", brx, 0);
        jnum("bar_copy_rate_generated_transposed", bgt, 0);
        jnum("bar_copy_rate_heldout_transposed", brt, 0);
        jnum("scale_consistency", sc_g, 0);
        jnum("scale_consistency_real", sc_r, 0);
        jnum("pitch_class_entropy", en_g, 0);
        jnum("pitch_class_entropy_real", en_r, 0);
        jnum("critic_generated", mcg, 0);
        jnum("critic_real", mcr, 0);
        jnum("phrases", n_ph, 0);
        jnum("generated_bars", (double)gen_bars, 1);
        printf("}\n");
    } else {
        printf("gbac eval melody — %s on %s: %d test tunes, %ld generated bars (seed %d)\n\n",
               model, data, n_ph, gen_bars, seed);
        printf("  %-24s %8s %8s %10s %10s %10s\n", "feature", "OA", "KL", "intra real",
               "intra gen", "inter");
        for (int k = 0; k < GB_MM_N_FEATURES; k++)
            printf("  %-24s %8.3f %8.3f %10.3f %10.3f %10.3f\n", gb_mm_feature_name(k), oa[k],
                   kl[k], m_rr[k], m_gg[k], m_gr[k]);
        printf("  (OA / KL: real intra-set vs generated-to-real distance densities; mean "
               "distances)\n\n");
        printf("  %-36s %10s %10s\n", "", "generated", "real");
        printf("  %-36s %10.3f %10.3f\n", "scale consistency", sc_g, sc_r);
        printf("  %-36s %10.3f %10.3f\n", "pitch-class entropy (bits)", en_g, en_r);
        printf("  %-36s %10.3f %10.3f\n", "2-bar copies of training, exact", cgx, crx);
        printf("  %-36s %10.3f %10.3f\n", "2-bar copies, up to transposition", cgt, crt);
        printf("  %-36s %10.3f %10.3f\n", "bar copies of training, exact", bgx, brx);
        printf("  %-36s %10.3f %10.3f\n", "bar copies, up to transposition", bgt, brt);
        if (cm)
            printf("  %-36s %10.3f %10.3f\n", "critic mean logit", mcg, mcr);
        else
            printf("  critic: %s not found, not scored\n", disc);
        if (roll)
            printf("\n  piano roll: %s\n", roll);
    }
    rc = GB_EXIT_OK;
done:
    for (int i = 0; ph && i < n_ph; i++) {
        free(ph[i].gen);
        free(ph[i].real);
    }
    free(ph);
    free(fg);
    free(fr);
    free(d_rr);
    free(d_gg);
    free(d_gr);
    free(h.bar_x);
    free(h.bar_t);
    free(h.pair_x);
    free(h.pair_t);
    free(orig);
    free(first_of);
    free(count_of);
    gb_melody_ds_free(ds);
    gb_model_free(gm);
    gb_model_free(cm);
    return rc;
}

int gb_cmd_eval(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "timbre"))
        return eval_timbre(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "melody"))
        return eval_melody(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return GB_EXIT_OK;
    }
    fprintf(stderr, "gbac eval: expected `gbac eval timbre ...` or `gbac eval melody ...` (see "
                    "`gbac eval --help`, `gbac eval melody --help`)\n");
    return GB_EXIT_USAGE;
}
