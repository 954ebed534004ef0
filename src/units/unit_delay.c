/* unit_delay.c — gbac.delay: stereo feedback delay with ping-pong and a damped feedback path.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Per channel, per sample (read before write, so the delay is d ≥ 1 frames):
 *   y   = line[n − d]                       interpolated tap, d ramped → glides, no zipper
 *   lp += a·(y − lp)                        one-pole low-pass in the feedback path (DC gain 1)
 *   normal:    line_L ← x_L + fb·lp_L,             line_R ← x_R + fb·lp_R
 *   ping-pong: line_L ← (x_L + x_R)/2 + fb·lp_R,   line_R ← fb·lp_L
 *   out = (1 − mix)·x + mix·y
 * The two routings are cross-faded by the (ramped) ping_pong value, so switching it is
 * click-free. The first echo of an impulse comes back after exactly d frames with gain `mix`
 * (it has not been through the filter yet); every further echo is `feedback` times the
 * previous one, low-passed once more (its sum of samples is exactly `feedback` times as big).
 * All parameters are linear per-sample ramps (gb_ramp_t) of the quantity the loop uses, so
 * output is bit-identical for any block split. Input samples pass gb_sane_sample() (NaN/Inf
 * → 0, |x| ≤ 1e6) so nothing can poison or overflow the feedback loop.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gb_delayline.h"
#include "gb_smooth.h"
#include "gb_builtin_units.h"
#include "gb_common.h"

enum {
    DLY_TIME_MS = 0,
    DLY_FEEDBACK = 1,
    DLY_MIX = 2,
    DLY_PING_PONG = 3,
    DLY_TONE_HZ = 4,
    DLY_N_PARAMS
};

#define DLY_MAX_TIME_MS 2000.0f
#define DLY_CHUNK 64 /* frames per inner pass (stack scratch for missing buffers) */

static const gbp_param_info_t gb_delay_params[DLY_N_PARAMS] = {
    {DLY_TIME_MS, "time_ms", "ms", 1.0f, DLY_MAX_TIME_MS, 375.0f, 100.0f, 0,
     "delay time; changes glide over 100 ms (interpolated read, no zipper noise)"},
    {DLY_FEEDBACK, "feedback", "", 0.0f, 0.95f, 0.35f, 20.0f, 0,
     "fraction of each echo fed back (each echo is this times the previous one)"},
    {DLY_MIX, "mix", "", 0.0f, 1.0f, 0.3f, 20.0f, 0,
     "wet/dry balance: out = (1 - mix)·dry + mix·echoes"},
    {DLY_PING_PONG, "ping_pong", "", 0.0f, 1.0f, 0.0f, 20.0f, GBP_PARAM_STEPPED,
     "1: echoes alternate left/right from a mono sum (cross-faded over 20 ms)"},
    {DLY_TONE_HZ, "tone_hz", "Hz", 200.0f, 20000.0f, 6000.0f, 20.0f, 0,
     "corner of the one-pole low-pass in the feedback path (repeats get darker)"},
};

typedef struct gb_delay_unit {
    float pv[DLY_N_PARAMS]; /* parameter values (clamped), read by get_param */
    double sr;
    int active;
    gb_delayline_t line[2];
    gb_ramp_t time, fb, mix, pp, coef; /* time in frames, coef of the low-pass */
    float lp[2];
} gb_delay_unit_t;

/* Clamp a value into parameter id's range (stepped ones rounded); NaN and ±Inf give the
 * default, as in the engine's own bookkeeping (gb_engine.c). */
static float dly_clamp(uint32_t id, float v) GB_RT
{
    const gbp_param_info_t *p = &gb_delay_params[id];
    v = isfinite(v) ? gb_clampf(v, p->min, p->max) : p->def;
    return (p->flags & GBP_PARAM_STEPPED) ? roundf(v) : v;
}

static float dly_coef(double sr, float hz) GB_RT
{
    const double fc = gb_clampf(hz, 20.0f, (float)(0.45 * sr));
    return (float)(1.0 - exp(-2.0 * GB_PI * fc / sr));
}

/* Start the ramp of parameter id towards its stored value: over its smoothing time, or at
 * once (ramp == 0: set_param, activate, reset). [audio] or [main] */
static void dly_apply(gb_delay_unit_t *d, uint32_t id, int ramp) GB_RT
{
    const float v = d->pv[id];
    const uint32_t n = ramp ? gb_smooth_frames(gb_delay_params[id].smoothing_ms, d->sr) : 0;
    gb_ramp_t *r = NULL;
    float target = v;
    switch (id) {
    case DLY_TIME_MS: r = &d->time; target = (float)((double)v * d->sr * 0.001); break;
    case DLY_FEEDBACK: r = &d->fb; break;
    case DLY_MIX: r = &d->mix; break;
    case DLY_PING_PONG: r = &d->pp; break;
    case DLY_TONE_HZ: r = &d->coef; target = dly_coef(d->sr, v); break;
    default: return;
    }
    if (ramp)
        gb_ramp_set(r, target, n);
    else
        gb_ramp_init(r, target);
}

/** [main] */
static void *dly_create(const gbp_descriptor_t *desc, const gbp_host_t *host)
{
    (void)desc;
    (void)host;
    gb_delay_unit_t *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->sr = 48000.0;
    for (uint32_t i = 0; i < DLY_N_PARAMS; i++)
        d->pv[i] = gb_delay_params[i].def;
    return d;
}

/** [main & active] */
static void dly_deactivate(void *self)
{
    gb_delay_unit_t *d = self;
    gb_delayline_free(&d->line[0]);
    gb_delayline_free(&d->line[1]);
    d->active = 0;
}

/** [main] */
static void dly_destroy(void *self)
{
    if (!self)
        return;
    dly_deactivate(self);
    free(self);
}

/** [audio & active] */
static void dly_reset(void *self) GB_RT
{
    gb_delay_unit_t *d = self;
    if (!d->active)
        return;
    gb_delayline_clear(&d->line[0]);
    gb_delayline_clear(&d->line[1]);
    d->lp[0] = d->lp[1] = 0.0f;
    for (uint32_t i = 0; i < DLY_N_PARAMS; i++)
        dly_apply(d, i, 0);
}

/** [main] */
static int dly_activate(void *self, double sample_rate, uint32_t max_frames)
{
    gb_delay_unit_t *d = self;
    (void)max_frames;
    if (!(sample_rate >= 8000.0 && sample_rate <= 384000.0))
        return GB_ERANGE;
    if (d->active)
        dly_deactivate(d);
    d->sr = sample_rate;
    const uint32_t max_delay = (uint32_t)ceil(DLY_MAX_TIME_MS * sample_rate * 0.001) + 2u;
    if (gb_delayline_init(&d->line[0], max_delay, NULL) < 0 ||
        gb_delayline_init(&d->line[1], max_delay, NULL) < 0) {
        dly_deactivate(d);
        return GB_ENOMEM;
    }
    d->active = 1;
    dly_reset(d);
    return GB_OK;
}

/** [main, not while processing] */
static void dly_set_param(void *self, uint32_t id, float value)
{
    gb_delay_unit_t *d = self;
    if (id >= DLY_N_PARAMS)
        return;
    float v = dly_clamp(id, value);
    __atomic_store(&d->pv[id], &v, __ATOMIC_RELAXED);
    dly_apply(d, id, 0);
}

/** [main, not while processing] */
static float dly_get_param(void *self, uint32_t id) GB_RT
{
    gb_delay_unit_t *d = self;
    float v = 0.0f;
    if (id < DLY_N_PARAMS)
        __atomic_load(&d->pv[id], &v, __ATOMIC_RELAXED);
    return v;
}

static void dly_run(gb_delay_unit_t *d, const float *in_l, const float *in_r, float *out_l,
                    float *out_r, uint32_t n) GB_RT
{
    gb_delayline_t *ll = &d->line[0], *lr = &d->line[1];
    float lpl = d->lp[0], lpr = d->lp[1];
    for (uint32_t i = 0; i < n; i++) {
        const float dt = gb_ramp_next(&d->time);
        const float fb = gb_ramp_next(&d->fb);
        const float mix = gb_ramp_next(&d->mix);
        const float pp = gb_ramp_next(&d->pp);
        const float a = gb_ramp_next(&d->coef);
        const float xl = gb_sane_sample(in_l[i]), xr = gb_sane_sample(in_r[i]);
        const float yl = gb_delayline_tap_frac(ll, dt), yr = gb_delayline_tap_frac(lr, dt);
        lpl = gb_flush_denormal(lpl + a * (yl - lpl));
        lpr = gb_flush_denormal(lpr + a * (yr - lpr));
        const float nl = xl + fb * lpl, nr = xr + fb * lpr;        /* straight */
        const float ql = 0.5f * (xl + xr) + fb * lpr, qr = fb * lpl; /* ping-pong */
        gb_delayline_push(ll, nl + pp * (ql - nl));
        gb_delayline_push(lr, nr + pp * (qr - nr));
        out_l[i] = (1.0f - mix) * xl + mix * yl;
        out_r[i] = (1.0f - mix) * xr + mix * yr;
    }
    d->lp[0] = lpl;
    d->lp[1] = lpr;
}

static const float dly_zeros[DLY_CHUNK]; /* the input when there is none */

/** [audio & active] */
static void dly_process(void *self, const gbp_process_t *p) GB_RT
{
    gb_delay_unit_t *d = self;
    for (uint32_t e = 0; p->events && e < p->n_events; e++) {
        const gbp_event_t *ev = &p->events[e];
        if (ev->type == GBP_EV_PARAM && ev->id < DLY_N_PARAMS) {
            float v = dly_clamp(ev->id, ev->value);
            __atomic_store(&d->pv[ev->id], &v, __ATOMIC_RELAXED);
            dly_apply(d, ev->id, 1);
        }
    }
    float scratch[2][DLY_CHUNK];
    for (uint32_t t = 0; t < p->frames; t += DLY_CHUNK) {
        const uint32_t n = p->frames - t < DLY_CHUNK ? p->frames - t : DLY_CHUNK;
        const int has_in = p->audio_in && p->audio_in[0] && p->audio_in[1];
        const int has_out = p->audio_out && p->audio_out[0] && p->audio_out[1];
        const float *il = has_in ? p->audio_in[0] + t : dly_zeros;
        const float *ir = has_in ? p->audio_in[1] + t : dly_zeros;
        float *ol = has_out ? p->audio_out[0] + t : scratch[0];
        float *o_r = has_out ? p->audio_out[1] + t : scratch[1];
        if (d->active)
            dly_run(d, il, ir, ol, o_r, n);
        else {
            memset(ol, 0, n * sizeof *ol);
            memset(o_r, 0, n * sizeof *o_r);
        }
    }
}

const gbp_descriptor_t gb_unit_delay = {
    .abi_version = GBP_ABI_VERSION,
    .struct_size = sizeof(gbp_descriptor_t),
    .id = "gbac.delay",
    .name = "Delay",
    .vendor = "gbac",
    .version = "1.0.0",
    .description = "Stereo feedback delay (up to 2 s) with ping-pong and a low-passed "
                   "feedback path; glides smoothly when the time changes.",
    .kind = GBP_KIND_EFFECT,
    .n_params = DLY_N_PARAMS,
    .params = gb_delay_params,
    .create = dly_create,
    .destroy = dly_destroy,
    .activate = dly_activate,
    .deactivate = dly_deactivate,
    .reset = dly_reset,
    .process = dly_process,
    .set_param = dly_set_param,
    .get_param = dly_get_param,
    .save_state = NULL,
    .load_state = NULL,
};
