/* gb_timbre_render.c — offline rendering of a timbre frame sequence.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_timbre_render.h"

#include <stdlib.h>
#include <string.h>

#define TR_CONTROL 32

int gb_timbre_render(const gb_timbre_frame_t *frames, int n, double f0_hz, double sample_rate,
                     const gb_noise_tables_t *tables, float *out, size_t n_out, gb_error_t *err)
{
    if (!frames || n < 1 || !tables || !out || !(f0_hz > 0.0) || !(sample_rate > 0.0))
        return gb_error_set(err, GB_EINVAL, "timbre render: bad arguments");
    gb_simd_t simd;
    if (gb_simd_default(&simd, err))
        return err ? err->code : GB_EINVAL;
    gb_oscbank_render_fn render = gb_oscbank_render_for(simd);
    gb_oscbank_t *b = aligned_alloc(GB_ALIGN, GB_ROUND_UP(sizeof *b, GB_ALIGN));
    if (!b || !render) {
        free(b);
        return gb_error_set(err, GB_ENOMEM, "timbre render: out of memory");
    }
    gb_oscbank_start(b, 0);
    memset(out, 0, sizeof(float) * n_out);
    const void *nz = gb_noise_tables_data(tables);
    float harm[GB_TIMBRE_HARMONICS] __attribute__((aligned(64)));
    float noise[GB_TIMBRE_BANDS] __attribute__((aligned(64)));
    for (size_t t = 0; t < n_out; t += TR_CONTROL) {
        const double pos = (double)(t + TR_CONTROL) / (sample_rate * GB_TIMBRE_HOP_S);
        int i0 = (int)pos;
        float fr = (float)(pos - i0);
        if (i0 >= n - 1) {
            i0 = n - 1;
            fr = 0.0f;
        }
        const gb_timbre_frame_t *a = &frames[i0], *c = &frames[i0 + (i0 < n - 1)];
        const float amp = a->amp + fr * (c->amp - a->amp);
        for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
            harm[k] = amp * (a->harm[k] + fr * (c->harm[k] - a->harm[k]));
        for (int k = 0; k < GB_TIMBRE_BANDS; k++)
            noise[k] = a->noise[k] + fr * (c->noise[k] - a->noise[k]);
        gb_oscbank_set_targets(b, harm, noise, f0_hz, sample_rate, TR_CONTROL);
        const size_t len = n_out - t < TR_CONTROL ? n_out - t : TR_CONTROL;
        render(b, nz, out + t, (int)len);
    }
    free(b);
    return GB_OK;
}
