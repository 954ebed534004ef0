/* example_tremolo.c — "example.tremolo": an external gbac effect plugin, written as a model
 * for plugin authors. It needs nothing but gbac_plugin.h and libm.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The effect: out = in · g(t), with the gain g swinging between 1 and 1 − depth,
 *     sine:     g = 1 − depth · (1 − cos φ) / 2
 *     triangle: g = 1 − depth · tri(φ),   tri rising 0 → 1 over the first half period
 * where φ advances by 2π · rate_hz per second. The right channel runs `spread` degrees ahead,
 * so spread = 180 turns the tremolo into an auto-panner. Both channels start at g = 1.
 *
 * What to copy from it (ABI 2):
 *   - one exported symbol (gbac_plugin_entry); everything else static, built with
 *     -fvisibility=hidden (see CMakeLists.txt);
 *   - ABI version and struct size first in the descriptor;
 *   - parameters clamped on the way in (set_param and GBP_EV_PARAM alike);
 *   - no allocation, lock or I/O in process(); cost A + B·frames; frames == 0 is fine;
 *     process() and get_param() marked GBP_RT, so clang ≥ 20 (-Wfunction-effects) checks them;
 *   - a parameter that would click when it jumps (depth) is ramped after a GBP_EV_PARAM,
 *     while set_param() (preset load) applies at once, as the ABI asks;
 *   - a read-only report (`gain`, a meter): process() writes a plain float, and the host
 *     reads it with get_param() on the audio thread right after process() — no atomics;
 *   - optional callbacks (reset, save_state/load_state, get_extension) left NULL when there
 *     is nothing to do: a tremolo adds no latency, has no voices and keeps no state beyond
 *     its parameters (see docs/units.md for the extensions a unit can offer).
 */
#include <math.h>
#include <stdlib.h>

#include "gbac_plugin.h"

#define TREM_PI 3.14159265358979323846
#define TREM_RAMP_MS 10.0 /* depth changes from events glide over this time */

enum { P_RATE_HZ, P_DEPTH, P_SPREAD, P_SHAPE, P_GAIN, P_COUNT };

static const gbp_param_info_t trem_params[P_COUNT] = {
    {P_RATE_HZ, "rate_hz", "Hz", 0.05f, 20.0f, 4.0f, 0.0f, 0, "tremolo speed"},
    {P_DEPTH, "depth", "", 0.0f, 1.0f, 0.5f, (float)TREM_RAMP_MS, 0,
     "0: no effect, 1: the gain dips to silence"},
    {P_SPREAD, "spread", "degrees", 0.0f, 180.0f, 0.0f, 0.0f, 0,
     "right channel phase lead (180: auto-pan)"},
    {P_SHAPE, "shape", "", 0.0f, 1.0f, 0.0f, 0.0f, GBP_PARAM_STEPPED | GBP_PARAM_NO_SMOOTH,
     "0: sine, 1: triangle"},
    {P_GAIN, "gain", "", 0.0f, 1.0f, 1.0f, 0.0f, GBP_PARAM_READONLY | GBP_PARAM_NO_SMOOTH,
     "meter: the left channel's gain on the last sample of the last block"},
};

typedef struct tremolo {
    float p[P_COUNT];
    double sample_rate;
    double phase;       /* radians, 0 .. 2π */
    double depth;       /* current (ramped) depth */
    double depth_step;  /* per sample while ramping */
    uint32_t ramp_left; /* samples left in the ramp */
} tremolo_t;

static float clampf(float v, float lo, float hi) GBP_RT
{
    return v < lo ? lo : v > hi ? hi : v;
}

static float param_clamp(uint32_t id, float v) GBP_RT
{
    const gbp_param_info_t *pi = &trem_params[id];
    if (!(v == v)) /* NaN */
        return pi->def;
    v = clampf(v, pi->min, pi->max);
    return (pi->flags & GBP_PARAM_STEPPED) ? roundf(v) : v;
}

/* [main] */
static void *trem_create(const gbp_descriptor_t *desc, const gbp_host_t *host)
{
    (void)desc;
    (void)host;
    tremolo_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    for (int i = 0; i < P_COUNT; i++)
        t->p[i] = trem_params[i].def;
    t->depth = t->p[P_DEPTH];
    t->sample_rate = 48000.0;
    return t;
}

/* [main] */
static void trem_destroy(void *self)
{
    free(self);
}

/* [main] */
static int trem_activate(void *self, double sample_rate, uint32_t max_frames)
{
    tremolo_t *t = self;
    (void)max_frames; /* nothing to allocate: the state is a handful of numbers */
    if (!(sample_rate > 0.0))
        return -1;
    t->sample_rate = sample_rate;
    t->phase = 0.0;
    t->depth = t->p[P_DEPTH];
    t->ramp_left = 0;
    return 0;
}

/* [main & active] */
static void trem_deactivate(void *self)
{
    (void)self;
}

/* [main, not while processing] */
static void trem_set_param(void *self, uint32_t id, float value)
{
    tremolo_t *t = self;
    if (id >= P_COUNT || (trem_params[id].flags & GBP_PARAM_READONLY))
        return;
    t->p[id] = param_clamp(id, value);
    if (id == P_DEPTH) { /* now, without smoothing */
        t->depth = t->p[P_DEPTH];
        t->ramp_left = 0;
    }
}

/* [main, not while processing]; the read-only `gain` also [audio], right after process() */
static float trem_get_param(void *self, uint32_t id) GBP_RT
{
    const tremolo_t *t = self;
    return id < P_COUNT ? t->p[id] : 0.0f;
}

/* Gain shape at phase φ: 0 at φ = 0, 1 at φ = π. */
static double trem_shape(int triangle, double phi) GBP_RT
{
    if (triangle)
        return phi < TREM_PI ? phi / TREM_PI : 2.0 - phi / TREM_PI;
    return 0.5 * (1.0 - cos(phi));
}

/* [audio & active] */
static void trem_process(void *self, const gbp_process_t *proc) GBP_RT
{
    tremolo_t *t = self;
    /* Effects see their events at time 0 of the (sub-)block: apply them first. */
    for (uint32_t i = 0; i < proc->n_events; i++) {
        const gbp_event_t *ev = &proc->events[i];
        if (ev->type != GBP_EV_PARAM || ev->id >= P_COUNT ||
            (trem_params[ev->id].flags & GBP_PARAM_READONLY))
            continue;
        t->p[ev->id] = param_clamp(ev->id, ev->value);
        if (ev->id == P_DEPTH) {
            uint32_t n = (uint32_t)(TREM_RAMP_MS * 0.001 * t->sample_rate);
            t->ramp_left = n > 0 ? n : 1;
            t->depth_step = (t->p[P_DEPTH] - t->depth) / t->ramp_left;
        }
    }
    if (proc->frames == 0 || !proc->audio_in || !proc->audio_out)
        return;

    const double two_pi = 2.0 * TREM_PI;
    const double inc = two_pi * t->p[P_RATE_HZ] / t->sample_rate;
    const double lead = t->p[P_SPREAD] * (TREM_PI / 180.0);
    const int triangle = t->p[P_SHAPE] >= 0.5f;
    const float *in_l = proc->audio_in[0], *in_r = proc->audio_in[1];
    float *out_l = proc->audio_out[0], *out_r = proc->audio_out[1];
    double gain_l = 1.0;
    for (uint32_t n = 0; n < proc->frames; n++) {
        if (t->ramp_left > 0) {
            t->depth += t->depth_step;
            if (--t->ramp_left == 0)
                t->depth = t->p[P_DEPTH];
        }
        double phi_r = t->phase + lead;
        if (phi_r >= two_pi)
            phi_r -= two_pi;
        gain_l = 1.0 - t->depth * trem_shape(triangle, t->phase);
        out_l[n] = (float)(in_l[n] * gain_l);
        out_r[n] = (float)(in_r[n] * (1.0 - t->depth * trem_shape(triangle, phi_r)));
        t->phase += inc;
        if (t->phase >= two_pi)
            t->phase -= two_pi;
    }
    t->p[P_GAIN] = (float)gain_l; /* the meter, read by the host after this call */
}

static const gbp_descriptor_t trem_descriptor = {
    .abi_version = GBP_ABI_VERSION,
    .struct_size = sizeof(gbp_descriptor_t),
    .id = "example.tremolo",
    .name = "Tremolo",
    .vendor = "gbac examples",
    .version = "1.0",
    .description = "Amplitude tremolo / auto-pan: the example external plugin",
    .kind = GBP_KIND_EFFECT,
    .n_params = P_COUNT,
    .params = trem_params,
    .create = trem_create,
    .destroy = trem_destroy,
    .activate = trem_activate,
    .deactivate = trem_deactivate,
    .reset = NULL, /* no tail to forget: the LFO phase may run on */
    .process = trem_process,
    .set_param = trem_set_param,
    .get_param = trem_get_param,
    .save_state = NULL,
    .load_state = NULL,
    .get_extension = NULL, /* no latency, voices, model, latent or NaN count to offer */
};

/* The one exported symbol. */
__attribute__((visibility("default"))) const gbp_descriptor_t *gbac_plugin_entry(uint32_t index);

const gbp_descriptor_t *gbac_plugin_entry(uint32_t index)
{
    return index == 0 ? &trem_descriptor : NULL;
}
