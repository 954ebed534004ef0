/* nan_after.c — a tiny LV2 effect for tests: it passes its input through for `after` frames
 * after activation, then writes NaN forever. gbac must mute and count those blocks
 * (nonfinite_blocks, docs/lv2.md). run() is real-time safe: no allocation, no calls.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <lv2/core/lv2.h>

#include "gbac_plugin.h" /* GBP_RT only */

#define NAN_AFTER_URI "urn:gbac:test:nan-after"

typedef struct nan_after {
    const float *in, *after;
    float *out;
    uint64_t frames;
} nan_after_t;

static LV2_Handle instantiate(const LV2_Descriptor *d, double rate, const char *bundle,
                              const LV2_Feature *const *features)
{
    (void)d;
    (void)rate;
    (void)bundle;
    (void)features;
    return calloc(1, sizeof(nan_after_t));
}

static void connect_port(LV2_Handle h, uint32_t port, void *data) GBP_RT
{
    nan_after_t *p = h;
    if (port == 0)
        p->in = data;
    else if (port == 1)
        p->out = data;
    else if (port == 2)
        p->after = data;
}

static void activate(LV2_Handle h)
{
    ((nan_after_t *)h)->frames = 0;
}

static void run(LV2_Handle h, uint32_t n) GBP_RT
{
    nan_after_t *p = h;
    const uint64_t after = p->after && *p->after > 0.0f ? (uint64_t)*p->after : 0;
    for (uint32_t i = 0; i < n; i++)
        p->out[i] = p->frames + i >= after ? NAN : p->in[i];
    p->frames += n;
}

static void cleanup(LV2_Handle h)
{
    free(h);
}

static const LV2_Descriptor descriptor = {NAN_AFTER_URI, instantiate, connect_port, activate,
                                          run, NULL, cleanup, NULL};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index)
{
    return index == 0 ? &descriptor : NULL;
}
