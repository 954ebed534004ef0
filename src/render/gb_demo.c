/* gb_demo.c — the demo piece (gb_demo.h): the performer's calls through the piece's preset (the
 * melody GAN answering, the timbre VAE playing both) with its latent score, rendered into
 * memory, scaled to a fixed peak and written.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_demo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_midifile.h"
#include "gb_render.h"
#include "gb_share.h"
#include "gb_unit_registry.h"

#define DEMO_SR 48000.0
#define DEMO_BLOCK 256u
#define DEMO_PEAK 0.708f /* -3 dBFS: the mix is scaled to peak there */
#define DEMO_CHUNK 65536u

typedef struct membuf {
    float *l, *r;
    size_t n, cap;
} membuf_t;

/* A gb_render_sink_fn appending to a membuf_t. */
static int mem_sink(void *user, const float *l, const float *r, uint32_t frames,
                    gb_error_t *err)
{
    membuf_t *m = user;
    if (m->n + frames > m->cap) {
        size_t nc = m->cap ? m->cap : 48000;
        while (nc < m->n + frames)
            nc *= 2;
        float *nl = realloc(m->l, nc * sizeof *nl);
        if (nl)
            m->l = nl;
        float *nr = nl ? realloc(m->r, nc * sizeof *nr) : NULL;
        if (nr)
            m->r = nr;
        if (!nl || !nr)
            return gb_error_set(err, GB_ENOMEM, "demo: out of memory");
        m->cap = nc;
    }
    memcpy(m->l + m->n, l, frames * sizeof *l);
    memcpy(m->r + m->n, r, frames * sizeof *r);
    m->n += frames;
    return 0;
}

typedef struct demo {
    const gb_demo_config_t *cfg;
    gb_demo_result_t *res;
    char data[4096];
    gb_unit_registry_t *reg;
    gb_midifile_t *mf;
    gb_osc_score_t *score; /* the latent path (default piece only) */
    gb_session_t *session;
    membuf_t mix;
} demo_t;

/* Render the calls through a preset, with the score when there is one, into mb. */
static int render_layer(demo_t *d, const char *path, const gb_osc_score_t *score, membuf_t *mb,
                        gb_error_t *err)
{
    gb_preset_t *preset = gb_preset_load(path, d->reg, err);
    if (!preset)
        return err && err->code ? err->code : GB_EFORMAT;
    gb_engine_t *e = NULL;
    int rc = 0;
    if (!(e = gb_engine_build(preset, DEMO_SR, DEMO_BLOCK, 1, err)))
        rc = err && err->code ? err->code : GB_EINVAL;
    gb_render_opts_t o = gb_render_opts_default();
    o.block = DEMO_BLOCK;
    o.tail_s = 3.0; /* the last release and the reverb ring on */
    if (rc == 0 && d->session) {
        rc = gb_session_add_engine(d->session, e, preset, 0, err);
        o.observe = gb_render_recorder;
        o.observe_ud = gb_session_recorder(d->session);
    }
    gb_render_stats_t st;
    if (rc == 0 && (rc = gb_render_run(e, d->mf, score, &o, mem_sink, mb, &st, err)) == 0)
        d->res->wall_s += st.wall_s;
    gb_engine_free(e);
    gb_preset_free(preset);
    return rc;
}

static int render_piece(demo_t *d, gb_error_t *err)
{
    if (d->cfg->preset) {
        gb_share_preset_path(d->data, d->cfg->preset, d->res->presets[0],
                             sizeof d->res->presets[0]);
        return render_layer(d, d->res->presets[0], NULL, &d->mix, err);
    }
    char path[4200];
    snprintf(d->res->presets[0], sizeof d->res->presets[0], "%s", GB_DEMO_PRESET);
    snprintf(path, sizeof path, "%s/%s", d->data, GB_DEMO_PRESET);
    return render_layer(d, path, d->score, &d->mix, err);
}

/* A fixed peak level, whatever the presets' levels. */
static void normalise(membuf_t *m)
{
    float peak = 0.0f;
    for (size_t i = 0; i < m->n; i++)
        peak = fmaxf(peak, fmaxf(fabsf(m->l[i]), fabsf(m->r[i])));
    if (!(peak > 0.0f))
        return;
    const float g = DEMO_PEAK / peak;
    for (size_t i = 0; i < m->n; i++) {
        m->l[i] *= g;
        m->r[i] *= g;
    }
}

static int write_mix(const membuf_t *m, const char *path, gb_error_t *err)
{
    gb_render_out_t *out = gb_render_out_open(path, DEMO_SR, GB_RENDER_PCM24,
                                              "gbac demo: four calls and their answers", err);
    int rc = out ? 0 : -1;
    for (size_t i = 0; i < m->n && rc == 0; i += DEMO_CHUNK) {
        uint32_t n = (uint32_t)(m->n - i < DEMO_CHUNK ? m->n - i : DEMO_CHUNK);
        rc = gb_render_out_sink(out, m->l + i, m->r + i, n, err);
    }
    int crc = out ? gb_render_out_close(out, rc == 0, rc == 0 ? err : NULL) : 0;
    return rc ? rc : crc;
}

/* The session's audio is the mix, as written; then its files. */
static int finish_session(demo_t *d, int rc, gb_error_t *err)
{
    for (size_t i = 0; i < d->mix.n && rc == 0; i += DEMO_CHUNK) {
        uint32_t n = (uint32_t)(d->mix.n - i < DEMO_CHUNK ? d->mix.n - i : DEMO_CHUNK);
        gb_recorder_write_audio(gb_session_recorder(d->session), d->mix.l + i, d->mix.r + i, n);
    }
    int crc = gb_session_stop(d->session, &d->res->session, rc == 0 ? err : NULL);
    d->res->recorded = 1;
    return rc ? rc : crc;
}

static int start(demo_t *d, gb_error_t *err)
{
    char tried[8192], path[4200];
    if (gb_share_dir(GB_DEMO_MIDI, d->data, sizeof d->data, tried, sizeof tried) < 0)
        return gb_error_set(err, GB_EIO,
                            "cannot find the demo data (%s); looked in: %s.\nInstall gbac "
                            "(cmake --install), or set GBAC_DATA_DIR to a folder that holds "
                            "presets/ and examples/ (PREFIX/share/gbac, or a gbac source tree).",
                            GB_DEMO_MIDI, tried);
    snprintf(path, sizeof path, "%s/%s", d->data, GB_DEMO_MIDI);
    if (!(d->reg = gb_unit_registry_open(NULL, 0, err)) ||
        !(d->mf = gb_midifile_load(path, DEMO_SR, err)))
        return -1;
    snprintf(path, sizeof path, "%s/%s", d->data, GB_DEMO_SCORE);
    if (!d->cfg->preset && !(d->score = gb_osc_score_load(path, err)))
        return -1;
    if (!d->cfg->record_dir)
        return 0;
    gb_session_config_t sc = gb_session_config_default();
    sc.dir = d->cfg->record_dir;
    sc.command = "demo";
    sc.sample_rate = DEMO_SR;
    sc.offline = 1;
    return (d->session = gb_session_start(&sc, err)) ? 0 : -1;
}

int gb_demo_render(const gb_demo_config_t *cfg, gb_demo_result_t *res, gb_error_t *err)
{
    demo_t d = {.cfg = cfg, .res = res};
    memset(res, 0, sizeof *res);
    int rc = start(&d, err);
    if (rc == 0 && (rc = render_piece(&d, err)) == 0) {
        normalise(&d.mix);
        rc = write_mix(&d.mix, cfg->out_path, err);
    }
    if (d.session)
        rc = finish_session(&d, rc, err);
    res->seconds = (double)d.mix.n / DEMO_SR;
    gb_session_free(d.session);
    free(d.mix.l);
    free(d.mix.r);
    gb_osc_score_free(d.score);
    gb_midifile_free(d.mf);
    gb_unit_registry_free(d.reg);
    return rc < 0 ? rc : 0;
}
