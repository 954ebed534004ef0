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

#define EVAL_SR 48000.0
#define DEC_BATCH 64
#define K GB_TIMBRE_EVAL_STEPS

struct gb_timbre_eval {
    gb_model_t *dec, *enc;
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
    gb_model_free(e->enc);
    gb_model_free(e->dec);
    free(e);
}

gb_timbre_eval_t *gb_timbre_eval_open(const char *model, const char *data, gb_error_t *err)
{
    gb_timbre_eval_t *e = calloc(1, sizeof *e);
    char enc_path[4096];
    snprintf(enc_path, sizeof enc_path, "%s.enc", model);
    if (!e) {
        gb_error_set(err, GB_ENOMEM, "out of memory");
        return NULL;
    }
    if (!(e->dec = gb_model_load(model, DEC_BATCH, err)) ||
        !(e->enc = gb_model_load(enc_path, 1, err)) || !(e->ds = gb_tds_load(data, err)) ||
        !(e->tab = gb_noise_tables_new(EVAL_SR, 7u, err)))
        goto fail;
    snprintf(e->data, sizeof e->data, "%s", data);
    e->encn = gb_model_nn(e->enc);
    e->decn = gb_model_nn(e->dec);
    e->zdim = gb_nn_out_dim(e->encn) / 2;
    if (gb_nn_in_dim(e->encn) != GB_VAE_ENC_IN || gb_nn_in_dim(e->decn) != e->zdim + 2 ||
        gb_nn_out_dim(e->decn) != GB_VAE_DEC_OUT || e->zdim > GB_VAE_MAX_LATENT) {
        gb_error_set(err, GB_EFORMAT, "%s / %s: not a matching timbre-VAE encoder and decoder",
                     enc_path, model);
        goto fail;
    }
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

/* A decoder output row as a timbre frame: softmax harmonics, noise bands, amplitude. */
static void frame_of(const float *o, gb_timbre_frame_t *t)
{
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

/* Decode every frame of note ni from latent z into out[]. */
static void decode_note(const gb_timbre_eval_t *e, int ni, const float *z,
                        gb_timbre_frame_t *out)
{
    const gb_tds_t *ds = e->ds;
    const gb_tds_note_t *nt = &ds->notes[ni];
    const int in = e->zdim + 2, zdim = e->zdim;
    float x[DEC_BATCH * (GB_VAE_MAX_LATENT + 2)], y[DEC_BATCH * GB_VAE_DEC_OUT];
    for (uint32_t f0 = 0; f0 < nt->n_frames; f0 += DEC_BATCH) {
        int nb = (int)(nt->n_frames - f0 < DEC_BATCH ? nt->n_frames - f0 : DEC_BATCH);
        for (int b = 0; b < nb; b++) {
            const gb_tds_frame_t *fr = &ds->frames[nt->first_frame + f0 + (uint32_t)b];
            float hz = fr->f0_hz > 0 ? fr->f0_hz : (nt->f0_hz > 0 ? nt->f0_hz : 440.0f);
            memcpy(x + b * in, z, sizeof(float) * (size_t)zdim);
            x[b * in + zdim] = log2f(hz / 440.0f);
            x[b * in + zdim + 1] = fr->loudness_db / 60.0f;
        }
        gb_nn_forward(e->decn, x, y, nb);
        for (int b = 0; b < nb; b++)
            frame_of(y + b * GB_VAE_DEC_OUT, &out[f0 + (uint32_t)b]);
    }
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
 * finite. */
static int eval_note(const gb_timbre_eval_t *e, work_t *w, int i, double d[3])
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
    decode_note(e, i, mulv, w->rec);
    for (int f = 0; f < n; f++)
        w->orig[f] = ds->frames[nt->first_frame + (uint32_t)f].t;
    const double f0 = nt->f0_hz > 0 ? nt->f0_hz : 440.0 * pow(2.0, (nt->key - 69) / 12.0);
    d[0] = msd_of(e, w, w->rec, n, f0, len);
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
    double sum[3] = {0, 0, 0}, d[3];
    int n = 0;
    for (int i = 0; i < e->ds->n_notes && (max_notes < 0 || n < max_notes); i++) {
        const gb_tds_note_t *nt = &e->ds->notes[i];
        if (nt->split != GB_TDS_TEST || nt->n_frames == 0 || eval_note(e, &w, i, d) < 0)
            continue;
        for (int k = 0; k < 3; k++)
            sum[k] += d[k];
        n++;
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
    const int zdim = e->zdim, in = zdim + 2;
    float x[(K + 1) * (GB_VAE_MAX_LATENT + 2)], y[(K + 1) * GB_VAE_DEC_OUT];
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
    if (smoothness(e, r) < 0)
        return gb_error_set(err, GB_ENOMEM, "out of memory");
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
            "\"latent_centroid_monotonic_fraction\": %.4f, \"latent_paths\": %d}\n",
            r->msd_model, r->msd_mean_frame, r->msd_nearest_note, r->test_notes,
            1.0 - r->msd_model / r->msd_mean_frame, r->smooth_max_ratio, r->smooth_mean_ratio,
            r->monotonic_fraction, r->paths);
}
