/* gb_vae_eval.c — a loaded timbre VAE pair: decoding, rendering, knob effects
 * (gb_vae_eval.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_vae_eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_msd.h"
#include "gb_timbre_render.h"
#include "gb_vae_time.h"

#define DEC_ROWS 64
#define EFFECT_FRAMES 150 /* 1.5 s */
#define EFFECT_HELD 100   /* note-off after 1 s */

int gb_vae_pair_load(const char *model, int batch, gb_vae_pair_t *p, gb_error_t *err)
{
    memset(p, 0, sizeof *p);
    char enc_path[4096];
    if ((size_t)snprintf(enc_path, sizeof enc_path, "%s.enc", model) >= sizeof enc_path)
        return gb_error_set(err, GB_EINVAL, "%s: path too long", model);
    p->dec_file = gb_model_load(model, batch, err);
    p->enc_file = p->dec_file ? gb_model_load(enc_path, 1, err) : NULL;
    if (!p->enc_file) {
        gb_vae_pair_free(p);
        return err && err->code ? err->code : GB_EIO;
    }
    p->dec = gb_model_nn(p->dec_file);
    p->enc = gb_model_nn(p->enc_file);
    p->zdim = gb_nn_out_dim(p->enc) / 2;
    p->time_features = gb_nn_in_dim(p->dec) - p->zdim - 2;
    if (gb_nn_in_dim(p->enc) != GB_VAE_ENC_IN || p->zdim < 1 || p->zdim > GB_VAE_MAX_LATENT ||
        gb_nn_out_dim(p->dec) != GB_VAE_DEC_OUT ||
        (p->time_features != 0 && p->time_features != GB_VAE_TIME_FEATURES)) {
        gb_error_set(err, GB_EFORMAT,
                     "%s / %s: not a matching timbre-VAE encoder and decoder (encoder %d -> %d, "
                     "decoder %d -> %d)",
                     enc_path, model, gb_nn_in_dim(p->enc), gb_nn_out_dim(p->enc),
                     gb_nn_in_dim(p->dec), gb_nn_out_dim(p->dec));
        gb_vae_pair_free(p);
        return GB_EFORMAT;
    }
    int nd_m = 0, nd_b = 0;
    int64_t sm[8] = {0}, sb[8] = {0};
    p->mean = gb_model_aux(p->dec_file, "latent.mean", &nd_m, sm);
    p->basis = gb_model_aux(p->dec_file, "latent.basis", &nd_b, sb);
    if ((p->mean || p->basis) &&
        (!p->mean || !p->basis || nd_m != 1 || sm[0] != p->zdim || nd_b != 2 ||
         sb[0] != p->zdim || sb[1] != p->zdim)) {
        gb_error_set(err, GB_EFORMAT,
                     "%s: aux.latent.mean and aux.latent.basis must both be there, shaped [%d] "
                     "and [%d, %d]", model, p->zdim, p->zdim, p->zdim);
        gb_vae_pair_free(p);
        return GB_EFORMAT;
    }
    return GB_OK;
}

void gb_vae_pair_free(gb_vae_pair_t *p)
{
    if (!p)
        return;
    gb_model_free(p->dec_file);
    gb_model_free(p->enc_file);
    memset(p, 0, sizeof *p);
}

void gb_vae_pair_latent(const gb_vae_pair_t *p, const float *u, float *z)
{
    const int Z = p->zdim;
    if (!p->basis) {
        memcpy(z, u, sizeof(float) * (size_t)Z);
        return;
    }
    for (int d = 0; d < Z; d++) {
        double s = p->mean[d];
        for (int k = 0; k < Z; k++)
            s += (double)u[k] * p->basis[k * Z + d];
        z[d] = (float)s;
    }
}

void gb_vae_output_frame(const float *o, gb_timbre_frame_t *t)
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

/* Decode rows already filled in x (n of them, in = decoder inputs) into out. */
static void decode_rows(const gb_vae_pair_t *p, float *x, int n, gb_timbre_frame_t *out)
{
    const int in = gb_nn_in_dim(p->dec);
    float y[DEC_ROWS * GB_VAE_DEC_OUT];
    for (int r0 = 0; r0 < n; r0 += DEC_ROWS) {
        const int nb = n - r0 < DEC_ROWS ? n - r0 : DEC_ROWS;
        gb_nn_forward(p->dec, x + (size_t)r0 * in, y, nb);
        for (int b = 0; b < nb; b++)
            gb_vae_output_frame(y + b * GB_VAE_DEC_OUT, &out[r0 + b]);
    }
}

int gb_vae_decode_note(const gb_vae_pair_t *p, const gb_tds_t *ds, int ni, const float *z,
                       int n, gb_timbre_frame_t *out)
{
    const gb_tds_note_t *nt = &ds->notes[ni];
    const int Z = p->zdim, in = gb_nn_in_dim(p->dec);
    if (in != Z + 2 + p->time_features || n < 0 || (uint32_t)n > nt->n_frames)
        return GB_EFORMAT;
    float x[DEC_ROWS * (GB_VAE_MAX_LATENT + 2 + GB_VAE_TIME_FEATURES)];
    for (int f0 = 0; f0 < n; f0 += DEC_ROWS) {
        const int nb = n - f0 < DEC_ROWS ? n - f0 : DEC_ROWS;
        for (int b = 0; b < nb; b++) {
            const gb_tds_frame_t *fr = &ds->frames[nt->first_frame + (uint32_t)(f0 + b)];
            const float hz = fr->f0_hz > 0 ? fr->f0_hz : (nt->f0_hz > 0 ? nt->f0_hz : 440.0f);
            float *r = x + (size_t)b * in;
            memcpy(r, z, sizeof(float) * (size_t)Z);
            r[Z] = log2f(hz / 440.0f);
            r[Z + 1] = fr->loudness_db / 60.0f;
            if (p->time_features) {
                float t_on, t_off;
                gb_vae_frame_time(ds, ni, (uint32_t)(f0 + b), &t_on, &t_off);
                gb_vae_time_features(t_on, t_off, r + Z + 2);
            }
        }
        decode_rows(p, x, nb, out + f0);
    }
    return GB_OK;
}

double gb_vae_msd_frames(const gb_timbre_frame_t *a, const gb_timbre_frame_t *b, int n,
                         double f0_hz, const gb_noise_tables_t *tab, float *sa, float *sb,
                         size_t len)
{
    gb_msd_t d;
    if (gb_timbre_render(a, n, f0_hz, GB_VAE_EVAL_SR, tab, sa, len, NULL) ||
        gb_timbre_render(b, n, f0_hz, GB_VAE_EVAL_SR, tab, sb, len, NULL) ||
        gb_msd(sa, sb, len, &d, NULL))
        return NAN;
    return d.total;
}

/* The A3 of the knob-effect scheme for knob setting u. */
static void decode_a3(const gb_vae_pair_t *p, const float *u, float *x, gb_timbre_frame_t *out)
{
    const int Z = p->zdim, in = gb_nn_in_dim(p->dec);
    float z[GB_VAE_MAX_LATENT];
    gb_vae_pair_latent(p, u, z);
    for (int f = 0; f < EFFECT_FRAMES; f++) {
        float *r = x + (size_t)f * in;
        const float t = (float)f * (float)GB_TIMBRE_HOP_S;
        const float t_off = f >= EFFECT_HELD ? t - EFFECT_HELD * (float)GB_TIMBRE_HOP_S : -1.0f;
        memcpy(r, z, sizeof(float) * (size_t)Z);
        r[Z] = -1.0f; /* log2(220/440) */
        r[Z + 1] = (t_off < 0 ? -20.0f : -20.0f - 40.0f * t_off / 0.5f) / 60.0f;
        if (p->time_features)
            gb_vae_time_features(t, t_off, r + Z + 2);
    }
    decode_rows(p, x, EFFECT_FRAMES, out);
}

int gb_vae_knob_effect(const gb_vae_pair_t *p, const gb_noise_tables_t *tab, double *effect)
{
    const int Z = p->zdim;
    const size_t len = (size_t)(EFFECT_FRAMES * GB_TIMBRE_HOP_S * GB_VAE_EVAL_SR);
    float *x = malloc(sizeof(float) * EFFECT_FRAMES * (size_t)gb_nn_in_dim(p->dec));
    float *sa = malloc(sizeof(float) * len), *sb = malloc(sizeof(float) * len);
    gb_timbre_frame_t *c = malloc(sizeof *c * EFFECT_FRAMES), *e = malloc(sizeof *e * EFFECT_FRAMES);
    int rc = GB_OK;
    if (!x || !sa || !sb || !c || !e) {
        rc = GB_ENOMEM;
        goto done;
    }
    float u[GB_VAE_MAX_LATENT] = {0};
    decode_a3(p, u, x, c);
    for (int k = 0; k < Z; k++) {
        double s = 0.0;
        for (int side = -1; side <= 1; side += 2) {
            u[k] = 2.0f * (float)side;
            decode_a3(p, u, x, e);
            s += gb_vae_msd_frames(c, e, EFFECT_FRAMES, 220.0, tab, sa, sb, len);
        }
        u[k] = 0.0f;
        effect[k] = 0.5 * s;
    }
done:
    free(x);
    free(sa);
    free(sb);
    free(c);
    free(e);
    return rc;
}
