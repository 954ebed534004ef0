/* gb_engine_util.h — helpers for tests that drive the engine: racks built in code (no preset
 * file needed), block-wise rendering of an event list, and spectral measurements.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_ENGINE_UTIL_H
#define GB_ENGINE_UTIL_H

#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_engine.h"
#include "gb_unit_registry.h"

#define GBT_SR 48000.0

/** A rack: the harmonic synth alone, or followed by the given effects. */
static inline gb_preset_t *gbt_rack(int polyphony, const gbp_descriptor_t *const *fx, int n_fx)
{
    gb_preset_t *p = calloc(1, sizeof *p);
    snprintf(p->name, sizeof p->name, "test");
    p->tempo_bpm = 120.0;
    p->beats_per_bar = 4;
    p->beat_unit = 4;
    p->polyphony = polyphony;
    p->instrument.desc = &gb_unit_harmsynth;
    snprintf(p->instrument.slot, sizeof p->instrument.slot, "synth");
    for (int i = 0; i < n_fx; i++) {
        p->effects[i].desc = fx[i];
        snprintf(p->effects[i].slot, sizeof p->effects[i].slot, "fx%d", i);
    }
    p->n_effects = n_fx;
    return p;
}

/** Set a parameter value in a rack unit by name (before the engine is built). */
static inline void gbt_param(gb_preset_unit_t *u, const char *name, float value)
{
    const gbp_param_info_t *pi = gb_unit_param_by_name(u->desc, name);
    if (!pi) {
        fprintf(stderr, "no parameter %s in %s\n", name, u->desc->id);
        abort();
    }
    u->params[u->n_params].id = pi->id;
    u->params[u->n_params++].value = value;
}

static inline gb_engine_t *gbt_engine(const gb_preset_t *p, uint32_t max_block)
{
    gb_engine_config_t c = gb_engine_config_default();
    c.sample_rate = GBT_SR;
    c.max_block = max_block;
    gb_error_t err = {0};
    gb_engine_t *e = gb_engine_new(p, &c, &err);
    if (!e)
        fprintf(stderr, "gb_engine_new: %s\n", err.msg);
    return e;
}

static inline gbp_event_t gbt_ev(uint32_t frame, int type, int key, float value, uint32_t id)
{
    gbp_event_t ev = {0};
    ev.time = frame; /* absolute here; gbt_render makes it block-relative */
    ev.type = (uint8_t)type;
    ev.key = (uint8_t)key;
    ev.value = value;
    ev.id = id;
    return ev;
}

/** Render `frames` frames in blocks of `block`, events with absolute frames (sorted). */
static inline void gbt_render(gb_engine_t *e, const gbp_event_t *ev, int n_ev, float *l,
                              float *r, uint32_t frames, uint32_t block)
{
    gbp_event_t blk[GB_ENGINE_MAX_EVENTS];
    int ei = 0;
    for (uint32_t t = 0; t < frames; t += block) {
        uint32_t nb = frames - t < block ? frames - t : block;
        int k = 0;
        while (ei < n_ev && ev[ei].time < t + nb) {
            blk[k] = ev[ei++];
            blk[k++].time -= t;
        }
        gb_engine_process(e, blk, (uint32_t)k, l + t, r + t, nb);
    }
}

/** Frequency of the strongest spectral peak of x[0..n) between lo and hi Hz (Hann window,
 *  zero-padded FFT, parabolic interpolation on log magnitudes). */
static inline double gbt_peak_hz(const float *x, int n, double lo, double hi)
{
    int nfft = 1;
    while (nfft < 4 * n)
        nfft <<= 1;
    double *in = fftw_alloc_real((size_t)nfft);
    fftw_complex *out = fftw_alloc_complex((size_t)nfft / 2 + 1);
    memset(in, 0, sizeof(double) * (size_t)nfft);
    for (int i = 0; i < n; i++)
        in[i] = x[i] * (0.5 - 0.5 * cos(2.0 * 3.141592653589793 * i / (n - 1)));
    fftw_plan p = fftw_plan_dft_r2c_1d(nfft, in, out, FFTW_ESTIMATE);
    fftw_execute(p);
    int k0 = (int)(lo * nfft / GBT_SR), k1 = (int)(hi * nfft / GBT_SR), best = k0;
    double bm = -1;
    for (int k = k0; k <= k1; k++) {
        double m = hypot(out[k][0], out[k][1]);
        if (m > bm) {
            bm = m;
            best = k;
        }
    }
    double a = log(hypot(out[best - 1][0], out[best - 1][1]) + 1e-30);
    double b = log(bm + 1e-30);
    double c = log(hypot(out[best + 1][0], out[best + 1][1]) + 1e-30);
    double d = 0.5 * (a - c) / (a - 2 * b + c);
    fftw_destroy_plan(p);
    fftw_free(in);
    fftw_free(out);
    return (best + d) * GBT_SR / nfft;
}

#endif
