/* gb_vae.c — the timbre VAE: loss and gradient, training loop, checkpoints, export.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_vae.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gb_modelfile.h"
#include "gb_safetensors.h"
#include "gb_vae_basis.h"
#include "gb_vae_time.h"

#define H GB_TIMBRE_HARMONICS
#define NB GB_TIMBRE_BANDS
#define MAX_ROWS 4096  /* decoder rows per forward */
#define MAX_NOTES 256  /* encoder rows per forward */
#define CKPT_FORMAT "gbac-vae-ckpt/1"

struct gb_vae {
    gb_vae_config_t cfg;
    char *ckpt;
    int Z, T, din; /* latent, time inputs (0 or GB_VAE_TIME_FEATURES), decoder inputs */
    gb_mlp_t *enc, *dec;
    gb_adam_t *adam_e, *adam_d;
    float *best_e, *best_d;
    /* training state (saved in checkpoints) */
    int epoch;
    int64_t step;
    uint64_t rng;
    double best_val;
    int best_epoch, bad_epochs;
    double last_train;
    /* pooled encoder inputs of the dataset last seen */
    const gb_tds_t *feat_ds;
    int feat_n;
    float *feat;
    /* scratch */
    float *enc_in, *enc_dout, *z, *dz, *dec_in, *dec_dout, *dec_din;
};

gb_vae_config_t gb_vae_config_default(void)
{
    gb_vae_config_t c = {
        .version = 1, .latent = 8, .hidden = 128, .epochs = 300, .batch = 16,
        .frames_per_note = 16, .lr = 1e-3f, .beta = 0.05f, .warmup = 10, .free_bits = 2.0f,
        .patience = 40, .seed = 1, .checkpoint = NULL, .progress = 0, .time_in_note = 1,
        .onset_frames = 12,
    };
    return c;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s) /* (0, 1) */
{
    return ((double)(rng_next(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static float rng_normal(uint64_t *s)
{
    double u1 = rng_unit(s), u2 = rng_unit(s);
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * GB_PI * u2));
}

gb_vae_t *gb_vae_new(const gb_vae_config_t *cfg, gb_error_t *err)
{
    if (!cfg || cfg->latent < 1 || cfg->latent > GB_VAE_MAX_LATENT || cfg->hidden < 1 ||
        cfg->hidden > GB_NN_MAX_DIM || cfg->batch < 1 || cfg->batch > MAX_NOTES ||
        cfg->frames_per_note < 1 || cfg->batch * cfg->frames_per_note > MAX_ROWS ||
        cfg->epochs < 0 || !(cfg->lr > 0.0f) || !(cfg->beta >= 0.0f) || cfg->warmup < 0 ||
        !(cfg->free_bits >= 0.0f) || cfg->patience < 0 || cfg->onset_frames < 0 ||
        cfg->onset_frames > cfg->frames_per_note) {
        gb_error_set(err, GB_EINVAL,
                     "timbre VAE: bad configuration (latent 1..%d, batch 1..%d, batch × "
                     "frames per note <= %d, lr > 0, beta >= 0, epochs/warmup >= 0)",
                     GB_VAE_MAX_LATENT, MAX_NOTES, MAX_ROWS);
        return NULL;
    }
    gb_vae_t *v = calloc(1, sizeof *v);
    if (!v)
        goto nomem;
    v->cfg = *cfg;
    v->Z = cfg->latent;
    v->T = cfg->time_in_note ? GB_VAE_TIME_FEATURES : 0;
    v->din = v->Z + 2 + v->T;
    if (cfg->checkpoint) {
        v->ckpt = strdup(cfg->checkpoint);
        if (!v->ckpt)
            goto nomem;
    }
    v->cfg.checkpoint = v->ckpt;
    int Z = v->Z, hd = cfg->hidden;
    int eo[3] = {hd, hd, 2 * Z}, dout[3] = {hd, hd, GB_VAE_DEC_OUT};
    gb_act_kind_t acts[3] = {GB_ACT_RELU, GB_ACT_RELU, GB_ACT_LINEAR};
    v->enc = gb_mlp_new(GB_VAE_ENC_IN, 3, eo, acts, MAX_NOTES, err);
    v->dec = v->enc ? gb_mlp_new(v->din, 3, dout, acts, MAX_ROWS, err) : NULL;
    if (!v->enc || !v->dec) {
        gb_vae_free(v);
        return NULL;
    }
    gb_mlp_init(v->enc, (uint64_t)cfg->seed * 2 + 1);
    gb_mlp_init(v->dec, (uint64_t)cfg->seed * 2 + 2);
    size_t ne = gb_mlp_n_params(v->enc), nd = gb_mlp_n_params(v->dec);
    v->adam_e = gb_adam_new(ne, 0.9f, 0.999f, 1e-8f);
    v->adam_d = gb_adam_new(nd, 0.9f, 0.999f, 1e-8f);
    v->best_e = malloc(ne * sizeof(float));
    v->best_d = malloc(nd * sizeof(float));
    v->enc_in = calloc((size_t)MAX_NOTES * GB_VAE_ENC_IN, sizeof(float));
    v->enc_dout = calloc((size_t)MAX_NOTES * 2 * (size_t)Z, sizeof(float));
    v->z = calloc((size_t)MAX_NOTES * (size_t)Z, sizeof(float));
    v->dz = calloc((size_t)MAX_NOTES * (size_t)Z, sizeof(float));
    v->dec_in = calloc((size_t)MAX_ROWS * (size_t)v->din, sizeof(float));
    v->dec_din = calloc((size_t)MAX_ROWS * (size_t)v->din, sizeof(float));
    v->dec_dout = calloc((size_t)MAX_ROWS * GB_VAE_DEC_OUT, sizeof(float));
    if (!v->adam_e || !v->adam_d || !v->best_e || !v->best_d || !v->enc_in || !v->enc_dout ||
        !v->z || !v->dz || !v->dec_in || !v->dec_din || !v->dec_dout) {
        gb_vae_free(v);
        goto nomem;
    }
    memcpy(v->best_e, gb_mlp_params(v->enc), ne * sizeof(float));
    memcpy(v->best_d, gb_mlp_params(v->dec), nd * sizeof(float));
    v->rng = (uint64_t)cfg->seed ^ 0xa0761d6478bd642full;
    v->best_val = INFINITY;
    return v;
nomem:
    gb_error_set(err, GB_ENOMEM, "timbre VAE: out of memory");
    return NULL;
}

void gb_vae_free(gb_vae_t *v)
{
    if (!v)
        return;
    gb_mlp_free(v->enc);
    gb_mlp_free(v->dec);
    gb_adam_free(v->adam_e);
    gb_adam_free(v->adam_d);
    free(v->best_e);
    free(v->best_d);
    free(v->feat);
    free(v->enc_in);
    free(v->enc_dout);
    free(v->z);
    free(v->dz);
    free(v->dec_in);
    free(v->dec_din);
    free(v->dec_dout);
    free(v->ckpt);
    free(v);
}

gb_mlp_t *gb_vae_encoder(gb_vae_t *v) { return v->enc; }
gb_mlp_t *gb_vae_decoder(gb_vae_t *v) { return v->dec; }

/* ---- data ------------------------------------------------------------------------------ */

static float frame_f0(const gb_tds_t *ds, int note, const gb_tds_frame_t *f)
{
    if (f->f0_hz > 0.0f)
        return f->f0_hz;
    if (ds->notes[note].f0_hz > 0.0f)
        return ds->notes[note].f0_hz;
    return 440.0f;
}

void gb_vae_frame_time(const gb_tds_t *ds, int note, uint32_t frame, float *t_on, float *t_off)
{
    const gb_tds_note_t *nt = &ds->notes[note];
    const double hop = ds->hop_s > 0 ? ds->hop_s : GB_TIMBRE_HOP_S;
    const double on = (double)nt->onset_s + (double)frame * hop;
    *t_on = (float)on;
    *t_off = nt->off_s >= 0.0f && on >= nt->off_s ? (float)(on - nt->off_s) : -1.0f;
}

int gb_vae_check_data(const gb_tds_t *ds, gb_error_t *err)
{
    if (!ds || ds->n_notes < 1 || !ds->notes || ds->n_frames < 1 || !ds->frames)
        return gb_error_set(err, GB_EFORMAT, "the dataset has no notes or no frames");
    int n_train = 0, n_val = 0;
    for (int i = 0; i < ds->n_notes; i++) {
        const gb_tds_note_t *nt = &ds->notes[i];
        if (nt->n_frames < 1 || nt->first_frame > ds->n_frames ||
            nt->n_frames > ds->n_frames - nt->first_frame)
            return gb_error_set(err, GB_EFORMAT,
                                "note %d (%.48s): frames %u..+%u do not lie inside the %u frames "
                                "of the dataset",
                                i, nt->id, nt->first_frame, nt->n_frames, ds->n_frames);
        for (uint32_t k = 0; k < nt->n_frames; k++) {
            const gb_tds_frame_t *f = &ds->frames[nt->first_frame + k];
            int ok = isfinite(f->f0_hz) && isfinite(f->loudness_db) && isfinite(f->t.amp) &&
                     f->t.amp >= 0.0f;
            for (int j = 0; j < H && ok; j++)
                ok = isfinite(f->t.harm[j]) && f->t.harm[j] >= 0.0f;
            for (int j = 0; j < NB && ok; j++)
                ok = isfinite(f->t.noise[j]) && f->t.noise[j] >= 0.0f;
            if (!ok)
                return gb_error_set(err, GB_EFORMAT,
                                    "note %d (%.48s), frame %u: a value is negative, NaN or "
                                    "infinite",
                                    i, nt->id, k);
        }
        n_train += nt->split == GB_TDS_TRAIN;
        n_val += nt->split == GB_TDS_VALIDATION;
    }
    if (n_train < 1)
        return gb_error_set(err, GB_EFORMAT, "the dataset has no training notes");
    return n_val < 1 ? 1 : 0;
}

/* Mean of the pooled features over frames [0, n) of a note. */
static void pool(const gb_tds_t *ds, int note, uint32_t n, float *out)
{
    const gb_tds_note_t *nt = &ds->notes[note];
    double acc[GB_VAE_POOL] = {0};
    for (uint32_t k = 0; k < n; k++) {
        const gb_tds_frame_t *f = &ds->frames[nt->first_frame + k];
        for (int j = 0; j < H; j++)
            acc[j] += log((double)f->t.amp * f->t.harm[j] + 1e-4);
        for (int j = 0; j < NB; j++)
            acc[H + j] += log((double)f->t.noise[j] + 1e-5);
        acc[H + NB] += f->loudness_db / 60.0;
        acc[H + NB + 1] += log2(frame_f0(ds, note, f) / 440.0);
    }
    for (int j = 0; j < GB_VAE_POOL; j++)
        out[j] = (float)(acc[j] / (n ? n : 1));
}

void gb_vae_note_features(const gb_tds_t *ds, int note, float *out)
{
    const uint32_t n = ds->notes[note].n_frames;
    pool(ds, note, n, out);
    pool(ds, note, n < GB_VAE_ONSET_FRAMES ? n : GB_VAE_ONSET_FRAMES, out + GB_VAE_POOL);
}

static int ensure_features(gb_vae_t *v, const gb_tds_t *ds)
{
    if (v->feat_ds == ds && v->feat_n == ds->n_notes)
        return 0;
    free(v->feat);
    v->feat = malloc((size_t)ds->n_notes * GB_VAE_ENC_IN * sizeof(float));
    if (!v->feat) {
        v->feat_ds = NULL;
        return GB_ENOMEM;
    }
    for (int i = 0; i < ds->n_notes; i++)
        gb_vae_note_features(ds, i, v->feat + (size_t)i * GB_VAE_ENC_IN);
    v->feat_ds = ds;
    v->feat_n = ds->n_notes;
    return 0;
}

/* ---- loss ------------------------------------------------------------------------------ */

/* Encoder forward for notes[0..n) and z = mu (+ sigma·eps). Returns the encoder output. */
static const float *encode(gb_vae_t *v, const int *notes, int n, const float *eps)
{
    int Z = v->Z;
    for (int i = 0; i < n; i++)
        memcpy(v->enc_in + (size_t)i * GB_VAE_ENC_IN,
               v->feat + (size_t)notes[i] * GB_VAE_ENC_IN, GB_VAE_ENC_IN * sizeof(float));
    const float *eo = gb_mlp_forward(v->enc, v->enc_in, n);
    for (int i = 0; i < n; i++)
        for (int d = 0; d < Z; d++) {
            float mu = eo[i * 2 * Z + d], lv = eo[i * 2 * Z + Z + d];
            v->z[i * Z + d] = eps ? mu + expf(0.5f * lv) * eps[i * Z + d] : mu;
        }
    return eo;
}

/* Fill decoder input rows for frames of a note with latent z. */
static void fill_rows(gb_vae_t *v, const gb_tds_t *ds, int note, const float *z, int nf,
                      const int *frames, int row0)
{
    int Z = v->Z;
    const gb_tds_note_t *nt = &ds->notes[note];
    for (int j = 0; j < nf; j++) {
        const gb_tds_frame_t *f = &ds->frames[nt->first_frame + (uint32_t)frames[j]];
        float *r = v->dec_in + (size_t)(row0 + j) * (size_t)v->din;
        memcpy(r, z, (size_t)Z * sizeof(float));
        r[Z] = (float)log2(frame_f0(ds, note, f) / 440.0);
        r[Z + 1] = f->loudness_db / 60.0f;
        if (v->T) {
            float t_on, t_off;
            gb_vae_frame_time(ds, note, (uint32_t)frames[j], &t_on, &t_off);
            gb_vae_time_features(t_on, t_off, r + Z + 2);
        }
    }
}

/* Reconstruction loss of one frame from decoder output y; gradient scaled by w into g. */
static double frame_loss(const float *y, const gb_tds_frame_t *f, float w, float *g)
{
    double mx = y[0];
    for (int k = 1; k < H; k++)
        mx = y[k] > mx ? y[k] : mx;
    double s = 0.0, hs = 0.0;
    for (int k = 0; k < H; k++) {
        s += exp(y[k] - mx);
        hs += f->t.harm[k];
    }
    double lse = mx + log(s), ce = 0.0;
    for (int k = 0; k < H; k++) {
        ce -= f->t.harm[k] * (y[k] - lse);
        if (g)
            g[k] = w * (float)(exp(y[k] - lse) * hs - f->t.harm[k]);
    }
    double ln = 0.0;
    for (int b = 0; b < NB; b++) {
        double e = y[H + b] - log((double)f->t.noise[b] + 1e-5);
        ln += e * e;
        if (g)
            g[H + b] = w * (float)(2.0 * e / NB);
    }
    double ea = y[H + NB] - log((double)f->t.amp + 1e-4);
    if (g)
        g[H + NB] = w * (float)(2.0 * ea);
    return ce + ln / NB + ea * ea;
}

double gb_vae_batch_loss(gb_vae_t *v, const gb_tds_t *ds, const int *notes, int n,
                         const int *nf, const int *frames, const float *eps, double beta,
                         int grad, double *recon, double *kl)
{
    if (!v || !ds || !notes || !nf || !frames || n < 1 || n > MAX_NOTES ||
        ensure_features(v, ds) < 0)
        return NAN;
    int Z = v->Z, rows = 0;
    for (int i = 0; i < n; i++) {
        if (nf[i] < 1)
            return NAN;
        rows += nf[i];
    }
    if (rows > MAX_ROWS)
        return NAN;
    const float *eo = encode(v, notes, n, eps);
    for (int i = 0, r = 0; i < n; r += nf[i], i++)
        fill_rows(v, ds, notes[i], v->z + i * Z, nf[i], frames + r, r);
    const float *y = gb_mlp_forward(v->dec, v->dec_in, rows);
    double rec = 0.0, kls = 0.0;
    for (int i = 0, r = 0; i < n; r += nf[i], i++) {
        const gb_tds_note_t *nt = &ds->notes[notes[i]];
        float w = 1.0f / ((float)n * (float)nf[i]);
        for (int j = 0; j < nf[i]; j++) {
            const gb_tds_frame_t *f = &ds->frames[nt->first_frame + (uint32_t)frames[r + j]];
            rec += w * frame_loss(y + (size_t)(r + j) * GB_VAE_DEC_OUT, f, w,
                                  grad ? v->dec_dout + (size_t)(r + j) * GB_VAE_DEC_OUT : NULL);
        }
    }
    /* KL and its gradient (free bits: a dimension below the floor counts as the floor and
     * passes no gradient). */
    float kw = (float)(beta / n);
    for (int i = 0; i < n; i++)
        for (int d = 0; d < Z; d++) {
            double mu = eo[i * 2 * Z + d], lv = eo[i * 2 * Z + Z + d];
            double k = 0.5 * (mu * mu + exp(lv) - lv - 1.0);
            int active = k >= v->cfg.free_bits;
            kls += active ? k : v->cfg.free_bits;
            if (grad) {
                v->enc_dout[i * 2 * Z + d] = active ? kw * (float)mu : 0.0f;
                v->enc_dout[i * 2 * Z + Z + d] = active ? kw * 0.5f * (float)(exp(lv) - 1.0) : 0.0f;
            }
        }
    kls /= n;
    if (grad) {
        gb_mlp_zero_grad(v->enc);
        gb_mlp_zero_grad(v->dec);
        gb_mlp_backward(v->dec, v->dec_dout, v->dec_din, rows);
        memset(v->dz, 0, (size_t)n * (size_t)Z * sizeof(float));
        for (int i = 0, r = 0; i < n; r += nf[i], i++)
            for (int j = 0; j < nf[i]; j++)
                for (int d = 0; d < Z; d++)
                    v->dz[i * Z + d] += v->dec_din[(size_t)(r + j) * (size_t)v->din + (size_t)d];
        for (int i = 0; i < n; i++)
            for (int d = 0; d < Z; d++) {
                float g = v->dz[i * Z + d];
                v->enc_dout[i * 2 * Z + d] += g;
                if (eps) {
                    float lv = eo[i * 2 * Z + Z + d];
                    v->enc_dout[i * 2 * Z + Z + d] += g * eps[i * Z + d] * 0.5f * expf(0.5f * lv);
                }
            }
        gb_mlp_backward(v->enc, v->enc_dout, NULL, n);
    }
    if (recon)
        *recon = rec;
    if (kl)
        *kl = kls;
    return rec + beta * kls;
}

/* All frames of a note (strided down to MAX_ROWS). */
static int all_frames(const gb_tds_t *ds, int note, int *frames)
{
    uint32_t nfr = ds->notes[note].n_frames;
    int n = nfr > MAX_ROWS ? MAX_ROWS : (int)nfr;
    for (int j = 0; j < n; j++)
        frames[j] = (int)((uint64_t)j * nfr / (uint64_t)n);
    return n;
}

double gb_vae_eval(gb_vae_t *v, const gb_tds_t *ds, gb_tds_split_t split, double beta,
                   double *recon, double *kl)
{
    int frames[MAX_ROWS];
    double sr = 0.0, sk = 0.0;
    int cnt = 0;
    for (int i = 0; i < ds->n_notes; i++) {
        if (ds->notes[i].split != split)
            continue;
        int nf = all_frames(ds, i, frames);
        double r, k;
        if (!isfinite(gb_vae_batch_loss(v, ds, &i, 1, &nf, frames, NULL, beta, 0, &r, &k)))
            return NAN;
        sr += r;
        sk += k;
        cnt++;
    }
    if (!cnt)
        return NAN;
    if (recon)
        *recon = sr / cnt;
    if (kl)
        *kl = sk / cnt;
    return (sr + beta * sk) / cnt;
}

double gb_vae_harm_l1(gb_vae_t *v, const gb_tds_t *ds, gb_tds_split_t split, const float *ref)
{
    int frames[MAX_ROWS];
    double s = 0.0;
    long cnt = 0;
    if (ensure_features(v, ds) < 0)
        return NAN;
    for (int i = 0; i < ds->n_notes; i++) {
        if (ds->notes[i].split != split)
            continue;
        int nf = all_frames(ds, i, frames);
        const float *y = NULL;
        if (!ref) {
            encode(v, &i, 1, NULL);
            fill_rows(v, ds, i, v->z, nf, frames, 0);
            y = gb_mlp_forward(v->dec, v->dec_in, nf);
        }
        for (int j = 0; j < nf; j++) {
            const gb_tds_frame_t *f = &ds->frames[ds->notes[i].first_frame + (uint32_t)frames[j]];
            double p[H], mx = -INFINITY, sum = 0.0;
            if (ref) {
                for (int k = 0; k < H; k++)
                    p[k] = ref[k];
            } else {
                const float *yy = y + (size_t)j * GB_VAE_DEC_OUT;
                for (int k = 0; k < H; k++)
                    mx = yy[k] > mx ? yy[k] : mx;
                for (int k = 0; k < H; k++)
                    sum += p[k] = exp(yy[k] - mx);
                for (int k = 0; k < H; k++)
                    p[k] /= sum;
            }
            double e = 0.0;
            for (int k = 0; k < H; k++)
                e += fabs(log(p[k] + 1e-4) - log((double)f->t.harm[k] + 1e-4));
            s += e / H;
            cnt++;
        }
    }
    return cnt ? s / (double)cnt : NAN;
}

void gb_vae_mean_frame(const gb_tds_t *ds, gb_timbre_frame_t *out)
{
    double a = 0.0, h[H] = {0}, nz[NB] = {0};
    long cnt = 0;
    for (int i = 0; i < ds->n_notes; i++) {
        const gb_tds_note_t *nt = &ds->notes[i];
        if (nt->split != GB_TDS_TRAIN)
            continue;
        for (uint32_t k = 0; k < nt->n_frames; k++) {
            const gb_tds_frame_t *f = &ds->frames[nt->first_frame + k];
            a += f->t.amp;
            for (int j = 0; j < H; j++)
                h[j] += f->t.harm[j];
            for (int j = 0; j < NB; j++)
                nz[j] += f->t.noise[j];
            cnt++;
        }
    }
    double c = cnt ? (double)cnt : 1.0;
    out->amp = (float)(a / c);
    for (int j = 0; j < H; j++)
        out->harm[j] = (float)(h[j] / c);
    for (int j = 0; j < NB; j++)
        out->noise[j] = (float)(nz[j] / c);
}

/* ---- training -------------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fmt_time(double s, char *buf, size_t n)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else
        snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
}

/* One progress line (rewritten in place with \r): epoch, batch, losses, ETA. */
static void progress(const gb_vae_config_t *c, double elapsed, int epoch, int start_epoch,
                     double frac, int batch, int n_batches, double loss, double val)
{
    double done = (double)(epoch - start_epoch) + frac;
    double eta = elapsed / done * ((double)(c->epochs - start_epoch) - done);
    char e[32], vs[32];
    fmt_time(eta, e, sizeof e);
    if (isfinite(val))
        snprintf(vs, sizeof vs, "%.4f", val);
    else
        snprintf(vs, sizeof vs, "-");
    fprintf(stderr, "\rtrain timbre: epoch %d/%d  batch %d/%d  loss %.4f  val %s  ETA %s   ",
            epoch + 1, c->epochs, batch, n_batches, loss, vs, e);
}

static void keep_best(gb_vae_t *v)
{
    memcpy(v->best_e, gb_mlp_params(v->enc), gb_mlp_n_params(v->enc) * sizeof(float));
    memcpy(v->best_d, gb_mlp_params(v->dec), gb_mlp_n_params(v->dec) * sizeof(float));
}

int gb_vae_train(gb_vae_t *v, const gb_tds_t *ds, gb_vae_report_t *rep, gb_error_t *err)
{
    int rc = gb_vae_check_data(ds, err);
    if (rc < 0)
        return rc;
    gb_tds_split_t vsplit = rc == 1 ? GB_TDS_TRAIN : GB_TDS_VALIDATION;
    if (ensure_features(v, ds) < 0)
        return gb_error_set(err, GB_ENOMEM, "timbre VAE: out of memory");
    const gb_vae_config_t *c = &v->cfg;
    int n_train = 0;
    int *order = malloc((size_t)ds->n_notes * sizeof(int));
    int *nf = malloc((size_t)c->batch * sizeof(int));
    int *frames = malloc((size_t)MAX_ROWS * sizeof(int));
    float *eps = malloc((size_t)c->batch * (size_t)v->Z * sizeof(float));
    if (!order || !nf || !frames || !eps) {
        rc = gb_error_set(err, GB_ENOMEM, "timbre VAE: out of memory");
        goto out;
    }
    int prev_threads = gb_mlp_blas_single();
    double t0 = now_s(), last_print = 0.0;
    int steps_per_epoch = 0;
    for (int i = 0; i < ds->n_notes; i++)
        n_train += ds->notes[i].split == GB_TDS_TRAIN;
    steps_per_epoch = (n_train + c->batch - 1) / c->batch;
    int64_t warm = (int64_t)c->warmup * steps_per_epoch;
    int start_epoch = v->epoch, early = 0;
    double val = NAN;
    rc = 0;
    for (int epoch = v->epoch; epoch < c->epochs; epoch++) {
        /* shuffle the training notes */
        int m = 0;
        for (int i = 0; i < ds->n_notes; i++)
            if (ds->notes[i].split == GB_TDS_TRAIN)
                order[m++] = i;
        for (int i = m - 1; i > 0; i--) {
            int j = (int)(rng_next(&v->rng) % (uint64_t)(i + 1));
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double sum = 0.0;
        int nb = 0;
        for (int b0 = 0; b0 < m; b0 += c->batch, nb++) {
            int n = m - b0 < c->batch ? m - b0 : c->batch, rows = 0;
            for (int i = 0; i < n; i++) {
                uint32_t nfr = ds->notes[order[b0 + i]].n_frames;
                if ((int)nfr <= c->frames_per_note) {
                    nf[i] = (int)nfr;
                    for (int j = 0; j < nf[i]; j++)
                        frames[rows + j] = j;
                } else { /* onset_frames of them from the note's first 100 ms */
                    nf[i] = c->frames_per_note;
                    const uint32_t on = nfr < GB_VAE_ONSET_FRAMES ? nfr : GB_VAE_ONSET_FRAMES;
                    for (int j = 0; j < nf[i]; j++)
                        frames[rows + j] =
                            (int)(rng_next(&v->rng) % (j < c->onset_frames ? on : nfr));
                }
                rows += nf[i];
            }
            for (int k = 0; k < n * v->Z; k++)
                eps[k] = rng_normal(&v->rng);
            double beta = c->beta;
            if (warm > 0 && v->step + 1 < warm)
                beta *= (double)(v->step + 1) / (double)warm;
            double loss = gb_vae_batch_loss(v, ds, order + b0, n, nf, frames, eps, beta, 1,
                                            NULL, NULL);
            if (!isfinite(loss)) {
                rc = gb_error_set(err, GB_ERANGE,
                                  "timbre VAE: the loss became %g at epoch %d, step %lld; try a "
                                  "smaller --lr",
                                  loss, epoch + 1, (long long)v->step);
                goto restore;
            }
            gb_adam_step(v->adam_e, gb_mlp_params(v->enc), gb_mlp_grads(v->enc), c->lr);
            gb_adam_step(v->adam_d, gb_mlp_params(v->dec), gb_mlp_grads(v->dec), c->lr);
            v->step++;
            sum += loss;
            double t = now_s();
            if (c->progress && t - last_print > 0.25) {
                last_print = t;
                progress(c, t - t0, epoch, start_epoch, (double)(b0 + n) / m, nb + 1,
                         steps_per_epoch, loss, val);
            }
        }
        v->last_train = nb ? sum / nb : NAN;
        val = gb_vae_eval(v, ds, vsplit, c->beta, NULL, NULL);
        if (!isfinite(val)) {
            rc = gb_error_set(err, GB_ERANGE, "timbre VAE: the validation loss became %g at "
                              "epoch %d; try a smaller --lr", val, epoch + 1);
            goto restore;
        }
        if (c->progress) {
            double t = now_s();
            last_print = t;
            progress(c, t - t0, epoch, start_epoch, 1.0, nb, steps_per_epoch, v->last_train,
                     val);
        }
        if (val < v->best_val) {
            v->best_val = val;
            v->best_epoch = epoch + 1;
            v->bad_epochs = 0;
            keep_best(v);
        } else {
            v->bad_epochs++;
        }
        v->epoch = epoch + 1;
        if (v->ckpt && (rc = gb_vae_checkpoint_save(v, v->ckpt, err)) < 0)
            goto restore;
        if (c->patience > 0 && v->bad_epochs >= c->patience) {
            early = 1;
            break;
        }
    }
    if (c->progress)
        fputc('\n', stderr);
restore:
    /* The kept (best) weights become the model's. */
    if (v->best_epoch > 0) {
        memcpy(gb_mlp_params(v->enc), v->best_e, gb_mlp_n_params(v->enc) * sizeof(float));
        memcpy(gb_mlp_params(v->dec), v->best_d, gb_mlp_n_params(v->dec) * sizeof(float));
    }
    if (rep) {
        memset(rep, 0, sizeof *rep);
        rep->epochs = v->epoch;
        rep->best_epoch = v->best_epoch;
        rep->train_loss = v->last_train;
        rep->val_loss = gb_vae_eval(v, ds, vsplit, c->beta, &rep->val_recon, &rep->val_kl);
        rep->seconds = now_s() - t0;
        rep->early_stopped = early;
    }
    gb_mlp_blas_threads(prev_threads);
out:
    free(order);
    free(nf);
    free(frames);
    free(eps);
    return rc;
}

/* ---- checkpoints ----------------------------------------------------------------------- */

static json_t *config_json(const gb_vae_t *v)
{
    const gb_vae_config_t *c = &v->cfg;
    return json_pack("{s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:i, s:f, s:i, s:I, s:b, s:i}", "latent",
                     c->latent, "hidden", c->hidden, "epochs", c->epochs, "batch", c->batch,
                     "frames_per_note", c->frames_per_note, "lr", (double)c->lr, "beta",
                     (double)c->beta, "warmup", c->warmup, "free_bits", (double)c->free_bits,
                     "patience", c->patience, "seed", (json_int_t)c->seed, "time_in_note",
                     c->time_in_note != 0, "onset_frames", c->onset_frames);
}

int gb_vae_checkpoint_save(gb_vae_t *v, const char *path, gb_error_t *err)
{
    char rng[32];
    snprintf(rng, sizeof rng, "%llu", (unsigned long long)v->rng);
    json_t *cfg = config_json(v);
    json_t *st = json_pack("{s:i, s:I, s:I, s:s, s:f, s:i, s:i, s:f}", "epoch", v->epoch, "step",
                           (json_int_t)v->step, "adam_step",
                           (json_int_t)gb_adam_step_count(v->adam_e), "rng", rng, "best_val",
                           isfinite(v->best_val) ? v->best_val : 1e300, "best_epoch",
                           v->best_epoch, "bad_epochs", v->bad_epochs, "last_train",
                           isfinite(v->last_train) ? v->last_train : 0.0);
    char *cs = cfg ? json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *ss = st ? json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(cfg);
    json_decref(st);
    if (!cs || !ss) {
        free(cs);
        free(ss);
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
    }
    int64_t ne = (int64_t)gb_mlp_n_params(v->enc), nd = (int64_t)gb_mlp_n_params(v->dec);
    gb_st_f32_t t[8] = {
        {"encoder.params", 1, {ne}, gb_mlp_params(v->enc)},
        {"decoder.params", 1, {nd}, gb_mlp_params(v->dec)},
        {"best.encoder", 1, {ne}, v->best_e},
        {"best.decoder", 1, {nd}, v->best_d},
        {"adam.encoder.m", 1, {ne}, gb_adam_m(v->adam_e)},
        {"adam.encoder.v", 1, {ne}, gb_adam_v(v->adam_e)},
        {"adam.decoder.m", 1, {nd}, gb_adam_m(v->adam_d)},
        {"adam.decoder.v", 1, {nd}, gb_adam_v(v->adam_d)},
    };
    gb_st_meta_t meta[3] = {{"format", CKPT_FORMAT}, {"config", cs}, {"state", ss}};
    int rc = gb_st_save_f32(path, t, 8, meta, 3, err);
    free(cs);
    free(ss);
    return rc;
}

static int read_vec(gb_st_t *st, const char *path, const char *name, float *dst, size_t n,
                    gb_error_t *err)
{
    long i = gb_st_find(st, name);
    gb_st_info_t info;
    if (i < 0 || gb_st_info(st, (size_t)i, &info) < 0)
        return gb_error_set(err, GB_EFORMAT, "%s: tensor \"%s\" is missing", path, name);
    if (info.count != n)
        return gb_error_set(err, GB_EFORMAT, "%s: tensor \"%s\" has %llu values, expected %zu",
                            path, name, (unsigned long long)info.count, n);
    return gb_st_read_f32(st, (size_t)i, dst, n, err);
}

int gb_vae_checkpoint_load(gb_vae_t *v, const char *path, gb_error_t *err)
{
    gb_st_t *st = gb_st_open(path, err);
    if (!st)
        return err ? err->code : GB_EIO;
    int rc = 0;
    json_t *cfg = NULL, *sj = NULL;
    const char *fmt = gb_st_meta_get(st, "format");
    if (!fmt || strcmp(fmt, CKPT_FORMAT) != 0) {
        rc = gb_error_set(err, GB_EFORMAT, "%s: not a timbre VAE checkpoint (format %s)", path,
                          CKPT_FORMAT);
        goto out;
    }
    const char *cs = gb_st_meta_get(st, "config"), *ss = gb_st_meta_get(st, "state");
    cfg = cs ? json_loads(cs, 0, NULL) : NULL;
    sj = ss ? json_loads(ss, 0, NULL) : NULL;
    int latent = -1, hidden = -1, epoch = 0, best_epoch = 0, bad = 0, time_in = 0;
    json_int_t step = 0, astep = 0;
    const char *rng = NULL;
    double best_val = 0.0, last_train = 0.0;
    if (!cfg || !sj ||
        json_unpack(cfg, "{s:i, s:i, s?b}", "latent", &latent, "hidden", &hidden,
                    "time_in_note", &time_in) ||
        json_unpack(sj, "{s:i, s:I, s:I, s:s, s:F, s:i, s:i, s:F}", "epoch", &epoch, "step", &step,
                    "adam_step", &astep, "rng", &rng, "best_val", &best_val, "best_epoch",
                    &best_epoch, "bad_epochs", &bad, "last_train", &last_train)) {
        rc = gb_error_set(err, GB_EFORMAT, "%s: bad \"config\" or \"state\" metadata", path);
        goto out;
    }
    if (latent != v->cfg.latent || hidden != v->cfg.hidden || !time_in != !v->cfg.time_in_note) {
        rc = gb_error_set(err, GB_EINVAL,
                          "%s: checkpoint of a model with latent %d, hidden %d, time in the "
                          "note %s; this run has latent %d, hidden %d, time in the note %s",
                          path, latent, hidden, time_in ? "on" : "off", v->cfg.latent,
                          v->cfg.hidden, v->cfg.time_in_note ? "on" : "off");
        goto out;
    }
    size_t ne = gb_mlp_n_params(v->enc), nd = gb_mlp_n_params(v->dec);
    if ((rc = read_vec(st, path, "encoder.params", gb_mlp_params(v->enc), ne, err)) < 0 ||
        (rc = read_vec(st, path, "decoder.params", gb_mlp_params(v->dec), nd, err)) < 0 ||
        (rc = read_vec(st, path, "best.encoder", v->best_e, ne, err)) < 0 ||
        (rc = read_vec(st, path, "best.decoder", v->best_d, nd, err)) < 0 ||
        (rc = read_vec(st, path, "adam.encoder.m", gb_adam_m(v->adam_e), ne, err)) < 0 ||
        (rc = read_vec(st, path, "adam.encoder.v", gb_adam_v(v->adam_e), ne, err)) < 0 ||
        (rc = read_vec(st, path, "adam.decoder.m", gb_adam_m(v->adam_d), nd, err)) < 0 ||
        (rc = read_vec(st, path, "adam.decoder.v", gb_adam_v(v->adam_d), nd, err)) < 0)
        goto out;
    v->epoch = epoch;
    v->step = step;
    gb_adam_set_step_count(v->adam_e, astep);
    gb_adam_set_step_count(v->adam_d, astep);
    v->rng = strtoull(rng, NULL, 10);
    v->best_val = best_val >= 1e300 ? INFINITY : best_val;
    v->best_epoch = best_epoch;
    v->bad_epochs = bad;
    v->last_train = last_train;
out:
    json_decref(cfg);
    json_decref(sj);
    gb_st_free(st);
    return rc;
}

/* ---- export ---------------------------------------------------------------------------- */

static json_t *jnum(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *frame_json(const gb_timbre_frame_t *f)
{
    json_t *h = json_array(), *n = json_array();
    for (int k = 0; k < H; k++)
        json_array_append_new(h, json_real(f->harm[k]));
    for (int k = 0; k < NB; k++)
        json_array_append_new(n, json_real(f->noise[k]));
    return json_pack("{s:f, s:o, s:o}", "amp", (double)f->amp, "harm", h, "noise", n);
}

/* Training set's per-key mean frames, {"60": frame, ...}. */
static json_t *per_key_json(const gb_tds_t *ds)
{
    json_t *o = json_object();
    for (int key = 0; key < 128; key++) {
        gb_timbre_frame_t f;
        memset(&f, 0, sizeof f);
        double a = 0.0, h[H] = {0}, nz[NB] = {0};
        long cnt = 0;
        for (int i = 0; i < ds->n_notes; i++) {
            const gb_tds_note_t *nt = &ds->notes[i];
            if (nt->split != GB_TDS_TRAIN || nt->key != key)
                continue;
            for (uint32_t k = 0; k < nt->n_frames; k++) {
                const gb_tds_frame_t *fr = &ds->frames[nt->first_frame + k];
                a += fr->t.amp;
                for (int j = 0; j < H; j++)
                    h[j] += fr->t.harm[j];
                for (int j = 0; j < NB; j++)
                    nz[j] += fr->t.noise[j];
                cnt++;
            }
        }
        if (!cnt)
            continue;
        f.amp = (float)(a / cnt);
        for (int j = 0; j < H; j++)
            f.harm[j] = (float)(h[j] / cnt);
        for (int j = 0; j < NB; j++)
            f.noise[j] = (float)(nz[j] / cnt);
        char k[8];
        snprintf(k, sizeof k, "%d", key);
        json_object_set_new(o, k, frame_json(&f));
    }
    return o;
}

static int count_split(const gb_tds_t *ds, gb_tds_split_t split)
{
    int n = 0;
    for (int i = 0; i < ds->n_notes; i++)
        n += ds->notes[i].split == split;
    return n;
}

static char *make_card(gb_vae_t *v, const gb_tds_t *ds, const gb_vae_report_t *rep,
                       const char *command, const char *kind, const char *other, int with_ref)
{
    const gb_vae_config_t *c = &v->cfg;
    json_t *counts = json_pack("{s:i, s:I, s:i, s:i, s:i}", "notes", ds->n_notes, "frames",
                               (json_int_t)ds->n_frames, "train", count_split(ds, GB_TDS_TRAIN),
                               "validation", count_split(ds, GB_TDS_VALIDATION), "test",
                               count_split(ds, GB_TDS_TEST));
    json_t *features = json_pack(
        "{s:i, s:i, s:i, s:i, s:f, s:f, s:s, s:s, s:s, s:s, s:s}", "latent", c->latent,
        "time_features", v->T, "harmonics", H,
        "noise_bands", NB, "hop_s", ds->hop_s, "sample_rate", ds->sample_rate, "encoder_input",
        "mean over the note's frames of [log(amp*harm[k]+1e-4) x64, log(noise[b]+1e-5) x32, "
        "loudness_db/60, log2(f0/440)], then the same over its first 10 frames (100 ms)",
        "encoder_output", "[mu x latent, logvar x latent]", "decoder_input",
        v->T ? "[z x latent, log2(f0/440), loudness_db/60, exp(-t_on/0.015), exp(-t_on/0.05), "
               "exp(-t_on/0.15), exp(-t_on/0.5), "
               "released, released*exp(-t_off/0.2)] per frame (t_on, t_off: seconds since "
               "note-on and note-off; models/gb_vae_time.h)"
             : "[z x latent, log2(f0/440), loudness_db/60] per frame",
        "latent_basis", "z = aux.latent.mean + sum_k u_k aux.latent.basis[k]: knob k is the "
        "k-th principal component of the training notes' mu, u_k = 1 one standard deviation",
        "decoder_output",
        "[64 harmonic logits (softmax -> harmonic distribution), 32 log(noise+1e-5), "
        "1 log(amp+1e-4)]");
    json_t *metrics = json_object();
    json_object_set_new(metrics, "train_loss", jnum(rep ? rep->train_loss : NAN));
    json_object_set_new(metrics, "validation_loss", jnum(rep ? rep->val_loss : NAN));
    json_object_set_new(metrics, "validation_recon", jnum(rep ? rep->val_recon : NAN));
    json_object_set_new(metrics, "validation_kl", jnum(rep ? rep->val_kl : NAN));
    json_object_set_new(metrics, "epochs", json_integer(rep ? rep->epochs : 0));
    json_object_set_new(metrics, "best_epoch", json_integer(rep ? rep->best_epoch : 0));
    json_object_set_new(metrics, "seconds", jnum(rep ? rep->seconds : NAN));
    json_object_set_new(metrics, "early_stopped", json_boolean(rep && rep->early_stopped));
    json_t *card = json_pack("{s:s, s:o, s:{s:s, s:s, s:o}, s:I, s:s, s:o, s:o, s:s}", "kind",
                             kind, "features", features, "data", "source", ds->source, "licence",
                             ds->licence, "counts", counts, "seed", (json_int_t)c->seed,
                             "command", command ? command : "", "training", config_json(v),
                             "metrics", metrics, "pair", other);
    if (card && with_ref) {
        gb_timbre_frame_t mf;
        gb_vae_mean_frame(ds, &mf);
        json_object_set_new(card, "reference",
                            json_pack("{s:o, s:o}", "mean_frame", frame_json(&mf), "per_key",
                                      per_key_json(ds)));
    }
    char *s = card ? json_dumps(card, JSON_COMPACT | JSON_REAL_PRECISION(5)) : NULL;
    json_decref(card);
    return s;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int gb_vae_save(gb_vae_t *v, const gb_tds_t *ds, const gb_vae_report_t *rep,
                const char *command, const char *out, gb_error_t *err)
{
    size_t len = strlen(out);
    char *enc_path = malloc(len + 5);
    if (!enc_path)
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory", out);
    memcpy(enc_path, out, len);
    memcpy(enc_path + len, ".enc", 5);
    int rc = 0;
    char *dcard = make_card(v, ds, rep, command, "timbre-vae-decoder", base_name(enc_path), 1);
    char *ecard = make_card(v, ds, rep, command, "timbre-vae-encoder", base_name(out), 0);
    gb_nn_t *dec = gb_mlp_export(v->dec, 16, err);
    gb_nn_t *enc = dec ? gb_mlp_export(v->enc, 16, err) : NULL;
    float mean[GB_VAE_MAX_LATENT], basis[GB_VAE_MAX_LATENT * GB_VAE_MAX_LATENT];
    const gb_st_f32_t aux[2] = {
        {"aux.latent.mean", 1, {v->Z}, mean},
        {"aux.latent.basis", 2, {v->Z, v->Z}, basis},
    };
    if (!dcard || !ecard) {
        rc = gb_error_set(err, GB_ENOMEM, "%s: out of memory", out);
    } else if (!dec || !enc) {
        rc = err ? err->code : GB_EINVAL;
    } else if ((rc = gb_vae_latent_basis(v, ds, mean, basis, NULL, err)) == 0 &&
               (rc = gb_model_save_aux(out, dec, dcard, aux, 2, err)) == 0) {
        rc = gb_model_save(enc_path, enc, ecard, err);
    }
    gb_nn_free(dec);
    gb_nn_free(enc);
    free(dcard);
    free(ecard);
    free(enc_path);
    return rc;
}
