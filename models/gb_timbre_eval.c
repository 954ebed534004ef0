/* gb_timbre_eval.c — reconstruction and latent smoothness of a timbre VAE (gb_timbre_eval.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_timbre_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gb_modelfile.h"
#include "gb_msd.h"
#include "gb_oscbank.h"
#include "gb_timbre_ds.h"
#include "gb_timbre_render.h"
#include "gb_vae.h"
#include "gb_vae_eval.h"
#include "gb_vae_time.h"

#include <unistd.h>

#define EVAL_SR 48000.0
#define DEC_BATCH 64
#define K GB_TIMBRE_EVAL_STEPS

struct gb_timbre_eval {
    gb_vae_pair_t vp, sp; /* the model, and its static ablation (sp.dec NULL: none) */
    gb_nn_t *decn, *encn;
    gb_tds_t *ds;
    gb_noise_tables_t *tab;
    int zdim;
    char data[4096];
};

void gb_timbre_eval_free(gb_timbre_eval_t *e)
{
    if (!e)
        return;
    gb_noise_tables_free(e->tab);
    gb_tds_free(e->ds);
    gb_vae_pair_free(&e->vp);
    gb_vae_pair_free(&e->sp);
    free(e);
}

gb_timbre_eval_t *gb_timbre_eval_open(const char *model, const char *static_model,
                                      const char *data, gb_error_t *err)
{
    gb_timbre_eval_t *e = calloc(1, sizeof *e);
    char st_path[4096];
    if (!e) {
        gb_error_set(err, GB_ENOMEM, "out of memory");
        return NULL;
    }
    if (!static_model) { /* the ablation `gbac train timbre` writes beside the model */
        snprintf(st_path, sizeof st_path, "%s.static", model);
        static_model = access(st_path, R_OK) == 0 ? st_path : NULL;
    }
    if (gb_vae_pair_load(model, DEC_BATCH, &e->vp, err) < 0 ||
        (static_model && gb_vae_pair_load(static_model, DEC_BATCH, &e->sp, err) < 0) ||
        !(e->ds = gb_tds_load(data, err)) || !(e->tab = gb_noise_tables_new(EVAL_SR, 7u, err)))
        goto fail;
    snprintf(e->data, sizeof e->data, "%s", data);
    e->encn = e->vp.enc;
    e->decn = e->vp.dec;
    e->zdim = e->vp.zdim;
    if (gb_tds_count(e->ds, GB_TDS_TEST) == 0 || gb_tds_count(e->ds, GB_TDS_TRAIN) == 0) {
        gb_error_set(err, GB_EFORMAT, "%s: the dataset needs training and test notes", data);
        goto fail;
    }
    return e;
fail:
    gb_timbre_eval_free(e);
    return NULL;
}

int gb_timbre_eval_latent_dims(const gb_timbre_eval_t *e)
{
    return e->zdim;
}

/* ---------------------------------------------------------------- decoding */

/* Decode every frame of note ni of pair p from latent z into out[] (pitch, loudness and
 * place in the note of each frame: gb_vae_eval.h). */
static void decode_note(const gb_timbre_eval_t *e, const gb_vae_pair_t *p, int ni,
                        const float *z, gb_timbre_frame_t *out)
{
    gb_vae_decode_note(p, e->ds, ni, z, (int)e->ds->notes[ni].n_frames, out);
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

/* ---------------------------------------------------------------- reconstruction */

typedef struct work {
    float *a, *b;                            /* rendered audio, len_max each */
    size_t len_max;
    gb_timbre_frame_t *orig, *rec, *base;    /* max_frames each */
    gb_timbre_frame_t mean;
} work_t;

static double msd_of(const gb_timbre_eval_t *e, work_t *w, const gb_timbre_frame_t *x, int n,
                     double f0, size_t len)
{
    gb_msd_t d;
    if (gb_timbre_render(w->orig, n, f0, EVAL_SR, e->tab, w->a, len, NULL) ||
        gb_timbre_render(x, n, f0, EVAL_SR, e->tab, w->b, len, NULL) ||
        gb_msd(w->a, w->b, len, &d, NULL))
        return NAN;
    return d.total;
}

/* The three distances of test note i; 0, or -1 if the note is too short or a distance is not
 * finite. d[3..5]: the first 100 ms for the model and the static ablation, and the ablation's
 * whole note (NAN when the note is shorter or there is no ablation). */
static int eval_note(const gb_timbre_eval_t *e, work_t *w, int i, double d[6])
{
    const gb_tds_t *ds = e->ds;
    const gb_tds_note_t *nt = &ds->notes[i];
    const int n = (int)nt->n_frames;
    const size_t len = (size_t)(n * GB_TIMBRE_HOP_S * EVAL_SR);
    if (len < 2048)
        return -1;
    float feat[GB_VAE_ENC_IN], mulv[2 * GB_VAE_MAX_LATENT];
    gb_vae_note_features(ds, i, feat);
    gb_nn_forward(e->encn, feat, mulv, 1);
    decode_note(e, &e->vp, i, mulv, w->rec);
    for (int f = 0; f < n; f++)
        w->orig[f] = ds->frames[nt->first_frame + (uint32_t)f].t;
    const double f0 = nt->f0_hz > 0 ? nt->f0_hz : 440.0 * pow(2.0, (nt->key - 69) / 12.0);
    d[0] = msd_of(e, w, w->rec, n, f0, len);
    d[3] = d[4] = d[5] = NAN;
    if (n >= GB_VAE_ONSET_FRAMES) { /* the first 100 ms */
        const size_t lon = (size_t)(GB_VAE_ONSET_FRAMES * GB_TIMBRE_HOP_S * EVAL_SR);
        d[3] = msd_of(e, w, w->rec, GB_VAE_ONSET_FRAMES, f0, lon);
        if (e->sp.dec) {
            float smulv[2 * GB_VAE_MAX_LATENT];
            gb_nn_forward(e->sp.enc, feat, smulv, 1);
            decode_note(e, &e->sp, i, smulv, w->base);
            d[4] = msd_of(e, w, w->base, GB_VAE_ONSET_FRAMES, f0, lon);
            d[5] = msd_of(e, w, w->base, n, f0, len);
        }
    }
    baseline(ds, i, &w->mean, 1, w->base);
    d[1] = msd_of(e, w, w->base, n, f0, len);
    const gb_tds_note_t *ntr = &ds->notes[nearest_training_note(ds, i)];
    for (uint32_t f = 0; f < (uint32_t)n; f++) { /* its frames, the last holding */
        uint32_t g = f < ntr->n_frames ? f : ntr->n_frames - 1;
        w->rec[f] = ds->frames[ntr->first_frame + g].t;
    }
    baseline(ds, i, w->rec, n, w->base);
    d[2] = msd_of(e, w, w->base, n, f0, len);
    return isfinite(d[0]) && isfinite(d[1]) && isfinite(d[2]) ? 0 : -1;
}

static int work_new(const gb_timbre_eval_t *e, work_t *w)
{
    uint32_t maxf = 1;
    for (int i = 0; i < e->ds->n_notes; i++)
        maxf = e->ds->notes[i].n_frames > maxf ? e->ds->notes[i].n_frames : maxf;
    memset(w, 0, sizeof *w);
    w->len_max = (size_t)(maxf * GB_TIMBRE_HOP_S * EVAL_SR) + 4096;
    w->a = malloc(sizeof(float) * w->len_max);
    w->b = malloc(sizeof(float) * w->len_max);
    w->orig = malloc(sizeof *w->orig * maxf);
    w->rec = malloc(sizeof *w->rec * maxf);
    w->base = malloc(sizeof *w->base * maxf);
    gb_vae_mean_frame(e->ds, &w->mean);
    return w->a && w->b && w->orig && w->rec && w->base ? 0 : GB_ENOMEM;
}

static void work_free(work_t *w)
{
    free(w->a);
    free(w->b);
    free(w->orig);
    free(w->rec);
    free(w->base);
}

static int reconstruction(gb_timbre_eval_t *e, int max_notes, gb_timbre_eval_result_t *r,
                          gb_error_t *err)
{
    work_t w;
    if (work_new(e, &w) < 0) {
        work_free(&w);
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    }
    double sum[3] = {0, 0, 0}, d[6], on[4] = {0, 0, 0, 0};
    int n = 0, n_on = 0;
    for (int i = 0; i < e->ds->n_notes && (max_notes < 0 || n < max_notes); i++) {
        const gb_tds_note_t *nt = &e->ds->notes[i];
        if (nt->split != GB_TDS_TEST || nt->n_frames == 0 || eval_note(e, &w, i, d) < 0)
            continue;
        for (int k = 0; k < 3; k++)
            sum[k] += d[k];
        n++;
        if (isfinite(d[3]) && (!e->sp.dec || (isfinite(d[4]) && isfinite(d[5])))) {
            on[0] += d[3];
            on[1] += e->sp.dec ? d[4] : 0.0;
            on[2] += e->sp.dec ? d[5] : 0.0;
            on[3] += d[0];
            n_on++;
        }
    }
    r->onset_notes = n_on;
    r->has_static = e->sp.dec != NULL;
    if (n_on) {
        r->msd_onset_model = on[0] / n_on;
        r->msd_onset_static = on[1] / n_on;
        r->msd_static = on[2] / n_on;
        r->msd_model_onset_notes = on[3] / n_on;
    }
    work_free(&w);
    if (n == 0)
        return gb_error_set(err, GB_EFORMAT, "%s: no test note long enough to evaluate",
                            e->data);
    r->msd_model = sum[0] / n;
    r->msd_mean_frame = sum[1] / n;
    r->msd_nearest_note = sum[2] / n;
    r->test_notes = n;
    return 0;
}

/* ---------------------------------------------------------------- smoothness */

static int same_instrument(const gb_tds_t *ds, int a, int b)
{
    const gb_tds_note_t *x = &ds->notes[a], *y = &ds->notes[b];
    return x->program == y->program && (x->program >= 0 || !strcmp(x->name, y->name));
}

/* Decode the straight path from note a's mu to note b's and measure it: the largest step /
 * mean step in *ratio, whether the centroid is monotonic in *mono. 0, or -1 when the two
 * notes decode alike (no path to measure). */
static int measure_path(const gb_timbre_eval_t *e, int a, int b, double *ratio, int *mono)
{
    const gb_tds_t *ds = e->ds;
    const int zdim = e->zdim, tf = e->vp.time_features, in = zdim + 2 + tf;
    float x[(K + 1) * (GB_VAE_MAX_LATENT + 2 + GB_VAE_TIME_FEATURES)], y[(K + 1) * GB_VAE_DEC_OUT];
    float feat[GB_VAE_ENC_IN], mu[2][2 * GB_VAE_MAX_LATENT], lp[K + 1][GB_TIMBRE_HARMONICS];
    double cen[K + 1];
    gb_vae_note_features(ds, a, feat);
    gb_nn_forward(e->encn, feat, mu[0], 1);
    gb_vae_note_features(ds, b, feat);
    gb_nn_forward(e->encn, feat, mu[1], 1);
    const float kmid = 0.5f * (float)(ds->notes[a].key + ds->notes[b].key);
    for (int k = 0; k <= K; k++) {
        const float t = (float)k / K;
        for (int d = 0; d < zdim; d++)
            x[k * in + d] = mu[0][d] + t * (mu[1][d] - mu[0][d]);
        x[k * in + zdim] = (kmid - 69.0f) / 12.0f; /* log2(f0 / 440) */
        x[k * in + zdim + 1] = GB_TIMBRE_EVAL_DB / 60.0f;
        if (tf) /* held for half a second */
            gb_vae_time_features(0.5f, -1.0f, x + k * in + zdim + 2);
    }
    gb_nn_forward(e->decn, x, y, K + 1);
    for (int k = 0; k <= K; k++) {
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
    for (int k = 0; k < K; k++) {
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
        return -1;
    *ratio = big / (total / K);
    *mono = up || down;
    return 0;
}

/* The pairs are i and i + n/2 over the test notes, i visited with a stride so that the paths
 * spread over the whole (program-ordered) manifest. */
static int smoothness(const gb_timbre_eval_t *e, gb_timbre_eval_result_t *r)
{
    const gb_tds_t *ds = e->ds;
    int n = 0, *idx = malloc(sizeof(int) * (size_t)ds->n_notes);
    if (!idx)
        return GB_ENOMEM;
    for (int i = 0; i < ds->n_notes; i++)
        if (ds->notes[i].split == GB_TDS_TEST && ds->notes[i].n_frames > 0)
            idx[n++] = i;
    const int stride = n / GB_TIMBRE_EVAL_PATHS > 1 ? n / GB_TIMBRE_EVAL_PATHS : 1;
    int pa[GB_TIMBRE_EVAL_PATHS], pb[GB_TIMBRE_EVAL_PATHS], n_mono = 0, mono;
    double sum = 0, ratio;
    r->paths = 0;
    r->smooth_max_ratio = 0;
    for (int off = 0; off < stride && r->paths < GB_TIMBRE_EVAL_PATHS; off++)
        for (int i = off; i < n && r->paths < GB_TIMBRE_EVAL_PATHS; i += stride) {
            const int a = idx[i], b = idx[(i + n / 2) % n];
            int dup = a == b || same_instrument(ds, a, b);
            for (int q = 0; q < r->paths && !dup; q++)
                dup = (pa[q] == a && pb[q] == b) || (pa[q] == b && pb[q] == a);
            if (dup || measure_path(e, a, b, &ratio, &mono) < 0)
                continue;
            pa[r->paths] = a;
            pb[r->paths++] = b;
            sum += ratio;
            r->smooth_max_ratio = ratio > r->smooth_max_ratio ? ratio : r->smooth_max_ratio;
            n_mono += mono;
        }
    free(idx);
    r->smooth_mean_ratio = r->paths ? sum / r->paths : 0;
    r->monotonic_fraction = r->paths ? (double)n_mono / r->paths : 0;
    return GB_OK;
}

int gb_timbre_eval_run(gb_timbre_eval_t *e, int max_notes, gb_timbre_eval_result_t *r,
                       gb_error_t *err)
{
    memset(r, 0, sizeof *r);
    r->latent = e->zdim;
    r->time_in_note = e->vp.time_features > 0;
    r->has_basis = e->vp.basis != NULL;
    if (smoothness(e, r) < 0 || gb_vae_knob_effect(&e->vp, e->tab, r->knob_change) < 0)
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    double mx = 0.0;
    for (int k = 0; k < e->zdim; k++)
        mx = r->knob_change[k] > mx ? r->knob_change[k] : mx;
    for (int k = 0; k < e->zdim; k++)
        r->knob_effect[k] = mx > 0 ? r->knob_change[k] / mx : 0.0;
    return reconstruction(e, max_notes, r, err);
}

/* ---------------------------------------------------------------- map, JSON */

int gb_timbre_eval_points(const gb_timbre_eval_t *e, const int dims[2],
                          gb_timbre_eval_point_t **points, int *n, double sd[2],
                          gb_error_t *err)
{
    const gb_tds_t *ds = e->ds;
    if (dims[0] < 0 || dims[1] < 0 || dims[0] >= e->zdim || dims[1] >= e->zdim)
        return gb_error_set(err, GB_EINVAL, "--map-dims %d,%d: the model has latent dimensions "
                                            "0..%d", dims[0], dims[1], e->zdim - 1);
    gb_timbre_eval_point_t *pt = malloc(sizeof *pt * (size_t)ds->n_notes);
    if (!pt)
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    double s[2] = {0}, s2[2] = {0};
    for (int i = 0; i < ds->n_notes; i++) {
        float feat[GB_VAE_ENC_IN], mulv[2 * GB_VAE_MAX_LATENT];
        gb_vae_note_features(ds, i, feat);
        gb_nn_forward(e->encn, feat, mulv, 1);
        pt[i] = (gb_timbre_eval_point_t){mulv[dims[0]], mulv[dims[1]], ds->notes[i].program,
                                         ds->notes[i].split == GB_TDS_TEST};
        for (int a = 0; a < 2; a++) {
            s[a] += mulv[dims[a]];
            s2[a] += (double)mulv[dims[a]] * mulv[dims[a]];
        }
    }
    for (int a = 0; a < 2; a++) {
        const double m = s[a] / ds->n_notes;
        sd[a] = sqrt(fmax(s2[a] / ds->n_notes - m * m, 0.0));
    }
    *points = pt;
    *n = ds->n_notes;
    return 0;
}

void gb_timbre_eval_write_json(const gb_timbre_eval_result_t *r, FILE *f)
{
    fprintf(f,
            "{\"msd_model\": %.4f, \"msd_mean_frame\": %.4f, \"msd_nearest_note\": %.4f, "
            "\"test_notes\": %d, \"improvement_over_mean_frame\": %.4f, "
            "\"latent_smoothness_max_step_ratio\": %.4f, "
            "\"latent_smoothness_mean_step_ratio\": %.4f, "
            "\"latent_centroid_monotonic_fraction\": %.4f, \"latent_paths\": %d, "
            "\"latent_dim_effect\": [",
            r->msd_model, r->msd_mean_frame, r->msd_nearest_note, r->test_notes,
            1.0 - r->msd_model / r->msd_mean_frame, r->smooth_max_ratio, r->smooth_mean_ratio,
            r->monotonic_fraction, r->paths);
    for (int k = 0; k < r->latent; k++)
        fprintf(f, "%s%.4f", k ? ", " : "", r->knob_effect[k]);
    fprintf(f, "], \"latent_dim_change\": [");
    for (int k = 0; k < r->latent; k++)
        fprintf(f, "%s%.4f", k ? ", " : "", r->knob_change[k]);
    fprintf(f, "], \"time_in_note\": %s, \"onset_notes\": %d", r->time_in_note ? "true" : "false",
            r->onset_notes);
    if (r->onset_notes)
        fprintf(f, ", \"msd_onset_model\": %.4f", r->msd_onset_model);
    else
        fprintf(f, ", \"msd_onset_model\": null");
    if (r->onset_notes && r->has_static)
        fprintf(f, ", \"msd_onset_static\": %.4f, \"msd_static\": %.4f, "
                   "\"msd_model_onset_notes\": %.4f}\n",
                r->msd_onset_static, r->msd_static, r->msd_model_onset_notes);
    else
        fprintf(f, ", \"msd_onset_static\": null, \"msd_static\": null}\n");
}
