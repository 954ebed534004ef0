/* gb_transfer.c — offline timbre transfer (gb_transfer.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_transfer.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gb_engine.h"
#include "gb_preset.h"
#include "gb_unit_registry.h"

gb_transfer_config_t gb_transfer_config_default(void)
{
    gb_transfer_config_t c = {.struct_size = sizeof c, .format = GB_RENDER_PCM24, .block = 64,
                              .seed = 1, .tail_s = 0.5};
    return c;
}

/* The input, mixed to mono (non-finite samples count as 0, and are counted). */
static float *read_mono(const char *path, gb_transfer_stats_t *st, gb_error_t *err)
{
    SF_INFO info = {0};
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        gb_error_set(err, GB_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    fclose(probe);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) {
        gb_error_set(err, GB_EFORMAT, "%s: not an audio file libsndfile can read (%s)", path,
                     sf_strerror(NULL));
        return NULL;
    }
    float *mono = NULL, *buf = NULL;
    if (info.frames <= 0 || info.channels < 1) {
        gb_error_set(err, GB_EFORMAT, "%s: no audio frames", path);
        goto done;
    }
    if (info.samplerate < 8000 || info.samplerate > 192000) {
        gb_error_set(err, GB_ERANGE, "%s: sample rate %d Hz outside 8000..192000 (resample it, "
                     "e.g. sox IN -r 48000 OUT)", path, info.samplerate);
        goto done;
    }
    st->sample_rate = info.samplerate;
    st->channels = info.channels;
    st->in_frames = (uint64_t)info.frames;
    mono = calloc((size_t)info.frames, sizeof *mono);
    buf = malloc(sizeof *buf * 4096 * (size_t)info.channels);
    if (!mono || !buf) {
        gb_error_set(err, GB_ENOMEM, "%s: out of memory for %lld frames", path,
                     (long long)info.frames);
        free(mono);
        mono = NULL;
        goto done;
    }
    for (sf_count_t pos = 0; pos < info.frames;) {
        const sf_count_t n = sf_readf_float(f, buf, 4096);
        if (n <= 0)
            break;
        for (sf_count_t i = 0; i < n && pos + i < info.frames; i++) {
            double s = 0.0;
            for (int c = 0; c < info.channels; c++) {
                const float v = buf[i * info.channels + c];
                st->n_nonfinite += !isfinite(v);
                s += isfinite(v) ? v : 0.0f;
            }
            mono[pos + i] = (float)(s / info.channels);
        }
        pos += n;
    }
done:
    free(buf);
    sf_close(f);
    return mono;
}

/* The handle of the instrument's follow_input, or a negative error said in err. */
static int32_t follow_handle(const gb_engine_t *e, const gb_preset_t *p, const char *path,
                             gb_error_t *err)
{
    char name[96];
    snprintf(name, sizeof name, "%s/follow_input", p->instrument.slot);
    const int32_t h = gb_engine_param_find(e, name);
    if (h < 0)
        gb_error_set(err, GB_EINVAL, "%s: the instrument '%s' cannot follow an audio input (no "
                     "follow_input parameter): use a preset whose instrument is gbac.timbre-vae, "
                     "e.g. --preset timbre-transfer", path, p->instrument.slot);
    return h;
}

static int run(gb_engine_t *e, int32_t follow, const float *in, const gb_transfer_config_t *c,
               gb_render_out_t *out, gb_transfer_stats_t *st, gb_error_t *err)
{
    const uint64_t total = st->in_frames + (uint64_t)llround(c->tail_s * st->sample_rate);
    float *l = malloc(sizeof(float) * c->block), *r = malloc(sizeof(float) * c->block),
          *zero = calloc(c->block, sizeof(float));
    int rc = 0;
    if (!l || !r || !zero)
        rc = gb_error_set(err, GB_ENOMEM, "out of memory");
    const gbp_event_t on = {.type = GBP_EV_PARAM, .id = (uint32_t)follow, .value = 1.0f};
    for (uint64_t pos = 0; !rc && pos < total; pos += c->block) {
        const uint32_t n = (uint32_t)(total - pos < c->block ? total - pos : c->block);
        const int have = pos + n <= st->in_frames;
        if (!have && pos < st->in_frames) { /* the last partial block of input */
            memset(zero, 0, sizeof(float) * c->block);
            memcpy(zero, in + pos, sizeof(float) * (size_t)(st->in_frames - pos));
        } else if (!have) {
            memset(zero, 0, sizeof(float) * c->block);
        }
        gb_engine_set_input(e, have ? in + pos : zero);
        gb_engine_process(e, &on, pos == 0, l, r, n);
        for (uint32_t i = 0; i < n; i++) {
            const float a = fabsf(l[i]) > fabsf(r[i]) ? fabsf(l[i]) : fabsf(r[i]);
            st->peak = a > st->peak ? a : st->peak;
        }
        rc = gb_render_out_sink(out, l, r, n, err);
        st->frames += n;
    }
    free(l);
    free(r);
    free(zero);
    return rc;
}

int gb_transfer_file(const gb_transfer_config_t *c, gb_transfer_stats_t *st, gb_error_t *err)
{
    memset(st, 0, sizeof *st);
    if (!c || c->struct_size < sizeof *c || !c->in_path || !c->out_path || !c->preset_path ||
        c->block < 1 || c->block > GB_ENGINE_MAX_BLOCK || !(c->tail_s >= 0.0))
        return gb_error_set(err, GB_EINVAL, "transfer: bad arguments");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    gb_unit_registry_t *reg = NULL;
    gb_preset_t *p = NULL;
    gb_engine_t *e = NULL;
    gb_render_out_t *out = NULL;
    int rc = GB_EINVAL;
    float *in = read_mono(c->in_path, st, err);
    if (!in)
        return err && err->code ? err->code : GB_EFORMAT;
    if (!(reg = gb_unit_registry_open(NULL, 0, err)) ||
        !(p = gb_preset_load(c->preset_path, reg, err)) ||
        !(e = gb_engine_build(p, st->sample_rate, c->block, c->seed, err)))
        goto done;
    const int32_t follow = follow_handle(e, p, c->preset_path, err);
    if (follow < 0)
        goto done;
    if (!(out = gb_render_out_open(c->out_path, st->sample_rate, c->format, p->name, err)))
        goto done;
    rc = run(e, follow, in, c, out, st, err);
    const int crc = gb_render_out_close(out, rc == 0, rc == 0 ? err : NULL);
    rc = rc ? rc : crc;
done:
    if (rc == GB_EINVAL && err && err->code)
        rc = err->code;
    gb_engine_free(e);
    gb_preset_free(p);
    gb_unit_registry_free(reg);
    free(in);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    st->wall_s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return rc;
}
