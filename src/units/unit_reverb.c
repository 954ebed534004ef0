/* unit_reverb.c — gbac.reverb: stereo feedback-delay-network reverb (dsp/gb_fdn.h).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * out = (1 − mix)·dry + mix·wet, wet from an 8-line FDN with Hadamard mixing, per-line
 * damping and per-line decay gains set from RT60. Parameter changes ramp per sample (lengths,
 * gains, filter coefficient and predelay inside the FDN, mix here), so output is bit-identical
 * for any block split. Input samples pass gb_sane_sample() (NaN/Inf → 0, |x| ≤ 1e6) before
 * they reach the loop, so a stray NaN cannot poison the tail nor a huge value overflow it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gb_fdn.h"
#include "gb_smooth.h"
#include "gb_builtin_units.h"
#include "gb_common.h"

enum {
    REV_DECAY_S = 0,
    REV_PREDELAY_MS = 1,
    REV_MIX = 2,
    REV_SIZE = 3,
    REV_DAMPING_HZ = 4,
    REV_N_PARAMS
};

#define REV_MAX_SIZE 2.0f
#define REV_MAX_PREDELAY_MS 200.0f
#define REV_CHUNK 64

static const gbp_param_info_t gb_reverb_params[REV_N_PARAMS] = {
    {REV_DECAY_S, "decay_s", "s", 0.1f, 20.0f, 2.0f, 50.0f, 0,
     "RT60: time for the tail to fall by 60 dB (at low frequencies)"},
    {REV_PREDELAY_MS, "predelay_ms", "ms", 0.0f, REV_MAX_PREDELAY_MS, 10.0f, 100.0f, 0,
     "delay before the reverb starts (gap between the dry sound and the tail)"},
    {REV_MIX, "mix", "", 0.0f, 1.0f, 0.25f, 20.0f, 0,
     "wet/dry balance: out = (1 - mix)·dry + mix·reverb"},
    {REV_SIZE, "size", "", 0.25f, REV_MAX_SIZE, 1.0f, 100.0f, 0,
     "room size: scales the 8 delay lines (31.7..73.7 ms at 1); glides when changed"},
    {REV_DAMPING_HZ, "damping_hz", "Hz", 500.0f, 20000.0f, 6000.0f, 50.0f, 0,
     "corner of the low-pass in each line: lower makes the tail darker"},
};

typedef struct gb_reverb_unit {
    float pv[REV_N_PARAMS];
    double sr;
    int active;
    gb_fdn_t *fdn;
    gb_ramp_t mix;
} gb_reverb_unit_t;

static float rev_clamp(uint32_t id, float v) GB_RT
{
    const gbp_param_info_t *p = &gb_reverb_params[id];
    return isfinite(v) ? gb_clampf(v, p->min, p->max) : p->def; /* as the engine does */
}

/* Push parameter id's stored value into the FDN / mix ramp, over its smoothing time (ramp)
 * or at once. [audio] or [main] */
static void rev_apply(gb_reverb_unit_t *r, uint32_t id, int ramp) GB_RT
{
    const float v = r->pv[id];
    const uint32_t n = ramp ? gb_smooth_frames(gb_reverb_params[id].smoothing_ms, r->sr) : 0;
    if (id == REV_MIX) {
        if (ramp)
            gb_ramp_set(&r->mix, v, n);
        else
            gb_ramp_init(&r->mix, v);
        return;
    }
    if (!r->fdn)
        return; /* applied at activate */
    switch (id) {
    case REV_DECAY_S: gb_fdn_set_rt60(r->fdn, v, n); break;
    case REV_PREDELAY_MS: gb_fdn_set_predelay(r->fdn, v, n); break;
    case REV_SIZE: gb_fdn_set_size(r->fdn, v, n); break;
    case REV_DAMPING_HZ: gb_fdn_set_damping(r->fdn, v, n); break;
    default: break;
    }
}

/** [main] */
static void *rev_create(const gbp_descriptor_t *desc, const gbp_host_t *host)
{
    (void)desc;
    (void)host;
    gb_reverb_unit_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->sr = 48000.0;
    for (uint32_t i = 0; i < REV_N_PARAMS; i++)
        r->pv[i] = gb_reverb_params[i].def;
    gb_ramp_init(&r->mix, r->pv[REV_MIX]);
    return r;
}

/** [main & active] */
static void rev_deactivate(void *self)
{
    gb_reverb_unit_t *r = self;
    gb_fdn_free(r->fdn);
    r->fdn = NULL;
    r->active = 0;
}

/** [main] */
static void rev_destroy(void *self)
{
    if (!self)
        return;
    rev_deactivate(self);
    free(self);
}

/** [audio & active] */
static void rev_reset(void *self) GB_RT
{
    gb_reverb_unit_t *r = self;
    if (!r->active)
        return;
    for (uint32_t i = 0; i < REV_N_PARAMS; i++)
        rev_apply(r, i, 0);
    gb_fdn_reset(r->fdn);
}

/** [main] */
static int rev_activate(void *self, double sample_rate, uint32_t max_frames)
{
    gb_reverb_unit_t *r = self;
    (void)max_frames;
    if (r->active)
        rev_deactivate(r);
    r->sr = sample_rate;
    r->fdn = gb_fdn_new(sample_rate, REV_MAX_SIZE, REV_MAX_PREDELAY_MS, NULL);
    if (!r->fdn)
        return (sample_rate >= 8000.0 && sample_rate <= 384000.0) ? GB_ENOMEM : GB_ERANGE;
    r->active = 1;
    rev_reset(r);
    return GB_OK;
}

/** [main, not while processing] */
static void rev_set_param(void *self, uint32_t id, float value)
{
    gb_reverb_unit_t *r = self;
    if (id >= REV_N_PARAMS)
        return;
    float v = rev_clamp(id, value);
    __atomic_store(&r->pv[id], &v, __ATOMIC_RELAXED);
    rev_apply(r, id, 0); /* a 0-frame ramp: the new value holds from the next sample on */
}

/** [main, not while processing] */
static float rev_get_param(void *self, uint32_t id) GB_RT
{
    gb_reverb_unit_t *r = self;
    float v = 0.0f;
    if (id < REV_N_PARAMS)
        __atomic_load(&r->pv[id], &v, __ATOMIC_RELAXED);
    return v;
}

/** [audio & active] */
static void rev_process(void *self, const gbp_process_t *p) GB_RT
{
    gb_reverb_unit_t *r = self;
    for (uint32_t e = 0; p->events && e < p->n_events; e++) {
        const gbp_event_t *ev = &p->events[e];
        if (ev->type == GBP_EV_PARAM && ev->id < REV_N_PARAMS) {
            float v = rev_clamp(ev->id, ev->value);
            __atomic_store(&r->pv[ev->id], &v, __ATOMIC_RELAXED);
            rev_apply(r, ev->id, 1);
        }
    }
    const int has_in = p->audio_in && p->audio_in[0] && p->audio_in[1];
    const int has_out = p->audio_out && p->audio_out[0] && p->audio_out[1];
    float xl[REV_CHUNK], xr[REV_CHUNK], wl[REV_CHUNK], wr[REV_CHUNK];
    for (uint32_t t = 0; t < p->frames; t += REV_CHUNK) {
        const uint32_t n = p->frames - t < REV_CHUNK ? p->frames - t : REV_CHUNK;
        for (uint32_t i = 0; i < n; i++) {
            xl[i] = has_in ? gb_sane_sample(p->audio_in[0][t + i]) : 0.0f;
            xr[i] = has_in ? gb_sane_sample(p->audio_in[1][t + i]) : 0.0f;
        }
        if (r->active) {
            gb_fdn_process(r->fdn, xl, xr, wl, wr, n);
        } else {
            memset(wl, 0, sizeof wl);
            memset(wr, 0, sizeof wr);
        }
        if (!has_out) {
            for (uint32_t i = 0; i < n; i++)
                gb_ramp_next(&r->mix);
            continue;
        }
        float *ol = p->audio_out[0] + t, *o_r = p->audio_out[1] + t;
        for (uint32_t i = 0; i < n; i++) {
            const float m = gb_ramp_next(&r->mix);
            ol[i] = (1.0f - m) * xl[i] + m * wl[i];
            o_r[i] = (1.0f - m) * xr[i] + m * wr[i];
        }
    }
}

const gbp_descriptor_t gb_unit_reverb = {
    .abi_version = GBP_ABI_VERSION,
    .struct_size = sizeof(gbp_descriptor_t),
    .id = "gbac.reverb",
    .name = "Reverb",
    .vendor = "gbac",
    .version = "1.0.0",
    .description = "Stereo reverb: an 8-line feedback delay network with Hadamard mixing, "
                   "per-line damping, RT60 decay, predelay and decorrelated outputs.",
    .kind = GBP_KIND_EFFECT,
    .n_params = REV_N_PARAMS,
    .params = gb_reverb_params,
    .create = rev_create,
    .destroy = rev_destroy,
    .activate = rev_activate,
    .deactivate = rev_deactivate,
    .reset = rev_reset,
    .process = rev_process,
    .set_param = rev_set_param,
    .get_param = rev_get_param,
    .save_state = NULL,
    .load_state = NULL,
};
