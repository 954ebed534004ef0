/* gb_fdn.c — 8-line feedback delay network (see gb_fdn.h for the structure).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_fdn.h"

#include <math.h>
#include <stdlib.h>

#include "gb_delayline.h"
#include "gb_smooth.h"

/* Line lengths at size 1, in ms: spread over a bit more than an octave and mutually
 * incommensurate, so the echo patterns of the lines do not line up (no flutter, dense modes). */
static const float gb_fdn_base_ms[GB_FDN_LINES] = {31.7f, 37.3f, 41.9f, 46.1f,
                                                   53.7f, 59.3f, 67.1f, 73.7f};

/* Input and output sign vectors: left ⟂ right on both sides, so a mono input excites
 * different line combinations for each output and the outputs are decorrelated. */
static const float gb_fdn_in_l[GB_FDN_LINES] = {1, -1, 1, 1, -1, 1, -1, -1};
static const float gb_fdn_in_r[GB_FDN_LINES] = {1, 1, -1, 1, 1, -1, -1, -1};
static const float gb_fdn_out_l[GB_FDN_LINES] = {1, 1, -1, -1, 1, -1, 1, -1};
static const float gb_fdn_out_r[GB_FDN_LINES] = {1, -1, -1, 1, -1, -1, 1, 1};

/* Input and output scaling: each input reaches all 8 lines, each output sums 8 lines; with
 * 1/sqrt(8) on both sides a unit impulse gives a first-arrival energy of 1 per output. */
#define GB_FDN_IN_GAIN 0.35355339f  /* 1/sqrt(8) */
#define GB_FDN_OUT_GAIN 0.35355339f /* 1/sqrt(8) */
#define GB_FDN_HADAMARD_NORM 0.35355339f

struct gb_fdn {
    double sr;
    float max_size, max_pre_ms;
    float rt60, size; /* current targets, from which lengths and gains are derived */
    gb_delayline_t line[GB_FDN_LINES];
    gb_delayline_t pre[2];
    gb_ramp_t len[GB_FDN_LINES];  /* delay of each line in frames (whole at rest) */
    gb_ramp_t gain[GB_FDN_LINES]; /* per-line decay gain */
    gb_ramp_t coef;               /* low-pass coefficient, shared by the lines */
    gb_ramp_t pre_d;              /* predelay in frames */
    float lp[GB_FDN_LINES];       /* low-pass states */
};

static float fdn_len(const gb_fdn_t *f, int k, float size) GB_RT
{
    float len = roundf(gb_fdn_base_ms[k] * size * (float)(f->sr * 0.001));
    return len < 2.0f ? 2.0f : len;
}

/* New length and gain targets for every line from the current size and rt60. */
static void fdn_retarget_loop(gb_fdn_t *f, uint32_t frames) GB_RT
{
    for (int k = 0; k < GB_FDN_LINES; k++) {
        const float len = fdn_len(f, k, f->size);
        const float g = (float)pow(10.0, -3.0 * (double)len / ((double)f->rt60 * f->sr));
        gb_ramp_set(&f->len[k], len, frames);
        gb_ramp_set(&f->gain[k], g, frames);
    }
}

gb_fdn_t *gb_fdn_new(double sample_rate, float max_size, float max_predelay_ms, gb_error_t *err)
{
    if (!(sample_rate >= 8000.0 && sample_rate <= 384000.0)) {
        gb_error_set(err, GB_ERANGE, "reverb: sample rate %g Hz is outside 8000..384000",
                     sample_rate);
        return NULL;
    }
    if (!(max_size >= 0.1f && max_size <= 4.0f) ||
        !(max_predelay_ms >= 0.0f && max_predelay_ms <= 2000.0f)) {
        gb_error_set(err, GB_ERANGE,
                     "reverb: max size %g (0.1..4) or max predelay %g ms (0..2000) out of range",
                     (double)max_size, (double)max_predelay_ms);
        return NULL;
    }
    gb_fdn_t *f = calloc(1, sizeof *f);
    if (!f) {
        gb_error_set(err, GB_ENOMEM, "reverb: out of memory");
        return NULL;
    }
    f->sr = sample_rate;
    f->max_size = max_size;
    f->max_pre_ms = max_predelay_ms;
    for (int k = 0; k < GB_FDN_LINES; k++)
        if (gb_delayline_init(&f->line[k], (uint32_t)fdn_len(f, k, max_size) + 2u, err) < 0)
            goto fail;
    const uint32_t max_pre = (uint32_t)ceil(max_predelay_ms * sample_rate * 0.001) + 2u;
    for (int c = 0; c < 2; c++)
        if (gb_delayline_init(&f->pre[c], max_pre, err) < 0)
            goto fail;
    f->rt60 = 2.0f;
    f->size = 1.0f;
    gb_fdn_set_damping(f, 8000.0f, 0);
    gb_fdn_set_predelay(f, 0.0f, 0);
    fdn_retarget_loop(f, 0);
    gb_fdn_reset(f);
    return f;
fail:
    gb_fdn_free(f);
    return NULL;
}

void gb_fdn_free(gb_fdn_t *f)
{
    if (!f)
        return;
    for (int k = 0; k < GB_FDN_LINES; k++)
        gb_delayline_free(&f->line[k]);
    for (int c = 0; c < 2; c++)
        gb_delayline_free(&f->pre[c]);
    free(f);
}

void gb_fdn_reset(gb_fdn_t *f)
{
    for (int k = 0; k < GB_FDN_LINES; k++) {
        gb_delayline_clear(&f->line[k]);
        gb_ramp_init(&f->len[k], f->len[k].target);
        gb_ramp_init(&f->gain[k], f->gain[k].target);
        f->lp[k] = 0.0f;
    }
    for (int c = 0; c < 2; c++)
        gb_delayline_clear(&f->pre[c]);
    gb_ramp_init(&f->coef, f->coef.target);
    gb_ramp_init(&f->pre_d, f->pre_d.target);
}

void gb_fdn_set_rt60(gb_fdn_t *f, float rt60_s, uint32_t ramp_frames)
{
    f->rt60 = gb_clampf(rt60_s, 0.05f, 60.0f);
    fdn_retarget_loop(f, ramp_frames);
}

void gb_fdn_set_size(gb_fdn_t *f, float size, uint32_t ramp_frames)
{
    f->size = gb_clampf(size, 0.1f, f->max_size);
    fdn_retarget_loop(f, ramp_frames);
}

void gb_fdn_set_damping(gb_fdn_t *f, float hz, uint32_t ramp_frames)
{
    const double fc = gb_clampf(hz, 20.0f, (float)(0.45 * f->sr));
    gb_ramp_set(&f->coef, (float)(1.0 - exp(-2.0 * GB_PI * fc / f->sr)), ramp_frames);
}

void gb_fdn_set_predelay(gb_fdn_t *f, float ms, uint32_t ramp_frames)
{
    const float frames = gb_clampf(ms, 0.0f, f->max_pre_ms) * (float)(f->sr * 0.001);
    gb_ramp_set(&f->pre_d, gb_maxf(frames, 1.0f), ramp_frames);
}

/* In-place normalised 8-point Walsh–Hadamard transform (orthogonal: preserves energy),
 * written out: 24 adds and 8 multiplies, straight-line code. */
static inline void fdn_hadamard8(float *v) GB_RT
{
    const float a0 = v[0] + v[1], a1 = v[0] - v[1], a2 = v[2] + v[3], a3 = v[2] - v[3];
    const float a4 = v[4] + v[5], a5 = v[4] - v[5], a6 = v[6] + v[7], a7 = v[6] - v[7];
    const float b0 = a0 + a2, b1 = a1 + a3, b2 = a0 - a2, b3 = a1 - a3;
    const float b4 = a4 + a6, b5 = a5 + a7, b6 = a4 - a6, b7 = a5 - a7;
    const float k = GB_FDN_HADAMARD_NORM;
    v[0] = (b0 + b4) * k;
    v[1] = (b1 + b5) * k;
    v[2] = (b2 + b6) * k;
    v[3] = (b3 + b7) * k;
    v[4] = (b0 - b4) * k;
    v[5] = (b1 - b5) * k;
    v[6] = (b2 - b6) * k;
    v[7] = (b3 - b7) * k;
}

void gb_fdn_process(gb_fdn_t *f, const float *in_l, const float *in_r, float *wet_l,
                    float *wet_r, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        const float pd = gb_ramp_next(&f->pre_d);
        const float pl = gb_delayline_tap_frac(&f->pre[0], pd) * GB_FDN_IN_GAIN;
        const float pr = gb_delayline_tap_frac(&f->pre[1], pd) * GB_FDN_IN_GAIN;
        gb_delayline_push(&f->pre[0], in_l[i]);
        gb_delayline_push(&f->pre[1], in_r[i]);

        const float a = gb_ramp_next(&f->coef);
        float y[GB_FDN_LINES], v[GB_FDN_LINES];
        float wl = 0.0f, wr = 0.0f;
        for (int k = 0; k < GB_FDN_LINES; k++) {
            y[k] = gb_delayline_tap_frac(&f->line[k], gb_ramp_next(&f->len[k]));
            f->lp[k] = gb_flush_denormal(f->lp[k] + a * (y[k] - f->lp[k]));
            v[k] = f->lp[k] * gb_ramp_next(&f->gain[k]);
            wl += gb_fdn_out_l[k] * y[k];
            wr += gb_fdn_out_r[k] * y[k];
        }
        fdn_hadamard8(v);
        for (int k = 0; k < GB_FDN_LINES; k++)
            gb_delayline_push(&f->line[k], v[k] + gb_fdn_in_l[k] * pl + gb_fdn_in_r[k] * pr);
        wet_l[i] = wl * GB_FDN_OUT_GAIN;
        wet_r[i] = wr * GB_FDN_OUT_GAIN;
    }
}
