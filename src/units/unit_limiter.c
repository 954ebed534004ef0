/* unit_limiter.c — gbac.limiter: master lookahead peak limiter (dsp/gb_limiter.h).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * input × gain_db → lookahead limiter → hard clamp at the ceiling. No output sample exceeds
 * ceiling_db (the clamp after the gain computer makes it unconditional), NaN and ±Inf input
 * samples become 0 through a bit mask (same cost for every value), and below the ceiling the
 * output is the input delayed by the lookahead, bit for bit. Latency = lookahead frames,
 * reported through the gbac.latency extension (a lookahead event changes it: the host reads
 * it after every block); the largest gain reduction of the last process() call is reported
 * in the read-only gain_reduction_db (read by the host with get_param after each block).
 * gain_db and ceiling_db ramp linearly per sample (split-invariant); release and lookahead
 * switch at once (a lookahead change moves the audio delay: set it before playing).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gb_fastmath.h"
#include "gb_limiter.h"
#include "gb_smooth.h"
#include "gb_builtin_units.h"
#include "gb_common.h"

enum {
    LIM_CEILING_DB = 0,
    LIM_RELEASE_MS = 1,
    LIM_LOOKAHEAD_MS = 2,
    LIM_GAIN_DB = 3,
    LIM_GAIN_REDUCTION_DB = 4,
    LIM_N_PARAMS
};

#define LIM_MAX_LOOKAHEAD_MS 10.0f
#define LIM_MAX_GR_DB 200.0f
#define LIM_CHUNK 64

static const gbp_param_info_t gb_limiter_params[LIM_N_PARAMS] = {
    {LIM_CEILING_DB, "ceiling_db", "dB", -24.0f, 0.0f, -0.3f, 20.0f, 0,
     "no output sample exceeds this level (dBFS)"},
    {LIM_RELEASE_MS, "release_ms", "ms", 1.0f, 1000.0f, 100.0f, 0.0f, GBP_PARAM_NO_SMOOTH,
     "time constant of the return to unity gain after a peak"},
    {LIM_LOOKAHEAD_MS, "lookahead_ms", "ms", 0.5f, LIM_MAX_LOOKAHEAD_MS, 5.0f, 0.0f,
     GBP_PARAM_NO_SMOOTH,
     "how early gain reduction starts before a peak; also the latency (set before playing)"},
    {LIM_GAIN_DB, "gain_db", "dB", -24.0f, 24.0f, 0.0f, 20.0f, 0,
     "input gain applied before limiting"},
    {LIM_GAIN_REDUCTION_DB, "gain_reduction_db", "dB", 0.0f, LIM_MAX_GR_DB, 0.0f, 0.0f,
     GBP_PARAM_READONLY | GBP_PARAM_NO_SMOOTH,
     "meter: largest gain reduction during the last processed block (0 = none)"},
};

typedef struct gb_limiter_unit {
    float pv[LIM_N_PARAMS]; /* settable values, and the meter (written by [audio]) */
    uint32_t latency;       /* frames, = the lookahead (gbac.latency) */
    double sr;
    int active;
    gb_limiter_t *lim;
    gb_ramp_t gain, ceiling; /* linear */
} gb_limiter_unit_t;

static float lim_clamp(uint32_t id, float v) GB_RT
{
    const gbp_param_info_t *p = &gb_limiter_params[id];
    return isfinite(v) ? gb_clampf(v, p->min, p->max) : p->def; /* as the engine does */
}

static float lim_db_to_lin(float db) GB_RT
{
    return (float)pow(10.0, (double)db / 20.0);
}

/* The linear ceiling, rounded down to the float below: the clamp then also holds against the
 * exact value of 10^(ceiling_db / 20). */
static float lim_ceiling_lin(float db) GB_RT
{
    return nextafterf(lim_db_to_lin(db), 0.0f);
}

/* Gain reduction in dB (≥ 0) of a gain g in [1e-10, 1], without libm's log10 (whose cost
 * depends on its argument): g = m·2^e from the bits, ln g = e·ln 2 + log1p(m − 1) with the
 * branch-free gb_fast_log1p (error ≤ 1e-6, i.e. ≤ 1e-5 dB). */
static float lim_reduction_db(float g) GB_RT
{
    uint32_t b;
    memcpy(&b, &g, sizeof b);
    const float e = (float)((int32_t)((b >> 23) & 0xffu) - 127);
    b = (b & 0x007fffffu) | 0x3f800000u;
    float m;
    memcpy(&m, &b, sizeof m);
    const float ln = e * 0.69314718f + gb_fast_log1p(m - 1.0f);
    return gb_maxf(-8.6858896f * ln, 0.0f); /* −20/ln 10 */
}

static void lim_store(gb_limiter_unit_t *u, uint32_t id, float v) GB_RT
{
    __atomic_store(&u->pv[id], &v, __ATOMIC_RELAXED);
}

/* Apply parameter id's stored value, ramped over its smoothing time or at once. */
static void lim_apply(gb_limiter_unit_t *u, uint32_t id, int ramp) GB_RT
{
    const float v = u->pv[id];
    const uint32_t n = ramp ? gb_smooth_frames(gb_limiter_params[id].smoothing_ms, u->sr) : 0;
    switch (id) {
    case LIM_CEILING_DB:
    case LIM_GAIN_DB: {
        gb_ramp_t *r = id == LIM_GAIN_DB ? &u->gain : &u->ceiling;
        const float lin = id == LIM_GAIN_DB ? lim_db_to_lin(v) : lim_ceiling_lin(v);
        if (ramp)
            gb_ramp_set(r, lin, n);
        else
            gb_ramp_init(r, lin);
        break;
    }
    case LIM_RELEASE_MS:
        if (u->lim)
            gb_limiter_set_release(u->lim, v);
        break;
    case LIM_LOOKAHEAD_MS:
        if (u->lim) {
            gb_limiter_set_lookahead(u->lim, v);
            u->latency = gb_limiter_latency(u->lim);
        }
        break;
    default: break;
    }
}

/** [main] */
static void *lim_create(const gbp_descriptor_t *desc, const gbp_host_t *host)
{
    (void)desc;
    (void)host;
    gb_limiter_unit_t *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->sr = 48000.0;
    for (uint32_t i = 0; i < LIM_N_PARAMS; i++)
        u->pv[i] = gb_limiter_params[i].def;
    for (uint32_t i = 0; i < LIM_N_PARAMS; i++)
        lim_apply(u, i, 0);
    return u;
}

/** [main & active] */
static void lim_deactivate(void *self)
{
    gb_limiter_unit_t *u = self;
    gb_limiter_free(u->lim);
    u->lim = NULL;
    u->active = 0;
}

/** [main] */
static void lim_destroy(void *self)
{
    if (!self)
        return;
    lim_deactivate(self);
    free(self);
}

/** [audio & active] */
static void lim_reset(void *self) GB_RT
{
    gb_limiter_unit_t *u = self;
    if (!u->active)
        return;
    for (uint32_t i = 0; i < LIM_N_PARAMS; i++)
        lim_apply(u, i, 0);
    gb_limiter_reset(u->lim);
    lim_store(u, LIM_GAIN_REDUCTION_DB, 0.0f);
}

/** [main] */
static int lim_activate(void *self, double sample_rate, uint32_t max_frames)
{
    gb_limiter_unit_t *u = self;
    (void)max_frames;
    if (u->active)
        lim_deactivate(u);
    u->sr = sample_rate;
    u->lim = gb_limiter_new(sample_rate, LIM_MAX_LOOKAHEAD_MS, NULL);
    if (!u->lim)
        return (sample_rate >= 8000.0 && sample_rate <= 384000.0) ? GB_ENOMEM : GB_ERANGE;
    u->active = 1;
    lim_reset(u);
    return GB_OK;
}

/** [main, not while processing] */
static void lim_set_param(void *self, uint32_t id, float value)
{
    gb_limiter_unit_t *u = self;
    if (id >= LIM_N_PARAMS || (gb_limiter_params[id].flags & GBP_PARAM_READONLY))
        return;
    lim_store(u, id, lim_clamp(id, value));
    lim_apply(u, id, 0);
}

/** [main, not while processing]; gain_reduction_db also [audio] after process() */
static float lim_get_param(void *self, uint32_t id) GB_RT
{
    gb_limiter_unit_t *u = self;
    float v = 0.0f;
    if (id < LIM_N_PARAMS)
        __atomic_load(&u->pv[id], &v, __ATOMIC_RELAXED);
    return v;
}

static const float lim_zeros[LIM_CHUNK]; /* the input when there is none */

/** [audio & active] */
static void lim_process(void *self, const gbp_process_t *p) GB_RT
{
    gb_limiter_unit_t *u = self;
    for (uint32_t e = 0; p->events && e < p->n_events; e++) {
        const gbp_event_t *ev = &p->events[e];
        if (ev->type == GBP_EV_PARAM && ev->id < LIM_N_PARAMS &&
            !(gb_limiter_params[ev->id].flags & GBP_PARAM_READONLY)) {
            lim_store(u, ev->id, lim_clamp(ev->id, ev->value));
            lim_apply(u, ev->id, 1);
        }
    }
    const int has_in = p->audio_in && p->audio_in[0] && p->audio_in[1];
    const int has_out = p->audio_out && p->audio_out[0] && p->audio_out[1];
    float g[LIM_CHUNK], c[LIM_CHUNK], scratch[2][LIM_CHUNK];
    float min_s = 1.0f;
    for (uint32_t t = 0; t < p->frames; t += LIM_CHUNK) {
        const uint32_t n = p->frames - t < LIM_CHUNK ? p->frames - t : LIM_CHUNK;
        const float *il = has_in ? p->audio_in[0] + t : lim_zeros;
        const float *ir = has_in ? p->audio_in[1] + t : lim_zeros;
        float *ol = has_out ? p->audio_out[0] + t : scratch[0];
        float *o_r = has_out ? p->audio_out[1] + t : scratch[1];
        for (uint32_t i = 0; i < n; i++) {
            g[i] = gb_ramp_next(&u->gain);
            c[i] = gb_ramp_next(&u->ceiling);
        }
        if (u->active) {
            const float s = gb_limiter_process(u->lim, il, ir, ol, o_r, g, c, n);
            min_s = gb_minf(min_s, s);
        } else {
            memset(ol, 0, n * sizeof *ol);
            memset(o_r, 0, n * sizeof *o_r);
        }
    }
    if (p->frames && u->active) {
        /* one log per block, not per sample; s ≥ 1e-10 keeps the value finite */
        const float gr = lim_reduction_db(gb_maxf(min_s, 1e-10f));
        lim_store(u, LIM_GAIN_REDUCTION_DB, gb_minf(gr, LIM_MAX_GR_DB));
    }
}

/** [main & active] and [audio & active] after process(): the lookahead in frames. */
static uint32_t lim_latency(void *self) GB_RT
{
    return ((const gb_limiter_unit_t *)self)->latency;
}

static const gbp_latency_t lim_latency_ext = {.get = lim_latency};

/** gbac.latency. [main] */
static const void *lim_get_extension(void *self, const char *id)
{
    (void)self;
    return strcmp(id, GBP_EXT_LATENCY) == 0 ? &lim_latency_ext : NULL;
}

const gbp_descriptor_t gb_unit_limiter = {
    .abi_version = GBP_ABI_VERSION,
    .struct_size = sizeof(gbp_descriptor_t),
    .id = "gbac.limiter",
    .name = "Limiter",
    .vendor = "gbac",
    .version = "1.0.0",
    .description = "Master lookahead peak limiter: no output sample above the ceiling, NaN/Inf "
                   "input silenced, latency = lookahead.",
    .kind = GBP_KIND_EFFECT,
    .n_params = LIM_N_PARAMS,
    .params = gb_limiter_params,
    .create = lim_create,
    .destroy = lim_destroy,
    .activate = lim_activate,
    .deactivate = lim_deactivate,
    .reset = lim_reset,
    .process = lim_process,
    .set_param = lim_set_param,
    .get_param = lim_get_param,
    .save_state = NULL,
    .load_state = NULL,
    .get_extension = lim_get_extension,
};
